// SPDX-License-Identifier: MIT
#include "services/http_client.hpp"

#include "services/service_error.hpp"

#include <boost/json.hpp>
#include <curl/curl.h>

#include <cctype>
#include <dlfcn.h>
#include <memory>
#include <mutex>

namespace mgpux::services {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxBody = 16u << 20;

[[noreturn]] void bad(const std::string& what) { throw ServiceError(kExitUsage, "http request: " + what); }

// The URL as it may appear in a message: no query (it may carry a token).
std::string shown_url(const std::string& url) { return url.substr(0, url.find_first_of("?#")); }

// libcurl is opened on the first request, not linked: linking it (and the
// TLS, LDAP and SSH libraries it pulls in) cost every m-gpux start about
// 8 ms, for the few commands that make HTTP calls.
struct CurlApi {
    CURLcode (*global_init)(long);
    CURL* (*easy_init)();
    CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
    CURLcode (*easy_perform)(CURL*);
    CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
    void (*easy_cleanup)(CURL*);
    const char* (*easy_strerror)(CURLcode);
    curl_slist* (*slist_append)(curl_slist*, const char*);
    void (*slist_free_all)(curl_slist*);
};

template <typename Fn>
void bind(void* lib, const char* name, Fn& fn) {
    fn = reinterpret_cast<Fn>(::dlsym(lib, name));
    if (!fn) throw ServiceError(kExitMissingProgram, std::string("libcurl lacks ") + name + "; reinstall libcurl4");
}

const CurlApi& curl_api() {
    static std::once_flag once;
    static CurlApi api{};
    static std::string failure;
    std::call_once(once, [] {
        void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            failure = "libcurl is not installed (apt-get install libcurl4): HTTP requests need it";
            return;
        }
        try {
            bind(lib, "curl_global_init", api.global_init);
            bind(lib, "curl_easy_init", api.easy_init);
            bind(lib, "curl_easy_setopt", api.easy_setopt);
            bind(lib, "curl_easy_perform", api.easy_perform);
            bind(lib, "curl_easy_getinfo", api.easy_getinfo);
            bind(lib, "curl_easy_cleanup", api.easy_cleanup);
            bind(lib, "curl_easy_strerror", api.easy_strerror);
            bind(lib, "curl_slist_append", api.slist_append);
            bind(lib, "curl_slist_free_all", api.slist_free_all);
            api.global_init(CURL_GLOBAL_DEFAULT);
        } catch (const ServiceError& e) {
            failure = e.what();
            api = CurlApi{};
        }
    });
    if (!failure.empty()) throw ServiceError(kExitMissingProgram, failure);
    return api;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* r = static_cast<HttpResponse*>(user);
    const size_t n = size * count;
    if (r->body.size() + n > kMaxBody) {
        r->body.append(data, kMaxBody - r->body.size());
        r->body_truncated = true;
        return n;
    }
    r->body.append(data, n);
    return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* r = static_cast<HttpResponse*>(user);
    const size_t n = size * count;
    std::string line(data, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.rfind("HTTP/", 0) == 0) {
        r->headers.clear();  // a new response (after a 100 Continue or a redirect)
        return n;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos) return n;
    std::string name = line.substr(0, colon), value = line.substr(colon + 1);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto start = value.find_first_not_of(" \t");
    r->headers.emplace_back(name, start == std::string::npos ? std::string() : value.substr(start));
    return n;
}

struct CurlDeleter {
    void operator()(CURL* c) const { curl_api().easy_cleanup(c); }
};
struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_api().slist_free_all(l); }
};

}  // namespace

HttpRequest http_request_from_json(const json::value& v) {
    if (!v.is_object()) bad("expected a JSON object");
    const auto& o = v.as_object();
    HttpRequest r;
    auto str = [&](const char* key) -> std::optional<std::string> {
        auto it = o.find(key);
        if (it == o.end() || it->value().is_null()) return std::nullopt;
        if (!it->value().is_string()) bad(std::string("\"") + key + "\" must be a string");
        return std::string(it->value().as_string());
    };
    r.url = str("url").value_or("");
    if (r.url.rfind("https://", 0) != 0 && r.url.rfind("http://", 0) != 0) bad("\"url\" must be http:// or https://");
    if (auto m = str("method")) {
        r.method = *m;
        for (char c : r.method)
            if (!std::isupper(static_cast<unsigned char>(c))) bad("\"method\" must be an upper-case HTTP method");
    }
    r.body = str("body");
    if (auto it = o.find("headers"); it != o.end() && !it->value().is_null()) {
        if (!it->value().is_object()) bad("\"headers\" must be an object of strings");
        for (const auto& kv : it->value().as_object()) {
            if (!kv.value().is_string()) bad("\"headers\" must be an object of strings");
            const std::string value(kv.value().as_string());
            if (value.find_first_of("\r\n") != std::string::npos ||
                kv.key().find_first_of(":\r\n") != std::string::npos)
                bad("a header may not contain a line break");
            r.headers.emplace_back(std::string(kv.key()), value);
        }
    }
    for (const char* key : {"timeout_s", "connect_timeout_s"}) {
        if (auto it = o.find(key); it != o.end() && !it->value().is_null()) {
            if (!it->value().is_number() || it->value().to_number<double>() <= 0)
                bad(std::string("\"") + key + "\" must be a positive number");
            (std::string(key) == "timeout_s" ? r.timeout_s : r.connect_timeout_s) = it->value().to_number<double>();
        }
    }
    return r;
}

json::value http_response_json(const HttpResponse& r) {
    json::object headers;
    for (const auto& [k, v] : r.headers) headers[k] = v;  // the last of a repeated header wins
    return json::object{{"status", r.status},
                        {"headers", headers},
                        {"body", r.body},
                        {"body_truncated", r.body_truncated},
                        {"timing", json::object{{"dns_s", r.dns_s},
                                                {"connect_s", r.connect_s},
                                                {"tls_s", r.tls_s},
                                                {"first_byte_s", r.first_byte_s},
                                                {"total_s", r.total_s}}}};
}

HttpResponse perform_http(const HttpRequest& request) {
    const CurlApi& api = curl_api();
    std::unique_ptr<CURL, CurlDeleter> curl(api.easy_init());
    if (!curl) throw ServiceError(kExitFailed, "could not start an HTTP request (libcurl)");
    HttpResponse response;
    CURL* c = curl.get();
    api.easy_setopt(c, CURLOPT_URL, request.url.c_str());
    api.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    api.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    api.easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_s * 1000));
    api.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout_s * 1000));
    api.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect would carry the Authorization header along
    api.easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method == "HEAD") api.easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (request.body) {
        api.easy_setopt(c, CURLOPT_POSTFIELDS, request.body->data());
        api.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body->size()));
    }
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    curl_slist* list = nullptr;
    for (const auto& [name, value] : request.headers) list = api.slist_append(list, (name + ": " + value).c_str());
    list = api.slist_append(list, "Expect:");  // no 100-continue round trip
    headers.reset(list);
    api.easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    api.easy_setopt(c, CURLOPT_USERAGENT, "m-gpux/" MGPUX_VERSION);
    api.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    api.easy_setopt(c, CURLOPT_WRITEDATA, &response);
    api.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    api.easy_setopt(c, CURLOPT_HEADERDATA, &response);
    char error[CURL_ERROR_SIZE] = {0};
    api.easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    const CURLcode rc = api.easy_perform(c);
    if (rc != CURLE_OK) {
        const std::string why = error[0] ? error : api.easy_strerror(rc);
        throw ServiceError(kExitFailed, request.method + " " + shown_url(request.url) + " failed: " + why);
    }
    api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    api.easy_getinfo(c, CURLINFO_NAMELOOKUP_TIME, &response.dns_s);
    api.easy_getinfo(c, CURLINFO_CONNECT_TIME, &response.connect_s);
    api.easy_getinfo(c, CURLINFO_APPCONNECT_TIME, &response.tls_s);
    api.easy_getinfo(c, CURLINFO_STARTTRANSFER_TIME, &response.first_byte_s);
    api.easy_getinfo(c, CURLINFO_TOTAL_TIME, &response.total_s);
    return response;
}

}  // namespace mgpux::services
