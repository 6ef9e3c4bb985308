// SPDX-License-Identifier: MIT
// A small third-party plugin: one command that reads options and prints
// through the host's output service (plain text, or JSON under --json).
#include <mgpux/plugin.hpp>

#include <algorithm>
#include <cctype>

namespace {

constexpr mgpux_option kOptions[] = {
    mgpux::option("name").alias('n').help("who to greet").default_value("world"),
    mgpux::option("shout").flag().help("greet in capitals"),
    mgpux::option("times").kind(MGPUX_OPT_INT).help("how many greetings").default_value("1"),
};

int hello(mgpux::Host& host, const mgpux::Args& args) {
    const long long times = args.integer("times");
    if (times < 1 || times > 100) throw mgpux::usage_error("--times must be between 1 and 100");
    std::string greeting = "Hello, " + args.str("name") + "!";
    if (args.flag("shout"))
        std::transform(greeting.begin(), greeting.end(), greeting.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (args.global_flag("json")) {
        mgpux::Json lines = mgpux::Json::array();
        for (long long i = 0; i < times; ++i) lines.push(greeting);
        mgpux::Json doc = mgpux::Json::object();
        doc.set("greetings", lines);
        host.json(doc);
        return MGPUX_OK;
    }
    for (long long i = 0; i < times; ++i) host.text(greeting + "\n");
    return MGPUX_OK;
}

// Each command's path is written once: the table entry and the handler it runs.
const mgpux::Commands kCommands{
    mgpux::command("hello", "Say hello (an example plugin built against the installed SDK)", kOptions, hello)
        .help("Greets NAME, TIMES times. Shows how a plugin reads typed options and\n"
              "prints through the host, which handles --json and --quiet.")
        .flags(MGPUX_CMDF_JSON),
};

}  // namespace

MGPUX_CPP_PLUGIN_COMMANDS("hello", "1.0.0", "Example plugin: say hello", "Examples", kCommands)
