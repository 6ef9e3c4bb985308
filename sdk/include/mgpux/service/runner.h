// SPDX-License-Identifier: MIT
/*
 * mgpux/service/runner.h — mgpux.runner/1: run a rendered script
 * The host owns the script file (~/.m-gpux/runs/<run-id>/), the summary,
 * the review prompt, --dry-run and --script-out, the secrets, the child,
 * the session record and the "stop the app now?" question.
 */
#ifndef MGPUX_SERVICE_RUNNER_H
#define MGPUX_SERVICE_RUNNER_H

#include "service.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MGPUX_SERVICE_RUNNER "mgpux.runner/1" /* run a rendered script */

typedef struct mgpux_runner_service {
    uint32_t struct_size; /* sizeof(mgpux_runner_service) as the host was built */

    /* request_json: {
     *   "script": str,                 the rendered Python (required)
     *   "app_name": str,               the modal.App name in it (required)
     *   "mode": "run" | "serve" | "deploy",          default "run"
     *   "detach": bool,                `modal run --detach` (run only)
     *   "background": bool,            return once the app id and the READY
     *                                  URL are known; the app keeps running
     *   "ready_timeout_s": number,     background: how long to wait (600)
     *   "wait_timeout_s": number,      an attached run: stop waiting (and
     *                                  the client) after this many seconds
     *   "description": str,            "Jupyter on L4"
     *   "compute": str, "timeout_s": number, "deps": [str], "uploads": [str],
     *   "profile": str | null,         null: the command's --profile
     *   "secrets": [{"name": str, "values": {"KEY": str}}],
     *   "session": {...} | null,       recorded for a detached run or a deploy
     *                                  as soon as the app id is known
     *                                  (kind, compute, local_dir, ...)
     *   "files": [{"name": str, "content": str}]  extra 0600 files kept in
     *                                  the run directory (credentials)
     * }
     * out_json: {
     *   "status": "completed" | "failed" | "dry_run" | "cancelled" |
     *             "interrupted" | "background",
     *   "exit_code": int | null, "app_id": str | null, "url": str | null,
     *   "ready": [str], "results": [value], "run_id": str | null,
     *   "run_dir": str | null, "script_path": str | null,
     *   "command": [str], "session_id": str | null, "stopped": bool
     * }
     * Returns MGPUX_OK for a completed, dry, background or interrupted
     * detached run; MGPUX_E_CANCELLED when the user cancelled at the review
     * or interrupted an attached run; MGPUX_E_FAILED when modal failed
     * (naming its exit code); MGPUX_E_USAGE for a malformed request. */
    int32_t (*run)(const mgpux_host* host, const char* request_json, const char** out_json);
} mgpux_runner_service;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MGPUX_SERVICE_RUNNER_H */
