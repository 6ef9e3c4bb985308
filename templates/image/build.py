{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux image build: builds one image and publishes it as IMAGE_NAME in the workspace this run
is pinned to (MODAL_PROFILE), so that later launches can start from it with
`modal.Image.from_name(IMAGE_NAME)` (m-gpux's --image NAME). Run once per profile.
Marker: "[m-gpux] RESULT {"published": <name>}" once it is published.
"""
import json

import modal

IMAGE_NAME = {{image_name}}
APT_PACKAGES = {{apt_packages}}
PIP_PACKAGES = {{packages}}
REQUIREMENTS_FILE = {{requirements}}
CUDA_IMAGE = "nvidia/cuda:12.9.1-devel-ubuntu22.04"

app = modal.App({{app_name}})
image = {{#cuda}}modal.Image.from_registry(CUDA_IMAGE, add_python={{python_version}}){{/cuda}}{{^cuda}}modal.Image.debian_slim(python_version={{python_version}}){{/cuda}}
if APT_PACKAGES:
    image = image.apt_install(*APT_PACKAGES)
if PIP_PACKAGES:
    image = image.pip_install(*PIP_PACKAGES)
if REQUIREMENTS_FILE:
    image = image.pip_install_from_requirements(REQUIREMENTS_FILE)


@app.local_entrypoint()
def main():
    image.build(app)
    image.publish(IMAGE_NAME)
    print("[m-gpux] RESULT " + json.dumps({"published": IMAGE_NAME}), flush=True)
