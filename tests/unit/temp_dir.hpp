// SPDX-License-Identifier: MIT
// A fresh directory (mode 0755) for one test, removed again at its end.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

namespace mgpux::testing {

class TempDir {
public:
    explicit TempDir(const std::string& prefix = "mgpux-unit-") {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                (prefix + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
        std::filesystem::permissions(path_, std::filesystem::perms(0755));
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

    // A file in the directory with `content` and `mode`.
    std::filesystem::path file(const std::string& name, const std::string& content = "not a library\n",
                               unsigned mode = 0644) const {
        const std::filesystem::path p = path_ / name;
        std::ofstream(p) << content;
        std::filesystem::permissions(p, std::filesystem::perms(mode));
        return p;
    }

private:
    std::filesystem::path path_;
};

}  // namespace mgpux::testing
