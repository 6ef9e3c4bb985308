# SPDX-License-Identifier: MIT
"""One function call in a bubblewrap "container", and the code that runs inside it.

The container sees this machine's system read-only (/usr, /etc), a private /tmp and /root, the
image's local files read-only at their remote paths, each Volume's folder (under
$MGPUX_LOCAL_HOME/volumes/<name>) writable at its mount path, and NVIDIA devices when present.
Everything else (the user's home, the run directory) is absent; the root is read-only.
"""
import glob
import inspect
import json
import os
import pickle
import shutil
import socket
import subprocess
import sys
import time
import traceback

RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXCHANGE = "/__mgpux__"  # the call's folder inside the container: spec, arguments, result
SYSTEM_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


class ContainerUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


def bwrap_program():
    path = shutil.which("bwrap")
    if not path:
        raise ContainerUnavailable("bubblewrap (bwrap) is not installed; install it (Debian: apt install bubblewrap)")
    return path


def check_namespaces(bwrap):
    probe = subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-all", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise ContainerUnavailable("bubblewrap cannot create a namespace here (%s); enable unprivileged user "
                                   "namespaces (sysctl kernel.unprivileged_userns_clone=1)" % probe.stderr.strip())


def _system_binds():
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in SYSTEM_DIRS:
        path = "/" + name
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _python_binds():
    """This Python and the runtime, where they live outside /usr (after /root's tmpfs: pyenv)."""
    args = []
    for prefix in sorted({os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix), RUNTIME_DIR}):
        if prefix != "/usr" and not prefix.startswith("/usr/"):
            args += ["--ro-bind", prefix, prefix]
    return args


def _gpu_binds():
    args = []
    for dev in sorted(glob.glob("/dev/nvidia*")):
        args += ["--dev-bind", dev, dev]
    return args


def bwrap_command(bwrap, *, call_dir, mounts, volumes, env, cwd):
    """The argv that runs `python -m modal_shim _container` for the call in call_dir.

    mounts: [(host path, remote path)] read-only; volumes: [(host dir, mount path)] writable.
    """
    args = [bwrap, "--unshare-all", "--share-net", "--die-with-parent", "--new-session", "--clearenv"]
    args += _system_binds()
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm", "--tmpfs", "/tmp", "--tmpfs", "/root"]
    args += _python_binds()
    args += _gpu_binds()
    for host, remote in mounts:
        args += ["--ro-bind", host, remote]
    for host, remote in volumes:
        args += ["--bind", host, remote]
    args += ["--bind", call_dir, EXCHANGE, "--remount-ro", "/", "--chdir", cwd]
    for key, value in env.items():
        args += ["--setenv", key, value]
    args += [sys.executable, "-m", "modal_shim", "_container", EXCHANGE + "/spec.json"]
    return args


# -- inside the container -------------------------------------------------------------------------


def _load_function(spec):
    from modal import _local

    _local.MODE = "container"
    sys.path.insert(0, os.path.dirname(spec["script"]))
    from modal_shim.__main__ import _import_script

    module = _import_script(spec["script"])
    for candidate in vars(module).values():
        if getattr(candidate, "_objects", None) is not None and getattr(candidate, "name", None) == spec["function"]:
            return candidate
    raise LookupError("function %s is not defined by %s" % (spec["function"], spec["script"]))


def _write_result(payload):
    path = os.path.join(EXCHANGE, "result.pkl")
    with open(path + ".tmp", "wb") as fh:
        try:
            pickle.dump(payload, fh)
        except Exception as exc:  # noqa: BLE001 - an unpicklable result or exception
            fh.seek(0)
            fh.truncate()
            pickle.dump(("error", RuntimeError("the result could not be sent back: %s" % exc)), fh)
    os.replace(path + ".tmp", path)


def _serve_forever():
    while True:
        time.sleep(3600)


def _serve_wsgi(app, port):
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
    from socketserver import ThreadingMixIn

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    make_server("127.0.0.1", port, app, server_class=Server, handler_class=WSGIRequestHandler).serve_forever()


def _serve_asgi(app, port):
    try:
        import uvicorn
    except ImportError:
        print("[m-gpux] an ASGI app needs uvicorn locally (Debian: apt install python3-uvicorn)", file=sys.stderr)
        sys.exit(1)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def container_main(spec_path):
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    function = _load_function(spec)
    raw = function.get_raw_f()
    kind = spec["kind"]
    if kind == "web_server":
        raw()
        _serve_forever()
    if kind in ("asgi", "wsgi"):
        app = raw()
        (_serve_asgi if kind == "asgi" else _serve_wsgi)(app, spec["port"])
        return 0
    with open(os.path.join(EXCHANGE, "args.pkl"), "rb") as fh:
        args, kwargs = pickle.load(fh)
    try:
        value = raw(*args, **kwargs)
        if inspect.isgenerator(value):
            value = list(value)  # a generator cannot cross the process boundary; its values can
        _write_result(("ok", value))
        return 0
    except BaseException as exc:  # noqa: BLE001 - sent back to the caller, like Modal
        traceback.print_exc()
        _write_result(("error", exc))
        return 1


def wait_for_port(port, proc, timeout_s):
    """True once 127.0.0.1:port accepts; False when proc ends first or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def port_in_use(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
