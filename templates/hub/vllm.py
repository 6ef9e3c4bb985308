{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux vLLM: an OpenAI-compatible server (`vllm serve`) for one Hugging Face model.

Run it with `modal deploy` (persistent) or `modal serve` (ends with the terminal), never `modal
run`: the function is a web endpoint. vLLM requires its API key (VLLM_API_KEY from an ephemeral
Modal Secret, passed as --api-key); a gated model reads HF_TOKEN from it too. The model
caches are the volumes the `serve` command uses too.
Markers: "[m-gpux] READY <web url>" once /health answers (under `modal serve`; `modal deploy`
prints the URL itself).
"""
import os
import subprocess
import threading
import urllib.request

import modal

app = modal.App({{app_name}})

{{> common/metrics.py}}

{{> common/ready.py}}

MODEL_NAME = {{model_name}}
GPU = {{gpu}}
USES_HF_TOKEN = {{hf_token}}
MAX_MODEL_LEN = {{max_model_len}}
ENFORCE_EAGER = {{enforce_eager}}
EXTRA_VLLM_ARGS = {{extra_args}}
VLLM_PORT = 8000
MINUTES = 60
CUDA_IMAGE = "nvidia/cuda:12.9.1-devel-ubuntu22.04"
VLLM_PACKAGES = ["vllm==0.33.0"]

image = (
    modal.Image.from_registry(CUDA_IMAGE, add_python={{python_version}})
    .entrypoint([])
    .pip_install(*VLLM_PACKAGES)
    .env({"HF_XET_HIGH_PERFORMANCE": "1"})
)
hf_cache = modal.Volume.from_name("m-gpux-hf-cache", create_if_missing=True)
vllm_cache = modal.Volume.from_name("m-gpux-vllm-cache", create_if_missing=True)

# Ephemeral: the values come from the environment of the `modal` that imports this file.
secrets = [modal.Secret.from_local_environ(["VLLM_API_KEY"])]
if USES_HF_TOKEN:
    secrets.append(modal.Secret.from_local_environ(["HF_TOKEN"]))


def _gpu_count(gpu):
    """One tensor-parallel rank per GPU: "H100:2" gives 2, "L4" gives 1."""
    _, sep, count = gpu.partition(":")
    return int(count) if sep and count.isdigit() else 1


def _vllm_command(api_key):
    command = [
        "vllm", "serve", MODEL_NAME,
        "--served-model-name", MODEL_NAME,
        "--host", "0.0.0.0",
        "--port", str(VLLM_PORT),
        "--tensor-parallel-size", str(_gpu_count(GPU)),
        "--api-key", api_key,
    ]
    if ENFORCE_EAGER:
        command.append("--enforce-eager")
    if MAX_MODEL_LEN:
        command += ["--max-model-len", str(MAX_MODEL_LEN)]
    return command + list(EXTRA_VLLM_ARGS)


def _redacted(command):
    shown = list(command)
    for i, part in enumerate(shown[:-1]):
        if part == "--api-key":
            shown[i + 1] = "***"
    return " ".join(shown)


def _announce_when_healthy(proc, timeout_s):
    """Prints the READY marker once vLLM answers /health (the model is loaded)."""
    if not _wait_for_port(VLLM_PORT, proc, timeout_s):
        return
    while proc.poll() is None:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/health" % VLLM_PORT, timeout=5) as reply:
                if reply.status == 200:
                    break
        except OSError:
            pass
        threading.Event().wait(2)
    else:
        return
    try:
        url = serve.get_web_url()
    except Exception:  # noqa: BLE001 - no URL known in this container: nothing to announce
        url = None
    if url:
        _announce_ready(url)


@app.function(
    image=image,
    gpu=GPU,
    timeout={{timeout_s}},
    scaledown_window={{scaledown_window_s}},
    min_containers={{min_containers}},
    volumes={"/root/.cache/huggingface": hf_cache, "/root/.cache/vllm": vllm_cache},
    secrets=secrets,
)
@modal.concurrent(max_inputs={{max_inputs}})
@modal.web_server(port=VLLM_PORT, startup_timeout={{startup_timeout_s}})
def serve():
    api_key = os.environ.get("VLLM_API_KEY")
    if not api_key:
        raise RuntimeError("VLLM_API_KEY is not set: the session's ephemeral secret must define it")
    _print_metrics()
    _monitor_metrics()
    command = _vllm_command(api_key)
    print("[vLLM] " + _redacted(command), flush=True)
    # No shell: the model name and extra arguments are passed as they are.
    proc = subprocess.Popen(command)
    threading.Thread(target=_announce_when_healthy, args=(proc, {{startup_timeout_s}}), daemon=True).start()
