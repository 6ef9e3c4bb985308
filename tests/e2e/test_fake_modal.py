# SPDX-License-Identifier: MIT
"""Self-test of the fake `modal` executable (tests/fakes/modal) and its helper module.

Runs the fake directly, without m-gpux, in a clean environment.
"""
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import unittest
from pathlib import Path

FAKES = Path(__file__).resolve().parents[1] / "fakes"
sys.dont_write_bytecode = True
sys.path.insert(0, str(FAKES))
from fake_modal_helpers import FakeModal  # noqa: E402

MODAL = FAKES / "modal"
APP_ID = re.compile(r"ap-[A-Za-z0-9]{22}")

SCRIPT = '''import modal

app = modal.App("m-gpux-jupyter")


@app.function(
    gpu="A10G",
    timeout=3600,
)
def run_jupyter():
    print("hi")


@app.local_entrypoint()
def main():
    run_jupyter.remote()
'''

WEB_SCRIPT = '''import modal

app = modal.App('m-gpux-llm-api')


@app.function()
@modal.web_server(8000)
def serve():
    pass


@app.function()
@modal.asgi_app(label="custom")
def api():
    pass
'''


class FakeModalTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="fake-modal-test-"))
        self.home = self.tmp / "home"
        self.home.mkdir()
        self.fm = FakeModal(self.tmp / "fake")
        self.toml = self.home / ".modal.toml"
        FakeModal.write_modal_toml(self.toml, {
            "alice": {"token_id": "ak-alice", "token_secret": "as-alice"},
            "bob": {"token_id": "ak-bob", "token_secret": "as-bob"},
        }, active="alice")
        self.work = self.tmp / "work"
        self.work.mkdir()

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self, extra=None):
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.home), "MODAL_CONFIG_PATH": str(self.toml),
               "LANG": "C.UTF-8"}
        env.update(self.fm.env())
        env.update(extra or {})
        return {k: v for k, v in env.items() if v is not None}

    def modal(self, *args, env=None, stdin=None, timeout=20):
        proc = subprocess.run([str(MODAL), *map(str, args)], env=self.env(env), cwd=self.work,
                              input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)
        return proc

    def popen(self, *args, env=None):
        return subprocess.Popen([str(MODAL), *map(str, args)], env=self.env(env), cwd=self.work,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def assertExit(self, proc, code):
        self.assertEqual(proc.returncode, code, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")

    def write(self, name, text):
        path = self.work / name
        path.write_text(text)
        return path


class LineReader:
    """Reads a child's stdout in a thread so a test can wait for a line with a deadline."""

    def __init__(self, stream):
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream):
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r}; saw {self.seen!r}")

    def rest(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
        return "".join(self.seen)


class Basics(FakeModalTest):
    def test_version_and_missing_home(self):
        r = self.modal("--version")
        self.assertExit(r, 0)
        self.assertEqual(r.stdout, "modal client version: 1.5.4\n")
        r = self.modal("--version", env={"FAKE_MODAL_VERSION": "1.3.2"})
        self.assertEqual(r.stdout, "modal client version: 1.3.2\n")
        r = self.modal("--version", env={"FAKE_MODAL_HOME": None})
        self.assertExit(r, 2)
        self.assertIn("FAKE_MODAL_HOME", r.stderr)

    def test_unknown_commands_are_usage_errors(self):
        for args, word in ((["frobnicate"], "frobnicate"), (["app", "history", "x"], "app history"),
                           (["app", "nope"], "nope"), (["app", "list", "--bogus"], "--bogus"), ([], "Missing")):
            r = self.modal(*args)
            self.assertExit(r, 2)
            self.assertIn("Usage:", r.stderr)
            self.assertIn(word, r.stderr)
        r = self.modal("billing", "summary", "--json", env={"FAKE_MODAL_VERSION": "1.4.0"})
        self.assertExit(r, 2)


class Recording(FakeModalTest):
    def test_record_fields_and_env_filter(self):
        r = self.modal("app", "list", "--json", env={
            "MODAL_PROFILE": "bob", "MODAL_TOKEN_SECRET": "sekrit-value", "PYTHONUTF8": "1",
            "PYTHONIOENCODING": "utf-8", "UNRELATED": "x", "MODAL_TOKEN_ID": "ak-bob"})
        self.assertExit(r, 0)
        [call] = self.fm.calls()
        self.assertEqual(call["argv"], ["app", "list", "--json"])
        self.assertEqual(call["cwd"], str(self.work))
        self.assertEqual(call["env"], {"MODAL_PROFILE": "bob", "MODAL_TOKEN_SECRET": "<redacted>",
                                       "MODAL_TOKEN_ID": "ak-bob", "PYTHONUTF8": "1",
                                       "PYTHONIOENCODING": "utf-8",
                                       "MODAL_CONFIG_PATH": str(self.toml)})
        self.assertIs(call["stdin_tty"], False)
        self.assertEqual(call["profile"], "bob")
        self.assertIsNone(call["rule"])
        self.assertIsInstance(call["pid"], int)
        self.assertAlmostEqual(call["ts"], time.time(), delta=30)
        self.assertNotIn("sekrit-value", (self.fm.home / "calls.jsonl").read_text())

    def test_script_snapshot(self):
        script = self.write("modal_runner.py", SCRIPT)
        r = self.modal("run", "--detach", "modal_runner.py")
        self.assertExit(r, 0)
        script.write_text("changed afterwards\n")
        [call] = self.fm.calls_of("run")
        self.assertEqual(call["script"]["path"], str(script))
        self.assertEqual(Path(call["script"]["copy"]).read_text(), SCRIPT)
        self.assertTrue(call["script"]["copy"].startswith(str(self.fm.home / "snapshots")))
        import hashlib
        self.assertEqual(call["script"]["sha256"], hashlib.sha256(SCRIPT.encode()).hexdigest())

    def test_secret_values_never_recorded(self):
        dotenv = self.write(".env", "# comment\nexport HF_TOKEN=hf-dotenv-secret-value\nOTHER=zzz-other-value\n")
        os.chmod(dotenv, 0o640)
        r = self.modal("secret", "create", "hf", "API_KEY=kv-secret-value", "--from-dotenv", str(dotenv),
                       "--profile", "bob")
        self.assertExit(r, 0)
        self.assertIn("Created a new secret 'hf' with the keys 'API_KEY', 'HF_TOKEN', 'OTHER'", r.stdout)
        [call] = self.fm.calls_of("secret", "create")
        self.assertEqual(call["argv"], ["secret", "create", "hf", "API_KEY=<redacted>", "--from-dotenv",
                                        str(dotenv), "--profile", "bob"])
        self.assertEqual(call["secret"], {"name": "hf", "keys": ["API_KEY", "HF_TOKEN", "OTHER"],
                                          "from_dotenv": str(dotenv), "dotenv_mode": "0640",
                                          "from_json": None})
        for path in self.fm.home.rglob("*"):
            if path.is_file():
                text = path.read_text(errors="replace")
                for value in ("kv-secret-value", "hf-dotenv-secret-value", "zzz-other-value"):
                    self.assertNotIn(value, text, path)
        [secret] = self.fm.secrets()
        self.assertEqual(secret["keys"], ["API_KEY", "HF_TOKEN", "OTHER"])
        self.assertEqual(secret["workspace"], "bob")

    def test_call_is_recorded_before_a_hang(self):
        self.fm.set_scenario([{"match": ["app", "list"], "hang": True}])
        p = self.popen("app", "list", "--json")
        deadline = time.monotonic() + 10
        while not self.fm.calls() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(self.fm.calls()[0]["rule"], 0)
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(timeout=10), 143)
        p.stdout.close()
        p.stderr.close()


class Profiles(FakeModalTest):
    def test_resolution_order(self):
        self.assertEqual(self.modal("profile", "current").stdout, "alice\n")
        self.assertEqual(self.modal("profile", "current", env={"MODAL_PROFILE": "bob"}).stdout, "bob\n")
        self.assertEqual(self.modal("profile", "current", "--profile=bob").stdout, "bob\n")
        self.assertEqual(self.modal("--profile", "bob", "profile", "current",
                                    env={"MODAL_PROFILE": "alice"}).stdout, "bob\n")
        self.assertEqual([c["profile"] for c in self.fm.calls()], ["alice", "bob", "bob", "bob"])

    def test_workspace_follows_profile(self):
        self.write("r.py", SCRIPT)
        r = self.modal("run", "r.py", "--profile=bob")
        self.assertIn("https://modal.com/apps/bob/main/ap-", r.stdout)

    def test_unknown_profile_and_missing_token(self):
        r = self.modal("app", "list", env={"MODAL_PROFILE": "carol"})
        self.assertExit(r, 1)
        self.assertIn("Modal profile 'carol' was not found in", r.stderr)
        self.assertIn("Error", r.stderr.splitlines()[0])
        r = self.modal("app", "list", "--profile", "carol",
                       env={"MODAL_TOKEN_ID": "ak-x", "MODAL_TOKEN_SECRET": "as-x"})
        self.assertExit(r, 0)
        FakeModal.write_modal_toml(self.toml, {"alice": {"environment": "dev"}}, active="alice")
        r = self.modal("app", "list")
        self.assertExit(r, 1)
        self.assertIn("Token missing", r.stderr)

    def test_none_or_several_active(self):
        FakeModal.write_modal_toml(self.toml, {"a": {"token_id": "1", "token_secret": "2"},
                                               "b": {"token_id": "3", "token_secret": "4"}})
        r = self.modal("app", "list", "--json")
        self.assertExit(r, 1)
        self.assertIn("No Modal profile is active.", r.stderr)
        self.assertIsNone(self.fm.calls()[-1]["profile"])
        self.assertExit(self.modal("app", "list", "--json", env={"MODAL_PROFILE": "a"}), 0)
        FakeModal.write_modal_toml(self.toml, {"a": {"active": True}, "b": {"active": True}})
        r = self.modal("profile", "current")
        self.assertExit(r, 1)
        self.assertIn("More than one Modal profile is active", r.stderr)

    def test_tokens_map(self):
        self.fm.set_tokens({"ak-alice": ("as-alice", "alice-ws")})
        r = self.modal("profile", "list", "--json")
        self.assertExit(r, 0)
        self.assertEqual(json.loads(r.stdout), [
            {"name": "alice", "workspace": "alice-ws", "active": True},
            {"name": "bob", "workspace": "Unknown (authentication failure)", "active": False}])
        self.assertExit(self.modal("app", "list", "--profile", "bob"), 1)
        self.write("r.py", SCRIPT)
        self.assertIn("apps/alice-ws/main/", self.modal("run", "r.py").stdout)
        r = self.modal("profile", "list", "--json",
                       env={"MODAL_TOKEN_ID": "ak-alice", "MODAL_TOKEN_SECRET": "as-alice"})
        self.assertIn("Using alice-ws workspace based on environment variables", r.stdout)

    def test_activate_rewrites_toml(self):
        self.toml.write_text("# my comment\n" + self.toml.read_text())
        r = self.modal("profile", "activate", "bob")
        self.assertExit(r, 0)
        self.assertEqual(r.stdout, "Active profile: bob\n")
        text = self.toml.read_text()
        self.assertNotIn("# my comment", text)
        doc = tomllib.loads(text)
        self.assertEqual(doc["bob"], {"token_id": "ak-bob", "token_secret": "as-bob", "active": True})
        self.assertNotIn("active", doc["alice"])
        r = self.modal("profile", "activate", "nobody")
        self.assertExit(r, 1)
        self.assertIn(f"No profile named 'nobody' found in {self.toml}", r.stderr)

    def test_token_set(self):
        self.fm.set_tokens({"ak-new": ("as-new", "newws")})
        r = self.modal("token", "set", "--token-id", "ak-new", "--token-secret", "as-new")
        self.assertExit(r, 0)
        self.assertEqual(r.stdout.splitlines(), [
            "Verifying token against https://api.modal.com", "Token verified successfully!",
            f"Token written to {self.toml} in profile newws."])
        doc = tomllib.loads(self.toml.read_text())
        self.assertTrue(doc["newws"]["active"])
        self.assertNotIn("active", doc["alice"])
        r = self.modal("token", "set", "--token-id", "ak-bad", "--token-secret", "x", "--profile=z")
        self.assertExit(r, 1)
        r = self.modal("token", "set", "--token-id", "ak-bad", "--token-secret", "x", "--profile=z",
                       "--no-verify", "--no-activate")
        self.assertExit(r, 0)
        self.assertEqual(r.stdout, f"Token written to {self.toml} in profile z.\n")
        doc = tomllib.loads(self.toml.read_text())
        self.assertEqual(doc["z"], {"token_id": "ak-bad", "token_secret": "x"})
        self.assertTrue(doc["newws"]["active"])


class RunServeDeploy(FakeModalTest):
    def test_run_detached_creates_app(self):
        self.write("modal_runner.py", SCRIPT)
        r = self.modal("run", "-d", "modal_runner.py")
        self.assertExit(r, 0)
        lines = r.stdout.splitlines()
        m = re.fullmatch(r"✓ Initialized\. View run at https://modal\.com/apps/alice/main/(ap-[A-Za-z0-9]{22})",
                         lines[0])
        self.assertIsNotNone(m, lines[0])
        self.assertEqual(lines[1], "✓ Created objects.")
        self.assertIn("└── 🔨 Created function run_jupyter.", lines)
        self.assertTrue(lines[-1].startswith("✓ App completed. View run at"))
        [app] = self.fm.apps()
        self.assertEqual(app["app_id"], m.group(1))
        self.assertEqual(app["description"], "m-gpux-jupyter")
        self.assertEqual(app["state"], "stopped")
        self.assertEqual(app["env"], "main")

    def test_hang_then_sigint_keeps_detached_app(self):
        self.write("modal_runner.py", SCRIPT)
        self.fm.set_scenario([{"match": ["run"], "hang": True,
                               "container_output": ["[JUPYTER READY] https://abc.r5.modal.host"]}])
        p = self.popen("run", "--detach", "modal_runner.py", env={"MODAL_ENVIRONMENT": "dev"})
        reader = LineReader(p.stdout)
        first = reader.wait_for(r"View run at")
        app_id = APP_ID.search(first).group(0)
        reader.wait_for(r"\[JUPYTER READY\]")
        self.assertEqual(self.fm.app(app_id)["state"], "ephemeral (detached)")
        self.assertEqual(self.fm.app(app_id)["env"], "dev")
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.wait(timeout=10), 0)
        text = reader.rest()
        p.stdout.close()
        p.stderr.close()
        self.assertIn("Shutting down Modal client.", text)
        self.assertIn(f"modal app stop {app_id}", text)
        app = self.fm.app(app_id)
        self.assertEqual(app["state"], "ephemeral (detached)")
        self.assertEqual(app["logs"], ["[JUPYTER READY] https://abc.r5.modal.host"])

    def test_hang_then_sigint_without_detach_stops(self):
        self.write("modal_runner.py", SCRIPT)
        self.fm.set_scenario([{"match": ["run"], "hang": True}])
        p = self.popen("run", "modal_runner.py")
        reader = LineReader(p.stdout)
        app_id = APP_ID.search(reader.wait_for(r"View run at")).group(0)
        reader.wait_for(r"Created function")
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.wait(timeout=10), 130)
        self.assertIn("App aborted.", reader.rest())
        p.stdout.close()
        p.stderr.close()
        self.assertEqual(self.fm.app(app_id)["state"], "stopped")

    def test_local_environ_keys_are_recorded_and_a_missing_one_fails_the_import(self):
        self.write("eph.py", "import modal\napp = modal.App('eph')\n"
                             "USE_HF = False\n"
                             "secrets = [modal.Secret.from_local_environ(['JUPYTER_TOKEN'])]\n"
                             "if USE_HF:\n    secrets.append(modal.Secret.from_local_environ(['HF_TOKEN']))\n"
                             "@app.function(secrets=secrets)\ndef f():\n    pass\n")
        r = self.modal("run", "eph.py", env={"JUPYTER_TOKEN": None})
        self.assertExit(r, 1)
        self.assertIn("Could not find local environment variable 'JUPYTER_TOKEN' for Secret.from_local_environ",
                      r.stderr)
        self.assertEqual(self.fm.apps(), [])
        r = self.modal("run", "eph.py", env={"JUPYTER_TOKEN": "tok-never-logged"})
        self.assertExit(r, 0)
        last = self.fm.calls_of("run")[-1]
        self.assertEqual(last["script"]["local_environ"], {"JUPYTER_TOKEN": True, "HF_TOKEN": False})
        self.assertNotIn("tok-never-logged", (self.fm.home / "calls.jsonl").read_text(encoding="utf-8"))

    def test_run_rejections(self):
        r = self.modal("run")
        self.assertExit(r, 2)
        self.assertIn("Usage:", r.stderr)
        self.write("web.py", WEB_SCRIPT)
        r = self.modal("run", "web.py")
        self.assertExit(r, 1)
        self.assertIn("'web.py' has no functions or local entrypoints.", r.stderr)
        self.assertEqual(self.fm.apps(), [])

    def test_serve_until_timeout(self):
        self.write("web.py", WEB_SCRIPT)
        r = self.modal("serve", "web.py", "--timeout", "0.3")
        self.assertExit(r, 0)
        self.assertIn("Created web function serve => https://alice--m-gpux-llm-api-serve-dev.modal.run",
                      r.stdout)
        self.assertIn("Created web function api => https://alice--custom-dev.modal.run", r.stdout)
        [app] = self.fm.apps()
        self.assertEqual(app["state"], "stopped")

    def test_deploy_reuses_record(self):
        self.write("web.py", WEB_SCRIPT)
        r = self.modal("deploy", "web.py")
        self.assertExit(r, 0)
        self.assertIn("└── 🔨 Created web function api => https://alice--custom.modal.run", r.stdout)
        self.assertIn("Created web function serve => https://alice--m-gpux-llm-api-serve.modal.run", r.stdout)
        self.assertRegex(r.stdout, r"✓ App deployed in \d+\.\d{3}s! 🎉\n\n"
                                   r"View Deployment: https://modal.com/apps/alice/main/deployed/m-gpux-llm-api\n")
        self.assertExit(self.modal("deploy", "web.py", "--strategy", "recreate"), 0)
        [app] = self.fm.apps()
        self.assertEqual((app["state"], app["version"], app["strategy"]), ("deployed", 2, "recreate"))


class Apps(FakeModalTest):
    def test_app_list_key_styles(self):
        app_id = self.fm.add_app("m-gpux-jupyter", state="ephemeral (detached)")
        self.fm.add_app("other-env", env="dev")
        rows = json.loads(self.modal("app", "list", "--json").stdout)
        self.assertEqual(len(rows), 1)
        self.assertEqual(list(rows[0]), ["app_id", "description", "state", "tasks", "created_at", "stopped_at"])
        self.assertEqual(rows[0]["app_id"], app_id)
        self.assertEqual(rows[0]["tasks"], "1")
        self.assertIsNone(rows[0]["stopped_at"])
        self.assertRegex(rows[0]["created_at"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00$")
        old = json.loads(self.modal("app", "list", "--json", env={"FAKE_MODAL_VERSION": "1.4.3"}).stdout)
        self.assertEqual(list(old[0]), ["App ID", "Description", "State", "Tasks", "Created at", "Stopped at"])
        dev = json.loads(self.modal("app", "list", "-e", "dev", "--json").stdout)
        self.assertEqual([r["description"] for r in dev], ["other-env"])
        self.assertIn("m-gpux-jupyter", self.modal("app", "list").stdout)

    def test_app_stop_rules(self):
        app_id = self.fm.add_app("m-gpux-jupyter", state="ephemeral (detached)")
        r = self.modal("app", "stop", app_id)
        self.assertExit(r, 1)
        self.assertIn("Are you sure you want to stop App 'm-gpux-jupyter' in the 'main' environment? "
                      "This will immediately terminate 1 running container(s).", r.stdout)
        self.assertIn("Aborted: no interactive terminal detected. Rerun with --yes (-y)", r.stderr)
        self.assertEqual(self.fm.app(app_id)["state"], "ephemeral (detached)")
        r = self.modal("app", "stop", "m-gpux-jupyter", "--yes")
        self.assertExit(r, 1)
        self.assertIn("No App with name 'm-gpux-jupyter' found in the 'main' environment.", r.stderr)
        r = self.modal("app", "stop", app_id, "-y")
        self.assertExit(r, 0)
        self.assertEqual(r.stdout + r.stderr, "")
        app = self.fm.app(app_id)
        self.assertEqual(app["state"], "stopped")
        self.assertIsNotNone(app["stopped_at"])
        r = self.modal("app", "stop", app_id, "-y")
        self.assertExit(r, 1)
        self.assertIn("App is already stopped.", r.stderr)
        deployed = self.fm.add_app("m-gpux-llm-api")
        self.assertExit(self.modal("app", "stop", "m-gpux-llm-api", env={"FAKE_MODAL_VERSION": "1.4.1"}), 0)
        self.assertEqual(self.fm.app(deployed)["state"], "stopped")

    def test_app_stop_and_logs_take_a_deployed_name_in_its_environment(self):
        deployed = self.fm.add_app("m-gpux-host-site", env="dev", logs=["GET / 200"])
        r = self.modal("app", "stop", "--yes", "m-gpux-host-site")
        self.assertExit(r, 1)
        self.assertIn("No App with name 'm-gpux-host-site' found in the 'main' environment.", r.stderr)
        r = self.modal("app", "logs", "m-gpux-host-site", "--env", "dev")
        self.assertExit(r, 0)
        self.assertIn("GET / 200", r.stdout)
        self.assertExit(self.modal("app", "stop", "--yes", "m-gpux-host-site", "--env", "dev"), 0)
        self.assertEqual(self.fm.app(deployed)["state"], "stopped")
        # the name now finds the stopped deployment, as Modal's does
        r = self.modal("app", "stop", "--yes", "m-gpux-host-site", "-e", "dev")
        self.assertExit(r, 1)
        self.assertIn("App is already stopped.", r.stderr)

    def test_app_stop_prompts_on_a_tty(self):
        app_id = self.fm.add_app("llm")
        master, slave = os.openpty()
        try:
            p = subprocess.Popen([str(MODAL), "app", "stop", app_id], env=self.env(), cwd=self.work,
                                 stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            os.write(master, b"y\n")
            out, _ = p.communicate(timeout=10)
        finally:
            os.close(master)
            os.close(slave)
        self.assertEqual(p.returncode, 0, out)
        self.assertTrue(self.fm.calls()[-1]["stdin_tty"])
        self.assertEqual(self.fm.app(app_id)["state"], "stopped")

    def test_app_logs(self):
        app_id = self.fm.add_app("svc", logs=[f"line {i}" for i in range(150)])
        r = self.modal("app", "logs", "svc")
        self.assertExit(r, 0)
        self.assertEqual(r.stdout.splitlines(), [f"line {i}" for i in range(50, 150)])
        self.assertEqual(self.modal("app", "logs", app_id, "-n", "2").stdout, "line 148\nline 149\n")
        r = self.modal("app", "logs", app_id, "-f", "--tail", "5")
        self.assertExit(r, 2)
        self.assertIn("Usage:", r.stderr)
        p = self.popen("app", "logs", app_id, "--follow")
        reader = LineReader(p.stdout)
        reader.wait_for(r"^line 149$")
        self.fm.append_logs(app_id, ["late line"])
        reader.wait_for(r"^late line$")
        self.fm.update_app(app_id, state="stopped")
        self.assertEqual(p.wait(timeout=10), 0)
        reader.rest()
        p.stdout.close()
        p.stderr.close()


class Volumes(FakeModalTest):
    def test_put_get_ls_rm(self):
        self.assertExit(self.modal("volume", "put", "vol", "x"), 1)  # unknown volume
        r = self.modal("volume", "create", "vol")
        self.assertExit(r, 0)
        self.assertIn("Created Volume 'vol' in environment 'main'.", r.stdout)
        local = self.write("notes.txt", "hello")
        self.assertExit(self.modal("volume", "put", "vol", "notes.txt", "/data/"), 0)
        self.assertEqual((self.fm.volume_dir("vol") / "data" / "notes.txt").read_text(), "hello")
        r = self.modal("volume", "put", "vol", "notes.txt", "/data/notes.txt")
        self.assertExit(r, 2)
        local.write_text("v2")
        self.assertExit(self.modal("volume", "put", "vol", "notes.txt", "/data/notes.txt", "--force"), 0)
        self.assertEqual((self.fm.volume_dir("vol") / "data" / "notes.txt").read_text(), "v2")
        self.assertExit(self.modal("volume", "put", "vol", "*.txt"), 2)
        self.fm.add_volume_file("vol", "/data/sub/deep.bin", b"\x00\x01")
        self.assertEqual(self.modal("volume", "ls", "vol").stdout, "data\n")
        self.assertEqual(self.modal("volume", "ls", "vol", "/data").stdout, "data/notes.txt\ndata/sub\n")
        rows = json.loads(self.modal("volume", "ls", "vol", "data", "--json").stdout)
        self.assertEqual([(r["filename"], r["type"], r["size"]) for r in rows],
                         [("data/notes.txt", "file", "2 B"), ("data/sub", "dir", "0 B")])
        self.assertRegex(rows[0]["created_modified"], r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$")
        out = self.work / "out"
        r = self.modal("volume", "get", "vol", "/", str(out))
        self.assertExit(r, 0)
        self.assertEqual((out / "data" / "sub" / "deep.bin").read_bytes(), b"\x00\x01")
        r = self.modal("volume", "get", "vol", "/", str(out))
        self.assertExit(r, 2)
        self.assertIn("already exists. Use --force to overwrite the output directory", r.stderr)
        self.assertExit(self.modal("volume", "get", "vol", "/", str(out), "--force"), 0)
        (self.work / "notes.txt").unlink()
        self.assertExit(self.modal("volume", "get", "vol", "data/notes.txt"), 0)
        self.assertEqual((self.work / "notes.txt").read_text(), "v2")
        self.assertEqual(self.modal("volume", "get", "vol", "data/notes.txt", "-").stdout, "v2")
        r = self.modal("volume", "rm", "vol", "/data/sub")
        self.assertExit(r, 2)
        r = self.modal("volume", "rm", "vol", "/data/sub", "-r")
        self.assertExit(r, 0)
        self.assertIn("/data/sub was deleted successfully!", r.stdout)
        self.assertFalse((self.fm.volume_dir("vol") / "data" / "sub").exists())
        self.assertEqual(json.loads(self.modal("volume", "list", "--json").stdout)[0]["name"], "vol")


class Secrets(FakeModalTest):
    def test_create_list_delete(self):
        r = self.modal("secret", "create", "s")
        self.assertExit(r, 2)
        self.assertIn("at least one key", r.stderr)
        self.assertExit(self.modal("secret", "create", "s", "A=1", "B=2"), 0)
        r = self.modal("secret", "create", "s", "A=3")
        self.assertExit(r, 1)
        self.assertIn("already exists", r.stderr)
        self.assertExit(self.modal("secret", "create", "s", "C=3", "--force"), 0)
        self.assertEqual([s["keys"] for s in self.fm.secrets()], [["C"]])
        self.assertEqual([r["name"] for r in json.loads(self.modal("secret", "list", "--json").stdout)], ["s"])
        self.assertExit(self.modal("secret", "delete", "s"), 1)  # no --yes, nothing on stdin
        self.assertExit(self.modal("secret", "delete", "s", "--yes"), 0)
        self.assertEqual(self.fm.secrets(), [])
        self.assertExit(self.modal("secret", "delete", "s", "--yes"), 1)
        self.assertExit(self.modal("secret", "delete", "s", "--yes", "--allow-missing"), 0)


class Scenarios(FakeModalTest):
    def test_exit_times_delay_env_and_malformed(self):
        self.fm.set_scenario([
            {"match": ["app", "list"], "env": {"MODAL_PROFILE": "bob"}, "exit": 1,
             "stderr": "Could not connect to the Modal server\n"},
            {"regex": r"app list .*--json", "times": 1, "stdout": "{not json", "exit": 0},
            {"match": ["profile", "current"], "delay_s": 0.3},
        ])
        r = self.modal("app", "list", "--json", env={"MODAL_PROFILE": "bob"})
        self.assertExit(r, 1)
        self.assertEqual(r.stderr, "Could not connect to the Modal server\n")
        r = self.modal("app", "list", "--json")
        self.assertEqual((r.returncode, r.stdout), (0, "{not json"))
        r = self.modal("app", "list", "--json")
        self.assertEqual(json.loads(r.stdout), [])
        start = time.monotonic()
        r = self.modal("profile", "current")
        self.assertGreaterEqual(time.monotonic() - start, 0.3)
        self.assertEqual(r.stdout, "alice\n")
        self.assertEqual([c["rule"] for c in self.fm.calls()], [0, 1, None, 2])

    def test_flood_writes_that_many_bytes_then_answers(self):
        self.fm.set_scenario([{"match": ["profile", "current"], "flood_stdout": 3 * 1000 * 1000},
                              {"match": ["app", "list"], "flood_stderr": 250, "flood_newlines": False,
                               "exit": 1}])
        r = self.modal("profile", "current")
        self.assertExit(r, 0)
        self.assertEqual(len(r.stdout), 3 * 1000 * 1000 + len("alice\n"))
        self.assertTrue(r.stdout.endswith("x\nalice\n"))
        self.assertEqual(r.stdout.count("\n"), 30000 + 1)
        r = self.modal("app", "list")
        self.assertExit(r, 1)
        self.assertEqual(r.stderr, "x" * 250)


class Billing(FakeModalTest):
    def test_report_and_summary(self):
        self.fm.set_billing("alice", [
            {"object_id": "ap-1", "description": "a", "environment": "main",
             "interval_start": "2026-08-01T00:00:00", "cost": "1.25"},
            {"object_id": "ap-2", "description": "b", "environment_name": "main",
             "interval_start": "2026-08-03T00:00:00", "cost": "2.5"},
        ])
        self.fm.set_billing("bob", [{"object_id": "ap-3", "description": "c", "environment": "main",
                                     "interval_start": "2026-08-01T00:00:00", "cost": "9"}])
        rows = json.loads(self.modal("billing", "report", "--for", "this month", "--json").stdout)
        self.assertEqual([r["object_id"] for r in rows], ["ap-1", "ap-2"])
        self.assertEqual(rows[1], {"object_id": "ap-2", "description": "b", "environment": "main",
                                   "interval_start": "2026-08-03T00:00:00", "cost": "2.5"})
        rows = json.loads(self.modal("billing", "report", "--start", "2026-08-02", "--json").stdout)
        self.assertEqual([r["object_id"] for r in rows], ["ap-2"])
        rows = json.loads(self.modal("billing", "report", "--start", "2026-07-01", "--end", "2026-08-02",
                                     "-r", "d", "--json").stdout)
        self.assertEqual([r["object_id"] for r in rows], ["ap-1"])
        rows = json.loads(self.modal("billing", "report", "--for", "this month", "--json",
                                     env={"MODAL_PROFILE": "bob"}).stdout)
        self.assertEqual([r["cost"] for r in rows], ["9"])
        summary = json.loads(self.modal("billing", "summary", "--json").stdout)
        self.assertEqual(summary, {"metered_cost": "3.75", "billed_cost": "0.00", "adjustments": {},
                                   "metered_cost_breakdown": {}})


class Concurrency(FakeModalTest):
    def test_parallel_calls_keep_every_record_and_app(self):
        self.write("r.py", SCRIPT)
        procs = [self.popen("run", "-d", "r.py") for _ in range(8)]
        for p in procs:
            p.communicate(timeout=20)
            self.assertEqual(p.returncode, 0)
        self.assertEqual(len(self.fm.calls()), 8)
        self.assertEqual(len({a["app_id"] for a in self.fm.apps()}), 8)


if __name__ == "__main__":
    unittest.main(verbosity=2)
