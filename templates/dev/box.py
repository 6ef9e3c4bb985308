{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux dev box driver: creates, snapshots or terminates one Modal Sandbox running sshd, with the
project's workspace volume at /workspace. m-gpux runs this file with the Python that has `modal`
installed (it is not a `modal run` script). The SSH public key comes from the environment variable
MGPUX_SSH_AUTHORIZED_KEY through a Secret, never from this file.
Markers: "[m-gpux] RESULT <json>" once (sandbox id, app id, ssh endpoint, host key or snapshot id);
"[m-gpux] WARNING <text>" for what Modal could not do as asked.
"""
import json
import sys
import time

import modal

{{> common/upload.py}}

ACTION = {{action}}  # up | resume | pause | down | shell
BOX_NAME = {{box_name}}
APP_NAME = {{app_name}}
SANDBOX_ID = {{sandbox_id}}  # pause, down
SNAPSHOT_ID = {{snapshot_id}}  # resume: the image the box was paused into
SNAPSHOT_TTL_S = {{snapshot_ttl_s}}  # pause: how long Modal keeps the snapshot
LOCAL_DIR = {{local_dir}}
UPLOAD = {{upload}}
SSH = {{ssh}}
TIMEOUT_S = {{timeout_s}}  # the box's hours, in seconds (Modal's maximum is 24 h)
GPU = {{gpu}}
CPU = {{cpu}}
MEMORY_MB = {{memory_mb}}
INBOUND_CIDRS = {{inbound_cidrs}}  # --lock-ip: the caller's public address
PYTHON_VERSION = {{python_version}}
BASE_IMAGE = {{base_image}}  # an image published with `m-gpux image build` (--image), else None
WORKSPACE_VOLUME_NAME = {{workspace_volume}}
WORKSPACE_DIR = "/workspace"
WORKSPACE_SEED_DIR = "/workspace_seed"
SSH_PORT = 22
HOST_KEY_FILE = "/etc/ssh/ssh_host_ed25519_key.pub"
KEY_VARIABLE = "MGPUX_SSH_AUTHORIZED_KEY"

# The box's start command: install the authorized key from the secret, make the host key once (a
# resumed snapshot keeps it), seed the volume from the upload without overwriting work done in the
# box, then run sshd in the foreground (key logins only). `sync /workspace` commits the volume
# every minute (a sandbox's volume changes are otherwise committed only when it ends).
START_SSH = r"""
set -e
mkdir -p /root/.ssh /run/sshd
chmod 700 /root/.ssh
printf '%s\n' "$MGPUX_SSH_AUTHORIZED_KEY" > /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
[ -s /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
if [ -d /workspace_seed ]; then cp -an /workspace_seed/. /workspace/; fi
(while sleep 60; do sync /workspace; done) &
exec /usr/sbin/sshd -D -e -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
    -o PermitRootLogin=prohibit-password -o HostKey=/etc/ssh/ssh_host_ed25519_key
"""
START_PLAIN = (
    "if [ -d /workspace_seed ]; then cp -an /workspace_seed/. /workspace/; fi; "
    "while sleep 60; do sync /workspace; done"
)

workspace_volume = modal.Volume.from_name(WORKSPACE_VOLUME_NAME, create_if_missing=True)
ssh_key_secret = modal.Secret.from_local_environ([KEY_VARIABLE]) if SSH and ACTION in ("up", "resume") else None

if SNAPSHOT_ID:
    image = modal.Image.from_id(SNAPSHOT_ID)
else:
    base = modal.Image.from_name(BASE_IMAGE) if BASE_IMAGE else modal.Image.debian_slim(python_version=PYTHON_VERSION)
    image = base.apt_install(
        "openssh-server", "rsync", "git", "curl", "ca-certificates"
    )
    if UPLOAD:
        image = image.add_local_dir(LOCAL_DIR, WORKSPACE_SEED_DIR, ignore=UPLOAD_IGNORE)


def result(fields):
    print("[m-gpux] RESULT " + json.dumps(fields, sort_keys=True), flush=True)


def warn(text):
    print("[m-gpux] WARNING " + text, flush=True)


def create_box(app):
    kwargs = dict(
        app=app,
        image=image,
        timeout=TIMEOUT_S,
        workdir=WORKSPACE_DIR,
        volumes={WORKSPACE_DIR: workspace_volume},
        secrets=[ssh_key_secret] if ssh_key_secret is not None else [],
        unencrypted_ports=[SSH_PORT] if SSH else [],
        gpu=GPU,
        cpu=CPU,
        memory=MEMORY_MB,
    )
    command = ("bash", "-c", START_SSH if SSH else START_PLAIN)
    if not INBOUND_CIDRS:
        return modal.Sandbox.create(*command, **kwargs)
    try:
        return modal.Sandbox.create(*command, inbound_cidr_allowlist=INBOUND_CIDRS, **kwargs)
    except TypeError:  # a modal client older than inbound allowlists
        warn("this modal client cannot limit a tunnel to one address (update it: pip install -U modal); "
             "the box accepts SSH from anywhere, with your key only")
        return modal.Sandbox.create(*command, **kwargs)


def host_key(sb):
    """The public host key sshd in the box will present, read from the box itself."""
    sb.exec("bash", "-c", f"for i in $(seq 120); do [ -s {HOST_KEY_FILE} ] && exit 0; sleep 1; done; exit 1").wait()
    return sb.exec("cat", HOST_KEY_FILE).stdout.read().strip()


def start(app):
    sb = create_box(app)
    fields = {"sandbox_id": sb.object_id, "app_id": app.app_id, "started_at": time.time()}
    if SSH:
        endpoint = sb.tunnels()[SSH_PORT].tcp_socket
        fields.update({"host": endpoint[0], "port": endpoint[1], "host_key": host_key(sb)})
    result(fields)


def stop(sb):
    """Commits the workspace volume, then ends the sandbox."""
    sb.exec("sync", WORKSPACE_DIR).wait()
    sb.terminate()


def main():
    if ACTION in ("up", "resume"):
        start(modal.App.lookup(APP_NAME, create_if_missing=True))
    elif ACTION == "pause":
        sb = modal.Sandbox.from_id(SANDBOX_ID)
        snapshot = sb.snapshot_filesystem(timeout=600, ttl=SNAPSHOT_TTL_S)
        stop(sb)
        result({"snapshot_id": snapshot.object_id})
    elif ACTION == "shell":
        process = modal.Sandbox.from_id(SANDBOX_ID).exec("bash", "-l", workdir=WORKSPACE_DIR, pty=True)
        process.attach()
    elif ACTION == "down":
        if SANDBOX_ID:
            stop(modal.Sandbox.from_id(SANDBOX_ID))
        result({"terminated": SANDBOX_ID})
    else:
        sys.exit(f"unknown action {ACTION!r}")


if __name__ == "__main__":
    main()
