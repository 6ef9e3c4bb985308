// SPDX-License-Identifier: MIT
/*
 * mgpux/host.h — host services v1: the function table a plugin receives in
 * init (output, prompts, templates, argument accessors, get_service).
 */
#ifndef MGPUX_HOST_H
#define MGPUX_HOST_H

#include "version.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

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
    const char* host_version; /* "0.1.0"; host-owned, valid for the process */
    void* host_data;          /* opaque to plugins; host-owned */

    /* Records the error that the returning call reports. `message` is copied
     * at once (valid for the call). The last call before returning wins. */
    void (*set_error)(const mgpux_host* host, int32_t code, const char* message);

    /* Logging to stderr through the host's logger (honours -v/-q). */
    void (*log)(const mgpux_host* host, int32_t level, const char* message);

    /* Output. `text` is copied at once; a newline is not added. Control
     * characters in text, table cells and prompts are shown escaped (\x1b),
     * newlines and tabs of text excepted; the one control passed on is
     * "\x1b[H\x1b[2J" (home and clear the screen) at the start of a text. */
    void (*write_text)(const mgpux_host* host, int32_t kind, const char* text);
    /* An aligned table. `table_json` = {"title": str?, "columns": [str...],
     * "rows": [[cell...]...]}; cells are strings, numbers, booleans or null.
     * Returns MGPUX_E_USAGE (with set_error) when the JSON is malformed. */
    int32_t (*write_table)(const mgpux_host* host, const char* table_json);
    /* The command's JSON document: printed to stdout, pretty, once per run
     * (a second call is refused with MGPUX_E_FAILED). Returns MGPUX_E_USAGE
     * when the text is not valid JSON. */
    int32_t (*write_json)(const mgpux_host* host, const char* json);
    /* Spinner for a long wait on a terminal (a line on stderr elsewhere):
     * a non-NULL message starts or relabels it, NULL stops it. */
    void (*progress)(const mgpux_host* host, const char* message);

    /* Prompts. All obey --yes, --no-input and a non-terminal stdin as the
     * command-line contract says: with --yes or --no-input, the default is
     * taken (a destructive confirm under --no-input, or a question without a
     * default, returns MGPUX_E_USAGE naming `flag_hint`). Ctrl-C or Esc
     * returns MGPUX_E_CANCELLED. `flag_hint` names the flag that answers the
     * question ("--gpu"); may be NULL. Strings are valid for the call. */

    /* Choose one of `count` labels (descriptions may be NULL or hold NULLs).
     * `default_index` < 0 means no default. Writes the chosen index. */
    int32_t (*prompt_select)(const mgpux_host* host, const char* title, const char* const* labels,
                             const char* const* descriptions, uint32_t count, int32_t default_index,
                             const char* flag_hint, int32_t* out_index);
    /* Free text (or a secret with MGPUX_PROMPT_SECRET). `default_value` NULL
     * = no default. *out_value is host-owned and valid until the next
     * prompt_text call or the end of the current plugin call. */
    int32_t (*prompt_text)(const mgpux_host* host, const char* message, const char* default_value, uint32_t flags,
                           const char* flag_hint, const char** out_value);
    /* Yes/no. `default_yes` 1 or 0. Writes 1 or 0 into *out_yes. */
    int32_t (*prompt_confirm)(const mgpux_host* host, const char* message, int32_t default_yes, uint32_t flags,
                              const char* flag_hint, int32_t* out_yes);

    /* Renders the installed template `name` ("hub/jupyter.py"; a file of the
     * same path under the user override directory wins) with `context_json`
     * (a JSON object): scalars become Python literals, unknown names are
     * errors. *out_text is host-owned, valid until the next render call or
     * the end of the current plugin call. Errors (MGPUX_E_FAILED) name the
     * template and line through set_error. */
    int32_t (*render_template)(const mgpux_host* host, const char* name, const char* context_json,
                               const char** out_text);
    /* The same for template text the plugin holds itself; `name` is only
     * used in error messages. Partials are looked up as for render_template. */
    int32_t (*render_string)(const mgpux_host* host, const char* name, const char* template_text,
                             const char* context_json, const char** out_text);

    /* What the host found, as JSON: {"version", "abi", "directories": {...},
     * "plugin_dirs": [...], "plugins": [...], "programs": {...}}. With
     * MGPUX_HOSTINFO_VERSIONS it also runs the programs found to ask their
     * versions. *out_json is host-owned, valid until the next hostinfo call
     * or the end of the current plugin call. */
    int32_t (*hostinfo)(const mgpux_host* host, uint32_t flags, const char** out_json);

    /* Later services by id (the headers in mgpux/service/). Returns a host-owned table valid for
     * the process, or NULL when this host does not provide it. */
    const void* (*get_service)(const mgpux_host* host, const char* service_id);

    /* since 1.1 (check MGPUX_HAS_MEMBER(host, last_error) first): the
     * message that set_error recorded last during this plugin call (by the
     * host for a failing host or service call, or by the plugin), "" when
     * none. Lets a plugin that handles a failure quote why (an HTTP request
     * that was refused, a modal call that failed). Host-owned, valid until
     * the next call into the host. */
    const char* (*last_error)(const mgpux_host* host);

    /* Reading the arguments without JSON code (since 1.1; check
     * MGPUX_HAS_MEMBER(host, args_get_string) first).
     *
     * `args_json` is the text `run` received (any text of that shape
     * works); the host parses it on first use and keeps the parse until the
     * plugin call returns, so reading many values costs one parse.
     * `name` is an option, positional or trailing-list name as declared
     * ("gpu", "args"), or "global.<key>" for a global option of mgpux/command.h
     * ("global.dry_run", "global.profile"). A value that is JSON null is
     * treated as absent. Strings returned are host-owned and stay valid until
     * the plugin call (init or run) that obtained them returns; copy what you
     * keep. A malformed `args_json` reads as if every value were absent and
     * records why through set_error (readable with last_error). */

    /* 1 when `name` has a value (given, defaulted or an on/off flag that was
     * given), else 0. */
    int32_t (*args_has)(const mgpux_host* host, const char* args_json, const char* name);
    /* The value of a string, path or choice option or positional; NULL when
     * absent or not a single string (read repeatables with args_get_item). */
    const char* (*args_get_string)(const mgpux_host* host, const char* args_json, const char* name);
    /* The value of an int option; `fallback` when absent or not an integer. */
    int64_t (*args_get_int)(const mgpux_host* host, const char* args_json, const char* name, int64_t fallback);
    /* The value of a float (or int) option; `fallback` when absent or not a
     * number. */
    double (*args_get_float)(const mgpux_host* host, const char* args_json, const char* name, double fallback);
    /* A bool option in three states: 1 (true, --x), 0 (false, --no-x) or
     * MGPUX_ARG_ABSENT (an on/off flag that was not given, or not a bool). */
    int32_t (*args_get_bool)(const mgpux_host* host, const char* args_json, const char* name);
    /* How many values `name` holds: the length of a repeatable option, a
     * repeatable last positional or the trailing list; 1 for any other value
     * that is there; 0 when absent. */
    uint32_t (*args_count)(const mgpux_host* host, const char* args_json, const char* name);
    /* Value `index` (from 0, below args_count) as text: strings as they are,
     * numbers in decimal ("8000", "0.5"), bools as "true"/"false". A value
     * that is not a list is its own item 0. NULL past the end. */
    const char* (*args_get_item)(const mgpux_host* host, const char* args_json, const char* name, uint32_t index);
};

/* What args_get_bool returns for a flag that has no value. */
#define MGPUX_ARG_ABSENT (-1)

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MGPUX_HOST_H */
