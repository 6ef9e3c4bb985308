{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux vision export: turns a trained checkpoint from the artifact volume into ONNX and/or
TorchScript files, with the class labels, in a folder of the same volume."""
import os

import modal

CONFIG = {{config}}
ARTIFACT_VOLUME = {{artifact_volume}}
TIMEOUT_S = {{timeout_s}}
# Container paths (module constants so the code can be pointed elsewhere when run outside Modal).
DATASET_DIR = "/dataset"
ARTIFACTS_DIR = "/artifacts"
INPUTS_DIR = "/inputs"
ONNX_OPSET = 18  # lowered to the newest the installed torch can write when it is older
EXPORT_FILES = ("model.onnx", "model.ts", "labels.json", "export_summary.json")

{{> common/metrics.py}}

{{> vision/_common.py}}

app = modal.App({{app_name}})
# No create_if_missing: exporting needs a volume that training filled.
volume = modal.Volume.from_name(ARTIFACT_VOLUME)
image = (
    {{#base_image}}modal.Image.from_name({{base_image}}){{/base_image}}{{^base_image}}modal.Image.debian_slim(python_version={{python_version}}){{/base_image}}
    .pip_install("torch>=2.4.0", "torchvision>=0.19.0", "onnx>=1.16.0", "onnxscript>=0.1.0")
)


def _onnx_opset():
    import torch

    constants = getattr(torch.onnx, "_constants", None)
    newest = getattr(constants, "ONNX_MAX_OPSET", None) or getattr(constants, "ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET", None)
    return min(ONNX_OPSET, int(newest)) if newest else ONNX_OPSET


def _export_torchscript(model, dummy, path):
    import torch

    with torch.no_grad():
        traced = torch.jit.trace(model, dummy)
    traced.save(path)


def _export_onnx(model, dummy, path, opset):
    import inspect

    import torch

    batch_axis = {0: "batch"}
    kwargs = dict(export_params=True, do_constant_folding=True, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": batch_axis, "logits": batch_axis}, opset_version=opset)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        # Newer torch defaults to the dynamo exporter; the TorchScript one handles every catalog model.
        kwargs["dynamo"] = False
    torch.onnx.export(model, (dummy,), path, **kwargs)


def _logits_only(model):
    """The model wrapped so export sees one tensor output whatever the model returns."""
    import torch

    class LogitsModel(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return logits_of(self.inner(x))

    return LogitsModel(model).eval()


def _remove_earlier_export(output_rel):
    """With overwrite: the files an earlier export left there go, so a format not asked for this
    time does not stay behind looking current. Other files in the folder are the user's."""
    for name in EXPORT_FILES:
        path = os.path.join(ARTIFACTS_DIR, output_rel, name)
        if os.path.isfile(path):
            os.remove(path)


def _export(writer):
    import torch

    reload_volume(volume)
    checkpoint_rel = volume_relative(CONFIG["checkpoint_path"], "checkpoint")
    output_rel = volume_relative(CONFIG["output_dir"], "output folder")
    refuse_existing(os.path.join(ARTIFACTS_DIR, output_rel), output_rel, "the output folder", CONFIG.get("overwrite"))
    _remove_earlier_export(output_rel)
    formats = sorted(set(CONFIG["formats"]))
    unknown = [f for f in formats if f not in ("onnx", "torchscript")]
    if unknown or not formats:
        raise VisionError("unknown export format(s) %s (onnx, torchscript)" % (unknown or formats))
    device = torch.device("cpu")
    model, classes, config = model_from_checkpoint(load_checkpoint(ARTIFACTS_DIR, checkpoint_rel, device), device)
    model = _logits_only(model)
    size = int(config.get("image_size") or CONFIG["fallback_image_size"])
    dummy = torch.randn(1, 3, size, size)
    exported = dict()
    if "torchscript" in formats:
        rel = output_rel + "/model.ts"
        _export_torchscript(model, dummy, writer.path(rel))
        exported["torchscript"] = rel
    opset = None
    if "onnx" in formats:
        rel = output_rel + "/model.onnx"
        opset = _onnx_opset()
        _export_onnx(model, dummy, writer.path(rel), opset)
        exported["onnx"] = rel
    writer.write_json(output_rel + "/labels.json", {"class_names": classes, "num_classes": len(classes)})
    writer.write_json(output_rel + "/export_summary.json", {
        "checkpoint_path": checkpoint_rel, "output_dir": output_rel, "model_name": config.get("model_name"),
        "image_size": size, "formats": formats, "exported_files": exported, "onnx_opset": opset,
    })
    writer.commit()
    for fmt in formats:
        print("[m-gpux] %s -> %s" % (fmt, exported[fmt]), flush=True)
    return {"kind": "export", "output_dir": output_rel, "formats": formats, "exported_files": exported,
            "files": list(writer.files)}


@app.function(image=image, timeout=TIMEOUT_S, volumes={"/artifacts": volume})
def export():
    _print_metrics()
    return run_reported(lambda: _export(ArtifactWriter(ARTIFACTS_DIR, volume)))
