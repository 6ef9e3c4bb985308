// SPDX-License-Identifier: MIT
// Presets as structured data. The original tool stores raw Python fragments
// (`compute_spec`, `pip_section`) that are spliced into generated scripts, so
// a shared or edited presets.json could inject code.
// We accept only the few shapes the original writes, parse them into fields,
// and regenerate the fragments from the fields so the original still reads
// our presets.
#pragma once

#include <boost/json/fwd.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mgpux::services {

// Either a GPU (`gpu` set) or a CPU size (`cpu` set, memory 512 MB per core
// unless given); never both.
struct PresetCompute {
    std::optional<std::string> gpu;  // Modal name without the count: "H100"
    int gpu_count = 1;               // 1..64, only meaningful with gpu
    std::optional<int> cpu;          // 1..64 cores
    std::optional<int> memory_mb;    // with cpu
    bool operator==(const PresetCompute&) const = default;
};

// At most one of the two is non-empty.
struct PipSection {
    std::vector<std::string> packages;
    std::optional<std::string> requirements;  // a path
    bool operator==(const PipSection&) const = default;
};

// `gpu="A100"`, `gpu='H100:4'`, `cpu=4, memory=2048`, `cpu=4` (any keyword
// order, any whitespace, optional trailing comma). Anything else throws
// std::invalid_argument whose what() is the reason.
PresetCompute parse_compute_spec(std::string_view spec);

// "", `.pip_install("a", 'b')` (any whitespace, optional trailing comma),
// `.pip_install_from_requirements("/p")`. String literals may use \\ \' \"
// \n \t escapes. Anything else (calls, f-strings, concatenation, other
// methods, chained calls, trailing code) throws std::invalid_argument.
PipSection parse_pip_section(std::string_view section);

// The original's fragments, generated from validated fields. The render
// functions throw std::invalid_argument for values the parsers would refuse.
std::string render_compute_spec(const PresetCompute& c);   // gpu="H100:4" | cpu=4, memory=2048
std::string render_compute_label(const PresetCompute& c);  // H100:4 | CPU (4 cores, 2048 MB)
std::string render_pip_section(const PipSection& p);  // "" | .pip_install("a") | .pip_install_from_requirements("/p")

// The compute a preset without one runs on (the original's default).
PresetCompute default_preset_compute();

// A preset member that does not hold an acceptable value. `value` is the
// member's JSON text (quoted and escaped, so safe to print); `stored` tells
// whether it came from the file (a configuration error) or from the caller
// (a usage error).
struct PresetFieldError : std::invalid_argument {
    PresetFieldError(std::string field, std::string value, const std::string& reason, bool stored);
    std::string field;
    std::string value;
    std::string reason;
    bool stored;
};

// A stored preset with every structured member filled in (gpu, gpu_count,
// cpu, memory_mb, pip_packages, requirements, python_version, script,
// exclude_patterns, action) and compute_spec / compute_label / pip_section
// regenerated. Members are read structured when `gpu` or `cpu` (resp.
// `pip_packages` or `requirements`) exist, else parsed from the original's
// fragments. Unknown members are kept. Throws PresetFieldError (stored).
boost::json::object normalise_preset(const boost::json::object& stored);

// `update` shallow-merged over `existing` (may be null), then normalised. A
// compute or pip member in `update` replaces that group: setting `gpu`
// clears `cpu`/`memory_mb` and vice versa, setting `cpu` without
// `memory_mb` gives 512 MB per core, setting `pip_packages` clears
// `requirements` and vice versa, and an original fragment (`compute_spec`,
// `pip_section`) is parsed when no structured member of its group is given.
// Does not touch name or timestamps. Throws PresetFieldError.
boost::json::object merge_preset(const boost::json::object* existing, const boost::json::object& update);

}  // namespace mgpux::services
