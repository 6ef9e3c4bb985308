{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux vision train: fine-tunes a torchvision image classifier on the uploaded dataset and
writes checkpoints, history and reports into the artifact volume under the experiment name."""
import json
import math
import os
import random
import time

import modal

CONFIG = {{config}}
LOCAL_DATASET_DIR = {{dataset_dir}}
DATASET_IGNORE = {{ignore}}
ARTIFACT_VOLUME = {{artifact_volume}}
TIMEOUT_S = {{timeout_s}}
# Container paths (module constants so the code can be pointed elsewhere when run outside Modal).
DATASET_DIR = "/dataset"
ARTIFACTS_DIR = "/artifacts"
INPUTS_DIR = "/inputs"

{{> common/metrics.py}}

{{> vision/_common.py}}

app = modal.App({{app_name}})
volume = modal.Volume.from_name(ARTIFACT_VOLUME, create_if_missing=True)
# The dataset is added without copy=True: Modal uploads it when the container starts
# (content-addressed) instead of building a new image layer for every dataset change.
image = (
    {{#base_image}}modal.Image.from_name({{base_image}}){{/base_image}}{{^base_image}}modal.Image.debian_slim(python_version={{python_version}}){{/base_image}}
    .pip_install("torch>=2.4.0", "torchvision>=0.19.0", "pillow>=10.0.0")
    .add_local_dir(LOCAL_DATASET_DIR, remote_path="/dataset", ignore=DATASET_IGNORE)
)


def _seed_everything(seed):
    import torch

    random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.deterministic = False


def _run_name():
    name = str(CONFIG["experiment_name"])
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise VisionError("experiment name %r cannot name a folder of the artifact volume" % name)
    return name


LAST_CHECKPOINT = "checkpoints/last_model.pt"


def _prepare_run_folder(run):
    """Refuses to replace an earlier run unless CONFIG["overwrite"]; with it, clears the old run so
    no stale file (say a test report) survives next to the new ones. A resumed run keeps its folder
    and needs its last checkpoint."""
    folder = os.path.join(ARTIFACTS_DIR, run)
    if CONFIG.get("resume"):
        if not os.path.isfile(os.path.join(folder, LAST_CHECKPOINT)):
            raise VisionError("run %s has no %s on the artifact volume %s to resume from; train it without "
                              "--resume first" % (run, LAST_CHECKPOINT, ARTIFACT_VOLUME))
        return
    exists = os.path.exists(os.path.join(folder, "summary.json")) or os.path.exists(os.path.join(folder, "checkpoints"))
    if exists and not CONFIG.get("overwrite"):
        raise VisionError("run %s already exists on the artifact volume %s; choose another experiment name or "
                          "pass --overwrite to replace it" % (run, ARTIFACT_VOLUME))
    if exists:
        print("[m-gpux] replacing the earlier run %s" % run, flush=True)
        remove_tree(folder)


def _check_classes(found):
    expected = list(CONFIG["class_names"])
    if list(found) != expected:
        raise VisionError("the uploaded dataset's classes %s differ from the classes validated locally %s"
                          % (list(found), expected))


def _dataset_splits():
    """(layout, train samples, val samples, test samples) by the dataset rules."""
    layout = scan_layout(DATASET_DIR)
    if layout["mode"] != CONFIG["dataset_mode"]:
        raise VisionError("the uploaded dataset is laid out as %s, but m-gpux validated %s"
                          % (layout["mode"], CONFIG["dataset_mode"]))
    classes = layout["classes"]
    _check_classes(classes)
    test = split_samples(layout, "test", classes) if "test" in layout["splits"] else []
    if layout["mode"] == "pre_split":
        return layout, split_samples(layout, "train", classes), split_samples(layout, "val", classes), test
    train, val = random_split(split_samples(layout, "train", classes), CONFIG["validation_split"], CONFIG["seed"])
    return layout, train, val, test


def _split_record(layout, train, val):
    """split.json: the exact subsets, so evaluate re-uses this validation subset."""
    return {
        "dataset_mode": layout["mode"],
        "source_dir": layout["split_dirs"]["train"],
        "classes": layout["classes"],
        "validation_split": CONFIG["validation_split"],
        "seed": CONFIG["seed"],
        "train": sorted(path for path, _ in train),
        "val": sorted(path for path, _ in val),
    }


def _optimizer(params):
    import torch

    name = CONFIG["optimizer"]
    lr, wd, momentum = float(CONFIG["learning_rate"]), float(CONFIG["weight_decay"]), float(CONFIG["momentum"])
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd, nesterov=momentum > 0)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=momentum, weight_decay=wd)
    raise VisionError("unknown optimizer %r (adamw, sgd or rmsprop)" % name)


def _scheduler(optimizer, steps_per_epoch):
    """(scheduler or None, stepped per optimizer step?)."""
    import torch

    name, epochs = CONFIG["scheduler"], int(CONFIG["epochs"])
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs)), False
    if name == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1), False
    if name == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=float(CONFIG["learning_rate"]), epochs=epochs,
                                                   steps_per_epoch=steps_per_epoch), True
    if name == "none":
        return None, False
    raise VisionError("unknown scheduler %r (cosine, onecycle, step or none)" % name)


def _precision():
    """fp16, bf16 or fp32; a config without the key follows mixed_precision."""
    default = "fp16" if CONFIG.get("mixed_precision", True) else "fp32"
    precision = CONFIG.get("precision") or default
    if precision not in ("fp16", "bf16", "fp32"):
        raise VisionError("unknown precision %r (fp16, bf16 or fp32)" % precision)
    return precision


def _grad_scaler(enabled):
    import torch

    if hasattr(torch, "amp") and hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler("cuda", enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)


def _train_one_epoch(model, loader, criterion, optimizer, scaler, step_scheduler, device, use_amp, precision):
    """(mean loss, accuracy) of one pass; the optimizer steps every grad_accumulation_steps batches
    and on the last batch."""
    accumulate = max(1, int(CONFIG["grad_accumulation_steps"]))
    model.train()
    optimizer.zero_grad(set_to_none=True)
    total_loss, correct, seen = 0.0, 0, 0
    for step, (images, labels) in enumerate(loader, start=1):
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        with autocast_context(device, use_amp, precision):
            logits = logits_of(model(images))
            loss = criterion(logits, labels)
        scaler.scale(loss / accumulate).backward()
        total_loss += loss.item() * labels.size(0)
        correct += (logits.argmax(dim=1) == labels).sum().item()
        seen += labels.size(0)
        if step % accumulate == 0 or step == len(loader):
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            if step_scheduler is not None:
                step_scheduler.step()
    return total_loss / max(1, seen), correct / max(1, seen)


def _write_test_reports(writer, run, model, loader, classes, device, use_amp, precision):
    """Reloads the best checkpoint and writes test_metrics.json and test_report.json."""
    checkpoint = load_checkpoint(ARTIFACTS_DIR, run + "/checkpoints/best_model.pt", device)
    unwrapped(model).load_state_dict(checkpoint["model_state_dict"])
    result = run_inference(model, loader, device, use_amp, precision=precision)
    writer.write_json(run + "/test_metrics.json", {
        "loss": result["loss"], "accuracy": result["accuracy"],
        "predictions": result["predictions"], "targets": result["targets"],
    })
    report = classification_report(result["targets"], result["predictions"], classes)
    writer.write_json(run + "/test_report.json", dict(report, class_names=classes))
    print("[m-gpux] test accuracy %.4f, macro F1 %.4f" % (result["accuracy"], report["macro_f1"]), flush=True)
    return result["accuracy"], report["macro_f1"]


def _write_dataset_records(writer, run, layout, train, val, test):
    classes = layout["classes"]
    writer.write_json(run + "/config.json", CONFIG)
    writer.write_json(run + "/split.json", _split_record(layout, train, val))
    writer.write_json(run + "/dataset_summary.json", {
        "dataset_mode": layout["mode"], "train_samples": len(train), "val_samples": len(val),
        "test_samples": len(test), "classes": classes, "num_classes": len(classes),
    })


def _loader(samples, transform, shuffle, device):
    dataset = ImageSamples(DATASET_DIR, samples, transform)
    return make_loader(dataset, CONFIG["batch_size"], CONFIG["num_workers"], shuffle, device)


def _model_on(device, num_classes):
    """(model, weights name); several GPUs share each batch (DataParallel)."""
    import torch
    from torch import nn

    model, weights = build_model(CONFIG["model_name"], num_classes, bool(CONFIG["pretrained"]),
                                 float(CONFIG["dropout"]), bool(CONFIG["freeze_backbone"]))
    model.to(device)
    if device.type == "cuda" and torch.cuda.device_count() > 1:
        print("[m-gpux] training on %d GPUs (DataParallel)" % torch.cuda.device_count(), flush=True)
        model = nn.DataParallel(model)
    return model, weights


# Scheduler settings that follow the run's length: a resumed run keeps the rest of the saved
# schedule state but stretches it to the new total of epochs.
SCHEDULE_LENGTH_KEYS = ("T_max", "step_size", "total_steps", "_schedule_phases")


class _Trainer:
    """One training run: the epochs, the best/last checkpoints and the history."""

    def __init__(self, writer, run, classes, device, train_loader, val_loader):
        from torch import nn

        self.writer, self.run, self.classes, self.device = writer, run, classes, device
        self.train_loader, self.val_loader = train_loader, val_loader
        self.precision = _precision()
        # AMP only on CUDA; bf16 needs no grad scaler (its range matches float32).
        self.use_amp = self.precision != "fp32" and device.type == "cuda"
        self.metric = CONFIG.get("early_stopping_metric") or "accuracy"
        if self.metric not in ("accuracy", "loss"):
            raise VisionError("unknown early stopping metric %r (accuracy or loss)" % self.metric)
        self.model, self.weights = _model_on(device, len(classes))
        self.criterion = nn.CrossEntropyLoss(label_smoothing=float(CONFIG["label_smoothing"]))
        self.optimizer = _optimizer([p for p in self.model.parameters() if p.requires_grad])
        steps_per_epoch = max(1, math.ceil(len(train_loader) / max(1, int(CONFIG["grad_accumulation_steps"]))))
        self.scheduler, self.per_step = _scheduler(self.optimizer, steps_per_epoch)
        self.scaler = _grad_scaler(self.use_amp and self.precision == "fp16")
        self.history, self.best_accuracy, self.best_loss, self.best_epoch, self.epoch = [], -1.0, math.inf, 0, 0
        self.stale = 0

    def checkpoint(self):
        return checkpoint_payload(self.model, self.classes, CONFIG, self.epoch, self.best_accuracy, self.weights)

    def last_checkpoint(self):
        """The best-model payload plus everything a resumed run needs to continue exactly."""
        payload = self.checkpoint()
        payload.update({
            "optimizer_state_dict": self.optimizer.state_dict(),
            "scheduler_state_dict": self.scheduler.state_dict() if self.scheduler is not None else None,
            "scaler_state_dict": self.scaler.state_dict(),
            "best_val_loss": self.best_loss if math.isfinite(self.best_loss) else None,
            "best_epoch": self.best_epoch, "stale_epochs": self.stale, "history": list(self.history),
        })
        return payload

    def resume(self):
        """Continues from <run>/checkpoints/last_model.pt: weights, optimizer, schedule, scaler,
        epoch, best figures, the patience counter and the history so far."""
        saved = load_checkpoint(ARTIFACTS_DIR, self.run + "/" + LAST_CHECKPOINT, self.device)
        if list(saved.get("class_names") or []) != list(self.classes):
            raise VisionError("cannot resume: the run was trained on the classes %s, the dataset has %s"
                              % (list(saved.get("class_names") or []), list(self.classes)))
        saved_model = (saved.get("config") or {}).get("model_name")
        if saved_model != CONFIG["model_name"]:
            raise VisionError("cannot resume: the run trained %s, not %s" % (saved_model, CONFIG["model_name"]))
        if "optimizer_state_dict" not in saved:
            raise VisionError("cannot resume: %s has no optimizer state (it was written by an older m-gpux); "
                              "start a new run" % LAST_CHECKPOINT)
        unwrapped(self.model).load_state_dict(saved["model_state_dict"])
        self.optimizer.load_state_dict(saved["optimizer_state_dict"])
        if self.scheduler is not None and saved.get("scheduler_state_dict"):
            state = dict(saved["scheduler_state_dict"])
            fresh = self.scheduler.state_dict()
            state.update((key, fresh[key]) for key in SCHEDULE_LENGTH_KEYS if key in fresh)
            self.scheduler.load_state_dict(state)
        if saved.get("scaler_state_dict") and self.scaler.is_enabled():
            self.scaler.load_state_dict(saved["scaler_state_dict"])
        self.epoch = int(saved["epoch"])
        self.best_accuracy = float(saved["best_val_accuracy"])
        best_loss = saved.get("best_val_loss")
        self.best_loss = math.inf if best_loss is None else float(best_loss)
        self.best_epoch, self.stale = int(saved.get("best_epoch", 0)), int(saved.get("stale_epochs", 0))
        self.history = list(saved.get("history") or [])
        if self.epoch >= int(CONFIG["epochs"]):
            raise VisionError("run %s has already trained %d epochs; --epochs is the total, so pass more than %d "
                              "to continue" % (self.run, self.epoch, self.epoch))
        print("[m-gpux] resuming %s after epoch %d of %d" % (self.run, self.epoch, int(CONFIG["epochs"])), flush=True)

    def improved(self, entry):
        if self.metric == "loss":
            return entry["val_loss"] < self.best_loss
        return entry["val_accuracy"] > self.best_accuracy

    def run_epoch(self):
        """Trains and validates one epoch; returns its history entry."""
        started = time.time()
        train_loss, train_accuracy = _train_one_epoch(self.model, self.train_loader, self.criterion, self.optimizer,
                                                      self.scaler, self.scheduler if self.per_step else None,
                                                      self.device, self.use_amp, self.precision)
        val = run_inference(self.model, self.val_loader, self.device, self.use_amp, precision=self.precision)
        lr = self.optimizer.param_groups[0]["lr"]
        if self.scheduler is not None and not self.per_step:
            self.scheduler.step()
        entry = {
            "epoch": self.epoch, "train_loss": round(train_loss, 6), "train_accuracy": round(train_accuracy, 6),
            "val_loss": val["loss"], "val_accuracy": val["accuracy"], "learning_rate": lr,
            "epoch_seconds": round(time.time() - started, 2),
        }
        self.history.append(entry)
        print("[Epoch %03d/%03d] train_loss=%.4f train_acc=%.4f val_loss=%.4f val_acc=%.4f lr=%.6g"
              % (self.epoch, int(CONFIG["epochs"]), train_loss, train_accuracy, val["loss"], val["accuracy"], lr), flush=True)
        return entry

    def save_best(self, entry):
        self.best_accuracy, self.best_loss, self.best_epoch = entry["val_accuracy"], entry["val_loss"], self.epoch
        self.writer.save_torch(self.run + "/checkpoints/best_model.pt", self.checkpoint())
        self.writer.write_json(self.run + "/checkpoints/best_validation_metrics.json",
                               {"epoch": self.epoch, "loss": entry["val_loss"], "accuracy": entry["val_accuracy"]})
        self.writer.write_json(self.run + "/history.json", self.history)
        self.writer.commit()

    def fit(self):
        """Every epoch, or until early stopping; saves the best checkpoint as it improves."""
        patience = int(CONFIG["early_stopping_patience"])
        for epoch in range(self.epoch + 1, int(CONFIG["epochs"]) + 1):
            self.epoch = epoch
            entry = self.run_epoch()
            if self.improved(entry):
                self.save_best(entry)
                self.stale = 0
            else:
                self.stale += 1
            if patience > 0 and self.stale >= patience:
                print("[m-gpux] early stopping: no validation improvement for %d epochs (validation %s)"
                      % (patience, self.metric), flush=True)
                break
        self.writer.save_torch(self.run + "/" + LAST_CHECKPOINT, self.last_checkpoint())
        self.writer.write_json(self.run + "/history.json", self.history)
        self.writer.commit()


def _summary(trainer, started, test_accuracy, test_macro_f1):
    run = trainer.run
    return {
        "experiment_name": run, "model_name": CONFIG["model_name"], "best_epoch": trainer.best_epoch,
        "best_val_accuracy": trainer.best_accuracy, "epochs_completed": len(trainer.history),
        "training_seconds": elapsed_since(started), "artifact_volume": ARTIFACT_VOLUME, "artifact_path": run,
        "download_examples": {
            "best_model": download_hint(ARTIFACT_VOLUME, run + "/checkpoints/best_model.pt"),
            "history": download_hint(ARTIFACT_VOLUME, run + "/history.json"),
        },
        "test_accuracy": test_accuracy, "test_macro_f1": test_macro_f1,
    }


RESULT_KEYS = ("experiment_name", "model_name", "best_epoch", "best_val_accuracy", "epochs_completed",
               "training_seconds", "artifact_volume", "artifact_path", "test_accuracy", "test_macro_f1")


def _fit(writer, run, splits, started):
    device = device_of()
    layout, train, val, test = splits
    classes = layout["classes"]
    print("[m-gpux] dataset %s: %d train, %d validation, %d test images, classes %s"
          % (layout["mode"], len(train), len(val), len(test), ", ".join(classes)), flush=True)
    _write_dataset_records(writer, run, layout, train, val, test)
    size = int(CONFIG["image_size"])
    train_loader = _loader(train, train_transform(size, CONFIG["augmentation"]), True, device)
    trainer = _Trainer(writer, run, classes, device, train_loader, _loader(val, eval_transform(size), False, device))
    if CONFIG.get("resume"):
        trainer.resume()
    trainer.fit()
    test_accuracy = test_macro_f1 = None
    if test:
        test_loader = _loader(test, eval_transform(size), False, device)
        test_accuracy, test_macro_f1 = _write_test_reports(writer, run, trainer.model, test_loader, classes, device,
                                                           trainer.use_amp, trainer.precision)
    summary = _summary(trainer, started, test_accuracy, test_macro_f1)
    writer.write_json(run + "/summary.json", summary)
    writer.commit()
    print(json.dumps(summary, indent=2), flush=True)
    result = {"kind": "train"}
    result.update((key, summary[key]) for key in RESULT_KEYS)
    result["files"] = list(writer.files)
    return result


@app.function(image=image, {{#gpu}}gpu={{gpu}}, {{/gpu}}{{#cpu}}cpu={{cores}}, memory={{memory_mb}}, {{/cpu}}timeout=TIMEOUT_S, volumes={"/artifacts": volume})
def train():
    _print_metrics()
    _monitor_metrics(30)

    def body():
        started = time.time()
        run = _run_name()
        _seed_everything(int(CONFIG["seed"]))
        # The dataset is checked before an earlier run of the same name is replaced.
        splits = _dataset_splits()
        _prepare_run_folder(run)
        writer = ArtifactWriter(ARTIFACTS_DIR, volume)
        try:
            return _fit(writer, run, splits, started)
        finally:
            # Whatever was written before a failure stays visible to `modal volume get`.
            if writer.files:
                writer.commit()

    return run_reported(body)
