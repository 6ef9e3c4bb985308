{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux compose sandbox: one Modal Sandbox per compose service, created from the service's own
image, run locally with the Python that has `modal` installed:

    python3 driver.py up | ps IDS_JSON | logs ID [--follow] | down IDS_JSON

`up` starts the services in depends_on order (waiting for health checks where a dependent asks
for service_healthy), opens a tunnel for each declared port, and gives each service the addresses
of what it depends on: SERVICE_HOST / SERVICE_PORT variables, and every "SERVICE:PORT" in its
environment values rewritten to the tunnel's host:port.
Every sandbox belongs to the app APP_NAME (one per stack), so stopping that app ends them all.
Markers: "[m-gpux] APP <app id>", "[m-gpux] SANDBOX <service> <sandbox id>", then
"[m-gpux] STACK <json>" once all started.
"""
import json
import os
import re
import sys
import threading
import time

import modal

APP_NAME = {{app_name}}
STACK_NAME = {{stack_name}}
# Start order: every service after what it depends on.
SERVICES = {{services}}
TIMEOUT_S = {{timeout_s}}


def _log(message):
    print("[m-gpux] %s" % message, flush=True)


def _image(service):
    if service["dockerfile"]:
        return modal.Image.from_dockerfile(service["dockerfile"], context_dir=service["context"])
    return modal.Image.from_registry(service["image"])


def _endpoint(tunnel):
    """host, port of a tunnel: the raw TCP socket when there is one, else the TLS one."""
    if tunnel.unencrypted_host:
        return tunnel.tcp_socket
    return tunnel.tls_socket


def _dependency_env(service, addresses):
    """The service's environment with its dependencies' addresses."""
    env = dict(service["env"])
    # Passwords and tokens come from this driver's environment (m-gpux sets them), not the script.
    env.update({name: os.environ.get(variable, "") for name, variable in service["secret_env"].items()})
    for dep in service["depends_on"]:
        for port, (host, public_port) in sorted(addresses.get(dep["service"], {}).items()):
            key = re.sub(r"[^A-Z0-9]", "_", dep["service"].upper())
            env.setdefault(key + "_HOST", host)
            env.setdefault(key + "_PORT", str(public_port))
            pattern = re.compile(r"(?<![\w.-])%s:%d(?!\d)" % (re.escape(dep["service"]), port))
            for name, value in env.items():
                env[name] = pattern.sub("%s:%d" % (host, public_port), value)
    return env


def _healthy(sandbox, check):
    """Probes until one passes; failures during start_period do not count, then `retries` may fail."""
    deadline = time.monotonic() + check["start_period_s"] + max(check["retries"], 1) * max(check["interval_s"], 1.0)
    while True:
        try:
            proc = sandbox.exec(*check["test"], timeout=max(int(check["timeout_s"]), 1))
            if proc.wait() == 0:
                return True
        except Exception:  # noqa: BLE001 - a failed probe is retried
            pass
        if sandbox.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(min(check["interval_s"], 5.0))


def up():
    app = modal.App.lookup(APP_NAME, create_if_missing=True)
    if app.app_id:
        _log("APP %s" % app.app_id)
    started, addresses, record = {}, {}, []
    for service in SERVICES:
        for dep in service["depends_on"]:
            target = started[dep["service"]]
            check = next(s["healthcheck"] for s in SERVICES if s["name"] == dep["service"])
            if dep["condition"] == "service_healthy" and check and not _healthy(target, check):
                _log("%s: %s is not healthy; starting it anyway" % (service["name"], dep["service"]))
        kwargs = dict(app=app, image=_image(service), env=_dependency_env(service, addresses), timeout=TIMEOUT_S,
                      encrypted_ports=service["http_ports"], unencrypted_ports=service["tcp_ports"])
        if service["gpu"]:
            kwargs["gpu"] = service["gpu"]
        sandbox = modal.Sandbox.create(*service["argv"], **kwargs)
        started[service["name"]] = sandbox
        _log("SANDBOX %s %s" % (service["name"], sandbox.object_id))
        tunnels = sandbox.tunnels() if service["http_ports"] or service["tcp_ports"] else {}
        addresses[service["name"]] = {port: _endpoint(t) for port, t in tunnels.items()}
        record.append(dict(service=service["name"], sandbox_id=sandbox.object_id,
                           tunnels={str(port): (t.url if not t.unencrypted_host else "tcp://%s:%d" % t.tcp_socket)
                                    for port, t in tunnels.items()}))
    print("[m-gpux] STACK %s" % json.dumps(record), flush=True)


def ps(ids):
    for service, sandbox_id in ids:
        code = modal.Sandbox.from_id(sandbox_id).poll()
        print(json.dumps(dict(service=service, sandbox_id=sandbox_id,
                              state="running" if code is None else "exited", exit_code=code)), flush=True)


def logs(sandbox_id, follow):
    sandbox = modal.Sandbox.from_id(sandbox_id)

    def pump(stream):
        for line in stream:
            sys.stdout.write(line)
            sys.stdout.flush()

    threads = [threading.Thread(target=pump, args=(s,), daemon=True) for s in (sandbox.stdout, sandbox.stderr)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(None if follow else 5.0)


def down(ids):
    for service, sandbox_id in ids:
        try:
            modal.Sandbox.from_id(sandbox_id).terminate()
            print("[m-gpux] TERMINATED %s %s" % (service, sandbox_id), flush=True)
        except Exception as exc:  # noqa: BLE001 - report it and go on with the others
            print("[m-gpux] FAILED %s %s %s" % (service, sandbox_id, exc), flush=True)


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else ""
    if action == "up":
        up()
    elif action == "ps":
        ps(json.loads(sys.argv[2]))
    elif action == "logs":
        logs(sys.argv[2], "--follow" in sys.argv[3:])
    elif action == "down":
        down(json.loads(sys.argv[2]))
    else:
        sys.exit("usage: driver.py up | ps IDS_JSON | logs ID [--follow] | down IDS_JSON")
