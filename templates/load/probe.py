{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux load probe: starts one container on the requested compute, measures it once and prints
the measurements as a single line `[m-gpux] RESULT <json>` that m-gpux reads back.

The JSON object (every number may be null when the container cannot tell):
  gpus       [{index, name, driver, memory_total_mib, memory_used_mib, memory_free_mib,
               utilization_gpu_pct, utilization_memory_pct, temperature_c, power_draw_w,
               power_limit_w}]                       from nvidia-smi; [] without a GPU
  gpu_error  why `gpus` is empty (e.g. nvidia-smi is missing in a CPU-only container), or null
  cpu        {model, cores, available, quota_cores, load_avg: [1 min, 5 min, 15 min]}
  memory     {total_gb, used_gb, used_pct, limit_gb}  GB = 1024**3 bytes
  disk       {total_gib, used_gib, free_gib}          of "/"
  system     {python, platform, uptime_s}
"""
import json
import math
import os
import platform
import subprocess

import modal

app = modal.App({{app_name}})
# base_image: an image published with `m-gpux image build` (--image), else a fresh debian_slim.
image = {{#base_image}}modal.Image.from_name({{base_image}}){{/base_image}}{{^base_image}}modal.Image.debian_slim(python_version={{python_version}}){{/base_image}}

# The fields of the metrics report, in this order; csv, no header, no units.
GPU_QUERY = (
    "name",
    "memory.total",
    "memory.used",
    "memory.free",
    "utilization.gpu",
    "utilization.memory",
    "temperature.gpu",
    "power.draw",
    "power.limit",
    "driver_version",
)
GPU_KEYS = (
    "memory_total_mib",
    "memory_used_mib",
    "memory_free_mib",
    "utilization_gpu_pct",
    "utilization_memory_pct",
    "temperature_c",
    "power_draw_w",
    "power_limit_w",
)


def _number(text):
    """A reading as int or float; None for '[N/A]', '[Not Supported]' and other non-numbers."""
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() else round(value, 2)


def gpu_metrics():
    """(gpus, error): one record per GPU, or an empty list and the reason."""
    command = ["nvidia-smi", "--query-gpu=" + ",".join(GPU_QUERY), "--format=csv,noheader,nounits"]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except FileNotFoundError:
        return [], "nvidia-smi not found (no GPU in this container)"
    except (OSError, subprocess.SubprocessError) as exc:
        return [], "nvidia-smi failed: %s" % exc
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()
        return [], "nvidia-smi exited with %d%s" % (proc.returncode, ": " + detail[-1] if detail else "")
    gpus = []
    for line in proc.stdout.splitlines():
        fields = [part.strip() for part in line.split(",")]
        if len(fields) < len(GPU_QUERY):
            continue
        # A comma inside the name would shift every field: count from the end.
        tail = fields[-(len(GPU_QUERY) - 1):]
        record = {"index": len(gpus), "name": ", ".join(fields[: len(fields) - len(tail)]), "driver": tail[-1]}
        for key, text in zip(GPU_KEYS, tail[:-1]):
            record[key] = _number(text)
        gpus.append(record)
    if not gpus:
        return [], "nvidia-smi listed no GPUs"
    return gpus, None


def _read(path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def _cpu_quota():
    """Cores granted by the cgroup (cpu.max), or None when unlimited or unknown."""
    try:
        quota, period = _read("/sys/fs/cgroup/cpu.max").split()[:2]
    except (OSError, ValueError):
        return None
    if not (quota.isdigit() and period.isdigit() and int(period)):
        return None  # "max": no quota
    return _number(int(quota) / int(period))


def cpu_metrics():
    info = {"model": None, "cores": os.cpu_count(), "available": None, "quota_cores": _cpu_quota(), "load_avg": None}
    try:
        lines = _read("/proc/cpuinfo").splitlines()
        processors = [line for line in lines if line.startswith("processor") and ":" in line]
        if processors:
            info["cores"] = len(processors)
        models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name") and ":" in line]
        info["model"] = models[0] if models else (platform.processor() or platform.machine() or None)
    except OSError:
        info["model"] = platform.processor() or platform.machine() or None
    try:
        info["available"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        pass
    try:
        info["load_avg"] = [round(value, 2) for value in os.getloadavg()]
    except OSError:
        pass
    return info


def _cgroup_memory_limit_gb():
    try:
        text = _read("/sys/fs/cgroup/memory.max").strip()
    except OSError:
        return None
    return round(int(text) / 1024**3, 1) if text.isdigit() else None


def memory_metrics():
    info = {"total_gb": None, "used_gb": None, "used_pct": None, "limit_gb": _cgroup_memory_limit_gb()}
    try:
        values = {}
        for line in _read("/proc/meminfo").splitlines():
            key, _, rest = line.partition(":")
            parts = rest.split()
            if parts and parts[0].isdigit():
                values[key] = int(parts[0])  # kB
        total, available = values.get("MemTotal"), values.get("MemAvailable")
        if total:
            info["total_gb"] = round(total / 1048576, 1)
            if available is not None:
                info["used_gb"] = round((total - available) / 1048576, 1)
                info["used_pct"] = int((total - available) * 100 / total)
    except OSError:
        pass
    return info


def disk_metrics():
    try:
        stats = os.statvfs("/")
    except OSError:
        return {"total_gib": None, "used_gib": None, "free_gib": None}
    total = stats.f_blocks * stats.f_frsize
    free = stats.f_bavail * stats.f_frsize
    return {
        "total_gib": round(total / 1024**3, 1),
        "used_gib": round((total - free) / 1024**3, 1),
        "free_gib": round(free / 1024**3, 1),
    }


def system_metrics():
    uptime = None
    try:
        uptime = round(float(_read("/proc/uptime").split()[0]), 1)
    except (OSError, ValueError, IndexError):
        pass
    return {"python": platform.python_version(), "platform": platform.platform(), "uptime_s": uptime}


def collect():
    gpus, gpu_error = gpu_metrics()
    return {
        "gpus": gpus,
        "gpu_error": gpu_error,
        "cpu": cpu_metrics(),
        "memory": memory_metrics(),
        "disk": disk_metrics(),
        "system": system_metrics(),
    }


@app.function(image=image, {{#gpu}}gpu={{gpu}}, {{/gpu}}{{#cpu}}cpu={{cores}}, memory={{memory_mb}}, {{/cpu}}timeout={{timeout_s}})
def probe():
    metrics = collect()
    print("[m-gpux] RESULT " + json.dumps(metrics, sort_keys=True), flush=True)
    return metrics
