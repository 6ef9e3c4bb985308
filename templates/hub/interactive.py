{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux interactive terminal: a browser terminal (ttyd, `bash --login`) on the chosen compute to
run a script that reads input(), with the project synced into a persistent volume at /workspace.
The login comes from TTYD_CREDENTIAL in
an ephemeral Modal Secret (the `modal` process's environment), never from this file.
Markers: "[m-gpux] READY <tunnel url>" once ttyd listens (the URL has no credential).
"""
import modal

app = modal.App({{app_name}})

{{> common/metrics.py}}

{{> common/upload.py}}

{{> common/workspace.py}}

{{> common/ready.py}}

{{> hub/_terminal.py}}

LOCAL_DIR = {{local_dir}}
PIP_PACKAGES = {{packages}}
REQUIREMENTS_FILE = {{requirements}}
SCRIPT_PATH = {{script_path}}  # relative to the project folder, "/"-separated

# base_image: an image published with `m-gpux image build` (--image), else a fresh debian_slim.
image = {{#base_image}}modal.Image.from_name({{base_image}}){{/base_image}}{{^base_image}}modal.Image.debian_slim(python_version={{python_version}}){{/base_image}}
image = image.apt_install(*TERMINAL_APT_PACKAGES).run_commands(TTYD_INSTALL, "mkdir -p /root/.config")
if PIP_PACKAGES:
    image = image.pip_install(*PIP_PACKAGES)
if REQUIREMENTS_FILE:
    image = image.pip_install_from_requirements(REQUIREMENTS_FILE)
# Mounted at container start (copy=False), so it must be the last step.
image = image.add_local_dir(LOCAL_DIR, WORKSPACE_SEED_DIR, ignore=UPLOAD_IGNORE)


@app.function(
    image=image,
    {{#gpu}}gpu={{gpu}},
    {{/gpu}}{{#cpu}}cpu={{cores}},
    memory={{memory_mb}},
    {{/cpu}}timeout={{timeout_s}},
    volumes={WORKSPACE_DIR: workspace_volume},
    secrets=[modal.Secret.from_local_environ(["TTYD_CREDENTIAL"])],
)
def run_interactive():
    import shlex

    _run_terminal("INTERACTIVE TERMINAL READY", ["Run: cd %s && python %s" % (WORKSPACE_DIR, shlex.quote(SCRIPT_PATH))])
