// SPDX-License-Identifier: MIT
/*
 * mgpux/command.h — the command table: data the host parses without running
 * plugin code, and the shape of the values `run` receives.
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
 */
#ifndef MGPUX_COMMAND_H
#define MGPUX_COMMAND_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* mgpux_option.type */
#define MGPUX_OPT_STRING 0
#define MGPUX_OPT_INT 1    /* 64-bit signed; JSON number */
#define MGPUX_OPT_FLOAT 2  /* double; JSON number */
#define MGPUX_OPT_BOOL 3   /* a flag without value; JSON true/false */
#define MGPUX_OPT_PATH 4   /* a string the host completes as a file name */
#define MGPUX_OPT_CHOICE 5 /* one of `choices` */

/* mgpux_option.flags */
#define MGPUX_OPTF_REPEATABLE 0x01u /* may be given several times; JSON array */
#define MGPUX_OPTF_NEGATABLE \
    0x02u                         /* BOOL only: --no-<name> sets false; neither
                                       given and no default: absent (since 1.1) */
#define MGPUX_OPTF_REQUIRED 0x04u /* must be given */
#define MGPUX_OPTF_HIDDEN 0x08u   /* parsed but not shown in help/completion */
#define MGPUX_OPTF_POSITIONAL \
    0x10u /* a positional argument, in table order;
                                       REPEATABLE on the last one takes the rest */

typedef struct mgpux_option {
    uint32_t struct_size; /* sizeof(mgpux_option) as the plugin was built */
    /* Long name without dashes ("gpu"), [a-z0-9][a-z0-9-]*. For positionals
     * the name is the key in the values object and the metavar in help.
     * Plugin-owned, static for the life of the process. */
    const char* name;
    int32_t short_alias; /* an ASCII letter for -x, or 0 for none */
    int32_t type;        /* MGPUX_OPT_* */
    uint32_t flags;      /* MGPUX_OPTF_* */
    const char* metavar; /* shown in help ("NAME"); NULL = derived from the type. Static. */
    const char* help;    /* one line; static, may be NULL */
    /* Default in its text form ("30", "true", "deploy"); NULL = no default
     * (the key is absent from the values unless given). Static. */
    const char* default_value;
    /* CHOICE only: NULL-terminated array of allowed values. Static. */
    const char* const* choices;
    /* Mutually exclusive group: options of one command that share a
     * non-NULL group name may not be given together. Static, may be NULL. */
    const char* exclusive_group;
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
    uint32_t struct_size;        /* sizeof(mgpux_command) as the plugin was built */
    const char* path;            /* full words: "serve keys create". Static. */
    const char* summary;         /* one line for command lists. Static. */
    const char* help;            /* longer text for --help; static, may be NULL */
    const mgpux_option* options; /* static array of option_count entries, may be NULL */
    uint32_t option_count;
    uint32_t flags; /* MGPUX_CMDF_* */
    /* Name of the list of everything after `--` (the values key and the
     * metavar in help, e.g. "args"); NULL = `--` is not accepted. Static. */
    const char* trailing_name;
} mgpux_command;

/*
 * Option values reach `run` as one JSON object (text valid for the call):
 *   {
 *     "command": "serve keys create",
 *     "values":  { "<name>": <value>, ... },  // given or defaulted options and
 *                                             // positionals; string/path/choice ->
 *                                             // string, int/float -> number,
 *                                             // bool -> true/false, repeatable ->
 *                                             // array; trailing list -> array.
 *                                             // A plain flag not given is false;
 *                                             // an on/off (NEGATABLE) flag not
 *                                             // given and without a default is
 *                                             // absent (since 1.1; a plugin built
 *                                             // with abi_minor 0 gets false)
 *     "global":  { "profile": "name"|null, "yes": bool, "no_input": bool,
 *                  "dry_run": bool, "json": bool, "script_out": str|null,
 *                  "backend": "modal"|"local", "verbosity": int,
 *                  "color": bool, "interactive": bool }
 *   }
 */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MGPUX_COMMAND_H */
