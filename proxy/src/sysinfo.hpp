// SPDX-License-Identifier: MIT
// System information for /stats: GPUs (nvidia-smi), CPU, memory and disk of the machine the
// proxy runs on. Each function blocks (nvidia-smi up to 5 s): the server calls them on its
// blocking-work thread, never on an event loop.
#pragma once

#include <string>

namespace mgpux_proxy {

// A JSON array of the GPUs nvidia-smi reports ([] without nvidia-smi, or after 5 s).
std::string gpus_json();
// JSON objects: {"cores", "load_1m", "load_5m", "load_15m", "model"}, {"total_mb", "used_mb",
// "available_mb", "used_pct"}, {"total_gb", "used_gb", "free_gb", "used_pct"}; {} when unknown.
std::string cpu_json();
std::string ram_json();
std::string disk_json();

}  // namespace mgpux_proxy
