// SPDX-License-Identifier: MIT
// libFuzzer target for the state readers: any bytes as sessions.json,
// presets.json and api_keys.json. A document may be refused (exit 3), never
// crash; a refused file is never changed; an accepted one survives a
// read-modify-write that changes nothing, and what was read back equals it.
#include "services/service_error.hpp"
#include "scratch_dir.hpp"
#include "services/state_store.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

using namespace mgpux::services;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void check_document(StateStore& store, const char* name, const std::string& bytes) {
    const fs::path file = store.document_path(name);
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out << bytes;
    }
    boost::json::value before;
    try {
        before = store.read(name);
    } catch (const ServiceError& e) {
        if (e.code != kExitConfig) std::abort();
        try {
            store.modify(name, [](boost::json::value v) { return std::optional<boost::json::value>(v); });
            std::abort();  // a refused file must be refused for writing too
        } catch (const ServiceError&) {}
        if (slurp(file) != bytes) std::abort();
        return;
    }
    store.modify(name, [](boost::json::value v) { return std::optional<boost::json::value>(v); });
    if (store.read(name) != before) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    StateStore store(mgpux::fuzz::scratch_dir("state"));
    check_document(store, "sessions", bytes);
    check_document(store, "api_keys", bytes);
    check_document(store, "presets", bytes);
    try {
        const auto presets = store.list_presets();
        for (const auto& kv : presets) {
            try {
                store.get_preset(kv.key());
            } catch (const ServiceError& e) {
                if (e.code != kExitConfig && e.code != kExitUsage) std::abort();
            }
        }
        store.list_sessions();
    } catch (const ServiceError& e) {
        if (e.code != kExitConfig) std::abort();
    }
    return 0;
}
