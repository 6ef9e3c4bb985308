// SPDX-License-Identifier: MIT
// The `Host m-gpux-<name>` blocks m-gpux keeps in ~/.ssh/config. Each block
// sits between its own marker lines and is always prepended (ssh takes the
// first value it reads, so the box's settings win over a later `Host *`);
// everything outside the block is kept byte for byte.
#pragma once

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

namespace dev::ssh_config {

// A config whose m-gpux block cannot be edited safely (a begin marker
// without its end marker).
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string begin_marker(const std::string& name);
std::string end_marker(const std::string& name);

// The block for box `name` (markers included), its lines ended with `eol`:
// a Host section for the alias m-gpux-<name>, then `Match all` so that
// top-level settings after it stay global.
struct HostEntry {
    std::string name;
    std::string hostname;
    int port = 22;
    std::string user = "root";
    std::filesystem::path identity_file;
    std::filesystem::path known_hosts;
};
std::string render_block(const HostEntry& entry, const std::string& eol);

// `config` without the block of `name` (unchanged when there is none).
std::string remove_block(const std::string& config, const std::string& name);

// `config` with the block of `entry.name` replaced by a fresh one at the top,
// written with the line ending the file already uses (CRLF or LF).
std::string upsert_block(const std::string& config, const HostEntry& entry);

// Runs `fn` holding the exclusive lock on `lock_path` (created 0600, its
// folder 0700). The lock is not re-entrant: `fn` must not call edit_file.
void with_lock(const std::filesystem::path& lock_path, const std::function<void()>& fn);

// Edits the file at `path` under a lock (`lock_path`): reads it ("" when
// absent), applies `edit`, and atomically replaces it when the text changed.
// A new file is 0600 and its folder 0700; an existing one keeps its mode.
// A symbolic link is followed, so the file it points at is what changes.
void edit_file(const std::filesystem::path& path, const std::filesystem::path& lock_path,
               const std::function<std::string(const std::string&)>& edit);

}  // namespace dev::ssh_config
