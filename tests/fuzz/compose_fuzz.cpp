// SPDX-License-Identifier: MIT
// libFuzzer target for the Compose file parser: any text may be refused
// (mgpux::Error naming the file and line), but nothing may crash, hang on
// alias expansion or recurse without bound; whatever is accepted has a start
// order that lists every service once, dependencies first.
#include "compose_file.hpp"

#include <mgpux/error.hpp>

#include <cstdint>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>

using namespace compose;

namespace {

void check_order(const Project& p) {
    if (p.start_order.size() != p.services.size()) std::abort();
    std::set<std::string> started;
    for (const std::string& name : p.start_order) {
        const Service* s = p.find(name);
        if (!s) std::abort();
        for (const Dependency& d : s->depends_on)
            if (!started.count(d.service)) std::abort();
        started.insert(name);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const Vars vars{{"SET", "value"}, {"EMPTY", ""}};
    try {
        check_order(parse_project(input, "fuzz.yaml", "/nonexistent", vars, nullptr));
    } catch (const mgpux::Error&) {}
    for (auto* f :
         {+[](const std::string& s) { (void)parse_port(s); }, +[](const std::string& s) { (void)shell_split(s); }}) {
        try {
            f(input.substr(0, 200));
        } catch (const std::runtime_error&) {}
    }
    try {
        (void)interpolate(input, vars);
    } catch (const std::runtime_error&) {}
    return 0;
}
