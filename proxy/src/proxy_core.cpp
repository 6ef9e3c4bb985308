// SPDX-License-Identifier: MIT
#include "proxy_core.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>

namespace mgpux_proxy {

// ---------------------------------------------------------------- SHA-256 (FIPS 180-4)

namespace {

constexpr std::uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline std::uint32_t rotr(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

void compress(std::uint32_t state[8], const unsigned char block[64]) {
    std::uint32_t w[64];
    for (int i = 0; i < 16; ++i)
        w[i] = (std::uint32_t(block[4 * i]) << 24) | (std::uint32_t(block[4 * i + 1]) << 16) |
               (std::uint32_t(block[4 * i + 2]) << 8) | std::uint32_t(block[4 * i + 3]);
    for (int i = 16; i < 64; ++i) {
        const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    std::uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 64; ++i) {
        const std::uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kRound[i] + w[i];
        const std::uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    std::uint32_t state[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                              0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    std::size_t n = data.size();
    while (n >= 64) {
        compress(state, p);
        p += 64;
        n -= 64;
    }
    // The tail, the 0x80 marker and the length in bits, in one or two blocks.
    unsigned char last[128] = {};
    std::memcpy(last, p, n);
    last[n] = 0x80;
    const std::size_t blocks = n + 9 <= 64 ? 1 : 2;
    const std::uint64_t bits = std::uint64_t(data.size()) * 8;
    for (int i = 0; i < 8; ++i) last[blocks * 64 - 1 - i] = static_cast<unsigned char>(bits >> (8 * i));
    for (std::size_t b = 0; b < blocks; ++b) compress(state, last + 64 * b);
    static const char* hex = "0123456789abcdef";
    std::string out(64, '0');
    for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 8; ++j) out[8 * i + j] = hex[(state[i] >> (28 - 4 * j)) & 0xf];
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

// ---------------------------------------------------------------- JSON

std::optional<Json> parse_json(std::string_view text) {
    try {
        return Json::parse(text);
    } catch (const mgpux::JsonError&) {
        return std::nullopt;
    }
}

bool truthy(const Json& v) {
    switch (v.kind()) {
        case Json::Kind::Null: return false;
        case Json::Kind::Bool: return v.as_bool();
        case Json::Kind::Int: return v.as_int() != 0;
        case Json::Kind::Float: return v.as_float() != 0.0;
        case Json::Kind::String: return !v.as_string().empty();
        case Json::Kind::Array: return !v.as_array().empty();
        case Json::Kind::Object: return !v.as_object().empty();
    }
    return false;
}

// ---------------------------------------------------------------- JSON writing

std::string json_number(double value, int decimals) {
    if (!std::isfinite(value)) return "0.0";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    std::string s = buf;
    // Python writes round(2.50, 2) as 2.5 and round(3.0, 1) as 3.0.
    if (s.find('.') != std::string::npos) {
        while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
    }
    if (s == "-0.0") s = "0.0";
    return s;
}

std::string error_body(std::string_view message, std::string_view type, std::string_view code) {
    std::string out = "{\"error\": {\"message\": " + json_quote(message) + ", \"type\": " + json_quote(type) +
                      ", \"param\": null, \"code\": ";
    out += code.empty() ? std::string("null") : json_quote(code);
    out += "}}";
    return out;
}

// ---------------------------------------------------------------- keys

std::vector<std::string> key_hashes_from_store(std::string_view document) {
    const auto doc = parse_json(document);
    if (!doc) throw std::runtime_error("not valid JSON");
    if (!doc->is_array()) throw std::runtime_error("expected a JSON array of keys");
    std::vector<std::string> out;
    for (const Json& entry : doc->as_array()) {
        if (!entry.is_object()) continue;
        const Json* key = entry.find("key");
        const Json* active = entry.find("active");
        if (!key || !key->is_string() || key->as_string().empty()) continue;
        // Fail closed: only a missing "active" or JSON true is active (0, "false", null... are not).
        if (active && !(active->is_bool() && active->as_bool())) continue;
        out.push_back(sha256_hex(key->as_string()));
    }
    return out;
}

std::vector<std::string> parse_hash_list(std::string_view text) {
    std::vector<std::string> out;
    std::string item;
    auto flush = [&] {
        std::size_t a = item.find_first_not_of(" \t\r");
        std::size_t b = item.find_last_not_of(" \t\r");
        std::string t = a == std::string::npos ? std::string() : item.substr(a, b - a + 1);
        item.clear();
        if (t.empty()) return;
        for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const bool hex = t.size() == 64 && t.find_first_not_of("0123456789abcdef") == std::string::npos;
        if (!hex) throw std::runtime_error("MGPUX_KEY_HASHES: '" + t.substr(0, 8) + "' is not a hex SHA-256 digest");
        out.push_back(t);
    };
    for (char c : text) {
        if (c == ',' || c == '\n') flush();
        else item += c;
    }
    flush();
    return out;
}

std::string_view bearer_token(std::string_view v) {
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    };
    v = trim(v);
    const std::size_t sp = v.find(' ');
    if (sp == std::string_view::npos || !iequals(v.substr(0, sp), "bearer")) return {};
    return trim(v.substr(sp + 1));
}

namespace {
long long now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}
}  // namespace

KeySet::KeySet(std::vector<std::string> fixed_hashes, std::string keys_file)
    : fixed_(std::move(fixed_hashes)), file_(std::move(keys_file)) {}

void KeySet::load() {
    if (file_.empty()) return;
    struct stat st {};
    if (::stat(file_.c_str(), &st) != 0) throw std::runtime_error(file_ + ": " + std::strerror(errno));
    std::ifstream in(file_, std::ios::binary);
    if (!in) throw std::runtime_error(file_ + ": cannot be read");
    std::stringstream ss;
    ss << in.rdbuf();
    std::vector<std::string> hashes;
    try {
        hashes = key_hashes_from_store(ss.str());
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(file_ + ": " + e.what());
    }
    std::lock_guard<std::mutex> lock(mu_);
    from_file_ = std::move(hashes);
    file_mtime_ns_ = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    checked_ms_ = now_ms();
}

std::size_t KeySet::count() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<std::string> all(fixed_.begin(), fixed_.end());
    all.insert(from_file_.begin(), from_file_.end());
    return all.size();
}

void KeySet::maybe_reload() {
    // Called with mu_ held. A file that cannot be read or parsed keeps the keys known so far and
    // is tried again a second later (an editor may be half-way through writing it).
    const long long now = now_ms();
    if (file_.empty() || now - checked_ms_ < 1000) return;
    checked_ms_ = now;
    struct stat st {};
    if (::stat(file_.c_str(), &st) != 0) return;
    const long long mtime = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    if (mtime == file_mtime_ns_) return;
    std::ifstream in(file_, std::ios::binary);
    if (!in) return;
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        from_file_ = key_hashes_from_store(ss.str());
        file_mtime_ns_ = mtime;
    } catch (const std::runtime_error&) {}
}

bool KeySet::accepts(std::string_view token) {
    const std::string digest = sha256_hex(token);
    std::lock_guard<std::mutex> lock(mu_);
    maybe_reload();
    bool ok = false;
    // Every known digest is compared, whatever matched before.
    for (const auto& h : fixed_) ok = constant_time_equal(digest, h) | ok;
    for (const auto& h : from_file_) ok = constant_time_equal(digest, h) | ok;
    return ok;
}

// ---------------------------------------------------------------- metrics

void Histogram::add(double ms) {
    if (ms < 0) ms = 0;
    ++count_;
    total_ += ms;
    if (count_ == 1 || ms < min_) min_ = ms;
    if (ms > max_) max_ = ms;
    std::size_t i = 0;
    if (ms > kBase) i = static_cast<std::size_t>(std::log(ms / kBase) / std::log(1.05)) + 1;
    buckets_[std::min(i, buckets_.size() - 1)] += 1;
}

double Histogram::percentile(double q) const {
    if (!count_) return 0.0;
    const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * double(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        seen += buckets_[i];
        if (seen >= rank) {
            // the geometric middle of the bucket, kept inside the observed range
            const double mid = i ? kBase * std::exp((double(i) - 0.5) * std::log(1.05)) : kBase;
            return std::min(std::max(mid, min_), max_);
        }
    }
    return max_;
}

void Stats::record(int status, double latency_ms, double ttfb_ms) {
    ++total;
    if (status >= 200 && status < 400) ++success;
    else if (status >= 400 && status < 500) ++err4;
    else ++err5;
    if (latency_ms >= 0) latency.add(latency_ms);
    if (ttfb_ms >= 0) ttfb.add(ttfb_ms);
}

void Stats::add_usage(const Json& usage) {
    if (!usage.is_object()) return;
    if (const Json* p = usage.find("prompt_tokens"); p && p->is_int()) prompt_tokens += p->as_int();
    if (const Json* c = usage.find("completion_tokens"); c && c->is_int()) completion_tokens += c->as_int();
}

namespace {

constexpr std::size_t npos = std::string_view::npos;

std::size_t skip_space(std::string_view s, std::size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    return i;
}

// The end of the string that opens at s[i], or npos. A quote ends it unless an odd number of
// backslashes comes before it; the quotes are found with memchr (a completion's text is most of
// the bytes scanned, and this runs for every answer).
std::size_t skip_string(std::string_view s, std::size_t i) {
    const char* const begin = s.data() + i + 1;
    const char* const end = s.data() + s.size();
    const char* p = begin;
    while (p < end) {
        const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
        if (!q) return npos;
        std::size_t backslashes = 0;
        for (const char* b = q; b > begin && b[-1] == '\\'; --b) ++backslashes;
        if (backslashes % 2 == 0) return static_cast<std::size_t>(q - s.data()) + 1;
        p = q + 1;
    }
    return npos;
}

// The end of the value that begins at s[i], or npos. Only its extent is found (containers by
// their depth, strings by their escapes), nothing is built: this is how a large answer is
// passed over to reach one member.
std::size_t skip_value(std::string_view s, std::size_t i) {
    if (i >= s.size()) return npos;
    if (s[i] == '"') return skip_string(s, i);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < s.size()) {
            const char c = s[i];
            if (c == '"') {
                i = skip_string(s, i);
                if (i == npos) return npos;
                continue;
            }
            if (c == '{' || c == '[') ++depth;
            else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
            ++i;
        }
        return npos;
    }
    const std::size_t start = i;  // a number, true, false or null
    auto number_char = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '+' ||
               c == '.';
    };
    while (i < s.size() && number_char(s[i])) ++i;
    return i == start ? npos : i;
}

}  // namespace

std::optional<std::string_view> top_level_member(std::string_view doc, std::string_view key) {
    std::size_t i = skip_space(doc, 0);
    if (i >= doc.size() || doc[i] != '{') return std::nullopt;
    i = skip_space(doc, i + 1);
    if (i < doc.size() && doc[i] == '}') return std::nullopt;
    while (i < doc.size() && doc[i] == '"') {
        const std::size_t key_end = skip_string(doc, i);
        if (key_end == npos) return std::nullopt;
        const std::string_view name = doc.substr(i + 1, key_end - i - 2);
        i = skip_space(doc, key_end);
        if (i >= doc.size() || doc[i] != ':') return std::nullopt;
        const std::size_t value = skip_space(doc, i + 1);
        const std::size_t value_end = skip_value(doc, value);
        if (value_end == npos) return std::nullopt;
        if (name == key) return doc.substr(value, value_end - value);
        i = skip_space(doc, value_end);
        if (i >= doc.size() || doc[i] != ',') return std::nullopt;
        i = skip_space(doc, i + 1);
    }
    return std::nullopt;
}

namespace {

// The member `key` of the JSON object `obj` when it is a JSON integer that fits in 64 bits.
std::optional<std::int64_t> int_member(std::string_view obj, std::string_view key) {
    const auto v = top_level_member(obj, key);
    if (!v || v->empty()) return std::nullopt;
    const std::string_view digits = v->front() == '-' ? v->substr(1) : *v;
    if (digits.size() > 1 && digits.front() == '0') return std::nullopt;  // JSON has no leading zeros
    std::int64_t n = 0;
    const char* end = v->data() + v->size();
    const auto r = std::from_chars(v->data(), end, n);
    if (r.ec != std::errc() || r.ptr != end) return std::nullopt;
    return n;
}

}  // namespace

// Every answer that is not a stream comes through here, so the usage object is read where it
// lies, without building a document for it.
void count_usage(Stats& stats, std::string_view body) {
    const auto usage = top_level_member(body, "usage");
    if (!usage) return;
    if (const auto p = int_member(*usage, "prompt_tokens")) stats.prompt_tokens += *p;
    if (const auto c = int_member(*usage, "completion_tokens")) stats.completion_tokens += *c;
}

void count_stream_usage(Stats& stats, std::string_view tail) {
    // the lines of the tail, from the last one back
    std::size_t end = tail.size();
    while (end > 0) {
        std::size_t start = tail.rfind('\n', end - 1);
        start = start == std::string_view::npos ? 0 : start + 1;
        std::string_view line = tail.substr(start, end - start);
        end = start == 0 ? 0 : start - 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.substr(0, 5) != "data:" || line.find("\"usage\"") == std::string_view::npos) continue;
        const auto event = parse_json(line.substr(5));
        if (!event || !event->is_object()) continue;
        const Json* u = event->find("usage");
        if (u && truthy(*u)) {
            stats.add_usage(*u);
            return;
        }
    }
}

bool wants_stream_usage(std::string_view body) {
    if (body.find("include_usage") == std::string_view::npos) return false;
    const auto doc = parse_json(body);
    if (!doc) return false;
    const Json* opts = doc->find("stream_options");
    if (!opts || !opts->is_object()) return false;
    const Json* inc = opts->find("include_usage");
    return inc && truthy(*inc);
}

std::string stats_members(const StatsSnapshot& snap) {
    const Stats& s = snap.stats;
    const double uptime = std::max(snap.uptime_s, 1e-9);
    auto n = [](std::uint64_t v) { return std::to_string(v); };
    auto f1 = [](double v) { return json_number(v, 1); };
    std::string o;
    o.reserve(1024);
    o += "\"uptime_seconds\": " + f1(uptime);
    o += ", \"inflight_requests\": " + std::to_string(snap.inflight);
    o += ", \"peak_inflight\": " + std::to_string(s.peak_inflight);
    o += ", \"max_inflight_limit\": " + std::to_string(snap.max_inflight);
    o += ", \"total_requests\": " + n(s.total);
    o += ", \"total_success\": " + n(s.success);
    o += ", \"total_errors_4xx\": " + n(s.err4);
    o += ", \"total_errors_5xx\": " + n(s.err5);
    o += ", \"total_retries\": " + n(s.retries);
    o += ", \"rejected_429\": " + n(s.rejected_429);
    o += ", \"rejected_auth\": " + n(s.rejected_auth);
    o += ", \"streams\": " + n(s.streams);
    o += ", \"streams_interrupted\": " + n(s.streams_interrupted);
    o += ", \"gather_pauses\": " + n(snap.gather_pauses);
    o += ", \"memory_releases\": " + n(snap.memory_releases);
    o += ", \"requests_per_second\": " + json_number(double(s.total) / uptime, 2);
    const Histogram& l = s.latency;
    o += ", \"latency_avg_ms\": " + f1(l.avg());
    o += ", \"latency_min_ms\": " + f1(l.min());
    o += ", \"latency_max_ms\": " + f1(l.max());
    o += ", \"latency_p50_ms\": " + f1(l.percentile(0.50));
    o += ", \"latency_p95_ms\": " + f1(l.percentile(0.95));
    o += ", \"latency_p99_ms\": " + f1(l.percentile(0.99));
    o += ", \"ttfb_p50_ms\": " + f1(s.ttfb.percentile(0.50));
    o += ", \"ttfb_p95_ms\": " + f1(s.ttfb.percentile(0.95));
    o += ", \"ttfb_p99_ms\": " + f1(s.ttfb.percentile(0.99));
    o += ", \"latency_samples\": " + n(l.count());
    o += ", \"tokens_prompt_total\": " + std::to_string(s.prompt_tokens);
    o += ", \"tokens_completion_total\": " + std::to_string(s.completion_tokens);
    return o;
}

// ---------------------------------------------------------------- HTTP helpers

// ASCII only, as HTTP's names are (and without the locale lookup std::tolower makes per byte).
bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

namespace {
bool in_list(std::string_view name, std::initializer_list<std::string_view> list) {
    for (auto n : list)
        if (iequals(name, n)) return true;
    return false;
}

// The elements of a comma-separated header list (RFC 9110 section 5.6.1), without surrounding
// spaces or tabs; empty elements are left out.
std::vector<std::string_view> list_elements(std::string_view value) {
    std::vector<std::string_view> out;
    while (true) {
        const std::size_t comma = value.find(',');
        std::string_view e = value.substr(0, comma);
        while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.remove_prefix(1);
        while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.remove_suffix(1);
        if (!e.empty()) out.push_back(e);
        if (comma == std::string_view::npos) return out;
        value.remove_prefix(comma + 1);
    }
}
}  // namespace

bool only_chunked(std::string_view transfer_encoding) {
    const auto codings = list_elements(transfer_encoding);
    return codings.size() == 1 && iequals(codings[0], "chunked");
}

bool upper_case_method(std::string_view method) {
    if (method.empty()) return false;
    for (char c : method)
        if (c >= 'a' && c <= 'z') return false;
    return true;
}

std::vector<std::string> connection_tokens(std::string_view value) {
    std::vector<std::string> out;
    for (std::string_view e : list_elements(value)) {
        std::string t(e);
        for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.push_back(std::move(t));
    }
    return out;
}

bool drop_request_header(std::string_view name) {
    return in_list(name, {"host", "authorization", "content-length", "connection", "keep-alive", "proxy-authorization",
                          "proxy-authenticate", "proxy-connection", "te", "trailer", "trailers", "transfer-encoding",
                          "upgrade", "expect"});
}

bool drop_response_header(std::string_view name) {
    return in_list(name, {"connection", "keep-alive", "proxy-authenticate", "proxy-connection", "te", "trailer",
                          "trailers", "transfer-encoding", "upgrade", "content-length"});
}

const char* reason_phrase(int status) {
    switch (status) {
        case 100: return "Continue";
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 204: return "No Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 413: return "Payload Too Large";
        case 418: return "I'm a teapot";
        case 422: return "Unprocessable Entity";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "";
    }
}

UpstreamUrl parse_upstream(std::string_view url) {
    UpstreamUrl u;
    std::string_view rest = url;
    if (rest.size() >= 8 && iequals(rest.substr(0, 8), "https://")) {
        u.tls = true;
        rest.remove_prefix(8);
    } else if (rest.size() >= 7 && iequals(rest.substr(0, 7), "http://")) {
        rest.remove_prefix(7);
    } else {
        throw std::runtime_error("--upstream: expected http[s]://HOST[:PORT][/PATH], got '" + std::string(url) + "'");
    }
    const std::size_t slash = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (authority.find('@') != std::string_view::npos)
        throw std::runtime_error("--upstream: credentials in the URL are not supported");
    if (!path.empty() && path.front() != '/')
        throw std::runtime_error("--upstream: a query or fragment is not allowed");
    if (path.find_first_of("?#") != std::string_view::npos)
        throw std::runtime_error("--upstream: a query or fragment is not allowed");
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) throw std::runtime_error("--upstream: unbalanced [ in the host");
        u.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') throw std::runtime_error("--upstream: bad port");
            u.port = std::string(after.substr(1));
        }
    } else {
        const std::size_t colon = authority.rfind(':');
        u.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) u.port = std::string(authority.substr(colon + 1));
    }
    if (u.host.empty()) throw std::runtime_error("--upstream: no host in '" + std::string(url) + "'");
    const char* default_port = u.tls ? "443" : "80";
    if (u.port.empty()) u.port = default_port;
    if (u.port.find_first_not_of("0123456789") != std::string::npos || u.port.size() > 5 || std::stoi(u.port) > 65535 ||
        std::stoi(u.port) == 0)
        throw std::runtime_error("--upstream: '" + u.port + "' is not a port");
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    u.base_path = std::string(path);
    const bool v6 = u.host.find(':') != std::string::npos;
    u.host_header = (v6 ? "[" + u.host + "]" : u.host) + (u.port == default_port ? std::string() : ":" + u.port);
    return u;
}

}  // namespace mgpux_proxy
