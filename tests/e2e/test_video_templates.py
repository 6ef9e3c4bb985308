# SPDX-License-Identifier: MIT
"""The video templates (templates/video: generate.py, storyboard.py and their partial _ltx.py).

Each is rendered by the real host through the svcprobe fixture's `render` command with default and
adversarial values, then checked: the script parses and every value round-trips as a literal; the
modal stand-in's inspection shows the App, the functions' compute, timeouts, volumes, secrets and
the image steps (the LTX-2 checkout pinned); and the whole flow runs under the stand-in with stub
binaries (the LTX pipeline, ffmpeg) and a stub huggingface_hub, so the RESULT and ERROR lines, the
per-run file names and the concat list are the script's real behaviour.
"""
import json
import textwrap

from harness import main, module_literals
from test_hub_templates import TemplateCase

NASTY = 'q"uo\'te \\ back\nnew """ {{app_name}} }} ĐồÁn'
COMMIT = "5bfc33f69e2b7abcfafd8daf7769f2d74905d34b"
RUN_ID = "20260101-120000-a1b2c3"


def common_context(template, app_name):
    return {
        "mgpux_version": "2.10.0", "template": template, "app_name": app_name, "run_id": RUN_ID,
        "ltx_commit": COMMIT, "pipeline": "distilled", "checkpoint": "ltx-2.3-22b-distilled-1.1.safetensors",
        "needs_lora": False, "fp8": True, "width": 768, "height": 512, "seed": 42, "gpu": "H100", "cpu": None,
        "timeout_s": 86400, "hf_token": False, "base_image": None,
    }


def generate_context():
    ctx = common_context("video/generate.py", "m-gpux-video-gen")
    ctx.update({"prompt": "a red fox in the snow", "frames": 97})
    return ctx


def two_stage(ctx):
    ctx.update({"pipeline": "ti2vid_two_stages", "checkpoint": "ltx-2.3-22b-dev.safetensors", "needs_lora": True})
    return ctx


def storyboard_context():
    ctx = common_context("video/storyboard.py", "m-gpux-video-storyboard")
    ctx.update({
        "scenes": [{"number": 1, "prompt": "Ann walks", "frames": 49, "seed": 42},
                   {"number": 2, "prompt": "Ann runs", "frames": 25, "seed": 43}],
        "frames": 49, "anchor_prompt": "Ann, portrait", "anchor_strength": 0.5, "max_parallel": 3,
    })
    return ctx


# The LTX pipeline: logs its argv, writes the clip, fails when the prompt says FAIL.
LTX_STUB = """
    import json, os, sys
    argv = sys.argv[1:]
    with open(os.environ["STUB_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\\n")
    if "FAIL" in argv[argv.index("--prompt") + 1]:
        sys.exit(3)
    with open(argv[argv.index("--output-path") + 1], "w") as out:
        out.write("clip")
"""
# ffmpeg: writes its last argument (the output) and logs its argv.
FFMPEG_STUB = """
    import json, os, sys
    with open(os.environ["STUB_LOG"] + ".ffmpeg", "a", encoding="utf-8") as log:
        log.write(json.dumps(sys.argv[1:]) + "\\n")
    with open(sys.argv[-1], "w") as out:
        out.write("video")
"""
# Runs main() under the stand-in with every path moved into WORK and a stub huggingface_hub.
RUN_DRIVER = """
    import types
    hub = types.ModuleType("huggingface_hub")
    def hf_hub_download(repo, name, local_dir, token=None):
        print("DOWNLOAD", repo, name, token)
        open(os.path.join(local_dir, name), "w").close()
    def snapshot_download(repo, local_dir, token=None):
        print("SNAPSHOT", repo, token)
        os.makedirs(local_dir, exist_ok=True)
        open(os.path.join(local_dir, "config.json"), "w").close()
    hub.hf_hub_download, hub.snapshot_download = hf_hub_download, snapshot_download
    sys.modules["huggingface_hub"] = hub
    work = os.environ["WORK"]
    mod.MODELS_DIR, mod.OUTPUT_DIR = work + "/models", work + "/output"
    mod.GEMMA_DIR = mod.MODELS_DIR + "/gemma"
    mod.RUN_DIR = mod.OUTPUT_DIR + "/" + mod.RUN_ID
    mod.LTX_PYTHON, mod.LTX_DIR = os.environ["LTX_STUB"], work
    os.makedirs(mod.MODELS_DIR, exist_ok=True)
    with mod.app.run():
        mod.main()
"""


class VideoTemplateCase(TemplateCase):
    """TemplateCase's render (svcprobe), inspect and execute, for the video templates."""

    def functions(self, report):
        return {f["name"]: f for f in report["functions"]}

    def stub_bin(self, name, body):
        folder = self.tmp / "stubs"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_text("#!/usr/bin/python3\n" + textwrap.dedent(body))
        path.chmod(0o755)
        return path

    def execute(self, text, driver, env=None, timeout=60):
        return super().execute(text, driver, env=env, timeout=timeout)

    def run_flow(self, text, env=None):
        """main() with stubs; returns (code, out, err, work dir, LTX argv list, ffmpeg argv list)."""
        work = self.tmp / "work"
        work.mkdir(exist_ok=True)
        log = self.tmp / "stub.log"
        ltx = self.stub_bin("ltx-python", LTX_STUB)
        self.stub_bin("ffmpeg", FFMPEG_STUB)
        child = {"WORK": str(work), "LTX_STUB": str(ltx), "STUB_LOG": str(log),
                 "PATH": f"{ltx.parent}:/usr/bin:/bin"}
        child.update(env or {})
        code, out, err = self.execute(text, RUN_DRIVER, env=child)
        read = lambda p: [json.loads(line) for line in p.read_text().splitlines()] if p.exists() else []  # noqa: E731
        return code, out, err, work, read(log), read(self.tmp / "stub.log.ffmpeg")

    def result_of(self, out):
        lines = [line for line in out.splitlines() if line.startswith("[m-gpux] RESULT ")]
        self.assertEqual(len(lines), 1, out)
        return json.loads(lines[0][len("[m-gpux] RESULT "):])

    def assert_no_token_text(self, text):
        for needle in ("HF_TOKEN=", '"hf_', "hf_abc"):
            self.assertNotIn(needle, text)

    def assert_image(self, report):
        (image,) = report["images"]
        self.assertEqual(image["base"]["tag"], "nvidia/cuda:12.8.1-devel-ubuntu22.04")
        self.assertEqual(image["base"]["add_python"], "3.12")
        ops = [(s["op"], s["args"]) for s in image["steps"]]
        self.assertEqual(ops[0], ("entrypoint", [[]]))
        self.assertEqual(ops[1], ("apt_install", ["git", "ffmpeg", "libsndfile1", "libsndfile1-dev"]))
        self.assertEqual(ops[2], ("pip_install", ["huggingface_hub==2.4.0", "hf-transfer==0.1.9"]))
        self.assertEqual(ops[3][0], "run_commands")
        commands = ops[3][1]
        self.assertIn("git clone https://github.com/Lightricks/LTX-2.git /opt/LTX-2", commands)
        self.assertIn("git -C /opt/LTX-2 checkout --detach " + COMMIT, commands)
        self.assertLess(commands.index("git -C /opt/LTX-2 checkout --detach " + COMMIT),
                        commands.index("cd /opt/LTX-2 && uv sync"))
        self.assertEqual(ops[4][0], "env")
        self.assertNotIn("HF_TOKEN", json.dumps(ops[4][1]))

    def assert_every_key_required(self, template, ctx):
        for key in ctx:
            if key in ("mgpux_version", "template"):
                continue
            partial = {k: v for k, v in ctx.items() if k != key}
            r = self.run_mgpux("svcprobe", "render", template, json.dumps(partial))
            self.assertExit(r, 1)
            self.assertIn(key, r.err)


class GenerateTemplateTests(VideoTemplateCase):
    def test_defaults(self):
        text = self.render("video/generate.py", generate_context())
        self.assert_no_token_text(text)
        report = self.inspect(text)
        self.assertEqual(report["app"]["name"], "m-gpux-video-gen")
        self.assertEqual(report["modal_run"]["target"], "main")
        fns = self.functions(report)
        self.assertEqual(set(fns), {"download_models", "generate"})
        gen, dl = fns["generate"], fns["download_models"]
        self.assertEqual((gen["gpu"], gen["cpu"], gen["timeout"]), ("H100", None, 86400))
        self.assertEqual((dl["gpu"], dl["cpu"], dl["memory"]), (None, 4, 16384))  # no GPU for the download
        for fn in (gen, dl):
            self.assertEqual(fn["volumes"], {"/models": "m-gpux-ltx-cache", "/output": "m-gpux-video-output"})
        self.assertEqual((gen["secrets"], dl["secrets"]), ([], []))
        self.assertTrue(all(v["create_if_missing"] for v in report["volumes"]))
        self.assert_image(report)

    def test_two_stage_cpu_and_ephemeral_token_secret(self):
        ctx = two_stage(generate_context())
        ctx.update({"gpu": None, "cpu": {"cores": 8, "memory_mb": 32768}, "timeout_s": 3600,
                    "hf_token": True, "fp8": False})
        text = self.render("video/generate.py", ctx)
        fns = self.functions(self.inspect(text))
        gen, dl = fns["generate"], fns["download_models"]
        self.assertEqual((gen["gpu"], gen["cpu"], gen["memory"], gen["timeout"]), (None, 8, 32768, 3600))
        self.assertEqual([(s["kind"], s["keys"]) for s in dl["secrets"]], [("from_local_environ", ["HF_TOKEN"])])
        self.assertEqual(gen["secrets"], [])
        code, out, err = self.execute(text, "print(json.dumps(mod._inference_command('p', '/o.mp4', 97, 7)))")
        self.assertEqual(code, 0, err)
        command = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(command[:3], ["/opt/LTX-2/.venv/bin/python", "-m", "ltx_pipelines.ti2vid_two_stages"])
        self.assertEqual(command[command.index("--distilled-lora") + 1:][:2],
                         ["/models/ltx-2.3-22b-distilled-lora-384-1.1.safetensors", "0.8"])
        self.assertNotIn("--quantization", command)
        self.assertEqual(command[command.index("--num-frames") + 1], "97")

    def test_adversarial_values_round_trip(self):
        ctx = generate_context()
        ctx.update({"prompt": NASTY, "ltx_commit": NASTY, "run_id": NASTY})
        text = self.render("video/generate.py", ctx)
        lits = module_literals(text)
        self.assertEqual((lits["PROMPT"], lits["LTX_COMMIT"], lits["RUN_ID"]), (NASTY, NASTY, NASTY))
        report = self.inspect(text)
        commands = report["images"][0]["steps"][3]["args"]
        # the ref reaches the shell quoted, as one word
        checkout = [c for c in commands if c.startswith("git -C /opt/LTX-2 checkout")][0]
        import shlex
        self.assertEqual(shlex.split(checkout)[-1], NASTY)

    def test_every_context_name_is_required(self):
        self.assert_every_key_required("video/generate.py", generate_context())

    def test_a_clip_is_rendered_into_the_runs_folder_and_reported(self):
        ctx = generate_context()
        ctx["prompt"] = NASTY
        code, out, err, work, ltx, _ = self.run_flow(self.render("video/generate.py", ctx),
                                                     env={"HF_TOKEN": "hf_abc123"})
        self.assertEqual(code, 0, out + err)
        doc = self.result_of(out)
        self.assertEqual(doc, {"kind": "video", "run_id": RUN_ID, "files": [RUN_ID + "/video_42.mp4"],
                               "video": RUN_ID + "/video_42.mp4"})
        self.assertTrue((work / "output" / RUN_ID / "video_42.mp4").exists())
        (argv,) = ltx
        self.assertEqual(argv[argv.index("--prompt") + 1], NASTY)
        self.assertEqual(argv[argv.index("--quantization") + 1], "fp8-cast")
        self.assertEqual((argv[argv.index("--width") + 1], argv[argv.index("--height") + 1]), ("768", "512"))
        self.assertNotIn("--distilled-lora", argv)
        self.assertIn("DOWNLOAD Lightricks/LTX-2.3 ltx-2.3-22b-distilled-1.1.safetensors hf_abc123", out)
        self.assertIn("SNAPSHOT google/gemma-3-12b-it-qat-q4_0-unquantized hf_abc123", out)
        self.assertNotIn("[m-gpux] ERROR", out)

    def test_a_failed_generation_prints_an_error_and_fails(self):
        ctx = generate_context()
        ctx["prompt"] = "FAIL please"
        code, out, err, work, _ltx, _ = self.run_flow(self.render("video/generate.py", ctx))
        self.assertNotEqual(code, 0)
        self.assertIn("[m-gpux] ERROR the generation failed: the LTX pipeline exited with 3", out)
        self.assertNotIn("[m-gpux] RESULT", out)
        self.assertIn("no Hugging Face token", out)  # without HF_TOKEN the download warns

    def test_cached_models_are_not_downloaded_again(self):
        text = self.render("video/generate.py", generate_context())
        work = self.tmp / "work"
        (work / "models" / "gemma").mkdir(parents=True)
        (work / "models" / "gemma" / "config.json").write_text("{}")
        for name in ("ltx-2.3-22b-distilled-1.1.safetensors", "ltx-2.3-spatial-upscaler-x2-1.1.safetensors"):
            (work / "models" / name).write_text("w")
        code, out, err, *_ = self.run_flow(text)
        self.assertEqual(code, 0, out + err)
        self.assertNotIn("DOWNLOAD", out)
        self.assertNotIn("SNAPSHOT", out)
        self.assertIn("[video] cached: ltx-2.3-22b-distilled-1.1.safetensors", out)


class StoryboardTemplateTests(VideoTemplateCase):
    def test_defaults(self):
        text = self.render("video/storyboard.py", storyboard_context())
        self.assert_no_token_text(text)
        report = self.inspect(text)
        self.assertEqual(report["app"]["name"], "m-gpux-video-storyboard")
        fns = self.functions(report)
        self.assertEqual(set(fns), {"download_models", "generate_anchor", "generate_scene", "concat_clips"})
        self.assertEqual(fns["generate_scene"]["max_containers"], 3)
        self.assertEqual(fns["generate_scene"]["gpu"], "H100")
        self.assertEqual(fns["generate_anchor"]["gpu"], "H100")
        self.assertIsNone(fns["download_models"]["gpu"])
        self.assertIsNone(fns["concat_clips"]["gpu"])
        self.assertEqual(fns["concat_clips"]["volumes"], {"/output": "m-gpux-video-output"})
        self.assertEqual(fns["generate_scene"]["volumes"],
                         {"/models": "m-gpux-ltx-cache", "/output": "m-gpux-video-output"})
        self.assert_image(report)

    def test_adversarial_values_round_trip(self):
        ctx = storyboard_context()
        ctx["scenes"][0]["prompt"] = NASTY
        ctx.update({"anchor_prompt": NASTY, "max_parallel": 1, "hf_token": True})
        text = self.render("video/storyboard.py", ctx)
        lits = module_literals(text)
        self.assertEqual(lits["SCENES"][0]["prompt"], NASTY)
        self.assertEqual(lits["ANCHOR_PROMPT"], NASTY)
        fns = self.functions(self.inspect(text))
        self.assertEqual(fns["generate_scene"]["max_containers"], 1)
        self.assertEqual([s["keys"] for s in fns["download_models"]["secrets"]], [["HF_TOKEN"]])
        self.assertEqual(fns["generate_scene"]["secrets"], [])

    def test_every_context_name_is_required(self):
        self.assert_every_key_required("video/storyboard.py", storyboard_context())

    def test_pure_helpers(self):
        text = self.render("video/storyboard.py", storyboard_context())
        driver = """
            print(json.dumps([mod._scene_clip_name(7), mod._final_name(),
                              mod._concat_list_text(["/output/r/scene_001.mp4", "/output/it's/b.mp4"]),
                              mod._concat_commands("/l.txt", "/o.mp4"), mod._anchor_wanted()]))
        """
        code, out, err = self.execute(text, driver)
        self.assertEqual(code, 0, err)
        name, final, listing, commands, anchor = json.loads(out.strip().splitlines()[-1])
        self.assertEqual((name, final, anchor), ("scene_007.mp4", "storyboard_42.mp4", True))
        self.assertEqual(listing, "file '/output/r/scene_001.mp4'\nfile '/output/it'\\''s/b.mp4'\n")
        self.assertEqual(commands[0], ["ffmpeg", "-y", "-f", "concat", "-safe", "0", "-i", "/l.txt", "-c", "copy",
                                       "/o.mp4"])
        self.assertIn("libx264", commands[1])
        self.assertEqual(commands[1][-1], "/o.mp4")

    def test_scenes_render_with_the_anchor_and_join_in_order(self):
        code, out, err, work, ltx, ffmpeg = self.run_flow(self.render("video/storyboard.py", storyboard_context()))
        self.assertEqual(code, 0, out + err)
        run_dir = work / "output" / RUN_ID
        doc = self.result_of(out)
        self.assertEqual(doc["kind"], "storyboard")
        self.assertEqual(doc["video"], RUN_ID + "/storyboard_42.mp4")
        self.assertEqual(doc["files"], [RUN_ID + "/anchor_ref.mp4", RUN_ID + "/anchor_frame.jpg",
                                        RUN_ID + "/scene_001.mp4", RUN_ID + "/scene_002.mp4",
                                        RUN_ID + "/storyboard_42.mp4"])
        for f in doc["files"]:
            self.assertTrue((work / "output" / f).exists(), f)
        self.assertEqual((run_dir / "concat.txt").read_text(),
                         "file '%s/scene_001.mp4'\nfile '%s/scene_002.mp4'\n" % (run_dir, run_dir))
        anchor, scene1, scene2 = ltx
        self.assertEqual(anchor[anchor.index("--prompt") + 1], "Ann, portrait")
        self.assertEqual(scene1[scene1.index("--image") + 1:][:3], [str(run_dir / "anchor_frame.jpg"), "0", "0.5"])
        self.assertEqual((scene1[scene1.index("--seed") + 1], scene2[scene2.index("--seed") + 1]), ("42", "43"))
        self.assertEqual((scene1[scene1.index("--num-frames") + 1], scene2[scene2.index("--num-frames") + 1]),
                         ("49", "25"))
        self.assertEqual(ffmpeg[0][ffmpeg[0].index("-ss") + 1], "0.98")  # the middle of 49 frames at 25 fps
        self.assertEqual(ffmpeg[1][-3:], ["-c", "copy", str(run_dir / "storyboard_42.mp4")])

    def test_a_failed_scene_fails_the_run_naming_it(self):
        ctx = storyboard_context()
        ctx["scenes"][1]["prompt"] = "FAIL here"
        ctx["anchor_prompt"] = None
        code, out, err, work, ltx, ffmpeg = self.run_flow(self.render("video/storyboard.py", ctx))
        self.assertNotEqual(code, 0)
        self.assertIn("[m-gpux] ERROR 1 of 2 scene(s) failed (scene 2: the LTX pipeline exited with 3", out)
        self.assertNotIn("[m-gpux] RESULT", out)
        self.assertEqual(len(ltx), 2)  # no anchor clip; both scenes were tried
        self.assertEqual(ffmpeg, [])  # nothing joined


if __name__ == "__main__":
    main()
