// SPDX-License-Identifier: MIT
/*
 * mgpux/service/modal.h — mgpux.modal/1: every `modal` call but running a script
 * The profile is pinned with MODAL_PROFILE only: `profile` NULL means the
 * command's --profile, else $MODAL_PROFILE, else Modal's own active
 * profile. A named profile that
 * is not in the profile file is MGPUX_E_USAGE. A failing call returns
 * MGPUX_E_FAILED naming the command, its exit code and the last line of its
 * stderr; out_json is filled all the same. A missing `modal` is
 * MGPUX_E_MISSING_PROGRAM.
 */
#ifndef MGPUX_SERVICE_MODAL_H
#define MGPUX_SERVICE_MODAL_H

#include "service.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MGPUX_SERVICE_MODAL "mgpux.modal/1" /* every other `modal` call */

typedef struct mgpux_modal_service {
    uint32_t struct_size; /* sizeof(mgpux_modal_service) as the host was built */

    /* One call. request_json: {
     *   "args": ["app", "list", "--json"],   the words after `modal`
     *   "profile": str | null,
     *   "timeout_s": number,                  default 60
     *   "output": "capture" (default) | "inherit" (e.g. `app logs -f`)
     * }
     * The host enforces today's Modal rules: `app stop` always gets --yes;
     * `secret create` with KEY=VALUE words is refused (use secret_create).
     * out_json: {"profile": str|null, "exit_code": int, "timed_out": bool,
     *   "stdout": str, "stderr": str, "json": value|null, "ok": bool,
     *   "error": str|null (the message set_error got: command, exit code
     *   and the last stderr line that says something)}
     * "json" is stdout parsed when "--json" is among the args; in arrays of
     * objects the keys are normalised to snake_case, so "App ID" and
     * "app_id" both read as "app_id". Unparseable JSON is MGPUX_E_FAILED, and
     * so is stdout past 64 MiB (the call is stopped); "stderr" is its last 64 KiB. */
    int32_t (*call)(const mgpux_host* host, const char* request_json, const char** out_json);

    /* The same call once per profile, concurrently (a pool as large as the
     * number of profiles, at most 16). request_json as for call, with
     * "profiles": [str...] (default: every profile in the file) instead of
     * "profile". out_json: [{"profile", "ok": bool, "error": str|null,
     * "exit_code", "timed_out", "stdout", "stderr", "json"}] in profile
     * order. A failing row never stops the others; the function returns
     * MGPUX_OK unless the request itself is bad. */
    int32_t (*fan_out)(const mgpux_host* host, const char* request_json, const char** out_json);

    /* `modal app stop --yes <app_id>`. out_json as for call. */
    int32_t (*app_stop)(const mgpux_host* host, const char* profile, const char* app_id, const char** out_json);

    /* Creates (or replaces) secret `name` from `values_json` ({"KEY": "value"})
     * through a 0600 dotenv file that is removed afterwards; the values never
     * reach argv, a log or a script. */
    int32_t (*secret_create)(const mgpux_host* host, const char* profile, const char* name, const char* values_json);

    /* `modal secret delete --yes <name>`; a missing secret is not an error. */
    int32_t (*secret_delete)(const mgpux_host* host, const char* profile, const char* name);

    /* Several different calls at once (at most 16 running at a time).
     * request_json: [{"args", "profile", "timeout_s"}...] (as for call; no
     * "inherit" output). out_json: rows as for fan_out, in request order.
     * Returns MGPUX_OK unless a request itself is bad. */
    int32_t (*call_many)(const mgpux_host* host, const char* request_json, const char** out_json); /* since 1.1 */
} mgpux_modal_service;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MGPUX_SERVICE_MODAL_H */
