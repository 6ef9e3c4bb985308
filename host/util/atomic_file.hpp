// SPDX-License-Identifier: MIT
// Whole-file writes that a crash can never tear: temp file in the same
// directory, fsync, rename, fsync of the directory. No m-gpux knowledge.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mgpux::util {

// Replaces `path` with `content` atomically; the new file gets `mode`
// (default 0600). Creates no directories. Throws std::system_error naming
// the path on failure; on failure the old file is untouched.
void write_file_atomic(const std::filesystem::path& path, std::string_view content, unsigned mode = 0600);

// The whole file, or std::nullopt when it does not exist. Throws
// std::system_error for any other failure (permission, a directory, ...).
std::optional<std::string> read_file_if_exists(const std::filesystem::path& path);

// Creates `dir` (and parents) when missing and sets its mode to `mode`
// when this call created it. Throws std::system_error.
void ensure_private_dir(const std::filesystem::path& dir, unsigned mode = 0700);

}  // namespace mgpux::util
