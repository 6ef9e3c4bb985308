// SPDX-License-Identifier: MIT
#include "workspace_launch.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using mgpux::Json;
using namespace mgpux::launch;

namespace {

WorkspaceSpec spec(Workspace kind) {
    WorkspaceSpec s;
    s.kind = kind;
    s.profile = "work";
    Json gpu = Json::object();
    gpu.set("name", "H100");
    gpu.set("count", 2);
    gpu.set("spec", "H100:2");
    gpu.set("label", "H100:2");
    s.compute = compute_from_gpu(gpu);
    s.python_version = "3.12";
    s.local_dir = "/home/u/proj";
    s.excludes = {"**/.venv", "**/.modal.toml"};
    s.script_path = "sub/main.py";
    return s;
}

Credentials creds() { return Credentials{"TTYD_CREDENTIAL", "mgpux", "pw"}; }

}  // namespace

TEST(WorkspaceLaunch, NamesPerKind) {
    EXPECT_STREQ(workspace_template(Workspace::Dev), "dev/shell.py");
    EXPECT_STREQ(workspace_app_name(Workspace::Dev), "m-gpux-shell");
    EXPECT_STREQ(workspace_app_name(Workspace::Jupyter), "m-gpux-jupyter");
    EXPECT_STREQ(workspace_app_name(Workspace::Interactive), "m-gpux-interactive");
    EXPECT_EQ(workspace_from_kind("interactive"), Workspace::Interactive);
    EXPECT_FALSE(workspace_from_kind("script").has_value());
    EXPECT_EQ(default_description(spec(Workspace::Interactive)), "Interactive terminal for sub/main.py on H100:2");
}

TEST(WorkspaceLaunch, ContextHasEveryTemplateName) {
    const Json ctx = workspace_context(spec(Workspace::Interactive), "2.0");
    for (const char* k :
         {"mgpux_version", "template", "app_name", "python_version", "timeout_s", "local_dir", "exclude_patterns",
          "packages", "requirements", "workspace_volume", "script_path", "gpu", "cpu"})
        EXPECT_NE(ctx.find(k), nullptr) << k;
    EXPECT_EQ(ctx.find("secret_name"), nullptr);  // no named secret: the credentials are ephemeral
    EXPECT_EQ(ctx.find("gpu")->as_string(), "H100:2");
    EXPECT_TRUE(ctx.find("requirements")->is_null());
    EXPECT_EQ(workspace_context(spec(Workspace::Bash), "2.0").find("script_path"), nullptr);
}

TEST(WorkspaceLaunch, RequestCarriesEphemeralSecretFileAndSession) {
    const Json req = workspace_request(spec(Workspace::Bash), "print()", creds(), UploadStats{}).to_json();
    EXPECT_EQ(req.find("mode")->as_string(), "run");
    EXPECT_TRUE(req.find("detach")->as_bool());
    EXPECT_EQ(req.find("profile")->as_string(), "work");
    EXPECT_EQ(req.find("secrets"), nullptr);  // nothing for `modal secret create`
    EXPECT_EQ(req.find("secret_env")->find("TTYD_CREDENTIAL")->as_string(), "mgpux:pw");
    const Json& file = req.find("files")->as_array().at(0);
    EXPECT_EQ(file.find("name")->as_string(), "credentials.env");
    EXPECT_NE(file.find("content")->as_string().find("TTYD_CREDENTIAL=mgpux:pw"), std::string::npos);
    const Json* session = req.find("session");
    EXPECT_EQ(session->find("kind")->as_string(), "bash");
    EXPECT_EQ(session->find("secret_name"), nullptr);  // so stopping it deletes no secret
    EXPECT_EQ(session->find("app_name")->as_string(), "m-gpux-shell");
    // The script itself never holds the value.
    EXPECT_EQ(req.find("script")->as_string().find("pw"), std::string::npos);
}

TEST(WorkspaceLaunch, NewCredentialsAreRandomAndShaped) {
    const Credentials a = new_credentials(Workspace::Jupyter), b = new_credentials(Workspace::Jupyter);
    EXPECT_EQ(a.key, "JUPYTER_TOKEN");
    EXPECT_TRUE(a.user.empty());
    EXPECT_EQ(a.secret.size(), 48u);
    EXPECT_NE(a.secret, b.secret);
    const Credentials t = new_credentials(Workspace::Dev);
    EXPECT_EQ(t.key, "TTYD_CREDENTIAL");
    EXPECT_EQ(t.value(), "mgpux:" + t.secret);
}

TEST(WorkspaceLaunch, AccessUrlAddsTheJupyterToken) {
    Credentials c{"JUPYTER_TOKEN", "", "tok"};
    EXPECT_EQ(access_url(Workspace::Jupyter, "https://x.modal.host", c), "https://x.modal.host?token=tok");
    EXPECT_EQ(access_url(Workspace::Jupyter, "https://x/?a=1", c), "https://x/?a=1&token=tok");
    EXPECT_EQ(access_url(Workspace::Bash, "https://x", creds()), "https://x");
    EXPECT_EQ(access_url(Workspace::Jupyter, "", c), "");
}

TEST(WorkspaceLaunch, ScriptMustBeAFileInsideTheProject) {
    // The project and a file beside it, in one directory removed at the end.
    struct Scratch {
        fs::path path = fs::temp_directory_path() / ("mgpux-ws-test-" + random_hex(6));
        ~Scratch() {
            std::error_code ec;
            fs::remove_all(path, ec);
        }
    } scratch;
    const fs::path root = scratch.path / "project";
    fs::create_directories(root / "sub");
    std::ofstream(root / "sub" / "a.py") << "x = 1\n";
    std::ofstream(scratch.path / "outside.py") << "x = 1\n";
    const std::string dir = root.generic_string();
    EXPECT_EQ(script_inside(dir, "sub/a.py", dir, "FILE"), "sub/a.py");
    EXPECT_EQ(script_inside(dir, "a.py", dir + "/sub", "FILE"), "sub/a.py");
    EXPECT_THROW(script_inside(dir, "missing.py", dir, "FILE"), mgpux::Error);
    EXPECT_THROW(script_inside(dir, "../outside.py", dir, "FILE"), mgpux::Error);
    EXPECT_THROW(script_inside(dir, "sub", dir, "FILE"), mgpux::Error);
}
