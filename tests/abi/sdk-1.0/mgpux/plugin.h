// SPDX-License-Identifier: MIT
/*
 * mgpux/plugin.h — the C ABI between the m-gpux host and its plugins.
 *
 * This is the only header a plugin author needs. It compiles as C11 and as
 * C++11/14/17/20 with -Wall -Wextra -pedantic -Werror.
 *
 * Reading guide, one concept per section:
 *   1. Versions and export macros
 *   2. Status codes (equal to the process exit codes of m-gpux)
 *   3. The command table (data the host parses without running plugin code)
 *   4. Host services v1 (function table passed to init)
 *   5. Later services fetched by id
 *   6. The plugin descriptor and the one exported entry symbol
 *
 * Rules that hold everywhere:
 *   - Every struct that crosses the boundary starts with `struct_size` and
 *     only ever grows at the end. A reader treats a field that lies beyond
 *     `struct_size` as absent (NULL / 0).
 *   - Strings are UTF-8 and NUL-terminated.
 *   - Nothing is ever freed on the other side of the boundary.
 *   - Threading: the host calls a plugin from one thread only (the main
 *     thread). Host services may only be called from inside a call the host
 *     made into the plugin (init or run), on that same thread.
 */
#ifndef MGPUX_PLUGIN_H
#define MGPUX_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * 1. Versions and export macros
 * ---------------------------------------------------------------------- */

/* The host loads a plugin only if its abi_major equals MGPUX_ABI_MAJOR and its
 * abi_minor is not newer than the host's. Minor bumps only append fields. */
#define MGPUX_ABI_MAJOR 1
#define MGPUX_ABI_MINOR 0

#if defined(_WIN32)
#define MGPUX_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define MGPUX_EXPORT __attribute__((visibility("default")))
#else
#define MGPUX_EXPORT
#endif

/* The name of the one symbol a plugin exports. */
#define MGPUX_ENTRY_SYMBOL "mgpux_plugin_entry"

/* ------------------------------------------------------------------------
 * 2. Status codes
 *
 * Every plugin function returns an int32_t status. The values are the exit
 * codes of m-gpux, so the host can exit with what `run` returned. Details go
 * through mgpux_host.set_error before returning.
 * ---------------------------------------------------------------------- */
#define MGPUX_OK 0                /* success */
#define MGPUX_E_FAILED 1          /* the operation failed (e.g. a modal call) */
#define MGPUX_E_USAGE 2           /* usage error: bad option, missing answer */
#define MGPUX_E_CONFIG 3          /* configuration or state file unreadable or unsafe */
#define MGPUX_E_MISSING_PROGRAM 4 /* a required external program is missing */
#define MGPUX_E_CANCELLED 130     /* cancelled by the user */

/* ------------------------------------------------------------------------
 * 3. The command table
 *
 * A plugin's id is its command group name ("serve"). Each command has a full
 * path of words starting with that id ("serve keys create"); a command whose
 * path is just the id is the group's own command ("stop"). Intermediate
 * groups ("serve keys") need not be declared: the host synthesises them and
 * lists their children in --help.
 *
 * Global options (profile, yes, no-input, dry-run, json, script-out,
 * backend, verbose, quiet, color, version, help) are never declared by a
 * command; the host refuses a table that does.
 * ---------------------------------------------------------------------- */

/* mgpux_option.type */
#define MGPUX_OPT_STRING 0
#define MGPUX_OPT_INT 1    /* 64-bit signed; JSON number */
#define MGPUX_OPT_FLOAT 2  /* double; JSON number */
#define MGPUX_OPT_BOOL 3   /* a flag without value; JSON true/false */
#define MGPUX_OPT_PATH 4   /* a string the host completes as a file name */
#define MGPUX_OPT_CHOICE 5 /* one of `choices` */

/* mgpux_option.flags */
#define MGPUX_OPTF_REPEATABLE 0x01u /* may be given several times; JSON array */
#define MGPUX_OPTF_NEGATABLE 0x02u  /* BOOL only: --no-<name> sets false */
#define MGPUX_OPTF_REQUIRED 0x04u   /* must be given */
#define MGPUX_OPTF_HIDDEN 0x08u     /* parsed but not shown in help/completion */
#define MGPUX_OPTF_POSITIONAL 0x10u /* a positional argument, in table order;
                                       REPEATABLE on the last one takes the rest */

typedef struct mgpux_option {
    uint32_t struct_size; /* sizeof(mgpux_option) as the plugin was built */
    /* Long name without dashes ("gpu"), [a-z0-9][a-z0-9-]*. For positionals
     * the name is the key in the values object and the metavar in help.
     * Plugin-owned, static for the life of the process. */
    const char *name;
    int32_t short_alias; /* an ASCII letter for -x, or 0 for none */
    int32_t type;        /* MGPUX_OPT_* */
    uint32_t flags;      /* MGPUX_OPTF_* */
    const char *metavar; /* shown in help ("NAME"); NULL = derived from the type. Static. */
    const char *help;    /* one line; static, may be NULL */
    /* Default in its text form ("30", "true", "deploy"); NULL = no default
     * (the key is absent from the values unless given). Static. */
    const char *default_value;
    /* CHOICE only: NULL-terminated array of allowed values. Static. */
    const char *const *choices;
    /* Mutually exclusive group: options of one command that share a
     * non-NULL group name may not be given together. Static, may be NULL. */
    const char *exclusive_group;
} mgpux_option;

/* mgpux_command.flags */
#define MGPUX_CMDF_DESTRUCTIVE 0x01u /* stops, deletes or overwrites something */
#define MGPUX_CMDF_INTERACTIVE 0x02u /* may prompt (every prompt still has a flag) */
#define MGPUX_CMDF_JSON 0x04u        /* honours the global --json */

/* A command whose path is the prefix of other commands and that declares no
 * options, positionals or trailing list is a group heading: the host never
 * runs it; `m-gpux <group>` and `m-gpux <group> --help` show its summary and
 * help (the place for an example) above the list of subcommands. */
typedef struct mgpux_command {
    uint32_t struct_size; /* sizeof(mgpux_command) as the plugin was built */
    const char *path;     /* full words: "serve keys create". Static. */
    const char *summary;  /* one line for command lists. Static. */
    const char *help;     /* longer text for --help; static, may be NULL */
    const mgpux_option *options; /* static array of option_count entries, may be NULL */
    uint32_t option_count;
    uint32_t flags; /* MGPUX_CMDF_* */
    /* Name of the list of everything after `--` (the values key and the
     * metavar in help, e.g. "args"); NULL = `--` is not accepted. Static. */
    const char *trailing_name;
} mgpux_command;

/*
 * Option values reach `run` as one JSON object (text valid for the call):
 *   {
 *     "command": "serve keys create",
 *     "values":  { "<name>": <value>, ... },  // given or defaulted options and
 *                                             // positionals; string/path/choice ->
 *                                             // string, int/float -> number,
 *                                             // bool -> true/false, repeatable ->
 *                                             // array; trailing list -> array
 *     "global":  { "profile": "name"|null, "yes": bool, "no_input": bool,
 *                  "dry_run": bool, "json": bool, "script_out": str|null,
 *                  "backend": "modal"|"local", "verbosity": int,
 *                  "color": bool, "interactive": bool }
 *   }
 */

/* ------------------------------------------------------------------------
 * 4. Host services v1
 * ---------------------------------------------------------------------- */

/* log levels (mgpux_host.log) */
#define MGPUX_LOG_DEBUG 0
#define MGPUX_LOG_INFO 1
#define MGPUX_LOG_WARNING 2
#define MGPUX_LOG_ERROR 3
#define MGPUX_LOG_PLUGIN_MISBEHAVING 4 /* the plugin caught itself breaking the contract */

/* text kinds (mgpux_host.write_text). Under --json every kind goes to stderr
 * and stdout holds only the document given to write_json. */
#define MGPUX_TEXT_PLAIN 0   /* the command's human output (stdout) */
#define MGPUX_TEXT_INFO 1    /* progress and hints; hidden by -q (stderr) */
#define MGPUX_TEXT_SUCCESS 2 /* green when colour is on (stdout) */
#define MGPUX_TEXT_WARNING 3 /* yellow, stderr, never hidden */
#define MGPUX_TEXT_HEADING 4 /* bold (stdout) */
#define MGPUX_TEXT_DIM 5     /* dim (stdout) */

/* prompt flags */
#define MGPUX_PROMPT_SECRET 0x01u      /* text prompt without echo */
#define MGPUX_PROMPT_DESTRUCTIVE 0x02u /* --no-input never takes the default */

/* hostinfo flags */
#define MGPUX_HOSTINFO_VERSIONS 0x01u /* also run the programs found for their versions */

typedef struct mgpux_host mgpux_host;

struct mgpux_host {
    uint32_t struct_size; /* sizeof(mgpux_host) as the host was built */
    uint16_t abi_major;   /* the host's ABI, so a newer plugin can degrade */
    uint16_t abi_minor;
    const char *host_version; /* "0.1.0"; host-owned, valid for the process */
    void *host_data;          /* opaque to plugins; host-owned */

    /* Records the error that the returning call reports. `message` is copied
     * at once (valid for the call). The last call before returning wins. */
    void (*set_error)(const mgpux_host *host, int32_t code, const char *message);

    /* Logging to stderr through the host's logger (honours -v/-q). */
    void (*log)(const mgpux_host *host, int32_t level, const char *message);

    /* Output. `text` is copied at once; a newline is not added. Control
     * characters in text, table cells and prompts are shown escaped (\x1b),
     * newlines and tabs of text excepted; the one control passed on is
     * "\x1b[H\x1b[2J" (home and clear the screen) at the start of a text. */
    void (*write_text)(const mgpux_host *host, int32_t kind, const char *text);
    /* An aligned table. `table_json` = {"title": str?, "columns": [str...],
     * "rows": [[cell...]...]}; cells are strings, numbers, booleans or null.
     * Returns MGPUX_E_USAGE (with set_error) when the JSON is malformed. */
    int32_t (*write_table)(const mgpux_host *host, const char *table_json);
    /* The command's JSON document: printed to stdout, pretty, once per run
     * (a second call is refused with MGPUX_E_FAILED). Returns MGPUX_E_USAGE
     * when the text is not valid JSON. */
    int32_t (*write_json)(const mgpux_host *host, const char *json);
    /* Spinner for a long wait on a terminal (a line on stderr elsewhere):
     * a non-NULL message starts or relabels it, NULL stops it. */
    void (*progress)(const mgpux_host *host, const char *message);

    /* Prompts. All obey --yes, --no-input and a non-terminal stdin as the
     * command-line contract says: with --yes or --no-input, the default is
     * taken (a destructive confirm under --no-input, or a question without a
     * default, returns MGPUX_E_USAGE naming `flag_hint`). Ctrl-C or Esc
     * returns MGPUX_E_CANCELLED. `flag_hint` names the flag that answers the
     * question ("--gpu"); may be NULL. Strings are valid for the call. */

    /* Choose one of `count` labels (descriptions may be NULL or hold NULLs).
     * `default_index` < 0 means no default. Writes the chosen index. */
    int32_t (*prompt_select)(const mgpux_host *host, const char *title,
                             const char *const *labels, const char *const *descriptions,
                             uint32_t count, int32_t default_index, const char *flag_hint,
                             int32_t *out_index);
    /* Free text (or a secret with MGPUX_PROMPT_SECRET). `default_value` NULL
     * = no default. *out_value is host-owned and valid until the next
     * prompt_text call or the end of the current plugin call. */
    int32_t (*prompt_text)(const mgpux_host *host, const char *message,
                           const char *default_value, uint32_t flags, const char *flag_hint,
                           const char **out_value);
    /* Yes/no. `default_yes` 1 or 0. Writes 1 or 0 into *out_yes. */
    int32_t (*prompt_confirm)(const mgpux_host *host, const char *message, int32_t default_yes,
                              uint32_t flags, const char *flag_hint, int32_t *out_yes);

    /* Renders the installed template `name` ("hub/jupyter.py"; a file of the
     * same path under the user override directory wins) with `context_json`
     * (a JSON object): scalars become Python literals, unknown names are
     * errors. *out_text is host-owned, valid until the next render call or
     * the end of the current plugin call. Errors (MGPUX_E_FAILED) name the
     * template and line through set_error. */
    int32_t (*render_template)(const mgpux_host *host, const char *name,
                               const char *context_json, const char **out_text);
    /* The same for template text the plugin holds itself; `name` is only
     * used in error messages. Partials are looked up as for render_template. */
    int32_t (*render_string)(const mgpux_host *host, const char *name, const char *template_text,
                             const char *context_json, const char **out_text);

    /* What the host found, as JSON: {"version", "abi", "directories": {...},
     * "plugin_dirs": [...], "plugins": [...], "programs": {...}}. With
     * MGPUX_HOSTINFO_VERSIONS it also runs the programs found to ask their
     * versions. *out_json is host-owned, valid until the next hostinfo call
     * or the end of the current plugin call. */
    int32_t (*hostinfo)(const mgpux_host *host, uint32_t flags, const char **out_json);

    /* Later services by id (section 5). Returns a host-owned table valid for
     * the process, or NULL when this host does not provide it. */
    const void *(*get_service)(const mgpux_host *host, const char *service_id);

    /* Appended later (check MGPUX_HAS_MEMBER(host, last_error) first): the
     * message that set_error recorded last during this plugin call (by the
     * host for a failing host or service call, or by the plugin), "" when
     * none. Lets a plugin that handles a failure quote why (an HTTP request
     * that was refused, a modal call that failed). Host-owned, valid until
     * the next call into the host. */
    const char *(*last_error)(const mgpux_host *host);
};

/* ------------------------------------------------------------------------
 * 5. Services fetched with get_service
 *
 * Each id carries a revision. The table get_service returns is host-owned,
 * static for the process, and starts with uint32_t struct_size: a plugin
 * checks MGPUX_HAS_MEMBER before calling a function added after the first
 * revision. A host may return NULL for any id: check before use.
 *
 * Common rules for every service function below:
 *  - `host` is the table the plugin received in init.
 *  - Strings passed in are UTF-8, valid for the call; NULL where a
 *    parameter says so.
 *  - Structured values cross as JSON text (section 3's rule).
 *  - `*out_json` / `*out_*` strings are host-owned and stay valid until the
 *    next call of any function of the same service by this plugin, or the
 *    end of the current plugin call, whichever comes first. Copy what you
 *    keep.
 *  - The return value is a status (section 1). On an error the host has
 *    already called set_error with a message for the user; the plugin
 *    returns that status from run (the message is printed once).
 *  - Services run on the plugin's calling thread and may block (child
 *    processes, locks). They are not reentrant from other threads.
 *  - Under --dry-run every function that would change something outside
 *    the process (a state file, the profile file, a Modal object) changes
 *    nothing and says what it would have done.
 * ---------------------------------------------------------------------- */
#define MGPUX_SERVICE_RUNNER "mgpux.runner/1"     /* run a rendered script */
#define MGPUX_SERVICE_MODAL "mgpux.modal/1"       /* every other `modal` call */
#define MGPUX_SERVICE_PROCESS "mgpux.process/1"   /* local helper processes */
#define MGPUX_SERVICE_PROFILES "mgpux.profiles/1" /* ~/.modal.toml profiles */
#define MGPUX_SERVICE_STATE "mgpux.state/1"       /* ~/.m-gpux state documents */
#define MGPUX_SERVICE_CATALOG "mgpux.catalog/1"   /* GPU / CPU / Python catalogs */
#define MGPUX_SERVICE_HTTP "mgpux.http/1"         /* HTTPS requests (libcurl in the host) */

/* True when a service table of `size` bytes has `member` (rule 3). */
#define MGPUX_HAS_MEMBER(table, member)                                                        \
    ((table) != NULL &&                                                                        \
     (table)->struct_size >= (uint32_t)((const char *)&(table)->member - (const char *)(table)) + \
                                 (uint32_t)sizeof((table)->member))

/* ---- 5.1 mgpux.process/1: local helper processes ----------------------
 * Plugins never start processes themselves (rule 9); they ask here for a
 * local helper (a Python check, an editor, a URL opener, the local proxy).
 * `modal` itself goes through the modal and runner services. */

/* Streams named to a line callback. */
#define MGPUX_STREAM_STDOUT 1
#define MGPUX_STREAM_STDERR 2

/* What a line callback answers. */
#define MGPUX_LINE_CONTINUE 0 /* keep watching */
#define MGPUX_LINE_STOP 1     /* interrupt the child (SIGINT to its process group) and wait for it */

/* Called on the service's thread for each complete output line (without
 * the newline) of a watched child. `line` is valid for the call. */
typedef int32_t (*mgpux_line_fn)(void *user, int32_t stream, const char *line);

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
    int32_t (*run)(const mgpux_host *host, const char *request_json, mgpux_line_fn on_line,
                   void *user, const char **out_json);

    /* The absolute path of `program` ("python3", "modal" or a name on PATH),
     * or MGPUX_E_MISSING_PROGRAM with an install hint. */
    int32_t (*locate)(const mgpux_host *host, const char *program, const char **out_path);

    /* Reads all of this process's stdin (at most 1 MiB) when it is not a
     * terminal: a piped secret (`--token-secret -`) or a pasted line.
     * *out_text is the text with one trailing newline removed. Stdin that is
     * a terminal is MGPUX_E_USAGE (ask with prompt_text instead); a second
     * call returns what the first one read. */
    int32_t (*read_stdin)(const mgpux_host *host, const char **out_text);

    /* Opens an http(s) URL in the user's browser (xdg-open, or open on
     * macOS), started detached. *out_opened is 0 when there is no opener
     * (or under --dry-run): printing the URL is then the plugin's job.
     * Another scheme is MGPUX_E_USAGE. */
    int32_t (*open_url)(const mgpux_host *host, const char *url, int32_t *out_opened);
} mgpux_process_service;

/* ---- 5.2 mgpux.modal/1: every `modal` call but running a script -------
 * The profile is pinned with MODAL_PROFILE only: `profile` NULL means the
 * command's --profile, else $MODAL_PROFILE, else Modal's own active
 * profile. A named profile that
 * is not in the profile file is MGPUX_E_USAGE. A failing call returns
 * MGPUX_E_FAILED naming the command, its exit code and the last line of its
 * stderr; out_json is filled all the same. A missing `modal` is
 * MGPUX_E_MISSING_PROGRAM. */
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
    int32_t (*call)(const mgpux_host *host, const char *request_json, const char **out_json);

    /* The same call once per profile, concurrently (a pool as large as the
     * number of profiles, at most 16). request_json as for call, with
     * "profiles": [str...] (default: every profile in the file) instead of
     * "profile". out_json: [{"profile", "ok": bool, "error": str|null,
     * "exit_code", "timed_out", "stdout", "stderr", "json"}] in profile
     * order. A failing row never stops the others; the function returns
     * MGPUX_OK unless the request itself is bad. */
    int32_t (*fan_out)(const mgpux_host *host, const char *request_json, const char **out_json);

    /* `modal app stop --yes <app_id>`. out_json as for call. */
    int32_t (*app_stop)(const mgpux_host *host, const char *profile, const char *app_id,
                        const char **out_json);

    /* Creates (or replaces) secret `name` from `values_json` ({"KEY": "value"})
     * through a 0600 dotenv file that is removed afterwards; the values never
     * reach argv, a log or a script. */
    int32_t (*secret_create)(const mgpux_host *host, const char *profile, const char *name,
                             const char *values_json);

    /* `modal secret delete --yes <name>`; a missing secret is not an error. */
    int32_t (*secret_delete)(const mgpux_host *host, const char *profile, const char *name);

    /* Several different calls at once (at most 16 running at a time).
     * request_json: [{"args", "profile", "timeout_s"}...] (as for call; no
     * "inherit" output). out_json: rows as for fan_out, in request order.
     * Returns MGPUX_OK unless a request itself is bad. */
    int32_t (*call_many)(const mgpux_host *host, const char *request_json, const char **out_json);
} mgpux_modal_service;

/* ---- 5.3 mgpux.runner/1: run a rendered script -------------------------
 * The host owns the script file (~/.m-gpux/runs/<run-id>/), the summary,
 * the review prompt, --dry-run and --script-out, the secrets, the child,
 * the session record and the "stop the app now?" question. */
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
    int32_t (*run)(const mgpux_host *host, const char *request_json, const char **out_json);
} mgpux_runner_service;

/* ---- 5.4 mgpux.profiles/1: Modal profiles in ~/.modal.toml ------------
 * The file is $MODAL_CONFIG_PATH or ~/.modal.toml. Edits change only the
 * lines they must, atomically, under a lock, leaving the file 0600. Token
 * secrets never leave the host: list reports only whether they are set.
 * An unreadable file is MGPUX_E_CONFIG; an unknown name MGPUX_E_USAGE. */
typedef struct mgpux_profiles_service {
    uint32_t struct_size; /* sizeof(mgpux_profiles_service) as the host was built */

    /* out_json: {"path": str, "active": str|null, "profiles": [{"name",
     * "active": bool, "has_token": bool, "environment": str|null}]} */
    int32_t (*list)(const mgpux_host *host, const char **out_json);
    /* The profile a command uses: `requested` (NULL = the command's
     * --profile, else $MODAL_PROFILE, as Modal reads it) when it exists,
     * else the active one. *out_name is NULL when there is none. */
    int32_t (*resolve)(const mgpux_host *host, const char *requested, const char **out_name);
    /* Adds a profile or replaces its tokens. The first profile of a file, or
     * `activate` 1, becomes the active one. *out_created is 1 when added. */
    int32_t (*upsert)(const mgpux_host *host, const char *name, const char *token_id,
                      const char *token_secret, int32_t activate, int32_t *out_created);
    /* Removes a profile; when it was active the first remaining one becomes
     * active and is named in *out_new_active (else NULL). */
    int32_t (*remove)(const mgpux_host *host, const char *name, const char **out_new_active);
    /* Makes `name` the only active profile. */
    int32_t (*set_active)(const mgpux_host *host, const char *name);
    /* Parses a pasted `modal token set --token-id … --token-secret …
     * [--profile=…]` line. out_json: {"token_id", "token_secret",
     * "profile": str|null}, or null when it is not such a line.
     * MGPUX_E_USAGE when a value has a quote it does not close. */
    int32_t (*parse_token_command)(const mgpux_host *host, const char *pasted,
                                   const char **out_json);
} mgpux_profiles_service;

/* ---- 5.5 mgpux.state/1: documents in ~/.m-gpux --------------------------
 * Documents are named [a-z][a-z0-9_]* and live in <state dir>/<name>.json
 * (0600, directory 0700). Every write holds an exclusive lock and replaces
 * the file atomically. A file that does not parse is MGPUX_E_CONFIG naming
 * the file and byte position, and is never overwritten. */

/* Called under the lock with the current document (`current_json` valid
 * for the call). Set *new_json to the document to write (plugin-owned; it
 * must stay valid until modify returns), or NULL to write nothing. Return
 * MGPUX_OK, or an error status (after set_error) to abort without writing. */
typedef int32_t (*mgpux_edit_fn)(void *user, const char *current_json, const char **new_json);

typedef struct mgpux_state_service {
    uint32_t struct_size; /* sizeof(mgpux_state_service) as the host was built */

    /* The document, or its default when the file is missing ([] for
     * sessions and api_keys, {} for presets, null otherwise). */
    int32_t (*read)(const mgpux_host *host, const char *document, const char **out_json);
    /* Read-modify-write under the lock. *out_json is what the file holds
     * afterwards. */
    int32_t (*modify)(const mgpux_host *host, const char *document, mgpux_edit_fn edit, void *user,
                      const char **out_json);

    /* sessions.json: an array of session objects (the original's format). */
    /* Saves a session (assigns "id" and timestamps). out_json: the saved session. */
    int32_t (*session_save)(const mgpux_host *host, const char *session_json,
                            const char **out_json);
    /* First session whose id, app_id or app_name is `ref`; null when none. */
    int32_t (*session_get)(const mgpux_host *host, const char *ref, const char **out_json);
    /* Merges `fields_json` into that session; out_json the result or null. */
    int32_t (*session_update)(const mgpux_host *host, const char *ref, const char *fields_json,
                              const char **out_json);
    /* Removes every session matching `ref`; the count in *out_count. */
    int32_t (*session_forget)(const mgpux_host *host, const char *ref, uint32_t *out_count);

    /* presets.json. Presets are read as structured fields (gpu, gpu_count,
     * cpu, memory_mb, pip_packages, requirements, python_version,
     * exclude_patterns, script, action, profile, ...); the original tool's
     * code fragments are parsed, and a shape that is not plain data is
     * refused (MGPUX_E_CONFIG naming the preset). */
    /* out_json: {name: preset}; an unreadable preset carries "error". */
    int32_t (*preset_list)(const mgpux_host *host, const char **out_json);
    int32_t (*preset_get)(const mgpux_host *host, const char *name, const char **out_json);
    /* Merges `fields_json` over the stored preset and writes it with the
     * original's keys regenerated. out_json: the saved preset. */
    int32_t (*preset_save)(const mgpux_host *host, const char *name, const char *fields_json,
                           const char **out_json);
    /* *out_deleted is 1 when it existed. */
    int32_t (*preset_delete)(const mgpux_host *host, const char *name, int32_t *out_deleted);
} mgpux_state_service;

/* ---- 5.6 mgpux.catalog/1: compute catalogs ------------------------------
 * The one copy of the GPU, CPU and Python runtime catalogs. */
typedef struct mgpux_catalog_service {
    uint32_t struct_size; /* sizeof(mgpux_catalog_service) as the host was built */

    /* out_json: {"gpus": [{"name", "vram_gb", "max_count",
     * "price_per_hour": number|null, "description"}], "default_gpu": "L4",
     * "cpus": [{"cores", "memory_mb"}], "default_cpu_index": 3,
     * "pythons": [str], "default_python": "3.12"} */
    int32_t (*get)(const mgpux_host *host, const char **out_json);
    /* "L4", "h100:4", "A10G" (old name of A10). out_json: {"name", "count",
     * "spec": "H100:4", "label", "vram_gb", "price_per_hour": number|null}.
     * An unknown name or a count above the GPU's maximum is MGPUX_E_USAGE. */
    int32_t (*parse_gpu)(const mgpux_host *host, const char *spec, const char **out_json);
    /* 1-64 cores; memory_mb 0 means cores x 512. out_json: {"cores",
     * "memory_mb", "label"}. */
    int32_t (*parse_cpu)(const mgpux_host *host, int32_t cores, int32_t memory_mb,
                         const char **out_json);
    /* "3.10".."3.14"; NULL gives the default. out_json: {"python": str}. */
    int32_t (*parse_python)(const mgpux_host *host, const char *version, const char **out_json);
} mgpux_catalog_service;

/* ---- 5.7 mgpux.http/1: the few HTTPS calls a plugin makes ----------------
 * (serve warmup, dashboard, health checks). Plugins never open sockets. */
typedef struct mgpux_http_service {
    uint32_t struct_size; /* sizeof(mgpux_http_service) as the host was built */

    /* One request, redirects not followed. request_json: {
     *   "method": "GET" (default) | "POST" | ...,
     *   "url": "https://..." (http:// or https:// only),
     *   "headers": {"Name": "value"},       optional
     *   "body": str,                         optional
     *   "timeout_s": number (30), "connect_timeout_s": number (10)
     * }
     * out_json: {"status": int, "headers": {lower-case name: value},
     *   "body": str (at most 16 MiB), "body_truncated": bool,
     *   "timing": {"dns_s", "connect_s", "tls_s", "first_byte_s", "total_s"}}
     * (seconds from the start). Any HTTP status is MGPUX_OK; a transport
     * failure (DNS, refused, timeout, TLS) is MGPUX_E_FAILED naming the URL
     * without its query. Header values are never logged. */
    int32_t (*request)(const mgpux_host *host, const char *request_json, const char **out_json);
} mgpux_http_service;

/* ------------------------------------------------------------------------
 * 6. The plugin descriptor and the entry symbol
 * ---------------------------------------------------------------------- */

typedef struct mgpux_plugin_descriptor {
    uint32_t struct_size; /* sizeof(mgpux_plugin_descriptor) as built */
    uint16_t abi_major;   /* MGPUX_ABI_MAJOR the plugin was built with */
    uint16_t abi_minor;   /* MGPUX_ABI_MINOR the plugin was built with */
    const char *id;       /* command group name, [a-z][a-z0-9-]*; file is mgpux-<id>.so. Static. */
    const char *version;  /* the plugin's own version. Static. */
    const char *summary;  /* one line. Static. */
    const char *help_panel; /* group heading in `m-gpux --help`; NULL = "Plugins". Static. */
    const mgpux_command *commands; /* static array of command_count entries */
    uint32_t command_count;

    /* Called once, before the first run, only for a plugin whose command is
     * about to run (or by `plugins validate`). Must not prompt, write files
     * or touch the network. `host` stays valid for the life of the process.
     * Returns MGPUX_OK or an error status (with set_error). May be NULL. */
    int32_t (*init)(const mgpux_host *host);
    /* Runs one command. `command_path` is one of the table's paths;
     * `args_json` is the values object described in section 3. Both are
     * valid for the call. Returns the exit status. */
    int32_t (*run)(const mgpux_host *host, const char *command_path, const char *args_json);
    /* Called once before exit if init succeeded. May be NULL. The host
     * never unloads a plugin library. */
    void (*shutdown)(void);
} mgpux_plugin_descriptor;

/* The one exported symbol: returns a pointer to a static const descriptor. */
typedef const mgpux_plugin_descriptor *(*mgpux_plugin_entry_fn)(void);

#define MGPUX_DECLARE_ENTRY \
    MGPUX_EXPORT const mgpux_plugin_descriptor *mgpux_plugin_entry(void)

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MGPUX_PLUGIN_H */
