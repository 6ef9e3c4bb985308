# SPDX-License-Identifier: MIT
"""m-gpux dev: a detached web Bash dev container (session kind dev) through the fake modal,
save-as-preset (flag and prompt), `dev --preset`, and bad input."""
import json
import os

from harness import MgpuxTestCase, main

READY_URL = "https://dev-01abc.modal.host"


class DevTest(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()
        self.project = self.tmp / "proj"
        self.project.mkdir()
        (self.project / "main.py").write_text("print('hi')\n", encoding="utf-8")
        self.fake.set_scenario([{"match": ["run"], "container_output": ["[m-gpux] READY " + READY_URL]}])

    def dev(self, *args, **kw):
        kw.setdefault("cwd", self.project)
        return self.run_mgpux(*args, **kw)

    def sessions(self):
        path = self.state_dir / "sessions.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []

    def presets(self):
        path = self.state_dir / "presets.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def launched_script(self):
        (run,) = self.fake.calls_of("run")
        return open(run["script"]["copy"], encoding="utf-8").read()

    def test_dev_session_through_the_fake(self):
        r = self.dev("--yes", "--json", "--profile", "work", "dev", "--cpu", "2")
        self.assertExit(r, 0)
        doc = r.json()
        (run,) = self.fake.calls_of("run")
        self.assertEqual(run["argv"][:2], ["run", "--detach"])
        self.assertEqual(run["env"].get("MODAL_PROFILE"), "work")
        self.assertIn("dev/shell.py", self.launched_script())
        # One modal process: the login reaches it as an ephemeral secret, no `secret create`.
        self.assertEqual([c["argv"][0] for c in self.modal_calls()], ["run"])
        self.assertEqual(run["script"]["local_environ"], {"TTYD_CREDENTIAL": True})
        self.assertEqual(self.fake.secrets(), [])
        self.assertEqual((doc["kind"], doc["app_name"], doc["url"], doc["profile"]),
                         ("dev", "m-gpux-shell", READY_URL, "work"))
        (s,) = self.sessions()
        self.assertEqual((s["kind"], s["app_id"], s["url"], s["preset"], s.get("secret_name")),
                         ("dev", doc["app_id"], READY_URL, None, None))
        self.assertTrue(s["description"].startswith("Dev Container on "))
        self.assertEqual(self.presets(), {})  # --yes: no preset unless --save-preset
        self.assertNotIn(doc["login"]["password"], (self.fake.home / "calls.jsonl").read_text(encoding="utf-8"))

    def test_dev_web_is_the_same_flow(self):
        r = self.dev("--yes", "--json", "--profile", "work", "dev", "web", "--cpu", "2")
        self.assertExit(r, 0)
        doc = r.json()
        (run,) = self.fake.calls_of("run")
        self.assertEqual(run["argv"][:2], ["run", "--detach"])
        self.assertIn("dev/shell.py", self.launched_script())
        self.assertEqual((doc["kind"], doc["app_name"], doc["url"]), ("dev", "m-gpux-shell", READY_URL))
        (s,) = self.sessions()
        self.assertEqual(s["kind"], "dev")

    def test_save_preset_then_launch_it(self):
        (self.project / "requirements.txt").write_text("httpx\n", encoding="utf-8")
        r = self.dev("--yes", "dev", "--gpu", "A100:2", "--python", "3.11", "--exclude", "data",
                     "--save-preset", "dev-a100", "--dry-run")
        self.assertExit(r, 0)
        self.assertEqual(self.presets(), {})  # --dry-run saves nothing
        r = self.dev("--yes", "dev", "--gpu", "A100:2", "--python", "3.11", "--exclude", "data",
                     "--save-preset", "dev-a100")
        self.assertExit(r, 0)
        p = self.presets()["dev-a100"]
        self.assertEqual((p["action"], p["gpu"], p["gpu_count"], p["python_version"], p["requirements"]),
                         ("dev", "A100", 2, "3.11", "requirements.txt"))
        self.assertIn("**/data", p["exclude_patterns"])
        self.assertEqual(self.sessions()[0]["preset"], "dev-a100")

        other = self.tmp / "other"
        other.mkdir()
        (other / "requirements.txt").write_text("rich\n", encoding="utf-8")
        r = self.dev("--yes", "--json", "dev", "--preset", "dev-a100", cwd=other)
        self.assertExit(r, 0)
        doc = r.json()
        self.assertEqual((doc["kind"], doc["compute"], doc["preset"]), ("dev", "A100 x2", "dev-a100"))
        s = self.sessions()[-1]
        self.assertEqual((s["kind"], s["preset"], s["local_dir"]), ("dev", "dev-a100", str(other)))
        self.assertEqual(s["description"], "dev preset 'dev-a100' on A100 x2")
        script = open(self.fake.calls_of("run")[-1]["script"]["copy"], encoding="utf-8").read()
        self.assertIn(json.dumps(str(other / "requirements.txt")), script)  # relative to the current folder

    def test_prompt_saves_a_preset_with_the_default_name(self):
        out = self.tmp / "prompted.py"
        # profile, Python, extra packages, excludes: the defaults; then save: y, name: the default.
        code, output = self.run_on_pty(["--dry-run", "--script-out", str(out), "dev", "--cpu", "8"],
                                       [b"\r", b"\r", b"\r", b"\r", b"y", b"\r", b"\r"])
        # --dry-run: the state service says what it would save and writes nothing.
        self.assertEqual(code, 0, output)
        self.assertIn("dev-cpu", output)
        self.assertTrue(out.exists())

    def rendered(self, path):
        text = path.read_text(encoding="utf-8")
        return text, self.inspect_rendered(text)

    def test_wizard_asks_what_the_original_asked(self):
        # run_on_pty runs in self.tmp: that is the project here.
        (self.tmp / "requirements.txt").write_text("torch\n", encoding="utf-8")
        out = self.tmp / "wizard.py"
        down, up = b"\x1b[B", b"\x1b[A"
        keys = [down, b"\r",           # profile: work
                b"\r",                 # compute type: GPU
                b"\r",                 # GPU: L4
                b"\r",                 # how many: 1
                up, b"\r",             # Python: 3.11
                b"n\r",                # requirements.txt: no
                b"rich, httpx\r",      # extra packages
                b"data,*.ckpt\r",      # excludes
                b"\r"]                 # save as a preset: no
        code, output = self.run_on_pty(["--dry-run", "--script-out", str(out), "dev"], keys)
        self.assertEqual(code, 0, output)
        questions = ["Modal profile", "Dev container compute", "How many L4 GPUs", "Python version",
                     "Found requirements.txt", "Extra pip packages", "Patterns to exclude", "Save this workload"]
        positions = [output.find(q) for q in questions]
        self.assertNotIn(-1, positions, output)
        self.assertEqual(positions, sorted(positions))
        self.assertRegex(output, r"profile\s+work")
        _, report = self.rendered(out)
        image = report["images"][0]
        self.assertEqual(image["base"]["python_version"], "3.11")
        ops = {st["op"]: st for st in image["steps"]}
        self.assertNotIn("pip_install_from_requirements", ops)
        self.assertEqual(ops["pip_install"]["args"], ["rich", "httpx"])
        ignore = image["steps"][-1]["kwargs"]["ignore"]
        self.assertIn("**/data", ignore)
        self.assertIn("**/*.ckpt", ignore)
        self.assertNotIn("**/.venv", ignore)
        self.assertEqual(self.modal_calls(), [])

    def test_flags_skip_the_questions(self):
        out = self.tmp / "flags.py"
        code, output = self.run_on_pty(["--dry-run", "--script-out", str(out), "--profile", "work", "dev",
                                        "--cpu", "2", "--python", "3.13", "--pip", "rich", "--exclude", "data"],
                                       [b"\r"])  # save as a preset: no
        self.assertEqual(code, 0, output)
        for question in ("Modal profile", "Python version", "Found requirements.txt", "Extra pip packages",
                         "Patterns to exclude"):
            self.assertNotIn(question, output)
        self.assertIn("Save this workload", output)
        _, report = self.rendered(out)
        image = report["images"][0]
        self.assertEqual(image["base"]["python_version"], "3.13")
        ignore = image["steps"][-1]["kwargs"]["ignore"]
        self.assertIn("**/data", ignore)
        self.assertIn("**/.venv", ignore)  # the defaults stay with --exclude

    def test_preset_with_settings_flags_is_refused(self):
        r = self.dev("--yes", "dev", "--preset", "any", "--gpu", "L4")
        self.assertExit(r, 2)
        self.assertIn("--gpu", r.err)

    def test_unknown_preset_is_exit_2(self):
        r = self.dev("--yes", "dev", "--preset", "ghost")
        self.assertExit(r, 2)
        self.assertIn("ghost", r.err)
        self.assertEqual(self.fake.calls_of("run"), [])

    def test_corrupt_presets_file_is_exit_3_and_untouched(self):
        self.state_dir.mkdir(mode=0o700)
        bad = self.state_dir / "presets.json"
        bad.write_bytes(b'{"x": ')
        os.chmod(bad, 0o600)
        r = self.dev("--yes", "dev", "--preset", "x")
        self.assertExit(r, 3)
        self.assertEqual(bad.read_bytes(), b'{"x": ')
        self.assertEqual(self.modal_calls(), [])

    def test_bad_input(self):
        for args in (["--pip", "-x"], ["--gpu", "Z9000"], ["--memory", "512"], ["--save-preset", "a b"]):
            r = self.dev("--yes", "dev", "--cpu", "2", *args) if args[0] != "--memory" else \
                self.dev("--yes", "dev", *args)
            self.assertExit(r, 2)
        r = self.dev("--yes", "--profile", "ghost", "dev", "--cpu", "2")
        self.assertExit(r, 2)
        self.assertEqual(self.modal_calls(), [])

    def test_missing_modal_is_exit_4(self):
        r = self.dev("--yes", "dev", "--cpu", "2", env={"PATH": "/usr/bin:/bin"})
        self.assertExit(r, 4)


if __name__ == "__main__":
    main()
