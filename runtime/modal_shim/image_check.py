# SPDX-License-Identifier: MIT
"""What an image asks for, checked against this machine instead of built.

A local run never installs anything: each pip package must already be importable by this
Python, each apt package must have its command (or be installed, per dpkg), and build commands
are skipped. Missing ones are listed before the run, which stops unless --ignore-missing.
"""
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys

# Distribution names whose import name differs in more than case and dashes.
IMPORT_NAMES = {
    "pillow": "PIL", "scikit-learn": "sklearn", "scikit-image": "skimage", "opencv-python": "cv2",
    "opencv-python-headless": "cv2", "pyyaml": "yaml", "beautifulsoup4": "bs4", "python-dotenv": "dotenv",
    "protobuf": "google.protobuf", "huggingface-hub": "huggingface_hub", "hf-transfer": "hf_transfer",
    "jupyterlab": "jupyterlab", "python-multipart": "multipart", "attrs": "attr",
}
# Debian packages whose command is not the package name.
APT_COMMANDS = {"build-essential": "gcc", "nodejs": "node", "openssh-client": "ssh", "openssh-server": "sshd",
                "procps": "ps", "iproute2": "ip", "python3": "python3", "ffmpeg": "ffmpeg", "g++": "g++"}


def requirement_name(text):
    """The distribution name of a requirement line ("httpx[http2]==0.28 ; python_version>'3'" -> "httpx")."""
    text = text.split(";", 1)[0].strip()
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", text)
    return match.group(0) if match and "://" not in text and not text.startswith("-") else None


def _requirements_in(path):
    names = []
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                line = line.split("#", 1)[0].strip()
                if line and not line.startswith("-"):
                    names.append(line)
    except OSError:
        pass
    return names


def pip_present(requirement):
    name = requirement_name(requirement)
    if name is None:
        return True  # a URL or an option: nothing to check it against
    try:
        importlib.metadata.distribution(name)
        return True
    except importlib.metadata.PackageNotFoundError:
        pass
    module = IMPORT_NAMES.get(name.lower(), name.replace("-", "_").replace(".", "_"))
    try:
        return importlib.util.find_spec(module) is not None or importlib.util.find_spec(module.lower()) is not None
    except (ImportError, ValueError):
        return False


def apt_present(package):
    if shutil.which(APT_COMMANDS.get(package, package)):
        return True
    if shutil.which("dpkg-query"):
        probe = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
        return probe.returncode == 0 and probe.stdout.strip().endswith(" installed")
    return False


LENT_DIR = "/m-gpux-local/bin"


def lent_programs():
    """{name: host path} of the programs m-gpux lends the local containers (MGPUX_LOCAL_PROGRAMS,
    a ':'-separated list of paths): what an image step would build, already built on this machine."""
    lent = {}
    for path in os.environ.get("MGPUX_LOCAL_PROGRAMS", "").split(":"):
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            lent[os.path.basename(path)] = path
    return lent


def installed_programs(commands):
    """Programs a build command writes into a bin folder (`curl -o /usr/local/bin/ttyd ...`)."""
    names = []
    for command in commands:
        for match in re.finditer(r"/usr/(?:local/)?bin/([A-Za-z0-9][A-Za-z0-9._+-]*)", str(command)):
            if match.group(1) not in names:
                names.append(match.group(1))
    return names


def _python_note(base):
    wanted = base.get("python_version") or base.get("add_python")
    here = "%d.%d" % sys.version_info[:2]
    if wanted and not str(wanted).startswith(here):
        return "the image asks for Python %s; this machine runs Python %s" % (wanted, here)
    return None


def check_image(image):
    """(notes, missing): what differs from the image (informational) and what is missing (blocking)."""
    notes, missing = [], []
    base = image._base
    if base.get("type") not in ("debian_slim", "micromamba"):
        notes.append("the base image %s is not used: the function runs on this machine's system"
                     % (base.get("tag") or base.get("type")))
    note = _python_note(base)
    if note:
        notes.append(note)
    for step in image._steps:
        op, args = step["op"], step.get("args") or []
        requirements = []
        if op in ("pip_install", "uv_pip_install"):
            requirements = [a for a in args if isinstance(a, str)]
            for path in step.get("requirements_resolved", []):
                requirements += _requirements_in(path)
        elif op == "pip_install_from_requirements":
            requirements = _requirements_in(step.get("local_path_resolved", ""))
        elif op == "apt_install":
            missing += ["apt package %s (no `%s` command; install it with apt)" % (p, APT_COMMANDS.get(p, p))
                        for p in args if isinstance(p, str) and not apt_present(p)]
        elif op in ("run_commands", "dockerfile_commands", "run_function"):
            notes.append("image step %s is not run locally: %s" % (op, ", ".join(str(a) for a in args)[:200]))
            lent = lent_programs()
            missing += ["program %s (an image build step installs it; install it on this machine)" % name
                        for name in installed_programs(args) if not shutil.which(name) and name not in lent]
        missing += ["Python package %s (not importable by %s)" % (r, sys.executable)
                    for r in requirements if not pip_present(r)]
    return notes, missing


def image_lent_programs(image):
    """(host path, container path) for each lent program one of the image's build steps installs."""
    lent, out = lent_programs(), []
    for step in image._steps:
        if step["op"] in ("run_commands", "dockerfile_commands"):
            for name in installed_programs(step.get("args") or []):
                if name in lent and not shutil.which(name):
                    out.append((lent[name], LENT_DIR + "/" + name))
    return out


def image_env(image):
    """The variables the image's .env() steps set, in order."""
    env = {}
    for step in image._steps:
        if step["op"] == "env" and step.get("args") and isinstance(step["args"][0], dict):
            env.update({str(k): str(v) for k, v in step["args"][0].items() if v is not None})
    return env


def image_workdir(image):
    workdir = None
    for step in image._steps:
        if step["op"] == "workdir" and step.get("args"):
            workdir = str(step["args"][0])
    return workdir


def image_mounts(image):
    """(local path, remote path, ignore) for every add_local_dir / add_local_file step."""
    mounts = []
    for step in image._steps:
        if step["op"] in ("add_local_dir", "add_local_file") and len(step.get("args") or []) >= 2:
            local = step.get("local_path_resolved") or os.path.abspath(step["args"][0])
            remote = step.get("remote_path_resolved") or step["args"][1]
            mounts.append((local, str(remote), step.get("_ignore")))
    return mounts
