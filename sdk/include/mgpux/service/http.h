// SPDX-License-Identifier: MIT
/*
 * mgpux/service/http.h — mgpux.http/1: the few HTTPS calls a plugin makes
 * (serve warmup, dashboard, health checks). Plugins never open sockets.
 */
#ifndef MGPUX_SERVICE_HTTP_H
#define MGPUX_SERVICE_HTTP_H

#include "service.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MGPUX_SERVICE_HTTP "mgpux.http/1" /* HTTPS requests (libcurl in the host); since 1.1 */

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
    int32_t (*request)(const mgpux_host* host, const char* request_json, const char** out_json);
} mgpux_http_service;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MGPUX_SERVICE_HTTP_H */
