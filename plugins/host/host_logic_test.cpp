// SPDX-License-Identifier: MIT
#include "host_logic.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using mgpux::Json;
using namespace host;

namespace {

int code_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const mgpux::Error& e) {
        return e.code();
    }
    return 0;
}

Plan sample_plan() {
    Plan p;
    p.action = Action::Asgi;
    p.app_name = "m-gpux-host-demo";
    p.project_dir = "/srv/demo";
    p.entry = {"main", "app"};
    p.compute = mgpux::launch::compute_from_cpu(
        Json::parse(R"J({"cores":4,"memory_mb":2048,"label":"CPU (4 cores, 2048 MB)"})J"));
    p.python_version = "3.12";
    p.deps.packages = {"fastapi==0.115.0"};
    p.ignore = {"**/.venv"};
    return p;
}

}  // namespace

TEST(Entry, ParsesModuleAndObject) {
    const Entry e = parse_entry("api.server:app.asgi");
    EXPECT_EQ(e.module, "api.server");
    EXPECT_EQ(e.object, "app.asgi");
    EXPECT_EQ(parse_entry("\xD0\xBF\xD1\x80:app").module, "\xD0\xBF\xD1\x80");  // Unicode identifiers are Python
}

TEST(Entry, RefusesOtherShapes) {
    for (const char* bad : {"main", "main:", ":app", "main:app:x", "1main:app", "ma in:app", "main:a\"b", "a..b:app",
                            "main:app\n", "a/b:app", "{{x}}:app", "-m:app"})
        EXPECT_EQ(code_of([&] { parse_entry(bad); }), MGPUX_E_USAGE) << bad;
}

TEST(Entry, ModuleFileMustExist) {
    const fs::path dir = fs::temp_directory_path() / ("mgpux-host-" + mgpux::launch::random_hex(6));
    fs::create_directories(dir / "api");
    std::ofstream(dir / "main.py") << "app = 1\n";
    std::ofstream(dir / "api" / "__init__.py") << "";
    EXPECT_EQ(entry_file(dir, parse_entry("main:app")), dir / "main.py");
    EXPECT_EQ(entry_file(dir, parse_entry("api:app")), dir / "api" / "__init__.py");
    EXPECT_EQ(code_of([&] { entry_file(dir, parse_entry("api.server:app")); }), MGPUX_E_USAGE);
    EXPECT_EQ(code_of([&] { entry_file(dir, parse_entry("nope:app")); }), MGPUX_E_USAGE);
    fs::remove_all(dir);
}

TEST(Names, AppNameIsSlugged) {
    EXPECT_EQ(app_name_for("My Site!"), "m-gpux-host-my-site");
    EXPECT_EQ(app_name_for("a\"b\\c\n{{d}}\xC3\xA9"), "m-gpux-host-a-b-c-d");
    EXPECT_EQ(app_name_for(std::string(50, 'x')), "m-gpux-host-" + std::string(32, 'x'));
    EXPECT_EQ(code_of([] { app_name_for("\xC3\xA9\xC3\xA9"); }), MGPUX_E_USAGE);
    EXPECT_EQ(code_of([] { app_name_for("---"); }), MGPUX_E_USAGE);
}

TEST(Actions, Defaults) {
    EXPECT_EQ(action_of("host static"), Action::Static);
    EXPECT_STREQ(template_name(Action::Wsgi), "host/app.py");
    EXPECT_STREQ(template_name(Action::Asgi), "host/app.py");
    EXPECT_STREQ(default_entry(Action::Asgi), "main:app");
    EXPECT_STREQ(default_entry(Action::Wsgi), "app:app");
    EXPECT_STREQ(default_name(Action::Static), "my-site");
}

TEST(Context, AppContextHasEveryTemplateValue) {
    const Json ctx = render_context(sample_plan(), "0.1.0");
    EXPECT_EQ(ctx.dump(),
              R"J({"gpu":null,"cpu":{"cores":4,"memory_mb":2048},"mgpux_version":"0.1.0","template":"host/app.py",)J"
              R"J("app_name":"m-gpux-host-demo","python_version":"3.12","base_image":null,"has_packages":true,)J"
              R"J("packages":["fastapi==0.115.0"],"requirements":"","project_dir":"/srv/demo","ignore":["**/.venv"],)J"
              R"J("timeout_s":86400,"scaledown_window":300,"min_containers":0,"max_inputs":100,)J"
              R"J("asgi":true,"entry_module":"main","entry_object":"app"})J");
}

TEST(Context, StaticHasPortNoEntry) {
    Plan p = sample_plan();
    p.action = Action::Static;
    const Json ctx = render_context(p, "0.1.0");
    EXPECT_EQ(ctx.find("port")->as_int(), 8000);
    EXPECT_EQ(ctx.find("entry_module"), nullptr);
    EXPECT_EQ(ctx.find("template")->as_string(), "host/static.py");
}

TEST(Context, PublishedImageIsTheBase) {
    Plan p = sample_plan();
    p.base_image = "web-base";
    EXPECT_EQ(render_context(p, "0.1.0").find("base_image")->as_string(), "web-base");
}

TEST(Request, DeployInBackground) {
    Plan p = sample_plan();
    p.background = true;
    mgpux::launch::UploadStats up;
    up.files = 2;
    up.bytes = 10;
    const Json r = run_request(p, up, "x").to_json();
    EXPECT_EQ(r.find("mode")->as_string(), "deploy");
    EXPECT_TRUE(r.find("background")->as_bool());
    EXPECT_EQ(r.find("description")->as_string(), "ASGI app m-gpux-host-demo on CPU (4 cores, 2048 MB)");
    EXPECT_EQ(r.find("uploads")->dump(), R"J(["/srv/demo (2 files, 10 B)"])J");
    EXPECT_EQ(r.find("timeout_s")->as_int(), 86400);
}

TEST(Document, FromRunnerResult) {
    const auto result = mgpux::RunResult::from_json(
        Json::parse(R"J({"status":"completed","app_id":"ap-1","url":"https://w--x-web.modal.run","session_id":"s-1",)J"
                    R"J("profile":"work","command":["modal","deploy","/r/modal_runner.py"]})J"));
    const Json doc = json_document(sample_plan(), result);
    EXPECT_EQ(doc.find("app_id")->as_string(), "ap-1");
    EXPECT_EQ(doc.find("url")->as_string(), "https://w--x-web.modal.run");
    EXPECT_EQ(doc.find("mode")->as_string(), "deploy");
    EXPECT_EQ(doc.find("profile")->as_string(), "work");
    EXPECT_EQ(doc.find("session_id")->as_string(), "s-1");
    EXPECT_EQ(doc.find("action")->as_string(), "asgi");
}
