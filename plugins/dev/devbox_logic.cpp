// SPDX-License-Identifier: MIT
#include "devbox_logic.hpp"

#include <mgpux/error.hpp>

#include <sstream>

namespace dev::box {

bool valid_name(const std::string& name) {
    if (name.empty() || name.size() > 40) return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!alnum(name.front())) return false;
    for (char c : name)
        if (!alnum(c) && c != '-') return false;
    return true;
}

std::string alias(const std::string& name) { return "m-gpux-" + name; }

Json boxes_document(const Json& doc, const std::string& file_hint) {
    if (doc.is_null()) return Json::object();
    if (!doc.is_object())
        throw mgpux::Error(MGPUX_E_CONFIG, file_hint +
                                               " is not a JSON object of dev boxes; fix or move the file "
                                               "away; it was left unchanged");
    for (const auto& kv : doc.as_object())
        if (!kv.second.is_object())
            throw mgpux::Error(MGPUX_E_CONFIG, file_hint + ": the box '" + kv.first +
                                                   "' is not an object; fix or move the file away; it was left "
                                                   "unchanged");
    return doc;
}

namespace {
double number_or(const Json& box, const char* key, double fallback) {
    const Json* v = box.find(key);
    return v && v->is_number() ? v->as_float() : fallback;
}
}  // namespace

bool expired(const Json& box, double now) {
    if (box.string_or("state") != "running") return false;
    const double expires = number_or(box, "expires_at", 0);
    return expires > 0 && now >= expires;
}

std::string status(const Json& box, double now, const std::string& session_state) {
    if (expired(box, now)) return "expired";
    if (box.string_or("state") == "running" && session_state == "stopped") return "stopped";
    return box.string_or("state", "running");
}

std::optional<Json> parse_result(const std::string& output) {
    static const std::string kMarker = "[m-gpux] RESULT ";
    std::optional<Json> found;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind(kMarker, 0) != 0) continue;
        try {
            Json j = Json::parse(line.substr(kMarker.size()));
            if (j.is_object()) found = std::move(j);
        } catch (const mgpux::JsonError&) {}
    }
    return found;
}

namespace {
std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}
}  // namespace

std::string known_hosts_line(const std::string& name, const std::string& host_key) {
    std::string key = host_key;
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) key.pop_back();
    const std::vector<std::string> w = words(key);
    if (w.size() < 2 || key.find('\n') != std::string::npos) return "";
    if (w[0].rfind("ssh-", 0) != 0 && w[0].rfind("ecdsa-", 0) != 0) return "";
    return alias(name) + " " + w[0] + " " + w[1];
}

std::string replace_known_host(const std::string& text, const std::string& name, const std::string& line) {
    std::string out;
    const std::string prefix = alias(name) + " ";
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        const std::size_t end = nl == std::string::npos ? text.size() : nl + 1;
        const std::string current = text.substr(pos, end - pos);
        if (current.rfind(prefix, 0) != 0) out += current;
        pos = end;
    }
    if (!out.empty() && out.back() != '\n') out += '\n';
    if (!line.empty()) out += line + "\n";
    return out;
}

namespace {
// One upload rule as an rsync filter. rsync matches a pattern without "/" at
// any depth already, so "**/x" loses its prefix (rsync would not match it at
// the top level).
std::string rsync_filter(const std::string& rule) {
    const bool include = !rule.empty() && rule.front() == '!';
    std::string pattern = include ? rule.substr(1) : rule;
    if (pattern.rfind("**/", 0) == 0 && pattern.find('/', 3) == std::string::npos) pattern = pattern.substr(3);
    return (include ? "--include=" : "--exclude=") + pattern;
}
}  // namespace

std::vector<std::string> rsync_args(bool push, const std::string& local_dir, const std::string& name,
                                    const std::vector<std::string>& excludes, bool delete_extra) {
    std::vector<std::string> args = {"-az", "--human-readable", "-e", "ssh"};
    // The upload rules let the last match decide; rsync takes the first, so
    // they go in reverse order.
    for (auto it = excludes.rbegin(); it != excludes.rend(); ++it) args.push_back(rsync_filter(*it));
    if (delete_extra) args.push_back("--delete");
    std::string local = local_dir;
    if (local.empty() || local.back() != '/') local += '/';
    const std::string remote = alias(name) + ":/workspace/";
    args.push_back(push ? local : remote);
    args.push_back(push ? remote : local);
    return args;
}

std::vector<std::string> code_args(const std::string& name) {
    return {"--remote", "ssh-remote+" + alias(name), "/workspace"};
}

}  // namespace dev::box
