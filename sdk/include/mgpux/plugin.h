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

    /* Output. `text` is copied at once; a newline is not added. */
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
};

/* ------------------------------------------------------------------------
 * 5. Later services, fetched with get_service. Each id carries a revision;
 * the table it returns starts with uint32_t struct_size. A v1 host may
 * return NULL for any of them: check before use.
 * ---------------------------------------------------------------------- */
#define MGPUX_SERVICE_RUNNER "mgpux.runner/1"     /* run a rendered script */
#define MGPUX_SERVICE_MODAL "mgpux.modal/1"       /* every other `modal` call */
#define MGPUX_SERVICE_PROCESS "mgpux.process/1"   /* local helper processes */
#define MGPUX_SERVICE_PROFILES "mgpux.profiles/1" /* ~/.modal.toml profiles */
#define MGPUX_SERVICE_STATE "mgpux.state/1"       /* ~/.m-gpux state documents */

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
