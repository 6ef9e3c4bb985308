# SPDX-License-Identifier: MIT
"""End-to-end harness: runs the built m-gpux in a clean environment (its own
HOME, state, XDG directories and a fake `modal` first on PATH) and captures stdout, stderr and the exit code.

CTest passes the locations through the environment:
  MGPUX_TEST_BIN         the m-gpux executable
  MGPUX_TEST_PLUGIN_DIR  the build tree's plugin directory
  MGPUX_TEST_FIXTURES    the ABI fixture plugins (one directory each)
  MGPUX_TEST_SOURCE_DIR  the source tree
"""
import json
import os
import shutil
import signal
import sys
import subprocess
import tempfile
import unittest
from dataclasses import dataclass
from pathlib import Path

BIN = Path(os.environ.get("MGPUX_TEST_BIN", "build/release/bin/m-gpux")).resolve()
PLUGIN_DIR = Path(os.environ.get("MGPUX_TEST_PLUGIN_DIR", "build/release/lib/m-gpux/plugins")).resolve()
FIXTURES = Path(os.environ.get("MGPUX_TEST_FIXTURES", "build/release/tests/abi/fixtures")).resolve()
SOURCE_DIR = Path(os.environ.get("MGPUX_TEST_SOURCE_DIR", ".")).resolve()
FAKES_DIR = SOURCE_DIR / "tests" / "fakes"
# The stand-in `modal` package and its CLI (modal_shim) ship as the local runtime; tests
# put this folder on PYTHONPATH to inspect rendered scripts with it.
RUNTIME_DIR = SOURCE_DIR / "runtime"
SUPPORT_DIR = RUNTIME_DIR
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
# The variables m-gpux gives the `modal` child for the scripts' ephemeral secrets.
SESSION_SECRET_ENV = ("JUPYTER_TOKEN", "TTYD_CREDENTIAL", "VLLM_API_KEY", "HF_TOKEN")

sys.path.insert(0, str(FAKES_DIR))
from fake_modal_helpers import FakeModal  # noqa: E402


def run_checked(*cmd, **kw):
    """Runs a build tool; its stdout, or an AssertionError carrying all it printed."""
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def module_literals(text):
    """{NAME: value} of a script's module-level `NAME = <literal>` assignments."""
    import ast
    out = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


class MgpuxTestCase(unittest.TestCase):
    """Each test gets its own HOME, state and XDG directories in a temp dir."""

    maxDiff = None

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="mgpux-e2e-"))
        self.home = self.tmp / "home"
        self.home.mkdir()
        # The temporary directory of every process a test starts: it must be
        # empty again when the test ends (see tearDown).
        self.child_tmp = self.tmp / "tmp"
        self.child_tmp.mkdir()
        self.fake = FakeModal(self.tmp / "fake-modal")
        self.toml = self.home / ".modal.toml"
        self.state_dir = self.home / ".m-gpux"
        self.env = {
            "HOME": str(self.home),
            "MGPUX_HOME": str(self.home / ".m-gpux"),
            "MODAL_CONFIG_PATH": str(self.home / ".modal.toml"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "PATH": f"{FAKES_DIR}:{SYSTEM_PATH}",
            "LANG": "C.UTF-8",
            "MGPUX_PLUGIN_PATH": str(PLUGIN_DIR),
            "TMPDIR": str(self.child_tmp),
        }
        self.env.update(self.fake.env())

    def tearDown(self):
        left = sorted(str(p.relative_to(self.child_tmp)) for p in self.child_tmp.rglob("*")) \
            if self.child_tmp.is_dir() else []
        shutil.rmtree(self.tmp, ignore_errors=True)
        # m-gpux and its children (the fake modal, helpers) must clean up after themselves.
        self.assertEqual(left, [], "files left in the temporary directory of the processes this test ran")

    def run_mgpux(self, *args, env=None, unset=(), stdin_text=None, timeout=60, cwd=None, binary=None):
        """Runs m-gpux with `args`; stdin is /dev/null unless stdin_text is given."""
        child_env = dict(self.env)
        child_env.update(self.fake.env())  # a scenario set after setUp
        child_env.update(env or {})
        for key in unset:
            child_env.pop(key, None)
        proc = subprocess.run(
            [str(binary or BIN), *map(str, args)],
            env=child_env,
            cwd=str(cwd or self.tmp),
            input=stdin_text,
            stdin=subprocess.DEVNULL if stdin_text is None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def inspect_rendered(self, script):
        """The modal stand-in's report on a rendered script, imported in this process; it must
        have no validation errors."""
        if str(SUPPORT_DIR) not in sys.path:
            sys.path.insert(0, str(SUPPORT_DIR))
        from modal_shim.inspect_api import inspect_script
        path = self.tmp / "inspect_me.py"
        path.write_text(script, encoding="utf-8")
        # Imported as `modal` imports it when m-gpux launches it: the session's credentials are
        # in the environment for the scripts' Secret.from_local_environ (placeholders here).
        wanted = list(SESSION_SECRET_ENV) + list(module_literals(script).get("SECRET_VARS") or [])
        placeholders = {k: "placeholder" for k in wanted if k not in os.environ}
        os.environ.update(placeholders)
        try:
            report = inspect_script(path)
        finally:
            for key in placeholders:
                os.environ.pop(key, None)
        self.assertEqual(report["errors"], [])
        return report

    def write_two_profiles(self, alice_secret="as-alice", work_secret="as-work"):
        """The usual profile file of these tests: alice (active) and work."""
        self.fake.write_modal_toml(self.toml, {
            "alice": {"token_id": "ak-alice", "token_secret": alice_secret},
            "work": {"token_id": "ak-work", "token_secret": work_secret},
        }, active="alice")

    def publish_image(self, name, profiles=("alice", "work"), python="3.11"):
        """Records `name` in images.json as published to `profiles`."""
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        path = self.state_dir / "images.json"
        path.write_text(json.dumps({name: {"profiles": list(profiles), "python": python, "summary": "debian_slim",
                                           "updated_at": "2026-12-01T10:00:00Z"}}), encoding="utf-8")
        path.chmod(0o600)

    def over_budget(self, budgets_json, workspace="work", cost="31"):
        """Writes budgets.json and gives `workspace` one billing row of `cost` this month."""
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        (self.state_dir / "budgets.json").write_text(budgets_json, encoding="utf-8")
        (self.state_dir / "budgets.json").chmod(0o600)
        self.fake.set_billing(workspace, [{"object_id": "ap-" + "x" * 22, "description": "trainer",
                                           "environment": "main", "interval_start": "2026-12-03T00:00:00",
                                           "cost": cost}])

    def from_name_literals(self, script):
        """The string literals passed to `modal.Image.from_name(...)` in a
        rendered script, found by parsing it (not by searching its text)."""
        import ast
        names = []
        for node in ast.walk(ast.parse(script)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "from_name"
                    and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "Image"):
                names.extend(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
        return names

    def run_on_pty(self, args, keystrokes, timeout=20):
        """Runs m-gpux on a pseudo-terminal, typing each keystroke when the
        output has been quiet for a moment. Returns (exit code, output)."""
        import pty
        import select
        import time
        env = dict(self.env)
        env.update(self.fake.env())
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(str(self.tmp))
            os.execve(str(BIN), [str(BIN), *map(str, args)], env)
        output = b""
        deadline = time.time() + timeout
        pending = list(keystrokes)
        ended = False  # the program closed the terminal (it is exiting)
        while time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.3)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    ended = True
                    break
                if not chunk:
                    ended = True
                    break
                output += chunk
            elif pending:
                os.write(fd, pending.pop(0))
        done, status = os.waitpid(pid, 0 if ended else os.WNOHANG)
        if done == 0:
            # Still running at the deadline (a question no keystroke answered):
            # end it, so the test fails on its output instead of hanging.
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            output += b"\n[harness: killed after the " + str(timeout).encode() + b" s deadline]\n"
        os.close(fd)
        return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")

    def modal_calls(self):
        """The fake modal's call log: a list of {"argv", "env", "cwd", ...}."""
        return self.fake.calls()

    def fixture_dir(self, name):
        path = FIXTURES / name
        self.assertTrue(path.is_dir(), f"fixture {name} was not built at {path}")
        return path

    def assertPlainNumbers(self, json_text):
        """No number of a JSON text is in exponent notation (1.575E1 for 15.75)."""
        import re
        outside_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', json_text)
        self.assertNotRegex(outside_strings, r"\d[eE][+-]?\d", "a number in exponent notation")

    def assertExit(self, result, code):
        self.assertEqual(result.code, code, f"exit {result.code}, expected {code}\n"
                                            f"stdout:\n{result.out}\nstderr:\n{result.err}")


def main():
    unittest.main(verbosity=2)
