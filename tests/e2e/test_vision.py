# SPDX-License-Identifier: MIT
"""m-gpux vision end to end: sample-data on disk, the rendered scripts (their CONFIG parsed with
ast and checked with the modal stand-in), the `modal` calls the fake sees (run, volume ls,
volume get, each with MODAL_PROFILE), RESULT documents shown as tables or --json, and the
refusals (bad datasets, bad flags, missing checkpoints) that happen before any launch."""
import json
import sys
from pathlib import Path

from harness import SUPPORT_DIR, MgpuxTestCase, main, module_literals

sys.path.insert(0, str(SUPPORT_DIR))
from modal_shim.inspect_api import function, image  # noqa: E402

VOLUME = "m-gpux-vision-artifacts"
CREDENTIALS = ["**/.modal.toml", "**/.m-gpux", "**/.ssh", "**/.aws", "**/.netrc"]
DEFAULT_IGNORE = ["**/__pycache__", "**/.DS_Store", "**/Thumbs.db", "**/.*"] + CREDENTIALS
SAMPLE = "data/m-gpux-vision-sample"

TRAIN_RESULT = {
    "kind": "train", "experiment_name": "demo", "model_name": "resnet18", "best_epoch": 2,
    "best_val_accuracy": 0.875, "epochs_completed": 3, "training_seconds": 41.25,
    "artifact_volume": VOLUME, "artifact_path": "demo", "test_accuracy": 0.75, "test_macro_f1": 0.7321,
    "files": ["demo/checkpoints/best_model.pt", "demo/history.json", "demo/summary.json"],
}
EVAL_RESULT = {
    "kind": "evaluate", "split": "test", "num_samples": 12, "loss": 0.4321, "accuracy": 0.75,
    "topk_accuracy": 1.0, "top_k": 2, "macro_f1": 0.7321,
    "per_class": {"circle": {"precision": 1.0, "recall": 0.5, "f1": 0.666667, "support": 4},
                  "square": {"precision": 0.6, "recall": 0.75, "f1": 0.666667, "support": 4}},
    "output_json_path": "demo/evaluations/eval-test.json", "files": ["demo/evaluations/eval-test.json"],
}


def result_line(doc):
    return "[m-gpux] RESULT " + json.dumps(doc)


class VisionTestCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()

    def vision(self, *args, **kw):
        return self.run_mgpux("vision", *args, **kw)

    def sample(self, *args):
        r = self.vision("sample-data", "--image-size", "32", *args)
        self.assertExit(r, 0)
        return r

    def rendered(self, *args, expect=0):
        """(result, CONFIG and the other literals, stand-in report) of a --dry-run render."""
        out = self.tmp / "rendered.py"
        if out.exists():
            out.unlink()
        r = self.vision(*args, "--dry-run", "--no-input", "--script-out", out)
        self.assertExit(r, expect)
        text = out.read_text(encoding="utf-8")
        return r, module_literals(text), self.inspect_rendered(text)

    def feed(self, *docs, exit_code=None):
        rule = {"match": ["run"], "container_output": [result_line(d) for d in docs]}
        if exit_code is not None:
            rule = {"match": ["run"], "exit": exit_code, "stderr": "[m-gpux] ERROR training failed\n"}
        self.fake.set_scenario([rule])

    def checkpoint(self, run="demo"):
        self.fake.add_volume_file(VOLUME, f"{run}/checkpoints/best_model.pt", b"weights")


class WelcomeTests(VisionTestCase):
    def test_welcome_and_help_list_the_group(self):
        r = self.run_mgpux()
        self.assertExit(r, 0)
        self.assertRegex(r.out, r"m-gpux vision train\s+train an image classifier")
        r = self.run_mgpux("--help")
        self.assertRegex(r.out, r"vision\s+Image classification")
        r = self.vision("--help")
        for sub in ("sample-data", "train", "predict", "evaluate", "export", "runs"):
            self.assertRegex(r.out, rf"\n  {sub}\s+\S")


class SampleDataTests(VisionTestCase):
    def test_writes_the_dataset_without_an_account_or_modal(self):
        self.toml.unlink()
        r = self.vision("sample-data")
        self.assertExit(r, 0)
        root = self.tmp / SAMPLE
        for split, count in (("train", 12), ("val", 4), ("test", 4)):
            for cls in ("circle", "square", "triangle"):
                files = sorted(p.name for p in (root / split / cls).iterdir())
                self.assertEqual(files, [f"{cls}-{i:03d}.png" for i in range(1, count + 1)])
        png = (root / "train" / "circle" / "circle-001.png").read_bytes()
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        self.assertEqual(int.from_bytes(png[16:20], "big"), 128)
        self.assertRegex(r.out, r"Layout\s+pre_split")
        self.assertRegex(r.out, r"Classes\s+circle, square, triangle")
        self.assertRegex(r.out, r"Train images\s+36")
        self.assertIn("m-gpux vision train --dataset data/m-gpux-vision-sample --model resnet18 --gpu T4", r.out)
        self.assertEqual(self.modal_calls(), [])

    def test_same_seed_same_files_and_json(self):
        a = self.sample("-o", "a", "--layout", "Single_Root", "--images-per-class", "3", "--seed", "5", "--json")
        b = self.sample("-o", "b", "--layout", "root", "--images-per-class", "3", "--seed", "5")
        doc = a.json()
        self.assertEqual(doc["layout"], "single-root")
        self.assertEqual(doc["files"], 9)
        self.assertEqual(doc["dataset"]["mode"], "single_root")
        self.assertEqual(doc["next"], "m-gpux vision train --dataset a --model resnet18 --gpu T4")
        for p in sorted((self.tmp / "a").rglob("*.png")):
            self.assertEqual(p.read_bytes(), (self.tmp / "b" / p.relative_to(self.tmp / "a")).read_bytes())
        self.assertIn("Wrote 9 images", b.out)

    def test_refusals_and_force(self):
        self.sample("-o", "ds", "--test-per-class", "0")
        self.assertFalse((self.tmp / "ds" / "test").exists())
        (self.tmp / "ds" / "README.md").write_text("mine", encoding="utf-8")
        r = self.vision("sample-data", "-o", "ds")
        self.assertExit(r, 2)
        self.assertIn("--force", r.err)
        self.sample("-o", "ds", "--force", "--train-per-class", "1")
        self.assertEqual(len(list((self.tmp / "ds" / "train" / "circle").iterdir())), 1)
        self.assertTrue((self.tmp / "ds" / "README.md").exists(), "--force deletes only the dataset's folders")
        (self.tmp / "plain").write_text("x", encoding="utf-8")
        for args, needle in ((["-o", "plain", "--force"], "not a folder"),
                             (["-o", "other", "--image-size", "31"], "--image-size"),
                             (["-o", "other", "--layout", "flat"], "--layout"),
                             (["-o", "other", "--val-per-class", "0"], "--val-per-class"),
                             (["-o", "other", "--test-per-class", "-1"], "--test-per-class"),
                             (["-o", "other", "--train-per-class", "99999999999"], "--train-per-class")):
            r = self.vision("sample-data", *args)
            self.assertExit(r, 2)
            self.assertIn(needle, r.err)
        self.assertFalse((self.tmp / "other").exists())


class TrainRenderTests(VisionTestCase):
    def test_readme_example_renders_on_the_sample(self):
        self.sample()
        r, lit, report = self.rendered("train", "--dataset", SAMPLE, "--model", "resnet18", "--gpu", "T4",
                                       "--epochs", "1")
        config = lit["CONFIG"]
        self.assertEqual(config["model_name"], "resnet18")
        self.assertEqual(config["gpu"], "T4")
        self.assertEqual(config["dataset_mode"], "pre_split")
        self.assertEqual(config["validation_split"], 0.0)
        self.assertEqual((config["epochs"], config["batch_size"], config["image_size"]), (1, 64, 224))
        self.assertRegex(config["experiment_name"], r"^imgclf-resnet18-\d{8}-\d{6}$")
        self.assertEqual(lit["DATASET_IGNORE"], DEFAULT_IGNORE)
        self.assertEqual(lit["LOCAL_DATASET_DIR"], str(self.tmp / SAMPLE))
        fn = function(report, "train")
        self.assertEqual((fn["gpu"], fn["timeout"]), ("T4", 28800))
        self.assertEqual(report["app"]["name"], "m-gpux-vision-classification")
        self.assertRegex(r.err + r.out, r"Training Plan")
        self.assertEqual(self.modal_calls(), [])

    def test_every_flag_reaches_the_config(self):
        self.sample("-o", "shapes", "--layout", "single-root", "--images-per-class", "4")
        _, lit, report = self.rendered(
            "train", "-d", "shapes", "-m", "convnext_tiny", "-g", "a100-80gb:2", "--epochs", "3", "--batch-size", "8",
            "--image-size", "160", "--lr", "0.001", "--validation-split", "0.25", "--no-pretrained",
            "--no-mixed-precision", "--artifact-volume", "team-vision", "--optimizer", "sgd", "--scheduler",
            "onecycle", "--augmentation", "strong", "--weight-decay", "0.01", "--momentum", "0.8",
            "--label-smoothing", "0.1", "--dropout", "0.3", "--grad-accumulation", "2", "--workers", "0",
            "--seed", "7", "--timeout", "2.5", "--early-stopping-patience", "0", "--freeze-backbone",
            "--early-stopping-metric", "loss",
            "--experiment-name", "My Exp #1", "--ignore", "*.tmp, cache/", "--overwrite", "--python", "3.11")
        self.assertEqual(lit["CONFIG"], {
            "experiment_name": "my-exp-1", "model_name": "convnext_tiny", "gpu": "A100-80GB:2",
            "dataset_mode": "single_root", "pretrained": False, "validation_split": 0.25, "epochs": 3,
            "batch_size": 8, "image_size": 160, "learning_rate": 0.001, "optimizer": "sgd", "scheduler": "onecycle",
            "weight_decay": 0.01, "momentum": 0.8, "label_smoothing": 0.1, "dropout": 0.3,
            "augmentation": "strong", "mixed_precision": False, "num_workers": 0, "seed": 7,
            "early_stopping_patience": 0, "freeze_backbone": True, "grad_accumulation_steps": 2,
            "class_names": ["circle", "square", "triangle"], "overwrite": True, "resume": False,
            "precision": "fp32", "early_stopping_metric": "loss"})
        self.assertEqual(list(lit["CONFIG"]), list(lit["CONFIG"]))  # order is checked by the unit tests
        self.assertEqual(lit["ARTIFACT_VOLUME"], "team-vision")
        self.assertEqual(lit["TIMEOUT_S"], 9000)
        self.assertEqual(lit["DATASET_IGNORE"], ["**/*.tmp", "**/cache", "**/.*"] + CREDENTIALS)
        fn = function(report, "train")
        self.assertEqual((fn["gpu"], fn["timeout"]), ("A100-80GB:2", 9000))
        im = image(report, fn["image"])
        self.assertEqual(im["base"]["python_version"], "3.11")
        upload = [s for s in im["steps"] if s["op"] == "add_local_dir"][0]
        self.assertEqual(upload["args"][0], str(self.tmp / "shapes"))

    def test_precision_and_stopping_metric_defaults_and_flags(self):
        self.sample()
        _, lit, _ = self.rendered("train", "-d", SAMPLE, "-g", "T4")
        config = lit["CONFIG"]
        # the three newest keys close the CONFIG, in this order
        self.assertEqual(list(config)[-4:], ["overwrite", "resume", "precision", "early_stopping_metric"])
        self.assertEqual((config["mixed_precision"], config["precision"], config["early_stopping_metric"],
                          config["resume"]), (True, "fp16", "accuracy", False))
        _, lit, _ = self.rendered("train", "-d", SAMPLE, "-g", "T4", "--precision", "bf16")
        self.assertEqual((lit["CONFIG"]["mixed_precision"], lit["CONFIG"]["precision"]), (True, "bf16"))
        _, lit, _ = self.rendered("train", "-d", SAMPLE, "-g", "T4", "--precision", "fp32", "--mixed-precision")
        self.assertEqual((lit["CONFIG"]["mixed_precision"], lit["CONFIG"]["precision"]), (False, "fp32"))
        _, lit, _ = self.rendered("train", "-d", SAMPLE, "-g", "T4", "--no-mixed-precision", "--precision", "fp32")
        self.assertEqual((lit["CONFIG"]["mixed_precision"], lit["CONFIG"]["precision"]), (False, "fp32"))

    def test_cpu_compute_and_custom_model(self):
        self.sample()
        _, lit, report = self.rendered("train", "-d", SAMPLE, "-m", "regnet_y_16gf", "--gpu", "CPU:4:2048")
        self.assertEqual(lit["CONFIG"]["gpu"], "cpu:4:2048")
        self.assertEqual((lit["CONFIG"]["model_name"], lit["CONFIG"]["batch_size"]), ("regnet_y_16gf", 32))
        fn = function(report, "train")
        self.assertEqual((fn["gpu"], fn["cpu"], fn["memory"]), (None, 4, 2048))
        _, lit, _ = self.rendered("train", "-d", SAMPLE, "--cpu", "2")
        self.assertEqual(lit["CONFIG"]["gpu"], "cpu:2:1024")
        self.assertEqual(lit["CONFIG"]["model_name"], "resnet18")  # the catalog's first row without a terminal

    def test_questions_on_a_terminal_take_typed_answers(self):
        self.sample()
        out = self.tmp / "asked.py"
        down, enter = b"\x1b[B", b"\r"
        keys = [down, enter,            # model: resnet34
                b"0\r", b"2\r",         # epochs: 0 is refused and asked again
                enter, enter, enter,    # batch size, image size, learning rate
                down, enter,            # optimizer: sgd
                enter, enter,           # scheduler, augmentation
                enter, enter, enter, enter, enter, enter, enter,  # weight decay .. seed
                b"1.5\r", enter,         # timeout hours, patience
                b"y\r",                 # freeze the backbone
                b"Pty Run\r", enter]     # experiment name, ignore patterns
        code, text = self.run_on_pty(["vision", "train", "-d", SAMPLE, "-g", "T4", "--dry-run",
                                      "--script-out", out], keys, timeout=60)
        self.assertEqual(code, 0, text)
        self.assertIn("--epochs must be at least 1", text)
        config = module_literals(out.read_text(encoding="utf-8"))["CONFIG"]
        self.assertEqual((config["model_name"], config["epochs"], config["batch_size"]), ("resnet34", 2, 48))
        self.assertEqual((config["optimizer"], config["freeze_backbone"]), ("sgd", True))
        self.assertEqual(config["experiment_name"], "pty-run")
        self.assertEqual(module_literals(out.read_text(encoding="utf-8"))["TIMEOUT_S"], 5400)

    def test_bad_flags_are_usage_errors_before_any_call(self):
        self.sample()
        cases = [
            (["--gpu", "cpu:x"], "--gpu"), (["--gpu", "H900"], "unknown GPU"), (["--epochs", "0"], "--epochs"),
            (["--lr", "0"], "--learning-rate"), (["--validation-split", "0.5"], "--validation-split"),
            (["--label-smoothing", "1"], "--label-smoothing"), (["--dropout", "-0.1"], "--dropout"),
            (["--grad-accumulation", "0"], "--grad-accumulation"), (["--workers", "-1"], "--workers"),
            (["--timeout", "0"], "--timeout"), (["--early-stopping-patience", "-2"], "--early-stopping-patience"),
            (["--weight-decay", "-1"], "--weight-decay"), (["--momentum", "-1"], "--momentum"),
            (["--batch-size", "0"], "--batch-size"), (["--optimizer", "adam"], "adam"),
            (["--model", "custom"], "--model"), (["--artifact-volume", "bad name"], "--artifact-volume"),
            (["--precision", "fp8"], "fp8"), (["--early-stopping-metric", "f1"], "f1"),
            (["--no-mixed-precision", "--precision", "bf16"], "--no-mixed-precision"),
            (["--resume", "--overwrite", "--experiment-name", "demo"], "--overwrite"),
        ]
        for args, needle in cases:
            with self.subTest(args=args):
                r = self.vision("train", "-d", SAMPLE, "--yes", *args)
                self.assertExit(r, 2)
                self.assertIn(needle, r.err)
        self.assertEqual(self.modal_calls(), [])

    def test_a_bad_dataset_is_exit_2_naming_the_folder(self):
        (self.tmp / "bad" / "train" / "cat").mkdir(parents=True)
        (self.tmp / "bad" / "train" / "cat" / "1.png").write_bytes(b"x")
        (self.tmp / "bad" / "train" / "dog").mkdir()
        (self.tmp / "bad" / "train" / "dog" / "notes.txt").write_text("no images", encoding="utf-8")
        out = self.tmp / "never.py"
        r = self.vision("train", "-d", "bad", "-m", "resnet18", "-g", "T4", "--yes", "--script-out", out)
        self.assertExit(r, 2)
        self.assertIn(str(self.tmp / "bad" / "train"), r.err)
        self.assertIn("at least 2 class folders", r.err)
        self.assertFalse(out.exists())
        self.assertEqual(self.modal_calls(), [])
        self.assertFalse((self.state_dir / "runs").exists())


class TrainRunTests(VisionTestCase):
    def train(self, *args):
        return self.vision("train", "-d", SAMPLE, "-m", "resnet18", "-g", "T4", "--epochs", "3",
                           "--experiment-name", "demo", "--yes", *args)

    def test_run_issues_one_modal_run_and_shows_the_result(self):
        self.sample()
        self.feed(TRAIN_RESULT)
        r = self.train()
        self.assertExit(r, 0)
        runs = self.fake.calls_of("run")
        self.assertEqual(len(runs), 1)
        self.assertNotIn("--detach", runs[0]["argv"])
        self.assertEqual(runs[0]["env"]["MODAL_PROFILE"], "alice")
        self.assertEqual([c["argv"][0] for c in self.modal_calls()], ["run"])
        script = runs[0]["script"]["copy"]
        self.assertEqual(module_literals(Path(script).read_text(encoding="utf-8"))["CONFIG"]["experiment_name"], "demo")
        self.assertRegex(r.out, r"Best val accuracy\s+87\.50 %")
        self.assertRegex(r.out, r"Test accuracy\s+75\.00 %")
        self.assertRegex(r.out, r"Artifacts\s+m-gpux-vision-artifacts:/demo/ \(3 files\)")
        apps = self.fake.apps()
        self.assertEqual(len(apps), 1)
        self.assertEqual(apps[0]["state"], "stopped")
        run_dirs = list((self.state_dir / "runs").iterdir())
        self.assertEqual(len(run_dirs), 1)
        launch = json.loads((run_dirs[0] / "launch.json").read_text(encoding="utf-8"))
        self.assertEqual(launch["app_name"], "m-gpux-vision-classification")
        self.assertEqual(launch["description"], "image classification training (resnet18) on T4")
        self.assertEqual(launch["profile"], "alice")
        self.assertEqual(runs[0]["argv"], ["run", str(run_dirs[0] / "modal_runner.py")])

    def test_resume_needs_the_runs_last_checkpoint(self):
        self.sample()
        self.feed(TRAIN_RESULT)
        ls = ["volume", "ls", VOLUME, "demo/checkpoints", "--json"]
        # a best model alone is not enough: resuming reads the last checkpoint
        self.checkpoint()
        r = self.train("--resume")
        self.assertExit(r, 1)
        self.assertEqual([c["argv"] for c in self.modal_calls()], [ls])
        self.assertIn("demo/checkpoints/last_model.pt", r.err)
        self.assertIn(VOLUME, r.err)
        self.fake.add_volume_file(VOLUME, "demo/checkpoints/last_model.pt", b"state")
        r = self.train("--resume")
        self.assertExit(r, 0)
        self.assertEqual([c["argv"][0] for c in self.modal_calls()], ["volume", "volume", "run"])
        self.assertEqual(self.modal_calls()[1]["argv"], ls)
        script = Path(self.fake.calls_of("run")[0]["script"]["copy"]).read_text(encoding="utf-8")
        config = module_literals(script)["CONFIG"]
        self.assertEqual((config["resume"], config["overwrite"], config["epochs"]), (True, False, 3))
        self.assertRegex(r.out + r.err, r"Resume\s+yes: continues from demo/checkpoints/last_model.pt")

    def test_resume_dry_run_skips_the_volume_check(self):
        self.sample()
        _, lit, _ = self.rendered("train", "-d", SAMPLE, "-g", "T4", "--resume", "--experiment-name", "ghost")
        self.assertEqual((lit["CONFIG"]["resume"], lit["CONFIG"]["experiment_name"]), (True, "ghost"))
        self.assertEqual(self.modal_calls(), [])

    def test_json_is_the_result_document(self):
        self.sample()
        self.feed(TRAIN_RESULT)
        r = self.train("--json", "--profile", "work")
        self.assertExit(r, 0)
        self.assertEqual(r.json(), TRAIN_RESULT)
        self.assertEqual(self.fake.calls_of("run")[0]["env"]["MODAL_PROFILE"], "work")

    def test_download_fetches_the_run_folder_with_the_profile(self):
        self.sample()
        for f in TRAIN_RESULT["files"]:
            self.fake.add_volume_file(VOLUME, f, f"content of {f}")
        self.feed(TRAIN_RESULT)
        r = self.train("--download", "fetched")
        self.assertExit(r, 0)
        gets = self.fake.calls_of("volume", "get")
        self.assertEqual(len(gets), 1)
        self.assertEqual(gets[0]["argv"][2:], [VOLUME, "demo", str(self.tmp / "fetched")])
        self.assertEqual(gets[0]["env"]["MODAL_PROFILE"], "alice")
        for f in TRAIN_RESULT["files"]:
            self.assertEqual((self.tmp / "fetched" / f).read_text(encoding="utf-8"), f"content of {f}")
            self.assertIn(str(self.tmp / "fetched" / f), r.out + r.err)

    def test_a_failed_download_is_exit_1_after_the_result(self):
        self.sample()
        self.feed(TRAIN_RESULT)  # nothing on the volume
        r = self.train("--download", "fetched")
        self.assertExit(r, 1)
        self.assertRegex(r.out, r"Best epoch\s+2")
        self.assertIn("not downloaded", r.err)

    def test_no_result_line_or_a_failed_run_is_exit_1(self):
        self.sample()
        self.fake.set_scenario([{"match": ["run"], "container_output": ["epoch 1 done"]}])
        r = self.train()
        self.assertExit(r, 1)
        self.assertIn("RESULT", r.err)
        self.feed(exit_code=3)
        r = self.train()
        self.assertExit(r, 1)
        self.assertIn("3", r.err)

    def test_no_input_without_yes_launches_nothing(self):
        self.sample()
        r = self.vision("train", "-d", SAMPLE, "--no-input")
        self.assertExit(r, 2)
        self.assertIn("--yes", r.err)
        self.assertEqual(self.fake.calls_of("run"), [])


class CheckpointTests(VisionTestCase):
    def test_missing_checkpoint_refused_after_one_volume_ls(self):
        self.sample()
        img = str(self.tmp / SAMPLE / "test" / "circle" / "circle-001.png")
        commands = [
            ["predict", "-i", img, "--run-name", "Ghost Run", "-g", "T4"],
            ["evaluate", "-d", SAMPLE, "--run-name", "ghost-run", "-g", "T4"],
            ["export", "--run-name", "ghost-run", "--format", "onnx"],
        ]
        for with_volume in (False, True):
            if with_volume:
                self.fake.add_volume_file(VOLUME, "ghost-run/history.json", "{}")
            for args in commands:
                with self.subTest(args=args[0], volume=with_volume):
                    before = len(self.modal_calls())
                    r = self.vision(*args, "--yes")
                    self.assertExit(r, 1)
                    calls = self.modal_calls()[before:]
                    self.assertEqual([c["argv"] for c in calls],
                                     [["volume", "ls", VOLUME, "ghost-run/checkpoints", "--json"]])
                    self.assertEqual(calls[0]["env"]["MODAL_PROFILE"], "alice")
                    self.assertIn("ghost-run", r.err)
                    self.assertIn(VOLUME, r.err)
                    self.assertIn("m-gpux vision runs", r.err)
        self.assertEqual(self.fake.calls_of("run"), [])

    def test_export_review_prices_the_default_container(self):
        r = self.vision("--dry-run", "export", "--run-name", "demo")
        self.assertExit(r, 0)
        # 0.125 cores and 128 MiB reserved: 0.125 × $0.0473 + 0.125 × $0.008
        self.assertRegex(r.err, r"price\s+~\$0\.007/h \(Modal's default reservation")
        self.assertNotIn("at most", r.err)  # it may use (and be billed for) more than it reserves

    def test_a_failing_lookup_is_reported_as_such(self):
        self.fake.set_scenario([{"match": ["volume", "ls"], "exit": 1,
                                 "stderr": "Token missing. Could not authenticate client.\n"}])
        r = self.vision("export", "--run-name", "demo", "--yes")
        self.assertExit(r, 1)
        self.assertIn("could not look for the checkpoint demo/checkpoints/best_model.pt", r.err)
        self.assertIn("Token missing", r.err)
        self.assertEqual(self.fake.calls_of("run"), [])

    def test_predict_a_folder_renders_runs_and_downloads(self):
        self.sample()
        self.checkpoint()
        out_json = "demo/predictions/p.json"
        self.fake.add_volume_file(VOLUME, out_json, '{"predictions": []}')
        folder = self.tmp / SAMPLE / "test"
        doc = {"kind": "predict", "num_images": 2, "output_json_path": out_json, "top_k": 2,
               "first_predictions": [{"image": str(folder / "circle" / "circle-001.png"),
                                      "top_prediction": "circle", "top_score": 0.9731}],
               "files": [out_json]}
        self.feed(doc)
        r = self.vision("predict", "-i", folder, "--run-name", "demo", "-g", "L4", "--top-k", "2",
                        "--max-images", "2", "--output-json", "/demo/predictions/p.json", "--yes",
                        "--download", "dl")
        self.assertExit(r, 0)
        self.assertRegex(r.out, r"Images\s+2")
        self.assertRegex(r.out, r"circle-001\.png\s+circle\s+0\.9731")
        self.assertEqual(self.fake.calls_of("volume", "ls")[0]["argv"],
                         ["volume", "ls", VOLUME, "demo/checkpoints", "--json"])
        script = Path(self.fake.calls_of("run")[0]["script"]["copy"]).read_text(encoding="utf-8")
        lit = module_literals(script)
        self.assertEqual(lit["CONFIG"]["checkpoint_path"], "demo/checkpoints/best_model.pt")
        self.assertEqual(lit["CONFIG"]["output_json"], out_json)
        self.assertEqual((lit["CONFIG"]["top_k"], lit["CONFIG"]["max_images"]), (2, 2))
        self.assertEqual(lit["CONFIG"]["local_input"], str(folder))
        gets = self.fake.calls_of("volume", "get")
        self.assertEqual([g["argv"][2:] for g in gets], [[VOLUME, out_json, str(self.tmp / "dl" / "demo" / "predictions")]])
        self.assertEqual(gets[0]["env"]["MODAL_PROFILE"], "alice")
        self.assertTrue((self.tmp / "dl" / out_json).is_file())

    def test_predict_one_file_and_bad_inputs(self):
        self.sample()
        img = self.tmp / SAMPLE / "val" / "square" / "square-002.png"
        _, lit, report = self.rendered("predict", "-i", img, "--checkpoint-path", "/exp/checkpoints/last_model.pt",
                                       "-g", "cpu")
        self.assertEqual(lit["CONFIG"]["checkpoint_path"], "exp/checkpoints/last_model.pt")
        self.assertRegex(lit["CONFIG"]["output_json"], r"^exp/predictions/predictions-\d{8}-\d{6}\.json$")
        self.assertEqual(lit["CONFIG"]["gpu"], "cpu:8:4096")
        self.assertEqual(function(report, "predict")["timeout"], 7200)
        (self.tmp / "notes.txt").write_text("x", encoding="utf-8")
        (self.tmp / "empty").mkdir()
        for args, needle in ((["-i", "notes.txt"], "not an image"), (["-i", "empty"], "no images"),
                             (["-i", "missing.png"], "no such file"), (["-i", str(img), "--top-k", "0"], "--top-k"),
                             (["-i", str(img), "--max-images", "0"], "--max-images"),
                             (["-i", str(img), "--output-json", "../x.json"], "--output-json")):
            r = self.vision("predict", "--run-name", "demo", "-g", "T4", "--yes", *args)
            self.assertExit(r, 2)
            self.assertIn(needle, r.err)
        self.assertEqual(self.modal_calls(), [])

    def test_evaluate_shows_metrics_and_per_class_table(self):
        self.sample()
        self.checkpoint()
        self.feed(EVAL_RESULT)
        r = self.vision("evaluate", "-d", SAMPLE, "--run-name", "demo", "-g", "T4", "--split", "test",
                        "--top-k", "2", "--yes")
        self.assertExit(r, 0)
        self.assertRegex(r.out, r"Accuracy\s+75\.00 %")
        self.assertRegex(r.out, r"Top-2 accuracy\s+100\.00 %")
        self.assertRegex(r.out, r"circle\s+1\.0000\s+0\.5000\s+0\.6667\s+4")
        lit = module_literals(Path(self.fake.calls_of("run")[0]["script"]["copy"]).read_text(encoding="utf-8"))
        self.assertEqual(lit["CONFIG"]["split"], "test")
        self.assertEqual(lit["CONFIG"]["dataset_mode"], "pre_split")
        self.assertIsNone(lit["CONFIG"]["override_validation_split"])
        self.assertRegex(lit["CONFIG"]["output_json"], r"^demo/evaluations/eval-test-\d{8}-\d{6}\.json$")
        r = self.vision("evaluate", "-d", SAMPLE, "--run-name", "demo", "-g", "T4", "--yes", "--json")
        self.assertExit(r, 0)
        self.assertEqual(r.json(), EVAL_RESULT)

    def test_evaluate_split_depends_on_the_layout(self):
        self.sample("-o", "notest", "--test-per-class", "0")
        r = self.vision("evaluate", "-d", "notest", "--run-name", "demo", "--split", "test", "--yes")
        self.assertExit(r, 2)
        self.assertIn("--split test", r.err)
        self.sample("-o", "flat", "--layout", "single-root")
        _, lit, _ = self.rendered("evaluate", "-d", "flat", "--run-name", "demo", "-g", "T4", "--split", "val",
                                  "--validation-split", "0.3")
        self.assertEqual((lit["CONFIG"]["dataset_mode"], lit["CONFIG"]["split"]), ("single_root", "val"))
        self.assertEqual(lit["CONFIG"]["override_validation_split"], 0.3)
        self.assertEqual(self.modal_calls(), [])

    def test_export_table_and_download(self):
        self.checkpoint()
        files = ["demo/exports/x/model.onnx", "demo/exports/x/labels.json"]
        for f in files:
            self.fake.add_volume_file(VOLUME, f, "data")
        doc = {"kind": "export", "output_dir": "demo/exports/x", "formats": ["onnx"],
               "exported_files": {"onnx": files[0]}, "files": files}
        self.feed(doc)
        r = self.vision("export", "--run-name", "demo", "--format", "onnx", "--output-dir", "demo/exports/x",
                        "--yes", "--download", "out")
        self.assertExit(r, 0)
        self.assertRegex(r.out, r"onnx\s+demo/exports/x/model\.onnx")
        lit = module_literals(Path(self.fake.calls_of("run")[0]["script"]["copy"]).read_text(encoding="utf-8"))
        self.assertEqual(lit["CONFIG"], {"formats": ["onnx"], "fallback_image_size": 224,
                                         "checkpoint_path": "demo/checkpoints/best_model.pt",
                                         "output_dir": "demo/exports/x", "overwrite": False})
        self.assertEqual(len(self.fake.calls_of("volume", "get")), 2)
        for f in files:
            self.assertTrue((self.tmp / "out" / f).is_file())


class ImageOptionTests(VisionTestCase):
    """--image NAME: every launching vision command starts from the published image."""

    def commands(self):
        folder = str(self.tmp / SAMPLE / "test")
        return {
            "train": ("train", "--dataset", SAMPLE, "--model", "resnet18", "--gpu", "T4", "--epochs", "1"),
            "predict": ("predict", "-i", folder, "--run-name", "demo", "-g", "L4"),
            "evaluate": ("evaluate", "--dataset", SAMPLE, "--run-name", "demo", "-g", "L4"),
            "export": ("export", "--run-name", "demo", "--format", "onnx"),
        }

    def test_each_command_renders_from_name_with_the_literal(self):
        self.sample()
        self.checkpoint()
        self.publish_image("vision-base", ["alice"], python="3.11")
        for name, args in self.commands().items():
            out = self.tmp / "rendered.py"
            r = self.vision(*args, "--image", "vision-base", "--dry-run", "--no-input", "--script-out", out)
            self.assertExit(r, 0)
            text = out.read_text(encoding="utf-8")
            self.assertEqual(self.from_name_literals(text), ["vision-base"], name)
            self.assertNotIn("debian_slim(", text, name)
            self.assertEqual(self.inspect_rendered(text)["images"][0]["base"]["type"], "from_name", name)

    def test_an_unpublished_image_is_exit_2(self):
        self.sample()
        self.checkpoint()
        for name, args in self.commands().items():
            r = self.vision(*args, "--image", "nowhere", "--dry-run", "--no-input")
            self.assertExit(r, 2)
            self.assertIn("nowhere", r.err, name)
        self.assertEqual(self.fake.calls_of("run"), [])


class RunsTests(VisionTestCase):
    def test_lists_the_run_folders(self):
        self.checkpoint("alpha")
        self.checkpoint("beta")
        self.fake.add_volume_file(VOLUME, "stray.txt", "x")
        r = self.vision("runs")
        self.assertExit(r, 0)
        self.assertRegex(r.out, r"alpha")
        self.assertRegex(r.out, r"beta")
        self.assertNotIn("stray.txt", r.out)
        calls = self.modal_calls()
        self.assertEqual([c["argv"] for c in calls], [["volume", "ls", VOLUME, "--json"]])
        self.assertEqual(calls[0]["env"]["MODAL_PROFILE"], "alice")
        doc = self.vision("runs", "--json").json()
        self.assertEqual([x["name"] for x in doc["runs"]], ["alpha", "beta"])
        self.assertTrue(doc["exists"])

    def test_a_missing_volume_has_no_runs(self):
        r = self.vision("runs", "--artifact-volume", "team-vision", "--json")
        self.assertExit(r, 0)
        self.assertEqual(r.json(), {"volume": "team-vision", "exists": False, "runs": []})


if __name__ == "__main__":
    main()
