// SPDX-License-Identifier: MIT
/*
 * mgpux/service/profiles.h — mgpux.profiles/1: Modal profiles in ~/.modal.toml
 * The file is $MODAL_CONFIG_PATH or ~/.modal.toml. Edits change only the
 * lines they must, atomically, under a lock, leaving the file 0600. Token
 * secrets never leave the host: list reports only whether they are set.
 * An unreadable file is MGPUX_E_CONFIG; an unknown name MGPUX_E_USAGE.
 */
#ifndef MGPUX_SERVICE_PROFILES_H
#define MGPUX_SERVICE_PROFILES_H

#include "service.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MGPUX_SERVICE_PROFILES "mgpux.profiles/1" /* ~/.modal.toml profiles */

typedef struct mgpux_profiles_service {
    uint32_t struct_size; /* sizeof(mgpux_profiles_service) as the host was built */

    /* out_json: {"path": str, "active": str|null, "profiles": [{"name",
     * "active": bool, "has_token": bool, "environment": str|null}]} */
    int32_t (*list)(const mgpux_host* host, const char** out_json);
    /* The profile a command uses: `requested` (NULL = the command's
     * --profile, else $MODAL_PROFILE, as Modal reads it) when it exists,
     * else the active one. *out_name is NULL when there is none. */
    int32_t (*resolve)(const mgpux_host* host, const char* requested, const char** out_name);
    /* Adds a profile or replaces its tokens. The first profile of a file, or
     * `activate` 1, becomes the active one. *out_created is 1 when added. */
    int32_t (*upsert)(const mgpux_host* host, const char* name, const char* token_id, const char* token_secret,
                      int32_t activate, int32_t* out_created);
    /* Removes a profile; when it was active the first remaining one becomes
     * active and is named in *out_new_active (else NULL). */
    int32_t (*remove)(const mgpux_host* host, const char* name, const char** out_new_active);
    /* Makes `name` the only active profile. */
    int32_t (*set_active)(const mgpux_host* host, const char* name);
    /* Parses a pasted `modal token set --token-id … --token-secret …
     * [--profile=…]` line. out_json: {"token_id", "token_secret",
     * "profile": str|null}, or null when it is not such a line.
     * MGPUX_E_USAGE when a value has a quote it does not close. */
    int32_t (*parse_token_command)(const mgpux_host* host, const char* pasted, const char** out_json);
} mgpux_profiles_service;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MGPUX_SERVICE_PROFILES_H */
