// SPDX-License-Identifier: MIT
#include "cli/man_page.hpp"

#include "cli/command_tree.hpp"
#include "cli/help.hpp"

#include <cstdio>
#include <vector>

namespace mgpux::cli {

namespace {

// The code point of the UTF-8 sequence at s[i], advancing i past it.
unsigned next_code_point(const std::string& s, std::size_t& i) {
    const auto byte = [&](std::size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
    unsigned c = byte(i);
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    unsigned cp = extra == 3 ? c & 0x07 : extra == 2 ? c & 0x0F : extra == 1 ? c & 0x1F : c;
    for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
    i += 1 + extra;
    return cp;
}

// Text for one roff line: backslashes, minus signs (every '-' here is one:
// options and command names are typed), and anything beyond ASCII as a
// named glyph, so groff needs no input encoding.
std::string escape(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        if (static_cast<unsigned char>(c) >= 0x80) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "\\[u%04X]", next_code_point(text, i));
            out += buf;
            continue;
        }
        ++i;
        if (c == '\\') out += "\\e";
        else if (c == '-') out += "\\-";
        else if (c == '\t') out += ' ';
        else out += c;
    }
    return out;
}

// A line of running text: a leading '.' or '\'' would be read as a request.
std::string text_line(const std::string& line) {
    std::string e = escape(line);
    if (!e.empty() && (e[0] == '.' || e[0] == '\'')) e = "\\&" + e;
    return e + "\n";
}

// Paragraph text that may hold several lines; an empty line becomes vertical space.
std::string text_block(const std::string& text) {
    std::string out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(start, end - start);
        out += line.find_first_not_of(' ') == std::string::npos ? ".sp\n" : text_line(line);
        start = end + 1;
    }
    return out;
}

std::string trim_left(const std::string& s) {
    const auto first = s.find_first_not_of(' ');
    return first == std::string::npos ? "" : s.substr(first);
}

// "-g, --gpu GPU" as bold option names and an italic value name.
std::string option_tag(const std::string& spelling) {
    std::string out;
    std::size_t start = 0;
    const std::string s = trim_left(spelling);
    while (start < s.size()) {
        std::size_t end = s.find(' ', start);
        if (end == std::string::npos) end = s.size();
        std::string word = s.substr(start, end - start);
        const bool comma = !word.empty() && word.back() == ',';
        if (comma) word.pop_back();
        out += (out.empty() ? "" : " ") + std::string(word[0] == '-' ? "\\fB" : "\\fI") + escape(word) + "\\fR" +
               (comma ? "," : "");
        start = end + 1;
    }
    return out;
}

std::string tagged(const std::string& tag, const std::string& body) {
    return ".TP\n" + tag + "\n" + (body.empty() ? "" : text_block(body));
}

std::string command_section(const CommandNode& node) {
    std::string out = ".SS \"" + escape("m-gpux " + node.path_string()) + "\"\n";
    std::string usage = usage_line(node);
    usage = usage.substr(usage.find(':') + 2);
    while (!usage.empty() && usage.back() == '\n') usage.pop_back();
    out += ".B " + escape(usage) + "\n.PP\n";
    const std::string summary = node.command && !node.command->summary.empty() ? node.command->summary : node.summary;
    out += text_block(summary);
    if (!node.command) return out;
    if (!node.command->help.empty()) out += ".PP\n" + text_block(node.command->help);
    for (const auto& o : node.command->options) {
        if (o.hidden) continue;
        out += tagged(o.positional ? "\\fI" + escape(o.metavar) + "\\fR" : option_tag(option_left(o)), option_right(o));
    }
    if (node.command->destructive)
        out += ".PP\nThis command is destructive: under \\-\\-no\\-input it needs \\-\\-yes.\n";
    return out;
}

std::string commands_section(const CommandNode& root) {
    std::string out = ".SH COMMANDS\n";
    visit(root, [&](const CommandNode& n) {
        if (!n.path.empty()) out += command_section(n);
    });
    return out;
}

std::string global_options_section() {
    std::string out = ".SH GLOBAL OPTIONS\nAccepted before or after the command words.\n";
    for (const auto& d : global_option_docs()) out += tagged(option_tag(d.spelling), d.help);
    return out;
}

struct Entry {
    const char* name;
    const char* text;
};

std::string entries(const char* title, const std::vector<Entry>& list, bool bold = true) {
    std::string out = std::string(".SH ") + title + "\n";
    for (const auto& e : list) out += tagged(std::string(bold ? "\\fB" : "\\fI") + escape(e.name) + "\\fR", e.text);
    return out;
}

std::string exit_status_section() {
    return entries("EXIT STATUS", {
                                      {"0", "success"},
                                      {"1", "the operation failed (a modal call failed, a plugin was refused, ...)"},
                                      {"2", "usage error, or a question that cannot be asked without --yes"},
                                      {"3", "a configuration or state file is unreadable or unsafe"},
                                      {"4", "a required program (modal, python3) is missing"},
                                      {"130", "cancelled by the user"},
                                  });
}

std::string environment_section() {
    return entries(
        "ENVIRONMENT",
        {
            {"MGPUX_HOME", "state directory (default ~/.m-gpux)"},
            {"MODAL_CONFIG_PATH", "Modal's profile file (default ~/.modal.toml)"},
            {"MODAL_PROFILE", "the active Modal profile when no --profile is given"},
            {"MODAL_TOKEN_ID, MODAL_TOKEN_SECRET", "Modal credentials used when no profile file is set up"},
            {"MGPUX_PLUGIN_PATH", "plugin directories (colon-separated) that replace all others"},
            {"MGPUX_ADD_PLUGIN_PATH", "plugin directories searched before the user and system ones"},
            {"MGPUX_ALLOW_UNSAFE_PLUGINS", "1: load plugin files writable by group or others (not recommended)"},
            {"MGPUX_NO_PLUGIN_CACHE", "1: neither read nor write the plugin metadata cache"},
            {"MGPUX_DEBUG", "plugins: print every plugin discovery decision on standard error"},
            {"MGPUX_MODAL, MGPUX_PYTHON", "the modal and python3 programs to use instead of those on PATH"},
            {"MGPUX_PROXY", "the native serve proxy to run instead of the one installed beside m-gpux"},
            {"MGPUX_BACKEND", "modal (default) or local: where workloads run, like --backend"},
            {"MGPUX_API_KEY", "the API key serve commands use when none is given"},
            {"MGPUX_PUBLIC_IP", "this machine's public address, for dev boxes that limit their tunnel to it"},
            {"MGPUX_NO_ANIMATION", "no intro animation on the welcome screen"},
            {"XDG_DATA_HOME", "the user plugin directory is $XDG_DATA_HOME/m-gpux/plugins"},
            {"XDG_CONFIG_HOME", "template overrides in $XDG_CONFIG_HOME/m-gpux/templates"},
            {"XDG_CACHE_HOME", "the plugin metadata cache is $XDG_CACHE_HOME/m-gpux/plugins.json"},
            {"VISUAL, EDITOR", "the editor for the review step's edit choice (default nano)"},
            {"NO_COLOR", "no colour, as --color never"},
            {"TERM", "dumb: no spinner"},
            {"PATH", "where modal and python3 are looked for (unless MGPUX_MODAL, MGPUX_PYTHON say)"},
            {"HOME", "where the default locations above are"},
        });
}

std::string files_section() {
    return entries("FILES", {
                                {"~/.modal.toml", "Modal profiles (the file Modal itself reads)"},
                                {"~/.m-gpux/", "state (directory 0700, files 0600)"},
                                {"~/.m-gpux/sessions.json", "the launches m-gpux recorded"},
                                {"~/.m-gpux/presets.json", "saved launch presets"},
                                {"~/.m-gpux/api_keys.json", "API keys of served models"},
                                {"~/.m-gpux/budgets.json", "monthly spending limits"},
                                {"~/.m-gpux/images.json", "published images"},
                                {"~/.m-gpux/dev.json", "dev boxes"},
                                {"~/.m-gpux/runs/", "rendered scripts, one directory per run"},
                                {"~/.m-gpux/local/", "volumes and apps of the local backend"},
                                {"~/.local/share/m-gpux/plugins/", "plugins you installed (m-gpux plugins install)"},
                                {"<libdir>/m-gpux/plugins/", "system plugins, found relative to the m-gpux executable"},
                                {"~/.config/m-gpux/templates/", "your template overrides"},
                                {"~/.cache/m-gpux/plugins.json", "plugin metadata cache"},
                            });
}

}  // namespace

std::string man_page(const CommandNode& root, const std::string& version, const std::string& date) {
    std::string out;
    out += ".\\\" Generated by m-gpux from its command table; edit the commands, not this file.\n";
    out += ".TH M\\-GPUX 1 \"" + date + "\" \"m\\-gpux " + escape(version) + "\" \"User Commands\"\n";
    out += ".nh\n.ad l\n";  // no hyphenation inside option names, no stretched lines
    out += ".SH NAME\nm\\-gpux \\- run GPU work on Modal from the command line\n";
    out +=
        ".SH SYNOPSIS\n.B m\\-gpux\n[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIsubcommand\\fR] [\\fIoptions\\fR] "
        "[\\fIargs\\fR]\n";
    out += ".SH DESCRIPTION\n";
    out += text_block(
        "m-gpux manages Modal accounts, launches notebooks, scripts, terminals and dev containers, deploys web "
        "apps and LLM servers, trains image classifiers, makes videos from text, and tracks sessions and spend.\n"
        "Every command group is a plugin; the commands below are those of the plugins this page was written "
        "with. 'm-gpux --help' and 'm-gpux commands' list the commands loaded now, and 'm-gpux COMMAND --help' "
        "shows one.");
    out += global_options_section();
    out += commands_section(root);
    out += exit_status_section();
    out += environment_section();
    out += files_section();
    out += ".SH SEE ALSO\n";
    out += text_block(
        "modal(1) is Modal's own command line; m-gpux runs it. The README in the m-gpux documentation "
        "directory describes every command at length.");
    return out;
}

}  // namespace mgpux::cli
