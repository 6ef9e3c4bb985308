# SPDX-License-Identifier: MIT
"""m-gpux image build|list|show|delete: publishing through the fake modal (one run per profile),
the rendered script checked with the modal stand-in, and images.json."""
import json
import subprocess
import sys

from harness import SUPPORT_DIR, MgpuxTestCase, main

RESULT = '[m-gpux] RESULT {"published": "torch-base"}'


class ImageTestCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()  # alice (active), work
        self.store = self.state_dir / "images.json"

    def publishes(self, failing_profile=None):
        rules = []
        if failing_profile:
            rules.append({"match": ["run"], "env": {"MODAL_PROFILE": failing_profile}, "exit": 1,
                          "stderr": "Error: image build failed"})
        rules.append({"match": ["run"], "container_output": [RESULT]})
        self.fake.set_scenario(rules)

    def run_entrypoint(self, script):
        """Imports the rendered script with the modal stand-in, calls its local entrypoint and
        returns the image records (what was built and published)."""
        path = self.tmp / "build_image.py"
        path.write_text(script, encoding="utf-8")
        code = ("import json, runpy\n"
                "g = runpy.run_path(%r)\n"
                "g['main']()\n"
                "from modal._state import STATE\n"
                "print(json.dumps({'images': [i._record() for i in STATE.images], 'errors': STATE.errors}))\n"
                % str(path))
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(self.tmp),
                              env={"PYTHONPATH": str(SUPPORT_DIR), "PATH": "/usr/bin:/bin"}, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout.strip().splitlines()[-1])


class BuildTest(ImageTestCase):
    def test_build_publishes_to_each_profile_and_records_it(self):
        self.publishes()
        out = self.tmp / "build.py"
        r = self.run_mgpux("--yes", "--script-out", out, "image", "build", "torch-base", "--python", "3.11",
                           "--pip", "rich==13.9.4", "--apt", "ffmpeg", "-a", "work", "-a", "alice")
        self.assertExit(r, 0)
        runs = self.fake.calls_of("run")
        self.assertEqual(sorted(c["env"]["MODAL_PROFILE"] for c in runs), ["alice", "work"])
        doc = json.loads(self.store.read_text(encoding="utf-8"))
        self.assertEqual(doc["torch-base"]["profiles"], ["alice", "work"])
        self.assertEqual(doc["torch-base"]["python"], "3.11")
        self.assertEqual(doc["torch-base"]["summary"], "debian_slim + 1 pip + 1 apt")
        self.assertTrue(doc["torch-base"]["updated_at"].endswith("Z"))
        report = self.run_entrypoint(out.read_text(encoding="utf-8"))
        self.assertEqual(report["errors"], [])
        (image,) = [i for i in report["images"] if i["published"]]
        self.assertEqual(image["published"], ["torch-base"])
        self.assertTrue(image["built"])
        self.assertEqual(image["base"]["python_version"], "3.11")
        steps = json.dumps(image["steps"])
        self.assertIn("rich==13.9.4", steps)
        self.assertIn("ffmpeg", steps)

    def test_cuda_base(self):
        out = self.tmp / "cuda.py"
        r = self.run_mgpux("--dry-run", "--script-out", out, "image", "build", "cu", "--base", "cuda")
        self.assertExit(r, 0)
        report = self.run_entrypoint(out.read_text(encoding="utf-8"))
        self.assertEqual(report["images"][0]["base"]["type"], "from_registry")
        self.assertFalse(self.store.exists())  # a dry run records nothing

    def test_a_failing_profile_is_exit_1_and_only_the_others_are_recorded(self):
        self.publishes(failing_profile="work")
        r = self.run_mgpux("--yes", "image", "build", "torch-base", "-a", "alice", "-a", "work")
        self.assertExit(r, 1)
        self.assertIn("failed for work", r.err)
        self.assertEqual(json.loads(self.store.read_text())["torch-base"]["profiles"], ["alice"])

    def test_bad_input_is_refused_before_any_run(self):
        for args in (("bad name",), ("ok", "--pip", "-e ."), ("ok", "--apt", "rm -rf"), ("ok", "-a", "nobody"),
                     ("ok", "--requirements", "missing.txt")):
            r = self.run_mgpux("--yes", "image", "build", *args)
            self.assertExit(r, 2)
        self.assertEqual(self.fake.calls_of("run"), [])

    def test_published_image_is_usable_with_hub_image(self):
        self.publishes()
        self.assertExit(self.run_mgpux("--yes", "image", "build", "torch-base", "-a", "alice"), 0)
        project = self.tmp / "proj"
        project.mkdir()
        out = self.tmp / "nb.py"
        r = self.run_mgpux("--dry-run", "--script-out", out, "hub", "jupyter", "--gpu", "L4", "--image",
                           "torch-base", cwd=project)
        self.assertExit(r, 0)
        self.assertIn('modal.Image.from_name("torch-base")', out.read_text(encoding="utf-8"))


class RecordsTest(ImageTestCase):
    def write_store(self):
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        self.store.write_text(json.dumps({
            "torch-base": {"profiles": ["work"], "python": "3.11", "summary": "debian_slim + 1 pip",
                           "updated_at": "2026-12-01T10:00:00Z"},
            "cv": {"profiles": ["alice"], "python": "3.12", "summary": "cuda", "updated_at": "2026-12-02T10:00:00Z"},
        }), encoding="utf-8")
        self.store.chmod(0o600)

    def test_list_show_delete(self):
        self.write_store()
        r = self.run_mgpux("--json", "image", "list")
        self.assertExit(r, 0)
        self.assertEqual([i["name"] for i in r.json()["images"]], ["cv", "torch-base"])
        r = self.run_mgpux("--json", "image", "show", "torch-base")
        self.assertExit(r, 0)
        self.assertEqual(r.json()["profiles"], ["work"])
        self.assertExit(self.run_mgpux("image", "show", "nope"), 2)
        self.assertExit(self.run_mgpux("image", "delete", "cv"), 0)
        self.assertEqual(list(json.loads(self.store.read_text())), ["torch-base"])
        self.assertEqual(self.modal_calls(), [])

    def test_corrupt_store_is_exit_3_and_untouched(self):
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        self.store.write_text("[1]", encoding="utf-8")
        self.store.chmod(0o600)
        for args in (("image", "list"), ("image", "delete", "x")):
            self.assertExit(self.run_mgpux(*args), 3)
        self.assertEqual(self.store.read_text(), "[1]")


if __name__ == "__main__":
    main()
