// SPDX-License-Identifier: MIT
#include "compose_plan.hpp"
#include "compose_sync.hpp"

#include <mgpux/error.hpp>

#include <gtest/gtest.h>

using namespace compose;
using mgpux::Json;

namespace {

Project parse(const std::string& yaml) {
    return parse_project(yaml, "compose.yaml", "/proj", {},
                         [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
}

const char* kStack =
    "services:\n"
    "  web:\n    build: .\n    command: uvicorn app:app --port 8000\n    ports: [\"8000:8000\"]\n"
    "    environment:\n      DB_PASSWORD: 'p\"w\\\\x'\n      PORT: 8000\n      URL: postgresql://app:pw@db:5432/app\n  "
    "  depends_on:\n      db:\n"
    "        condition: service_healthy\n"
    "  db:\n    image: postgres:16\n    healthcheck:\n      test: pg_isready\n"
    "  cache:\n    image: redis:7\n    ports: [\"6379:6379\"]\n"
    "  mongo:\n    image: mongo:7\n    profiles: [extra]\n";

}  // namespace

TEST(ComposePlan, VolumeNameMatchesTheProjectFolder) {
    EXPECT_EQ(volume_name("/tmp/My Project!!"), "m-gpux-compose-my-project-10a22c863a");
}

TEST(ComposePlan, CheckDocumentMasksSecretsAndListsEverything) {
    const Json doc = check_document(parse(kStack), Mode::Up);
    EXPECT_EQ(doc.string_or("base_image"), kCudaImage);
    const Json& web = doc.find("services")->as_array()[0];
    EXPECT_EQ(web.find("environment")->string_or("DB_PASSWORD"), "****");
    EXPECT_EQ(web.find("environment")->string_or("PORT"), "8000");
    EXPECT_EQ(web.find("environment")->string_or("URL"), "postgresql://app:****@db:5432/app");
    EXPECT_EQ(web.find("command")->as_array().size(), 4u);
    EXPECT_EQ(doc.find("services")->as_array()[1].string_or("kind"), "postgres");
    EXPECT_EQ(doc.find("start_order")->as_array()[0].as_string(), "db");
}

TEST(ComposePlan, ContextStartsSelectedServicesWithDependencies) {
    Plan plan;
    plan.project = parse(kStack);
    plan.services = {"web"};
    plan.main_service = "web";
    plan.exposes = default_exposes(plan.project, Mode::Up, "web", {"web"});
    plan.local_dir = "/proj";
    plan.python_version = "3.12";
    validate_plan(plan);
    EXPECT_EQ(plan.services, (std::vector<std::string>{"db", "web"}));
    const Json ctx = render_context(plan, "1.0");
    const auto& apt = ctx.find("apt_packages")->as_array();
    EXPECT_NE(std::find_if(apt.begin(), apt.end(), [](const Json& j) { return j.as_string() == "postgresql"; }),
              apt.end());
    EXPECT_EQ(std::find_if(apt.begin(), apt.end(), [](const Json& j) { return j.as_string() == "redis-server"; }),
              apt.end());
    const auto& tunnels = ctx.find("tunnels")->as_array();
    ASSERT_EQ(tunnels.size(), 1u);  // only the main service: the database is not published
    EXPECT_EQ(tunnels[0].string_or("service"), "web");
    EXPECT_EQ(tunnels[0].int_or("port"), 8000);
    const auto& web = ctx.find("services")->as_array()[1];
    // Secret-looking values and URLs with a password are not in the script: the service names the
    // variable of the launch's ephemeral secret, which carries the value intact.
    EXPECT_EQ(web.find("env")->find("DB_PASSWORD"), nullptr);
    EXPECT_EQ(web.find("env")->find("URL"), nullptr);
    EXPECT_EQ(web.find("env")->string_or("PORT"), "8000");
    const std::vector<SecretValue> secrets = secret_values(plan);
    ASSERT_EQ(secrets.size(), 2u);
    std::vector<std::string> vars;
    for (const SecretValue& v : secrets) {
        EXPECT_EQ(v.service, "web");
        EXPECT_EQ(web.find("secret_env")->string_or(v.name.c_str()), v.variable);
        vars.push_back(v.variable);
    }
    EXPECT_EQ(secrets[0].name, "DB_PASSWORD");
    EXPECT_EQ(secrets[0].value, "p\"w\\\\x");
    EXPECT_EQ(secrets[1].value, "postgresql://app:pw@db:5432/app");
    EXPECT_EQ(ctx.find("secret_vars")->as_array().size(), 2u);
    EXPECT_EQ(ctx.find("secret_vars")->as_array()[1].as_string(), vars[1]);
    EXPECT_TRUE(web.bool_or("exposed"));
}

TEST(ComposePlan, ExposeFlagsAndVmDefaults) {
    const Project p = parse(kStack);
    EXPECT_EQ(parse_expose("cache:6379", p).port, 6379);
    EXPECT_EQ(parse_expose("db", p).port, 5432);
    EXPECT_THROW(parse_expose("nope:1", p), mgpux::Error);
    EXPECT_THROW(parse_expose("web:99999", p), mgpux::Error);
    const auto vm = default_exposes(p, Mode::Vm, "web", {"web", "cache"});
    ASSERT_EQ(vm.size(), 2u);
    EXPECT_EQ(vm[1].service, "cache");
    EXPECT_EQ(default_exposes(p, Mode::Vm, "web", {"web"}).size(), 1u);  // cache does not start
}

TEST(ComposePlan, MongoGetsItsRepository) {
    EXPECT_EQ(infra_apt_packages("mongodb"), (std::vector<std::string>{"mongodb-org"}));
    ASSERT_FALSE(infra_setup_commands("mongodb").empty());
    EXPECT_NE(infra_setup_commands("mongodb")[2].find("repo.mongodb.org/apt/ubuntu jammy"), std::string::npos);
}

TEST(ComposePlan, DockerfileCommand) {
    EXPECT_EQ(dockerfile_command("FROM python:3.12\nCMD [\"python\", \"app.py\"]\n", ""),
              (std::vector<std::string>{"python", "app.py"}));
    EXPECT_EQ(
        dockerfile_command(
            "FROM a AS build\nCMD make\nFROM b AS run\nENTRYPOINT [\"srv\"]\nCMD [\"--port\", \\\n \"80\"]\n", ""),
        (std::vector<std::string>{"srv", "--port", "80"}));
    EXPECT_EQ(dockerfile_command("FROM a AS build\nCMD make\nFROM b AS run\nCMD run\n", "build"),
              (std::vector<std::string>{"/bin/sh", "-c", "make"}));
}

TEST(ComposeSync, DiffFindsCreatedChangedAndDeleted) {
    const Snapshot before{
        {"a.txt", {1, 1}}, {"old/x.py", {1, 1}}, {"old/sub/y.py", {1, 1}}, {"keep/z", {1, 1}}, {"keep/gone", {1, 1}}};
    const Snapshot now{{"a.txt", {2, 2}}, {"new.txt", {1, 1}}, {"keep/z", {1, 1}}};
    const Changes c = diff(before, now);
    EXPECT_EQ(c.uploads, (std::vector<std::string>{"a.txt", "new.txt"}));
    EXPECT_EQ(c.deletes, (std::vector<std::string>{"keep/gone", "old"}));
    const auto groups = upload_groups({"src/a.py", "src/b/c.py", "README.md"});
    EXPECT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups.at("src").size(), 2u);
}
