// SPDX-License-Identifier: MIT
// Pure logic of the load plugin: the probe's render context and run request,
// and the rows the measurements are shown as. No host calls here, so all of
// it is unit-tested (tests: load_logic_test.cpp).
#pragma once

#include "launch_logic.hpp"

#include <mgpux/plugin.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace load {

inline constexpr const char* kAppName = "m-gpux-load-monitor";
inline constexpr const char* kTemplate = "load/probe.py";
inline constexpr int kTimeoutS = 120;  // the container's own limit, as the original

// What to probe, as the catalog validated it (the shared launch Compute).
using Compute = mgpux::launch::Compute;

// "H100:2" or "CPU (8 cores, 4096 MB)": what the description names.
std::string compute_text(const Compute& c);

// The template context: app_name, python_version, gpu (string or null),
// cpu ({cores, memory_mb} or null), timeout_s, base_image (a published
// image's name, or null to build debian_slim), and the header's
// mgpux_version and template.
mgpux::Json render_context(const Compute& c, const std::string& python, const std::string& mgpux_version,
                           const mgpux::Json& base_image = mgpux::Json());

// The runner request for the rendered script (`modal run`, attached).
mgpux::RunRequest run_request(const Compute& c, const std::string& script);

// The first RESULT object the runner captured, or nullptr.
const mgpux::Json* find_metrics(const mgpux::RunResult& run_result);

// (metric, value) rows for the human table.
std::vector<std::pair<std::string, std::string>> metric_rows(const mgpux::Json& metrics);

// The --json document: {"compute", "gpu", "cpu", "app_id", "status", "metrics"}.
mgpux::Json json_document(const Compute& c, const mgpux::RunResult& run_result, const mgpux::Json* metrics);

}  // namespace load
