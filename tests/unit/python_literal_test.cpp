// SPDX-License-Identifier: MIT
// Tests for render_python_literal. Every literal is checked with a real Python:
// ast.literal_eval(literal) must equal json.loads(json_text), with the same types.
#include "services/python_literal.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#ifndef MGPUX_TEST_PYTHON
#define MGPUX_TEST_PYTHON "/usr/bin/python3"
#endif

namespace {

using mgpux::LiteralError;
using mgpux::render_python_literal;
namespace json = boost::json;

std::string lit(std::string_view json_text) { return render_python_literal(json::parse(json_text)); }

std::string lit_string(std::string s) { return render_python_literal(json::value(json::string(s))); }

// ---- exact spellings -------------------------------------------------------------------------

TEST(PythonLiteral, Scalars) {
    EXPECT_EQ(lit("null"), "None");
    EXPECT_EQ(lit("true"), "True");
    EXPECT_EQ(lit("false"), "False");
    EXPECT_EQ(lit("0"), "0");
    EXPECT_EQ(lit("42"), "42");
    EXPECT_EQ(lit("-42"), "-42");
    EXPECT_EQ(lit("-9223372036854775808"), "-9223372036854775808");
    EXPECT_EQ(lit("18446744073709551615"), "18446744073709551615");
}

TEST(PythonLiteral, Doubles) {
    EXPECT_EQ(lit("1.0"), "1.0");
    EXPECT_EQ(lit("2.5"), "2.5");
    EXPECT_EQ(lit("0.1"), "0.1");
    EXPECT_EQ(lit("-0.0"), "-0.0");
    EXPECT_EQ(lit("1e300"), "1e+300");
    EXPECT_EQ(lit("1e-7"), "1e-07");
    EXPECT_EQ(render_python_literal(json::value(1e20)), "1e+20");
    EXPECT_EQ(render_python_literal(json::value(100.0)), "100.0");
    EXPECT_EQ(render_python_literal(json::value(123456789.0)), "123456789.0");
}

TEST(PythonLiteral, NonFiniteRejected) {
    EXPECT_THROW(render_python_literal(json::value(std::numeric_limits<double>::infinity())), LiteralError);
    EXPECT_THROW(render_python_literal(json::value(-std::numeric_limits<double>::infinity())), LiteralError);
    EXPECT_THROW(render_python_literal(json::value(std::nan(""))), LiteralError);
    json::array a{1, std::numeric_limits<double>::quiet_NaN()};
    EXPECT_THROW(render_python_literal(a), LiteralError);
}

TEST(PythonLiteral, StringEscapes) {
    EXPECT_EQ(lit_string(""), R"("")");
    EXPECT_EQ(lit_string("plain"), R"("plain")");
    EXPECT_EQ(lit_string("a\"b"), R"("a\"b")");
    EXPECT_EQ(lit_string("a'b"), R"("a'b")");
    EXPECT_EQ(lit_string("back\\slash"), R"("back\\slash")");
    EXPECT_EQ(lit_string("l1\nl2\r\n\tx"), R"("l1\nl2\r\n\tx")");
    EXPECT_EQ(lit_string("\x01\x1f\x7f\x0b\x0c"), R"("\x01\x1f\x7f\x0b\x0c")");
    EXPECT_EQ(lit_string("\"\"\"doc\"\"\""), R"("\"\"\"doc\"\"\"")");
    EXPECT_EQ(lit_string("{{app_name}}"), R"("{{app_name}}")");
    EXPECT_EQ(lit_string("\\x41 \\u0041 \\N{DASH}"), R"("\\x41 \\u0041 \\N{DASH}")");
}

TEST(PythonLiteral, NonAsciiKept) {
    EXPECT_EQ(lit_string("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89"),
              "\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89\"");
    // Line breaks for some tools are escaped.
    EXPECT_EQ(lit_string("a\xc2\x85"
                         "b\xe2\x80\xa8"
                         "c\xe2\x80\xa9"),
              R"("a\u0085b\u2028c\u2029")");
}

TEST(PythonLiteral, NulRejected) {
    EXPECT_THROW(lit(R"("a\u0000b")"), LiteralError);
    EXPECT_THROW(lit_string(std::string("x\0y", 3)), LiteralError);
    EXPECT_THROW(lit(R"({"k\u0000": 1})"), LiteralError);
    EXPECT_THROW(lit(R"([1, ["\u0000"]])"), LiteralError);
    try {
        lit_string(std::string("\0", 1));
        FAIL() << "no exception";
    } catch (const LiteralError& e) {
        EXPECT_NE(std::string(e.what()).find("NUL character not allowed"), std::string::npos);
    }
}

TEST(PythonLiteral, InvalidUtf8Rejected) {
    for (const char* bad : {
             "\xff", "\xfe", "\x80", "a\xbf",         // bytes that never start a character
             "\xc0\x80", "\xc1\xbf",                  // overlong 2-byte
             "\xe0\x80\xaf", "\xf0\x82\x82\xac",      // overlong 3- and 4-byte
             "\xed\xa0\x80", "\xed\xbf\xbf",          // surrogates
             "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",  // above U+10FFFF
             "\xe6\x97", "\xf0\x9f\x8e", "\xc3",      // truncated
             "\xc3\x28", "\xe6\x28\xa5",              // bad continuation
         }) {
        EXPECT_THROW(lit_string(bad), LiteralError) << "input bytes: " << bad;
    }
    json::object o;
    o["\xff"] = 1;
    EXPECT_THROW(render_python_literal(o), LiteralError);
}

TEST(PythonLiteral, Containers) {
    EXPECT_EQ(lit("[]"), "[]");
    EXPECT_EQ(lit("{}"), "{}");
    EXPECT_EQ(lit(R"(["a", "b"])"), R"(["a", "b"])");
    EXPECT_EQ(lit(R"([1, [2, [3, []]], {"k": null}])"), R"([1, [2, [3, []]], {"k": None}])");
    EXPECT_EQ(lit(R"({"z": 1, "a": [true, false], "m": {"x\"y": 2.5}})"),
              R"({"z": 1, "a": [True, False], "m": {"x\"y": 2.5}})");
}

TEST(PythonLiteral, DeepNestingRejected) {
    json::value v = json::array{};
    for (int i = 0; i < 150; ++i) v = json::array{v};
    EXPECT_THROW(render_python_literal(v), LiteralError);
    json::value ok = json::array{};
    for (int i = 0; i < 90; ++i) ok = json::array{ok};
    EXPECT_NO_THROW(render_python_literal(ok));
}

TEST(PythonLiteral, NoRawControlCharacters) {
    std::string all;
    for (int c = 1; c < 0x80; ++c) all += static_cast<char>(c);
    const std::string out = lit_string(all);
    for (const char c : out) {
        const auto u = static_cast<unsigned char>(c);
        EXPECT_TRUE(u >= 0x20 && u != 0x7f) << "raw byte " << static_cast<int>(u);
    }
}

// ---- round trip through Python ----------------------------------------------------------------

const char* const kCheckScript = R"PY(
import ast, json, struct, sys

def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack('<d', a) == struct.pack('<d', b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b

with open(sys.argv[1], encoding='utf-8') as f:
    cases = json.load(f)
for i, (text, literal) in enumerate(cases):
    want = json.loads(text)
    try:
        got = ast.literal_eval(literal)
    except Exception as e:
        print(i, 'ERROR', repr(e))
        continue
    if '\n' in literal or '\r' in literal:
        print(i, 'RAW-NEWLINE')
    elif same(got, want):
        print(i, 'OK')
    else:
        print(i, 'MISMATCH', ascii(got), '!=', ascii(want))
)PY";

std::vector<std::string> round_trip_cases() {
    std::vector<std::string> v = {
        R"(null)",
        R"(true)",
        R"(false)",
        R"(0)",
        R"(7)",
        R"(-1)",
        R"(-42)",
        R"(9223372036854775807)",
        R"(-9223372036854775808)",
        R"(18446744073709551615)",
        R"(0.0)",
        R"(-0.0)",
        R"(1.0)",
        R"(-2.5)",
        R"(0.1)",
        R"(0.30000000000000004)",
        R"(1e300)",
        R"(-1e-300)",
        R"(5e-324)",
        R"(1.7976931348623157e308)",
        R"(1e16)",
        R"(1e20)",
        R"(123456789.0)",
        R"(1e-7)",
        R"(3.141592653589793)",
        R"("")",
        R"("plain text")",
        R"("double \"quotes\" inside")",
        R"("single 'quotes' inside")",
        R"("back\\slash and \\\\ two")",
        R"("ends with backslash\\")",
        R"("new\nline")",
        R"("cr\r\nlf")",
        R"("\r")",
        R"("tab\there")",
        R"("\"\"\"triple\"\"\"")",
        R"("'''triple single'''")",
        R"("\"")",
        R"("\\\"")",
        R"("{{app_name}} and {{{x}}} and }}")",
        R"("f-string {x} {{y}}")",
        R"("\\x41 \\u0041 \\N{BULLET} \\0")",
        R"("caf\u00e9 \u65e5\u672c\u8a9e \ud83c\udf89 \u00a0nbsp")",
        R"("zero width \u200b joiner \u200d bom \ufeff")",
        R"("line sep \u2028 para sep \u2029 nel \u0085")",
        R"("\u0001\u0002\u0007\b\f\u000b\u001b\u001f\u007f")",
        R"("\u0080\u009f")",
        R"("\udbff\udfff max code point")",
        R"("); import os; os.system(\"rm -rf /\") #")",
        R"("\"\"\"; import os #")",
        R"([])",
        R"({})",
        R"(["a", "b"])",
        R"([1, 2.5, "x", null, true, false])",
        R"([[], [[]], [[1, ["deep"]]]])",
        R"({"key": "value", "n": 1, "f": 1.5, "b": false, "z": null})",
        R"({"quote\"key": ["\n", {"inner": "\\"}], "\u00e9": "\u00e9"})",
        R"({"z": 1, "a": 2, "m": 3})",
        R"([{"name": "a", "gpu": "H100"}, {"name": "b\"", "gpu": null}])",
    };
    // Every ASCII character except NUL, one string each.
    for (int c = 1; c < 0x80; ++c) {
        v.push_back(json::serialize(json::value(json::string(std::string(1, static_cast<char>(c))))));
    }
    return v;
}

TEST(PythonLiteral, RoundTripsThroughPythonAstLiteralEval) {
    const std::vector<std::string> cases = round_trip_cases();
    json::array batch;
    for (const auto& text : cases) {
        batch.push_back(json::array{json::string(text), json::string(lit(text))});
    }

    const auto dir = std::filesystem::temp_directory_path() / ("mgpux_literal_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto data_path = dir / "cases.json";
    const auto script_path = dir / "check.py";
    {
        std::ofstream(data_path, std::ios::binary) << json::serialize(batch);
        std::ofstream(script_path, std::ios::binary) << kCheckScript;
    }

    const std::string cmd =
        std::string(MGPUX_TEST_PYTHON) + " '" + script_path.string() + "' '" + data_path.string() + "' 2>&1";
    std::FILE* pipe = ::popen(cmd.c_str(), "r");
    ASSERT_NE(pipe, nullptr) << cmd;
    std::string output;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
    const int status = ::pclose(pipe);
    std::filesystem::remove_all(dir);
    ASSERT_EQ(status, 0) << "python failed: " << cmd << "\n" << output;

    std::istringstream lines(output);
    std::string line;
    std::size_t checked = 0;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::size_t index = 0;
        std::string verdict;
        fields >> index >> verdict;
        ASSERT_LT(index, cases.size()) << line;
        EXPECT_EQ(verdict, "OK") << "JSON " << cases[index] << " -> literal " << lit(cases[index])
                                 << "\n  python: " << line;
        ++checked;
    }
    EXPECT_EQ(checked, cases.size()) << output;
}

}  // namespace
