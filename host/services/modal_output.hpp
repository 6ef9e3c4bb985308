// SPDX-License-Identifier: MIT
// Reading what `modal` prints: app ids from its "View run at …/ap-…" lines,
// the templates' `[m-gpux] READY <url>` / `[m-gpux] RESULT <json>` markers,
// web function URLs, and `--json` documents with either key spelling.
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mgpux::services {

// "ap-" followed by exactly 22 letters or digits.
bool is_app_id(std::string_view text);

// The app id in a line Modal prints about the app it runs ("View run at
// https://modal.com/apps/ws/main/ap-…", "modal app logs ap-…").
std::optional<std::string> app_id_in_line(std::string_view line);

// The environment in a deployment page's URL
// (https://modal.com/apps/<workspace>/<environment>/deployed/<name>); nullopt for another shape.
std::optional<std::string> environment_of_deployment(std::string_view url);

// What the runner collects from a child's output, line by line.
class MarkerScanner {
public:
    void feed(std::string_view line);

    const std::optional<std::string>& app_id() const { return app_id_; }
    const std::vector<std::string>& ready_urls() const { return ready_; }
    const std::vector<boost::json::value>& results() const { return results_; }
    const std::vector<std::string>& web_urls() const { return web_urls_; }
    // The "View Deployment: <url>" page `modal deploy` prints once the app is deployed.
    const std::optional<std::string>& deployment_url() const { return deployment_url_; }
    // RESULT lines whose payload was not JSON (reported, not fatal).
    const std::vector<std::string>& bad_results() const { return bad_results_; }

private:
    std::optional<std::string> app_id_;
    std::vector<std::string> ready_;
    std::vector<boost::json::value> results_;
    std::vector<std::string> web_urls_;
    std::optional<std::string> deployment_url_;
    std::vector<std::string> bad_results_;
};

// "App ID" → "app_id", "Created at" → "created_at", "app_id" unchanged.
std::string snake_key(std::string_view key);

// Normalises the keys of every object in an array (or of one object) to
// snake_case; other values are returned unchanged.
boost::json::value normalise_keys(const boost::json::value& v);

}  // namespace mgpux::services
