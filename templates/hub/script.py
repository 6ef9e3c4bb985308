{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux script runner: runs one Python script of the uploaded project folder on the chosen compute.

The folder is uploaded to /workspace (no volume: files the script writes there are lost when the
container exits) and the script runs from there by its path relative to the folder, with its
arguments. stdin is the given text, or empty (input() then raises EOFError instead of hanging).
A failing script fails the function, so `modal run` exits non-zero.
Markers: "[m-gpux] RESULT {"exit_code": N}" when the script has ended.
"""
import json
import os
import subprocess
import sys

import modal

app = modal.App({{app_name}})

{{> common/metrics.py}}

{{> common/upload.py}}

LOCAL_DIR = {{local_dir}}
PIP_PACKAGES = {{packages}}
REQUIREMENTS_FILE = {{requirements}}
SCRIPT_PATH = {{script_path}}  # relative to the project folder, "/"-separated
SCRIPT_ARGS = {{script_args}}
STDIN_TEXT = {{stdin_text}}
COMPUTE_LABEL = {{compute_label}}
WORKSPACE_DIR = "/workspace"
# Only a script inside the uploaded folder can run.
if not SCRIPT_PATH or SCRIPT_PATH.startswith("/") or ".." in SCRIPT_PATH.split("/"):
    raise ValueError("the script path must be relative to the project folder, with '/' separators: %r" % SCRIPT_PATH)

# base_image: an image published with `m-gpux image build` (--image), else a fresh debian_slim.
image = {{#base_image}}modal.Image.from_name({{base_image}}){{/base_image}}{{^base_image}}modal.Image.debian_slim(python_version={{python_version}}){{/base_image}}
if PIP_PACKAGES:
    image = image.pip_install(*PIP_PACKAGES)
if REQUIREMENTS_FILE:
    image = image.pip_install_from_requirements(REQUIREMENTS_FILE)
# Mounted at container start (copy=False), so it must be the last step.
image = image.add_local_dir(LOCAL_DIR, WORKSPACE_DIR, ignore=UPLOAD_IGNORE)


def _script_command():
    return [sys.executable, os.path.join(WORKSPACE_DIR, *SCRIPT_PATH.split("/"))] + list(SCRIPT_ARGS)


@app.function(
    image=image,
    {{#gpu}}gpu={{gpu}},
    {{/gpu}}{{#cpu}}cpu={{cores}},
    memory={{memory_mb}},
    {{/cpu}}timeout={{timeout_s}},
)
def run_script():
    _print_metrics()
    print("[EXECUTING] %s on %s..." % (SCRIPT_PATH, COMPUTE_LABEL), flush=True)
    stdin = {"input": STDIN_TEXT} if STDIN_TEXT is not None else {"stdin": subprocess.DEVNULL}
    proc = subprocess.run(_script_command(), cwd=WORKSPACE_DIR, text=True, **stdin)
    print("[m-gpux] RESULT " + json.dumps({"exit_code": proc.returncode}), flush=True)
    if proc.returncode != 0:
        raise RuntimeError("%s exited with %d" % (SCRIPT_PATH, proc.returncode))
    return proc.returncode
