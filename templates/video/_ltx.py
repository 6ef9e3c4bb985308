{{! SPDX-License-Identifier: MIT }}
# --- LTX-2.3 on Modal (templates/video/_ltx.py) ------------------------------------------------
# The image, volumes, model download and one-clip inference shared by the video templates.
# Everything a run writes goes under /output/<RUN_ID>/, so runs never overwrite each other.
# The Hugging Face token reaches only the download function, from the run's ephemeral Modal Secret
# (built from the environment of the `modal` that imports this file).
RUN_ID = {{run_id}}
LTX_COMMIT = {{ltx_commit}}
PIPELINE = {{pipeline}}
CHECKPOINT = {{checkpoint}}
NEEDS_LORA = {{needs_lora}}
USE_FP8 = {{fp8}}
WIDTH = {{width}}
HEIGHT = {{height}}
USES_HF_TOKEN = {{hf_token}}

MODEL_REPO = "Lightricks/LTX-2.3"
UPSCALER = "ltx-2.3-spatial-upscaler-x2-1.1.safetensors"
LORA = "ltx-2.3-22b-distilled-lora-384-1.1.safetensors"
LORA_STRENGTH = 0.8
GEMMA_REPO = "google/gemma-3-12b-it-qat-q4_0-unquantized"
MODELS_DIR = "/models"
OUTPUT_DIR = "/output"
GEMMA_DIR = MODELS_DIR + "/gemma-3-12b-it-qat-q4_0-unquantized"
LTX_REPO_URL = "https://github.com/Lightricks/LTX-2.git"
LTX_DIR = "/opt/LTX-2"
LTX_PYTHON = LTX_DIR + "/.venv/bin/python"
FRAME_RATE = 25
RUN_DIR = OUTPUT_DIR + "/" + RUN_ID
CUDA_IMAGE = "nvidia/cuda:12.8.1-devel-ubuntu22.04"
DOWNLOAD_PACKAGES = ["huggingface_hub==2.4.0", "hf-transfer==0.1.9"]
UV_PACKAGE = "uv==0.13.8"

image = (
    # base_image: an image published with `m-gpux image build` (--image), else the CUDA registry image.
    {{#base_image}}modal.Image.from_name({{base_image}}){{/base_image}}{{^base_image}}modal.Image.from_registry(CUDA_IMAGE, add_python="3.12"){{/base_image}}
    .entrypoint([])
    .apt_install("git", "ffmpeg", "libsndfile1", "libsndfile1-dev")
    .pip_install(*DOWNLOAD_PACKAGES)
    .run_commands(
        "pip install " + UV_PACKAGE,
        "git clone %s %s" % (LTX_REPO_URL, LTX_DIR),
        # A fixed commit: the image is the same whenever it is built.
        "git -C %s checkout --detach %s" % (LTX_DIR, shlex.quote(LTX_COMMIT)),
        "cd %s && uv sync" % LTX_DIR,
    )
    .env({"HF_HUB_ENABLE_HF_TRANSFER": "1", "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True"})
)
model_cache = modal.Volume.from_name("m-gpux-ltx-cache", create_if_missing=True)
output_vol = modal.Volume.from_name("m-gpux-video-output", create_if_missing=True)
VOLUMES = {MODELS_DIR: model_cache, OUTPUT_DIR: output_vol}
HF_SECRETS = [modal.Secret.from_local_environ(["HF_TOKEN"])] if USES_HF_TOKEN else []


def _log(message):
    print("[video] " + message, flush=True)


def _fail(message):
    """Says why on the marker line m-gpux reads, then fails the run (`modal run` exits non-zero)."""
    print("[m-gpux] ERROR " + " ".join(str(message).split()), flush=True)
    raise RuntimeError(message)


def _result(doc):
    print("[m-gpux] RESULT " + json.dumps(doc, sort_keys=True), flush=True)


def _model_files():
    return [CHECKPOINT, UPSCALER] + ([LORA] if NEEDS_LORA else [])


def _inference_command(prompt, output_path, frames, seed, image_path=None, strength=0.0):
    """One clip: the LTX pipeline's command line (a list: no shell sees the prompt)."""
    command = [
        LTX_PYTHON, "-m", "ltx_pipelines." + PIPELINE,
        "--checkpoint-path", MODELS_DIR + "/" + CHECKPOINT,
        "--spatial-upsampler-path", MODELS_DIR + "/" + UPSCALER,
        "--gemma-root", GEMMA_DIR,
        "--prompt", prompt,
        "--output-path", output_path,
        "--height", str(HEIGHT),
        "--width", str(WIDTH),
        "--num-frames", str(frames),
        "--frame-rate", str(FRAME_RATE),
        "--seed", str(seed),
    ]
    if NEEDS_LORA:
        command += ["--distilled-lora", MODELS_DIR + "/" + LORA, str(LORA_STRENGTH)]
    if USE_FP8:
        command += ["--quantization", "fp8-cast"]
    if image_path and strength > 0:
        command += ["--image", image_path, "0", str(strength)]
    return command


def _render_clip(prompt, output_path, frames, seed, image_path=None, strength=0.0):
    """(True, "") once the clip exists; (False, why) when the pipeline failed."""
    os.makedirs(os.path.dirname(output_path), exist_ok=True)
    _log("rendering %s: %dx%d, %d frames, seed %d, %s" % (os.path.basename(output_path), WIDTH, HEIGHT, frames,
                                                          seed, PIPELINE))
    _log("prompt: " + prompt[:200])
    command = _inference_command(prompt, output_path, frames, seed, image_path, strength)
    proc = subprocess.run(command, cwd=LTX_DIR)
    if proc.returncode != 0:
        return False, "the LTX pipeline exited with %d for %s" % (proc.returncode, os.path.basename(output_path))
    if not os.path.exists(output_path):
        return False, "the LTX pipeline wrote no %s" % os.path.basename(output_path)
    return True, ""


@app.function(image=image, cpu=4, memory=16384, timeout={{timeout_s}}, volumes=VOLUMES, secrets=HF_SECRETS)
def download_models():
    """Fills the model cache on a CPU container: no GPU is paid for while ~50 GB download."""
    from huggingface_hub import hf_hub_download, snapshot_download

    token = os.environ.get("HF_TOKEN") or None
    changed = False
    for name in _model_files():
        if os.path.exists(os.path.join(MODELS_DIR, name)):
            _log("cached: " + name)
            continue
        _log("downloading: " + name)
        hf_hub_download(MODEL_REPO, name, local_dir=MODELS_DIR, token=token)
        changed = True
    if os.path.exists(os.path.join(GEMMA_DIR, "config.json")):
        _log("cached: " + GEMMA_REPO)
    else:
        if token is None:
            _log("no Hugging Face token: %s is gated, so its download may fail" % GEMMA_REPO)
        _log("downloading: " + GEMMA_REPO)
        snapshot_download(GEMMA_REPO, local_dir=GEMMA_DIR, token=token)
        changed = True
    if changed:
        model_cache.commit()
    return "ok"


def _download_or_fail():
    try:
        download_models.remote()
    except Exception as exc:  # noqa: BLE001 - reported on the ERROR line, then the run fails
        _fail("the model download failed: %s" % exc)
