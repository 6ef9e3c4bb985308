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
    modal.Image.debian_slim(python_version={{python_version}})
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


def _prepare_run_folder(run):
    """Refuses to replace an earlier run unless CONFIG["overwrite"]; with it, clears the old run so
    no stale file (say a test report) survives next to the new ones."""
    folder = os.path.join(ARTIFACTS_DIR, run)
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


def _grad_scaler(enabled):
    import torch

    if hasattr(torch, "amp") and hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler("cuda", enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)


def _train_one_epoch(model, loader, criterion, optimizer, scaler, step_scheduler, device, use_amp):
    """(mean loss, accuracy) of one pass; the optimizer steps every grad_accumulation_steps batches
    and on the last batch."""
    accumulate = max(1, int(CONFIG["grad_accumulation_steps"]))
    model.train()
    optimizer.zero_grad(set_to_none=True)
    total_loss, correct, seen = 0.0, 0, 0
    for step, (images, labels) in enumerate(loader, start=1):
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        with autocast_context(device, use_amp):
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


def _write_test_reports(writer, run, model, loader, classes, device, use_amp):
    """Reloads the best checkpoint and writes test_metrics.json and test_report.json."""
    checkpoint = load_checkpoint(ARTIFACTS_DIR, run + "/checkpoints/best_model.pt", device)
    unwrapped(model).load_state_dict(checkpoint["model_state_dict"])
    result = run_inference(model, loader, device, use_amp)
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


class _Trainer:
    """One training run: the epochs, the best/last checkpoints and the history."""

    def __init__(self, writer, run, classes, device, train_loader, val_loader):
        from torch import nn

        self.writer, self.run, self.classes, self.device = writer, run, classes, device
        self.train_loader, self.val_loader = train_loader, val_loader
        self.use_amp = bool(CONFIG["mixed_precision"]) and device.type == "cuda"
        self.model, self.weights = _model_on(device, len(classes))
        self.criterion = nn.CrossEntropyLoss(label_smoothing=float(CONFIG["label_smoothing"]))
        self.optimizer = _optimizer([p for p in self.model.parameters() if p.requires_grad])
        steps_per_epoch = max(1, math.ceil(len(train_loader) / max(1, int(CONFIG["grad_accumulation_steps"]))))
        self.scheduler, self.per_step = _scheduler(self.optimizer, steps_per_epoch)
        self.scaler = _grad_scaler(self.use_amp)
        self.history, self.best_accuracy, self.best_epoch, self.epoch = [], -1.0, 0, 0

    def checkpoint(self):
        return checkpoint_payload(self.model, self.classes, CONFIG, self.epoch, self.best_accuracy, self.weights)

    def run_epoch(self):
        """Trains and validates one epoch; returns its history entry."""
        started = time.time()
        train_loss, train_accuracy = _train_one_epoch(self.model, self.train_loader, self.criterion, self.optimizer,
                                                      self.scaler, self.scheduler if self.per_step else None,
                                                      self.device, self.use_amp)
        val = run_inference(self.model, self.val_loader, self.device, self.use_amp)
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
        self.best_accuracy, self.best_epoch = entry["val_accuracy"], self.epoch
        self.writer.save_torch(self.run + "/checkpoints/best_model.pt", self.checkpoint())
        self.writer.write_json(self.run + "/checkpoints/best_validation_metrics.json",
                               {"epoch": self.epoch, "loss": entry["val_loss"], "accuracy": entry["val_accuracy"]})
        self.writer.write_json(self.run + "/history.json", self.history)
        self.writer.commit()

    def fit(self):
        """Every epoch, or until early stopping; saves the best checkpoint as it improves."""
        patience, stale = int(CONFIG["early_stopping_patience"]), 0
        for epoch in range(1, int(CONFIG["epochs"]) + 1):
            self.epoch = epoch
            entry = self.run_epoch()
            if entry["val_accuracy"] > self.best_accuracy:
                self.save_best(entry)
                stale = 0
            else:
                stale += 1
            if patience > 0 and stale >= patience:
                print("[m-gpux] early stopping: no validation improvement for %d epochs" % patience, flush=True)
                break
        self.writer.save_torch(self.run + "/checkpoints/last_model.pt", self.checkpoint())
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
    trainer.fit()
    test_accuracy = test_macro_f1 = None
    if test:
        test_loader = _loader(test, eval_transform(size), False, device)
        test_accuracy, test_macro_f1 = _write_test_reports(writer, run, trainer.model, test_loader, classes, device,
                                                           trainer.use_amp)
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
