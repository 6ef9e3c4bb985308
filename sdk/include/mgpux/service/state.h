// SPDX-License-Identifier: MIT
/*
 * mgpux/service/state.h — mgpux.state/1: documents in ~/.m-gpux
 * Documents are named [a-z][a-z0-9_]* and live in <state dir>/<name>.json
 * (0600, directory 0700). Every write holds an exclusive lock and replaces
 * the file atomically. A file that does not parse is MGPUX_E_CONFIG naming
 * the file and byte position, and is never overwritten.
 */
#ifndef MGPUX_SERVICE_STATE_H
#define MGPUX_SERVICE_STATE_H

#include "service.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MGPUX_SERVICE_STATE "mgpux.state/1" /* ~/.m-gpux state documents */

/* Called under the lock with the current document (`current_json` valid
 * for the call). Set *new_json to the document to write (plugin-owned; it
 * must stay valid until modify returns), or NULL to write nothing. Return
 * MGPUX_OK, or an error status (after set_error) to abort without writing. */
typedef int32_t (*mgpux_edit_fn)(void* user, const char* current_json, const char** new_json);

typedef struct mgpux_state_service {
    uint32_t struct_size; /* sizeof(mgpux_state_service) as the host was built */

    /* The document, or its default when the file is missing ([] for
     * sessions and api_keys, {} for presets, null otherwise). */
    int32_t (*read)(const mgpux_host* host, const char* document, const char** out_json);
    /* Read-modify-write under the lock. *out_json is what the file holds
     * afterwards. Under --dry-run `edit` is still called and *out_json is
     * what the file would hold; nothing is written. */
    int32_t (*modify)(const mgpux_host* host, const char* document, mgpux_edit_fn edit, void* user,
                      const char** out_json);

    /* sessions.json: an array of session objects (the original's format). */
    /* Saves a session (assigns "id" and timestamps). out_json: the saved session. */
    int32_t (*session_save)(const mgpux_host* host, const char* session_json, const char** out_json);
    /* First session whose id, app_id or app_name is `ref`; null when none. */
    int32_t (*session_get)(const mgpux_host* host, const char* ref, const char** out_json);
    /* Merges `fields_json` into that session; out_json the result or null. */
    int32_t (*session_update)(const mgpux_host* host, const char* ref, const char* fields_json, const char** out_json);
    /* Removes every session matching `ref`; the count in *out_count. */
    int32_t (*session_forget)(const mgpux_host* host, const char* ref, uint32_t* out_count);

    /* presets.json. Presets are read as structured fields (gpu, gpu_count,
     * cpu, memory_mb, pip_packages, requirements, python_version,
     * exclude_patterns, script, action, profile, ...); the original tool's
     * code fragments are parsed, and a shape that is not plain data is
     * refused (MGPUX_E_CONFIG naming the preset). */
    /* out_json: {name: preset}; an unreadable preset carries "error". */
    int32_t (*preset_list)(const mgpux_host* host, const char** out_json);
    int32_t (*preset_get)(const mgpux_host* host, const char* name, const char** out_json);
    /* Merges `fields_json` over the stored preset and writes it with the
     * original's keys regenerated. out_json: the saved preset. */
    int32_t (*preset_save)(const mgpux_host* host, const char* name, const char* fields_json, const char** out_json);
    /* *out_deleted is 1 when it existed. */
    int32_t (*preset_delete)(const mgpux_host* host, const char* name, int32_t* out_deleted);
} mgpux_state_service;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MGPUX_SERVICE_STATE_H */
