// SPDX-License-Identifier: MIT
// A private scratch directory for fuzz targets that work on files: one per
// process (so parallel fuzzing jobs never share it), created on first use and
// removed with its contents when the process exits.
#pragma once

#include <filesystem>
#include <string>
#include <unistd.h>

namespace mgpux::fuzz {

// Owns the directory and removes it, with what the target left in it, when
// the process exits normally (the replay runner returns; libFuzzer exits).
class ScratchDir {
public:
    explicit ScratchDir(const std::string& name)
        : path_(std::filesystem::temp_directory_path() / ("mgpux-fuzz-" + name + "-" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(path_);
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all);
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline const std::filesystem::path& scratch_dir(const std::string& name) {
    static const ScratchDir dir(name);
    return dir.path();
}

}  // namespace mgpux::fuzz
