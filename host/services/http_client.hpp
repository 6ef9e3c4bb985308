// SPDX-License-Identifier: MIT
// The few HTTPS calls the host makes for plugins (serve warmup, dashboard,
// health checks), through libcurl: one request, its answer and its timing.
#pragma once

#include <boost/json/fwd.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mgpux::services {

struct HttpRequest {
    std::string method = "GET";
    std::string url;  // http:// or https:// only
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<std::string> body;
    double timeout_s = 30;
    double connect_timeout_s = 10;
};

struct HttpResponse {
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;
    bool body_truncated = false;  // over 16 MiB
    // Seconds from the start of the request (curl's phases).
    double dns_s = 0, connect_s = 0, tls_s = 0, first_byte_s = 0, total_s = 0;
};

// Parses a mgpux.http/1 request (ServiceError kExitUsage when malformed).
HttpRequest http_request_from_json(const boost::json::value& v);
boost::json::value http_response_json(const HttpResponse& r);

// Performs the request. A transport failure (DNS, refused, timeout, TLS) is
// ServiceError(kExitFailed) naming the URL without its query and the cause;
// any HTTP status is a response.
HttpResponse perform_http(const HttpRequest& request);

}  // namespace mgpux::services
