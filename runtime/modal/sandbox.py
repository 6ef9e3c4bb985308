"""modal.Sandbox stand-in: `Sandbox.create(...)` is recorded, nothing runs."""
from ._state import STATE, jsonable, user_location
from ._tunnel import Tunnel
from ._validate import check_gpu, check_mount_points, check_timeout
from .image import Image


class _Stream:
    def read(self):
        return ""

    def __iter__(self):
        return iter(())


class _Process:
    def __init__(self):
        self.stdout = _Stream()
        self.stderr = _Stream()
        self.returncode = 0

    def wait(self):
        return 0

    def poll(self):
        return 0


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
               client=None, environment_name=None, pty_info=None):
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
        STATE.sandboxes.append(record)
        return Sandbox(record)

    def wait(self, raise_on_termination=True):
        self.returncode = 0

    def poll(self):
        return self.returncode

    def terminate(self):
        self.returncode = 0
        self._record["terminated"] = True

    @staticmethod
    def from_id(sandbox_id, client=None):
        """A handle on an existing sandbox (recorded; the stand-in knows no real ones)."""
        if not isinstance(sandbox_id, str) or not sandbox_id:
            raise TypeError("Sandbox.from_id: `sandbox_id` must be a non-empty string")
        record = {"id": sandbox_id, "looked_up": True, "location": user_location()}
        STATE.sandboxes.append(record)
        return Sandbox(record)

    def exec(self, *args, **kwargs):
        return _Process()

    def tunnels(self, timeout=50):
        """{port: Tunnel} for the declared ports, with placeholder addresses (nothing is relayed)."""
        out = {}
        for i, port in enumerate(self._record.get("encrypted_ports") or []):
            out[port] = Tunnel(f"{self.object_id}-{i}.sandbox.invalid", 443, "", 0)
        for i, port in enumerate(self._record.get("unencrypted_ports") or []):
            out[port] = Tunnel(f"{self.object_id}-t{i}.sandbox.invalid", 443, f"{self.object_id}-t{i}.tcp.invalid", 40000 + i)
        return out
