{{! SPDX-License-Identifier: MIT }}
# --- m-gpux vision helpers (templates/vision/_common.py) -----------------------------------------
# Shared by the train, predict, evaluate and export scripts. torch and torchvision are imported
# inside the functions: `modal run` imports this file on the user's machine, where they are not
# needed (and often not installed); only the container calls these helpers.
import json as _vision_json
import os as _vision_os
import shlex as _vision_shlex
import shutil as _vision_shutil
import time as _vision_time

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")
# Skipped at every depth of a dataset or input folder, like names starting with ".".
SKIPPED_NAMES = ("__pycache__", ".DS_Store", "Thumbs.db")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Models whose torchvision builders take aux_logits/transform_input.
AUX_HEAD_MODELS = ("inception_v3", "googlenet")


class VisionError(RuntimeError):
    """A failure with a message meant for the user (printed as the ERROR line)."""


# --- result and error lines ------------------------------------------------------------------------


def json_safe(value):
    """value with NaN and infinities (a diverged loss) as None: json.dumps would write them as
    bare NaN/Infinity, which strict JSON readers (m-gpux's among them) refuse."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def emit_result(payload):
    print("[m-gpux] RESULT " + _vision_json.dumps(json_safe(payload)), flush=True)


def run_reported(body):
    """Runs body(); prints its payload as the one RESULT line, or an ERROR line and re-raises,
    so `modal run` exits non-zero and m-gpux can show why."""
    try:
        payload = body()
    except VisionError as exc:
        print("[m-gpux] ERROR %s" % exc, flush=True)
        raise
    except Exception as exc:
        print("[m-gpux] ERROR %s: %s" % (type(exc).__name__, exc), flush=True)
        raise
    emit_result(payload)
    return payload


# --- dataset scanning (the same rules as m-gpux's local validation) -------------------------------


def _skipped(name):
    return name.startswith(".") or name in SKIPPED_NAMES


def is_image_name(name):
    return _vision_os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _ascii_lower(text):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def class_sort_key(name):
    """Case-insensitive order (ASCII letters folded), ties broken by the exact name."""
    return (_ascii_lower(name), name)


def list_images(folder):
    """Sorted POSIX paths, relative to folder, of every image file below it (skipped names pruned)."""
    found = []
    for current, dirnames, filenames in _vision_os.walk(folder):
        dirnames[:] = [d for d in dirnames if not _skipped(d)]
        rel_dir = _vision_os.path.relpath(current, folder)
        for name in filenames:
            # isfile follows links: a dangling link or a special file is no image.
            if _skipped(name) or not is_image_name(name) or not _vision_os.path.isfile(_vision_os.path.join(current, name)):
                continue
            found.append(name if rel_dir == "." else (rel_dir.replace(_vision_os.sep, "/") + "/" + name))
    return sorted(found)


def class_files(folder):
    """{class name: [image paths relative to folder]} for the class folders of folder, in class order.
    A class folder is a direct subdirectory (not skipped) holding at least one image below it."""
    if not _vision_os.path.isdir(folder):
        return dict()
    classes = dict()
    for name in sorted(_vision_os.listdir(folder), key=class_sort_key):
        path = _vision_os.path.join(folder, name)
        if _skipped(name) or not _vision_os.path.isdir(path):
            continue
        images = list_images(path)
        if images:
            classes[name] = [name + "/" + rel for rel in images]
    return classes


def _same_classes_or_fail(found, expected, where, expected_where):
    if sorted(found, key=class_sort_key) != sorted(expected, key=class_sort_key):
        raise VisionError("the class folders of %s %s differ from those of %s %s"
                          % (where, list(found), expected_where, list(expected)))


def scan_layout(root):
    """The dataset at root by m-gpux's layout rules, as a dict: "mode", "classes", "splits" (split name
    -> class_files of its folder) and "split_dirs" (split name -> its folder relative to root, "."
    for a single-root dataset). Raises VisionError."""
    train_dir = _vision_os.path.join(root, "train")
    val_dir = _vision_os.path.join(root, "val")
    test_dir = _vision_os.path.join(root, "test")
    if _vision_os.path.isdir(train_dir):
        train = class_files(train_dir)
        if len(train) < 2:
            raise VisionError("%s must contain at least 2 class folders with images (found %d)" % (train_dir, len(train)))
        splits = {"train": train}
        split_dirs = {"train": "train"}
        mode = "train_only"
        if _vision_os.path.isdir(val_dir):
            mode = "pre_split"
            splits["val"] = class_files(val_dir)
            split_dirs["val"] = "val"
            _same_classes_or_fail(splits["val"], train, val_dir, train_dir)
        test = class_files(test_dir)
        if test:
            _same_classes_or_fail(test, train, test_dir, train_dir)
            splits["test"] = test
            split_dirs["test"] = "test"
        return {"mode": mode, "classes": list(train), "splits": splits, "split_dirs": split_dirs}
    for name in ("val", "test"):
        if _vision_os.path.exists(_vision_os.path.join(root, name)):
            raise VisionError("%s has a top-level '%s' folder but no 'train' folder: use train/val[/test] "
                              "split folders, or class folders directly under the dataset folder" % (root, name))
    whole = class_files(root)
    if len(whole) < 2:
        raise VisionError("expected train/val folders or at least 2 class folders with images in %s (found %d)"
                          % (root, len(whole)))
    return {"mode": "single_root", "classes": list(whole), "splits": {"train": whole}, "split_dirs": dict(train=".")}


def scan_dataset(root):
    """(mode, classes, counts) of the dataset at root; counts = {"train", "val", "test"} image counts."""
    layout = scan_layout(root)
    counts = dict()
    for split in ("train", "val", "test"):
        counts[split] = sum(len(files) for files in layout["splits"].get(split, dict()).values())
    return layout["mode"], layout["classes"], counts


def root_relative(split_dir, rel):
    return rel if split_dir == "." else split_dir + "/" + rel


def split_samples(layout, split, classes):
    """[(path relative to the dataset root, class index)] of one scanned split, in scan order."""
    index = {name: i for i, name in enumerate(classes)}
    split_dir = layout["split_dirs"][split]
    samples = []
    for name, files in layout["splits"][split].items():
        samples.extend((root_relative(split_dir, rel), index[name]) for rel in files)
    return samples


def random_split(samples, validation_split, seed):
    """(train, val): a seeded permutation; the first max(1, int(n * fraction)) samples validate."""
    import torch

    n = len(samples)
    val_size = max(1, int(n * float(validation_split)))
    if val_size >= n:
        raise VisionError("validation split %s leaves no training images (%d images in all)" % (validation_split, n))
    generator = torch.Generator().manual_seed(int(seed))
    order = torch.randperm(n, generator=generator).tolist()
    val = [samples[i] for i in order[:val_size]]
    train = [samples[i] for i in order[val_size:]]
    return train, val


def label_of(path, source_dir, classes):
    """The class index of a root-relative path: its first folder below source_dir."""
    rel = path if source_dir == "." else path[len(source_dir) + 1:]
    name = rel.split("/", 1)[0]
    return classes.index(name) if name in classes else None


class ImageSamples:
    """A torch-style dataset over (path, class index) pairs; images load with PIL as RGB (so .gif,
    palette and grayscale files work)."""

    def __init__(self, root, samples, transform):
        self.root = root
        self.samples = list(samples)
        self.transform = transform

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        from PIL import Image

        path, target = self.samples[i]
        with Image.open(_vision_os.path.join(self.root, path)) as img:
            rgb = img.convert("RGB")
        return self.transform(rgb), target


def make_loader(dataset, batch_size, num_workers, shuffle, device):
    """A loader; the shuffled (training) one drops a last batch of one image, which batch norm
    cannot train on (it needs more than one value per channel)."""
    import torch

    workers = max(0, min(int(num_workers), _vision_os.cpu_count() or 1))
    batch = int(batch_size)
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=batch,
        shuffle=shuffle,
        num_workers=workers,
        pin_memory=device.type == "cuda",
        persistent_workers=workers > 0,
        drop_last=shuffle and len(dataset) > 1 and len(dataset) % batch == 1,
    )


# --- transforms ----------------------------------------------------------------------------------


def train_transform(size, augmentation):
    from torchvision import transforms

    steps = [transforms.RandomResizedCrop(size)]
    if augmentation in ("light", "medium", "strong"):
        steps.append(transforms.RandomHorizontalFlip())
    if augmentation in ("medium", "strong"):
        steps.append(transforms.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.2, hue=0.02))
    if augmentation == "strong":
        steps.append(transforms.RandomRotation(20))
        steps.append(transforms.RandomPerspective(distortion_scale=0.2, p=0.25))
        steps.append(transforms.RandomAutocontrast(p=0.2))
    steps.extend([transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    return transforms.Compose(steps)


def eval_transform(size):
    from torchvision import transforms

    return transforms.Compose([
        transforms.Resize(int(size * 1.15)),
        transforms.CenterCrop(size),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


# --- models --------------------------------------------------------------------------------------


def pretrained_weights(model_name):
    """The builder's DEFAULT weights (the string "DEFAULT" when torchvision has no enum for it)."""
    from torchvision import models

    try:
        return models.get_model_weights(model_name).DEFAULT
    except Exception:  # noqa: BLE001 - a custom builder without a registered enum
        return "DEFAULT"


def _backbone(model_name, pretrained, download_weights):
    """The torchvision model. inception_v3/googlenet: torchvision insists on the auxiliary heads
    when it loads pretrained weights, so they are built with them and the heads removed after;
    transform_input follows `pretrained` so a rebuilt model computes what the trained one did."""
    from torchvision import models

    if model_name not in models.list_models():
        raise VisionError("torchvision %s has no model builder named %r" % (_torchvision_version(), model_name))
    weights = pretrained_weights(model_name) if download_weights else None
    kwargs = dict()
    if model_name in AUX_HEAD_MODELS:
        kwargs["transform_input"] = bool(pretrained)
        if weights is None:
            kwargs["aux_logits"] = False
    model = models.get_model(model_name, weights=weights, **kwargs)
    _drop_aux_heads(model)
    return model, weights


def _torchvision_version():
    import torchvision

    return torchvision.__version__


def _drop_aux_heads(model):
    if getattr(model, "aux_logits", False):
        model.aux_logits = False
        for name in ("AuxLogits", "aux1", "aux2"):
            if hasattr(model, name):
                setattr(model, name, None)


def _new_head(in_features, num_classes, dropout):
    from torch import nn

    linear = nn.Linear(in_features, num_classes)
    return nn.Sequential(nn.Dropout(p=float(dropout)), linear) if dropout and dropout > 0 else linear


def _last_linear_index(seq):
    from torch import nn

    found = [i for i, layer in enumerate(seq) if isinstance(layer, nn.Linear)]
    return found[-1] if found else None


def _replace_in(owner, attr, num_classes, dropout):
    """Replaces owner.attr when it is a Linear, or the last Linear of a Sequential owner.attr;
    returns the new head or None when neither applies."""
    from torch import nn

    current = getattr(owner, attr, None)
    if isinstance(current, nn.Linear):
        head = _new_head(current.in_features, num_classes, dropout)
        setattr(owner, attr, head)
        return head
    if isinstance(current, nn.Sequential):
        index = _last_linear_index(current)
        if index is not None:
            head = _new_head(current[index].in_features, num_classes, dropout)
            current[index] = head
            return head
    return None


def replace_head(model, model_name, num_classes, dropout):
    """A new classifier head, first rule that applies: fc, classifier, heads.head / heads, head."""
    from torch import nn

    if isinstance(getattr(model, "fc", None), nn.Linear):
        return _replace_in(model, "fc", num_classes, dropout)
    head = _replace_in(model, "classifier", num_classes, dropout)
    if head is None and getattr(model, "heads", None) is not None:
        heads = model.heads
        if isinstance(getattr(heads, "head", None), nn.Linear):
            head = _replace_in(heads, "head", num_classes, dropout)
        else:
            head = _replace_in(model, "heads", num_classes, dropout)
    if head is None and isinstance(getattr(model, "head", None), nn.Linear):
        head = _replace_in(model, "head", num_classes, dropout)
    if head is None:
        raise VisionError("unsupported classifier head for %s: it has no Linear fc, classifier, heads or head layer"
                          % model_name)
    return head


def build_model(model_name, num_classes, pretrained, dropout, freeze_backbone=False, download_weights=None):
    """(model, weights name or None). download_weights defaults to `pretrained`; a model rebuilt
    from a checkpoint passes False (its state dict replaces every weight)."""
    if download_weights is None:
        download_weights = pretrained
    model, weights = _backbone(model_name, pretrained, download_weights)
    head = replace_head(model, model_name, num_classes, dropout)
    if freeze_backbone:
        for param in model.parameters():
            param.requires_grad = False
        for param in head.parameters():
            param.requires_grad = True
    return model, (None if weights is None else str(weights))


def logits_of(output):
    """The class scores of a forward pass (named outputs, tuples or a plain tensor)."""
    if hasattr(output, "logits"):
        return output.logits
    if isinstance(output, (tuple, list)):
        return output[0]
    return output


def unwrapped(model):
    return getattr(model, "module", model)


# --- checkpoints ---------------------------------------------------------------------------------


def checkpoint_payload(model, class_names, config, epoch, best_val_accuracy, weights):
    return {
        "model_state_dict": unwrapped(model).state_dict(),
        "class_names": list(class_names),
        "config": dict(config),
        "epoch": epoch,
        "best_val_accuracy": best_val_accuracy,
        "weights": weights,
    }


def load_checkpoint(root, rel, device):
    """The checkpoint at rel inside the volume mounted at root."""
    import torch

    path = _vision_os.path.join(root, rel)
    if not _vision_os.path.isfile(path):
        raise VisionError("checkpoint not found: %s on the artifact volume; check the run name or the "
                          "checkpoint path (m-gpux vision runs lists the runs)" % rel)
    # weights_only keeps a planted pickle from running code; torch 1.x's safe loader cannot read
    # plain floats yet, and there the checkpoint comes from this run's own volume.
    safe = int(torch.__version__.split(".")[0]) >= 2
    return torch.load(path, map_location=device, weights_only=safe)


def model_from_checkpoint(checkpoint, device):
    """(model in eval mode on device, class names, image size) rebuilt from a training checkpoint."""
    config = checkpoint.get("config") or dict()
    classes = list(checkpoint["class_names"])
    model, _ = build_model(config["model_name"], len(classes), bool(config.get("pretrained", False)),
                           config.get("dropout", 0.0) or 0.0, download_weights=False)
    model.load_state_dict(checkpoint["model_state_dict"])
    model.to(device).eval()
    return model, classes, config


def device_of():
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def autocast_context(device, enabled, precision="fp16"):
    """float16 (or, with precision "bf16", bfloat16) autocast on CUDA only; a no-op context elsewhere
    and for "fp32"."""
    import contextlib

    import torch

    if enabled and device.type == "cuda" and precision != "fp32":
        dtype = torch.bfloat16 if precision == "bf16" else torch.float16
        return torch.autocast(device_type="cuda", dtype=dtype)
    return contextlib.nullcontext()


# --- metrics -------------------------------------------------------------------------------------


def classification_report(targets, predictions, class_names):
    """Confusion matrix (rows = target, columns = prediction), per-class precision/recall/F1
    (0 where a denominator is 0, 6 decimals) and macro F1."""
    n = len(class_names)
    matrix = [[0] * n for _ in range(n)]
    for target, predicted in zip(targets, predictions):
        matrix[int(target)][int(predicted)] += 1
    per_class = dict()
    f1_scores = []
    for i, name in enumerate(class_names):
        tp = matrix[i][i]
        fp = sum(matrix[r][i] for r in range(n)) - tp
        fn = sum(matrix[i]) - tp
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1_scores.append(f1)
        per_class[name] = {"precision": round(precision, 6), "recall": round(recall, 6), "f1": round(f1, 6),
                           "support": sum(matrix[i])}
    macro_f1 = round(sum(f1_scores) / n, 6) if n else 0.0
    return {"confusion_matrix": matrix, "per_class": per_class, "macro_f1": macro_f1}


def run_inference(model, loader, device, use_amp, top_k=1, precision="fp16"):
    """Plain cross-entropy loss, targets, top-1 predictions and top-k hits over a loader."""
    import torch
    from torch import nn

    criterion = nn.CrossEntropyLoss(reduction="sum")
    total_loss, total, topk_hits = 0.0, 0, 0
    targets, predictions = [], []
    model.eval()
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            with autocast_context(device, use_amp, precision):
                logits = logits_of(model(images))
            logits = logits.float()
            total_loss += criterion(logits, labels).item()
            total += labels.size(0)
            k = max(1, min(int(top_k), logits.size(1)))
            top = logits.topk(k, dim=1).indices
            topk_hits += (top == labels.unsqueeze(1)).any(dim=1).sum().item()
            predictions.extend(top[:, 0].tolist())
            targets.extend(labels.tolist())
    correct = sum(1 for t, p in zip(targets, predictions) if t == p)
    return {
        "loss": round(total_loss / total, 6) if total else 0.0,
        "accuracy": round(correct / total, 6) if total else 0.0,
        "topk_accuracy": round(topk_hits / total, 6) if total else 0.0,
        "targets": targets,
        "predictions": predictions,
        "num_samples": total,
    }


# --- the artifact volume -------------------------------------------------------------------------


def volume_relative(path, what):
    """A path inside the volume, normalised ("/a//b/" -> "a/b"); refuses one that leaves it."""
    cleaned = str(path).strip().replace("\\", "/").lstrip("/")
    parts = [p for p in cleaned.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise VisionError("%s %r is not a path inside the artifact volume" % (what, path))
    return "/".join(parts)


class ArtifactWriter:
    """Writes files under the mounted volume, remembers them (for the RESULT line) and commits."""

    def __init__(self, root, volume):
        self.root = root
        self.volume = volume
        self.files = []

    def path(self, rel):
        """The container path of rel, with its folder created; rel is recorded as written."""
        full = _vision_os.path.join(self.root, rel)
        _vision_os.makedirs(_vision_os.path.dirname(full), exist_ok=True)
        if rel not in self.files:
            self.files.append(rel)
        return full

    def write_json(self, rel, payload):
        full = self.path(rel)
        with open(full, "w", encoding="utf-8") as handle:
            _vision_json.dump(json_safe(payload), handle, indent=2)
            handle.write("\n")
        return rel

    def save_torch(self, rel, payload):
        import torch

        torch.save(payload, self.path(rel))
        return rel

    def commit(self):
        self.volume.commit()


def reload_volume(volume):
    """Sees what other containers committed since this one started."""
    try:
        volume.reload()
    except Exception as exc:  # noqa: BLE001 - a fresh mount is already current
        print("[m-gpux] note: volume reload skipped (%s)" % exc, flush=True)


def refuse_existing(full_path, rel, what, overwrite):
    if overwrite:
        return
    if _vision_os.path.isfile(full_path) or (_vision_os.path.isdir(full_path) and _vision_os.listdir(full_path)):
        raise VisionError("%s %s already exists on the artifact volume; choose another path or pass --overwrite "
                          "to replace it" % (what, rel))


def download_hint(volume_name, rel):
    return "modal volume get %s %s %s" % (_vision_shlex.quote(volume_name), _vision_shlex.quote(rel),
                                          _vision_shlex.quote(_vision_os.path.basename(rel)))


def elapsed_since(start):
    return round(_vision_time.time() - start, 2)


def remove_tree(path):
    if _vision_os.path.isdir(path):
        _vision_shutil.rmtree(path)
# --- end of the vision helpers --------------------------------------------------------------------
