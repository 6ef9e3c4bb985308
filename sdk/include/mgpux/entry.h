// SPDX-License-Identifier: MIT
/*
 * mgpux/entry.h — the plugin descriptor and the one exported entry symbol.
 */
#ifndef MGPUX_ENTRY_H
#define MGPUX_ENTRY_H

#include <stdint.h>
#include "version.h"
#include "command.h"
#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The name of the one symbol a plugin exports. */
#define MGPUX_ENTRY_SYMBOL "mgpux_plugin_entry"

typedef struct mgpux_plugin_descriptor {
    uint32_t struct_size;          /* sizeof(mgpux_plugin_descriptor) as built */
    uint16_t abi_major;            /* MGPUX_ABI_MAJOR the plugin was built with */
    uint16_t abi_minor;            /* MGPUX_ABI_MINOR the plugin was built with */
    const char* id;                /* command group name, [a-z][a-z0-9-]*; file is mgpux-<id>.so. Static. */
    const char* version;           /* the plugin's own version. Static. */
    const char* summary;           /* one line. Static. */
    const char* help_panel;        /* group heading in `m-gpux --help`; NULL = "Plugins". Static. */
    const mgpux_command* commands; /* static array of command_count entries */
    uint32_t command_count;

    /* Called once, before the first run, only for a plugin whose command is
     * about to run (or by `plugins validate`). Must not prompt, write files
     * or touch the network. `host` stays valid for the life of the process.
     * Returns MGPUX_OK or an error status (with set_error). May be NULL. */
    int32_t (*init)(const mgpux_host* host);
    /* Runs one command. `command_path` is one of the table's paths;
     * `args_json` is the values object described in mgpux/command.h. Both are
     * valid for the call. Returns the exit status. */
    int32_t (*run)(const mgpux_host* host, const char* command_path, const char* args_json);
    /* Called once before exit if init succeeded. May be NULL. The host
     * never unloads a plugin library. */
    void (*shutdown)(void);
} mgpux_plugin_descriptor;

/* The one exported symbol: returns a pointer to a static const descriptor. */
typedef const mgpux_plugin_descriptor* (*mgpux_plugin_entry_fn)(void);

#define MGPUX_DECLARE_ENTRY MGPUX_EXPORT const mgpux_plugin_descriptor* mgpux_plugin_entry(void)

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MGPUX_ENTRY_H */
