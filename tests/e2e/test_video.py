# SPDX-License-Identifier: MIT
"""m-gpux video generate|storyboard|download|list through the fake modal: the Hugging Face token
reaches only the run's secret, `modal run` is attached with the profile pinned, success needs the
script's RESULT line, and downloads are `modal volume get` calls with the right path."""
import json
import os
import re
from pathlib import Path

from harness import MgpuxTestCase, main, module_literals

TOKEN = "hf_videotokenvalue987"
RESULT = {"kind": "video", "files": ["r/video_5.mp4"], "video": "r/video_5.mp4"}


class VideoTestCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()

    def result_scenario(self, doc=None, exit_code=None):
        rule = {"match": ["run"], "container_output": ["[m-gpux] RESULT " + json.dumps(doc or RESULT)]}
        if exit_code is not None:
            rule["exit"] = exit_code
        self.fake.set_scenario([rule])

    def calls_text(self):
        path = self.fake.home / "calls.jsonl"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def script_of_last_run(self):
        return Path(self.fake.calls_of("run")[-1]["script"]["copy"]).read_text(encoding="utf-8")

    def assert_token_nowhere(self, token=TOKEN):
        """Not in the call log, and in no file left anywhere under the test's folder: the run
        directory (script, logs), the state files, the fake's snapshots and volumes."""
        self.assertNotIn(token, self.calls_text())
        run_files = list((self.state_dir / "runs").rglob("*"))
        self.assertTrue(any(p.name.endswith(".py") for p in run_files), run_files)  # the walk sees the run
        for dirpath, _dirs, files in os.walk(self.tmp):
            for name in files:
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8", errors="replace") as handle:
                    self.assertNotIn(token, handle.read(), path)


class GenerateTest(VideoTestCase):
    def test_token_goes_only_into_an_ephemeral_secret_and_the_run_is_attached_with_the_profile(self):
        self.result_scenario()
        env = {"MY_HF": TOKEN}
        r = self.run_mgpux("--yes", "--profile", "work", "video", "generate", "--prompt", "a red fox in the snow",
                           "--gpu", "A100-80GB", "--seed", "5", "--frames", "49", "--hf-token-env", "MY_HF", env=env)
        self.assertExit(r, 0)
        self.assertIn("Video ready", r.err + r.out)
        # One modal process: the token is in its environment only, for Secret.from_local_environ.
        self.assertEqual([c["argv"][0] for c in self.modal_calls()], ["run"])
        (run,) = self.fake.calls_of("run")
        self.assertEqual(run["script"]["local_environ"], {"HF_TOKEN": True})
        self.assertEqual(self.fake.secrets(), [])
        self.assertEqual(run["env"].get("MODAL_PROFILE"), "work")
        self.assertNotIn("--detach", run["argv"])
        script = self.script_of_last_run()
        self.assertNotIn(TOKEN, script)
        lits = module_literals(script)
        self.assertEqual((lits["PROMPT"], lits["SEED"], lits["FRAMES"]), ("a red fox in the snow", 5, 49))
        self.assertRegex(lits["RUN_ID"], r"^\d{8}-\d{6}-[0-9a-f]{6}$")
        self.assertIs(lits["USES_HF_TOKEN"], True)
        fns = {f["name"]: f for f in self.inspect_rendered(script)["functions"]}
        self.assertEqual(fns["generate"]["gpu"], "A100-80GB")
        self.assertIsNone(fns["download_models"]["gpu"])
        self.assertEqual([s["keys"] for s in fns["download_models"]["secrets"]], [["HF_TOKEN"]])
        self.assertEqual(fns["generate"]["secrets"], [])
        self.assert_token_nowhere()

    def test_json_reports_the_files(self):
        self.result_scenario()
        r = self.run_mgpux("--yes", "--json", "video", "generate", "--prompt", "x", "--cpu", "8", "--seed", "1")
        self.assertExit(r, 0)
        doc = r.json()
        self.assertEqual((doc["kind"], doc["status"], doc["video"], doc["volume"]),
                         ("video", "completed", "r/video_5.mp4", "m-gpux-video-output"))
        self.assertIn("Gemma", r.err)  # no token: the warning
        self.assertEqual(self.fake.calls_of("secret", "create"), [])
        fns = {f["name"]: f for f in self.inspect_rendered(self.script_of_last_run())["functions"]}
        self.assertEqual((fns["generate"]["gpu"], fns["generate"]["cpu"]), (None, 8))
        self.assertEqual(fns["download_models"]["secrets"], [])

    def test_dry_run_shows_the_script_and_launches_nothing(self):
        r = self.run_mgpux("--dry-run", "video", "generate", "--prompt", "a quiet lake", "--gpu", "H100",
                           "--resolution", "1024x576", "--no-fp8", "--pipeline", "ti2vid_two_stages",
                           "--ltx-ref", "v1.0")
        self.assertExit(r, 0)
        self.assertIn('PROMPT = "a quiet lake"', r.out)
        self.assertIn("USE_FP8 = False", r.out)
        self.assertIn('LTX_COMMIT = "v1.0"', r.out)
        self.assertIn("NEEDS_LORA = True", r.out)
        self.assertIn("Checkpoint", r.err + r.out)
        self.assertEqual(self.modal_calls(), [])

    def test_a_run_without_a_result_line_fails_without_a_success_message(self):
        self.fake.set_scenario([{"match": ["run"], "container_output": ["[video] rendering..."]}])
        r = self.run_mgpux("--yes", "video", "generate", "--prompt", "x", "--gpu", "H100", "--seed", "3")
        self.assertExit(r, 1)
        self.assertNotIn("Video ready", r.out + r.err)
        self.assertIn("without the script reporting", r.err)
        self.assertEqual(len(self.fake.calls_of("run")), 1)

    def test_another_runs_result_or_a_failing_run_is_a_failure(self):
        self.result_scenario(dict(RESULT, run_id="20200101-000000-000000"))
        r = self.run_mgpux("--yes", "video", "generate", "--prompt", "x", "--gpu", "H100")
        self.assertExit(r, 1)
        self.result_scenario(exit_code=1)
        r = self.run_mgpux("--yes", "video", "generate", "--prompt", "x", "--gpu", "H100")
        self.assertExit(r, 1)
        self.assertNotIn("Video ready", r.out + r.err)

    def test_random_seed_is_printed_and_used(self):
        r = self.run_mgpux("--dry-run", "video", "generate", "--prompt", "x", "--gpu", "H100")
        self.assertExit(r, 0)
        seed = int(re.search(r"Seed: (\d+) \(random", r.err).group(1))
        self.assertIn("SEED = %d\n" % seed, r.out)

    def test_prompt_file_and_defaults(self):
        (self.tmp / "p.txt").write_text("  a cat\non a roof \n", encoding="utf-8")
        r = self.run_mgpux("--dry-run", "--no-input", "video", "generate", "--prompt-file", "p.txt", "--seed", "0")
        self.assertExit(r, 0)
        lits = module_literals(r.out[r.out.index("# Generated by"):])
        self.assertEqual((lits["PROMPT"], lits["FRAMES"], lits["WIDTH"], lits["HEIGHT"], lits["PIPELINE"]),
                         ("a cat\non a roof", 97, 768, 512, "distilled"))
        self.assertIn('gpu="H100"', r.out)  # the menu's default

    def test_usage_errors(self):
        (self.tmp / "empty.txt").write_text(" \n", encoding="utf-8")
        cases = [(["--prompt", ""], "prompt is empty"), (["--prompt-file", "empty.txt"], "prompt is empty"),
                 (["--prompt", "x", "--seed", "-1"], "--seed"), (["--prompt", "x", "--seed", "abc"], "--seed"),
                 (["--prompt", "x", "--frames", "50"], "8k+1"), (["--prompt", "x", "--resolution", "700x500"],
                                                                  "--resolution"),
                 (["--prompt", "x", "--hf-token-env", "UNSET_VAR_Q"], "UNSET_VAR_Q"),
                 (["--prompt", "x", "--ltx-ref", "x;y"], "--ltx-ref"),
                 (["--prompt", "x", "--prompt-file", "empty.txt"], "not both")]
        for args, word in cases:
            with self.subTest(args=args):
                r = self.run_mgpux("--yes", "video", "generate", "--gpu", "H100", *args)
                self.assertExit(r, 2)
                self.assertIn(word, r.err)
        self.assertEqual(self.modal_calls(), [])

    def test_gpu_menu_on_a_terminal_starts_on_h100_and_marks_the_recommended_cards(self):
        out = self.tmp / "menu.py"
        code, output = self.run_on_pty(["--dry-run", "--script-out", str(out), "video", "generate", "--prompt", "x",
                                        "--seed", "1", "--pipeline", "distilled", "--resolution", "768x512",
                                        "--frames", "97", "--hf-token-env", "HOME"], [b"\r", b"\r", b"\r"])
        self.assertEqual(code, 0, output)
        plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
        marked = [line for line in plain.splitlines() if line.endswith("<- recommended")]
        self.assertEqual(sorted(line.replace(">", " ").split()[0] for line in marked), ["A100-80GB", "H100"], plain)
        self.assertIn("> H100 ", plain)  # the menu starts on H100
        self.assertIn('gpu="H100"', out.read_text(encoding="utf-8"))

    def test_cpu_review_does_not_crash(self):
        r = self.run_mgpux("--dry-run", "video", "generate", "--prompt", "x", "--cpu", "4", "--seed", "2")
        self.assertExit(r, 0)
        self.assertIn("CPU (4 cores", r.err + r.out)


STORY_YAML = """\
pipeline: distilled
resolution: 512x512
frames: 49
seed: 100
characters:
  Ann: a tall woman in a red coat
  Bob: a boy who waves at Ann
anchor:
  prompt: Ann, portrait
  strength: 0.7
max_parallel: 2
scenes:
  - prompt: Ann walks past Annabel's shop
  - prompt: Bob waves
    frames: 25
  - prompt: |
      Ann and Bob leave

      together
    seed: 7
"""


class StoryboardTest(VideoTestCase):
    def test_yaml_file(self):
        (self.tmp / "story.yaml").write_text(STORY_YAML, encoding="utf-8")
        self.result_scenario(dict(RESULT, kind="storyboard"))
        r = self.run_mgpux("--yes", "video", "storyboard", "--file", "story.yaml", "--gpu", "H100")
        self.assertExit(r, 0)
        self.assertIn("Video ready", r.err + r.out)
        self.assertIn("scene i uses 100+i-1", r.err + r.out)
        (run,) = self.fake.calls_of("run")
        self.assertEqual(run["env"].get("MODAL_PROFILE"), "alice")
        script = self.script_of_last_run()
        lits = module_literals(script)
        self.assertEqual([(s["number"], s["frames"], s["seed"]) for s in lits["SCENES"]],
                         [(1, 49, 100), (2, 25, 101), (3, 49, 7)])
        self.assertEqual(lits["SCENES"][0]["prompt"], "Ann (a tall woman in a red coat) walks past Annabel's shop")
        self.assertEqual(lits["SCENES"][1]["prompt"], "Bob (a boy who waves at Ann) waves")
        self.assertEqual(lits["SCENES"][2]["prompt"],
                         "Ann (a tall woman in a red coat) and Bob (a boy who waves at Ann) leave\n\ntogether")
        self.assertEqual((lits["MAX_PARALLEL"], lits["ANCHOR_STRENGTH"], lits["WIDTH"]), (2, 0.7, 512))
        self.assertEqual(lits["ANCHOR_PROMPT"], "Ann (a tall woman in a red coat), portrait")
        fns = {f["name"]: f for f in self.inspect_rendered(script)["functions"]}
        self.assertEqual(fns["generate_scene"]["max_containers"], 2)

    def test_flags_override_the_file_and_json_file_works(self):
        doc = {"seed": 1, "max_parallel": 3, "scenes": [{"prompt": "a"}, {"prompt": "b", "seed": 50}]}
        (self.tmp / "story.json").write_text(json.dumps(doc), encoding="utf-8")
        out = self.tmp / "sb.py"
        r = self.run_mgpux("--dry-run", "--script-out", out, "video", "storyboard", "--file", "story.json",
                           "--gpu", "L40S", "--seed", "10", "--max-parallel", "5", "--anchor-prompt", "hero",
                           "--anchor-strength", "9", "--frames", "97")
        self.assertExit(r, 0)
        lits = module_literals(out.read_text(encoding="utf-8"))
        self.assertEqual([(s["seed"], s["frames"]) for s in lits["SCENES"]], [(10, 97), (50, 97)])
        self.assertEqual((lits["MAX_PARALLEL"], lits["ANCHOR_STRENGTH"]), (5, 1.0))
        self.assertEqual(self.modal_calls(), [])

    def test_bad_files_and_flags(self):
        (self.tmp / "bad.yaml").write_text("scenes:\n  - prompt: a\n    frames: 50\n", encoding="utf-8")
        (self.tmp / "ok.yaml").write_text("scenes: [a]\n", encoding="utf-8")
        for args, word in ((["--file", "bad.yaml"], "scenes[1].frames"), (["--file", "missing.yaml"], "--file"),
                           (["--file", "ok.yaml", "--anchor-prompt", "x", "--anchor-strength", "lots"],
                            "--anchor-strength"),
                           (["--file", "ok.yaml", "--max-parallel", "0"], "--max-parallel"),
                           ([], "--file")):
            with self.subTest(args=args):
                r = self.run_mgpux("--yes", "video", "storyboard", "--gpu", "H100", *args)
                self.assertExit(r, 2)
                self.assertIn(word, r.err)
        self.assertEqual(self.modal_calls(), [])

    def test_bulk_paste_on_a_terminal_ends_at_END(self):
        out = self.tmp / "pasted.py"
        keys = [b"CHARACTERS\r", b"Cat: an orange cat\r", b"---\r", b"Cat sleeps\r", b"\r", b"on the sofa\r",
                b"---\r", b"Cat wakes\r", b"END\r"]
        code, output = self.run_on_pty(
            ["--dry-run", "--script-out", str(out), "video", "storyboard", "--input-mode", "bulk", "--gpu", "H100",
             "--pipeline", "distilled", "--resolution", "768x512", "--frames", "25", "--seed", "4"], keys)
        self.assertEqual(code, 0, output)
        lits = module_literals(out.read_text(encoding="utf-8"))
        self.assertEqual([s["prompt"] for s in lits["SCENES"]],
                         ["Cat (an orange cat) sleeps on the sofa", "Cat (an orange cat) wakes"])


    def test_bulk_paste_also_ends_at_end_of_input(self):
        out = self.tmp / "eof.py"
        code, output = self.run_on_pty(
            ["--dry-run", "--script-out", str(out), "video", "storyboard", "--input-mode", "bulk", "--gpu", "H100",
             "--pipeline", "distilled", "--resolution", "768x512", "--frames", "25", "--seed", "4"],
            [b"a fox\r", b"\r", b"runs\r", b"\x04"])
        self.assertEqual(code, 0, output)
        self.assertEqual([s["prompt"] for s in module_literals(out.read_text(encoding="utf-8"))["SCENES"]],
                         ["a fox runs"])

    def test_one_by_one_with_del_and_done(self):
        out = self.tmp / "typed.py"
        keys = [b"\r", b"a cat\r", b"del 5\r", b"a dog\r", b"del 1\r", b"a bird\r", b"\r"]
        code, output = self.run_on_pty(
            ["--dry-run", "--script-out", str(out), "video", "storyboard", "--input-mode", "one-by-one", "--gpu",
             "H100", "--pipeline", "distilled", "--resolution", "768x512", "--frames", "25", "--seed", "4"], keys)
        self.assertEqual(code, 0, output)
        self.assertIn("Add at least one scene first", output)
        self.assertIn("No scene 5", output)
        scenes = module_literals(out.read_text(encoding="utf-8"))["SCENES"]
        self.assertEqual([(s["number"], s["prompt"], s["seed"]) for s in scenes], [(1, "a dog", 4), (2, "a bird", 5)])


class DownloadTest(VideoTestCase):
    def test_download_gets_the_runs_file_with_the_profile(self):
        self.fake.add_volume("m-gpux-video-output")
        self.fake.add_volume_file("m-gpux-video-output", "run1/video_5.mp4", b"mp4 bytes")
        dest = self.tmp / "clips"
        dest.mkdir()
        r = self.run_mgpux("--profile", "work", "video", "download", "video_5.mp4", "--run", "run1", "--output", dest)
        self.assertExit(r, 0)
        self.assertIn("Downloaded", r.err + r.out)
        (get,) = self.fake.calls_of("volume", "get")
        self.assertEqual(get["argv"][2:5], ["m-gpux-video-output", "run1/video_5.mp4", str(dest)])
        self.assertEqual(get["env"].get("MODAL_PROFILE"), "work")
        self.assertEqual((dest / "video_5.mp4").read_bytes(), b"mp4 bytes")

    def test_a_failing_get_exits_1(self):
        self.fake.set_scenario([{"match": ["volume", "get"], "exit": 1, "stderr": "Error: no such file\n"}])
        r = self.run_mgpux("video", "download", "x.mp4", "--run", "run1")
        self.assertExit(r, 1)
        self.assertNotIn("Downloaded", r.out + r.err)

    def test_list_and_bad_paths(self):
        self.fake.add_volume("m-gpux-video-output")
        self.fake.add_volume_file("m-gpux-video-output", "run1/scene_001.mp4", b"x")
        r = self.run_mgpux("video", "list", "--run", "run1")
        self.assertExit(r, 0)
        self.assertIn("scene_001.mp4", r.out)
        (ls,) = self.fake.calls_of("volume", "ls")
        self.assertEqual(ls["argv"][2:4], ["m-gpux-video-output", "run1"])
        self.assertEqual(ls["env"].get("MODAL_PROFILE"), "alice")
        r = self.run_mgpux("video", "download", "../x", "--run", "r")
        self.assertExit(r, 2)


class ImageOptionTests(VideoTestCase):
    """--image NAME replaces the CUDA registry base of both video commands."""

    def commands(self):
        (self.tmp / "story.json").write_text(json.dumps({"scenes": [{"prompt": "a"}]}), encoding="utf-8")
        return {"generate": ("video", "generate", "--prompt", "x", "--gpu", "H100"),
                "storyboard": ("video", "storyboard", "--file", "story.json", "--gpu", "H100")}

    def test_both_commands_render_from_name_with_the_literal(self):
        self.publish_image("ltx-base", ["alice"])
        for name, args in self.commands().items():
            out = self.tmp / (name + ".py")
            r = self.run_mgpux("--dry-run", "--no-input", "--script-out", out, *args, "--image", "ltx-base")
            self.assertExit(r, 0)
            text = out.read_text(encoding="utf-8")
            self.assertEqual(self.from_name_literals(text), ["ltx-base"], name)
            self.assertNotIn("from_registry(", text, name)
            self.assertEqual(self.inspect_rendered(text)["images"][0]["base"]["type"], "from_name", name)

    def test_an_unpublished_image_is_exit_2(self):
        for name, args in self.commands().items():
            r = self.run_mgpux("--dry-run", "--no-input", *args, "--image", "nowhere")
            self.assertExit(r, 2)
            self.assertIn("nowhere", r.err, name)
        self.assertEqual(self.modal_calls(), [])


if __name__ == "__main__":
    main()
