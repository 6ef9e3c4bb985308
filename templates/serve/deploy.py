{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux serve: an OpenAI-compatible LLM API on Modal, behind the m-gpux authenticating proxy.

The proxy (mgpux-proxy, compiled from the C++ sources m-gpux ships while Modal builds the image)
listens on port 8000 and accepts every active m-gpux API key: it reads their SHA-256 digests from
MGPUX_KEY_HASHES, which comes from a Modal Secret, never from this file. Behind it runs vLLM on
127.0.0.1:8001 (supervised: restarted with backoff at most MAX_RESTARTS times, then the container
exits so a broken model does not keep a GPU billed), or, for a proxy-only deployment, an existing
OpenAI-compatible server (UPSTREAM). A gated model reads HF_TOKEN from a second secret. Deploy
with `modal deploy` (or `modal serve`).
"""
import os
import shutil
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
MAX_BODY = {{max_body}}  # bytes of a request body the proxy accepts (--max-body); more gets 413
DOCS = {{docs}}
UPSTREAM_INSECURE = {{upstream_insecure}}  # an https:// UPSTREAM whose certificate is not checked
KEYS_SECRET = {{keys_secret}}
HF_SECRET = {{hf_secret}}
VLLM_PORT = 8001
PROXY_PORT = 8000
MAX_RESTARTS = 5
MINUTES = 60
CUDA_IMAGE = "nvidia/cuda:12.9.1-devel-ubuntu22.04"
VLLM_PACKAGES = ["vllm==0.33.0", "hf-transfer==0.1.9"]

# The native proxy is compiled while Modal builds the image, with the image's own g++, OpenSSL and
# Boost headers: Boost 1.81 on debian_slim (Debian 12), 1.74 on the CUDA image (Ubuntu 22.04). The only
# local files used are the C++ sources m-gpux ships (PROXY_SOURCES, on the deploying machine). A
# compile error fails the image build, so `modal deploy` fails with the compiler's message: there
# is no fallback to another proxy. The compiled layer is cached until the sources change.
PROXY_SOURCES = {{proxy_sources}}
PROXY_SOURCES_IN_IMAGE = "/opt/m-gpux/proxy"
PROXY_PROGRAM = "/usr/local/bin/mgpux-proxy"
PROXY_BUILD = "g++ -std=c++17 -O2 -pthread -I/opt/m-gpux/proxy -o /usr/local/bin/mgpux-proxy /opt/m-gpux/proxy/*.cpp -lssl -lcrypto"
# OpenSSL's headers: https:// upstreams (and their certificate check, with the image's CA list).
PROXY_APT_DEBIAN = ["g++", "libboost1.81-dev", "libssl-dev", "ca-certificates"]
PROXY_APT_UBUNTU = ["g++", "libboost-dev", "libssl-dev", "ca-certificates"]  # Boost 1.74 on Ubuntu 22.04

if MODEL_NAME is None:
    # base_image: an image published with `m-gpux image build` (--image), else a fresh one.
    image = {{#base_image}}modal.Image.from_name({{base_image}}){{/base_image}}{{^base_image}}modal.Image.debian_slim(python_version="3.12"){{/base_image}}
    volumes = {}
else:
    image = (
        {{#base_image}}modal.Image.from_name({{base_image}}){{/base_image}}{{^base_image}}modal.Image.from_registry(CUDA_IMAGE, add_python="3.12"){{/base_image}}
        .entrypoint([])
        .pip_install(*VLLM_PACKAGES)
        .env({"HF_HUB_ENABLE_HF_TRANSFER": "1"})
    )
    volumes = {
        "/root/.cache/huggingface": modal.Volume.from_name("m-gpux-hf-cache", create_if_missing=True),
        "/root/.cache/vllm": modal.Volume.from_name("m-gpux-vllm-cache", create_if_missing=True),
    }

# Last, so that a change to the proxy rebuilds only these layers. copy=True: the sources are part
# of the image, so the build step after them can compile them.
image = (
    image.apt_install(*(PROXY_APT_DEBIAN if MODEL_NAME is None else PROXY_APT_UBUNTU))
    .add_local_dir(PROXY_SOURCES, PROXY_SOURCES_IN_IMAGE, copy=True)
    .run_commands(PROXY_BUILD)
)

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
    # The image step installs it at PROXY_PROGRAM; the local backend lends this machine's build on PATH.
    program = PROXY_PROGRAM if os.path.exists(PROXY_PROGRAM) else (shutil.which("mgpux-proxy") or PROXY_PROGRAM)
    command = [program, "--upstream", upstream, "--host", "0.0.0.0",
               "--port", str(PROXY_PORT), "--max-inflight", str(MAX_INFLIGHT), "--max-body", str(MAX_BODY)]
    if DOCS:
        command.append("--docs")
    if UPSTREAM_INSECURE:
        command.append("--upstream-insecure")
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
