# SPDX-License-Identifier: MIT
"""Client-side checks shared by several stand-in objects.

Each check records its findings in STATE (errors / warnings) with a message close to the
one Modal 1.5.4 gives, and returns a normalised value for the inspect report.
"""
import numbers
import posixpath
import re
import sys
from pathlib import PurePath

from ._state import STATE

MAX_TIMEOUT_S = 86400

# Object names (apps, volumes, secrets, ...).
_NAME_RE = re.compile(r"^[a-zA-Z0-9\-_.]{1,64}$")
_APP_ID_RE = re.compile(r"^ap-[a-zA-Z0-9]{22}$")


def name_problem(name, kind):
    """None when `name` is a valid Modal object name, else the reason."""
    if not isinstance(name, str):
        return f"{kind} name must be a string, not {type(name).__name__}."
    if not _NAME_RE.match(name) or _APP_ID_RE.match(name):
        return (
            f"Invalid {kind} name: '{name}'.\n\nNames may contain only alphanumeric characters, dashes, "
            "periods, and underscores, must be shorter than 64 characters, and cannot conflict with App ID strings."
        )
    return None


def check_object_name(name, kind, where):
    problem = name_problem(name, kind)
    if problem:
        STATE.error("invalid_name", problem, where)
        return False
    return True


# GPUs: "TYPE" or "TYPE:COUNT", type from Modal's documented list, case-insensitive.
GPU_TYPES = (
    "T4", "L4", "A10", "A10G", "L40S", "A100", "A100-40GB", "A100-80GB", "RTX-PRO-6000",
    "H100", "H100!", "H200", "B200", "B200+", "B300",
)
MAX_GPU_COUNT = 8


def check_gpu(gpu, where):
    """Validates a `gpu=` value; returns it normalised (upper-case strings) for the report."""
    if gpu is None:
        return None
    if isinstance(gpu, (list, tuple)):
        if not gpu:
            STATE.error("invalid_gpu", "`gpu` must not be an empty list.", where)
            return []
        return [_check_gpu_string(g, where) for g in gpu]
    return _check_gpu_string(gpu, where)


def _check_gpu_string(gpu, where):
    if not isinstance(gpu, str):
        STATE.error(
            "invalid_gpu",
            f"GPU configuration must be a string such as \"A100\" or \"H100:2\", not {type(gpu).__name__}. "
            "GPU objects (modal.gpu.*) were removed in modal 1.0.",
            where,
        )
        return None
    text = gpu.strip()
    gpu_type, sep, count_text = text.partition(":")
    gpu_type = gpu_type.upper()
    if gpu_type not in GPU_TYPES:
        STATE.error(
            "invalid_gpu",
            f"Invalid GPU type: '{gpu}'. Value must be one of {', '.join(GPU_TYPES)} "
            "(optionally followed by ':COUNT').",
            where,
        )
    if sep:
        if not count_text.isdigit() or int(count_text) < 1:
            STATE.error("invalid_gpu", f"Invalid GPU count in '{gpu}': expected 'TYPE:N' with N a positive integer.", where)
        elif int(count_text) > MAX_GPU_COUNT:
            STATE.warn("gpu_count", f"GPU count {int(count_text)} in '{gpu}' is above {MAX_GPU_COUNT}, the usual per-container maximum.", where)
        return f"{gpu_type}:{count_text}"
    return gpu_type


# Python versions for Image.debian_slim / from_registry(add_python=).
SUPPORTED_PYTHON_SERIES = ("3.10", "3.11", "3.12", "3.13", "3.14")
_PY_RE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


def check_python_version(value, where, *, allow_micro=True, arg="python_version"):
    """Returns the version string to record, or None when it is invalid (error recorded)."""
    if value is None:
        return "{}.{}".format(*sys.version_info[:2])
    if not isinstance(value, str):
        STATE.error(
            "python_version_type",
            f"Python version must be specified as a string, not {type(value).__name__} "
            f"(got {arg}={value!r}; write {arg}=\"{value}\").",
            where,
        )
        return None
    m = _PY_RE.match(value)
    if not m:
        STATE.error("python_version_invalid", f"Invalid Python version: {value!r}.", where)
        return None
    if m.group(3) is not None and not allow_micro:
        STATE.error(
            "python_version_invalid",
            f"Python version must be specified as 'major.minor' for {arg}, got {value!r}.",
            where,
        )
        return None
    series = f"{m.group(1)}.{m.group(2)}"
    if series not in SUPPORTED_PYTHON_SERIES:
        STATE.error(
            "python_version_unsupported",
            f"Unsupported Python version: {value!r}. Supported series: {', '.join(SUPPORTED_PYTHON_SERIES)}.",
            where,
        )
        return None
    return value


# Mount points.
def check_mount_points(display_name, mapping, where):
    """Validates `{path: object}`; returns [(canonical path, object)] for the valid entries."""
    if mapping is None:
        return []
    if not isinstance(mapping, dict):
        STATE.error(
            "invalid_volumes",
            f"`volumes` should be a dict[str | PurePosixPath, {display_name}], got {type(mapping).__name__} instead.",
            where,
        )
        return []
    valid = []
    for raw_path, obj in mapping.items():
        if not isinstance(raw_path, (str, PurePath)):
            STATE.error("invalid_mount_path", f"{display_name} mount path must be a string, not {type(raw_path).__name__}.", where)
            continue
        path = PurePath(raw_path).as_posix()
        if not path.startswith("/") or posixpath.normpath(path) != path:
            STATE.error("invalid_mount_path", f"{display_name} {path} must be a canonical, absolute path.", where)
            continue
        if path == "/":
            STATE.error("invalid_mount_path", f"{display_name} {path} cannot be mounted into root directory.", where)
            continue
        if path in ("/root", "/tmp"):
            STATE.error("invalid_mount_path", f"{display_name} {path} cannot be mounted at '{path}'.", where)
            continue
        valid.append((path, obj))
    return valid


# Resources and autoscaling.
def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def check_cpu(cpu, where):
    if cpu is None:
        return
    if isinstance(cpu, tuple):
        if len(cpu) != 2 or not all(_is_number(x) for x in cpu):
            STATE.error("invalid_cpu", "`cpu` tuple must be (request, limit) with two numbers.", where)
        elif cpu[0] <= 0 or cpu[1] < cpu[0]:
            STATE.error("invalid_cpu", f"`cpu` limit ({cpu[1]}) must be at least the request ({cpu[0]}), and the request positive.", where)
    elif not _is_number(cpu):
        STATE.error("invalid_cpu", f"`cpu` must be a number or a (request, limit) tuple, not {type(cpu).__name__}.", where)
    elif cpu <= 0:
        STATE.error("invalid_cpu", f"`cpu` ({cpu}) must be positive.", where)


def check_memory(memory, where):
    if memory is None:
        return
    if isinstance(memory, tuple):
        if len(memory) != 2 or not all(_is_int(x) for x in memory):
            STATE.error("invalid_memory", "`memory` tuple must be (request, limit) in MiB, two integers.", where)
        elif memory[0] <= 0 or memory[1] < memory[0]:
            STATE.error("invalid_memory", f"`memory` limit ({memory[1]}) must be at least the request ({memory[0]}), and the request positive.", where)
    elif not _is_int(memory):
        STATE.error("invalid_memory", f"`memory` must be an int (MiB) or a (request, limit) tuple, not {type(memory).__name__}.", where)
    elif memory <= 0:
        STATE.error("invalid_memory", f"`memory` ({memory}) must be positive.", where)


def check_timeout(value, name, where):
    if value is None:
        return
    if not _is_number(value):
        STATE.error("invalid_timeout", f"`{name}` must be a number of seconds, not {type(value).__name__}.", where)
    elif value <= 0:
        STATE.error("invalid_timeout", f"`{name}` must be positive, got {value}.", where)
    elif value > MAX_TIMEOUT_S:
        STATE.warn(
            "timeout_over_24h",
            f"`{name}`={value} is above {MAX_TIMEOUT_S} s (24 h); Modal's server rejects timeouts over 24 hours.",
            where,
        )


def check_autoscaler(min_containers, max_containers, buffer_containers, scaledown_window, where):
    if min_containers is not None and (not _is_int(min_containers) or min_containers < 0):
        STATE.error("invalid_min_containers", f"`min_containers` must be a non-negative int, got {min_containers!r}.", where)
        min_containers = None
    if max_containers is not None and (not _is_int(max_containers) or max_containers < 1):
        STATE.error("invalid_max_containers", f"`max_containers` must be a positive int, got {max_containers!r}.", where)
        max_containers = None
    if buffer_containers is not None and (not _is_int(buffer_containers) or buffer_containers < 0):
        STATE.error("invalid_buffer_containers", f"`buffer_containers` must be a non-negative int, got {buffer_containers!r}.", where)
    if min_containers is not None and max_containers is not None and min_containers > max_containers:
        STATE.error(
            "min_above_max_containers",
            f"`min_containers` ({min_containers}) must be less than or equal to `max_containers` ({max_containers}).",
            where,
        )
    if scaledown_window is not None:
        if not _is_number(scaledown_window):
            STATE.error("invalid_scaledown_window", f"`scaledown_window` must be a number of seconds, not {type(scaledown_window).__name__}.", where)
        elif scaledown_window <= 0:
            STATE.error("invalid_scaledown_window", "`scaledown_window` must be > 0.", where)
