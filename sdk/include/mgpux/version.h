// SPDX-License-Identifier: MIT
/*
 * mgpux/version.h — ABI versions, the export macro and the rule by which
 * every boundary struct grows.
 *
 * Rules that hold everywhere:
 *   - Every struct that crosses the boundary starts with `struct_size` and
 *     only ever grows at the end. A reader treats a field that lies beyond
 *     `struct_size` as absent (NULL / 0); MGPUX_HAS_MEMBER checks that.
 *   - Strings are UTF-8 and NUL-terminated.
 *   - Nothing is ever freed on the other side of the boundary.
 *   - Threading: the host calls a plugin from one thread only (the main
 *     thread). Host services may only be called from inside a call the host
 *     made into the plugin (init or run), on that same thread.
 */
#ifndef MGPUX_VERSION_H
#define MGPUX_VERSION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The host loads a plugin only if its abi_major equals MGPUX_ABI_MAJOR and its
 * abi_minor is not newer than the host's. Minor bumps only append fields;
 * every member added after 1.0 is marked `since 1.1` (or later) beside it.
 * A host keeps each older minor's behaviour for plugins built with it:
 *   1.1  on/off (NEGATABLE) flags not given are absent from the values,
 *        where 1.0 plugins still receive false; argument accessors in
 *        mgpux_host (args_has, args_get_*, args_count). */
#define MGPUX_ABI_MAJOR 1
#define MGPUX_ABI_MINOR 1

#if defined(_WIN32)
#define MGPUX_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define MGPUX_EXPORT __attribute__((visibility("default")))
#else
#define MGPUX_EXPORT
#endif

/* True when a service table of `size` bytes has `member`: tables only grow
 * at the end, so a member past an older host's struct_size is absent. */
#define MGPUX_HAS_MEMBER(table, member)                                                                            \
    ((table) != NULL && (table)->struct_size >= (uint32_t)((const char*)&(table)->member - (const char*)(table)) + \
                                                    (uint32_t)sizeof((table)->member))

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MGPUX_VERSION_H */
