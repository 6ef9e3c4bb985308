// SPDX-License-Identifier: MIT
// Pure logic of the preset plugin: names, paths, the fields a preset is saved
// with, and the rows `preset list` / `preset show` print. No host calls here,
// so all of it is unit-tested (tests: preset_logic_test.cpp).
#pragma once

#include <mgpux/plugin.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace preset {

// The actions a preset can launch (the original: bash, jupyter from
// `preset create`; interactive from the hub; dev from `m-gpux dev`).
const std::vector<std::string>& actions();
const std::vector<std::string>& action_descriptions();

// The hub's default upload excludes.
const std::vector<std::string>& default_excludes();

// Why `name` cannot be a new preset's name, or nullopt when it can. Names are
// 1-64 of [A-Za-z0-9._-], starting with a letter or digit, so they read well
// in tables, session records and shell commands.
std::optional<std::string> name_problem(const std::string& name);

// The compute a preset runs on, as chosen on the command line or in a menu.
struct Compute {
    std::optional<std::string> gpu;  // catalog name without the count: "H100"
    int gpu_count = 1;
    std::optional<int> cpu;        // cores
    std::optional<int> memory_mb;  // with cpu
};

// A default name without spaces, parentheses or commas: "jupyter-l4",
// "bash-h100x4", "dev-cpu8" (the original gave "bash-cpu-(8-cores,-4096-mb)").
std::string default_name(const std::string& action, const Compute& compute);

// A path as it is stored in a preset: relative to `cwd` (lexically, "a/b.txt")
// when it lies inside it, so the preset works in any copy of the project
// ; otherwise absolute and normalised.
std::string stored_path(const std::filesystem::path& cwd, const std::string& given);

// A project file (the interactive action's script) must lie inside `cwd`:
// the relative path, or nullopt when it is outside.
std::optional<std::string> project_path(const std::filesystem::path& cwd, const std::string& given);

// A comma-separated answer split into trimmed, non-empty items.
std::vector<std::string> split_list(const std::string& text);

// Everything `preset create` decided.
struct Choice {
    std::string action;
    Compute compute;
    std::string python;
    std::vector<std::string> packages;
    std::optional<std::string> requirements;
    std::vector<std::string> excludes;
    std::optional<std::string> script;
    std::optional<std::string> profile;
    std::optional<std::string> image;  // a published image to start from (--image)
};

// The fields handed to the state service. Every structured member is named,
// so saving over an existing preset replaces all of it (the service merges
// member by member and keeps `created_at`).
mgpux::PresetFields fields(const Choice& choice);

// `preset list`: one row per preset, sorted by name (Name, Action, Compute,
// Python, Profile, Updated). A preset the host could not read shows
// "(unreadable)" as its compute.
const std::vector<std::string>& list_columns();
std::vector<std::vector<mgpux::Json>> list_rows(const mgpux::Json& presets);

// The presets the host reported with an "error", as (name, error).
std::vector<std::pair<std::string, std::string>> broken_presets(const mgpux::Json& presets);

// `preset list --json`: {"presets": [...]}, the presets sorted by name, each with its name.
mgpux::Json list_document(const mgpux::Json& presets);

// `preset show`: (field, value) for every member, sorted by key.
std::vector<std::pair<std::string, std::string>> show_rows(const mgpux::Json& preset);

// A JSON value as table text: strings as they are, lists joined by ", ",
// null, "" and [] as "-".
std::string value_text(const mgpux::Json& value);

// "2026-05-07T09:40:00+00:00" -> "2026-05-07 09:40"; other text unchanged.
std::string short_time(const std::string& iso);

}  // namespace preset
