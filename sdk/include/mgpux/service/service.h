// SPDX-License-Identifier: MIT
/*
 * mgpux/service/service.h — what the services fetched with
 * mgpux_host.get_service have in common. Each service has a header of its
 * own beside this one, which names its id (MGPUX_SERVICE_*).
 *
 * Each id carries a revision. The table get_service returns is host-owned,
 * static for the process, and starts with uint32_t struct_size: a plugin
 * checks MGPUX_HAS_MEMBER (mgpux/version.h) before calling a function added
 * after the first revision. A host may return NULL for any id: check before
 * use.
 *
 * Common rules for every service function:
 *  - `host` is the table the plugin received in init.
 *  - Strings passed in are UTF-8, valid for the call; NULL where a
 *    parameter says so.
 *  - Structured values cross as JSON text (the rule of mgpux/command.h).
 *  - `*out_json` / `*out_*` strings are host-owned and stay valid until the
 *    next call of any function of the same service by this plugin, or the
 *    end of the current plugin call, whichever comes first. Copy what you
 *    keep.
 *  - The return value is a status (mgpux/status.h). On an error the host has
 *    already called set_error with a message for the user; the plugin
 *    returns that status from run (the message is printed once).
 *  - Services run on the plugin's calling thread and may block (child
 *    processes, locks). They are not reentrant from other threads.
 *  - Under --dry-run every function that would change something outside
 *    the process (a state file, the profile file, a Modal object) changes
 *    nothing and says what it would have done.
 */
#ifndef MGPUX_SERVICE_SERVICE_H
#define MGPUX_SERVICE_SERVICE_H

#include <stdint.h>

#include "../host.h"
#include "../status.h"
#include "../version.h"

#endif /* MGPUX_SERVICE_SERVICE_H */
