# SPDX-License-Identifier: MIT
"""The vision templates (templates/vision: train, predict, evaluate, export and the _common.py
partial they share).

Each template is rendered by the real host through the svcprobe fixture's `render` command with
the plugin's context, then checked two ways: the stand-in modal's inspection (app, function,
compute, image steps, volume) and real runs of the remote code under /usr/bin/python3 with
Debian's torch and torchvision on a tiny dataset made here, pointed at temporary folders instead
of /dataset, /artifacts and /inputs.
"""
import json
import shutil

from harness import PLUGIN_DIR, module_literals, main
from test_hub_templates import NASTY, TemplateCase

CLASSES = ["circle", "square", "Triangle"]  # the scanner's order: case-insensitive
COLOURS = {"circle": (220, 30, 30), "square": (30, 200, 30), "Triangle": (30, 30, 220)}
IGNORE = ["__pycache__", ".DS_Store", "Thumbs.db"]
RESULT = "[m-gpux] RESULT "
ERROR = "[m-gpux] ERROR "


def header(template):
    return {"mgpux_version": "2.10.0", "template": template, "base_image": None}


def compute(gpu="L4", cores=None):
    """The compute names of a context: a GPU string, or cpu with cores and memory."""
    if cores:
        return {"gpu": None, "cpu": True, "cores": cores, "memory_mb": cores * 512}
    return {"gpu": gpu, "cpu": None}


def train_config(**over):
    config = {
        "experiment_name": "imgclf-resnet18-test", "model_name": "resnet18", "gpu": "cpu:8:4096",
        "dataset_mode": "pre_split", "pretrained": False, "validation_split": 0.0, "epochs": 1, "batch_size": 4,
        "image_size": 32, "learning_rate": 0.0003, "optimizer": "adamw", "scheduler": "onecycle",
        "weight_decay": 0.0001, "momentum": 0.9, "label_smoothing": 0.1, "dropout": 0.2, "augmentation": "strong",
        "mixed_precision": True, "num_workers": 0, "seed": 42, "early_stopping_patience": 5,
        "freeze_backbone": False, "grad_accumulation_steps": 2, "class_names": list(CLASSES), "overwrite": False,
        "resume": False, "precision": "fp16", "early_stopping_metric": "accuracy",
    }
    config.update(over)
    return config


def train_context(dataset_dir, config=None, **comp):
    ctx = header("vision/train.py")
    ctx.update({"app_name": "m-gpux-vision-classification", "artifact_volume": "m-gpux-vision-artifacts",
                "timeout_s": 28800, "python_version": "3.12"})
    ctx.update(compute(**comp) if comp else compute(cores=8))
    ctx.update({"config": config or train_config(), "dataset_dir": str(dataset_dir), "ignore": list(IGNORE)})
    return ctx


def predict_context(input_path, mode, **over):
    ctx = header("vision/predict.py")
    ctx.update({"app_name": "m-gpux-vision-predict", "artifact_volume": "m-gpux-vision-artifacts",
                "timeout_s": 7200, "python_version": "3.12"})
    ctx.update(compute())
    config = {"gpu": "L4", "batch_size": 4, "num_workers": 0, "mixed_precision": True, "fallback_image_size": 224,
              "checkpoint_path": "imgclf-resnet18-test/checkpoints/best_model.pt",
              "output_json": "imgclf-resnet18-test/predictions/predictions-20261207-120000.json", "top_k": 2,
              "max_images": None, "local_input": str(input_path), "overwrite": False}
    config.update(over)
    ctx.update({"config": config, "input_mode": mode, "input_path": str(input_path),
                "input_name": input_path.name if mode == "single" else "", "ignore": list(IGNORE)})
    return ctx


def evaluate_context(dataset_dir, **over):
    ctx = header("vision/evaluate.py")
    ctx.update({"app_name": "m-gpux-vision-evaluate", "artifact_volume": "m-gpux-vision-artifacts",
                "timeout_s": 7200, "python_version": "3.12"})
    ctx.update(compute(gpu="A100-80GB:2"))
    config = {"gpu": "A100-80GB:2", "batch_size": 4, "num_workers": 0, "mixed_precision": True,
              "fallback_image_size": 224, "dataset_mode": "pre_split", "split": "auto",
              "override_validation_split": None, "default_validation_split": 0.2, "fallback_seed": 42,
              "checkpoint_path": "imgclf-resnet18-test/checkpoints/best_model.pt",
              "output_json": "imgclf-resnet18-test/evaluations/eval-auto-20261207-120000.json", "top_k": 2,
              "overwrite": False}
    config.update(over)
    ctx.update({"config": config, "dataset_dir": str(dataset_dir), "ignore": list(IGNORE)})
    return ctx


def export_context(**over):
    ctx = header("vision/export.py")
    ctx.update({"app_name": "m-gpux-vision-export", "artifact_volume": "m-gpux-vision-artifacts",
                "timeout_s": 3600, "python_version": "3.12"})
    config = {"formats": ["onnx", "torchscript"], "fallback_image_size": 224,
              "checkpoint_path": "imgclf-resnet18-test/checkpoints/best_model.pt",
              "output_dir": "imgclf-resnet18-test/exports/export-20261207-120000", "overwrite": False}
    config.update(over)
    ctx["config"] = config
    return ctx


# A driver line that makes any autocast attempt fail: on the CPU none may be tried.
NO_AUTOCAST = """
            def _no_autocast(*args, **kwargs):
                raise AssertionError("autocast tried on the CPU")
            import torch
            torch.autocast = _no_autocast
"""


def strict_json_constant(name):
    raise ValueError("%s is not JSON" % name)


def result_of(out):
    """The payload of the one RESULT line, parsed as strict JSON (no NaN or Infinity)."""
    lines = [line for line in out.splitlines() if line.startswith(RESULT)]
    assert len(lines) == 1, out
    return json.loads(lines[0][len(RESULT):], parse_constant=strict_json_constant)


class VisionCase(TemplateCase):
    def setUp(self):
        super().setUp()
        self.data = self.tmp / "data"
        self.artifacts = self.tmp / "artifacts"
        self.artifacts.mkdir()

    def make_images(self, folder, cls, count, start=0, ext=".png"):
        """count 32x32 pictures of the class colour (a block that moves with the index)."""
        from PIL import Image, ImageDraw
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(start, start + count):
            img = Image.new("RGB", (32, 32), (10 * i % 255, 20, 40))
            ImageDraw.Draw(img).rectangle([2 + i % 5, 3, 22 + i % 7, 24], fill=COLOURS.get(cls, (90, 90, 90)))
            img.save(folder / ("%s-%d%s" % (cls, i, ext)))

    def make_dataset(self, counts, root=None):
        """counts: {split folder ("" for single-root): images per class}."""
        root = root or self.data
        for split, count in counts.items():
            for cls in CLASSES:
                self.make_images(root / split / cls if split else root / cls, cls, count)
        return root

    def run_function(self, text, function, extra="", timeout=120):
        """Calls the function's body under the stand-in, with the container paths in temp folders."""
        driver = f"""
            mod.DATASET_DIR = {str(self.data)!r}
            mod.ARTIFACTS_DIR = {str(self.artifacts)!r}
            mod.INPUTS_DIR = {str(self.tmp / "inputs")!r}
            {extra}
            try:
                mod.{function}.local()
            finally:
                print("VOLUME", json.dumps(mod.volume._record))
        """
        code, out, err = self.execute(text, driver, env={"OMP_NUM_THREADS": "2"}, timeout=timeout)
        volume = json.loads(out.rsplit("VOLUME ", 1)[1].splitlines()[0]) if "VOLUME " in out else None
        return code, out, err, volume

    def train(self, config=None, **kw):
        return self.run_function(self.render("vision/train.py", train_context(self.data, config)), "train", **kw)

    def train_ok(self, config=None):
        code, out, err, volume = self.train(config)
        self.assertEqual(code, 0, out + err)
        return result_of(out), volume

    def stage_inputs(self, source):
        """Copies test images where predict's /inputs would be; returns the staged folder."""
        inputs = self.tmp / "inputs"
        shutil.copytree(source, inputs)
        return inputs

    def load_torch(self, path):
        code, out, err = self.execute("", f"""
            import torch
            ck = torch.load({str(path)!r}, map_location="cpu")
            print("CK", json.dumps({{"keys": sorted(ck), "class_names": ck["class_names"], "config": ck["config"],
                                    "epoch": ck["epoch"], "weights": ck["weights"],
                                    "state": len(ck["model_state_dict"])}}))
        """)
        self.assertEqual(code, 0, err)
        return json.loads(out.split("CK ", 1)[1])

    def read_json(self, rel):
        return json.loads((self.artifacts / rel).read_text())


class RenderTests(VisionCase):
    """The rendered scripts as `modal run` sees them."""

    def assert_function(self, report, name, gpu, cpu, memory, timeout):
        (fn,) = report["functions"]
        self.assertEqual((fn["name"], fn["gpu"], fn["cpu"], fn["memory"], fn["timeout"]), (name, gpu, cpu, memory, timeout))
        self.assertEqual(fn["volumes"], {"/artifacts": "m-gpux-vision-artifacts"})
        self.assertEqual((fn["secrets"], report["secrets"]), ([], []))
        self.assertEqual(report["modal_run"]["target"], name)
        self.assertEqual(report["local_entrypoints"], [])
        return fn

    def assert_steps(self, report, packages, upload=None):
        (image,) = report["images"]
        self.assertEqual(image["base"]["type"], "debian_slim")
        self.assertEqual(image["base"]["python_version"], "3.12")
        steps = image["steps"]
        self.assertEqual((steps[0]["op"], steps[0]["args"]), ("pip_install", packages))
        if upload is None:
            self.assertEqual(len(steps), 1)
            return None
        self.assertEqual(len(steps), 2)
        self.assertEqual((steps[1]["op"], steps[1]["args"]), upload)
        self.assertFalse(steps[1]["kwargs"].get("copy", False))  # uploaded at start, not baked in a layer
        return steps[1]

    def test_train_on_gpu_and_on_cpu(self):
        self.make_dataset({"train": 1, "val": 1})
        torch_pkgs = ["torch>=2.4.0", "torchvision>=0.19.0", "pillow>=10.0.0"]
        for comp, expected in (({"gpu": "A100-80GB:2"}, ("A100-80GB:2", None, None)),
                               ({"cores": 8}, (None, 8, 4096))):
            with self.subTest(compute=comp):
                ctx = train_context(self.data, **comp)
                text = self.render("vision/train.py", ctx)
                self.assertIn("# Generated by m-gpux", text.splitlines()[0])
                self.assertEqual(list(module_literals(text)["CONFIG"]), list(ctx["config"]))  # keys in order
                report = self.inspect(text)
                self.assertEqual(report["app"]["name"], "m-gpux-vision-classification")
                self.assert_function(report, "train", *expected, 28800)
                step = self.assert_steps(report, torch_pkgs, ("add_local_dir", [str(self.data), "/dataset"]))
                self.assertEqual(step["kwargs"]["ignore"], IGNORE)
                (volume,) = report["volumes"]
                self.assertEqual((volume["name"], volume["create_if_missing"]), ("m-gpux-vision-artifacts", True))

    def test_predict_file_and_folder(self):
        self.make_dataset({"test": 1})
        image = self.data / "test" / "circle" / "circle-0.png"
        torch_pkgs = ["torch>=2.4.0", "torchvision>=0.19.0", "pillow>=10.0.0"]
        cases = ((image, "single", ("add_local_file", [str(image), "/inputs/circle-0.png"])),
                 (self.data / "test", "directory", ("add_local_dir", [str(self.data / "test"), "/inputs"])))
        for path, mode, upload in cases:
            with self.subTest(mode=mode):
                report = self.inspect(self.render("vision/predict.py", predict_context(path, mode)))
                self.assertEqual(report["app"]["name"], "m-gpux-vision-predict")
                self.assert_function(report, "predict", "L4", None, None, 7200)
                step = self.assert_steps(report, torch_pkgs, upload)
                if mode == "directory":
                    self.assertEqual(step["kwargs"]["ignore"], IGNORE)
                self.assertFalse(report["volumes"][0]["create_if_missing"])

    def test_evaluate_and_export(self):
        self.make_dataset({"train": 1, "val": 1})
        report = self.inspect(self.render("vision/evaluate.py", evaluate_context(self.data)))
        self.assertEqual(report["app"]["name"], "m-gpux-vision-evaluate")
        self.assert_function(report, "evaluate", "A100-80GB:2", None, None, 7200)
        step = self.assert_steps(report, ["torch>=2.4.0", "torchvision>=0.19.0", "pillow>=10.0.0"],
                                 ("add_local_dir", [str(self.data), "/dataset"]))
        self.assertEqual(step["kwargs"]["ignore"], IGNORE)
        self.assertFalse(report["volumes"][0]["create_if_missing"])

        report = self.inspect(self.render("vision/export.py", export_context()))
        self.assertEqual(report["app"]["name"], "m-gpux-vision-export")
        self.assert_function(report, "export", None, None, None, 3600)  # Modal's default CPU container
        self.assert_steps(report, ["torch>=2.4.0", "torchvision>=0.19.0", "onnx>=1.16.0", "onnxscript>=0.1.0"])
        self.assertFalse(report["volumes"][0]["create_if_missing"])

    def test_adversarial_values_round_trip(self):
        nasty_data = self.tmp / ("data " + NASTY.replace("/", "_"))
        self.make_dataset({"train": 1, "val": 1}, root=nasty_data)
        config = train_config(experiment_name=NASTY, model_name=NASTY, class_names=[NASTY, "b"], optimizer=NASTY,
                              scheduler=NASTY, augmentation=NASTY, gpu=NASTY)
        ctx = train_context(nasty_data, config)
        ctx["ignore"] = [NASTY, "**/x"]
        input_file = nasty_data / "train" / "circle" / "circle-0.png"
        contexts = [
            ("vision/train.py", ctx, {"CONFIG": config, "LOCAL_DATASET_DIR": str(nasty_data), "DATASET_IGNORE": [NASTY, "**/x"]}),
            ("vision/predict.py", predict_context(nasty_data, "directory", checkpoint_path=NASTY, output_json=NASTY),
             {"LOCAL_INPUT_PATH": str(nasty_data), "INPUT_MODE": "directory"}),
            ("vision/predict.py", dict(predict_context(input_file, "single", local_input=NASTY), input_name=NASTY),
             {"LOCAL_INPUT_PATH": str(input_file), "INPUT_NAME": NASTY}),
            ("vision/evaluate.py", evaluate_context(nasty_data, split=NASTY, output_json=NASTY),
             {"LOCAL_DATASET_DIR": str(nasty_data)}),
            ("vision/export.py", export_context(output_dir=NASTY, checkpoint_path=NASTY), dict()),
        ]
        for template, ctx, expected in contexts:
            with self.subTest(template=template):
                text = self.render(template, ctx)
                lits = module_literals(text)
                self.assertEqual(lits["CONFIG"], ctx["config"])
                for name, value in expected.items():
                    self.assertEqual(lits[name], value, name)
                self.inspect(text)

    def test_every_context_name_is_required(self):
        self.make_dataset({"train": 1, "val": 1})
        image = self.data / "train" / "circle" / "circle-0.png"
        predict = predict_context(image, "single")
        for template, ctx in (("vision/train.py", train_context(self.data, gpu="L4")),
                              ("vision/train.py", train_context(self.data, cores=4)),
                              ("vision/predict.py", predict), ("vision/evaluate.py", evaluate_context(self.data)),
                              ("vision/export.py", export_context())):
            with self.subTest(template=template, cpu=ctx.get("cpu")):
                self.assert_requires_every_key(template, ctx)


class ResultLineTests(VisionCase):
    def test_one_strict_json_line_and_an_error_line_on_failure(self):
        text = self.render("vision/export.py", export_context())
        code, out, err = self.execute(text, """
            mod.run_reported(lambda: {"loss": float("nan"), "rows": [float("inf"), 1.5], "name": "ĐồÁn"})
            try:
                mod.run_reported(lambda: 1 / 0)
            except ZeroDivisionError:
                print("RAISED")
        """)
        self.assertEqual(code, 0, err)
        self.assertEqual(result_of(out), {"loss": None, "rows": [None, 1.5], "name": "ĐồÁn"})
        self.assertIn(ERROR + "ZeroDivisionError: division by zero\nRAISED", out)


class ScannerTests(VisionCase):
    """scan_dataset applies m-gpux's dataset rules (it runs without torch)."""

    def scan(self, root):
        text = self.render("vision/export.py", export_context())
        code, out, err = self.execute(text, f"""
            try:
                print("SCAN", json.dumps(mod.scan_dataset({str(root)!r})))
            except mod.VisionError as exc:
                print("FAIL", exc)
        """)
        self.assertEqual(code, 0, err)
        if "FAIL " in out:
            return out.split("FAIL ", 1)[1].strip()
        return json.loads(out.split("SCAN ", 1)[1])

    def test_pre_split_with_skipped_names_gif_and_case_insensitive_order(self):
        root = self.make_dataset({"train": 2, "val": 1})
        self.make_images(root / "train" / "circle" / "deeper", "circle", 1, start=10, ext=".GIF")
        for junk in (".ipynb_checkpoints", "__pycache__", "empty"):
            (root / "train" / junk).mkdir()
        self.make_images(root / "train" / ".hidden", "circle", 1)
        self.make_images(root / "train" / "square" / ".cache", "square", 3, start=20)
        (root / "train" / "square" / "notes.txt").write_text("x")
        (root / "train" / "square" / "Thumbs.db").write_text("x")
        (root / "train" / "square" / "gone.png").symlink_to(root / "nowhere.png")  # dangling: no image
        (root / "train" / "circle" / "alias.png").symlink_to(root / "train" / "circle" / "circle-0.png")
        (root / "test").mkdir()  # a test folder without class folders is no test split
        self.assertEqual(self.scan(root), ["pre_split", CLASSES, {"train": 8, "val": 3, "test": 0}])

    def test_layouts_and_their_errors(self):
        single = self.make_dataset({"": 2}, root=self.tmp / "single")
        self.assertEqual(self.scan(single), ["single_root", CLASSES, {"train": 6, "val": 0, "test": 0}])
        train_only = self.make_dataset({"train": 2, "test": 1}, root=self.tmp / "train_only")
        self.assertEqual(self.scan(train_only), ["train_only", CLASSES, {"train": 6, "val": 0, "test": 3}])

        mismatch = self.make_dataset({"train": 1, "val": 1}, root=self.tmp / "mismatch")
        shutil.rmtree(mismatch / "val" / "square")
        message = self.scan(mismatch)
        self.assertIn(str(mismatch / "val"), message)
        self.assertIn("['circle', 'Triangle']", message)
        self.assertIn("['circle', 'square', 'Triangle']", message)

        no_train = self.make_dataset({"": 1, "val": 1}, root=self.tmp / "no_train")
        self.assertIn("top-level 'val' folder but no 'train' folder", self.scan(no_train))
        one_class = self.tmp / "one_class"
        self.make_images(one_class / "train" / "circle", "circle", 2)
        self.assertIn("at least 2 class folders", self.scan(one_class))
        self.assertIn("expected train/val folders or at least 2 class folders", self.scan(self.tmp / "home"))


class ScannerAgreementTests(VisionCase):
    """The dataset rules are applied twice, in C++ before anything is rendered (vision train) and
    in Python by the remote loader; on the same trees both must see the same layout, classes and
    image counts, or both refuse."""

    def local_view(self, root):
        r = self.run_mgpux("--json", "vision", "train", "--dataset", str(root), "--model", "resnet18", "--gpu", "T4",
                           "--epochs", "1", "--dry-run", "--no-input", env={"MGPUX_PLUGIN_PATH": str(PLUGIN_DIR)})
        if r.code == 2:
            return None
        self.assertExit(r, 0)
        d = json.loads(r.out)["dataset"]
        return [d["mode"], d["classes"], {"train": d["train_images"], "val": d["val_images"],
                                          "test": d["test_images"]}]

    scan = ScannerTests.scan

    def assert_agree(self, root):
        remote = self.scan(root)
        local = self.local_view(root)
        if isinstance(remote, str):
            self.assertIsNone(local, "the remote loader refuses %s (%s) but the local check accepts it" % (root, remote))
        else:
            self.assertEqual(local, remote, root)

    def test_both_sides_see_the_same_dataset(self):
        mixed = self.make_dataset({"train": 2, "val": 1, "test": 1}, root=self.tmp / "mixed")
        self.make_images(mixed / "train" / "circle" / "deeper", "circle", 1, start=10, ext=".GIF")
        self.make_images(mixed / "train" / "square", "square", 2, start=30, ext=".JpEg")
        for junk in (".ipynb_checkpoints", "__pycache__", "only_text"):
            (mixed / "train" / junk).mkdir()
        (mixed / "train" / "only_text" / "x.txt").write_text("x")
        self.make_images(mixed / "train" / ".hidden", "circle", 1)
        self.make_images(mixed / "train" / "__pycache__", "circle", 1)
        (mixed / "train" / "square" / ".DS_Store").write_text("x")
        (mixed / "train" / "square" / "gone.png").symlink_to(mixed / "nowhere.png")
        self.make_images(mixed / "train" / "apple", "apple", 1)
        self.make_images(mixed / "val" / "apple", "apple", 1)
        self.make_images(mixed / "test" / "apple", "apple", 1)
        self.assert_agree(mixed)

        self.assert_agree(self.make_dataset({"": 2}, root=self.tmp / "single"))
        self.assert_agree(self.make_dataset({"train": 2}, root=self.tmp / "train_only"))
        empty_test = self.make_dataset({"train": 1, "val": 1}, root=self.tmp / "empty_test")
        (empty_test / "test" / "circle").mkdir(parents=True)
        self.assert_agree(empty_test)

        bad_val = self.make_dataset({"train": 1, "val": 1}, root=self.tmp / "bad_val")
        shutil.rmtree(bad_val / "val" / "square")
        self.assert_agree(bad_val)
        self.assert_agree(self.make_dataset({"": 1, "val": 1}, root=self.tmp / "stray_val"))
        one = self.tmp / "one_class"
        self.make_images(one / "train" / "circle", "circle", 2)
        self.assert_agree(one)


class TrainingRunTests(VisionCase):
    """The remote code, run for real on CPU with torch 1.13 / torchvision 0.14."""

    def test_pre_split_train_then_predict_evaluate_and_export(self):
        self.make_dataset({"train": 4, "val": 2, "test": 2})
        code, out, err, volume = self.train()
        self.assertEqual(code, 0, out + err)
        result = result_of(out)
        run = "imgclf-resnet18-test"
        self.assertEqual(result["kind"], "train")
        self.assertEqual((result["experiment_name"], result["model_name"], result["epochs_completed"], result["best_epoch"]),
                         (run, "resnet18", 1, 1))
        self.assertEqual((result["artifact_volume"], result["artifact_path"]), ("m-gpux-vision-artifacts", run))
        self.assertIsInstance(result["test_accuracy"], float)
        expected_files = {run + "/" + f for f in (
            "checkpoints/best_model.pt", "checkpoints/best_validation_metrics.json", "checkpoints/last_model.pt",
            "config.json", "history.json", "dataset_summary.json", "split.json", "summary.json",
            "test_metrics.json", "test_report.json")}
        self.assertEqual(set(result["files"]), expected_files)
        self.assertEqual({str(p.relative_to(self.artifacts)) for p in self.artifacts.rglob("*") if p.is_file()}, expected_files)
        self.assertGreaterEqual(volume["commits"], 3)  # the best checkpoint, the last one, the summary
        self.assertNotIn("autocast", err)  # mixed precision is for CUDA only: nothing tried on the CPU

        best_keys = ["best_val_accuracy", "class_names", "config", "epoch", "model_state_dict", "weights"]
        resume_keys = ["best_epoch", "best_val_loss", "history", "optimizer_state_dict", "scaler_state_dict",
                       "scheduler_state_dict", "stale_epochs"]
        for name, names in (("best_model.pt", best_keys), ("last_model.pt", sorted(best_keys + resume_keys))):
            ck = self.load_torch(self.artifacts / run / "checkpoints" / name)
            self.assertEqual(ck["keys"], names)
            self.assertEqual((ck["class_names"], ck["config"], ck["epoch"], ck["weights"]), (CLASSES, train_config(), 1, None))
            self.assertGreater(ck["state"], 10)
        (epoch,) = self.read_json(run + "/history.json")
        self.assertEqual(sorted(epoch), ["epoch", "epoch_seconds", "learning_rate", "train_accuracy", "train_loss",
                                         "val_accuracy", "val_loss"])
        self.assertEqual(self.read_json(run + "/dataset_summary.json"), {
            "dataset_mode": "pre_split", "train_samples": 12, "val_samples": 6, "test_samples": 6,
            "classes": CLASSES, "num_classes": 3})
        split = self.read_json(run + "/split.json")
        self.assertEqual((len(split["train"]), len(split["val"])), (12, 6))
        self.assertIn("val/Triangle/Triangle-1.png", split["val"])
        metrics = self.read_json(run + "/test_metrics.json")
        self.assertEqual(metrics["targets"], [0, 0, 1, 1, 2, 2])
        self.assertEqual(len(metrics["predictions"]), 6)
        report = self.read_json(run + "/test_report.json")
        self.assertEqual(sum(map(sum, report["confusion_matrix"])), 6)
        self.assertEqual(list(report["per_class"]), CLASSES)
        self.assertEqual(sorted(report["per_class"]["circle"]), ["f1", "precision", "recall", "support"])
        summary = self.read_json(run + "/summary.json")
        self.assertEqual(summary["download_examples"]["best_model"],
                         "modal volume get m-gpux-vision-artifacts %s/checkpoints/best_model.pt best_model.pt" % run)
        self.assertEqual(summary["test_macro_f1"], result["test_macro_f1"])

        self.check_predict()
        self.check_evaluate()
        self.check_export()

    def check_predict(self):
        inputs = self.stage_inputs(self.data / "test")
        local = "/home/me/my pictures"
        ctx = predict_context(inputs, "directory", local_input=local, max_images=4)
        code, out, err, volume = self.run_function(self.render("vision/predict.py", ctx), "predict")
        self.assertEqual(code, 0, out + err)
        result = result_of(out)
        output = ctx["config"]["output_json"]
        self.assertEqual((result["kind"], result["num_images"], result["top_k"], result["output_json_path"]),
                         ("predict", 4, 2, output))
        self.assertEqual([p["image"] for p in result["first_predictions"]],
                         [local + "/Triangle/Triangle-0.png", local + "/Triangle/Triangle-1.png",
                          local + "/circle/circle-0.png", local + "/circle/circle-1.png"])
        self.assertEqual(result["files"], [output])
        written = self.read_json(output)
        self.assertEqual(written["num_images"], 4)
        self.assertTrue(all(len(p["predictions"]) == 2 and p["top_prediction"] in CLASSES for p in written["predictions"]))
        self.assertEqual((volume["reloads"], volume["commits"]), (1, 1))

        # one file, and the output that now exists is not replaced
        single = inputs / "circle-0.png"  # where the single-file upload puts it
        shutil.copy(inputs / "circle" / "circle-0.png", single)
        ctx = predict_context(single, "single", local_input="/home/me/c.png")
        code, out, err, _ = self.run_function(self.render("vision/predict.py", ctx), "predict")
        self.assertNotEqual(code, 0)
        self.assertIn(ERROR + "the output file %s already exists" % output, out)
        ctx["config"]["overwrite"] = True
        code, out, err, _ = self.run_function(self.render("vision/predict.py", ctx), "predict")
        self.assertEqual(code, 0, out + err)
        self.assertEqual([p["image"] for p in result_of(out)["first_predictions"]], ["/home/me/c.png"])

    def check_evaluate(self):
        for split, count in (("auto", 6), ("val", 6), ("train", 12)):
            ctx = evaluate_context(self.data, split=split, output_json="eval/%s.json" % split)
            code, out, err, _ = self.run_function(self.render("vision/evaluate.py", ctx), "evaluate")
            self.assertEqual(code, 0, out + err)
            result = result_of(out)
            self.assertEqual((result["kind"], result["split"], result["num_samples"], result["top_k"]),
                             ("evaluate", "test" if split == "auto" else split, count, 2))
            report = self.read_json("eval/%s.json" % split)
            self.assertEqual(sum(map(sum, report["confusion_matrix"])), count)
            self.assertEqual(report["class_names"], CLASSES)
            self.assertEqual(result["per_class"], report["per_class"])
            self.assertGreaterEqual(result["topk_accuracy"], result["accuracy"])

    def check_export(self):
        ctx = export_context()
        code, out, err, _ = self.run_function(self.render("vision/export.py", ctx), "export")
        self.assertEqual(code, 0, out + err)
        result = result_of(out)
        folder = ctx["config"]["output_dir"]
        self.assertEqual(result["exported_files"], {"onnx": folder + "/model.onnx", "torchscript": folder + "/model.ts"})
        self.assertEqual(sorted(result["files"]), sorted(folder + "/" + f for f in (
            "model.onnx", "model.ts", "labels.json", "export_summary.json")))
        self.assertEqual(self.read_json(folder + "/labels.json"), {"class_names": CLASSES, "num_classes": 3})
        summary = self.read_json(folder + "/export_summary.json")
        self.assertEqual((summary["formats"], summary["image_size"], summary["model_name"]),
                         (["onnx", "torchscript"], 32, "resnet18"))
        code, out, err = self.execute("", f"""
            import onnx, torch
            model = onnx.load({str(self.artifacts / folder / "model.onnx")!r})
            onnx.checker.check_model(model)
            graph = model.graph
            dims = [d.dim_param or d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
            ts = torch.jit.load({str(self.artifacts / folder / "model.ts")!r})
            opset = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0]
            newest = torch.onnx._constants.ONNX_MAX_OPSET
            print("ONNX", json.dumps([graph.input[0].name, graph.output[0].name, dims,
                                      list(ts(torch.zeros(2, 3, 32, 32)).shape), opset, min(18, newest)]))
        """)
        self.assertEqual(code, 0, err)
        name_in, name_out, dims, ts_shape, opset, expected_opset = json.loads(out.split("ONNX ", 1)[1])
        self.assertEqual((name_in, name_out, dims[1:], ts_shape), ("input", "logits", [3, 32, 32], [2, 3]))
        self.assertEqual((opset, summary["onnx_opset"]), (expected_opset, expected_opset))  # 18, or the newest below
        self.assertIsInstance(dims[0], str)  # the batch axis is dynamic
        # a non-empty export folder is not written into again
        code, out, err, _ = self.run_function(self.render("vision/export.py", ctx), "export")
        self.assertNotEqual(code, 0)
        self.assertIn(ERROR + "the output folder %s already exists" % folder, out)
        # with overwrite, an export of one format leaves no file of the earlier one
        ctx = export_context(formats=["onnx"], overwrite=True)
        (self.artifacts / folder / "notes.txt").write_text("mine")
        code, out, err, _ = self.run_function(self.render("vision/export.py", ctx), "export")
        self.assertEqual(code, 0, out + err)
        self.assertEqual(sorted(p.name for p in (self.artifacts / folder).iterdir()),
                         ["export_summary.json", "labels.json", "model.onnx", "notes.txt"])

    def test_train_only_keeps_its_validation_subset_for_evaluate(self):
        self.make_dataset({"train": 4})
        config = train_config(dataset_mode="train_only", validation_split=0.25, scheduler="cosine", optimizer="sgd",
                              augmentation="none", mixed_precision=False, grad_accumulation_steps=1)
        result, _ = self.train_ok(config)
        run = config["experiment_name"]
        self.assertIsNone(result["test_accuracy"])
        self.assertIsNone(result["test_macro_f1"])
        self.assertNotIn(run + "/test_metrics.json", result["files"])
        self.assertFalse((self.artifacts / run / "test_report.json").exists())
        split = self.read_json(run + "/split.json")
        self.assertEqual((len(split["train"]), len(split["val"])), (9, 3))  # max(1, int(12 * 0.25)) validate
        self.assertEqual(set(split["train"]) | set(split["val"]),
                         {"train/%s/%s-%d.png" % (c, c, i) for c in CLASSES for i in range(4)})
        self.assertEqual(self.read_json(run + "/dataset_summary.json")["val_samples"], 3)

        # the dataset changes after training: one validation image goes, new images come
        gone = split["val"][0]
        (self.data / gone).unlink()
        self.make_images(self.data / "train" / "circle", "circle", 3, start=50)
        ctx = evaluate_context(self.data, dataset_mode="train_only", output_json="eval.json")
        code, out, err, _ = self.run_function(self.render("vision/evaluate.py", ctx), "evaluate")
        self.assertEqual(code, 0, out + err)
        result = result_of(out)
        self.assertEqual((result["split"], result["num_samples"]), ("val", 2))
        self.assertIn("1 of the 3 val files recorded at training are missing from the dataset now: " + gone, out)
        self.assertIn("3 images added since training are in neither subset", out)
        report = self.read_json("eval.json")
        self.assertEqual(report["missing_files"], [gone])
        self.assertEqual(sum(map(sum, report["confusion_matrix"])), 2)

        # an explicit validation split re-derives the subset from the seed, and says so
        ctx = evaluate_context(self.data, dataset_mode="train_only", split="train", override_validation_split=0.3,
                               output_json="eval2.json")
        code, out, err, _ = self.run_function(self.render("vision/evaluate.py", ctx), "evaluate")
        self.assertEqual(code, 0, out + err)
        self.assertIn("[m-gpux] warning: re-deriving the train subset from the seed (42) and validation split 0.3", out)
        self.assertEqual(result_of(out)["num_samples"], 14 - int(14 * 0.3))

    def test_early_stopping_and_frozen_backbone(self):
        self.make_dataset({"train": 2, "val": 1})
        config = train_config(epochs=4, early_stopping_patience=1, learning_rate=1e-12, scheduler="none",
                              optimizer="rmsprop", freeze_backbone=True, dropout=0.0, augmentation="light")
        code, out, err, _ = self.train(config)
        self.assertEqual(code, 0, out + err)
        result = result_of(out)
        # stopped after the first epoch that did not improve
        self.assertLess(result["epochs_completed"], 4)
        self.assertEqual(result["epochs_completed"], result["best_epoch"] + 1)
        self.assertIn("[m-gpux] early stopping: no validation improvement for 1 epochs", out)
        self.assertEqual(len(self.read_json(config["experiment_name"] + "/history.json")), result["epochs_completed"])

    def fixed_validation(self, accuracies, loss=1.0):
        """A driver line that makes every validation pass report the same loss and the given
        accuracies in turn, so which epoch "improves" does not depend on the training itself."""
        return f"""
            _real_inference, _accuracies = mod.run_inference, iter({accuracies!r})
            def _fixed_inference(*args, **kwargs):
                result = _real_inference(*args, **kwargs)
                result.update(loss={loss!r}, accuracy=next(_accuracies))
                return result
            mod.run_inference = _fixed_inference
        """

    def test_early_stopping_on_validation_loss(self):
        self.make_dataset({"train": 2, "val": 1})
        # The accuracy rises every epoch while the loss stays put: loss-based stopping ends the
        # run after the first epoch without a lower loss, accuracy-based stopping does not.
        rising = [0.1, 0.2, 0.3, 0.4]
        config = train_config(epochs=4, early_stopping_patience=1, early_stopping_metric="loss", scheduler="none")
        code, out, err, _ = self.train(config, extra=self.fixed_validation(rising))
        self.assertEqual(code, 0, out + err)
        result = result_of(out)
        self.assertEqual((result["epochs_completed"], result["best_epoch"], result["best_val_accuracy"]), (2, 1, 0.1))
        self.assertIn("[m-gpux] early stopping: no validation improvement for 1 epochs (validation loss)", out)
        run = config["experiment_name"]
        self.assertEqual(self.read_json(run + "/checkpoints/best_validation_metrics.json"),
                         {"epoch": 1, "loss": 1.0, "accuracy": 0.1})
        config = train_config(epochs=4, early_stopping_patience=1, scheduler="none", overwrite=True)
        code, out, err, _ = self.train(config, extra=self.fixed_validation(rising))
        self.assertEqual(code, 0, out + err)
        self.assertEqual((result_of(out)["epochs_completed"], result_of(out)["best_epoch"]), (4, 4))
        self.assertNotIn("early stopping", out)

    def training_state(self, path):
        """The resume fields of a last_model.pt: epoch, history epochs, optimizer steps taken."""
        code, out, err = self.execute("", f"""
            import torch
            ck = torch.load({str(path)!r}, map_location="cpu")
            steps = [float(s["step"]) for s in ck["optimizer_state_dict"]["state"].values()]
            print("ST", json.dumps({{"epoch": ck["epoch"], "history": [h["epoch"] for h in ck["history"]],
                                    "steps": sorted(set(steps)), "stale": ck["stale_epochs"],
                                    "scheduler_steps": ck["scheduler_state_dict"]["_step_count"]}}))
        """)
        self.assertEqual(code, 0, err)
        return json.loads(out.split("ST ", 1)[1])

    def test_resume_continues_the_last_checkpoint(self):
        self.make_dataset({"train": 4, "val": 2})
        run = "imgclf-resnet18-test"
        last = self.artifacts / run / "checkpoints" / "last_model.pt"
        # resuming a run that does not exist fails before training
        code, out, err, _ = self.train(train_config(resume=True))
        self.assertNotEqual(code, 0)
        self.assertIn(ERROR + "run %s has no checkpoints/last_model.pt on the artifact volume" % run, out)
        self.assertFalse(last.exists())

        self.train_ok(train_config(epochs=1))
        first = self.training_state(last)
        # 12 images, batch 4, two batches per optimizer step: 2 steps an epoch
        self.assertEqual((first["epoch"], first["history"], first["steps"]), (1, [1], [2.0]))
        result, _ = self.train_ok(train_config(epochs=2, resume=True))
        self.assertEqual(result["epochs_completed"], 2)
        self.assertEqual([h["epoch"] for h in self.read_json(run + "/history.json")], [1, 2])
        second = self.training_state(last)
        # the optimizer and the one-cycle schedule carried on from the first run's state
        self.assertEqual((second["epoch"], second["history"], second["steps"]), (2, [1, 2], [4.0]))
        self.assertEqual(second["scheduler_steps"], first["scheduler_steps"] + 2)
        # --epochs is the total: a run already there is not trained again
        code, out, err, _ = self.train(train_config(epochs=2, resume=True))
        self.assertNotEqual(code, 0)
        self.assertIn(ERROR + "run %s has already trained 2 epochs" % run, out)

    def test_bf16_and_fp32_on_cpu_run_without_autocast(self):
        self.make_dataset({"train": 2, "val": 1})
        for precision in ("bf16", "fp32"):
            config = train_config(precision=precision, mixed_precision=precision != "fp32", overwrite=True)
            code, out, err, _ = self.train(config, extra=NO_AUTOCAST)
            self.assertEqual(code, 0, out + err)
            self.assertEqual(result_of(out)["epochs_completed"], 1)
            self.assertNotIn("autocast", err)
        code, out, err, _ = self.train(train_config(precision="fp8", overwrite=True))
        self.assertNotEqual(code, 0)
        self.assertIn(ERROR + "unknown precision 'fp8' (fp16, bf16 or fp32)", out)

    def test_class_mismatch_fails_naming_both_lists(self):
        self.make_dataset({"train": 2, "val": 1})
        code, out, err, _ = self.train(train_config(class_names=["circle", "square"]))
        self.assertNotEqual(code, 0)
        self.assertIn(ERROR + "the uploaded dataset's classes ['circle', 'square', 'Triangle'] differ from the classes "
                      "validated locally ['circle', 'square']", out)
        self.assertNotIn(RESULT, out)

    def test_an_existing_run_is_kept_unless_overwrite(self):
        self.make_dataset({"train": 2, "val": 1})
        run = self.artifacts / "imgclf-resnet18-test"
        (run / "checkpoints").mkdir(parents=True)
        (run / "test_report.json").write_text("{}")
        code, out, err, _ = self.train()
        self.assertNotEqual(code, 0)
        self.assertIn(ERROR + "run imgclf-resnet18-test already exists on the artifact volume m-gpux-vision-artifacts", out)
        self.assertEqual(sorted(p.name for p in run.iterdir()), ["checkpoints", "test_report.json"])
        # a replacement that fails on its dataset leaves the earlier run alone
        code, out, err, _ = self.train(train_config(overwrite=True, class_names=["circle", "square"]))
        self.assertNotEqual(code, 0)
        self.assertEqual(sorted(p.name for p in run.iterdir()), ["checkpoints", "test_report.json"])
        self.train_ok(train_config(overwrite=True))
        self.assertFalse((run / "test_report.json").exists())  # nothing of the old run survives
        self.assertTrue((run / "summary.json").exists())

    def test_missing_checkpoint_is_an_error(self):
        self.make_dataset({"train": 1, "val": 1})
        for template, ctx, function in (
                ("vision/evaluate.py", evaluate_context(self.data, checkpoint_path="nope/checkpoints/best_model.pt"), "evaluate"),
                ("vision/export.py", export_context(checkpoint_path="/nope/best_model.pt"), "export")):
            code, out, err, _ = self.run_function(self.render(template, ctx), function)
            self.assertNotEqual(code, 0)
            self.assertIn(ERROR + "checkpoint not found: ", out)
            self.assertIn("nope/", out)
        code, out, err, _ = self.run_function(self.render("vision/export.py", export_context(output_dir="../x")), "export")
        self.assertIn(ERROR + "output folder '../x' is not a path inside the artifact volume", out)


class ModelTests(VisionCase):
    """Head replacement for the catalog's model families, and the auxiliary heads of
    inception_v3/googlenet with pretrained weights."""

    def models(self, driver):
        text = self.render("vision/export.py", export_context())
        code, out, err = self.execute(text, driver, env={"OMP_NUM_THREADS": "2"}, timeout=180)
        self.assertEqual(code, 0, err)
        return json.loads(out.split("MODELS ", 1)[1])

    def test_every_head_rule_builds_a_trainable_classifier(self):
        # one model per family of the catalog (the larger ones share the smaller one's head); the
        # input size of a forward pass, None where it would be slow and the head rule is covered
        families = {"resnet18": 64, "shufflenet_v2_x1_0": 64, "convnext_tiny": 64, "efficientnet_b0": 64,
                    "mobilenet_v2": 64, "mobilenet_v3_small": 64, "densenet121": 64, "vit_b_32": None, "swin_t": 64,
                    "maxvit_t": None, "inception_v3": 80, "googlenet": 64}
        found = self.models(f"""
            import torch
            out = dict()
            for name, size in {families!r}.items():
                model, _ = mod.build_model(name, 3, False, 0.3, freeze_backbone=True)
                trainable = [n for n, p in model.named_parameters() if p.requires_grad]
                model.train()
                shape = list(mod.logits_of(model(torch.zeros(2, 3, size, size))).shape) if size else [2, 3]
                out[name] = [trainable, shape]
            print("MODELS", json.dumps(out))
        """)
        heads = {"resnet18": "fc", "shufflenet_v2_x1_0": "fc", "convnext_tiny": "classifier.2",
                 "efficientnet_b0": "classifier.1", "mobilenet_v2": "classifier.1", "mobilenet_v3_small": "classifier.3",
                 "densenet121": "classifier", "vit_b_32": "heads.head", "swin_t": "head", "maxvit_t": "classifier.5",
                 "inception_v3": "fc", "googlenet": "fc"}
        for name, head in heads.items():
            trainable, shape = found[name]
            # the new head: Dropout then Linear(in, 3); nothing else trains with a frozen backbone
            self.assertEqual(trainable, [head + ".1.weight", head + ".1.bias"], name)
            self.assertEqual(shape, [2, 3], name)

    def test_an_unknown_builder_is_named(self):
        found = self.models("""
            try:
                mod.build_model("resnet_nope", 3, False, 0.0)
            except mod.VisionError as exc:
                print("MODELS", json.dumps(str(exc)))
        """)
        self.assertRegex(found, r"^torchvision \S+ has no model builder named 'resnet_nope'$")

    def test_pretrained_inception_and_googlenet_keep_no_aux_heads(self):
        # torchvision refuses aux_logits=False with pretrained weights; the download is replaced by
        # the weights of a freshly built model with aux heads (no network here).
        found = self.models("""
            import torch
            from torchvision import models
            out = dict()
            for name in ("inception_v3", "googlenet"):
                enum = type(models.get_model_weights(name).DEFAULT)
                reference = models.get_model(name, weights=None, aux_logits=True, init_weights=False)
                enum.get_state_dict = lambda self, *a, **k: reference.state_dict()
                model, weights = mod.build_model(name, 3, True, 0.0)
                model.train()
                output = model(torch.zeros(2, 3, 80, 80))
                checkpoint = mod.checkpoint_payload(model, ["a", "b", "c"], {"model_name": name, "pretrained": True}, 1, 0.5, weights)
                rebuilt, classes, _ = mod.model_from_checkpoint(checkpoint, torch.device("cpu"))
                out[name] = [weights, type(output).__name__, model.aux_logits, model.transform_input,
                             rebuilt.transform_input, any("aux" in k.lower() for k in checkpoint["model_state_dict"])]
            print("MODELS", json.dumps(out))
        """)
        self.assertEqual(found["inception_v3"], ["Inception_V3_Weights.IMAGENET1K_V1", "Tensor", False, True, True, False])
        self.assertEqual(found["googlenet"], ["GoogLeNet_Weights.IMAGENET1K_V1", "Tensor", False, True, True, False])


if __name__ == "__main__":
    main()
