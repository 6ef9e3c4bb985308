// SPDX-License-Identifier: MIT
// libFuzzer target for the profile file reader and its line-based edits: any
// bytes as ~/.modal.toml. Reading may refuse (ServiceError), never crash
// (toml11 3.7.1 overflows on some invalid UTF-8, hence the check before it);
// a refused file is never changed; an accepted add leaves a file that reads
// back with the new profile active-or-not as asked and the old ones kept.
#include "services/profile_store.hpp"
#include "services/service_error.hpp"
#include "scratch_dir.hpp"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fs::path file = mgpux::fuzz::scratch_dir("profiles") / "modal.toml";
    const std::string input(reinterpret_cast<const char*>(data), size);
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out << input;
    }
    ProfileStore store(file);
    std::vector<ProfileInfo> before;
    try {
        before = store.list();
    } catch (const ServiceError& e) {
        if (e.code != kExitConfig) std::abort();
        return 0;
    }
    try {
        store.upsert("fuzzadded", "ak-fuzz", "as-fuzz", false);
    } catch (const ServiceError& e) {
        // refusing an edit it cannot make safely is allowed; the file stays as it was
        if (slurp(file) != input) std::abort();
        return 0;
    }
    const auto after = store.list();
    if (after.size() < before.size()) std::abort();
    bool found = false;
    for (const auto& p : after) found = found || (p.name == "fuzzadded" && p.has_token_id && p.has_token_secret);
    if (!found) std::abort();
    return 0;
}
