// SPDX-License-Identifier: MIT
/*
 * mgpux/plugin.h — the C ABI between the m-gpux host and its plugins.
 *
 * This umbrella is the only header a plugin author needs to include. It
 * compiles as C11 and as C++11/14/17/20 with -Wall -Wextra -pedantic -Werror,
 * and so does each header it includes, one concept per file:
 *
 *   mgpux/version.h     ABI versions, export macro, MGPUX_HAS_MEMBER and the
 *                       rules that hold everywhere
 *   mgpux/status.h      status codes (equal to the process exit codes)
 *   mgpux/command.h     the command table and the values `run` receives
 *   mgpux/host.h        host services v1 (the function table passed to init)
 *   mgpux/service/      later services fetched with get_service, one per
 *                       file (process, modal, runner, profiles, state,
 *                       catalog, http; service.h holds their common rules)
 *   mgpux/entry.h       the plugin descriptor and the one exported symbol
 */
#ifndef MGPUX_PLUGIN_H
#define MGPUX_PLUGIN_H

#include "version.h"
#include "status.h"
#include "command.h"
#include "host.h"
#include "service/service.h"
#include "service/process.h"
#include "service/modal.h"
#include "service/runner.h"
#include "service/profiles.h"
#include "service/state.h"
#include "service/catalog.h"
#include "service/http.h"
#include "entry.h"

#endif /* MGPUX_PLUGIN_H */
