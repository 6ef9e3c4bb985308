// SPDX-License-Identifier: MIT
// The pure parts of mgpux-proxy: hashing, JSON helpers over the SDK's codec, the key set, error
// bodies, the latency histogram and the traffic counters. No I/O beyond reading the keys file,
// no Boost: this is what the unit tests exercise directly.
//
// C++17 on purpose (see ../CMakeLists.txt): these sources are also compiled inside container
// images by whatever g++ the image has (GCC 11 on Ubuntu 22.04). The JSON codec is the SDK's
// header-only mgpux/json.hpp, shipped beside these sources (the image build adds -I for it).
#pragma once

#include "mgpux/json.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mgpux_proxy {

// ---------------------------------------------------------------- hashing

// Lowercase hex SHA-256 of `data` (64 characters).
std::string sha256_hex(std::string_view data);

// Equal strings, compared in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

// ---------------------------------------------------------------- JSON

using mgpux::Json;

// Parses a whole document (strict RFC 8259, nesting at most 512 deep, the last duplicate key
// wins); nullopt if it is not valid JSON.
std::optional<Json> parse_json(std::string_view text);

// Python's bool() of the decoded value: false for null, false, 0, 0.0, "", [] and {}.
bool truthy(const Json& v);

// `s` as a JSON string literal, quotes included (invalid UTF-8 bytes become U+FFFD).
inline std::string json_quote(std::string_view s) { return Json::quote(s); }

// A number rounded to `decimals` places, written as Python writes round(x, n) through json.
std::string json_number(double value, int decimals);

// {"error": {"message", "type", "param": null, "code"}}; `code` empty means null.
std::string error_body(std::string_view message, std::string_view type, std::string_view code = {});

// ---------------------------------------------------------------- keys

// The hex SHA-256 digests of the active keys in an api_keys.json document (a JSON array of
// {name, key, created, active}). A key is active only when `active` is missing or JSON true; any
// other value (false, 0, "false", null, ...) makes it inactive. Throws std::runtime_error with a
// message naming the problem when the document is not such an array.
std::vector<std::string> key_hashes_from_store(std::string_view document);

// MGPUX_KEY_HASHES: comma (or newline) separated hex digests; throws std::runtime_error on an
// item that is not a 64-digit hex digest.
std::vector<std::string> parse_hash_list(std::string_view text);

// The bearer token of an Authorization header value, or empty when the header does not carry
// one (no value, another scheme, or an empty token). The scheme is matched without case.
std::string_view bearer_token(std::string_view header_value);

// The keys a proxy accepts: fixed digests (from the environment) plus those of a keys file that
// is re-read when it changes, checked at most once a second. Thread-safe.
class KeySet {
public:
    KeySet(std::vector<std::string> fixed_hashes, std::string keys_file);

    // Reads the keys file now; throws std::runtime_error when it cannot be read or parsed.
    void load();
    // The number of distinct known digests.
    std::size_t count() const;
    // Whether `token` is a known key: its digest is compared, in constant time, with every one.
    bool accepts(std::string_view token);

private:
    void maybe_reload();

    mutable std::mutex mu_;
    std::vector<std::string> fixed_;
    std::vector<std::string> from_file_;
    std::string file_;
    long long file_mtime_ns_ = -1;
    long long checked_ms_ = 0;
};

// ---------------------------------------------------------------- metrics

// Latency histogram: log-spaced buckets 5 % wide from 10 us up; exact count, sum, min and max.
class Histogram {
public:
    void add(double ms);
    double percentile(double q) const;
    std::size_t count() const { return count_; }
    double min() const { return count_ ? min_ : 0.0; }
    double max() const { return max_; }
    double avg() const { return count_ ? total_ / static_cast<double>(count_) : 0.0; }

private:
    static constexpr double kBase = 0.01;  // ms
    std::array<std::uint64_t, 500> buckets_{};
    std::size_t count_ = 0;
    double total_ = 0.0, min_ = 0.0, max_ = 0.0;
};

// The counters behind /stats. Not synchronised: the server keeps one under a mutex.
struct Stats {
    std::uint64_t total = 0, success = 0, err4 = 0, err5 = 0, retries = 0, rejected_429 = 0, rejected_auth = 0,
                  streams = 0, streams_interrupted = 0;
    std::int64_t prompt_tokens = 0, completion_tokens = 0;
    int peak_inflight = 0;
    Histogram latency, ttfb;

    // One finished /v1 request; negative latency or ttfb means "not measured".
    void record(int status, double latency_ms = -1, double ttfb_ms = -1);
    void add_usage(const Json& usage);
};

// Token usage of a non-stream JSON answer (its top-level "usage"), added to `stats`. Only that
// member is parsed: the rest of the answer (the completion) is passed over.
void count_usage(Stats& stats, std::string_view body);
// The text of the value of a JSON object's top-level member `key` (its first occurrence), or
// nothing when `doc` is not an object or has no such member. Members before it are passed over
// by their extent, without being parsed.
std::optional<std::string_view> top_level_member(std::string_view doc, std::string_view key);
// Token usage of a stream: the last `data:` event with a non-empty "usage", added to `stats`.
void count_stream_usage(Stats& stats, std::string_view tail);
// Whether a request body asks for the usage chunk of a stream (stream_options.include_usage).
bool wants_stream_usage(std::string_view body);

// The traffic part of /stats, as JSON members without braces (in the Python proxy's order).
struct StatsSnapshot {
    Stats stats;
    double uptime_s = 0;
    int inflight = 0;
    int max_inflight = 0;
    std::uint64_t gather_pauses = 0;    // pauses the loops took to gather stream pieces (--gather-us)
    std::uint64_t memory_releases = 0;  // quiet moments after which memory went back to the system
};
std::string stats_members(const StatsSnapshot& s);

// ---------------------------------------------------------------- HTTP helpers

bool iequals(std::string_view a, std::string_view b);
// Request headers never forwarded upstream (hop-by-hop ones, the credential, and those the
// proxy recomputes).
bool drop_request_header(std::string_view name);
// Response headers never relayed (hop-by-hop ones; the proxy sets its own framing).
bool drop_response_header(std::string_view name);
const char* reason_phrase(int status);
// Whether a request's Transfer-Encoding (all its fields joined by commas) is exactly one coding,
// chunked (any case). Anything else cannot be framed safely by a proxy that decodes no other
// coding: chunked not last (RFC 9112 section 6.3), an unknown coding, chunked twice.
bool only_chunked(std::string_view transfer_encoding);
// Whether a method name has no lower-case letter (methods are case-sensitive and the standard
// ones are upper case: "get" is not GET).
bool upper_case_method(std::string_view method);
// The header names a Connection header value lists, in lower case (hop-by-hop for this
// connection only: never forwarded).
std::vector<std::string> connection_tokens(std::string_view value);

// An upstream URL, http:// or https://.
struct UpstreamUrl {
    bool tls = false;       // https://
    std::string host;       // without brackets
    std::string port;       // "80" (http) or "443" (https) when not given
    std::string base_path;  // without a trailing slash; empty for the root
    std::string host_header;
};
// Throws std::runtime_error with a message for the user.
UpstreamUrl parse_upstream(std::string_view url);

}  // namespace mgpux_proxy
