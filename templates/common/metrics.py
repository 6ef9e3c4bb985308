{{! SPDX-License-Identifier: MIT }}
# --- m-gpux metrics helpers (templates/common/metrics.py) ---------------------------------------
# _print_metrics(): one hardware report when the container starts.
# _monitor_metrics(interval): a daemon thread printing one [METRICS] line per GPU and the CPU load
# every `interval` seconds. Both run inside the container and never raise: a report is a courtesy,
# not a reason to fail the workload.
import shutil as _metrics_shutil
import subprocess as _metrics_subprocess
import threading as _metrics_threading
import time as _metrics_time

_METRICS_RULE = "=" * 65
_METRICS_GPU_FIELDS = (
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
_METRICS_MONITOR_FIELDS = ("utilization.gpu", "memory.used", "memory.total", "temperature.gpu", "power.draw")


def _metrics_query_gpus(fields):
    """Rows of nvidia-smi readings (lists of stripped strings); raises when nvidia-smi cannot answer."""
    if _metrics_shutil.which("nvidia-smi") is None:
        raise RuntimeError("nvidia-smi not found (no GPU in this container)")
    proc = _metrics_subprocess.run(
        ["nvidia-smi", "--query-gpu=" + ",".join(fields), "--format=csv,noheader,nounits"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()
        raise RuntimeError("nvidia-smi exited with %d%s" % (proc.returncode, ": " + detail[-1] if detail else ""))
    rows = []
    for line in proc.stdout.splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) < len(fields):
            continue
        # A comma inside the GPU name would shift every field: keep the tail aligned.
        extra = len(parts) - len(fields)
        rows.append([", ".join(parts[: extra + 1])] + parts[extra + 1:] if extra else parts)
    return rows


def _metrics_gpu_lines():
    lines = []
    for index, row in enumerate(_metrics_query_gpus(_METRICS_GPU_FIELDS)):
        name, total, used, free, util, mem_util, temp, draw, limit, driver = row[:10]
        lines.append("[GPU %d] %s" % (index, name))
        lines.append("  Driver:       %s" % driver)
        lines.append("  VRAM:         %s / %s MiB used, %s MiB free" % (used, total, free))
        lines.append("  GPU util:     %s %%" % util)
        lines.append("  Memory util:  %s %%" % mem_util)
        lines.append("  Temperature:  %s C" % temp)
        lines.append("  Power:        %s / %s W" % (draw, limit))
    if not lines:
        lines.append("[GPU] nvidia-smi listed no GPUs")
    return lines


def _metrics_cpu_line():
    with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
        text = handle.read().splitlines()
    cores = sum(1 for line in text if line.startswith("processor") and ":" in line)
    models = [line.split(":", 1)[1].strip() for line in text if line.startswith("model name") and ":" in line]
    return "CPU: %s  (%d cores)" % (models[0] if models else "unknown", cores)


def _metrics_memory_line():
    values = dict()
    with open("/proc/meminfo", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            key, _, rest = line.partition(":")
            parts = rest.split()
            if parts and parts[0].isdigit():
                values[key] = int(parts[0])  # kB
    total, available = values["MemTotal"], values["MemAvailable"]
    used = total - available
    return "RAM: %.1f / %.1f GB (%d%% used)" % (used / 1048576, total / 1048576, int(used * 100 / total))


def _metrics_disk_line():
    import os

    stats = os.statvfs("/")
    total = stats.f_blocks * stats.f_frsize
    free = stats.f_bavail * stats.f_frsize
    gib = 1024.0 ** 3
    return "Disk: %.1f GiB used / %.1f GiB total, %.1f GiB free" % ((total - free) / gib, total / gib, free / gib)


def _metrics_report_lines():
    lines = ["", _METRICS_RULE, "CONTAINER HARDWARE METRICS", _METRICS_RULE]
    try:
        lines.extend(_metrics_gpu_lines())
    except Exception as exc:  # noqa: BLE001 - expected on CPU-only containers
        lines.append("[GPU] error: %s" % exc)
    for section in (_metrics_cpu_line, _metrics_memory_line, _metrics_disk_line):
        try:
            lines.append(section())
        except Exception:  # noqa: BLE001 - a missing /proc file only drops its line
            pass
    lines.extend([_METRICS_RULE, ""])
    return lines


def _print_metrics():
    print("\n".join(_metrics_report_lines()), flush=True)


def _metrics_monitor_lines():
    lines = []
    try:
        for index, row in enumerate(_metrics_query_gpus(_METRICS_MONITOR_FIELDS)):
            util, used, total, temp, draw = row[:5]
            lines.append("[METRICS] GPU %d util %s%% | VRAM %s/%s MiB | %s C | %s W" % (index, util, used, total, temp, draw))
    except Exception:  # noqa: BLE001 - no GPU: only the CPU line
        pass
    try:
        with open("/proc/loadavg", encoding="utf-8") as handle:
            load = handle.read().split()[:3]
        lines.append("[METRICS] CPU load %s" % " ".join(load))
    except Exception:  # noqa: BLE001
        pass
    return lines


def _monitor_metrics(interval=30):
    """Starts the monitor thread and returns it (a daemon: it ends with the container)."""

    def loop():
        while True:
            _metrics_time.sleep(interval)
            for line in _metrics_monitor_lines():
                print(line, flush=True)

    thread = _metrics_threading.Thread(target=loop, name="m-gpux-metrics", daemon=True)
    thread.start()
    return thread
# --- end of the metrics helpers -----------------------------------------------------------------
