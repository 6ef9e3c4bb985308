# SPDX-License-Identifier: MIT
"""modal.Secret stand-in: records where a secret comes from and its KEY NAMES, never values."""
import os

from ._state import STATE
from ._validate import check_object_name


class Secret:
    """Use the constructors (`from_dict`, `from_name`, ...), not `Secret()`."""

    def __init__(self, _record, _values=None):
        self._record = _record
        # Values are kept only in memory (a local run passes them to the container); they never reach
        # the record, the inspect output or any error message.
        self._values = dict(_values or {})
        STATE.secrets.append(_record)

    @property
    def object_id(self):
        return self._record["id"]

    def _shim_ref(self):
        ref = {"$secret": self._record["id"], "kind": self._record["kind"]}
        for key in ("name", "keys"):
            if key in self._record:
                ref[key] = list(self._record[key]) if key == "keys" else self._record[key]
        return ref

    def __repr__(self):
        return f"Secret({self._record['id']}, {self._record['kind']})"

    def hydrate(self, client=None):
        return self

    @staticmethod
    def _new(kind, **fields):
        record = {"id": STATE.next_id("st"), "kind": kind}
        record.update(fields)
        return record

    @staticmethod
    def from_dict(env_dict={}):  # noqa: B006 - Modal's signature
        where = "Secret.from_dict"
        if not isinstance(env_dict, dict):
            STATE.error("invalid_secret", f"Secret.from_dict expects a dict, not {type(env_dict).__name__}.", where)
            env_dict = {}
        keys, values = [], {}
        for key, value in env_dict.items():
            if value is None:
                continue  # Modal drops None values
            if not isinstance(key, str) or not isinstance(value, str):
                STATE.error(
                    "invalid_secret",
                    f"Secret.from_dict: the key {key!r} must be a str with a str value (got a {type(value).__name__}).",
                    where,
                )
                continue
            keys.append(key)
            values[key] = value
        return Secret(Secret._new("from_dict", keys=keys), values)

    @staticmethod
    def from_name(name, *, environment_name=None, required_keys=[], client=None):  # noqa: B006
        where = f"Secret.from_name({name!r})"
        check_object_name(name, "Secret", where)
        if not isinstance(required_keys, (list, tuple)) or not all(isinstance(k, str) for k in required_keys):
            STATE.error("invalid_secret", "`required_keys` must be a list of str.", where)
            required_keys = []
        from . import _local

        return Secret(
            Secret._new(
                "from_name",
                name=name if isinstance(name, str) else repr(name),
                environment_name=environment_name,
                required_keys=list(required_keys),
            ),
            _local.NAMED_SECRETS.get(name) if _local.running_locally() else None,
        )

    @staticmethod
    def from_local_environ(env_keys):
        """Modal 1.5: the values of `env_keys` from the environment of the process that imports the
        script (the user's `modal`), as an ephemeral secret; inside a container it is empty."""
        where = "Secret.from_local_environ"
        if isinstance(env_keys, str) or not all(isinstance(k, str) for k in env_keys):
            STATE.error("invalid_secret", "Secret.from_local_environ expects a list of environment variable names.", where)
            env_keys = [env_keys] if isinstance(env_keys, str) else []
        keys = list(env_keys)
        if os.environ.get("MODAL_IS_REMOTE") == "1":
            return Secret(Secret._new("from_local_environ", keys=keys), {})
        missing = [k for k in keys if k not in os.environ]
        if missing:
            STATE.error(
                "secret_env_missing",
                f"Could not find local environment variable '{missing[0]}' for Secret.from_local_environ.",
                where,
            )
        values = {k: os.environ[k] for k in keys if k in os.environ}
        return Secret(Secret._new("from_local_environ", keys=keys), values)

    @staticmethod
    def from_dotenv(path=None, *, filename=".env", client=None):
        where = "Secret.from_dotenv"
        if path is None:
            target = os.path.join(os.getcwd(), filename)
        else:
            path = os.fspath(path)
            target = os.path.join(path, filename) if os.path.isdir(path) else path
        target = os.path.abspath(os.path.expanduser(target))
        keys, values = [], {}
        if os.path.isfile(target):
            values = _read_dotenv(target)
            keys = list(values)
        else:
            STATE.warn("dotenv_missing", f"Secret.from_dotenv: {target} does not exist; the secret will be empty.", where)
        return Secret(Secret._new("from_dotenv", path=target, keys=keys), values)


def _read_dotenv(path):
    values = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            if line.startswith("export "):
                line = line[len("export "):].lstrip()
            key, _, value = line.partition("=")
            key, value = key.strip(), value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            if key:
                values[key] = value
    return values
