// SPDX-License-Identifier: MIT
// Conformance of the SDK's header-only JSON codec (mgpux/json.hpp): what RFC 8259 allows and
// forbids, the codec's own decisions (integer range, surrogates, depth, duplicates), error
// offsets, and writer round trips. Built as C++17, the standard the native proxy compiles it with.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "mgpux/json.hpp"

using mgpux::Json;
using mgpux::JsonError;

namespace {

// The byte offset a malformed document is reported at, or -1 when it parses.
long long error_offset(const std::string& text) {
    try {
        (void)Json::parse(text);
    } catch (const JsonError& e) {
        EXPECT_NE(std::string(e.what()).find("at byte " + std::to_string(e.offset())), std::string::npos) << e.what();
        return static_cast<long long>(e.offset());
    }
    return -1;
}

bool rejects(const std::string& text) { return error_offset(text) >= 0; }

Json reparsed(const Json& v) { return Json::parse(v.dump()); }

}  // namespace

TEST(JsonCodec, ParsesTheRfcExamples) {
    const Json image = Json::parse(R"({
      "Image": {
          "Width":  800,
          "Height": 600,
          "Title":  "View from 15th Floor",
          "Thumbnail": {
              "Url":    "http://www.example.com/image/481989943",
              "Height": 125,
              "Width":  100
          },
          "Animated" : false,
          "IDs": [116, 943, 234, 38793]
        }
    })");
    const Json* i = image.find("Image");
    ASSERT_NE(i, nullptr);
    EXPECT_EQ(i->int_or("Width"), 800);
    EXPECT_EQ(i->string_or("Title"), "View from 15th Floor");
    EXPECT_EQ(i->find("Thumbnail")->string_or("Url"), "http://www.example.com/image/481989943");
    EXPECT_FALSE(i->bool_or("Animated", true));
    EXPECT_EQ(i->find("IDs")->as_array()[3].as_int(), 38793);

    const Json places = Json::parse(R"([
        {"precision": "zip", "Latitude": 37.7668, "Longitude": -122.3959, "Address": "",
         "City": "SAN FRANCISCO", "State": "CA", "Zip": "94107", "Country": "US"},
        {"precision": "zip", "Latitude": 37.371991, "Longitude": -122.026020, "Address": "",
         "City": "SUNNYVALE", "State": "CA", "Zip": "94085", "Country": "US"}])");
    ASSERT_EQ(places.as_array().size(), 2u);
    EXPECT_DOUBLE_EQ(places.as_array()[1].find("Longitude")->as_float(), -122.026020);

    // Any value may be the whole document.
    EXPECT_EQ(Json::parse("\"Hello world!\"").as_string(), "Hello world!");
    EXPECT_EQ(Json::parse("42").as_int(), 42);
    EXPECT_TRUE(Json::parse(" true ").as_bool());
    EXPECT_TRUE(Json::parse("\t\r\nnull\n").is_null());
}

TEST(JsonCodec, IntegersStayExactWithinInt64AndOverflowIsAnError) {
    EXPECT_EQ(Json::parse("9223372036854775807").as_int(), std::numeric_limits<long long>::max());
    EXPECT_EQ(Json::parse("-9223372036854775808").as_int(), std::numeric_limits<long long>::min());
    EXPECT_TRUE(Json::parse("9007199254740993").is_int());  // not rounded through a double
    EXPECT_EQ(Json::parse("9007199254740993").as_int(), 9007199254740993LL);
    EXPECT_EQ(error_offset("9223372036854775808"), 0);
    EXPECT_EQ(error_offset("-9223372036854775809"), 0);
    EXPECT_EQ(error_offset("18446744073709551615"), 0);  // uint64 max does not fit either
    EXPECT_EQ(error_offset("[1, 99999999999999999999]"), 4);
    // The same magnitude written as a double is a double.
    EXPECT_TRUE(Json::parse("99999999999999999999.0").is_float());
    EXPECT_DOUBLE_EQ(Json::parse("1e20").as_float(), 1e20);
}

TEST(JsonCodec, NumberGrammarIsStrict) {
    for (const char* bad : {"01", "-01", "00", "1.", ".5", "1e", "1e+", "1E-", "-", "+1", "1.e5", "0x10", "1_0",
                            "Infinity", "-Infinity", "NaN", "1.5.2", "--1", "1e5.5"})
        EXPECT_TRUE(rejects(bad)) << bad;
    EXPECT_EQ(error_offset("[01]"), 2);
    EXPECT_EQ(error_offset("1."), 2);
    EXPECT_EQ(error_offset("1e"), 2);
    EXPECT_EQ(Json::parse("0").as_int(), 0);
    EXPECT_EQ(Json::parse("-0").as_int(), 0);
    EXPECT_TRUE(Json::parse("-0.0").is_float());
    EXPECT_TRUE(std::signbit(Json::parse("-0.0").as_float()));
    EXPECT_DOUBLE_EQ(Json::parse("0.5").as_float(), 0.5);
    EXPECT_DOUBLE_EQ(Json::parse("-2.5E-3").as_float(), -0.0025);
    EXPECT_DOUBLE_EQ(Json::parse("1E+2").as_float(), 100.0);
    EXPECT_DOUBLE_EQ(Json::parse("1.7976931348623157e308").as_float(), 1.7976931348623157e308);
    EXPECT_EQ(Json::parse("1e-400").as_float(), 0.0);  // too small: zero
    EXPECT_EQ(Json::parse("0.00000000000000000000000000000000000000000000001e-300").as_float(), 0.0);
    EXPECT_EQ(error_offset("[1e400]"), 1);  // too large: no infinity
    EXPECT_EQ(error_offset("0.0001e400"), 0);
}

TEST(JsonCodec, LiteralsAndStructure) {
    for (const char* bad : {"",           " ",         "tru",   "True",    "nul",
                            "nulll",      "[",         "]",     "[1,]",    "[,1]",
                            "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{'a':1}", "{\"a\":1 \"b\":2}",
                            "[1 2]",      "[1]]",      "{} {}", "\"a\" x", "\xef\xbb\xbf{}",
                            "[1,\f2]",    "/* c */1",  "\x00"})
        EXPECT_TRUE(rejects(std::string(bad))) << bad;
    EXPECT_EQ(error_offset(std::string("1\0", 2)), 1);
    EXPECT_EQ(error_offset("[1,]"), 3);
    EXPECT_EQ(error_offset("{\"a\":1} x"), 8);
    EXPECT_EQ(Json::parse("[]").as_array().size(), 0u);
    EXPECT_EQ(Json::parse("{ }").as_object().size(), 0u);
}

TEST(JsonCodec, EveryEscapeDecodes) {
    EXPECT_EQ(Json::parse(R"("\"\\\/\b\f\n\r\t")").as_string(), "\"\\/\b\f\n\r\t");
    EXPECT_EQ(Json::parse(R"("\u0041\u00e9\u20AC\u0000z")").as_string(), std::string("A\xc3\xa9\xe2\x82\xac\0z", 8));
    EXPECT_EQ(error_offset(R"("ab\x")"), 3);
    EXPECT_EQ(error_offset(R"("\u12G4")"), 5);
    EXPECT_TRUE(rejects(R"("\u12")"));
    EXPECT_TRUE(rejects(R"("\U0041")"));
    EXPECT_TRUE(rejects("\"\\"));
}

TEST(JsonCodec, SurrogatesAreChecked) {
    EXPECT_EQ(Json::parse(R"("\ud83d\ude00")").as_string(), "\xf0\x9f\x98\x80");  // U+1F600
    EXPECT_EQ(Json::parse(R"("\uD800\uDC00")").as_string(), "\xf0\x90\x80\x80");  // U+10000
    EXPECT_EQ(Json::parse(R"("\udbff\udfff")").as_string(), "\xf4\x8f\xbf\xbf");  // U+10FFFF
    EXPECT_EQ(error_offset(R"("\ud800")"), 1);
    EXPECT_EQ(error_offset(R"("\ud800\u0041")"), 1);
    EXPECT_EQ(error_offset(R"("x\ud800x")"), 2);
    EXPECT_EQ(error_offset(R"("\udc00")"), 1);
    EXPECT_EQ(error_offset(R"("\ud800\ud800")"), 1);
    EXPECT_EQ(error_offset(R"("\ude00\ud83d")"), 1);
}

TEST(JsonCodec, StringsMustBeValidUtf8WithoutRawControlCharacters) {
    EXPECT_EQ(Json::parse("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"").as_string(),
              "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    EXPECT_EQ(error_offset("\"ab\x80\""), 3);            // a lone continuation byte
    EXPECT_EQ(error_offset("\"\xc0\xaf\""), 1);          // overlong '/'
    EXPECT_EQ(error_offset("\"\xe0\x80\xaf\""), 1);      // overlong, three bytes
    EXPECT_EQ(error_offset("\"\xed\xa0\x80\""), 1);      // an encoded surrogate
    EXPECT_EQ(error_offset("\"\xf4\x90\x80\x80\""), 1);  // above U+10FFFF
    EXPECT_EQ(error_offset("\"\xc3\""), 1);              // truncated
    EXPECT_EQ(error_offset("\"\xff\""), 1);
    EXPECT_EQ(error_offset("\"a\nb\""), 2);
    EXPECT_EQ(error_offset("\"\t\""), 1);
    EXPECT_EQ(error_offset(std::string("\"\x1f\"")), 1);
    EXPECT_EQ(Json::parse("\"\x7f\"").as_string(), "\x7f");  // DEL is not a control character to JSON
    EXPECT_EQ(error_offset("\"abc"), 4);
}

TEST(JsonCodec, DepthIsBounded) {
    const auto nested = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
    EXPECT_NO_THROW(Json::parse(nested(Json::kMaxDepth)));
    EXPECT_EQ(error_offset(nested(Json::kMaxDepth + 1)), Json::kMaxDepth);
    EXPECT_TRUE(rejects(std::string(100000, '[')));  // deep input fails fast, without a stack overflow
    std::string objects;
    for (int i = 0; i < Json::kMaxDepth + 1; ++i) objects += "{\"a\":";
    EXPECT_TRUE(rejects(objects + "1" + std::string(Json::kMaxDepth + 1, '}')));
}

TEST(JsonCodec, DuplicateKeysKeepTheLastValueAtTheFirstPosition) {
    const Json v = Json::parse(R"({"a": 1, "b": 2, "a": 3})");
    ASSERT_EQ(v.as_object().size(), 2u);
    EXPECT_EQ(v.as_object()[0].first, "a");
    EXPECT_EQ(v.int_or("a"), 3);
    EXPECT_EQ(v.dump(), R"({"a":3,"b":2})");
}

TEST(JsonCodec, WriterEscapesEveryControlCharacterAndRoundTrips) {
    std::string all;
    for (int c = 1; c < 0x80; ++c) all += static_cast<char>(c);
    all += std::string("\0", 1) + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    const std::string text = Json(all).dump();
    for (char c : text) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << text;
    EXPECT_EQ(Json::parse(text).as_string(), all);
    EXPECT_EQ(Json("a\"b\\c\n\x01").dump(), R"("a\"b\\c\n\u0001")");
    EXPECT_EQ(Json(std::string("\b\f\r\t/")).dump(), R"("\b\f\r\t/")");
}

TEST(JsonCodec, WriterReplacesBytesThatAreNotUtf8) {
    EXPECT_EQ(Json("a\x80z").dump(), "\"a\xef\xbf\xbdz\"");
    EXPECT_EQ(Json("\xed\xa0\x80").dump(), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    EXPECT_NO_THROW(Json::parse(Json("\xff\xfe\xc3").dump()));
}

TEST(JsonCodec, NumbersRoundTripExactly) {
    const std::vector<double> doubles = {0.1,
                                         -0.0,
                                         0.0,
                                         1.0,
                                         -1.5,
                                         1e21,
                                         1e-7,
                                         123456789.125,
                                         5e-324,
                                         2.2250738585072014e-308,
                                         1.7976931348623157e308,
                                         -1.7976931348623157e308,
                                         3.141592653589793,
                                         9007199254740993.0,
                                         1.0 / 3};
    for (double d : doubles) {
        const Json back = reparsed(Json(d));
        ASSERT_TRUE(back.is_float()) << Json(d).dump();
        EXPECT_EQ(back.as_float(), d) << Json(d).dump();
        EXPECT_EQ(std::signbit(back.as_float()), std::signbit(d)) << Json(d).dump();
    }
    EXPECT_EQ(Json(3.0).dump(), "3.0");
    EXPECT_EQ(Json(-0.0).dump(), "-0.0");
    EXPECT_EQ(Json(0.1).dump(), "0.1");
    EXPECT_EQ(Json(1e300).dump(), "1e+300");
    // JSON has no spelling for these.
    EXPECT_EQ(Json(std::numeric_limits<double>::quiet_NaN()).dump(), "null");
    EXPECT_EQ(Json(std::numeric_limits<double>::infinity()).dump(), "null");
    EXPECT_EQ(Json(-std::numeric_limits<double>::infinity()).dump(), "null");
    for (long long i :
         {0LL, -1LL, 42LL, std::numeric_limits<long long>::max(), std::numeric_limits<long long>::min()}) {
        const Json back = reparsed(Json(i));
        ASSERT_TRUE(back.is_int());
        EXPECT_EQ(back.as_int(), i);
    }
}

TEST(JsonCodec, DocumentsRoundTripInBothModes) {
    const std::string text =
        R"({"name":"m\u00e9\n","n":[1,-2,3.5,true,false,null,{},[]],"nested":{"a":{"b":[{"c":"\ud83d\ude00"}]}}})";
    const Json v = Json::parse(text);
    EXPECT_EQ(Json::parse(v.dump()), v);
    EXPECT_EQ(Json::parse(v.dump_pretty()), v);
    EXPECT_EQ(Json::parse(v.dump()).dump(), v.dump());
    EXPECT_EQ(Json::parse(R"({"a": [1, {"b": null}], "c": {}, "d": []})").dump_pretty(),
              "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ],\n  \"c\": {},\n  \"d\": []\n}");
    EXPECT_EQ(Json::parse("[1, 2]").dump(), "[1,2]");
}

TEST(JsonCodec, BuildingAndReadingValues) {
    Json o;
    o.set("s", "x");
    o.set("s", "y");  // replaces, in place
    o.set("list", Json::array_of({"a", "b"}));
    Json copy = o;
    copy.set("s", "z");  // copies do not share containers
    EXPECT_EQ(o.string_or("s"), "y");
    EXPECT_EQ(copy.string_or("s"), "z");
    EXPECT_EQ(o.string_or("missing", "fb"), "fb");
    EXPECT_EQ(o.int_or("s", 7), 7);
    EXPECT_EQ(o.dump(), R"({"s":"y","list":["a","b"]})");
    EXPECT_THROW(o.as_array(), JsonError);
    EXPECT_THROW(Json(1).set("a", 1), JsonError);
    EXPECT_EQ(Json(2.9).as_int(), 2);
    EXPECT_EQ(Json(1e300).as_int(), std::numeric_limits<long long>::max());
    EXPECT_EQ(Json::parse(R"({"a":1})").find("b"), nullptr);
    EXPECT_NE(Json(1), Json(1.0));
}
