// A private scratch directory for fuzz targets that work on files: one per
// process (so parallel fuzzing jobs never share it), created on first use.
#pragma once

#include <filesystem>
#include <string>
#include <unistd.h>

namespace mgpux::fuzz {

inline const std::filesystem::path& scratch_dir(const std::string& name) {
    static const std::filesystem::path dir = [&] {
        auto d = std::filesystem::temp_directory_path() / ("mgpux-fuzz-" + name + "-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        std::filesystem::permissions(d, std::filesystem::perms::owner_all);
        return d;
    }();
    return dir;
}

}  // namespace mgpux::fuzz
