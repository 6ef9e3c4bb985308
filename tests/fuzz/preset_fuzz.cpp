// SPDX-License-Identifier: MIT
// libFuzzer target for the preset fragment parsers (the original tool's
// `compute_spec` / `pip_section` Python fragments): they may refuse any
// input, but must never crash, and whatever they accept must render back to
// a fragment that parses to the same fields.
#include "services/preset_fields.hpp"

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

using namespace mgpux::services;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    try {
        const PresetCompute c = parse_compute_spec(input);
        if (!(parse_compute_spec(render_compute_spec(c)) == c)) std::abort();
    } catch (const std::invalid_argument&) {}
    try {
        const PipSection p = parse_pip_section(input);
        if (!(parse_pip_section(render_pip_section(p)) == p)) std::abort();
    } catch (const std::invalid_argument&) {}
    return 0;
}
