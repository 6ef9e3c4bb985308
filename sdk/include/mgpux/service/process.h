// SPDX-License-Identifier: MIT
/*
 * mgpux/service/process.h — mgpux.process/1: local helper processes
 * Plugins never start processes themselves (the host owns signals, process
 * groups and cleanup); they ask here for a
 * local helper (a Python check, an editor, a URL opener, the local proxy).
 * `modal` itself goes through the modal and runner services.
 */
#ifndef MGPUX_SERVICE_PROCESS_H
#define MGPUX_SERVICE_PROCESS_H

#include "service.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MGPUX_SERVICE_PROCESS "mgpux.process/1" /* local helper processes */

/* Streams named to a line callback. */
#define MGPUX_STREAM_STDOUT 1
#define MGPUX_STREAM_STDERR 2

/* What a line callback answers. */
#define MGPUX_LINE_CONTINUE 0 /* keep watching */
#define MGPUX_LINE_STOP 1     /* interrupt the child (SIGINT to its process group) and wait for it */

/* Called on the service's thread for each complete output line (without
 * the newline) of a watched child. `line` is valid for the call. */
typedef int32_t (*mgpux_line_fn)(void* user, int32_t stream, const char* line);

typedef struct mgpux_process_service {
    uint32_t struct_size; /* sizeof(mgpux_process_service) as the host was built */

    /* Runs a program and waits for it.
     * request_json: {
     *   "program": "python3" | "modal" | a name on PATH | an absolute path,
     *   "args": [str...],
     *   "env": {"NAME": str | null (null unsets)},   optional
     *   "cwd": str,                                   optional
     *   "stdin": "null" (default) | "inherit" | "text",
     *   "input": str                                  with "stdin": "text",
     *   "output": "capture" (default) | "inherit" | "watch",
     *   "timeout_s": number,                          optional; kills the process group
     *   "detach": bool          start it in its own session, stdio on /dev/null,
     *                           and return at once (a browser opener)
     * }
     * "watch" shows each line (stdout lines on stdout, or stderr under --json)
     * and calls on_line (may be NULL); "inherit" gives the child the terminal
     * (for an editor). Children get PYTHONIOENCODING=utf-8 and PYTHONUTF8=1
     * unless set. "python3" and "modal" honour MGPUX_PYTHON / MGPUX_MODAL.
     * out_json: {"exit_code": int, "signal": int, "timed_out": bool,
     *            "interrupted": bool, "stdout": str, "stderr": str, "pid": int,
     *            "output_overflow": bool}
     * Output is bounded: "stderr" (and "stdout" with "watch") is the last
     * 64 KiB; captured stdout past 64 MiB kills the child, sets
     * "output_overflow" and is left empty.
     * Returns MGPUX_OK when the child ran, whatever its exit code;
     * MGPUX_E_MISSING_PROGRAM (with an install hint) when the program is not
     * found; MGPUX_E_USAGE for a malformed request; MGPUX_E_FAILED when it
     * could not start. */
    int32_t (*run)(const mgpux_host* host, const char* request_json, mgpux_line_fn on_line, void* user,
                   const char** out_json);

    /* The absolute path of `program` ("python3", "modal" or a name on PATH),
     * or MGPUX_E_MISSING_PROGRAM with an install hint. */
    int32_t (*locate)(const mgpux_host* host, const char* program, const char** out_path);

    /* Reads all of this process's stdin (at most 1 MiB) when it is not a
     * terminal: a piped secret (`--token-secret -`) or a pasted line.
     * *out_text is the text with one trailing newline removed. Stdin that is
     * a terminal is MGPUX_E_USAGE (ask with prompt_text instead); a second
     * call returns what the first one read. */
    int32_t (*read_stdin)(const mgpux_host* host, const char** out_text); /* since 1.1 */

    /* Opens an http(s) URL in the user's browser (xdg-open, or open on
     * macOS), started detached. *out_opened is 0 when there is no opener
     * (or under --dry-run): printing the URL is then the plugin's job.
     * Another scheme is MGPUX_E_USAGE. */
    int32_t (*open_url)(const mgpux_host* host, const char* url, int32_t* out_opened); /* since 1.1 */
} mgpux_process_service;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MGPUX_SERVICE_PROCESS_H */
