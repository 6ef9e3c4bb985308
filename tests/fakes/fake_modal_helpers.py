# SPDX-License-Identifier: MIT
"""Test-side helpers for the fake `modal` executable in this directory.

    fm = FakeModal(tmp / "fake-modal")
    env = {**base_env, **fm.env(), "PATH": f"{FakeModal.FAKES_DIR}:/usr/bin:/bin"}
    fm.set_tokens({"ak-1": ("as-1", "alice")})
    app_id = fm.add_app("m-gpux-llm-api", state="deployed")
    ... run the program under test ...
    assert fm.calls_of("app", "stop")[0]["argv"] == ["app", "stop", app_id, "--yes"]

state.json is shared with concurrently running fakes, so every write takes the
same lock file (state.lock, fcntl.flock) and replaces the file atomically.
"""
import contextlib
import json
import os
import sys
from pathlib import Path

FAKES_DIR = Path(__file__).resolve().parent
FAKE_MODAL = FAKES_DIR / "modal"

# One implementation of ids, times, TOML values, the lock and atomic writes:
# the fake's own (this directory is on sys.path wherever this module is).
sys.path.insert(0, str(FAKES_DIR))
from fake_modal_cli import _toml_str, _toml_value, atomic_write, file_lock, new_app_id, now_str  # noqa: E402


def strip_global_profile(argv):
    """argv without the global `--profile X` / `--profile=X` option."""
    result, i = [], 0
    while i < len(argv):
        if argv[i] == "--profile":
            i += 2
            continue
        if argv[i].startswith("--profile="):
            i += 1
            continue
        result.append(argv[i])
        i += 1
    return result


class FakeModal:
    FAKES_DIR = FAKES_DIR
    EXECUTABLE = FAKE_MODAL

    def __init__(self, home):
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.scenario_path = None

    # ---- environment

    def env(self):
        """Environment variables a process needs to use this fake's state."""
        env = {"FAKE_MODAL_HOME": str(self.home)}
        if os.environ.get("FAKE_MODAL_PYCACHE"):  # where the fake caches its compiled code
            env["FAKE_MODAL_PYCACHE"] = os.environ["FAKE_MODAL_PYCACHE"]
        if self.scenario_path is not None:
            env["FAKE_MODAL_SCENARIO"] = str(self.scenario_path)
        return env

    # ---- call records

    def calls(self):
        path = self.home / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def calls_of(self, *prefix):
        prefix = list(prefix)
        return [c for c in self.calls() if strip_global_profile(c["argv"])[:len(prefix)] == prefix]

    # ---- state

    @contextlib.contextmanager
    def locked_state(self):
        """Read-modify-write of state.json under the fake's lock; yields the dict."""
        with file_lock(self.home / "state.lock"):
            doc = self._read()
            yield doc
            self._write(doc)

    def _read(self):
        try:
            return json.loads((self.home / "state.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def _write(self, doc):
        atomic_write(self.home / "state.json", (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

    def state(self):
        with self.locked_state() as doc:
            return json.loads(json.dumps(doc))

    def save_state(self, doc):
        with self.locked_state() as current:
            current.clear()
            current.update(doc)

    # ---- apps

    def add_app(self, description, state="deployed", app_id=None, env="main", logs=None,
                workspace=None, **extra):
        """Adds an app record; workspace None makes it visible from every workspace."""
        app_id = app_id or new_app_id()
        record = {
            "app_id": app_id, "description": description, "state": state,
            "tasks": "1" if state.startswith("ephemeral") else "0", "created_at": now_str(),
            "stopped_at": now_str() if state == "stopped" else None, "env": env,
            "workspace": workspace, "logs": list(logs or []), "deployed": state == "deployed",
        }
        record.update(extra)
        with self.locked_state() as doc:
            doc.setdefault("apps", []).append(record)
        return app_id

    def apps(self):
        return self.state().get("apps", [])

    def app(self, app_id):
        return next((a for a in self.apps() if a.get("app_id") == app_id), None)

    def update_app(self, app_id, **fields):
        with self.locked_state() as doc:
            for a in doc.get("apps", []):
                if a.get("app_id") == app_id:
                    a.update(fields)

    def append_logs(self, app_id, lines):
        with self.locked_state() as doc:
            for a in doc.get("apps", []):
                if a.get("app_id") == app_id:
                    a.setdefault("logs", []).extend(lines)

    # ---- tokens, billing, secrets

    def set_tokens(self, tokens):
        """{token_id: (secret, workspace)}: from now on only these tokens authenticate."""
        with self.locked_state() as doc:
            doc["tokens"] = {tid: {"secret": sec, "workspace": ws} for tid, (sec, ws) in tokens.items()}

    def set_billing(self, workspace, rows):
        with self.locked_state() as doc:
            doc.setdefault("billing", {})[workspace] = list(rows)

    def secrets(self):
        return self.state().get("secrets", [])

    # ---- scenario

    def set_scenario(self, rules):
        """Writes the scenario file (resetting `times` counters); env() then names it."""
        self.scenario_path = self.home / "scenario.json"
        self.scenario_path.write_text(json.dumps({"rules": list(rules)}, indent=2), encoding="utf-8")
        with contextlib.suppress(FileNotFoundError):
            (self.home / "scenario_counts.json").unlink()

    def clear_scenario(self):
        self.scenario_path = None

    # ---- volumes

    def volume_dir(self, vol, env="main"):
        return self.home / "volumes" / env / vol

    def add_volume(self, vol, env="main"):
        path = self.volume_dir(vol, env)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def add_volume_file(self, vol, path, data, env="main"):
        target = self.add_volume(vol, env) / str(path).lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        target.write_bytes(data)
        return target

    # ---- ~/.modal.toml

    @staticmethod
    def write_modal_toml(path, profiles, active=None):
        """profiles: {name: {key: value}}; active names the one profile with active = true."""
        lines = []
        for name, table in profiles.items():
            lines.append(f"[{name}]" if all(c.isalnum() or c in "-_" for c in name) else f"[{_toml_str(name)}]")
            for k, v in table.items():
                if k == "active" and active is not None:
                    continue
                lines.append(f"{k} = {_toml_value(v)}")
            if active is not None and name == active:
                lines.append("active = true")
            lines.append("")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")
        return path
