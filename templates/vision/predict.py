{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux vision predict: classifies one image or a folder of images with a trained checkpoint
from the artifact volume and writes the predictions there as JSON."""
import os
import time

import modal

CONFIG = {{config}}
INPUT_MODE = {{input_mode}}
LOCAL_INPUT_PATH = {{input_path}}
INPUT_IGNORE = {{ignore}}
ARTIFACT_VOLUME = {{artifact_volume}}
TIMEOUT_S = {{timeout_s}}
# Container paths (module constants so the code can be pointed elsewhere when run outside Modal).
DATASET_DIR = "/dataset"
ARTIFACTS_DIR = "/artifacts"
INPUTS_DIR = "/inputs"
# The name the single uploaded file keeps under /inputs (unused for a folder).
INPUT_NAME = {{input_name}}

{{> common/metrics.py}}

{{> vision/_common.py}}

app = modal.App({{app_name}})
# No create_if_missing: predicting needs a volume that training filled.
volume = modal.Volume.from_name(ARTIFACT_VOLUME)
image = (
    {{#base_image}}modal.Image.from_name({{base_image}}){{/base_image}}{{^base_image}}modal.Image.debian_slim(python_version={{python_version}}){{/base_image}}
    .pip_install("torch>=2.4.0", "torchvision>=0.19.0", "pillow>=10.0.0")
)
if INPUT_MODE == "single":
    image = image.add_local_file(LOCAL_INPUT_PATH, remote_path="/inputs/" + INPUT_NAME)
else:
    image = image.add_local_dir(LOCAL_INPUT_PATH, remote_path="/inputs", ignore=INPUT_IGNORE)


def _inputs():
    """[(container path, the user's local path)] of the images to classify, sorted and capped."""
    local = str(CONFIG["local_input"])
    if INPUT_MODE == "single":
        path = os.path.join(INPUTS_DIR, INPUT_NAME)
        if not os.path.isfile(path):
            raise VisionError("the input image %s was not uploaded" % local)
        return [(path, local)]
    found = list_images(INPUTS_DIR)
    if CONFIG.get("max_images"):
        found = found[: int(CONFIG["max_images"])]
    if not found:
        raise VisionError("no images (%s) found in %s" % (" ".join(IMAGE_EXTENSIONS), local))
    return [(os.path.join(INPUTS_DIR, rel), local.rstrip("/") + "/" + rel) for rel in found]


def _predict(writer):
    import torch

    started = time.time()
    reload_volume(volume)
    checkpoint_rel = volume_relative(CONFIG["checkpoint_path"], "checkpoint")
    output_rel = volume_relative(CONFIG["output_json"], "output file")
    refuse_existing(os.path.join(ARTIFACTS_DIR, output_rel), output_rel, "the output file", CONFIG.get("overwrite"))
    device = device_of()
    use_amp = bool(CONFIG["mixed_precision"])
    model, classes, config = model_from_checkpoint(load_checkpoint(ARTIFACTS_DIR, checkpoint_rel, device), device)
    size = int(config.get("image_size") or CONFIG["fallback_image_size"])
    inputs = _inputs()
    dataset = ImageSamples("/", [(path, 0) for path, _ in inputs], eval_transform(size))
    loader = make_loader(dataset, CONFIG["batch_size"], CONFIG["num_workers"], False, device)
    k = max(1, min(int(CONFIG["top_k"]), len(classes)))
    rows = []
    with torch.no_grad():
        for images, _ in loader:
            with autocast_context(device, use_amp):
                logits = logits_of(model(images.to(device, non_blocking=True)))
            scores, indices = torch.softmax(logits.float(), dim=1).topk(k, dim=1)
            for score_row, index_row in zip(scores.tolist(), indices.tolist()):
                _, local_path = inputs[len(rows)]
                ranked = [{"label": classes[i], "score": round(s, 6)} for s, i in zip(score_row, index_row)]
                rows.append({"image": local_path, "top_prediction": ranked[0]["label"], "top_score": ranked[0]["score"],
                             "predictions": ranked})
    writer.write_json(output_rel, {
        "checkpoint_path": checkpoint_rel, "artifact_volume": ARTIFACT_VOLUME, "model_name": config.get("model_name"),
        "image_size": size, "num_images": len(rows), "elapsed_seconds": elapsed_since(started), "predictions": rows,
    })
    writer.commit()
    for row in rows[:20]:
        print("%s -> %s (%.4f)" % (row["image"], row["top_prediction"], row["top_score"]), flush=True)
    return {
        "kind": "predict", "num_images": len(rows), "output_json_path": output_rel, "top_k": k,
        "first_predictions": [{key: row[key] for key in ("image", "top_prediction", "top_score")} for row in rows[:5]],
        "files": list(writer.files),
    }


@app.function(image=image, {{#gpu}}gpu={{gpu}}, {{/gpu}}{{#cpu}}cpu={{cores}}, memory={{memory_mb}}, {{/cpu}}timeout=TIMEOUT_S, volumes={"/artifacts": volume})
def predict():
    _print_metrics()
    return run_reported(lambda: _predict(ArtifactWriter(ARTIFACTS_DIR, volume)))
