// SPDX-License-Identifier: MIT
// mgpux/binding.hpp — commands bound to their handlers, so a command's path is
// written once: the same list gives the host its table and `run` its dispatch.
//
//   int greet(mgpux::Host& host, const mgpux::Args& args) { ... }
//
//   const mgpux::Commands kCommands{
//       mgpux::command("hello", "Greetings"),              // a group heading (no handler)
//       mgpux::command("hello greet", "Say hello",
//                      {mgpux::option("name").default_value("world").help("who to greet")},
//                      greet),
//   };
//   MGPUX_CPP_PLUGIN_COMMANDS("hello", "1.0.0", "Greetings", nullptr, kCommands)
//
// The Commands object owns its option tables, so it must outlive every call
// into the plugin: define it at namespace scope (or as a function's static).
#ifndef MGPUX_BINDING_HPP
#define MGPUX_BINDING_HPP

#include "args.hpp"
#include "command.hpp"
#include "entry.hpp"
#include "error.hpp"
#include "host.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace mgpux {

// What runs a command: its status is the command's exit status.
using Handler = std::function<int(Host&, const Args&)>;

// One command and its handler, before it joins a Commands list. The
// summary, help and trailing name must be static strings; the options are
// copied into the Commands list.
class BoundCommand {
public:
    BoundCommand(const char* path, const char* summary, std::vector<mgpux_option> options, Handler handler)
        : path_(path), summary_(summary), options_(std::move(options)), handler_(std::move(handler)) {}

    // An entry written the older way (mgpux::command(path, summary, ...)),
    // with no handler: a group heading, which the host never runs.
    BoundCommand(const mgpux_command& c)  // NOLINT: headings sit in the list as they are
        : path_(c.path),
          summary_(c.summary),
          options_(c.options, c.options + (c.options ? c.option_count : 0)),
          help_(c.help),
          flags_(c.flags),
          trailing_(c.trailing_name) {}

    BoundCommand help(const char* text) const {
        return with([&](BoundCommand& c) { c.help_ = text; });
    }
    // MGPUX_CMDF_* bits, added to those already set.
    BoundCommand flags(uint32_t bits) const {
        return with([&](BoundCommand& c) { c.flags_ |= bits; });
    }
    // Everything after `--` is accepted as the list `name`.
    BoundCommand trailing(const char* name) const {
        return with([&](BoundCommand& c) { c.trailing_ = name; });
    }

    const char* path() const { return path_; }
    const std::vector<mgpux_option>& options() const { return options_; }
    const Handler& handler() const { return handler_; }

    // The table entry; `options` must be this command's options where they
    // will stay (the Commands list's copy).
    mgpux_command entry(const std::vector<mgpux_option>& options) const {
        mgpux_command c{};
        c.struct_size = sizeof(mgpux_command);
        c.path = path_;
        c.summary = summary_;
        c.help = help_;
        c.options = options.empty() ? nullptr : options.data();
        c.option_count = static_cast<uint32_t>(options.size());
        c.flags = flags_;
        c.trailing_name = trailing_;
        return c;
    }

private:
    template <typename Edit>
    BoundCommand with(Edit edit) const {
        BoundCommand copy = *this;
        edit(copy);
        return copy;
    }
    const char* path_;
    const char* summary_;
    std::vector<mgpux_option> options_;
    Handler handler_;
    const char* help_ = nullptr;
    uint32_t flags_ = 0;
    const char* trailing_ = nullptr;
};

// A runnable command: path, summary, options and what runs it.
inline BoundCommand command(const char* path, const char* summary, std::initializer_list<mgpux_option> options,
                            Handler handler) {
    return BoundCommand(path, summary, std::vector<mgpux_option>(options), std::move(handler));
}
// The same with an option table built elsewhere (shared options).
inline BoundCommand command(const char* path, const char* summary, const std::vector<mgpux_option>& options,
                            Handler handler) {
    return BoundCommand(path, summary, options, std::move(handler));
}
// The same with a static option array.
template <std::size_t N>
BoundCommand command(const char* path, const char* summary, const mgpux_option (&options)[N], Handler handler) {
    return BoundCommand(path, summary, std::vector<mgpux_option>(options, options + N), std::move(handler));
}
// A runnable command without options.
inline BoundCommand command(const char* path, const char* summary, Handler handler) {
    return BoundCommand(path, summary, {}, std::move(handler));
}

// The plugin's commands: the table the descriptor points at, and the
// dispatch from a path to its handler. Neither copied nor moved, so the
// table's pointers into it stay valid.
class Commands {
public:
    Commands(std::initializer_list<BoundCommand> commands) : bound_(commands) {
        table_.reserve(bound_.size());
        for (const auto& c : bound_) table_.push_back(c.entry(c.options()));
    }
    Commands(const Commands&) = delete;
    Commands& operator=(const Commands&) = delete;

    const mgpux_command* table() const { return table_.data(); }
    uint32_t size() const { return static_cast<uint32_t>(table_.size()); }

    // Runs the handler bound to the command the host asked for. A path
    // without a handler (a group heading, which the host never runs) or
    // one not in the table is the plugin's own error, reported as failed.
    int run(Host& host, const Args& args) const {
        for (const auto& c : bound_) {
            if (args.command() != c.path()) continue;
            if (!c.handler()) break;
            return c.handler()(host, args);
        }
        throw Error(MGPUX_E_FAILED, "this plugin has no handler for '" + args.command() + "'");
    }

private:
    std::vector<BoundCommand> bound_;
    std::vector<mgpux_command> table_;
};

}  // namespace mgpux

// Defines the descriptor and the entry symbol of a C++ plugin whose commands
// are a mgpux::Commands list (an lvalue with static storage). Optional
// init/shutdown: MGPUX_CPP_PLUGIN_COMMANDS_EX, as for MGPUX_CPP_PLUGIN_EX.
#define MGPUX_CPP_PLUGIN_COMMANDS_EX(ID, VERSION, SUMMARY, PANEL, COMMANDS, INIT_FN, SHUTDOWN_FN)                     \
    MGPUX_DETAIL_CPP_PLUGIN(ID, VERSION, SUMMARY, PANEL, (COMMANDS).table(), (COMMANDS).size(), (COMMANDS).run(h, a), \
                            INIT_FN, SHUTDOWN_FN)

#define MGPUX_CPP_PLUGIN_COMMANDS(ID, VERSION, SUMMARY, PANEL, COMMANDS)                             \
    MGPUX_CPP_PLUGIN_COMMANDS_EX(ID, VERSION, SUMMARY, PANEL, COMMANDS, mgpux::detail::default_init, \
                                 mgpux::detail::default_shutdown)

#endif  // MGPUX_BINDING_HPP
