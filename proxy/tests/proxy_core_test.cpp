// SPDX-License-Identifier: MIT
#include "proxy_core.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using namespace mgpux_proxy;

// ---------------------------------------------------------------- hashing

TEST(Sha256, KnownVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // 56 bytes: the length no longer fits in the first block
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, EveryLengthAroundTheBlockEdgeDiffers) {
    std::string prev;
    for (std::size_t n = 50; n < 140; ++n) {
        const std::string h = sha256_hex(std::string(n, 'x'));
        EXPECT_EQ(h.size(), 64u);
        EXPECT_NE(h, prev) << n;
        prev = h;
    }
}

TEST(ConstantTimeEqual, ComparesWholeStrings) {
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "abcd"));
    EXPECT_TRUE(constant_time_equal("", ""));
}

// ---------------------------------------------------------------- JSON

TEST(Json, ParsesDocuments) {
    const auto v = parse_json(R"({"a": [1, -2.5e3, true, null, "x\u00e9\ud83d\ude00"], "b": {"c": 0}, "a": 7})");
    ASSERT_TRUE(v);
    const Json* a = v->find("a");
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->is_int());  // the last duplicate wins
    EXPECT_EQ(a->as_int(), 7);
    EXPECT_EQ(v->as_object()[0].first, "a");  // at the first one's place
    const auto items = parse_json(R"([1, -2.5e3, true, null, "x\u00e9\ud83d\ude00"])");
    ASSERT_TRUE(items);
    EXPECT_EQ(items->as_array()[4].as_string(), "x\xc3\xa9\xf0\x9f\x98\x80");
    EXPECT_FALSE(items->as_array()[1].is_int());
    EXPECT_TRUE(v->find("b")->find("c")->is_int());
}

TEST(Json, RefusesInvalidDocuments) {
    for (const char* bad :
         {"", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\x01\"", "tru", "[1] x", "{\"a\":1,}", "\"\\x\"",
          // strict: no lone surrogates, no integer silently clamped
          "\"\\ud800\"", "\"\\ud800\\u0041\"", "99999999999999999999", "\"\xc0\xaf\""})
        EXPECT_FALSE(parse_json(bad)) << bad;
    EXPECT_FALSE(parse_json(std::string(600, '[') + std::string(600, ']')));  // too deep
    EXPECT_TRUE(parse_json(std::string(100, '[') + std::string(100, ']')));
}

TEST(Json, TruthyFollowsPython) {
    for (const char* falsy : {"0", "0.0", "-0.0", "\"\"", "{}", "[]", "null", "false"})
        EXPECT_FALSE(truthy(*parse_json(falsy))) << falsy;
    for (const char* truthy_text : {"1", "0.5", "\"no\"", "[0]", "{\"a\":0}", "true"})
        EXPECT_TRUE(truthy(*parse_json(truthy_text))) << truthy_text;
}

TEST(Json, QuoteEscapesAndRoundTrips) {
    const std::string s = std::string("q\"b\\n\n\x01 \xc3\xa9") + '\0';
    const std::string q = json_quote(s);
    EXPECT_EQ(q, "\"q\\\"b\\\\n\\n\\u0001 \xc3\xa9\\u0000\"");  // short escapes, as Python writes them
    const auto back = parse_json(q);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->as_string(), s);
    // invalid UTF-8 (a lone continuation byte, an overlong form, a surrogate) becomes U+FFFD
    EXPECT_EQ(json_quote("\x80"), "\"\xef\xbf\xbd\"");
    EXPECT_EQ(json_quote("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    EXPECT_EQ(json_quote("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

TEST(Json, NumbersAsPythonRoundsThem) {
    EXPECT_EQ(json_number(3.0, 1), "3.0");
    EXPECT_EQ(json_number(2.5, 2), "2.5");
    EXPECT_EQ(json_number(12.345, 1), "12.3");
    EXPECT_EQ(json_number(-0.01, 1), "0.0");
    EXPECT_EQ(json_number(1.0 / 0.0, 1), "0.0");
}

TEST(Json, ErrorBodyIsOpenAiShaped) {
    const auto v = parse_json(error_body("Bad \"thing\"", "auth_error", "invalid_api_key"));
    ASSERT_TRUE(v);
    const Json* e = v->find("error");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->find("message")->as_string(), "Bad \"thing\"");
    EXPECT_EQ(e->find("type")->as_string(), "auth_error");
    EXPECT_EQ(e->find("param")->kind(), Json::Kind::Null);
    EXPECT_EQ(e->find("code")->as_string(), "invalid_api_key");
    EXPECT_EQ(parse_json(error_body("m", "t"))->find("error")->find("code")->kind(), Json::Kind::Null);
}

// ---------------------------------------------------------------- keys

TEST(Keys, StoreGivesDigestsOfActiveKeys) {
    const auto h = key_hashes_from_store(R"([{"name": "a", "key": "k1", "created": "x"},
        {"name": "b", "key": "k2", "active": true}, {"name": "c", "key": "k3", "active": false},
        {"name": "d"}, {"name": "e", "key": ""}, "junk", {"name": "f", "key": 5}])");
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0], sha256_hex("k1"));
    EXPECT_EQ(h[1], sha256_hex("k2"));
    EXPECT_THROW(key_hashes_from_store("{}"), std::runtime_error);
    EXPECT_THROW(key_hashes_from_store("[{"), std::runtime_error);
}

TEST(Keys, OnlyAMissingOrTrueActiveIsActive) {
    // fail closed: anything but an absent "active" or JSON true is a revoked key
    for (const char* active : {"false", "0", "1", "\"false\"", "\"true\"", "\"\"", "null", "[]", "{}", "[true]"}) {
        const std::string doc = std::string(R"([{"name": "a", "key": "k1", "active": )") + active + "}]";
        EXPECT_TRUE(key_hashes_from_store(doc).empty()) << doc;
    }
    const auto h = key_hashes_from_store(R"([{"name": "a", "key": "k1"}, {"name": "b", "key": "k2", "active": true}])");
    EXPECT_EQ(h, (std::vector<std::string>{sha256_hex("k1"), sha256_hex("k2")}));
}

TEST(Keys, HashListFromTheEnvironment) {
    const std::string d = sha256_hex("k");
    std::string upper = d;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto h = parse_hash_list(" " + upper + " ,\n," + d + ",");
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0], d);
    EXPECT_TRUE(parse_hash_list("").empty());
    EXPECT_THROW(parse_hash_list("abc"), std::runtime_error);
    EXPECT_THROW(parse_hash_list(std::string(64, 'g')), std::runtime_error);
}

TEST(Keys, BearerToken) {
    EXPECT_EQ(bearer_token("Bearer abc"), "abc");
    EXPECT_EQ(bearer_token("bearer  abc "), "abc");
    EXPECT_EQ(bearer_token("BEARER abc"), "abc");
    EXPECT_EQ(bearer_token("Bearer"), "");
    EXPECT_EQ(bearer_token("Bearer   "), "");
    EXPECT_EQ(bearer_token("Basic abc"), "");
    EXPECT_EQ(bearer_token("abc"), "");
    EXPECT_EQ(bearer_token(""), "");
}

TEST(Keys, KeySetAcceptsFixedAndFileKeysAndReloadsTheFile) {
    std::string path_text = (std::filesystem::temp_directory_path() / "mgpux-proxy-keys-XXXXXX").string();
    char* path = path_text.data();
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    auto write = [&](const std::string& text) { std::ofstream(path, std::ios::trunc) << text; };
    write(R"([{"name": "a", "key": "file-key"}])");
    KeySet keys({sha256_hex("env-key")}, path);
    keys.load();
    EXPECT_EQ(keys.count(), 2u);
    EXPECT_TRUE(keys.accepts("env-key"));
    EXPECT_TRUE(keys.accepts("file-key"));
    EXPECT_FALSE(keys.accepts("other"));
    EXPECT_FALSE(keys.accepts("file-ke"));
    // revoked in the file: gone within about a second, without a restart
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    write(R"([{"name": "a", "key": "file-key", "active": false}, {"name": "b", "key": "new-key"}])");
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (keys.accepts("file-key") && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_FALSE(keys.accepts("file-key"));
    EXPECT_TRUE(keys.accepts("new-key"));
    // a half-written file keeps the keys known so far
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    write("[{\"name\": ");
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    EXPECT_TRUE(keys.accepts("new-key"));
    std::remove(path);
    KeySet missing({}, "/nonexistent/keys.json");
    EXPECT_THROW(missing.load(), std::runtime_error);
}

// ---------------------------------------------------------------- metrics

TEST(Histogram, PercentilesStayInsideTheObservedRange) {
    Histogram h;
    EXPECT_EQ(h.percentile(0.5), 0.0);
    for (int i = 1; i <= 100; ++i) h.add(i);
    EXPECT_EQ(h.count(), 100u);
    EXPECT_DOUBLE_EQ(h.min(), 1.0);
    EXPECT_DOUBLE_EQ(h.max(), 100.0);
    EXPECT_DOUBLE_EQ(h.avg(), 50.5);
    EXPECT_NEAR(h.percentile(0.5), 50, 50 * 0.05);
    EXPECT_NEAR(h.percentile(0.99), 99, 99 * 0.05);
    EXPECT_LE(h.percentile(0.5), h.percentile(0.95));
    EXPECT_LE(h.percentile(1.0), h.max());
    h.add(0.0);
    EXPECT_DOUBLE_EQ(h.min(), 0.0);
}

TEST(Stats, RecordsClassesAndUsage) {
    Stats s;
    s.record(200, 1, 0.5);
    s.record(302, 1);
    s.record(429);
    s.record(499, 2);
    s.record(503, 3);
    EXPECT_EQ(s.total, 5u);
    EXPECT_EQ(s.success, 2u);
    EXPECT_EQ(s.err4, 2u);
    EXPECT_EQ(s.err5, 1u);
    EXPECT_EQ(s.latency.count(), 4u);
    EXPECT_EQ(s.ttfb.count(), 1u);
    count_usage(s, R"({"usage": {"prompt_tokens": 3, "completion_tokens": 4}})");
    count_usage(s, R"({"usage": {"prompt_tokens": 1.5, "completion_tokens": "4"}})");  // not integers
    count_usage(s, "not json");
    EXPECT_EQ(s.prompt_tokens, 3);
    EXPECT_EQ(s.completion_tokens, 4);
    count_stream_usage(
        s,
        "data: {\"choices\": []}\n\ndata: {\"usage\": {\"prompt_tokens\": 2, \"completion_tokens\": 5}}\n\n"
        "data: {\"usage\": null}\n\ndata: [DONE]\n\n");
    EXPECT_EQ(s.prompt_tokens, 5);
    EXPECT_EQ(s.completion_tokens, 9);
}

TEST(Stats, UsageIsTheTopLevelMemberOnly) {
    Stats s;
    // nested, or inside a string (the model's text), it is not the answer's usage
    count_usage(s, R"({"choices": [{"usage": {"prompt_tokens": 50, "completion_tokens": 50}}]})");
    count_usage(s, R"({"text": "\"usage\": {\"prompt_tokens\": 60}", "usage": null})");
    count_usage(s, R"({"text": "}\\", "x": [1, {"y": "]"}], "usage": {"prompt_tokens": 7, "completion_tokens": 8}})");
    EXPECT_EQ(s.prompt_tokens, 7);
    EXPECT_EQ(s.completion_tokens, 8);
    // a cut or broken document counts nothing
    count_usage(s, R"({"text": "abc", "usage": {"prompt_tokens": 1)");
    count_usage(s, R"({"text" "abc", "usage": {"prompt_tokens": 1, "completion_tokens": 1}})");
    count_usage(s, R"(["usage", {"prompt_tokens": 1}])");
    EXPECT_EQ(s.prompt_tokens, 7);
    EXPECT_EQ(s.completion_tokens, 8);
}

TEST(Stats, UsageCountsOnlyJsonIntegers) {
    Stats s;
    count_usage(s, R"({"usage": {"details": {"prompt_tokens": 40}, "prompt_tokens": 2, "completion_tokens": -1}})");
    EXPECT_EQ(s.prompt_tokens, 2);  // the usage object's own member, not a nested one
    EXPECT_EQ(s.completion_tokens, -1);
    count_usage(s, R"({"usage": {"prompt_tokens": 07, "completion_tokens": 1e2}})");  // not JSON integers
    count_usage(s, R"({"usage": {"prompt_tokens": 99999999999999999999, "completion_tokens": true}})");
    count_usage(s, R"({"usage": {"prompt_tokens": "3", "completion_tokens": null}})");
    EXPECT_EQ(s.prompt_tokens, 2);
    EXPECT_EQ(s.completion_tokens, -1);
    count_usage(s, R"({"usage": {"completion_tokens": 0, "prompt_tokens": 10}})");
    EXPECT_EQ(s.prompt_tokens, 12);
    EXPECT_EQ(s.completion_tokens, -1);
}

TEST(Json, TopLevelMember) {
    EXPECT_EQ(top_level_member(R"( { "a" : 1 , "b" : [ "x]" , {"c": "}"} ] } )", "b"), R"([ "x]" , {"c": "}"} ])");
    EXPECT_EQ(top_level_member(R"({"a": true, "b": null})", "b"), "null");
    EXPECT_EQ(top_level_member(R"({"a": "q\"b\": 2", "b": -1.5e3})", "b"), "-1.5e3");
    EXPECT_EQ(top_level_member(R"({"a": 1, "a": 2})", "a"), "1");
    // a quote after an even number of backslashes ends the string; after an odd number it is text
    EXPECT_EQ(top_level_member(R"({"a": "x\\", "b": 2})", "b"), "2");
    EXPECT_EQ(top_level_member(R"({"a": "x\\\"y\\\\", "b": 3})", "b"), "3");
    EXPECT_EQ(top_level_member(R"({"\\": "\"", "b": 4})", "b"), "4");
    EXPECT_FALSE(top_level_member(R"({"a": {"b": 1}})", "b"));
    EXPECT_FALSE(top_level_member("{}", "a"));
    EXPECT_FALSE(top_level_member("", "a"));
    EXPECT_FALSE(top_level_member(R"({"a": )", "a"));
    EXPECT_FALSE(top_level_member(R"({"a": "open)", "a"));
}

TEST(Stats, WantsStreamUsage) {
    EXPECT_TRUE(wants_stream_usage(R"({"stream": true, "stream_options": {"include_usage": true}})"));
    EXPECT_FALSE(wants_stream_usage(R"({"stream": true, "stream_options": {"include_usage": false}})"));
    EXPECT_FALSE(wants_stream_usage(R"({"stream": true})"));
    EXPECT_FALSE(wants_stream_usage(R"({"include_usage": true})"));
    EXPECT_FALSE(wants_stream_usage("include_usage but not json"));
}

TEST(Stats, MembersFormOneJsonObjectWithEveryField) {
    StatsSnapshot snap;
    snap.stats.record(200, 12.0, 3.0);
    snap.stats.peak_inflight = 2;
    snap.uptime_s = 4;
    snap.inflight = 1;
    snap.max_inflight = 8;
    snap.gather_pauses = 5;
    snap.memory_releases = 3;
    const auto v = parse_json("{" + stats_members(snap) + "}");
    ASSERT_TRUE(v);
    for (const char* key : {"uptime_seconds",      "inflight_requests",
                            "peak_inflight",       "max_inflight_limit",
                            "total_requests",      "total_success",
                            "total_errors_4xx",    "total_errors_5xx",
                            "total_retries",       "rejected_429",
                            "rejected_auth",       "streams",
                            "streams_interrupted", "requests_per_second",
                            "latency_avg_ms",      "latency_min_ms",
                            "latency_max_ms",      "latency_p50_ms",
                            "latency_p95_ms",      "latency_p99_ms",
                            "ttfb_p50_ms",         "ttfb_p95_ms",
                            "ttfb_p99_ms",         "latency_samples",
                            "tokens_prompt_total", "tokens_completion_total",
                            "gather_pauses",       "memory_releases"})
        EXPECT_TRUE(v->find(key)) << key;
    EXPECT_EQ(v->find("max_inflight_limit")->as_int(), 8);
    EXPECT_EQ(v->find("gather_pauses")->as_int(), 5);
    EXPECT_EQ(v->find("memory_releases")->as_int(), 3);
    // numbers as written (Python's round(x, n) through json), checked in the text
    const std::string members = stats_members(snap);
    EXPECT_NE(members.find("\"requests_per_second\": 0.25,"), std::string::npos) << members;
    EXPECT_NE(members.find("\"latency_max_ms\": 12.0,"), std::string::npos) << members;
    EXPECT_EQ(v->find("latency_max_ms")->as_float(), 12.0);
}

// ---------------------------------------------------------------- HTTP helpers

TEST(Http, HeaderFilters) {
    for (const char* h : {"Host", "authorization", "Content-Length", "CONNECTION", "Transfer-Encoding", "Expect", "TE"})
        EXPECT_TRUE(drop_request_header(h)) << h;
    for (const char* h : {"Content-Type", "X-Custom", "Accept"}) EXPECT_FALSE(drop_request_header(h)) << h;
    EXPECT_TRUE(drop_response_header("Content-Length"));
    EXPECT_FALSE(drop_response_header("Authorization"));  // an upstream's own header is relayed
    EXPECT_FALSE(drop_response_header("X-Fake"));
}

TEST(Http, ChunkedMustBeTheOnlyTransferCoding) {
    for (const char* v : {"chunked", "Chunked", " CHUNKED ", "chunked,", ", chunked"})
        EXPECT_TRUE(only_chunked(v)) << v;
    for (const char* v : {"", " ", "chunked, identity", "identity", "gzip, chunked", "xchunked", "chunked, chunked",
                          "chunked;x=1", "chunked gzip", "gzip"})
        EXPECT_FALSE(only_chunked(v)) << v;
}

TEST(Http, MethodsAreUpperCase) {
    for (const char* m : {"GET", "POST", "M-SEARCH", "PROPFIND"}) EXPECT_TRUE(upper_case_method(m)) << m;
    for (const char* m : {"get", "Get", "pOST", ""}) EXPECT_FALSE(upper_case_method(m)) << m;
}

TEST(Http, ConnectionTokens) {
    EXPECT_EQ(connection_tokens("keep-alive, X-Secret ,,\tx-b"),
              (std::vector<std::string>{"keep-alive", "x-secret", "x-b"}));
    EXPECT_TRUE(connection_tokens("").empty());
}

TEST(Http, UpstreamUrls) {
    auto u = parse_upstream("http://127.0.0.1:8001");
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, "8001");
    EXPECT_EQ(u.base_path, "");
    EXPECT_EQ(u.host_header, "127.0.0.1:8001");
    u = parse_upstream("HTTP://example.com/api/");
    EXPECT_EQ(u.port, "80");
    EXPECT_EQ(u.base_path, "/api");
    EXPECT_EQ(u.host_header, "example.com");
    u = parse_upstream("http://[::1]:9000/x");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.host_header, "[::1]:9000");
    EXPECT_FALSE(u.tls);
    u = parse_upstream("HTTPS://api.example.com/v/");
    EXPECT_TRUE(u.tls);
    EXPECT_EQ(u.host, "api.example.com");
    EXPECT_EQ(u.port, "443");
    EXPECT_EQ(u.base_path, "/v");
    EXPECT_EQ(u.host_header, "api.example.com");
    u = parse_upstream("https://127.0.0.1:8443");
    EXPECT_TRUE(u.tls);
    EXPECT_EQ(u.host_header, "127.0.0.1:8443");
    for (const char* bad : {"ftp://x", "https://", "https://:443", "http://", "http://:80", "http://x:0",
                            "http://x:99999", "http://x:8a", "http://u:p@x", "http://x/?q=1", "http://[::1"})
        EXPECT_THROW(parse_upstream(bad), std::runtime_error) << bad;
}
