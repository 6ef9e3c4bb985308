// SPDX-License-Identifier: MIT
// Pure logic of `m-gpux host`: entry and name validation, the template
// context and the JSON document (unit-tested without a host).
#pragma once

#include "launch_logic.hpp"

#include <mgpux/plugin.hpp>

#include <filesystem>
#include <string>

namespace host {

enum class Action { Asgi, Wsgi, Static };

Action action_of(const std::string& command);  // "host asgi" -> Asgi
const char* action_word(Action a);             // "asgi"
const char* template_name(Action a);           // "host/app.py" (asgi, wsgi) or "host/static.py"
const char* default_name(Action a);            // my-app | my-site
const char* default_entry(Action a);           // main:app | app:app | ""

inline constexpr int kScaledownWindowS = 300;
inline constexpr int kMaxInputs = 100;
inline constexpr long long kTimeoutS = 86400;
inline constexpr int kStaticPort = 8000;

// `module:object`: a dotted module of Python identifiers (Unicode letters
// allowed), one ':', then a dotted attribute path. Throws usage_error naming --entry.
struct Entry {
    std::string module;
    std::string object;
};
Entry parse_entry(const std::string& text);

// The module's file under the project: a/b.py or a/b/__init__.py. Throws
// usage_error when neither exists.
std::filesystem::path entry_file(const std::filesystem::path& project_dir, const Entry& e);

// "m-gpux-host-<slug>"; a name without ASCII letters or digits is a usage error.
std::string app_name_for(const std::string& name);

struct Plan {
    Action action = Action::Asgi;
    std::string app_name;
    std::string project_dir;  // absolute, "/" separators
    Entry entry;              // asgi/wsgi
    mgpux::launch::Compute compute;
    std::string python_version;
    mgpux::launch::Deps deps;
    std::vector<std::string> ignore;
    long long timeout_s = kTimeoutS;
    int min_containers = 0;
    std::string mode = "deploy";  // deploy | serve
    bool background = false;
    std::optional<std::string> base_image;  // --image: a published image instead of debian_slim
};

// The template's context (every value a Python literal once rendered).
mgpux::Json render_context(const Plan& p, const std::string& mgpux_version);

// The runner request for the rendered script.
mgpux::RunRequest run_request(const Plan& p, const mgpux::launch::UploadStats& upload, const std::string& script);

// {app_name, app_id, url, mode, profile, session_id, status, ...} for --json.
mgpux::Json json_document(const Plan& p, const mgpux::RunResult& run_result);

}  // namespace host
