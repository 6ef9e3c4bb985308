{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux host asgi|wsgi: serves an ASGI or WSGI app from the uploaded project folder on a Modal
web endpoint (one template for both: only the decorator differs)."""
import importlib
import os
import sys

import modal

# Where the project is uploaded; also the working directory, so an app that
# reads templates or static files relative to itself finds them.
APP_DIR = "/app"
ENTRY_MODULE = {{entry_module}}
ENTRY_OBJECT = {{entry_object}}

app = modal.App({{app_name}})
image = (
    # base_image: an image published with `m-gpux image build` (--image), else a fresh debian_slim.
    {{#base_image}}modal.Image.from_name({{base_image}}){{/base_image}}{{^base_image}}modal.Image.debian_slim(python_version={{python_version}}){{/base_image}}
{{#requirements}}
    .pip_install_from_requirements({{requirements}})
{{/requirements}}
{{#has_packages}}
    .pip_install({{#packages}}{{.}}, {{/packages}})
{{/has_packages}}
    .add_local_dir({{project_dir}}, remote_path=APP_DIR, ignore={{ignore}})
)


def load_entry():
    """The object named by ENTRY_MODULE:ENTRY_OBJECT, imported from APP_DIR."""
    os.chdir(APP_DIR)
    if APP_DIR not in sys.path:
        sys.path.insert(0, APP_DIR)
    target = importlib.import_module(ENTRY_MODULE)
    for name in ENTRY_OBJECT.split("."):
        target = getattr(target, name)
    return target


@app.function(image=image, {{#gpu}}gpu={{gpu}}, {{/gpu}}{{#cpu}}cpu={{cores}}, memory={{memory_mb}}, {{/cpu}}timeout={{timeout_s}}, scaledown_window={{scaledown_window}}, min_containers={{min_containers}})
@modal.concurrent(max_inputs={{max_inputs}})
{{#asgi}}@modal.asgi_app(){{/asgi}}{{^asgi}}@modal.wsgi_app(){{/asgi}}
def web():
    return load_entry()
