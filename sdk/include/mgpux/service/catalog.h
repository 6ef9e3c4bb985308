// SPDX-License-Identifier: MIT
/*
 * mgpux/service/catalog.h — mgpux.catalog/1: compute catalogs
 * The one copy of the GPU, CPU and Python runtime catalogs.
 */
#ifndef MGPUX_SERVICE_CATALOG_H
#define MGPUX_SERVICE_CATALOG_H

#include "service.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MGPUX_SERVICE_CATALOG "mgpux.catalog/1" /* GPU / CPU / Python catalogs */

typedef struct mgpux_catalog_service {
    uint32_t struct_size; /* sizeof(mgpux_catalog_service) as the host was built */

    /* out_json: {"gpus": [{"name", "vram_gb", "max_count",
     * "price_per_hour": number|null, "description"}], "default_gpu": "L4",
     * "cpus": [{"cores", "memory_mb"}], "default_cpu_index": 3,
     * "pythons": [str], "default_python": "3.12"} */
    int32_t (*get)(const mgpux_host* host, const char** out_json);
    /* "L4", "h100:4", "A10G" (old name of A10). out_json: {"name", "count",
     * "spec": "H100:4", "label", "vram_gb", "price_per_hour": number|null}.
     * An unknown name or a count above the GPU's maximum is MGPUX_E_USAGE. */
    int32_t (*parse_gpu)(const mgpux_host* host, const char* spec, const char** out_json);
    /* 1-64 cores; memory_mb 0 means cores x 512. out_json: {"cores",
     * "memory_mb", "label"}. */
    int32_t (*parse_cpu)(const mgpux_host* host, int32_t cores, int32_t memory_mb, const char** out_json);
    /* "3.10".."3.14"; NULL gives the default. out_json: {"python": str}. */
    int32_t (*parse_python)(const mgpux_host* host, const char* version, const char** out_json);
} mgpux_catalog_service;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MGPUX_SERVICE_CATALOG_H */
