{{> common/generated_header.py}}
"""m-gpux serve: an OpenAI-compatible LLM API on Modal, behind the m-gpux authenticating proxy.

The proxy (the source of serve/proxy.py, embedded below) listens on port 8000 and accepts every
active m-gpux API key: it reads their SHA-256 digests from MGPUX_KEY_HASHES, which comes from a
Modal Secret, never from this file. Behind it runs vLLM on 127.0.0.1:8001 (supervised: restarted
with backoff at most MAX_RESTARTS times, then the container exits so a broken model does not keep
a GPU billed), or, for a proxy-only deployment, an existing OpenAI-compatible server (UPSTREAM).
A gated model reads HF_TOKEN from a second secret. Deploy with `modal deploy` (or `modal serve`).
"""
import os
import subprocess
import sys
import threading
import time

import modal

app = modal.App({{app_name}})

{{> common/metrics.py}}

MODEL_NAME = {{model_name}}  # None: a proxy-only deployment in front of UPSTREAM
UPSTREAM = {{upstream}}
GPU = {{gpu}}
VLLM_ARGS = {{vllm_args}}
MAX_INFLIGHT = {{max_inflight}}
DOCS = {{docs}}
KEYS_SECRET = {{keys_secret}}
HF_SECRET = {{hf_secret}}
VLLM_PORT = 8001
PROXY_PORT = 8000
PROXY_FILE = "/tmp/m-gpux-proxy.py"
MAX_RESTARTS = 5
MINUTES = 60
CUDA_IMAGE = "nvidia/cuda:12.9.1-devel-ubuntu22.04"
PROXY_PACKAGES = ["httpx==0.28.1", "uvicorn==0.54.0"]
VLLM_PACKAGES = ["vllm==0.33.0", "hf-transfer==0.1.9"]

# The proxy's source, written to PROXY_FILE in the container.
PROXY_SOURCE = r'''{{> serve/proxy.py}}'''

if MODEL_NAME is None:
    image = modal.Image.debian_slim(python_version="3.12").pip_install(*PROXY_PACKAGES)
    volumes = {}
else:
    image = (
        modal.Image.from_registry(CUDA_IMAGE, add_python="3.12")
        .entrypoint([])
        .pip_install(*VLLM_PACKAGES, *PROXY_PACKAGES)
        .env({"HF_HUB_ENABLE_HF_TRANSFER": "1"})
    )
    volumes = {
        "/root/.cache/huggingface": modal.Volume.from_name("m-gpux-hf-cache", create_if_missing=True),
        "/root/.cache/vllm": modal.Volume.from_name("m-gpux-vllm-cache", create_if_missing=True),
    }

secrets = [modal.Secret.from_name(KEYS_SECRET, required_keys=["MGPUX_KEY_HASHES"])]
if HF_SECRET:
    secrets.append(modal.Secret.from_name(HF_SECRET, required_keys=["HF_TOKEN"]))


def _log(message):
    print("[m-gpux] " + message, flush=True)


def _supervise(name, command, on_give_up, delay_s=2.0):
    """Runs `command`, restarting it after a crash with doubling delays, at most MAX_RESTARTS times."""
    restarts = 0
    while True:
        proc = subprocess.Popen(command)  # no shell: every argument is passed as it is
        _log("%s started (pid %d)" % (name, proc.pid))
        code = proc.wait()
        if code == 0:
            _log("%s exited cleanly; not restarting" % name)
            return
        if restarts >= MAX_RESTARTS:
            _log("%s failed %d times (last exit code %d); giving up" % (name, restarts + 1, code))
            on_give_up()
            return
        restarts += 1
        _log("%s exited with code %d; restart %d of %d in %.0f s" % (name, code, restarts, MAX_RESTARTS, delay_s))
        time.sleep(delay_s)
        delay_s = min(delay_s * 2, 60.0)


def _exit_container():
    # Ends the container, so Modal stops it (and its GPU) instead of serving errors forever.
    sys.stdout.flush()
    os._exit(1)


def _proxy_command(upstream):
    command = [sys.executable, PROXY_FILE, "--upstream", upstream, "--host", "0.0.0.0",
               "--port", str(PROXY_PORT), "--max-inflight", str(MAX_INFLIGHT)]
    if DOCS:
        command.append("--docs")
    return command


@app.function(
    image=image,
    gpu=GPU,
    timeout=24 * 60 * MINUTES,
    scaledown_window=5 * MINUTES,
    min_containers={{min_containers}},
    max_containers={{max_containers}},
    volumes=volumes,
    secrets=secrets,
)
@modal.concurrent(max_inputs=MAX_INFLIGHT)
@modal.web_server(port=PROXY_PORT, startup_timeout=20 * MINUTES)
def serve():
    if not os.environ.get("MGPUX_KEY_HASHES"):
        raise RuntimeError("MGPUX_KEY_HASHES is not set: the secret %r must define it" % KEYS_SECRET)
    _print_metrics()
    _monitor_metrics()
    with open(PROXY_FILE, "w", encoding="utf-8") as fh:
        fh.write(PROXY_SOURCE)
    upstream = UPSTREAM
    if MODEL_NAME is not None:
        command = ["vllm", "serve", MODEL_NAME] + list(VLLM_ARGS)
        _log("vLLM: " + " ".join(command))
        threading.Thread(target=_supervise, args=("vLLM", command, _exit_container), daemon=True).start()
        upstream = "http://127.0.0.1:%d" % VLLM_PORT
    # The proxy answers /health at once, so Modal sees the container start long before vLLM is
    # ready; /health reports "loading" until the model answers.
    threading.Thread(target=_supervise, args=("proxy", _proxy_command(upstream), _exit_container, 1.0),
                     daemon=True).start()
