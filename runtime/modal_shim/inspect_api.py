# SPDX-License-Identifier: MIT
"""Test helper: run `python -m modal_shim inspect` in a subprocess and return the report.

    from modal_shim.inspect_api import inspect_script
    report = inspect_script(script_text_or_path)
    report["functions"][0]["gpu"]

Report shape (all JSON): app {name, tags}; apps [...]; images [{id, base, steps [{op, args,
kwargs, ...}], used}]; volumes [{id, name, create_if_missing, environment_name, version,
mounts}]; secrets [{id, kind, name?, keys?, ...}] (never values); functions [{name, kind,
gpu, cpu, memory, timeout, min_containers, max_containers, scaledown_window, volumes
{path: name}, secrets, image, concurrent, web, runnable_by_modal_run, kwargs, ...}];
local_entrypoints; classes; sandboxes; modal_run {runnable, target, candidates, reason};
warnings / errors [{code, message, where, location}].
"""
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass

SUPPORT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PYTHON = "/usr/bin/python3"


class InspectError(RuntimeError):
    def __init__(self, returncode, stdout, stderr):
        super().__init__(f"modal_shim inspect exited {returncode}\n--- stderr ---\n{stderr}")
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


@dataclass
class InspectRun:
    returncode: int
    stdout: str
    stderr: str
    report: object  # the parsed JSON document, or None when the command failed

    @property
    def ok(self):
        return self.returncode == 0


def _is_path(text_or_path):
    if isinstance(text_or_path, os.PathLike):
        return True
    return isinstance(text_or_path, str) and "\n" not in text_or_path and os.path.isfile(text_or_path)


def run_inspect(text_or_path, *, cwd=None, env=None, python=None, filename="modal_runner.py", timeout=60):
    """Runs the inspect CLI on a script (a path, or the script's source text).

    Source text is written to `filename` in a fresh temporary directory. `cwd` (where relative
    local paths resolve) defaults to the script's directory. `env` entries are added to the
    current environment (MODAL_IS_REMOTE is removed unless given explicitly).
    """
    with tempfile.TemporaryDirectory(prefix="modal-shim-") as tmp:
        if _is_path(text_or_path):
            script = os.path.abspath(os.fspath(text_or_path))
        else:
            script = os.path.join(tmp, filename)
            with open(script, "w", encoding="utf-8") as fh:
                fh.write(text_or_path)
        child_env = dict(os.environ)
        child_env.pop("MODAL_IS_REMOTE", None)
        child_env["PYTHONPATH"] = SUPPORT_DIR
        child_env["PYTHONDONTWRITEBYTECODE"] = "1"
        child_env.update(env or {})
        proc = subprocess.run(
            [python or DEFAULT_PYTHON, "-B", "-m", "modal_shim", "inspect", script, "--json"],
            cwd=cwd or os.path.dirname(script),
            env=child_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    report = None
    if proc.returncode == 0:
        report = json.loads(proc.stdout)
    return InspectRun(proc.returncode, proc.stdout, proc.stderr, report)


def inspect_script(text_or_path, **kwargs):
    """The inspect report as Python objects; raises InspectError (with stderr) if it failed."""
    run = run_inspect(text_or_path, **kwargs)
    if run.returncode != 0:
        raise InspectError(run.returncode, run.stdout, run.stderr)
    return run.report


def error_codes(report):
    return [e["code"] for e in report["errors"]]


def warning_codes(report):
    return [w["code"] for w in report["warnings"]]


def function(report, name):
    for fn in report["functions"]:
        if fn["name"] == name:
            return fn
    raise KeyError(f"no function {name!r} in the report (have {[f['name'] for f in report['functions']]})")


def image(report, image_id):
    for im in report["images"]:
        if im["id"] == image_id:
            return im
    raise KeyError(f"no image {image_id!r} in the report")
