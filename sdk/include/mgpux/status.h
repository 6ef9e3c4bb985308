// SPDX-License-Identifier: MIT
/*
 * mgpux/status.h — status codes.
 *
 * Every plugin function returns an int32_t status. The values are the exit
 * codes of m-gpux, so the host can exit with what `run` returned. Details go
 * through mgpux_host.set_error (mgpux/host.h) before returning.
 */
#ifndef MGPUX_STATUS_H
#define MGPUX_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#define MGPUX_OK 0                /* success */
#define MGPUX_E_FAILED 1          /* the operation failed (e.g. a modal call) */
#define MGPUX_E_USAGE 2           /* usage error: bad option, missing answer */
#define MGPUX_E_CONFIG 3          /* configuration or state file unreadable or unsafe */
#define MGPUX_E_MISSING_PROGRAM 4 /* a required external program is missing */
#define MGPUX_E_CANCELLED 130     /* cancelled by the user */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MGPUX_STATUS_H */
