# SPDX-License-Identifier: MIT
"""modal.Sandbox stand-in: `Sandbox.create(...)` is recorded, nothing runs.

Calls a driver script makes on a sandbox (create, from_id, exec, tunnels, snapshot_filesystem,
terminate) are also appended, one JSON object a line, to $MGPUX_STANDIN_SANDBOX_LOG when it is set,
so a test can check them after the script's process has ended. $MGPUX_STANDIN_TUNNEL ("host:port"),
when set, is the endpoint every tunnel reports, and `exec("cat", PATH)` reads PATH below
$MGPUX_STANDIN_SANDBOX_ROOT when that is set (the sandbox's files, as a test lays them out).
"""
import json
import os

from ._state import STATE, jsonable, user_location
from ._tunnel import Tunnel
from ._validate import check_gpu, check_mount_points, check_timeout
from .image import Image


class _Stream:
    def __init__(self, text=""):
        self._text = text

    def read(self):
        return self._text

    def __iter__(self):
        return iter(())


class _Process:
    def __init__(self, stdout=""):
        self.stdout = _Stream(stdout)
        self.stderr = _Stream()
        self.returncode = 0

    def wait(self):
        return 0

    def poll(self):
        return 0

    def attach(self):
        """An interactive exec's terminal session: nothing to relay here."""
        return None


class Sandbox:
    def __init__(self, _record):
        self._record = _record
        self.object_id = _record["id"]
        self.stdout = _Stream()
        self.stderr = _Stream()
        self.returncode = None

    def _shim_ref(self):
        return {"$sandbox": self.object_id}

    @staticmethod
    def create(*args, app=None, name=None, tags=None, image=None, env=None, secrets=None, network_file_systems={},  # noqa: B006
               timeout=300, idle_timeout=None, workdir=None, gpu=None, cloud=None, region=None, cpu=None, memory=None,
               block_network=False, cidr_allowlist=None, volumes={}, pty=False, encrypted_ports=[], h2_ports=[],  # noqa: B006
               unencrypted_ports=[], proxy=None, readiness_probe=None, experimental_options=None, verbose=False,  # noqa: B006
               client=None, environment_name=None, pty_info=None, inbound_cidr_allowlist=None,
               outbound_cidr_allowlist=None, outbound_domain_allowlist=None):
        sid = STATE.next_id("sb")
        where = f"Sandbox.create ({sid})"
        for old in ("environment_name", "pty_info", "cidr_allowlist"):
            if locals()[old] is not None:
                STATE.warn("deprecated_sandbox_arg", f"Sandbox.create: `{old}` is deprecated.", where)
        if app is None:
            STATE.error("sandbox_without_app", "Sandboxes created outside a Modal container need `app=` "
                        "(e.g. `modal.App.lookup(name, create_if_missing=True)`).", where)
        if isinstance(image, Image):
            image._used = True
        check_gpu(gpu, where)
        check_timeout(timeout, "timeout", where)
        mounts = {}
        for path, vol in check_mount_points("Volume", volumes, where):
            mounts[path] = getattr(vol, "name", None)
            record = getattr(vol, "_record", None)
            if isinstance(record, dict) and path not in record.get("mounts", []):
                record["mounts"].append(path)
        record = {
            "id": sid,
            "args": jsonable(list(args)),
            "app": getattr(app, "name", None),
            "name": name,
            "image": image.object_id if isinstance(image, Image) else None,
            "gpu": jsonable(gpu),
            "cpu": jsonable(cpu),
            "memory": jsonable(memory),
            "timeout": jsonable(timeout),
            "volumes": mounts,
            "secrets": jsonable(secrets or []),
            "env_keys": sorted(env) if isinstance(env, dict) else [],
            "encrypted_ports": jsonable(encrypted_ports),
            "unencrypted_ports": jsonable(unencrypted_ports),
            "location": user_location(),
        }
        if inbound_cidr_allowlist is not None:
            record["inbound_cidr_allowlist"] = jsonable(list(inbound_cidr_allowlist))
        STATE.sandboxes.append(record)
        _log("create", image_base=dict(image._base) if isinstance(image, Image) else None,
             **{k: v for k, v in record.items() if k != "location"})
        return Sandbox(record)

    def snapshot_filesystem(self, timeout=55, *, ttl=30 * 24 * 3600):
        image = Image({"type": "sandbox_snapshot", "sandbox": self.object_id})
        _log("snapshot_filesystem", id=self.object_id, timeout=timeout, ttl=ttl, image=image.object_id)
        return image

    def wait(self, raise_on_termination=True):
        self.returncode = 0

    def poll(self):
        return self.returncode

    def terminate(self, *, wait=False):
        _log("terminate", id=self.object_id)
        self.returncode = 0
        self._record["terminated"] = True
        return 0 if wait else None

    @staticmethod
    def from_id(sandbox_id, client=None):
        """A handle on an existing sandbox (recorded; the stand-in knows no real ones)."""
        if not isinstance(sandbox_id, str) or not sandbox_id:
            raise TypeError("Sandbox.from_id: `sandbox_id` must be a non-empty string")
        _log("from_id", id=sandbox_id)
        record = {"id": sandbox_id, "looked_up": True, "location": user_location()}
        STATE.sandboxes.append(record)
        return Sandbox(record)

    def exec(self, *args, **kwargs):
        _log("exec", id=self.object_id, args=jsonable(list(args)), pty=bool(kwargs.get("pty")))
        return _Process(_read_from_root(args))

    def tunnels(self, timeout=50):
        """{port: Tunnel} for the declared ports, with placeholder addresses (nothing is relayed), or
        $MGPUX_STANDIN_TUNNEL's for every port when it is set."""
        override = _tunnel_endpoint()
        out = {}
        for i, port in enumerate(self._record.get("encrypted_ports") or []):
            out[port] = Tunnel(override[0], override[1], "", 0) if override else \
                Tunnel(f"{self.object_id}-{i}.sandbox.invalid", 443, "", 0)
        for i, port in enumerate(self._record.get("unencrypted_ports") or []):
            out[port] = Tunnel(override[0], 443, override[0], override[1]) if override else \
                Tunnel(f"{self.object_id}-t{i}.sandbox.invalid", 443, f"{self.object_id}-t{i}.tcp.invalid", 40000 + i)
        _log("tunnels", id=self.object_id, ports=sorted(out))
        return out


def _log(op, **fields):
    path = os.environ.get("MGPUX_STANDIN_SANDBOX_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"op": op, "modal_profile": os.environ.get("MODAL_PROFILE"), **fields}) + "\n")


def _tunnel_endpoint():
    value = os.environ.get("MGPUX_STANDIN_TUNNEL")
    if not value:
        return None
    host, _, port = value.rpartition(":")
    return host, int(port)


def _read_from_root(args):
    root = os.environ.get("MGPUX_STANDIN_SANDBOX_ROOT")
    if not root or len(args) != 2 or args[0] != "cat" or not str(args[1]).startswith("/"):
        return ""
    try:
        with open(os.path.join(root, str(args[1]).lstrip("/")), encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""
