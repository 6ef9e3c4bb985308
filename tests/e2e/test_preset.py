# SPDX-License-Identifier: MIT
"""`m-gpux preset …` end to end: presets.json as
the state service writes it (structured fields plus the original's
compute_spec / compute_label / pip_section), every prompt answered by a flag,
confirmations for replacing and deleting, and refusals that leave the file
byte-for-byte alone. Only `preset run` calls `modal` (the same launch as hub and dev)."""
import ast
import json
import os

from harness import MgpuxTestCase, main

DEFAULT_EXCLUDES = [".venv", "venv", "__pycache__", ".git", "node_modules"]


class PresetTestCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()
        self.presets_file = self.state_dir / "presets.json"
        self.project = self.tmp / "proj"
        self.project.mkdir()

    def preset(self, *args, **kw):
        kw.setdefault("cwd", self.project)
        return self.run_mgpux("preset", *args, **kw)

    def preset_json(self, *args, **kw):
        r = self.preset(*args, "--json", **kw)
        self.assertExit(r, 0)
        return r.json()

    def stored(self):
        return json.loads(self.presets_file.read_text(encoding="utf-8"))

    def write_presets(self, doc):
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        self.presets_file.write_text(json.dumps(doc, indent=2), encoding="utf-8")
        os.chmod(self.presets_file, 0o600)

    def assertNoModalCalls(self):
        self.assertEqual(self.modal_calls(), [])


class CreateTests(PresetTestCase):
    def test_every_answer_as_a_flag(self):
        doc = self.preset_json("create", "train-h100", "--action", "dev", "--gpu", "h100:2", "--python", "3.11",
                               "--pip", "torch==2.4.0", "--pip", "numpy>=1,<3", "--exclude", "data",
                               "--exclude", "*.ckpt", "--profile", "work", "--no-input")
        saved = self.stored()["train-h100"]
        self.assertEqual(doc, saved)
        expected = {
            "name": "train-h100", "action": "dev", "gpu": "H100", "gpu_count": 2, "cpu": None, "memory_mb": None,
            "python_version": "3.11", "pip_packages": ["torch==2.4.0", "numpy>=1,<3"], "requirements": None,
            "exclude_patterns": ["data", "*.ckpt"], "script": None, "profile": "work",
            # the original's fragments, regenerated so the Python tool still runs this preset
            "compute_spec": 'gpu="H100:2"', "compute_label": "H100:2",
            "pip_section": '.pip_install("torch==2.4.0", "numpy>=1,<3")',
        }
        for key, value in expected.items():
            self.assertEqual(saved[key], value, key)
        self.assertEqual(saved["created_at"], saved["updated_at"])
        self.assertEqual(oct(self.presets_file.stat().st_mode & 0o777), "0o600")
        self.assertNoModalCalls()

    def test_image_is_stored_and_checked(self):
        self.publish_image("torch-base", ["alice"], python="3.11")
        self.preset_json("create", "nb", "--cpu", "2", "--image", "torch-base", "--yes")
        self.assertEqual(self.stored()["nb"]["image"], "torch-base")
        r = self.preset("create", "lost", "--cpu", "2", "--image", "nowhere", "--yes")
        self.assertExit(r, 2)
        self.assertIn("nowhere", r.err)
        self.assertNotIn("lost", self.stored())

    def test_defaults_under_yes(self):
        r = self.preset("create", "--yes")
        self.assertExit(r, 0)
        self.assertIn("Saved preset bash-l4", r.out)
        saved = self.stored()["bash-l4"]
        self.assertEqual((saved["action"], saved["gpu"], saved["gpu_count"], saved["python_version"]),
                         ("bash", "L4", 1, "3.12"))
        self.assertEqual(saved["exclude_patterns"], DEFAULT_EXCLUDES)
        self.assertEqual(saved["pip_packages"], [])
        self.assertEqual(saved["pip_section"], "")
        self.assertEqual(saved["profile"], "alice", "without --profile the active profile is stored")

    def test_empty_exclude_means_none(self):
        self.assertEqual(self.preset_json("create", "p", "--exclude", "", "--yes")["exclude_patterns"], [])

    def test_no_profile_file_stores_null_profile(self):
        self.toml.unlink()
        self.preset_json("create", "p", "--yes")
        self.assertIsNone(self.stored()["p"]["profile"])

    def test_cpu_sizes(self):
        self.preset_json("create", "small", "--cpu", "4", "--yes")
        self.preset_json("create", "roomy", "--cpu", "4", "--memory", "8192", "--yes")
        presets = self.stored()
        self.assertEqual((presets["small"]["cpu"], presets["small"]["memory_mb"], presets["small"]["gpu"]), (4, 2048, None))
        self.assertEqual(presets["small"]["compute_spec"], "cpu=4, memory=2048")
        self.assertEqual(presets["small"]["compute_label"], "CPU (4 cores, 2048 MB)")
        self.assertEqual(presets["roomy"]["memory_mb"], 8192)

    def test_one_core_is_singular(self):
        r = self.preset("create", "tiny", "--cpu", "1", "--action", "bash", "--python", "3.12", "--yes")
        self.assertExit(r, 0)
        self.assertIn("bash on CPU (1 core, 512 MB)", r.out)
        self.assertEqual(self.stored()["tiny"]["compute_label"], "CPU (1 core, 512 MB)")

    def test_default_name_for_cpu_has_no_punctuation(self):
        r = self.preset("create", "--cpu", "8", "--action", "jupyter", "--yes")
        self.assertExit(r, 0)
        self.assertEqual(list(self.stored()), ["jupyter-cpu8"])

    def test_requirements_inside_the_folder_are_stored_relative(self):
        (self.project / "req").mkdir()
        (self.project / "req" / "base.txt").write_text("numpy\n")
        doc = self.preset_json("create", "rel", "--requirements", "./req/../req/base.txt", "--yes")
        self.assertEqual(doc["requirements"], "req/base.txt")
        self.assertEqual(doc["pip_section"], '.pip_install_from_requirements("req/base.txt")')
        doc = self.preset_json("create", "rel-abs", "--requirements", str(self.project / "req" / "base.txt"), "--yes")
        self.assertEqual(doc["requirements"], "req/base.txt")

    def test_requirements_outside_the_folder_are_stored_absolute(self):
        outside = self.tmp / "shared-req.txt"
        outside.write_text("torch\n")
        r = self.preset("create", "abs", "--requirements", "../shared-req.txt", "--yes", "--json")
        self.assertExit(r, 0)
        self.assertEqual(r.json()["requirements"], str(outside))
        r = self.preset("create", "missing", "--requirements", "nope.txt", "--yes")
        self.assertExit(r, 0)
        self.assertIn("nope.txt does not exist here", r.err)

    def test_adversarial_strings_stay_data(self):
        nasty = 'r "q" \'s\' \\ """ {{x}} é ß'
        doc = self.preset_json("create", "odd", "--requirements", nasty + ".txt", "--exclude", nasty,
                               "--exclude", "line\nbreak", "--yes")
        self.assertEqual(doc["requirements"], nasty + ".txt")
        self.assertEqual(doc["exclude_patterns"], [nasty, "line\nbreak"])
        # the regenerated fragment is one Python call whose argument reads back exactly
        prefix, suffix = ".pip_install_from_requirements(", ")"
        section = doc["pip_section"]
        self.assertTrue(section.startswith(prefix) and section.endswith(suffix), section)
        self.assertEqual(ast.literal_eval(section[len(prefix):-len(suffix)]), nasty + ".txt")
        self.assertEqual(self.stored()["odd"], doc)
        # a package that could break out of the call is refused, not escaped into it
        r = self.preset("create", "odd2", "--pip", 'x") ; import os; ("', "--yes")
        self.assertExit(r, 2)
        self.assertNotIn("odd2", self.stored())

    def test_pip_and_requirements_exclude_each_other(self):
        r = self.preset("create", "x", "--pip", "a", "--requirements", "r.txt", "--yes")
        self.assertExit(r, 2)
        self.assertFalse(self.presets_file.exists())

    def test_interactive_needs_a_script_inside_the_folder(self):
        (self.project / "src").mkdir()
        (self.project / "src" / "play.py").write_text("input()\n")
        r = self.preset("create", "i", "--action", "interactive", "--no-input")
        self.assertExit(r, 2)
        self.assertIn("--script", r.err)
        r = self.preset("create", "i", "--action", "interactive", "--script", "../elsewhere.py", "--yes")
        self.assertExit(r, 2)
        self.assertIn("not inside the current folder", r.err)
        r = self.preset("create", "i", "--action", "bash", "--script", "src/play.py", "--yes")
        self.assertExit(r, 2)
        self.assertIn("only for --action interactive", r.err)
        self.assertFalse(self.presets_file.exists())
        doc = self.preset_json("create", "i", "--action", "interactive", "--script", str(self.project / "src" / "play.py"),
                               "--yes")
        self.assertEqual((doc["action"], doc["script"]), ("interactive", "src/play.py"))

    def test_bad_values_are_usage_errors_and_write_nothing(self):
        cases = [
            (["--gpu", "H900"], "unknown GPU"),
            (["--gpu", "H100:99"], "H100"),
            (["--gpu", "L4", "--cpu", "2"], ""),
            (["--cpu", "0"], "1..64"),
            (["--cpu", "65"], "1..64"),
            (["--gpu", "L4", "--memory", "1024"], "--memory"),
            (["--memory", "1024"], "--memory"),
            (["--python", "3.9"], "3.9"),
            (["--action", "notebook"], "notebook"),
            (["--pip", "-e ."], "pip"),
        ]
        for extra, needle in cases:
            with self.subTest(extra=extra):
                r = self.preset("create", "bad", *extra, "--yes")
                self.assertExit(r, 2)
                self.assertIn(needle, r.err)
        self.assertFalse(self.presets_file.exists())
        self.assertNoModalCalls()

    def test_awkward_names_are_refused(self):
        for name in ["bash-cpu-(8-cores,-4096-mb)", "with space", "_under", ".dot", "x" * 65, "a/b"]:
            with self.subTest(name=name):
                r = self.preset("create", name, "--yes")
                self.assertExit(r, 2)
                self.assertIn("invalid preset name", r.err)
        self.assertFalse(self.presets_file.exists())

    def test_unknown_profile_is_exit_2_before_anything(self):
        r = self.preset("create", "p", "--profile", "ghost", "--yes")
        self.assertExit(r, 2)
        self.assertIn("ghost", r.err)
        self.assertFalse(self.presets_file.exists())

    def test_replacing_asks_and_no_input_keeps_the_file(self):
        self.preset_json("create", "p", "--gpu", "A100", "--pip", "torch", "--yes")
        before = self.presets_file.read_bytes()
        r = self.preset("create", "p", "--cpu", "2", "--no-input")
        self.assertExit(r, 2)
        self.assertIn("--yes", r.err)
        self.assertEqual(self.presets_file.read_bytes(), before)

    def test_replacing_with_yes_replaces_every_field_and_keeps_created_at(self):
        first = self.preset_json("create", "p", "--gpu", "A100", "--pip", "torch", "--action", "jupyter",
                                 "--profile", "work", "--yes")
        second = self.preset_json("create", "p", "--cpu", "2", "--yes")
        self.assertEqual(second["created_at"], first["created_at"])
        self.assertEqual((second["gpu"], second["cpu"], second["memory_mb"]), (None, 2, 1024))
        self.assertEqual(second["pip_packages"], [])
        self.assertEqual(second["pip_section"], "")
        self.assertEqual(second["action"], "bash")
        self.assertEqual(second["profile"], "alice")
        self.assertEqual(self.stored()["p"], second)

    def test_declining_on_a_terminal_keeps_the_preset(self):
        self.preset_json("create", "p", "--gpu", "T4", "--yes")
        before = self.presets_file.read_bytes()
        code, out = self.run_on_pty(["--profile", "alice", "preset", "create", "p", "--cpu", "2", "--action", "bash",
                                     "--python", "3.12", "--pip", "x", "--exclude", ".git"], [b"n\r"])
        self.assertEqual(code, 130, out)
        self.assertIn("kept preset 'p'", out)
        self.assertEqual(self.presets_file.read_bytes(), before)

    def test_menus_on_a_terminal(self):
        down, enter = b"\x1b[B", b"\r"
        # profile: alice (the active one); action: bash (default); compute: CPU; size: default 8 cores;
        # Python: the default; pip; excludes; name (default)
        code, out = self.run_on_pty(["preset", "create"],
                                    [enter, enter, down, enter, enter, enter, b"numpy, pandas\r", b".git,data\r",
                                     enter])
        self.assertEqual(code, 0, out)
        saved = self.stored()["bash-cpu8"]
        self.assertEqual((saved["cpu"], saved["memory_mb"]), (8, 4096))
        self.assertEqual(saved["pip_packages"], ["numpy", "pandas"])
        self.assertEqual(saved["exclude_patterns"], [".git", "data"])

    def test_wizard_asks_the_profile_the_gpu_count_and_python(self):
        down, enter = b"\x1b[B", b"\r"
        keys = [down, enter,          # profile: work (alice is the active one, and the default)
                enter,                # action: bash
                enter, enter,         # compute: GPU, L4
                down, down, enter,    # how many: 3
                down, enter,          # Python: 3.13
                enter, enter, enter]  # no packages, default excludes, default name
        code, out = self.run_on_pty(["preset", "create"], keys)
        self.assertEqual(code, 0, out)
        for question in ("Modal profile", "How many L4 GPUs", "Python version"):
            self.assertIn(question, out)
        (saved,) = self.stored().values()
        self.assertEqual((saved["profile"], saved["gpu"], saved["gpu_count"], saved["python_version"]),
                         ("work", "L4", 3, "3.13"))
        self.assertEqual(saved["compute_label"], "L4:3")

    def test_flags_skip_the_new_questions(self):
        code, out = self.run_on_pty(["--profile", "work", "preset", "create", "p", "--action", "bash", "--gpu", "L4",
                                     "--python", "3.11", "--pip", "x", "--exclude", ".git"], [])
        self.assertEqual(code, 0, out)
        for question in ("Modal profile", "How many", "Python version"):
            self.assertNotIn(question, out)
        saved = self.stored()["p"]
        self.assertEqual((saved["profile"], saved["gpu"], saved["gpu_count"], saved["python_version"]),
                         ("work", "L4", 1, "3.11"))

    def test_dry_run_writes_nothing(self):
        r = self.preset("create", "p", "--yes", "--dry-run")
        self.assertExit(r, 0)
        self.assertIn("not saved", r.err)
        self.assertFalse(self.presets_file.exists())

    def test_corrupt_file_is_exit_3_and_untouched(self):
        self.state_dir.mkdir(mode=0o700)
        self.presets_file.write_bytes(b'{"p": {"action": "bash",')
        before = self.presets_file.read_bytes()
        for args in (["create", "p", "--yes"], ["create", "q", "--yes"], ["list"], ["delete", "p", "--yes"]):
            with self.subTest(args=args):
                r = self.preset(*args)
                self.assertExit(r, 3)
                self.assertIn("presets.json", r.err)
                self.assertEqual(self.presets_file.read_bytes(), before)

    def test_works_without_modal(self):
        r = self.preset("create", "p", "--yes", env={"PATH": "/usr/bin:/bin"})
        self.assertExit(r, 0)
        r = self.preset("list", env={"PATH": "/usr/bin:/bin"})
        self.assertExit(r, 0)


class ListShowTests(PresetTestCase):
    ORIGINAL = {
        "rl-a100": {
            "action": "dev", "compute_label": "A100", "compute_spec": "gpu=\"A100\"",
            "created_at": "2026-05-07T09:40:00+00:00", "exclude_patterns": DEFAULT_EXCLUDES, "name": "rl-a100",
            "pip_section": ".pip_install_from_requirements(\"/home/me/proj/requirements.txt\")",
            "profile": "personal", "updated_at": "2026-05-07T09:40:00+00:00",
        },
        "cpu-box": {"action": "bash", "compute_spec": "cpu=8, memory=4096", "compute_label": "CPU (8 cores, 4096 MB)",
                    "pip_section": ".pip_install('a', 'b')", "name": "cpu-box"},
        "evil": {"action": "bash", "compute_spec": "gpu=__import__('os').system('id')", "name": "evil"},
    }

    def test_empty_list(self):
        r = self.preset("list")
        self.assertExit(r, 0)
        self.assertIn("No presets saved yet", r.err)
        self.assertEqual(self.preset_json("list"), {"presets": []})

    def test_list_reads_the_original_format_and_flags_broken_presets(self):
        self.write_presets(self.ORIGINAL)
        before = self.presets_file.read_bytes()
        r = self.preset("list")
        self.assertExit(r, 0)
        lines = r.out.splitlines()
        self.assertIn("M-GPUX Workload Presets", lines[0])
        self.assertRegex(r.out, r"cpu-box\s+bash\s+CPU \(8 cores, 4096 MB\)")
        self.assertRegex(r.out, r"evil\s+bash\s+\(unreadable\)")
        self.assertRegex(r.out, r"rl-a100\s+dev\s+A100\s+-\s+personal\s+2026-05-07 09:40")
        self.assertIn("preset evil cannot be used", r.err)
        docs = self.preset_json("list")["presets"]
        self.assertEqual([d["name"] for d in docs], ["cpu-box", "evil", "rl-a100"])
        self.assertEqual(docs[0]["pip_packages"], ["a", "b"])
        self.assertEqual(docs[2]["requirements"], "/home/me/proj/requirements.txt")
        self.assertIn("error", docs[1])
        self.assertEqual(self.presets_file.read_bytes(), before, "listing never rewrites the file")

    def test_show(self):
        self.write_presets(self.ORIGINAL)
        r = self.preset("show", "cpu-box")
        self.assertExit(r, 0)
        self.assertRegex(r.out, r"pip_packages\s+a, b")
        self.assertRegex(r.out, r"cpu\s+8\n")
        doc = self.preset_json("show", "rl-a100")
        self.assertEqual((doc["gpu"], doc["profile"], doc["action"]), ("A100", "personal", "dev"))

    def test_show_missing_is_2_and_broken_is_3(self):
        self.write_presets(self.ORIGINAL)
        r = self.preset("show", "nope")
        self.assertExit(r, 2)
        self.assertIn("nope", r.err)
        r = self.preset("show", "evil")
        self.assertExit(r, 3)
        self.assertIn("evil", r.err)


class DeleteRunTests(PresetTestCase):
    def setUp(self):
        super().setUp()
        self.preset_json("create", "keep", "--gpu", "L4", "--yes")
        self.preset_json("create", "gone", "--cpu", "2", "--action", "jupyter", "--yes")

    def test_delete_with_yes(self):
        doc = self.preset_json("delete", "gone", "--yes")
        self.assertEqual(doc, {"deleted": "gone", "dry_run": False})
        self.assertEqual(list(self.stored()), ["keep"])

    def test_delete_needs_yes_under_no_input(self):
        before = self.presets_file.read_bytes()
        r = self.preset("delete", "gone", "--no-input")
        self.assertExit(r, 2)
        self.assertIn("--yes", r.err)
        self.assertEqual(self.presets_file.read_bytes(), before)

    def test_delete_on_a_terminal(self):
        code, out = self.run_on_pty(["preset", "delete", "gone"], [b"n\r"])
        self.assertEqual(code, 130, out)
        self.assertIn("gone", self.stored())
        code, out = self.run_on_pty(["preset", "delete", "gone"], [b"y\r"])
        self.assertEqual(code, 0, out)
        self.assertNotIn("gone", self.stored())

    def test_delete_missing_is_exit_2(self):
        before = self.presets_file.read_bytes()
        r = self.preset("delete", "nope", "--yes")
        self.assertExit(r, 2)
        self.assertIn("no preset named 'nope'", r.err)
        self.assertEqual(self.presets_file.read_bytes(), before)

    def test_delete_dry_run_keeps_it(self):
        r = self.preset("delete", "gone", "--yes", "--dry-run")
        self.assertExit(r, 0)
        self.assertIn("not deleted", r.err)
        self.assertIn("gone", self.stored())

    def ready(self):
        self.fake.set_scenario([{"match": ["run"], "container_output": ["[m-gpux] READY https://p-1.modal.host"]}])

    def launched_script(self):
        return open(self.fake.calls_of("run")[-1]["script"]["copy"], encoding="utf-8").read()

    def test_run_launches_the_matching_template(self):
        self.ready()
        (self.project / "quiz.py").write_text("input()\n", encoding="utf-8")
        self.preset_json("create", "quiz", "--cpu", "2", "--action", "interactive", "--script", "quiz.py", "--yes")
        self.preset_json("create", "devbox", "--gpu", "A10G:2", "--action", "dev", "--profile", "work", "--yes")
        for name, kind, app, template in (("keep", "bash", "m-gpux-shell", "hub/bash.py"),
                                          ("gone", "jupyter", "m-gpux-jupyter", "hub/jupyter.py"),
                                          ("quiz", "interactive", "m-gpux-interactive", "hub/interactive.py"),
                                          ("devbox", "dev", "m-gpux-shell", "dev/shell.py")):
            with self.subTest(name=name):
                doc = self.preset_json("run", name, "--yes")
                self.assertEqual((doc["kind"], doc["app_name"], doc["preset"], doc["url"]),
                                 (kind, app, name, "https://p-1.modal.host"))
                run = self.fake.calls_of("run")[-1]
                self.assertEqual(run["argv"][:2], ["run", "--detach"])
                self.assertEqual(run["env"].get("MODAL_PROFILE"), "work" if name == "devbox" else "alice")
                self.assertIn(template, self.launched_script())
                session = json.loads((self.state_dir / "sessions.json").read_text())[-1]
                self.assertEqual((session["kind"], session["preset"], session["local_dir"], session["app_id"]),
                                 (kind, name, str(self.project), doc["app_id"]))
        quiz_script = open(self.fake.calls_of("run")[2]["script"]["copy"], encoding="utf-8").read()
        self.assertIn('SCRIPT_PATH = "quiz.py"', quiz_script)
        # Each launch was one modal process, its login an ephemeral secret: no `secret create`.
        self.assertEqual([c["argv"][0] for c in self.modal_calls()], ["run"] * 4)
        self.assertEqual([sorted(k for k, given in c["script"]["local_environ"].items() if given)
                          for c in self.fake.calls_of("run")],
                         [["TTYD_CREDENTIAL"], ["JUPYTER_TOKEN"], ["TTYD_CREDENTIAL"], ["TTYD_CREDENTIAL"]])
        self.assertEqual(self.fake.secrets(), [])

    def test_run_starts_from_the_presets_image(self):
        self.publish_image("torch-base", ["alice"])
        self.write_presets({"img": {"action": "jupyter", "cpu": 2, "image": "torch-base"},
                            "lost-img": {"action": "bash", "cpu": 2, "image": "nowhere"}})
        out = self.tmp / "p.py"
        r = self.run_mgpux("--dry-run", "--script-out", out, "preset", "run", "img", "--yes", cwd=self.project)
        self.assertExit(r, 0)
        self.assertEqual(self.from_name_literals(out.read_text(encoding="utf-8")), ["torch-base"])
        r = self.run_mgpux("--dry-run", "--script-out", out, "dev", "--preset", "img", "--yes", cwd=self.project)
        self.assertExit(r, 0)
        self.assertEqual(self.from_name_literals(out.read_text(encoding="utf-8")), ["torch-base"])
        r = self.preset("run", "lost-img", "--yes", "--dry-run")
        self.assertExit(r, 2)
        self.assertIn("nowhere", r.err)
        self.assertNoModalCalls()

    def test_run_dry_run_and_profile_override(self):
        r = self.preset("run", "keep", "--yes", "--dry-run", "--profile", "work")
        self.assertExit(r, 0)
        self.assertIn("modal run --detach", r.err + r.out)
        self.assertNoModalCalls()
        self.assertFalse((self.state_dir / "sessions.json").exists())

    def test_run_unusable_presets(self):
        self.write_presets({
            "ghost-prof": {"action": "bash", "cpu": 2, "profile": "nobody"},
            "no-script": {"action": "interactive", "cpu": 2},
            "old-req": {"action": "bash", "cpu": 2, "requirements": "/nowhere/requirements.txt"},
            "evil": {"action": "bash", "compute_spec": "gpu=__import__('os').system('id')"},
        })
        for name, code in (("ghost-prof", 2), ("no-script", 2), ("old-req", 2), ("evil", 3)):
            with self.subTest(name=name):
                self.assertExit(self.preset("run", name, "--yes"), code)
        self.assertNoModalCalls()

    def test_run_names_the_preset_and_the_stored_field_that_no_longer_works(self):
        (self.project / "req-here.txt").write_text("httpx\n", encoding="utf-8")
        self.write_presets({
            "old-req": {"action": "bash", "cpu": 2, "requirements": "/nowhere/requirements.txt"},
            "rel-req": {"action": "bash", "cpu": 2, "requirements": "sub/requirements.txt"},
            "no-script": {"action": "interactive", "cpu": 2, "script": "quiz.py"},
            "out-script": {"action": "interactive", "cpu": 2, "script": "../elsewhere.py"},
            "ghost-prof": {"action": "bash", "cpu": 2, "profile": "nobody"},
            "bad-gpu": {"action": "bash", "gpu": "Z100"},
            "big-count": {"action": "bash", "gpu": "L4", "gpu_count": 16},
            "bad-python": {"action": "bash", "cpu": 2, "python_version": "2.7"},
            "bad-pip": {"action": "bash", "cpu": 2, "pip_packages": ["torch numpy"]},
            # refused by the state service itself when it reads the file (exit 3)
            "huge-count": {"action": "bash", "gpu": "L4", "gpu_count": 99},
            "bad-cpu": {"action": "bash", "cpu": 999},
            "bad-action": {"action": "vllm", "cpu": 2},
        })
        (self.tmp / "elsewhere.py").write_text("x = 1\n", encoding="utf-8")
        expected = {
            "old-req": "its requirements file /nowhere/requirements.txt no longer exists",
            "rel-req": f"its requirements file {self.project / 'sub' / 'requirements.txt'} no longer exists",
            "no-script": f"its script quiz.py no longer exists in {self.project}",
            "out-script": "its script ../elsewhere.py is not inside",
            "ghost-prof": "its profile 'nobody' is not in the Modal config file",
            "bad-gpu": "its GPU cannot be used: unknown GPU 'Z100'",
            "big-count": "its GPU cannot be used: GPU count for L4",
            "bad-python": "its Python version cannot be used: unsupported Python version '2.7'",
            "bad-pip": "its pip packages cannot be used: value \"torch numpy\" holds whitespace",
            "bad-action": "its action 'vllm' is not",
            "huge-count": f"in {self.presets_file}: gpu_count 99",
            "bad-cpu": f"in {self.presets_file}: cpu 999",
        }
        for name, text in expected.items():
            with self.subTest(name=name):
                r = self.preset("run", name, "--yes")
                self.assertExit(r, 3 if name in ("huge-count", "bad-cpu") else 2)
                self.assertIn(f"preset '{name}'" + ("" if text.startswith("in ") else ":") + f" {text}", r.err)
                self.assertIn(f"m-gpux preset create {name}", r.err)
                self.assertIn(f"m-gpux preset delete {name}", r.err)
                for flag in ("--requirements", "--script", "--gpu", "--cpu", "--python", "--pip"):
                    self.assertNotIn(flag + ":", r.err)
        self.assertNoModalCalls()
        r = self.run_mgpux("--yes", "dev", "--preset", "old-req", cwd=self.project)
        self.assertExit(r, 2)
        self.assertIn("preset 'old-req': its requirements file /nowhere/requirements.txt no longer exists", r.err)

    def test_run_without_any_account_writes_nothing(self):
        self.toml.unlink()
        before = self.presets_file.read_bytes()
        for extra in ([], ["--background", "--json"]):
            with self.subTest(extra=extra):
                r = self.preset("run", "keep", "--yes", *extra)
                self.assertExit(r, 3)
                self.assertIn("no Modal account is set up", r.err)
                self.assertIn("m-gpux account add", r.err)
        self.assertNoModalCalls()
        self.assertFalse((self.state_dir / "runs").exists())
        self.assertFalse((self.state_dir / "sessions.json").exists())
        self.assertEqual(self.presets_file.read_bytes(), before)
        self.write_presets({"no-profile": {"action": "bash", "cpu": 2}})
        r = self.preset("run", "no-profile", "--yes", "--dry-run")
        self.assertExit(r, 0)
        self.assertIn("modal run --detach", r.err + r.out)

    def test_run_missing_modal_is_exit_4(self):
        r = self.preset("run", "keep", "--yes", env={"PATH": "/usr/bin:/bin"})
        self.assertExit(r, 4)

    def test_run_missing_is_exit_2(self):
        r = self.preset("run", "nope", "--yes")
        self.assertExit(r, 2)
        self.assertNoModalCalls()


if __name__ == "__main__":
    main()
