// SPDX-License-Identifier: MIT
// Tests for the strict mustache renderer.
#include "services/template_engine.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include <boost/json.hpp>

#include "services/python_literal.hpp"

namespace {

using mgpux::LiteralError;
using mgpux::PartialLoader;
using mgpux::render_template;
using mgpux::TemplateError;
namespace json = boost::json;

json::object ctx(std::string_view text) { return json::parse(text).as_object(); }

PartialLoader loader(std::map<std::string, std::string> partials) {
    return [partials = std::move(partials)](const std::string& name) -> std::optional<std::string> {
        const auto it = partials.find(name);
        if (it == partials.end()) return std::nullopt;
        return it->second;
    };
}

std::string render(std::string_view text, std::string_view context = "{}",
                   std::map<std::string, std::string> partials = {}) {
    return render_template("t", text, ctx(context), loader(std::move(partials)));
}

// Renders and returns the TemplateError (fails the test if none is thrown).
TemplateError render_error(std::string_view text, std::string_view context = "{}",
                           std::map<std::string, std::string> partials = {}) {
    try {
        const std::string out = render(text, context, std::move(partials));
        ADD_FAILURE() << "no TemplateError; output: " << out;
    } catch (const TemplateError& e) {
        return e;
    }
    return TemplateError("none", 0, "none");
}

// ---- variables ----------------------------------------------------------------------------------

TEST(TemplateEngine, NoTagsIsByteIdentical) {
    const std::string text = "import modal\r\n\r\nx = {'a': {1: 2}}\n  tabs\t\n{ } }} {x}\n\xc3\xa9\xe2\x80\xa8 end";
    EXPECT_EQ(render(text), text);
    EXPECT_EQ(render(""), "");
    EXPECT_EQ(render("no newline at end"), "no newline at end");
}

TEST(TemplateEngine, VariablesRenderPythonLiterals) {
    const std::string c = R"({"app_name": "my \"app\"\n", "n": 3, "f": 0.5, "b": true, "z": null})";
    EXPECT_EQ(render("app = modal.App({{app_name}})", c), R"(app = modal.App("my \"app\"\n"))");
    EXPECT_EQ(render("{{n}} {{f}} {{b}} {{z}}", c), "3 0.5 True None");
    // Escaping is the identity: all three forms are the same.
    EXPECT_EQ(render("{{app_name}}|{{{app_name}}}|{{& app_name}}|{{ app_name }}|{{{ app_name }}}", c),
              R"("my \"app\"\n"|"my \"app\"\n"|"my \"app\"\n"|"my \"app\"\n"|"my \"app\"\n")");
}

TEST(TemplateEngine, HostileStringsStayInsideTheLiteral) {
    const std::string c = R"({"s": "\"\"\"; import os; os.system('x') # {{s}} \\"})";
    EXPECT_EQ(render("x = {{s}}\n", c), "x = \"\\\"\\\"\\\"; import os; os.system('x') # {{s}} \\\\\"\n");
}

TEST(TemplateEngine, ListsAndObjectsRenderAsOneLiteral) {
    const std::string c = R"({"pkgs": ["torch==2.3.0", "numpy"], "env": {"A": "1", "B": [2]}, "e": []})";
    EXPECT_EQ(render("pip_install({{pkgs}})", c), R"(pip_install(["torch==2.3.0", "numpy"]))");
    EXPECT_EQ(render("env = {{env}}", c), R"(env = {"A": "1", "B": [2]})");
    EXPECT_EQ(render("{{e}}", c), "[]");
    // The same name as a section list and as a whole literal.
    EXPECT_EQ(render("{{#pkgs}}# {{.}}\n{{/pkgs}}all = {{pkgs}}\n", c),
              "# \"torch==2.3.0\"\n# \"numpy\"\nall = [\"torch==2.3.0\", \"numpy\"]\n");
}

TEST(TemplateEngine, DottedNames) {
    const std::string c = R"({"a": {"b": {"c": "deep"}, "n": 1}, "x": 2})";
    EXPECT_EQ(render("{{a.b.c}} {{a.n}} {{a.b}}", c), R"("deep" 1 {"c": "deep"})");
    EXPECT_EQ(render("{{#a}}{{b.c}} {{x}}{{/a}}", c), R"("deep" 2)");
    EXPECT_EQ(render("{{#a.b}}{{c}}{{/a.b}}", c), R"("deep")");
}

TEST(TemplateEngine, CurrentItemAtTopIsTheContext) { EXPECT_EQ(render("{{.}}", R"({"k": 1})"), R"({"k": 1})"); }

TEST(TemplateEngine, LiteralErrorsNameTheValueAndLine) {
    try {
        render("ok\n{{bad}}", R"({"bad": "nul\u0000"})");
        FAIL() << "no exception";
    } catch (const LiteralError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("t:2: value of 'bad': ", 0), 0u) << e.what();
    }
}

// ---- sections -----------------------------------------------------------------------------------

TEST(TemplateEngine, SectionOverListOfObjects) {
    const std::string c = R"({"app": "a", "gpus": [{"name": "H100", "count": 1}, {"name": "A10G", "count": 2}]})";
    EXPECT_EQ(render("{{#gpus}}({{name}}, {{count}}, {{app}})\n{{/gpus}}", c),
              "(\"H100\", 1, \"a\")\n(\"A10G\", 2, \"a\")\n");
}

TEST(TemplateEngine, SectionOverListOfScalars) {
    EXPECT_EQ(render("{{#xs}}[{{.}}]{{/xs}}", R"({"xs": ["a", 1, null, true, [2]]})"), R"(["a"][1][None][True][[2]])");
}

TEST(TemplateEngine, InnerNamesShadowOuterOnes) {
    const std::string c = R"({"name": "outer", "items": [{"name": "inner"}, {"other": 1}]})";
    EXPECT_EQ(render("{{#items}}{{name}} {{/items}}{{name}}", c), R"("inner" "outer" "outer")");
}

TEST(TemplateEngine, NestedSections) {
    const std::string c = R"({"rows": [{"cols": [1, 2]}, {"cols": [3]}]})";
    EXPECT_EQ(render("{{#rows}}<{{#cols}}{{.}}{{/cols}}>{{/rows}}", c), "<12><3>");
}

TEST(TemplateEngine, SectionTruthiness) {
    const std::string c =
        R"({"t": true, "f": false, "z": null, "e": [], "es": "", "s": "x", "n0": 0, "o": {"k": 1}, "eo": {}})";
    EXPECT_EQ(render("{{#t}}T{{/t}}{{#f}}F{{/f}}{{#z}}Z{{/z}}{{#e}}E{{/e}}{{#es}}ES{{/es}}", c), "T");
    EXPECT_EQ(render("{{#s}}S{{/s}}{{#n0}}N{{/n0}}{{#o}}{{k}}{{/o}}{{#eo}}EO{{/eo}}", c), "SN1EO");
    // A scalar section pushes nothing: "." is still the enclosing value.
    EXPECT_EQ(render("{{#o}}{{#s}}{{.}}{{/s}}{{/o}}", c), R"({"k": 1})");
}

TEST(TemplateEngine, InvertedSections) {
    const std::string c =
        R"({"t": true, "f": false, "z": null, "e": [], "es": "", "s": "x", "n0": 0, "o": {}, "l": [1]})";
    EXPECT_EQ(render("{{^t}}t{{/t}}{{^f}}f{{/f}}{{^z}}z{{/z}}{{^e}}e{{/e}}{{^es}}es{{/es}}", c), "fzees");
    EXPECT_EQ(render("{{^s}}s{{/s}}{{^n0}}n{{/n0}}{{^o}}o{{/o}}{{^l}}l{{/l}}", c), "");
    EXPECT_EQ(render("{{#l}}yes{{/l}}{{^l}}no{{/l}}", R"({"l": []})"), "no");
}

TEST(TemplateEngine, Comments) { EXPECT_EQ(render("a{{! a comment }}b{{!}}c{{! multi\nline }}d"), "abcd"); }

// ---- standalone lines ---------------------------------------------------------------------------

TEST(TemplateEngine, StandaloneLinesAreRemoved) {
    const std::string c = R"({"x": true, "y": false, "v": 1})";
    EXPECT_EQ(render("a\n  {{#x}}\n  b\n  {{/x}}\nc\n", c), "a\n  b\nc\n");
    EXPECT_EQ(render("a\n\t{{^y}}  \nb\n{{/y}}\nc", c), "a\nb\nc");
    EXPECT_EQ(render("a\n  {{! comment }}\nb\n", c), "a\nb\n");
    EXPECT_EQ(render("a\n{{! multi\n  line }}\nb\n", c), "a\nb\n");
    EXPECT_EQ(render("{{#x}}\nfirst line\n{{/x}}", c), "first line\n");  // at start and at end of text
    EXPECT_EQ(render("a\r\n  {{#x}}\r\nb\r\n  {{/x}}  \r\nc\r\n", c), "a\r\nb\r\nc\r\n");
}

TEST(TemplateEngine, NotStandalone) {
    const std::string c = R"({"x": true, "v": 1})";
    EXPECT_EQ(render("  {{v}}\n", c), "  1\n");  // variables are never standalone
    EXPECT_EQ(render("a {{#x}}\nb\n{{/x}} c\n", c), "a \nb\n c\n");
    EXPECT_EQ(render("{{#x}}{{/x}}\n", c), "\n");  // two tags on one line
    EXPECT_EQ(render("  {{#x}}b{{/x}}\n", c), "  b\n");
}

TEST(TemplateEngine, ListLoopWithStandaloneTags) {
    const std::string c = R"({"pkgs": ["a", "b"]})";
    EXPECT_EQ(render("image = (\n    modal.Image.debian_slim()\n    {{#pkgs}}\n    .pip_install({{.}})\n"
                     "    {{/pkgs}}\n)\n",
                     c),
              "image = (\n    modal.Image.debian_slim()\n    .pip_install(\"a\")\n    .pip_install(\"b\")\n)\n");
}

// ---- partials -----------------------------------------------------------------------------------

TEST(TemplateEngine, Partials) {
    const std::string c = R"({"v": 2, "items": [{"v": 3}]})";
    EXPECT_EQ(render("a {{>p}} b", c, {{"p", "<{{v}}>"}}), "a <2> b");
    EXPECT_EQ(render("{{#items}}{{> p}}{{/items}}", c, {{"p", "<{{v}}>"}}), "<3>");
}

TEST(TemplateEngine, StandalonePartialIsIndented) {
    const std::string c = R"({"v": 2, "xs": [1, 2]})";
    EXPECT_EQ(render("def f():\n    {{> body}}\nend\n", c, {{"body", "x = 1\ny = {{v}}\n"}}),
              "def f():\n    x = 1\n    y = 2\nend\n");
    // Nested standalone partials accumulate indentation; standalone tags inside the partial vanish.
    EXPECT_EQ(render("class A:\n  {{>m}}\n", c,
                     {{"m", "def m(self):\n  {{>b}}\n"}, {"b", "{{#xs}}\nprint({{.}})\n{{/xs}}\n"}}),
              "class A:\n  def m(self):\n    print(1)\n    print(2)\n");
    EXPECT_EQ(render("  {{>p}}\r\nz", c, {{"p", "a\r\nb\r\n"}}), "  a\r\n  b\r\nz");
}

TEST(TemplateEngine, ErrorsInsidePartialNameThePartial) {
    const TemplateError e = render_error("line1\n{{>inner}}\n", "{}", {{"inner", "ok\nok\n{{missing}}\n"}});
    EXPECT_EQ(e.template_name, "inner");
    EXPECT_EQ(e.line, 3);
    EXPECT_EQ(e.detail.rfind("unknown name 'missing'", 0), 0u) << e.what();
}

TEST(TemplateEngine, NameMissingInPartialSaysWhatToPass) {
    // A shared partial needs names from the context of whoever includes it: the error names the
    // partial, the missing name and the template whose context should carry it.
    const TemplateError e =
        render_error("{{>common/header.py}}\n", R"({"other": 1})", {{"common/header.py", "# by {{mgpux_version}}\n"}});
    EXPECT_EQ(e.template_name, "common/header.py");
    EXPECT_EQ(e.line, 1);
    EXPECT_EQ(e.detail,
              "unknown name 'mgpux_version': the partial 'common/header.py' needs 'mgpux_version' in the "
              "context; pass it in the context given to render 't'");
    // A missing member is reported as before: the name itself was passed.
    const TemplateError member = render_error("{{>p}}", R"({"a": {}})", {{"p", "{{a.b}}"}});
    EXPECT_EQ(member.detail, "unknown name 'a.b' ('a' has no member 'b')");
}

TEST(TemplateEngine, UnknownPartial) {
    const TemplateError e = render_error("a\nb {{> nope}}\n");
    EXPECT_EQ(e.template_name, "t");
    EXPECT_EQ(e.line, 2);
    EXPECT_EQ(e.detail, "unknown partial 'nope'");
    // An empty loader behaves the same.
    EXPECT_THROW(render_template("t", "{{>x}}", json::object{}, PartialLoader{}), TemplateError);
}

TEST(TemplateEngine, PartialRecursionLimit) {
    // 16 nested partials are fine.
    std::map<std::string, std::string> chain;
    for (int i = 1; i <= 16; ++i) chain["p" + std::to_string(i)] = "{{>p" + std::to_string(i + 1) + "}}";
    chain["p16"] = "end";
    EXPECT_EQ(render("{{>p1}}", "{}", chain), "end");
    // A 17th level is an error, and so is a partial that includes itself.
    chain["p16"] = "{{>p17}}";
    chain["p17"] = "end";
    const TemplateError deep = render_error("{{>p1}}", "{}", chain);
    EXPECT_EQ(deep.template_name, "p16");
    EXPECT_NE(deep.detail.find("deeper than 16"), std::string::npos) << deep.what();
    const TemplateError self = render_error("{{>r}}", "{}", {{"r", "x\n{{>r}}"}});
    EXPECT_EQ(self.template_name, "r");
    EXPECT_EQ(self.line, 2);
    // Recursion that stops is fine.
    EXPECT_EQ(render("{{#tree}}{{>node}}{{/tree}}", R"({"tree": {"n": 1, "kids": [{"n": 2, "kids": []}]}})",
                     {{"node", "({{n}}{{#kids}}{{>node}}{{/kids}})"}}),
              "(1(2))");
}

// ---- strict names -------------------------------------------------------------------------------

TEST(TemplateEngine, UnknownNameIsAnErrorWithItsLine) {
    const TemplateError e = render_error("import modal\n\napp = modal.App({{app_nam}})\n", R"({"app_name": "x"})");
    EXPECT_EQ(e.template_name, "t");
    EXPECT_EQ(e.line, 3);
    EXPECT_EQ(e.detail, "unknown name 'app_nam'");
    EXPECT_STREQ(e.what(), "t:3: unknown name 'app_nam'");

    EXPECT_EQ(render_error("a\n{{#nope}}x{{/nope}}").line, 2);
    EXPECT_EQ(render_error("a\nb\n{{^nope}}x{{/nope}}").line, 3);
    EXPECT_EQ(render_error("{{{nope}}}").detail, "unknown name 'nope'");
    EXPECT_EQ(render_error("{{& nope}}").detail, "unknown name 'nope'");
    // Inside a section over a list, a name missing from both the item and the outer context.
    EXPECT_EQ(render_error("{{#xs}}\n{{y}}\n{{/xs}}", R"({"xs": [{"a": 1}]})").line, 2);
}

TEST(TemplateEngine, UnknownDottedName) {
    const TemplateError e = render_error("\n{{a.b.x}}", R"({"a": {"b": {"c": 1}}})");
    EXPECT_EQ(e.line, 2);
    EXPECT_EQ(e.detail.rfind("unknown name 'a.b.x'", 0), 0u) << e.detail;
    EXPECT_EQ(render_error("{{a.b}}", R"({"a": 1})").detail.rfind("unknown name 'a.b'", 0), 0u);
    // No backtracking: once 'a' resolves, 'a.b' must exist in it.
    EXPECT_THROW(render("{{#o}}{{a.b}}{{/o}}", R"({"a": {"b": 1}, "o": {"a": {}}})"), TemplateError);
}

// ---- syntax errors ------------------------------------------------------------------------------

TEST(TemplateEngine, SyntaxErrorsCarryTheLine) {
    const TemplateError unclosed_tag = render_error("a\nb {{name\nc", R"({"name": 1})");
    EXPECT_EQ(unclosed_tag.line, 2);
    EXPECT_NE(unclosed_tag.detail.find("unclosed tag"), std::string::npos);
    EXPECT_EQ(render_error("a\n\n{{{x}}\n", R"({"x": 1})").line, 3);

    const TemplateError unclosed_section = render_error("a\n{{#x}}\nb\n", R"({"x": true})");
    EXPECT_EQ(unclosed_section.line, 2);
    EXPECT_EQ(unclosed_section.detail, "unclosed section 'x'");

    const TemplateError mismatch = render_error("{{#x}}\n{{#y}}\n{{/x}}\n", R"({"x": 1, "y": 1})");
    EXPECT_EQ(mismatch.line, 3);
    EXPECT_NE(mismatch.detail.find("'y' opened on line 2"), std::string::npos) << mismatch.detail;

    const TemplateError stray = render_error("a\nb\n{{/x}}");
    EXPECT_EQ(stray.line, 3);
    EXPECT_NE(stray.detail.find("without an open section"), std::string::npos);

    EXPECT_EQ(render_error("a\n{{ }}").line, 2);
    EXPECT_EQ(render_error("{{ }}").detail, "empty name in tag");
    EXPECT_EQ(render_error("{{#}}{{/}}").detail, "empty name in tag");
    EXPECT_EQ(render_error("{{>}}").detail, "empty name in tag");
    EXPECT_EQ(render_error("{{{}}}").detail, "empty name in tag");
    EXPECT_EQ(render_error("{{a b}}").detail, "invalid name 'a b'");
    EXPECT_EQ(render_error("{{a..b}}").detail, "invalid name 'a..b'");
    EXPECT_EQ(render_error("{{.a}}").detail, "invalid name '.a'");

    const TemplateError delim = render_error("x\n{{=<% %>=}}\n");
    EXPECT_EQ(delim.line, 2);
    EXPECT_EQ(delim.detail, "set-delimiter tags are not supported");
}

TEST(TemplateEngine, SyntaxErrorsInUnrenderedBranchesAreStillErrors) {
    EXPECT_THROW(render("{{#f}}{{/g}}{{/f}}", R"({"f": false})"), TemplateError);
}

TEST(TemplateEngine, LineNumbersAfterStandaloneAndCrLf) {
    EXPECT_EQ(render_error("{{#x}}\r\n{{! c\r\n}}\r\n{{y}}\r\n{{/x}}\r\n", R"({"x": true})").line, 4);
    EXPECT_EQ(render_error("{{#x}}\n  {{>p}}\n{{/x}}\n", R"({"x": true})", {{"p", "\n\n{{nope}}"}}).line, 3);
}

}  // namespace
