// SPDX-License-Identifier: MIT
// The welcome screen of `m-gpux` without a command.
#include "builtins/builtins.hpp"

#include "services/console.hpp"
#include "util/paths.hpp"

#include "mgpux/plugin.h"

#include <chrono>
#include <thread>
#include <unistd.h>

namespace mgpux::builtins {

namespace {

const char* const kLogo[] = {
    R"( __  __        ____ ____  _   ___  __)", R"(|  \/  |      / ___|  _ \| | | \ \/ /)",
    R"(| |\/| |_____| |  _| |_) | | | |\  / )", R"(| |  | |_____| |_| |  __/| |_| |/  \ )",
    R"(|_|  |_|      \____|_|    \___//_/\_\)", R"(                                     )",
};

struct QuickAction {
    const char* command;  // words after m-gpux
    const char* description;
};

// The original's quick actions, in its order; shown only when loaded.
const QuickAction kQuickActions[] = {
    {"account add", "configure a token profile"},
    {"dev", "persistent dev container for this folder"},
    {"hub", "Jupyter, script runner or web shell on a GPU"},
    {"sessions list", "tracked hub and dev sessions"},
    {"preset list", "saved workload presets"},
    {"vision train", "train an image classifier"},
    {"serve deploy", "an LLM as an OpenAI-compatible API"},
    {"video generate", "text-to-video"},
    {"stop", "stop apps and release GPUs"},
    {"load probe", "GPU hardware metrics"},
    {"billing usage --all", "spend across accounts"},
};

bool loaded(const cli::CommandNode& root, const std::string& command) {
    const cli::CommandNode* node = &root;
    std::size_t start = 0;
    while (start < command.size()) {
        std::size_t end = command.find(' ', start);
        std::string word = command.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (word.rfind("--", 0) == 0) break;
        node = node->child(word);
        if (!node) return false;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return node != &root;
}

void animate(services::Console& c) {
    static const char* const labels[] = {"booting Modal control plane", "warming GPU workflows",
                                         "syncing sessions and presets", "ready"};
    for (int i = 0; i < 4; ++i) {
        c.out() << "\r\033[K\033[36m" << std::string(static_cast<std::size_t>(3 * (i + 1)), '>') << "\033[0m M-GPUX "
                << labels[i] << std::flush;
        std::this_thread::sleep_for(std::chrono::milliseconds(120));
    }
    c.out() << "\r\033[K" << std::flush;
}

}  // namespace

void welcome(HostContext& ctx) {
    auto& c = *ctx.console;
    const bool color = c.settings().color_stdout;
    if (color && !c.settings().json && ::isatty(STDOUT_FILENO) && !util::env("MGPUX_NO_ANIMATION")) animate(c);

    std::string logo;
    for (const char* line : kLogo) logo += std::string("  ") + line + "\n";
    c.text(services::TextKind::Heading, logo);
    c.text(services::TextKind::Plain, "  Modal GPU Orchestrator  v" + ctx.version + " (plugin ABI " +
                                          std::to_string(MGPUX_ABI_MAJOR) + "." + std::to_string(MGPUX_ABI_MINOR) +
                                          ")\n\n");

    services::Table t;
    t.title = "Quick actions:";
    t.columns = {"COMMAND", "WHAT IT DOES"};
    for (const auto& qa : kQuickActions)
        if (loaded(*ctx.root, qa.command)) t.rows.push_back({std::string("m-gpux ") + qa.command, qa.description});
    // Loaded command groups that the original's list does not name.
    for (const auto& [name, child] : ctx.root->children) {
        if (!child->owner) continue;
        bool listed = false;
        for (const auto& qa : kQuickActions) listed = listed || std::string(qa.command).rfind(name, 0) == 0;
        if (!listed) t.rows.push_back({"m-gpux " + name, child->summary});
    }
    if (t.rows.empty()) {
        c.text(services::TextKind::Warning,
               "No command plugins are loaded. 'm-gpux plugins list' shows where the host looked.\n");
    } else {
        c.table(t);
    }
    c.text(services::TextKind::Dim,
           "\nTip: 'm-gpux --help' lists every command; 'm-gpux <command> --help' its options.\n");
}

}  // namespace mgpux::builtins
