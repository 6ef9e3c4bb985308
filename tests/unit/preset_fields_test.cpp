// SPDX-License-Identifier: MIT
// Tests for preset fragments: the original's Python fragments are parsed
// into fields, only the shapes the original writes are accepted, and the
// fragments regenerated from fields parse back to the same fields.
#include "services/preset_fields.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

namespace {

using namespace mgpux::services;
namespace json = boost::json;

PresetCompute gpu(const std::string& name, int count = 1) {
    PresetCompute c;
    c.gpu = name;
    c.gpu_count = count;
    return c;
}

PresetCompute cpu(int cores, int memory) {
    PresetCompute c;
    c.cpu = cores;
    c.memory_mb = memory;
    return c;
}

// The reason parse_compute_spec gives for refusing `spec`, or a failure.
std::string compute_refusal(const std::string& spec) {
    try {
        parse_compute_spec(spec);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    ADD_FAILURE() << "accepted: " << spec;
    return "";
}

std::string pip_refusal(const std::string& section) {
    try {
        parse_pip_section(section);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    ADD_FAILURE() << "accepted: " << section;
    return "";
}

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

TEST(PresetFieldsCompute, AcceptsGpuSpecs) {
    EXPECT_EQ(parse_compute_spec("gpu=\"A100\""), gpu("A100"));
    EXPECT_EQ(parse_compute_spec("gpu='A100'"), gpu("A100"));
    EXPECT_EQ(parse_compute_spec("gpu=\"H100:4\""), gpu("H100", 4));
    EXPECT_EQ(parse_compute_spec("  gpu = \"H100!\" ,\n"), gpu("H100!"));
    EXPECT_EQ(parse_compute_spec("gpu=\"B200+\""), gpu("B200+"));
    EXPECT_EQ(parse_compute_spec("gpu=\"RTX-PRO-6000\""), gpu("RTX-PRO-6000"));
    EXPECT_EQ(parse_compute_spec("gpu=\"A100-80GB\""), gpu("A100-80GB"));
}

TEST(PresetFieldsCompute, AcceptsCpuSpecs) {
    EXPECT_EQ(parse_compute_spec("cpu=4, memory=2048"), cpu(4, 2048));
    EXPECT_EQ(parse_compute_spec("cpu=8,memory=4096"), cpu(8, 4096));
    EXPECT_EQ(parse_compute_spec("memory=1024, cpu=2"), cpu(2, 1024));
    EXPECT_EQ(parse_compute_spec("cpu=4"), cpu(4, 2048));  // 512 MB per core
    EXPECT_EQ(parse_compute_spec("cpu=4.0, memory=2048"), cpu(4, 2048));
    EXPECT_EQ(parse_compute_spec("\tcpu = 64 ,\n memory = 32768 ,"), cpu(64, 32768));
}

TEST(PresetFieldsCompute, RefusesCodeAndOddShapes) {
    EXPECT_CONTAINS(compute_refusal("gpu=os.system(\"x\")"), "expected a quoted string, found 'os'");
    EXPECT_CONTAINS(compute_refusal("gpu=GPU"), "found 'GPU'");
    EXPECT_CONTAINS(compute_refusal("gpu=f\"A100\""), "string prefixes");
    EXPECT_CONTAINS(compute_refusal("gpu=\"A100\" + x"), "unexpected '+ x'");
    EXPECT_CONTAINS(compute_refusal("gpu=\"A1\" \"00\""), "unexpected");
    EXPECT_CONTAINS(compute_refusal("gpu=\"A100\"); import os; f(x=1"), "unexpected");
    EXPECT_CONTAINS(compute_refusal("gpu=\"A100\", timeout=10"), "unknown keyword 'timeout'");
    EXPECT_CONTAINS(compute_refusal("gpu=\"A100\", gpu=\"T4\""), "twice");
    EXPECT_CONTAINS(compute_refusal("gpu=\"A1 00\""), "GPU name");
    EXPECT_CONTAINS(compute_refusal("gpu=\"A100\\\")\""), "GPU name");
    EXPECT_CONTAINS(compute_refusal("gpu=\"\""), "empty");
    EXPECT_CONTAINS(compute_refusal("gpu=\"H100:0\""), "between 1 and");
    EXPECT_CONTAINS(compute_refusal("gpu=\"H100:x\""), "whole number");
    EXPECT_CONTAINS(compute_refusal("gpu=\"A100\", cpu=4"), "not accepted");
    EXPECT_CONTAINS(compute_refusal("cpu=4.5"), "whole number");
    EXPECT_CONTAINS(compute_refusal("cpu=0"), "between 1 and 64");
    EXPECT_CONTAINS(compute_refusal("cpu=65"), "between 1 and 64");
    EXPECT_CONTAINS(compute_refusal("cpu=N"), "must be a number");
    EXPECT_CONTAINS(compute_refusal("cpu=4e3"), "plain whole number");
    EXPECT_CONTAINS(compute_refusal("cpu=9999999999"), "too large");
    EXPECT_CONTAINS(compute_refusal("memory=2048"), "memory without cpu");
    EXPECT_CONTAINS(compute_refusal("gpu=\"\"\"A100\"\"\""), "triple-quoted");
    EXPECT_CONTAINS(compute_refusal("gpu=\"A100"), "unterminated");
    EXPECT_CONTAINS(compute_refusal(""), "empty");
    EXPECT_CONTAINS(compute_refusal("rm -rf /"), "expected '='");
    EXPECT_CONTAINS(compute_refusal("!!"), "expected gpu=");
    EXPECT_CONTAINS(compute_refusal("gpu=\"A100\"  # comment"), "unexpected");
}

TEST(PresetFieldsCompute, RendersTheOriginalsFragmentsAndLabels) {
    EXPECT_EQ(render_compute_spec(gpu("A100")), "gpu=\"A100\"");
    EXPECT_EQ(render_compute_spec(gpu("H100", 4)), "gpu=\"H100:4\"");
    EXPECT_EQ(render_compute_spec(cpu(4, 2048)), "cpu=4, memory=2048");
    EXPECT_EQ(render_compute_label(gpu("L4")), "L4");
    EXPECT_EQ(render_compute_label(gpu("H100", 4)), "H100:4");
    EXPECT_EQ(render_compute_label(cpu(8, 4096)), "CPU (8 cores, 4096 MB)");
    PresetCompute no_memory;
    no_memory.cpu = 2;
    EXPECT_EQ(render_compute_spec(no_memory), "cpu=2, memory=1024");
}

TEST(PresetFieldsCompute, RenderRefusesWhatParsingWould) {
    EXPECT_THROW(render_compute_spec(gpu("A100\"), x=(\"")), std::invalid_argument);
    EXPECT_THROW(render_compute_spec(gpu("A100", 0)), std::invalid_argument);
    EXPECT_THROW(render_compute_spec(PresetCompute{}), std::invalid_argument);
    PresetCompute both = gpu("A100");
    both.cpu = 4;
    EXPECT_THROW(render_compute_label(both), std::invalid_argument);
}

TEST(PresetFieldsCompute, RenderParseRoundTrips) {
    for (const auto& c :
         {gpu("A100"), gpu("H100", 8), gpu("H100!"), gpu("B200+", 2), cpu(1, 512), cpu(64, 32768), cpu(4, 3000)})
        EXPECT_EQ(parse_compute_spec(render_compute_spec(c)), c) << render_compute_spec(c);
}

TEST(PresetFieldsPip, AcceptsTheOriginalsShapes) {
    EXPECT_EQ(parse_pip_section(""), PipSection{});
    EXPECT_EQ(parse_pip_section("  \n"), PipSection{});
    EXPECT_EQ(parse_pip_section(".pip_install(\n    \"torch\", \"numpy\", \"pandas\"\n)").packages,
              (std::vector<std::string>{"torch", "numpy", "pandas"}));
    EXPECT_EQ(parse_pip_section(".pip_install('a', 'b')").packages, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(parse_pip_section(".pip_install(\"torch==2.1.0\", 'numpy>=1.26',)").packages,
              (std::vector<std::string>{"torch==2.1.0", "numpy>=1.26"}));
    EXPECT_EQ(parse_pip_section(" . pip_install ( 'x[extra]' ) ").packages, (std::vector<std::string>{"x[extra]"}));
    EXPECT_EQ(parse_pip_section(".pip_install()").packages, std::vector<std::string>{});
    const PipSection reqs = parse_pip_section(".pip_install_from_requirements(\"/home/me/proj/requirements.txt\")");
    EXPECT_EQ(reqs.requirements, "/home/me/proj/requirements.txt");
    EXPECT_TRUE(reqs.packages.empty());
    EXPECT_EQ(parse_pip_section(".pip_install_from_requirements('C:/a b/r.txt',)").requirements, "C:/a b/r.txt");
}

TEST(PresetFieldsPip, UnderstandsEscapes) {
    EXPECT_EQ(parse_pip_section(R"(.pip_install_from_requirements("/a\\b/\"q\"/it\'s.txt"))").requirements,
              "/a\\b/\"q\"/it's.txt");
    EXPECT_EQ(parse_pip_section(R"(.pip_install('a\\b', "c"))").packages, (std::vector<std::string>{"a\\b", "c"}));
    // A quote is fine in a path but never in a package.
    EXPECT_CONTAINS(pip_refusal(R"(.pip_install('it\'s'))"), "quotes");
    EXPECT_CONTAINS(pip_refusal(R"(.pip_install_from_requirements("/a\tb"))"), "control characters");
}

TEST(PresetFieldsPip, RefusesCodeAndOddShapes) {
    EXPECT_CONTAINS(pip_refusal(".pip_install(\"a\") + x"), "unexpected '+ x' after the call");
    EXPECT_CONTAINS(pip_refusal(".pip_install(f\"a\")"), "string prefixes");
    EXPECT_CONTAINS(pip_refusal(".pip_install(rb'a')"), "string prefixes");
    EXPECT_CONTAINS(pip_refusal(".run_commands(\"x\")"), "not .run_commands");
    EXPECT_CONTAINS(pip_refusal(".pip_install(\"a\").pip_install(\"b\")"), "only one method call");
    EXPECT_CONTAINS(pip_refusal(".pip_install(\"a\"); import os"), "unexpected");
    EXPECT_CONTAINS(pip_refusal(".pip_install(\"a\" + \"b\")"), "in the argument list");
    EXPECT_CONTAINS(pip_refusal(".pip_install(\"a\" \"b\")"), "implicit string concatenation");
    EXPECT_CONTAINS(pip_refusal(".pip_install(os.environ[\"X\"])"), "found 'os'");
    EXPECT_CONTAINS(pip_refusal(".pip_install(\"a\", index_url=\"http://x\")"), "found 'index_url'");
    EXPECT_CONTAINS(pip_refusal(".pip_install(\"--index-url\", \"http://x\")"), "may not start with '-'");
    EXPECT_CONTAINS(pip_refusal(".pip_install(\"\")"), "empty");
    EXPECT_CONTAINS(pip_refusal(".pip_install(\"a\\nb\")"), "control characters");
    EXPECT_CONTAINS(pip_refusal(".pip_install(\"a\\x41\")"), "unsupported escape");
    EXPECT_CONTAINS(pip_refusal(".pip_install(\"a\""), "missing ')'");
    EXPECT_CONTAINS(pip_refusal(".pip_install(\"a)"), "unterminated");
    EXPECT_CONTAINS(pip_refusal(".pip_install(\"a\n\")"), "unterminated");
    EXPECT_CONTAINS(pip_refusal(".pip_install_from_requirements()"), "exactly one path");
    EXPECT_CONTAINS(pip_refusal(".pip_install_from_requirements(\"a\", \"b\")"), "exactly one path");
    EXPECT_CONTAINS(pip_refusal(".pip_install_from_requirements(\"\")"), "empty");
    EXPECT_CONTAINS(pip_refusal("pip_install(\"a\")"), "expected .pip_install");
    EXPECT_CONTAINS(pip_refusal(".pip_install"), "expected '('");
    EXPECT_CONTAINS(pip_refusal("garbage"), "expected .pip_install");
    EXPECT_CONTAINS(pip_refusal(".pip_install(\"a\")  # x"), "unexpected");
    EXPECT_CONTAINS(pip_refusal(".pip_install('''a''')"), "triple-quoted");
}

TEST(PresetFieldsPip, RendersAndRoundTrips) {
    EXPECT_EQ(render_pip_section({}), "");
    EXPECT_EQ(render_pip_section({{"torch", "numpy"}, std::nullopt}), ".pip_install(\"torch\", \"numpy\")");
    EXPECT_EQ(render_pip_section({{}, std::string("/p/requirements.txt")}),
              ".pip_install_from_requirements(\"/p/requirements.txt\")");
    EXPECT_EQ(render_pip_section({{}, std::string("/a\\b/\"c\".txt")}),
              R"(.pip_install_from_requirements("/a\\b/\"c\".txt"))");
    for (const PipSection& p :
         {PipSection{}, PipSection{{"a", "b==1", "c[x]>=2"}, std::nullopt},
          PipSection{{}, std::string("/odd \"dir\"\\x/r.txt")}, PipSection{{"a\\b"}, std::nullopt}})
        EXPECT_EQ(parse_pip_section(render_pip_section(p)), p) << render_pip_section(p);
}

TEST(PresetFieldsPip, RenderRefusesWhatParsingWould) {
    EXPECT_THROW(render_pip_section({{"a\")"}, std::nullopt}), std::invalid_argument);
    EXPECT_THROW(render_pip_section({{"-e ."}, std::nullopt}), std::invalid_argument);
    EXPECT_THROW(render_pip_section({{"a"}, std::string("/r.txt")}), std::invalid_argument);
    EXPECT_THROW(render_pip_section({{}, std::string("/r\n.txt")}), std::invalid_argument);
}

// --- presets as JSON objects ---

json::object obj(const char* text) { return json::parse(text).as_object(); }

PresetFieldError field_error(const json::object& stored) {
    try {
        normalise_preset(stored);
    } catch (const PresetFieldError& e) {
        return e;
    }
    ADD_FAILURE() << "accepted: " << json::serialize(stored);
    return PresetFieldError("", "", "", false);
}

TEST(PresetFieldsJson, NormalisesAnOriginalPreset) {
    const json::object p =
        normalise_preset(obj(R"J({"action":"dev","compute_label":"A100","compute_spec":"gpu=\"H100:2\"",
        "pip_section":".pip_install('a', 'b')","name":"x","custom":1})J"));
    EXPECT_EQ(p.at("gpu"), "H100");
    EXPECT_EQ(p.at("gpu_count"), 2);
    EXPECT_TRUE(p.at("cpu").is_null());
    EXPECT_TRUE(p.at("memory_mb").is_null());
    EXPECT_EQ(p.at("pip_packages"), json::parse(R"(["a","b"])"));
    EXPECT_TRUE(p.at("requirements").is_null());
    EXPECT_EQ(p.at("compute_spec"), "gpu=\"H100:2\"");
    EXPECT_EQ(p.at("compute_label"), "H100:2");
    EXPECT_EQ(p.at("pip_section"), ".pip_install(\"a\", \"b\")");
    EXPECT_EQ(p.at("exclude_patterns"), json::array());
    EXPECT_TRUE(p.at("python_version").is_null());
    EXPECT_TRUE(p.at("script").is_null());
    EXPECT_EQ(p.at("action"), "dev");
    EXPECT_EQ(p.at("custom"), 1);
}

TEST(PresetFieldsJson, MissingFragmentsGetTheOriginalsDefaults) {
    const json::object p = normalise_preset(obj(R"({"name":"x"})"));
    EXPECT_EQ(p.at("cpu"), 4);
    EXPECT_EQ(p.at("memory_mb"), 2048);
    EXPECT_TRUE(p.at("gpu").is_null());
    EXPECT_EQ(p.at("compute_spec"), "cpu=4, memory=2048");
    EXPECT_EQ(p.at("pip_section"), "");
    EXPECT_EQ(p.at("action"), "bash");
}

TEST(PresetFieldsJson, StructuredMembersWinOverFragments) {
    // Our own writes carry both; a hand-edited fragment cannot override them.
    const json::object p = normalise_preset(obj(R"J({"gpu":"T4","gpu_count":1,"cpu":null,"memory_mb":null,
        "compute_spec":"gpu=os.system('x')","pip_packages":["a"],"requirements":null,"pip_section":".evil()"})J"));
    EXPECT_EQ(p.at("compute_spec"), "gpu=\"T4\"");
    EXPECT_EQ(p.at("pip_section"), ".pip_install(\"a\")");
}

TEST(PresetFieldsJson, RefusesBadStoredValuesNamingTheField) {
    auto e = field_error(obj(R"J({"compute_spec":"gpu=os.system(\"x\")"})J"));
    EXPECT_EQ(e.field, "compute_spec");
    EXPECT_EQ(e.value, R"J("gpu=os.system(\"x\")")J");
    EXPECT_TRUE(e.stored);
    EXPECT_CONTAINS(e.what(), "compute_spec");
    e = field_error(obj(R"J({"pip_section":".run_commands(\"x\")"})J"));
    EXPECT_EQ(e.field, "pip_section");
    e = field_error(obj(R"J({"gpu":"A100\"); import os #"})J"));
    EXPECT_EQ(e.field, "gpu");
    e = field_error(obj(R"({"gpu":"A100","gpu_count":0})"));
    EXPECT_EQ(e.field, "gpu_count");
    e = field_error(obj(R"({"gpu":"A100","cpu":4})"));
    EXPECT_EQ(e.field, "cpu");
    e = field_error(obj(R"({"cpu":"4"})"));
    EXPECT_EQ(e.field, "cpu");
    e = field_error(obj(R"({"pip_packages":["--pre"]})"));
    EXPECT_EQ(e.field, "pip_packages");
    e = field_error(obj(R"({"pip_packages":["a"],"requirements":"r.txt"})"));
    EXPECT_EQ(e.field, "requirements");
    e = field_error(obj(R"({"exclude_patterns":"x"})"));
    EXPECT_EQ(e.field, "exclude_patterns");
    e = field_error(obj(R"({"python_version":"3.12; rm"})"));
    EXPECT_EQ(e.field, "python_version");
}

TEST(PresetFieldsJson, MergeReplacesAComputeGroup) {
    const json::object gpu_preset = normalise_preset(obj(R"({"compute_spec":"gpu=\"A100\"","action":"dev"})"));
    json::object p = merge_preset(&gpu_preset, obj(R"({"cpu":8})"));
    EXPECT_TRUE(p.at("gpu").is_null());
    EXPECT_EQ(p.at("cpu"), 8);
    EXPECT_EQ(p.at("memory_mb"), 4096);
    EXPECT_EQ(p.at("compute_spec"), "cpu=8, memory=4096");
    EXPECT_EQ(p.at("action"), "dev");

    p = merge_preset(&p, obj(R"({"gpu":"H100","gpu_count":4})"));
    EXPECT_TRUE(p.at("cpu").is_null());
    EXPECT_TRUE(p.at("memory_mb").is_null());
    EXPECT_EQ(p.at("compute_spec"), "gpu=\"H100:4\"");

    p = merge_preset(&p, obj(R"({"gpu_count":2})"));
    EXPECT_EQ(p.at("compute_label"), "H100:2");

    p = merge_preset(&p, obj(R"({"compute_spec":"cpu=2"})"));
    EXPECT_EQ(p.at("cpu"), 2);
    EXPECT_TRUE(p.at("gpu").is_null());
}

TEST(PresetFieldsJson, MergeReplacesAPipGroup) {
    const json::object base =
        normalise_preset(obj(R"J({"pip_section":".pip_install_from_requirements(\"/r.txt\")"})J"));
    json::object p = merge_preset(&base, obj(R"({"pip_packages":["x"]})"));
    EXPECT_TRUE(p.at("requirements").is_null());
    EXPECT_EQ(p.at("pip_section"), ".pip_install(\"x\")");
    p = merge_preset(&p, obj(R"({"requirements":"requirements.txt"})"));
    EXPECT_EQ(p.at("pip_packages"), json::array());
    EXPECT_EQ(p.at("pip_section"), ".pip_install_from_requirements(\"requirements.txt\")");
    p = merge_preset(&p, obj(R"({"pip_section":""})"));
    EXPECT_TRUE(p.at("requirements").is_null());
    EXPECT_EQ(p.at("pip_section"), "");
}

TEST(PresetFieldsJson, MergeAttributesErrors) {
    const json::object broken = obj(R"({"compute_spec":"gpu=GPU","pip_section":""})");
    // The update replaces the broken group: fine.
    EXPECT_EQ(merge_preset(&broken, obj(R"({"gpu":"T4"})")).at("compute_spec"), "gpu=\"T4\"");
    // The update leaves it: the stored value is at fault.
    try {
        merge_preset(&broken, obj(R"({"action":"bash"})"));
        ADD_FAILURE();
    } catch (const PresetFieldError& e) {
        EXPECT_TRUE(e.stored);
        EXPECT_EQ(e.field, "compute_spec");
    }
    try {
        merge_preset(nullptr, obj(R"({"gpu":"A 100"})"));
        ADD_FAILURE();
    } catch (const PresetFieldError& e) {
        EXPECT_FALSE(e.stored);
        EXPECT_EQ(e.field, "gpu");
    }
    try {
        merge_preset(nullptr, obj(R"({"gpu":"A100","cpu":2})"));
        ADD_FAILURE();
    } catch (const PresetFieldError& e) {
        EXPECT_FALSE(e.stored);
    }
}

}  // namespace
