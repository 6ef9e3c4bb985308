{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux Jupyter Lab: a JupyterLab server on the chosen compute, reached through a Modal tunnel.

The project folder is uploaded and synced into a persistent volume mounted at /workspace. The
server's token comes from the environment (JUPYTER_TOKEN, from an ephemeral Modal Secret); it is
never written into this file or into the image.
Markers: "[m-gpux] READY <tunnel url>" once the server listens (the URL has no token).
"""
import os
import subprocess

import modal

app = modal.App({{app_name}})

{{> common/metrics.py}}

{{> common/upload.py}}

{{> common/workspace.py}}

{{> common/ready.py}}

LOCAL_DIR = {{local_dir}}
PIP_PACKAGES = {{packages}}
REQUIREMENTS_FILE = {{requirements}}
JUPYTER_PACKAGES = ["jupyterlab==4.6.6", "jupyter-server==2.21.1", "ipywidgets==8.1.9"]
JUPYTER_PORT = 8888

# base_image: an image published with `m-gpux image build` (--image), else a fresh debian_slim.
image = {{#base_image}}modal.Image.from_name({{base_image}}){{/base_image}}{{^base_image}}modal.Image.debian_slim(python_version={{python_version}}){{/base_image}}
if PIP_PACKAGES:
    image = image.pip_install(*PIP_PACKAGES)
if REQUIREMENTS_FILE:
    image = image.pip_install_from_requirements(REQUIREMENTS_FILE)
image = image.pip_install(*JUPYTER_PACKAGES)
# Mounted at container start (copy=False), so it must be the last step.
image = image.add_local_dir(LOCAL_DIR, WORKSPACE_SEED_DIR, ignore=UPLOAD_IGNORE)


def _jupyter_command():
    return [
        "jupyter", "lab",
        "--no-browser", "--allow-root", "--ip=0.0.0.0", "--port=%d" % JUPYTER_PORT,
        "--ServerApp.root_dir=" + WORKSPACE_DIR,
        "--ServerApp.allow_remote_access=True",
        "--ServerApp.shutdown_no_activity_timeout=0",
        "--ZMQChannelsWebsocketConnection.iopub_data_rate_limit=1.0e10",
        "--ZMQChannelsWebsocketConnection.iopub_msg_rate_limit=1.0e10",
        "--ZMQChannelsWebsocketConnection.rate_limit_window=3.0",
    ]


def _jupyter_env():
    """The server reads its token from JUPYTER_TOKEN; refuse to start an open server."""
    if not os.environ.get("JUPYTER_TOKEN"):
        raise RuntimeError("JUPYTER_TOKEN is not set: the session's ephemeral secret must define it")
    env = dict(os.environ)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    return env


@app.function(
    image=image,
    {{#gpu}}gpu={{gpu}},
    {{/gpu}}{{#cpu}}cpu={{cores}},
    memory={{memory_mb}},
    {{/cpu}}timeout={{timeout_s}},
    volumes={WORKSPACE_DIR: workspace_volume},
    secrets=[modal.Secret.from_local_environ(["JUPYTER_TOKEN"])],
)
def run_jupyter():
    env = _jupyter_env()
    _end_on_sigterm()
    _print_metrics()
    _seed_workspace()
    _commit_workspace()
    stop = _start_autocommit()
    try:
        with modal.forward(JUPYTER_PORT) as tunnel:
            proc = subprocess.Popen(_jupyter_command(), env=env, cwd=WORKSPACE_DIR)
            if not _wait_for_port(JUPYTER_PORT, proc):
                proc.kill()
                raise RuntimeError("jupyter lab exited with %s before it listened on port %d" % (proc.wait(), JUPYTER_PORT))
            print("[JUPYTER READY] %s" % tunnel.url, flush=True)
            for line in _workspace_banner_lines():
                print(line, flush=True)
            _announce_ready(tunnel.url)
            code = proc.wait()
            if code != 0:
                raise RuntimeError("jupyter lab exited with %d" % code)
    finally:
        _finish_workspace(stop)
