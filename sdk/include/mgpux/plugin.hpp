// SPDX-License-Identifier: MIT
// mgpux/plugin.hpp — optional header-only C++17 helper over mgpux/plugin.h.
//
// A plugin author writes ordinary C++: options through the builder, and
// each command bound to its handler so its path is written once:
//
//   int greet(mgpux::Host& host, const mgpux::Args& args) {
//       host.text("hello, " + args.str("name") + "\n");
//       return MGPUX_OK;
//   }
//   const mgpux_option kGreetOptions[] = {
//       mgpux::option("name").alias('n').default_value("world").help("who to greet"),
//   };
//   const mgpux::Commands kCommands{
//       mgpux::command("hello", "Say hello", kGreetOptions, greet),
//   };
//   MGPUX_CPP_PLUGIN_COMMANDS("hello", "1.0.0", "Greetings", nullptr, kCommands)
//
// Every callback into the plugin goes through a noexcept trampoline: a
// mgpux::Error becomes its status code, any other exception becomes
// MGPUX_E_FAILED with its what() passed to set_error. No exception crosses.
//
// This umbrella includes the whole helper, one concept per header:
//   json.hpp              mgpux::Json, the JSON codec
//   error.hpp             mgpux::Error, the exception that carries a status
//   command.hpp           option("x").alias('x').help(..), positional(): builders
//   args.hpp              mgpux::Args: typed access to the values of a run
//   host.hpp              mgpux::Host: the host table as a class
//   services/<name>.hpp   one wrapper per service (Process, Modal, Runner,
//                         Profiles, State, Catalog, Http)
//   contracts.hpp         RunRequest, RunResult and the other service documents
//   entry.hpp             the entry symbol and trampolines
//   binding.hpp           mgpux::Commands, MGPUX_CPP_PLUGIN_COMMANDS: each command
//                         bound to its handler
#ifndef MGPUX_PLUGIN_HPP
#define MGPUX_PLUGIN_HPP

#include "plugin.h"

#include "json.hpp"
#include "contracts.hpp"
#include "error.hpp"
#include "command.hpp"
#include "args.hpp"
#include "host.hpp"
#include "services/process.hpp"
#include "services/modal.hpp"
#include "services/runner.hpp"
#include "services/profiles.hpp"
#include "services/state.hpp"
#include "services/catalog.hpp"
#include "services/http.hpp"
#include "entry.hpp"
#include "binding.hpp"

// What this header gave before it was split, so plugins that relied on it
// keep compiling.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#endif  // MGPUX_PLUGIN_HPP
