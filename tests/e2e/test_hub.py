# SPDX-License-Identifier: MIT
"""m-gpux hub jupyter|bash|interactive: launches through the fake modal (detached run, session,
secret and credentials file), rendering checked with the modal stand-in, and bad input."""
import json
import os
import re
import stat
import subprocess

from harness import BIN, MgpuxTestCase, main

READY_URL = "https://ta-01abc.modal.host"


class HubTestCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()
        self.project = self.tmp / "proj"
        (self.project / "sub").mkdir(parents=True)
        (self.project / "main.py").write_text("print('hi')\n", encoding="utf-8")
        (self.project / "sub" / "quiz.py").write_text("name = input('name? ')\n", encoding="utf-8")

    def hub(self, *args, **kw):
        kw.setdefault("cwd", self.project)
        return self.run_mgpux(*args, **kw)

    def ready(self, url=READY_URL, hang=False):
        rule = {"match": ["run"], "container_output": ["[m-gpux] READY " + url]}
        if hang:  # the app keeps running until stopped
            rule["hang"] = True
        self.fake.set_scenario([rule])

    def render(self, *args, expect=0):
        out = self.tmp / "rendered.py"
        if out.exists():
            out.unlink()
        r = self.hub("--yes", "--dry-run", "--script-out", out, *args)
        self.assertExit(r, expect)
        return r, (out.read_text(encoding="utf-8") if out.exists() else None)

    def sessions(self):
        path = self.state_dir / "sessions.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []

    def calls_text(self):
        path = self.fake.home / "calls.jsonl"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def assert_one_modal_process(self, verb, keys):
        """The launch was exactly one `modal` process (a deploy too: its session goes by the app's
        name, so no `app list` asks for its id), and the credentials reached that process's
        environment for the script's Secret.from_local_environ: no named secret exists."""
        calls = self.modal_calls()
        self.assertEqual([" ".join(c["argv"][:2]) if c["argv"][0] == "app" else c["argv"][0] for c in calls],
                         [verb])
        given = {k for k, present in calls[0]["script"]["local_environ"].items() if present}
        self.assertEqual(given, set(keys))
        self.assertEqual(self.fake.calls_of("secret"), [])
        self.assertEqual(self.fake.secrets(), [])

    def assert_secret_only_in_credentials_file(self, value, run_dir):
        self.assertNotIn(value, self.calls_text())
        for dirpath, _dirs, files in os.walk(run_dir):
            for name in files:
                path = os.path.join(dirpath, name)
                text = open(path, encoding="utf-8", errors="replace").read()
                if name == "credentials.env":
                    self.assertIn(value, text)
                    self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
                else:
                    self.assertNotIn(value, text, path)
        self.assertNotIn(value, json.dumps(self.sessions()))


class LaunchTest(HubTestCase):
    def test_launch_without_a_terminal_needs_yes(self):
        for extra in ((), ("--no-input",), ("--save-preset", "nb")):
            r = self.hub("hub", "jupyter", "--gpu", "L4", *extra)
            self.assertExit(r, 2)
            self.assertIn("--yes", r.err)
        self.assertEqual(self.modal_calls(), [])
        self.assertFalse((self.state_dir / "runs").exists())
        self.assertFalse((self.state_dir / "sessions.json").exists())
        self.assertFalse((self.state_dir / "presets.json").exists())

    def test_jupyter_detached_with_ephemeral_secret_and_token(self):
        self.ready()
        r = self.hub("--yes", "--json", "--profile", "work", "hub", "jupyter", "--gpu", "L4")
        self.assertExit(r, 0)
        doc = r.json()
        self.assert_one_modal_process("run", ["JUPYTER_TOKEN"])
        (run,) = self.fake.calls_of("run")
        self.assertEqual(run["argv"][:2], ["run", "--detach"])
        self.assertEqual(run["env"].get("MODAL_PROFILE"), "work")
        self.assertIsNone(doc["secret_name"])
        self.assertEqual((doc["kind"], doc["app_name"], doc["profile"], doc["url"]),
                         ("jupyter", "m-gpux-jupyter", "work", READY_URL))
        token = doc["login"]["token"]
        self.assertEqual(doc["access_url"], READY_URL + "?token=" + token)
        self.assertTrue(doc["app_id"].startswith("ap-"))
        (s,) = self.sessions()
        self.assertEqual((s["id"], s["kind"], s["app_id"], s["url"], s["profile"]),
                         (doc["session_id"], "jupyter", doc["app_id"], READY_URL, "work"))
        self.assertNotIn("secret_name", s)  # nothing to delete when it stops
        self.assertEqual(s["local_dir"], str(self.project))
        self.assertTrue(s["workspace_volume"].startswith("m-gpux-workspace-proj-"))
        run_dir = os.path.dirname(doc["credentials_file"])
        self.assert_secret_only_in_credentials_file(token, run_dir)

    def test_bash_prints_login_once_and_keeps_it_out_of_argv(self):
        self.ready()
        r = self.hub("--yes", "hub", "bash", "--cpu", "2")
        self.assertExit(r, 0)
        self.assert_one_modal_process("run", ["TTYD_CREDENTIAL"])
        self.assertEqual(self.fake.calls_of("run")[0]["env"].get("MODAL_PROFILE"), "alice")
        (s,) = self.sessions()
        self.assertEqual((s["kind"], s["app_name"], s["url"]), ("bash", "m-gpux-shell", READY_URL))
        self.assertIn("URL: " + READY_URL, r.out + r.err)
        login = [line for line in (r.out + r.err).splitlines() if line.startswith("Login: user mgpux, password ")]
        self.assertEqual(len(login), 1)
        password = login[0].rsplit(" ", 1)[1]
        run_dir = os.path.dirname(s["script_path"])
        creds = open(os.path.join(run_dir, "credentials.env"), encoding="utf-8").read()
        self.assertIn("TTYD_CREDENTIAL=mgpux:" + password, creds)
        self.assert_secret_only_in_credentials_file(password, run_dir)

    def test_background_returns_with_app_id_and_url(self):
        self.ready()
        r = self.hub("--yes", "--json", "hub", "bash", "--gpu", "T4", "--background")
        self.assertExit(r, 0)
        doc = r.json()
        self.assertEqual(doc["status"], "background")
        self.assertEqual(doc["url"], READY_URL)
        self.assertTrue(doc["app_id"].startswith("ap-"))
        for key in ("session_id", "app_id", "app_name", "url", "kind", "profile"):
            self.assertIn(key, doc)

    def test_dry_run_creates_no_state_and_no_secret(self):
        r = self.hub("--yes", "--dry-run", "--json", "hub", "jupyter", "--cpu", "2")
        self.assertExit(r, 0)
        self.assertEqual(r.json()["status"], "dry_run")
        self.assertEqual(self.modal_calls(), [])
        self.assertFalse((self.state_dir / "sessions.json").exists())
        self.assertFalse((self.state_dir / "runs").exists())

    def test_failing_modal_is_exit_1_naming_its_code(self):
        self.fake.set_scenario([{"match": ["run"], "exit": 7, "stderr": "Error: quota exceeded\n"}])
        r = self.hub("--yes", "hub", "bash", "--cpu", "2")
        self.assertExit(r, 1)
        self.assertIn("7", r.err)
        self.assertEqual(self.sessions(), [])

    def test_save_preset_flag_saves_before_launching(self):
        self.ready()
        r = self.hub("--yes", "hub", "jupyter", "--gpu", "H100:2", "--pip", "numpy", "--save-preset", "nb")
        self.assertExit(r, 0)
        presets = json.loads((self.state_dir / "presets.json").read_text(encoding="utf-8"))
        self.assertEqual(presets["nb"]["action"], "jupyter")
        (s,) = self.sessions()
        self.assertEqual(s["preset"], "nb")

    def test_interactive_preset_stores_the_script_relative_and_runs_again(self):
        self.ready()
        r = self.hub("--yes", "hub", "interactive", str(self.project / "sub" / "quiz.py"), "--cpu", "2",
                     "--save-preset", "quiz")
        self.assertExit(r, 0)
        p = json.loads((self.state_dir / "presets.json").read_text(encoding="utf-8"))["quiz"]
        self.assertEqual((p["action"], p["script"], p["cpu"]), ("interactive", "sub/quiz.py", 2))
        r = self.hub("--yes", "--json", "preset", "run", "quiz")
        self.assertExit(r, 0)
        self.assertEqual((r.json()["kind"], r.json()["preset"]), ("interactive", "quiz"))

    def test_interactive_session_and_script_path(self):
        self.ready()
        r = self.hub("--yes", "--json", "hub", "interactive", "sub/quiz.py", "--cpu", "2")
        self.assertExit(r, 0)
        (s,) = self.sessions()
        self.assertEqual((s["kind"], s["app_name"]), ("interactive", "m-gpux-interactive"))
        self.assertIn("Interactive terminal for sub/quiz.py", s["description"])


class StopTest(HubTestCase):
    def launch(self, *args):
        self.ready(hang=True)
        r = self.hub("--yes", "--json", *args)
        self.assertExit(r, 0)
        doc = r.json()
        self.assertEqual(self.fake.secrets(), [])
        return doc

    def give_it_an_old_named_secret(self, doc, profile=None):
        """A session recorded by an older m-gpux names its credentials secret (made here with the
        fake's own `secret create`, which is not counted as the launch's)."""
        name = "m-gpux-s-0123456789ab"
        args = ["secret", "create", name, "TTYD_CREDENTIAL=x"] + (["--profile", profile] if profile else [])
        subprocess.run(["modal", *args], env={**self.env, **self.fake.env()}, cwd=str(self.tmp),
                       capture_output=True, check=True)
        path = self.state_dir / "sessions.json"
        sessions = json.loads(path.read_text(encoding="utf-8"))
        for s in sessions:
            if s["id"] == doc["session_id"]:
                s["secret_name"] = name
        path.write_text(json.dumps(sessions), encoding="utf-8")
        return name

    def test_sessions_stop_deletes_no_secret(self):
        doc = self.launch("--profile", "work", "hub", "bash", "--cpu", "2", "--background")
        r = self.hub("--json", "sessions", "stop", doc["session_id"], "--yes")
        self.assertExit(r, 0)
        out = r.json()
        self.assertEqual((out["secret_name"], out["secret_deleted"]), (None, False))
        self.assertEqual([c["argv"][:2] for c in self.modal_calls()], [["run", "--detach"], ["app", "stop"]])
        self.assertEqual(self.fake.app(doc["app_id"])["state"], "stopped")

    def test_sessions_stop_still_deletes_an_old_sessions_secret(self):
        doc = self.launch("--profile", "work", "hub", "bash", "--cpu", "2", "--background")
        name = self.give_it_an_old_named_secret(doc, "work")
        r = self.hub("--json", "sessions", "stop", doc["session_id"], "--yes")
        self.assertExit(r, 0)
        out = r.json()
        self.assertEqual((out["secret_name"], out["secret_deleted"]), (name, True))
        (delete,) = self.fake.calls_of("secret", "delete")
        self.assertIn(name, delete["argv"])
        self.assertEqual(delete["env"].get("MODAL_PROFILE"), "work")
        self.assertEqual(self.fake.secrets(), [])

    def test_stop_deletes_no_secret_after_stopping(self):
        doc = self.launch("hub", "jupyter", "--cpu", "2", "--background")
        r = self.hub("--yes", "stop", "--app", doc["app_id"])
        self.assertExit(r, 0)
        self.assertEqual(self.fake.app(doc["app_id"])["state"], "stopped")
        self.assertEqual(self.fake.calls_of("secret"), [], r.out + r.err)
        self.assertEqual(self.sessions()[0]["state"], "stopped")

    def test_stop_still_deletes_an_old_sessions_secret(self):
        doc = self.launch("hub", "jupyter", "--cpu", "2", "--background")
        name = self.give_it_an_old_named_secret(doc)
        r = self.hub("--yes", "stop", "--app", doc["app_id"])
        self.assertExit(r, 0)
        (delete,) = self.fake.calls_of("secret", "delete")
        self.assertIn(name, delete["argv"])
        self.assertEqual(self.fake.secrets(), [])

    def test_a_failed_stop_keeps_an_old_sessions_secret(self):
        doc = self.launch("hub", "bash", "--cpu", "2", "--background")
        self.give_it_an_old_named_secret(doc)
        self.fake.set_scenario([{"match": ["app", "stop"], "exit": 1, "stderr": "Error: permission denied\n"}])
        r = self.hub("sessions", "stop", doc["session_id"], "--yes")
        self.assertExit(r, 1)
        self.assertEqual(self.fake.calls_of("secret", "delete"), [])
        self.assertEqual(len(self.fake.secrets()), 1)


class ScriptTest(HubTestCase):
    def setUp(self):
        super().setUp()
        (self.project / "quiet.py").write_text(
            "# input( only in a comment\nprint('input(' + 'x')\ndef get_input():\n    return 1\n", encoding="utf-8")
        (self.project / "answers.txt").write_text("ann\n", encoding="utf-8")

    def script_of_last_run(self):
        return open(self.fake.calls_of("run")[-1]["script"]["copy"], encoding="utf-8").read()

    def test_plain_script_runs_attached_with_args(self):
        self.fake.set_scenario([{"match": ["run"], "container_output": ['[m-gpux] RESULT {"exit_code": 0}']}])
        r = self.hub("--yes", "--json", "hub", "script", "quiet.py", "--cpu", "2", "--", "--epochs", "3")
        self.assertExit(r, 0)
        doc = r.json()
        self.assertEqual((doc["kind"], doc["status"], doc["args"], doc["on_input"]),
                         ("script", "completed", ["--epochs", "3"], "run"))
        (run,) = self.fake.calls_of("run")
        self.assertNotIn("--detach", run["argv"])
        self.assertEqual(self.fake.calls_of("secret", "create"), [])
        self.assertEqual(self.sessions(), [])
        text = self.script_of_last_run()
        self.assertIn('SCRIPT_ARGS = ["--epochs", "3"]', text)
        self.assertIn("STDIN_TEXT = None", text)

    def test_input_under_no_input_needs_the_flag(self):
        r = self.hub("--no-input", "hub", "script", "sub/quiz.py", "--cpu", "2")
        self.assertExit(r, 2)
        self.assertIn("--on-input", r.err)
        self.assertEqual(self.fake.calls_of("run"), [])

    def test_stdin_file_prefills(self):
        out = self.tmp / "prefill.py"
        r = self.hub("--no-input", "--dry-run", "--script-out", out, "hub", "script", "sub/quiz.py", "--cpu", "2",
                     "--stdin-file", "answers.txt")
        self.assertExit(r, 0)
        text = out.read_text(encoding="utf-8")
        self.assertIn('STDIN_TEXT = "ann\\n"', text)
        self.assertIn('SCRIPT_PATH = "sub/quiz.py"', text)
        self.assertIn('COMPUTE_LABEL = "CPU', text)

    def test_on_input_terminal_starts_the_interactive_terminal(self):
        self.ready()
        r = self.hub("--no-input", "--yes", "--json", "hub", "script", "sub/quiz.py", "--cpu", "2", "--on-input", "terminal")
        self.assertExit(r, 0)
        self.assertEqual(r.json()["kind"], "interactive")
        (run,) = self.fake.calls_of("run")
        self.assertEqual(run["argv"][:2], ["run", "--detach"])
        self.assertIn('SCRIPT_PATH = "sub/quiz.py"', self.script_of_last_run())

    def test_on_input_run_and_failing_script(self):
        self.fake.set_scenario([{"match": ["run"], "exit": 3, "stderr": "Error: script failed\n"}])
        r = self.hub("--no-input", "--yes", "hub", "script", "sub/quiz.py", "--cpu", "2", "--on-input", "run")
        self.assertExit(r, 1)
        self.assertIn("3", r.err)

    def test_prefill_on_a_terminal_asks_one_answer_per_call(self):
        out = self.tmp / "asked.py"
        # run_on_pty runs in self.tmp: the project is then tmp/, and the script proj/sub/quiz.py.
        code, output = self.run_on_pty(["--dry-run", "--script-out", str(out), "hub", "script",
                                        str(self.project / "sub" / "quiz.py"), "--cpu", "2", "--python", "3.12"],
                                       [b"\x1b[B", b"\r", b"bob\r"])
        self.assertEqual(code, 0, output)
        self.assertIn('STDIN_TEXT = "bob\\n"', out.read_text(encoding="utf-8"))

    def test_bad_script_flags(self):
        for args in (["missing.py"], ["../x.py"], ["quiet.py", "--stdin-file", "nope.txt"],
                     ["quiet.py", "--on-input", "run", "--stdin-file", "answers.txt"],
                     ["quiet.py", "--on-input", "terminal", "--", "a"],
                     ["quiet.py", "--on-input", "run", "--save-preset", "x"]):
            with self.subTest(args=args):
                r = self.hub("--yes", "hub", "script", *args, "--cpu", "2")
                self.assertExit(r, 2)
        self.assertEqual(self.modal_calls(), [])


class VllmTest(HubTestCase):
    def test_deploy_records_a_session_and_is_one_modal_process(self):
        r = self.hub("--yes", "--json", "--profile", "work", "hub", "vllm", "--model", "Qwen/Qwen2.5-1.5B-Instruct",
                     "--gpu", "L4")
        self.assertExit(r, 0)
        doc = r.json()
        (deploy,) = self.fake.calls_of("deploy")
        self.assertEqual(deploy["env"].get("MODAL_PROFILE"), "work")
        self.assertEqual(self.fake.calls_of("run"), [])
        self.assertEqual(doc["url"], "https://work--m-gpux-vllm-serve.modal.run")
        self.assertEqual(doc["openai_base_url"], doc["url"] + "/v1")
        self.assert_one_modal_process("deploy", ["VLLM_API_KEY"])
        self.assertNotIn(doc["api_key"], self.calls_text())
        (s,) = self.sessions()
        self.assertIsNone(doc["app_id"])  # `modal deploy` prints none; the session goes by the name
        self.assertEqual((s["kind"], s["app_id"], s["app_name"], s["deployed"], s["environment"], s["model"]),
                         ("vllm", None, "m-gpux-vllm", True, "main", "Qwen/Qwen2.5-1.5B-Instruct"))
        self.assertEqual(s["deployment_url"], "https://modal.com/apps/work/main/deployed/m-gpux-vllm")
        self.assertNotIn("secret_name", s)

    def test_gated_model_takes_the_token_from_the_named_variable(self):
        env = dict(self.env)
        env["MY_HF"] = "hf_secretvalue123"
        out = self.tmp / "vllm.py"
        r = self.hub("--yes", "--script-out", out, "hub", "vllm", "--model", "meta-llama/Llama-3.1-8B-Instruct",
                     "--gpu", "A100:2", "--hf-token-env", "MY_HF", "--background", env=env)
        self.assertExit(r, 0)
        self.assert_one_modal_process("deploy", ["VLLM_API_KEY", "HF_TOKEN"])
        self.assertNotIn("hf_secretvalue123", self.calls_text())
        text = out.read_text(encoding="utf-8")
        self.assertNotIn("hf_secretvalue123", text)
        fn = self.inspect_rendered(text)["functions"][0]
        self.assertEqual(fn["gpu"], "A100:2")
        self.assertEqual([(sec["kind"], sec["keys"]) for sec in fn["secrets"]],
                         [("from_local_environ", ["VLLM_API_KEY"]), ("from_local_environ", ["HF_TOKEN"])])

    def test_serve_mode_is_one_modal_process(self):
        self.fake.set_scenario([{"match": ["serve"], "exit": 0,
                                 "stdout": "[m-gpux] READY https://alice--m-gpux-vllm-serve-dev.modal.run\n"}])
        r = self.hub("--yes", "hub", "vllm", "--model", "Qwen/Qwen2.5-7B-Instruct", "--gpu", "A10", "--mode", "serve")
        self.assertExit(r, 0)
        self.assert_one_modal_process("serve", ["VLLM_API_KEY"])
        self.assertEqual(self.sessions(), [])

    def test_refusals(self):
        for args, word in ((["--cpu", "4"], "GPU"), (["--gpu", "L4", "--model", "a b"], "--model"),
                           (["--gpu", "L4", "--model", "meta-llama/Llama-3.1-8B-Instruct"], "--hf-token-env"),
                           (["--gpu", "L4", "--hf-token-env", "UNSET_VAR_X"], "UNSET_VAR_X"),
                           (["--gpu", "L4", "--vllm-arg", "--api-key=x"], "--api-key"),
                           (["--gpu", "L4", "--mode", "serve", "--background"], "--background")):
            with self.subTest(args=args):
                out = self.tmp / "no.py"
                r = self.hub("--yes", "--script-out", out, "hub", "vllm", *args)
                self.assertExit(r, 2)
                self.assertIn(word, r.err)
                self.assertFalse(out.exists())
        self.assertEqual(self.modal_calls(), [])

    def test_stop_deletes_no_secret_of_the_deployment(self):
        r = self.hub("--yes", "--json", "hub", "vllm", "--model", "Qwen/Qwen2.5-1.5B-Instruct", "--gpu", "L4")
        self.assertExit(r, 0)
        doc = r.json()
        r = self.hub("--yes", "stop", "--app", doc["app_name"])
        self.assertExit(r, 0)
        self.assertEqual(self.fake.calls_of("secret"), [])
        (app,) = self.fake.apps()
        self.assertEqual(app["state"], "stopped")
        (s,) = self.sessions()
        self.assertEqual(s["state"], "stopped")  # the session recorded by name follows the app


class WizardTest(HubTestCase):
    DOWN = b"\x1b[B"

    def normalised(self, path):
        text = path.read_text(encoding="utf-8")
        return re.sub(r"m-gpux-s-[0-9a-f]+", "m-gpux-s-X", text)

    def test_wizard_on_a_terminal_matches_the_flags(self):
        # run_on_pty runs in self.tmp, so both runs use it as the project folder.
        wiz = self.tmp / "wizard.py"
        keys = [self.DOWN, b"\r",            # profile: work (alice is the active one)
                b"\r",                        # compute type: GPU
                self.DOWN, b"\r",             # GPU: the one after the default
                b"\r",                        # how many: 1
                b"\r",                        # Python: the default
                self.DOWN + self.DOWN, b"\r",  # action: Bash Shell
                b"numpy, rich\r",             # extra pip packages
                b"\r",                        # exclude patterns: the defaults
                b"\r"]                        # save as a preset? no
        code, output = self.run_on_pty(["--dry-run", "--script-out", str(wiz), "hub"], keys)
        self.assertEqual(code, 0, output)
        for step in ("Step 1", "Step 2", "Step 3", "Step 4"):
            self.assertIn(step, output)
        report = self.inspect_rendered(wiz.read_text(encoding="utf-8"))
        gpu = report["functions"][0]["gpu"]
        self.assertNotEqual(gpu, "L4")
        self.assertRegex(output, r"profile\s+work")

        flags = self.tmp / "flags.py"
        r = self.run_mgpux("--no-input", "--dry-run", "--script-out", flags, "--profile", "work", "hub", "bash",
                           "--gpu", gpu, "--pip", "numpy", "--pip", "rich", cwd=self.tmp)
        self.assertExit(r, 0)
        self.assertRegex(r.err + r.out, r"profile\s+work")
        self.assertEqual(self.normalised(wiz), self.normalised(flags))
        self.assertEqual(self.modal_calls(), [])

    def image_python(self, report):
        (image,) = [i for i in report["images"] if i["base"].get("python_version")]
        return image["base"]["python_version"]

    def test_wizard_asks_the_gpu_count_after_the_gpu_and_then_python(self):
        wiz = self.tmp / "wizard.py"
        UP = b"\x1b[A"
        keys = [b"\r",                        # profile: alice
                b"\r",                        # compute type: GPU
                b"\r",                        # GPU: L4
                self.DOWN, b"\r",             # how many L4: 2
                UP, b"\r",                    # Python: the one before 3.12
                self.DOWN + self.DOWN, b"\r",  # action: Bash Shell
                b"\r", b"\r", b"\r"]          # no extra packages, default excludes, no preset
        code, output = self.run_on_pty(["--dry-run", "--script-out", str(wiz), "hub"], keys)
        self.assertEqual(code, 0, output)
        self.assertIn("How many L4 GPUs", output)
        self.assertIn("Python version", output)
        self.assertLess(output.index("How many L4 GPUs"), output.index("Python version"))
        self.assertLess(output.index("Python version"), output.index("Select action"))
        report = self.inspect_rendered(wiz.read_text(encoding="utf-8"))
        self.assertEqual(report["functions"][0]["gpu"], "L4:2")
        self.assertEqual(self.image_python(report), "3.11")

    def test_subcommands_ask_python_and_the_count_unless_flagged(self):
        out = self.tmp / "asked.py"
        # --gpu without a count: only Python is asked.
        code, output = self.run_on_pty(["--dry-run", "--script-out", str(out), "hub", "bash", "--gpu", "A10",
                                        "--no-deps"], [self.DOWN, b"\r"])
        self.assertEqual(code, 0, output)
        self.assertNotIn("How many", output)
        report = self.inspect_rendered(out.read_text(encoding="utf-8"))
        self.assertEqual((report["functions"][0]["gpu"], self.image_python(report)), ("A10", "3.13"))
        # Both flags: nothing is asked.
        out.unlink()
        code, output = self.run_on_pty(["--dry-run", "--script-out", str(out), "hub", "jupyter", "--gpu", "H100:4",
                                        "--python", "3.10", "--no-deps"], [])
        self.assertEqual(code, 0, output)
        for question in ("How many", "Python version", "arrows or j/k"):
            self.assertNotIn(question, output)
        report = self.inspect_rendered(out.read_text(encoding="utf-8"))
        self.assertEqual((report["functions"][0]["gpu"], self.image_python(report)), ("H100:4", "3.10"))

    def test_vllm_asks_the_count_and_python_after_its_gpu(self):
        out = self.tmp / "vllm.py"
        keys = [b"\r",               # GPU: L4
                self.DOWN, b"\r",    # how many: 2
                self.DOWN, b"\r"]    # Python: 3.13
        code, output = self.run_on_pty(["--dry-run", "--script-out", str(out), "hub", "vllm", "--model",
                                        "Qwen/Qwen2.5-1.5B-Instruct"], keys)
        self.assertEqual(code, 0, output)
        self.assertIn("How many L4 GPUs", output)
        text = out.read_text(encoding="utf-8")
        self.assertEqual(self.inspect_rendered(text)["functions"][0]["gpu"], "L4:2")
        self.assertIn('add_python="3.13"', text)

    def test_wizard_with_flags_only_runs_without_questions(self):
        self.ready()
        r = self.hub("--no-input", "--yes", "--json", "hub", "--action", "jupyter", "--cpu", "2", "--no-deps")
        self.assertExit(r, 0)
        doc = r.json()
        self.assertEqual((doc["kind"], doc["url"]), ("jupyter", READY_URL))
        self.assertEqual(self.sessions()[0]["kind"], "jupyter")

    def test_wizard_refuses_vllm_on_cpu(self):
        r = self.hub("--no-input", "hub", "--action", "vllm", "--cpu", "2")
        self.assertExit(r, 2)
        self.assertIn("GPU", r.err)
        self.assertEqual(self.modal_calls(), [])


class NoAccountTest(HubTestCase):
    """Without any Modal profile a launch fails first (exit 3), before any
    question, rendering or file: no run directory, preset, script copy."""

    def setUp(self):
        super().setUp()
        self.toml.unlink()

    def project_files(self):
        return sorted(str(p.relative_to(self.project)) for p in self.project.rglob("*"))

    def assertRefusedBeforeAnything(self, r, before):
        self.assertExit(r, 3)
        self.assertIn("no Modal account is set up", r.err)
        self.assertIn("m-gpux account add", r.err)
        self.assertNotIn("Generated Modal runner", r.out + r.err)
        self.assertEqual(self.modal_calls(), [])
        self.assertFalse(self.state_dir.exists(), sorted(map(str, self.state_dir.rglob("*"))))
        self.assertFalse((self.tmp / "copy.py").exists())
        self.assertEqual(self.project_files(), before)

    def test_every_launch_is_refused_before_anything_is_written(self):
        before = self.project_files()
        for args in (["hub", "jupyter", "--gpu", "L4", "--save-preset", "nb"],
                     ["hub", "bash", "--cpu", "2"],
                     ["hub", "interactive", "sub/quiz.py", "--cpu", "2"],
                     ["hub", "script", "main.py", "--cpu", "2"],
                     ["hub", "vllm", "--model", "Qwen/Qwen2.5-1.5B-Instruct", "--gpu", "L4"],
                     ["hub", "--gpu", "L4", "--action", "jupyter", "--no-deps", "--exclude", "x"]):
            with self.subTest(args=args):
                r = self.hub("--yes", "--script-out", self.tmp / "copy.py", *args)
                self.assertRefusedBeforeAnything(r, before)

    def test_the_other_launching_commands_are_refused_the_same_way(self):
        (self.project / "index.html").write_text("<h1>hi</h1>\n", encoding="utf-8")
        before = self.project_files()
        for args in (["dev", "--gpu", "L4", "--save-preset", "d"],
                     ["load", "probe", "--gpu", "L4"],
                     ["host", "static", "--name", "site"],
                     ["serve", "deploy", "--model", "Qwen/Qwen2.5-1.5B-Instruct", "--gpu", "L4", "--proxy", "python"]):
            with self.subTest(args=args):
                r = self.hub("--yes", "--script-out", self.tmp / "copy.py", *args)
                self.assertRefusedBeforeAnything(r, before)

    def test_the_wizard_asks_nothing_first(self):
        # Esc cancels a question, should one be asked (exit 130 then).
        code, out = self.run_on_pty(["hub"], [b"\x1b", b"\x1b", b"\x1b"], timeout=10)
        self.assertEqual(code, 3, out)
        self.assertIn("no Modal account is set up", out)
        self.assertNotIn("Compute", out)
        self.assertFalse(self.state_dir.exists())

    def test_dry_run_still_renders_without_an_account(self):
        r, script = self.render("hub", "jupyter", "--gpu", "L4")
        self.assertIn("modal.App(", script)


class ImageOptionTest(HubTestCase):
    """--image NAME: a published image from images.json becomes the template's base image."""

    def publish(self, name, profiles, python="3.11"):
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        path = self.state_dir / "images.json"
        path.write_text(json.dumps({name: {"profiles": profiles, "python": python, "summary": "debian_slim + 1 pip",
                                           "updated_at": "2026-12-01T10:00:00Z"}}), encoding="utf-8")
        path.chmod(0o600)

    def test_jupyter_image_renders_from_name_with_the_literal_name(self):
        self.publish("torch-base", ["alice", "work"])
        r, script = self.render("--profile", "work", "hub", "jupyter", "--gpu", "L4", "--image", "torch-base")
        self.assertIn('modal.Image.from_name("torch-base")', script)
        self.assertNotIn("Image.debian_slim(", script)
        report = self.inspect_rendered(script)
        self.assertEqual(report["images"][0]["base"], {"type": "from_name", "name": "torch-base",
                                                       "environment_name": None})

    def test_save_preset_records_the_image(self):
        self.publish("torch-base", ["alice"])
        self.fake.set_scenario([{"match": ["run"], "container_output": ["[m-gpux] READY https://p-1.modal.host"]}])
        r = self.run_mgpux("--yes", "hub", "jupyter", "--gpu", "L4", "--image", "torch-base", "--save-preset", "nb")
        self.assertExit(r, 0)
        presets = json.loads((self.state_dir / "presets.json").read_text(encoding="utf-8"))
        self.assertEqual(presets["nb"]["image"], "torch-base")

    def test_script_and_bash_take_the_image_too(self):
        self.publish("torch-base", ["alice"])
        for args in (("hub", "bash", "--cpu", "2"), ("hub", "script", "main.py", "--on-input", "run", "--cpu", "2")):
            r, script = self.render(*args, "--image", "torch-base")
            self.assertIn('modal.Image.from_name("torch-base")', script, args)
            self.inspect_rendered(script)

    def test_without_image_the_base_is_debian_slim(self):
        self.publish("torch-base", ["alice"])
        r, script = self.render("hub", "jupyter", "--gpu", "L4")
        self.assertNotIn("from_name(\"torch", script)
        self.assertIn("modal.Image.debian_slim(python_version=", script)

    def test_unknown_or_unpublished_image_is_refused_before_rendering(self):
        self.publish("torch-base", ["alice"])
        r, script = self.render("hub", "jupyter", "--gpu", "L4", "--image", "nope", expect=2)
        self.assertIsNone(script)
        self.assertIn("image list", r.err)
        r, script = self.render("--profile", "work", "hub", "jupyter", "--gpu", "L4", "--image", "torch-base",
                                expect=2)
        self.assertIsNone(script)
        self.assertIn("image build torch-base -a work", r.err)
        r, script = self.render("hub", "jupyter", "--gpu", "L4", "--image", "bad name", expect=2)
        self.assertIsNone(script)


class NumberedMenuTest(HubTestCase):
    """stdin a terminal, stdout a pipe: the menus are numbered lists (drawn on stderr, the terminal)."""

    def run_with_terminal_stdin(self, args, typed):
        import pty
        import select
        import subprocess
        master, slave = pty.openpty()
        env = dict(self.env)
        env.update(self.fake.env())
        proc = subprocess.Popen([str(BIN), *map(str, args)], stdin=slave, stdout=subprocess.PIPE, stderr=slave,
                                env=env, cwd=str(self.project))
        os.close(slave)
        os.write(master, typed)  # the terminal keeps the lines until they are read
        shown = b""
        while True:
            ready, _, _ = select.select([master], [], [], 20)
            if not ready:
                proc.kill()
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        out = proc.stdout.read().decode()
        proc.stdout.close()
        code = proc.wait(timeout=20)
        os.close(master)
        return code, out, shown.decode("utf-8", "replace")

    def test_rows_are_aligned_and_q_cancels(self):
        # compute type: 1 (GPU); then q at the GPU list.
        code, out, shown = self.run_with_terminal_stdin(["--profile", "work", "hub", "bash"], b"1\nq\n")
        self.assertEqual(code, 130, shown)
        rows = [line for line in shown.splitlines() if re.match(r"\s+\d+\) \S+\s+\d+ GB", line)]
        self.assertEqual(len(rows), 14, shown)
        columns = {re.search(r"\) \S+\s+", row).end() for row in rows}
        self.assertEqual(len(columns), 1, "the descriptions do not start in one column:\n" + "\n".join(rows))
        self.assertEqual({re.match(r"\s+\d+\)", row).end() for row in rows}, {len("  14)")})
        for row in rows:  # the VRAM is shown once, not again in the description
            vram, description = re.search(r"(\d+) GB - (.*)$", row).groups()
            self.assertNotIn(vram + " GB", description, row)
        self.assertIn("q to cancel", shown)
        self.assertEqual(self.modal_calls(), [])
        self.assertFalse((self.state_dir / "runs").exists())
        self.assertRegex(shown, r"L4\s+24 GB - .*, ~\$0\.80/h")  # every picker row with a rate shows it

    def test_profile_menu_offers_auto(self):
        def row(cost):
            return {"object_id": "ap-" + "x" * 22, "description": "a", "environment": "main",
                    "interval_start": "2026-12-01T00:00:00", "cost": cost}
        self.fake.set_billing("alice", [row("29")])
        self.fake.set_billing("work", [row("1")])
        # the profile menu: alice, work, AUTO; then q at the compute question
        code, out, shown = self.run_with_terminal_stdin(["dev"], b"3\nq\n")
        self.assertEqual(code, 130, shown)
        self.assertRegex(shown, r"3\) AUTO\s+the profile with the most money left")
        self.assertIn("AUTO chose profile 'work'", shown)
        self.assertEqual(len(self.fake.calls_of("billing", "report")), 2)

    def test_cpu_rows_show_their_price(self):
        code, out, shown = self.run_with_terminal_stdin(["--profile", "work", "hub", "bash"], b"2\nq\n")
        self.assertEqual(code, 130, shown)
        self.assertIn("512 MB memory, ~$0.051/h", shown)
        self.assertIn("4096 MB memory, ~$0.41/h", shown)


class RenderTest(HubTestCase):
    def test_bash_script_gpu_count_timeout_volume_and_secret(self):
        (self.project / "requirements.txt").write_text("httpx\n", encoding="utf-8")
        _, script = self.render("hub", "bash", "--gpu", "h100:2", "--timeout", "600", "--python", "3.11",
                                "--exclude", "data/", "--exclude", "*.ckpt")
        report = self.inspect_rendered(script)
        self.assertEqual(report["app"]["name"], "m-gpux-shell")
        (fn,) = report["functions"]
        self.assertEqual((fn["gpu"], fn["timeout"]), ("H100:2", 600))
        (vol,) = fn["volumes"].values()
        self.assertTrue(vol.startswith("m-gpux-workspace-proj-"))
        (secret,) = fn["secrets"]
        self.assertEqual((secret["kind"], secret["keys"]), ("from_local_environ", ["TTYD_CREDENTIAL"]))
        image = report["images"][0]
        self.assertEqual(image["base"]["python_version"], "3.11")
        ops = [s["op"] for s in image["steps"]]
        self.assertIn("pip_install_from_requirements", ops)  # ./requirements.txt picked up unasked
        ignore = image["steps"][-1]["kwargs"]["ignore"]
        for p in ("**/.venv", "**/data", "**/*.ckpt", "**/.modal.toml"):
            self.assertIn(p, ignore)
        self.assertEqual(ignore.count("**/.modal.toml"), 1)

    def test_jupyter_cpu_no_deps_and_no_default_excludes(self):
        (self.project / "requirements.txt").write_text("httpx\n", encoding="utf-8")
        _, script = self.render("hub", "jupyter", "--cpu", "8", "--memory", "4096", "--no-deps",
                                "--no-default-excludes", "--exclude", "big")
        report = self.inspect_rendered(script)
        (fn,) = report["functions"]
        self.assertEqual((fn["gpu"], fn["cpu"], fn["memory"], fn["timeout"]), (None, 8, 4096, 86400))
        steps = report["images"][0]["steps"]
        self.assertNotIn("pip_install_from_requirements", [s["op"] for s in steps])
        self.assertEqual(steps[-1]["kwargs"]["ignore"],
                         ["**/big", "**/.modal.toml", "**/.m-gpux", "**/.ssh", "**/.aws", "**/.netrc"])

    def test_interactive_script_path(self):
        _, script = self.render("hub", "interactive", "sub/quiz.py", "--gpu", "L4")
        self.assertIn('SCRIPT_PATH = "sub/quiz.py"', script)
        self.assertEqual(self.inspect_rendered(script)["app"]["name"], "m-gpux-interactive")


class BadInputTest(HubTestCase):
    def assert_refused(self, *args, words=(), code=2):
        out = self.tmp / "refused.py"
        r = self.hub("--yes", "--script-out", out, *args)
        self.assertExit(r, code)
        self.assertFalse(out.exists(), "a refused command rendered a script")
        self.assertEqual(self.modal_calls(), [])
        for w in words:
            self.assertIn(w, r.err)
        return r

    def test_validation_is_exit_2_with_nothing_rendered(self):
        self.assert_refused("hub", "bash", "--cpu", "2", "--pip", "-x", words=["--pip"])
        self.assert_refused("hub", "bash", "--cpu", "2", "--no-deps", "--pip", "x", words=["--no-deps"])
        self.assert_refused("hub", "bash", "--cpu", "2", "--requirements", "nope.txt", words=["nope.txt"])
        self.assert_refused("hub", "jupyter", "--gpu", "Z9000")
        self.assert_refused("hub", "jupyter", "--gpu", "L4", "--cpu", "2")
        self.assert_refused("hub", "jupyter", "--memory", "1024", words=["--memory"])
        self.assert_refused("hub", "jupyter", "--cpu", "2", "--python", "2.7")
        self.assert_refused("hub", "jupyter", "--cpu", "2", "--save-preset", "bad name", words=["--save-preset"])
        self.assert_refused("hub", "interactive", "missing.py", "--cpu", "2", words=["missing.py"])
        self.assert_refused("hub", "interactive", str(self.tmp), "--cpu", "2")
        self.assert_refused("--profile", "ghost", "hub", "bash", "--cpu", "2")

    def test_no_input_without_compute_takes_the_default_gpu(self):
        out = self.tmp / "default.py"
        r = self.hub("--no-input", "--dry-run", "--script-out", out, "hub", "bash")
        self.assertExit(r, 0)
        self.assertEqual(self.inspect_rendered(out.read_text(encoding="utf-8"))["functions"][0]["gpu"], "L4")

    def test_missing_modal_is_exit_4(self):
        r = self.hub("--yes", "hub", "bash", "--cpu", "2", env={"PATH": "/usr/bin:/bin"})
        self.assertExit(r, 4)

    def test_corrupt_sessions_file_is_exit_3_and_untouched(self):
        self.state_dir.mkdir(mode=0o700)
        bad = self.state_dir / "sessions.json"
        bad.write_bytes(b'[{"id": ')
        os.chmod(bad, 0o600)
        r = self.hub("--yes", "hub", "jupyter", "--cpu", "2")
        self.assertExit(r, 3)
        self.assertEqual(bad.read_bytes(), b'[{"id": ')
        self.assertEqual(self.fake.calls_of("run"), [])


if __name__ == "__main__":
    main()
