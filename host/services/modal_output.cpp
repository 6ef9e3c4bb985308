// SPDX-License-Identifier: MIT
#include "services/modal_output.hpp"

#include "util/json.hpp"

#include <boost/json.hpp>

#include <cctype>

namespace mgpux::services {

namespace json = boost::json;

namespace {

constexpr std::string_view kReady = "[m-gpux] READY ";
constexpr std::string_view kResult = "[m-gpux] RESULT ";
constexpr std::string_view kWebFunction = "Created web function ";
constexpr std::string_view kDeployment = "View Deployment: ";

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string_view first_word(std::string_view s) {
    s = trim(s);
    const auto end = s.find_first_of(" \t");
    return end == std::string_view::npos ? s : s.substr(0, end);
}

// Finds an app id standing alone: not preceded or followed by a letter or digit.
std::optional<std::string> find_app_id(std::string_view line) {
    for (std::size_t pos = line.find("ap-"); pos != std::string_view::npos; pos = line.find("ap-", pos + 1)) {
        if (pos > 0 && (alnum(line[pos - 1]) || line[pos - 1] == '-')) continue;
        const auto candidate = line.substr(pos, 25);
        if (candidate.size() == 25 && is_app_id(candidate) && (pos + 25 == line.size() || !alnum(line[pos + 25])))
            return std::string(candidate);
    }
    return std::nullopt;
}

}  // namespace

bool is_app_id(std::string_view text) {
    if (text.size() != 25 || text.substr(0, 3) != "ap-") return false;
    for (char c : text.substr(3))
        if (!alnum(c)) return false;
    return true;
}

std::optional<std::string> environment_of_deployment(std::string_view url) {
    constexpr std::string_view kApps = "/apps/";
    const auto apps = url.find(kApps);
    if (url.rfind("https://", 0) != 0 || apps == std::string_view::npos) return std::nullopt;
    std::vector<std::string_view> parts;  // workspace, environment, "deployed", name
    for (std::string_view rest = url.substr(apps + kApps.size()); !rest.empty();) {
        const auto slash = rest.find('/');
        parts.push_back(rest.substr(0, slash));
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    }
    if (parts.size() != 4 || parts[2] != "deployed" || parts[1].empty()) return std::nullopt;
    for (char c : parts[1])
        if (!alnum(c) && c != '-' && c != '_' && c != '.') return std::nullopt;
    return std::string(parts[1]);
}

std::optional<std::string> app_id_in_line(std::string_view line) {
    // Only lines where Modal talks about the app it runs: a container could
    // print any text, including someone else's app id.
    if (line.find("View run at") == std::string_view::npos &&
        line.find("modal app logs ap-") == std::string_view::npos &&
        line.find("modal app stop ap-") == std::string_view::npos)
        return std::nullopt;
    return find_app_id(line);
}

void MarkerScanner::feed(std::string_view line) {
    if (!app_id_) app_id_ = app_id_in_line(line);
    if (const auto p = line.find(kReady); p != std::string_view::npos) {
        const auto url = first_word(line.substr(p + kReady.size()));
        if (!url.empty()) ready_.emplace_back(url);
        return;
    }
    if (const auto p = line.find(kResult); p != std::string_view::npos) {
        const auto payload = trim(line.substr(p + kResult.size()));
        try {
            results_.push_back(util::parse_json(payload));
        } catch (const std::exception&) {
            bad_results_.emplace_back(payload);
        }
        return;
    }
    if (const auto p = line.find(kDeployment); p != std::string_view::npos && !deployment_url_) {
        const auto url = first_word(line.substr(p + kDeployment.size()));
        if (url.rfind("https://", 0) == 0) deployment_url_ = std::string(url);
        return;
    }
    if (const auto p = line.find(kWebFunction); p != std::string_view::npos) {
        const auto arrow = line.find("=> ", p);
        if (arrow != std::string_view::npos) {
            const auto url = first_word(line.substr(arrow + 3));
            if (url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0) web_urls_.emplace_back(url);
        }
    }
}

std::string snake_key(std::string_view key) {
    std::string out;
    out.reserve(key.size());
    for (char c : trim(key)) {
        if (c == ' ' || c == '-') out += '_';
        else out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

json::value normalise_keys(const json::value& v) {
    if (v.is_object()) {
        json::object out;
        for (const auto& kv : v.as_object()) {
            const auto key = snake_key(kv.key());
            // A snake_case spelling wins over a titled one if both are present.
            if (out.contains(key) && kv.key() != key) continue;
            out[key] = kv.value();
        }
        return out;
    }
    if (v.is_array()) {
        json::array out;
        for (const auto& item : v.as_array()) out.push_back(item.is_object() ? normalise_keys(item) : item);
        return out;
    }
    return v;
}

}  // namespace mgpux::services
