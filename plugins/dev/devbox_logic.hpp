// SPDX-License-Identifier: MIT
// Pure logic of the dev boxes: names, the records in ~/.m-gpux/dev.json,
// expiry, the driver's RESULT line, the Python behind `modal`, and the
// command lines m-gpux runs for ssh, VS Code and rsync.
#pragma once

#include <mgpux/error.hpp>
#include <mgpux/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace dev::box {

using mgpux::Json;

constexpr int kDefaultHours = 12;
constexpr int kMaxHours = 24;  // Modal's longest sandbox
constexpr int kDefaultKeepDays = 30;

// Lowercase letters, digits and '-', 1..40, starting with a letter or digit
// (it becomes an ssh alias, an app name and part of a config marker).
bool valid_name(const std::string& name);

// "m-gpux-<name>": the ssh alias and the Modal app of a box.
std::string alias(const std::string& name);

// The document dev.json holds: an object of boxes by name. Absent = empty;
// anything but an object is refused (exit 3), so a corrupt file is never
// overwritten.
Json boxes_document(const Json& doc, const std::string& file_hint);

// A box whose hours have run out (now >= expires_at) while it runs.
bool expired(const Json& box, double now);

// "running", "paused", "expired", or "stopped" when the box's session was
// stopped from outside (`m-gpux stop` ends its app, and the sandbox with it).
std::string status(const Json& box, double now, const std::string& session_state = "");

// The object after the last "[m-gpux] RESULT " line of the driver's output;
// nullopt when there is none.
std::optional<Json> parse_result(const std::string& output);

// "<alias> <key type> <key>" for known_hosts; "" when the key is not one line
// of "<type> <base64>[ comment]".
std::string known_hosts_line(const std::string& name, const std::string& host_key);

// The known_hosts text with the line of `name`'s alias replaced by `line`
// ("" removes it); other lines are kept as they are.
std::string replace_known_host(const std::string& text, const std::string& name, const std::string& line);

// rsync's arguments for `dev sync push|pull`: archive mode over the box's
// ssh alias, the upload exclude rules (push and pull alike, so a pull never
// brings back what a push would leave out), --delete only when asked.
std::vector<std::string> rsync_args(bool push, const std::string& local_dir, const std::string& name,
                                    const std::vector<std::string>& excludes, bool delete_extra);

// VS Code's Remote-SSH command line for a box.
std::vector<std::string> code_args(const std::string& name);

}  // namespace dev::box
