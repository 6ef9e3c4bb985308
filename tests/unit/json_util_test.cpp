// SPDX-License-Identifier: MIT
// Tests for the JSON helpers: parse errors with a position, and the pretty printer.
#include "util/json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <limits>
#include <string>

namespace {

using mgpux::util::JsonParseError;
using mgpux::util::parse_json;
using mgpux::util::pretty_json;
namespace json = boost::json;

// The JsonParseError thrown for `text`, or a failure.
JsonParseError parse_error(const std::string& text) {
    try {
        parse_json(text);
    } catch (const JsonParseError& e) {
        return e;
    }
    ADD_FAILURE() << "expected a JsonParseError for: " << text;
    return JsonParseError(0, 0, "");
}

TEST(ParseJson, ParsesDocuments) {
    EXPECT_EQ(parse_json(R"({"a":[1,2.5,"x",true,null]})"), json::parse(R"({"a":[1,2.5,"x",true,null]})"));
    EXPECT_EQ(parse_json("  42  \n"), json::value(42));
    EXPECT_EQ(parse_json("\"s\""), json::value("s"));
}

TEST(ParseJson, ErrorHasOffsetAndLine) {
    const std::string text = "{\n  \"a\": ,\n}";
    const auto e = parse_error(text);
    EXPECT_EQ(e.line, 2u);
    EXPECT_EQ(e.offset, text.find(','));
    const std::string what = e.what();
    EXPECT_NE(what.find("line 2"), std::string::npos) << what;
    EXPECT_NE(what.find("byte " + std::to_string(text.find(','))), std::string::npos) << what;
}

TEST(ParseJson, ErrorOnFirstLine) {
    const auto e = parse_error("[1, 2,, 3]");
    EXPECT_EQ(e.line, 1u);
    EXPECT_EQ(e.offset, 6u);
}

TEST(ParseJson, ErrorOnLaterLine) {
    const std::string text = "{\n\"a\": 1,\n\"b\": 2\n\"c\": 3}";
    const auto e = parse_error(text);
    EXPECT_EQ(e.line, 4u);
    EXPECT_EQ(e.offset, text.find("\"c\""));
}

TEST(ParseJson, TrailingGarbageIsAnError) {
    // The offset points at the garbage, past the whitespace.
    const auto e = parse_error("{\"a\": 1} x");
    EXPECT_EQ(e.line, 1u);
    EXPECT_EQ(e.offset, 9u);
    EXPECT_NE(std::string(e.what()).find("byte 9"), std::string::npos) << e.what();
    EXPECT_THROW(parse_json("[1] [2]"), JsonParseError);
    EXPECT_THROW(parse_json("1 2"), JsonParseError);
}

TEST(ParseJson, TruncatedAndEmptyInputAreErrors) {
    EXPECT_THROW(parse_json(""), JsonParseError);
    EXPECT_THROW(parse_json("   "), JsonParseError);
    const auto e = parse_error("{\"a\":\n[1,");
    EXPECT_EQ(e.line, 2u);
    EXPECT_THROW(parse_json("\"unterminated"), JsonParseError);
}

TEST(PrettyJson, IndentsTwoSpaces) {
    const json::value v = json::parse(R"({"a":1,"b":[true,null,{"c":"x"}],"e":{},"f":[]})");
    EXPECT_EQ(pretty_json(v),
              "{\n"
              "  \"a\": 1,\n"
              "  \"b\": [\n"
              "    true,\n"
              "    null,\n"
              "    {\n"
              "      \"c\": \"x\"\n"
              "    }\n"
              "  ],\n"
              "  \"e\": {},\n"
              "  \"f\": []\n"
              "}\n");
}

TEST(PrettyJson, ScalarsAndEmptyContainers) {
    EXPECT_EQ(pretty_json(json::value(7)), "7\n");
    EXPECT_EQ(pretty_json(json::value("hi")), "\"hi\"\n");
    EXPECT_EQ(pretty_json(json::value(nullptr)), "null\n");
    EXPECT_EQ(pretty_json(json::object{}), "{}\n");
    EXPECT_EQ(pretty_json(json::array{}), "[]\n");
}

TEST(PrettyJson, EscapesKeysAndStrings) {
    json::object o;
    o["k\"ey"] = "line\nbreak\t\"q\"";
    EXPECT_EQ(pretty_json(o), "{\n  \"k\\\"ey\": \"line\\nbreak\\t\\\"q\\\"\"\n}\n");
}

TEST(PrettyJson, RoundTrips) {
    for (const char* text : {
             R"({"a":1,"b":[1,2,[3,[]]],"c":{"d":{"e":null}},"f":-2.5,"g":"\u00e9\u2713","h":18446744073709551615})",
             R"([[],{},"",0,false])",
             R"("just a string")",
         }) {
        const json::value v = json::parse(text);
        const std::string pretty = pretty_json(v);
        EXPECT_EQ(parse_json(pretty), v) << pretty;
        EXPECT_EQ(pretty.back(), '\n');
    }
}

}  // namespace

TEST(JsonUtilParse, NumbersThatOverflowAreRefused) {
    // Boost.JSON 1.81 would give infinity and NaN for these.
    EXPECT_THROW(mgpux::util::parse_json("[4e4441]"), mgpux::util::JsonParseError);
    EXPECT_THROW(mgpux::util::parse_json("{\"a\": [0e443]}"), mgpux::util::JsonParseError);
    EXPECT_NO_THROW(mgpux::util::parse_json("[1e308, -1e-300]"));
}

TEST(JsonUtilPretty, NonFiniteValuesStayValidJson) {
    boost::json::array a{std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                         std::numeric_limits<double>::quiet_NaN()};
    EXPECT_EQ(mgpux::util::pretty_json(a), "[\n  1e999,\n  -1e999,\n  null\n]\n");
}

TEST(JsonUtilPretty, DoublesArePlainDecimals) {
    // Boost alone writes 15.75 as 1.575E1; money must read as written.
    boost::json::array a{15.75, 0.1, 1e-9, 16.0, -2.5, 0.0, 123456789.125, 31.7500001};
    EXPECT_EQ(mgpux::util::pretty_json(a),
              "[\n  15.75,\n  0.1,\n  0.000000001,\n  16.0,\n  -2.5,\n  0.0,\n  123456789.125,\n  31.7500001\n]\n");
}

TEST(JsonUtilPretty, ExtremeDoublesReadBackTheSame) {
    const double values[] = {1e300, -1e-300, 5e-324, 1.7976931348623157e308, 0.30000000000000004, 1e21, 1e-7};
    for (double d : values) {
        const std::string text = mgpux::util::pretty_json(boost::json::value(d));
        const boost::json::value back = mgpux::util::parse_json(text);
        ASSERT_TRUE(back.is_double()) << text;
        EXPECT_EQ(back.get_double(), d) << text;
    }
}
