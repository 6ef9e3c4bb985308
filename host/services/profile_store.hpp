// SPDX-License-Identifier: MIT
// Modal profiles in the TOML file Modal itself reads (~/.modal.toml or
// $MODAL_CONFIG_PATH; the caller resolves the path).
//
// Reading: the bytes must be valid UTF-8 (checked before toml11 sees them)
// and valid TOML whose top-level keys are all tables; otherwise
// ServiceError(kExitConfig) naming the file. A missing file has no profiles.
//
// Editing is line-based on the original bytes, because toml11 cannot write a
// document back without reformatting it: every line an edit does not touch
// stays byte-for-byte (comments, blank lines, unknown keys, number spellings,
// CRLF, a missing final newline). The new text is re-parsed and checked
// before it replaces the file (ServiceError(kExitFailed) when it would not
// parse or not say what was asked), under a lock on `<path>.lock`, written
// atomically with mode 0600. A profile that has no [name] header of its own
// (an inline table, dotted keys, only [name.sub] tables) cannot be edited
// this way: ServiceError(kExitConfig) naming the file and the key.
//
// Token values never leave the store: readers see only whether they are set.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mgpux::services {

struct ProfileInfo {
    std::string name;
    bool active = false;  // true for the profile active() returns, and only it
    bool has_token_id = false;
    bool has_token_secret = false;
    std::string environment;  // the profile's `environment` key; "" when unset
};

// What a pasted `modal token set --token-id … --token-secret … [--profile …]`
// line says. Each flag may be followed by whitespace or `=`; one pair of
// matching quotes around a value is removed. Both tokens are required;
// nullopt when the text is not such a line. A value with a quote left over
// (unclosed or stray) is ServiceError(kExitUsage), so it is never stored.
struct TokenCommand {
    std::string token_id;
    std::string token_secret;
    std::optional<std::string> profile;
};
std::optional<TokenCommand> parse_token_command(std::string_view pasted);

// Why `name` cannot be a new profile's name, or nullopt when it can. The rule
// of preset names: 1-64 of [A-Za-z0-9._-], starting with a letter or digit,
// so a name reads well in tables and shell commands and needs no quoting.
// The message states the rule.
std::optional<std::string> profile_name_problem(std::string_view name);
// The same as ServiceError(kExitUsage).
void require_valid_profile_name(std::string_view name);

// The one profile precedence of every service: the profile a command names is `plugin_override`
// (a service request's "profile"), else `command_line` (--profile), else $MODAL_PROFILE as Modal
// reads it; an empty name counts as none. nullopt when nothing is named: Modal then takes the
// active profile (ProfileStore::resolve gives it, and checks a named one exists).
std::optional<std::string> named_profile(const std::optional<std::string>& plugin_override,
                                         const std::optional<std::string>& command_line);

class ProfileStore {
public:
    explicit ProfileStore(std::filesystem::path config_path);

    const std::filesystem::path& path() const { return path_; }

    // Profiles in file order; a missing file gives none.
    std::vector<ProfileInfo> list() const;
    // The first table with `active = true`, as Modal picks it.
    std::optional<std::string> active() const;
    bool contains(const std::string& name) const;

    // The profile a command uses: `requested` when given (it must exist, else
    // ServiceError(kExitUsage) listing the known ones), else the active one,
    // else none.
    std::optional<std::string> resolve(const std::optional<std::string>& requested) const;

    // Adds a table, or rewrites only the token_id/token_secret lines of an
    // existing one; returns true when it created the table. A new first profile,
    // or `activate`, becomes the only active one. A name profile_name_problem
    // refuses, an empty token, or one with control characters or invalid UTF-8,
    // is ServiceError(kExitUsage).
    bool upsert(const std::string& name, const std::string& token_id, const std::string& token_secret, bool activate);

    // Deletes the profile's table(s) (`[name]`, `[name.sub]`): the header and
    // every line up to the next header. Comment lines directly above a header
    // (no blank line between) count as that table's: the ones above the removed
    // header go with it (unless they open the file), the ones above the next
    // header stay. Blank lines left dangling at the end of the file go too.
    // When the profile was active, the first remaining profile becomes active
    // and its name is returned. Unknown name: ServiceError(kExitUsage).
    std::optional<std::string> remove(const std::string& name);

    // Makes `name` the only active profile: drops `active` lines from every
    // other profile and sets its own (kept as is when already `true`, else
    // inserted after its last key line). Unknown name: ServiceError(kExitUsage).
    void set_active(const std::string& name);

private:
    std::filesystem::path path_;
};

}  // namespace mgpux::services
