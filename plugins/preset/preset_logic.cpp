// SPDX-License-Identifier: MIT
#include "preset_logic.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>

namespace preset {

namespace fs = std::filesystem;
using mgpux::Json;

namespace {

constexpr std::size_t kMaxNameLength = 64;

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// Lower-case letters and digits, every other run of characters one '-'.
std::string slug(const std::string& text) {
    std::string out;
    for (char c : lower(text)) {
        if (is_alnum(c)) out += c;
        else if (!out.empty() && out.back() != '-') out += '-';
    }
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out;
}

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return "";
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

// True when `path` is `base` or lies below it (both absolute and normal).
bool inside(const fs::path& base, const fs::path& path) {
    auto b = base.begin(), p = path.begin();
    for (; b != base.end(); ++b, ++p) {
        if (b->empty() && std::next(b) == base.end()) break;  // a trailing separator
        if (p == path.end() || *b != *p) return false;
    }
    return true;
}

fs::path absolute_normal(const fs::path& cwd, const std::string& given) {
    fs::path p(given);
    if (p.is_relative()) p = cwd / p;
    return p.lexically_normal();
}

// Names in the order `preset list` shows them.
std::vector<std::string> sorted_names(const Json& presets) {
    std::vector<std::string> names;
    if (!presets.is_object()) return names;
    for (const auto& kv : presets.as_object()) names.push_back(kv.first);
    std::sort(names.begin(), names.end());
    return names;
}

std::string number_text(const Json& v) {
    if (v.kind() == Json::Kind::Int) return std::to_string(v.as_int());
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v.as_float());
    return buf;
}

}  // namespace

const std::vector<std::string>& actions() {
    static const std::vector<std::string> list = {"bash", "jupyter", "dev", "interactive"};
    return list;
}

const std::vector<std::string>& action_descriptions() {
    static const std::vector<std::string> list = {"Remote shell in the browser", "Jupyter Lab session",
                                                  "Dev container (shell with your project)",
                                                  "Browser terminal that runs one of your scripts"};
    return list;
}

const std::vector<std::string>& default_excludes() {
    static const std::vector<std::string> list = {".venv", "venv", "__pycache__", ".git", "node_modules"};
    return list;
}

std::optional<std::string> name_problem(const std::string& name) {
    if (name.empty()) return "a preset name may not be empty";
    if (name.size() > kMaxNameLength) return "a preset name is at most 64 characters long";
    if (!is_alnum(name.front())) return "a preset name starts with a letter or a digit";
    for (char c : name)
        if (!is_alnum(c) && c != '.' && c != '_' && c != '-')
            return "a preset name may contain only letters, digits, '.', '_' and '-'";
    return std::nullopt;
}

std::string default_name(const std::string& action, const Compute& compute) {
    std::string what;
    if (compute.gpu) {
        what = slug(*compute.gpu);
        if (compute.gpu_count > 1) what += "x" + std::to_string(compute.gpu_count);
    } else {
        what = "cpu" + std::to_string(compute.cpu.value_or(0));
    }
    const std::string a = slug(action);
    return (a.empty() ? "preset" : a) + "-" + (what.empty() ? "gpu" : what);
}

std::string stored_path(const fs::path& cwd, const std::string& given) {
    const fs::path path = absolute_normal(cwd, given);
    const fs::path base = cwd.lexically_normal();
    if (inside(base, path)) {
        const fs::path rel = path.lexically_relative(base);
        if (!rel.empty() && rel != ".") return rel.generic_string();
    }
    return path.generic_string();
}

std::optional<std::string> project_path(const fs::path& cwd, const std::string& given) {
    const fs::path path = absolute_normal(cwd, given);
    const fs::path base = cwd.lexically_normal();
    if (!inside(base, path)) return std::nullopt;
    const fs::path rel = path.lexically_relative(base);
    if (rel.empty() || rel == ".") return std::nullopt;
    return rel.generic_string();
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const auto comma = text.find(',', start);
        std::string item = trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (!item.empty()) out.push_back(std::move(item));
        if (comma == std::string::npos) return out;
        start = comma + 1;
    }
}

mgpux::PresetFields fields(const Choice& c) {
    mgpux::PresetFields f;
    // Every structured member is named; a null clears what the stored preset held.
    for (const char* key : {"gpu", "cpu", "memory_mb", "requirements", "script", "profile"}) f.set_null(key);
    f.action = c.action;
    f.gpu = c.compute.gpu;
    f.gpu_count = c.compute.gpu ? c.compute.gpu_count : 1;
    if (!c.compute.gpu) {
        if (c.compute.cpu) f.cpu = *c.compute.cpu;
        if (c.compute.memory_mb) f.memory_mb = *c.compute.memory_mb;
    }
    f.python_version = c.python;
    f.pip_packages = c.packages;
    f.requirements = c.requirements;
    f.exclude_patterns = c.excludes;
    f.script = c.script;
    f.profile = c.profile;  // null: Modal's active profile at launch
    // Our own member: null clears an image a replaced preset had.
    if (c.image) f.extra.set("image", *c.image);
    else f.set_null("image");
    return f;
}

const std::vector<std::string>& list_columns() {
    static const std::vector<std::string> cols = {"Name", "Action", "Compute", "Python", "Profile", "Updated"};
    return cols;
}

std::vector<std::vector<Json>> list_rows(const Json& presets) {
    std::vector<std::vector<Json>> rows;
    for (const auto& name : sorted_names(presets)) {
        const Json& p = *presets.find(name);
        const bool broken = p.find("error") != nullptr;
        const std::string profile = p.string_or("profile");
        rows.push_back({Json(name), Json(p.string_or("action", "-")),
                        Json(broken ? "(unreadable)" : p.string_or("compute_label", "-")),
                        Json(p.string_or("python_version", "-")), Json(profile.empty() ? "-" : profile),
                        Json(short_time(p.string_or("updated_at", "-")))});
    }
    return rows;
}

std::vector<std::pair<std::string, std::string>> broken_presets(const Json& presets) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& name : sorted_names(presets)) {
        const Json& p = *presets.find(name);
        if (const Json* e = p.find("error")) out.emplace_back(name, e->is_string() ? e->as_string() : e->dump());
    }
    return out;
}

Json list_document(const Json& presets) {
    Json list = Json::array();
    for (const auto& name : sorted_names(presets)) {
        Json p = *presets.find(name);
        if (p.is_object()) p.set("name", name);
        list.push(p);
    }
    Json doc = Json::object();
    doc.set("presets", list);
    return doc;
}

std::vector<std::pair<std::string, std::string>> show_rows(const Json& preset) {
    std::vector<std::pair<std::string, std::string>> rows;
    if (!preset.is_object()) return rows;
    for (const auto& kv : preset.as_object()) rows.emplace_back(kv.first, value_text(kv.second));
    std::sort(rows.begin(), rows.end());
    return rows;
}

std::string value_text(const Json& v) {
    switch (v.kind()) {
        case Json::Kind::Null: return "-";
        case Json::Kind::Bool: return v.as_bool() ? "true" : "false";
        case Json::Kind::Int:
        case Json::Kind::Float: return number_text(v);
        case Json::Kind::String: return v.as_string().empty() ? "-" : v.as_string();
        case Json::Kind::Array: {
            std::string out;
            for (const auto& item : v.as_array()) out += (out.empty() ? "" : ", ") + value_text(item);
            return out.empty() ? "-" : out;
        }
        case Json::Kind::Object: return v.dump();
    }
    return "";
}

std::string short_time(const std::string& iso) {
    // YYYY-MM-DDTHH:MM...: the date and the minute are enough in a table.
    if (iso.size() >= 16 && iso[4] == '-' && iso[7] == '-' && iso[10] == 'T' && iso[13] == ':')
        return iso.substr(0, 10) + " " + iso.substr(11, 5);
    return iso;
}

}  // namespace preset
