{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux vision evaluate: measures a trained checkpoint on one split of the uploaded dataset
(loss, accuracy, top-k accuracy, confusion matrix, per-class precision/recall/F1, macro F1) and
writes the report into the artifact volume."""
import json
import os

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
# No create_if_missing: evaluating needs a volume that training filled.
volume = modal.Volume.from_name(ARTIFACT_VOLUME)
image = (
    {{#base_image}}modal.Image.from_name({{base_image}}){{/base_image}}{{^base_image}}modal.Image.debian_slim(python_version={{python_version}}){{/base_image}}
    .pip_install("torch>=2.4.0", "torchvision>=0.19.0", "pillow>=10.0.0")
    .add_local_dir(LOCAL_DATASET_DIR, remote_path="/dataset", ignore=DATASET_IGNORE)
)


def _resolve_split(layout):
    """The split to evaluate: auto is test, else val, for a pre-split dataset; the validation
    subset otherwise."""
    requested = CONFIG["split"]
    if requested == "auto":
        if layout["mode"] == "pre_split":
            return "test" if "test" in layout["splits"] else "val"
        return "val"
    if requested not in ("train", "val", "test"):
        raise VisionError("unknown split %r (auto, train, val or test)" % requested)
    if requested == "test" and "test" not in layout["splits"]:
        raise VisionError("the dataset has no test split (a test folder with class folders)")
    return requested


def _split_record(checkpoint_rel, config):
    """split.json of the training run, looked up beside the checkpoint's folder and under the
    experiment name; None when the run predates it."""
    folder = os.path.dirname(checkpoint_rel)
    candidates = []
    if os.path.basename(folder) == "checkpoints":
        candidates.append(os.path.dirname(folder))
    candidates.append(folder)
    if config.get("experiment_name"):
        candidates.append(str(config["experiment_name"]))
    for run in candidates:
        path = os.path.join(ARTIFACTS_DIR, run, "split.json")
        if run and os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
    return None


def _recorded_subset(record, split, layout, classes):
    """The subset training used, from split.json; files recorded there but gone now are reported
    and left out, files added since training are in neither subset and left out too."""
    source = record.get("source_dir", layout["split_dirs"]["train"])
    current = {path for path, _ in split_samples(layout, "train", classes)}
    recorded = list(record.get(split, []))
    missing = [path for path in recorded if path not in current]
    if missing:
        shown = ", ".join(missing[:10]) + (" and %d more" % (len(missing) - 10) if len(missing) > 10 else "")
        print("[m-gpux] warning: %d of the %d %s files recorded at training are missing from the dataset now: %s"
              % (len(missing), len(recorded), split, shown), flush=True)
    known = set(record.get("train", [])) | set(record.get("val", []))
    added = len(current - known)
    if added:
        print("[m-gpux] note: %d images added since training are in neither subset and are not evaluated" % added, flush=True)
    samples = [(path, label_of(path, source, classes)) for path in recorded if path in current]
    return [(path, label) for path, label in samples if label is not None], missing


def _derived_subset(split, layout, classes, config):
    """Re-derives the subset from the seed, for runs without split.json or an explicit override."""
    fraction = CONFIG["override_validation_split"]
    if fraction is None:
        fraction = config.get("validation_split") or CONFIG["default_validation_split"]
    seed = config.get("seed", CONFIG["fallback_seed"])
    print("[m-gpux] warning: re-deriving the %s subset from the seed (%s) and validation split %s; images added "
          "or removed since training can move between subsets" % (split, seed, fraction), flush=True)
    train, val = random_split(split_samples(layout, "train", classes), fraction, seed)
    return train if split == "train" else val


def _samples(layout, split, classes, checkpoint_rel, config):
    """([(path, label)], missing files) of the split to evaluate."""
    if layout["mode"] == "pre_split" or split == "test":
        return split_samples(layout, split, classes), []
    record = _split_record(checkpoint_rel, config)
    if record is not None and CONFIG["override_validation_split"] is None:
        return _recorded_subset(record, split, layout, classes)
    return _derived_subset(split, layout, classes, config), []


def _evaluate(writer):
    reload_volume(volume)
    checkpoint_rel = volume_relative(CONFIG["checkpoint_path"], "checkpoint")
    output_rel = volume_relative(CONFIG["output_json"], "output file")
    refuse_existing(os.path.join(ARTIFACTS_DIR, output_rel), output_rel, "the output file", CONFIG.get("overwrite"))
    device = device_of()
    use_amp = bool(CONFIG["mixed_precision"])
    model, classes, config = model_from_checkpoint(load_checkpoint(ARTIFACTS_DIR, checkpoint_rel, device), device)
    layout = scan_layout(DATASET_DIR)
    if layout["mode"] != CONFIG["dataset_mode"]:
        raise VisionError("the uploaded dataset is laid out as %s, but m-gpux validated %s"
                          % (layout["mode"], CONFIG["dataset_mode"]))
    if layout["classes"] != classes:
        raise VisionError("the dataset's classes %s differ from the checkpoint's classes %s" % (layout["classes"], classes))
    split = _resolve_split(layout)
    samples, missing = _samples(layout, split, classes, checkpoint_rel, config)
    if not samples:
        raise VisionError("the %s split has no images to evaluate" % split)
    size = int(config.get("image_size") or CONFIG["fallback_image_size"])
    dataset = ImageSamples(DATASET_DIR, samples, eval_transform(size))
    loader = make_loader(dataset, CONFIG["batch_size"], CONFIG["num_workers"], False, device)
    k = max(1, min(int(CONFIG["top_k"]), len(classes)))
    result = run_inference(model, loader, device, use_amp, top_k=k)
    report = classification_report(result["targets"], result["predictions"], classes)
    writer.write_json(output_rel, {
        "checkpoint_path": checkpoint_rel, "split": split, "num_samples": result["num_samples"],
        "loss": result["loss"], "accuracy": result["accuracy"], "topk_accuracy": result["topk_accuracy"], "top_k": k,
        "class_names": classes, "confusion_matrix": report["confusion_matrix"], "per_class": report["per_class"],
        "macro_f1": report["macro_f1"], "missing_files": missing,
    })
    writer.commit()
    print("[m-gpux] %s split: %d images, accuracy %.4f, top-%d accuracy %.4f, macro F1 %.4f"
          % (split, result["num_samples"], result["accuracy"], k, result["topk_accuracy"], report["macro_f1"]), flush=True)
    return {
        "kind": "evaluate", "split": split, "num_samples": result["num_samples"], "loss": result["loss"],
        "accuracy": result["accuracy"], "topk_accuracy": result["topk_accuracy"], "top_k": k,
        "macro_f1": report["macro_f1"], "per_class": report["per_class"], "output_json_path": output_rel,
        "files": list(writer.files),
    }


@app.function(image=image, {{#gpu}}gpu={{gpu}}, {{/gpu}}{{#cpu}}cpu={{cores}}, memory={{memory_mb}}, {{/cpu}}timeout=TIMEOUT_S, volumes={"/artifacts": volume})
def evaluate():
    _print_metrics()
    return run_reported(lambda: _evaluate(ArtifactWriter(ARTIFACTS_DIR, volume)))
