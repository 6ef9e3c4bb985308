// SPDX-License-Identifier: MIT
#include "compose_file.hpp"

#include <mgpux/error.hpp>

#include <gtest/gtest.h>

using namespace compose;

namespace {

std::optional<std::string> one_env_file(const std::string& path) {
    if (path == "/proj/app.env") return std::string("FROM_FILE=1\nSHARED=file\n");
    return std::nullopt;
}

Project parse(const std::string& yaml, const Vars& vars = {}) {
    return parse_project(yaml, "compose.yaml", "/proj", vars, &one_env_file);
}

// The message of the mgpux::Error that parsing `yaml` throws.
std::string parse_error(const std::string& yaml, const Vars& vars = {}) {
    try {
        parse(yaml, vars);
    } catch (const mgpux::Error& e) {
        EXPECT_EQ(e.code(), MGPUX_E_FAILED);
        return e.what();
    }
    ADD_FAILURE() << "no error for:\n" << yaml;
    return "";
}

std::string env_of(const Service& s, const std::string& key) {
    for (const auto& kv : s.environment)
        if (kv.first == key) return kv.second;
    return "<unset>";
}

}  // namespace

// ---------------------------------------------------------------- interpolation

TEST(ComposeInterpolation, EveryForm) {
    const Vars vars{{"SET", "value"}, {"EMPTY", ""}};
    EXPECT_EQ(interpolate("${SET}", vars), "value");
    EXPECT_EQ(interpolate("$SET/x", vars), "value/x");
    EXPECT_EQ(interpolate("${MISSING}", vars), "");
    EXPECT_EQ(interpolate("${MISSING:-dflt}", vars), "dflt");
    EXPECT_EQ(interpolate("${EMPTY:-dflt}", vars), "dflt");
    EXPECT_EQ(interpolate("${EMPTY-dflt}", vars), "");
    EXPECT_EQ(interpolate("${MISSING-dflt}", vars), "dflt");
    EXPECT_EQ(interpolate("${SET:+alt}", vars), "alt");
    EXPECT_EQ(interpolate("${MISSING:-${SET}}", vars), "value");
    EXPECT_EQ(interpolate("cost $$5 and $${SET}", vars), "cost $5 and ${SET}");
    EXPECT_EQ(interpolate("${SET:?needed}", vars), "value");
    EXPECT_EQ(interpolate("${EMPTY?needed}", vars), "");
}

TEST(ComposeInterpolation, RequiredVariablesFail) {
    const Vars vars{{"EMPTY", ""}};
    EXPECT_THROW(interpolate("${MISSING:?set it}", vars), std::runtime_error);
    EXPECT_THROW(interpolate("${EMPTY:?set it}", vars), std::runtime_error);
    EXPECT_THROW(interpolate("${MISSING?set it}", vars), std::runtime_error);
    EXPECT_THROW(interpolate("${UNCLOSED", vars), std::runtime_error);
    EXPECT_THROW(interpolate("${}", vars), std::runtime_error);
}

TEST(ComposeInterpolation, RequiredVariableErrorNamesFileLineAndKey) {
    const std::string msg = parse_error(
        "services:\n  db:\n    image: postgres\n    environment:\n"
        "      POSTGRES_PASSWORD: ${DB_PASSWORD:?choose a password}\n");
    EXPECT_NE(msg.find("compose.yaml:5"), std::string::npos) << msg;
    EXPECT_NE(msg.find("services.db.environment.POSTGRES_PASSWORD"), std::string::npos) << msg;
    EXPECT_NE(msg.find("DB_PASSWORD"), std::string::npos) << msg;
    EXPECT_NE(msg.find("choose a password"), std::string::npos) << msg;
}

TEST(ComposeInterpolation, ValuesComeFromVars) {
    const Project p = parse("services:\n  web:\n    image: \"myorg/web:${TAG:-latest}\"\n", {{"TAG", "1.2"}});
    EXPECT_EQ(p.services[0].image, "myorg/web:1.2");
}

TEST(ComposeEnvFiles, DotenvLines) {
    const auto kv =
        parse_env_lines("# comment\nA=1\nexport B=two\nC=\"x\\ny\"\nD='lit $X'\nE=val # note\n\nbad line\n");
    ASSERT_EQ(kv.size(), 5u);
    EXPECT_EQ(kv[0], (std::pair<std::string, std::string>{"A", "1"}));
    EXPECT_EQ(kv[1].second, "two");
    EXPECT_EQ(kv[2].second, "x\ny");
    EXPECT_EQ(kv[3].second, "lit $X");
    EXPECT_EQ(kv[4].second, "val");
}

// ---------------------------------------------------------------- ports

TEST(ComposePorts, ShortForms) {
    auto one = [](const std::string& s) {
        const auto v = parse_port(s);
        EXPECT_EQ(v.size(), 1u) << s;
        return v.at(0);
    };
    Port p = one("8080:80");
    EXPECT_EQ(p.published, "8080");
    EXPECT_EQ(p.target, 80);
    EXPECT_EQ(p.host_ip, "");
    p = one("127.0.0.1:5432:5432");
    EXPECT_EQ(p.host_ip, "127.0.0.1");
    EXPECT_EQ(p.target, 5432);
    p = one("3000");
    EXPECT_EQ(p.published, "");
    EXPECT_EQ(p.target, 3000);
    p = one("53:53/udp");
    EXPECT_EQ(p.protocol, "udp");
    EXPECT_EQ(p.target, 53);
    p = one("[::1]:8080:80");
    EXPECT_EQ(p.host_ip, "::1");
    EXPECT_EQ(p.target, 80);
    p = one("127.0.0.1::6379");
    EXPECT_EQ(p.published, "");
    EXPECT_EQ(p.target, 6379);
}

TEST(ComposePorts, RangesExpand) {
    const auto v = parse_port("9000-9002:8000-8002");
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[2].target, 8002);
    EXPECT_EQ(v[2].published, "9002");
    EXPECT_EQ(parse_port("5000-5001").size(), 2u);
}

TEST(ComposePorts, InvalidPortsThrow) {
    for (const char* bad : {"", "abc", "0", "70000", "80:", "1:2:3:4", "8000-7000", "80/xyz", "1-2:1-5", "1-5000"})
        EXPECT_THROW(parse_port(bad), std::runtime_error) << bad;
}

TEST(ComposePorts, LongFormAndIntegersInFile) {
    const Project p = parse(
        "services:\n  web:\n    image: nginx\n    ports:\n      - 8080\n"
        "      - target: 80\n        published: \"8081\"\n        host_ip: 0.0.0.0\n"
        "        protocol: tcp\n        mode: host\n    expose: [\"9000\", 9001]\n");
    const Service& s = p.services[0];
    ASSERT_EQ(s.ports.size(), 2u);
    EXPECT_EQ(s.ports[0].target, 8080);
    EXPECT_EQ(s.ports[1].target, 80);
    EXPECT_EQ(s.ports[1].published, "8081");
    EXPECT_EQ(s.ports[1].mode, "host");
    EXPECT_EQ(s.expose, (std::vector<int>{9000, 9001}));
    ASSERT_FALSE(p.warnings.empty());
    EXPECT_NE(p.warnings[0].find("host-mode port 80"), std::string::npos);
}

TEST(ComposePorts, InvalidPortErrorNamesLine) {
    const std::string msg = parse_error("services:\n  web:\n    image: nginx\n    ports:\n      - \"80:http\"\n");
    EXPECT_NE(msg.find("compose.yaml:5: services.web.ports[0]: invalid port"), std::string::npos) << msg;
}

// ---------------------------------------------------------------- environment, commands

TEST(ComposeEnvironment, MapFormKeepsNumbersAndBooleansAsText) {
    const Project p = parse(
        "services:\n  api:\n    image: x\n    env_file: app.env\n    environment:\n"
        "      PORT: 8000\n      DEBUG: true\n      ZERO: 0\n      SHARED: env\n"
        "      FROM_HOST:\n      NOT_SET:\n",
        {{"FROM_HOST", "h"}});
    const Service& s = p.services[0];
    EXPECT_EQ(env_of(s, "PORT"), "8000");
    EXPECT_EQ(env_of(s, "DEBUG"), "true");
    EXPECT_EQ(env_of(s, "ZERO"), "0");
    EXPECT_EQ(env_of(s, "FROM_FILE"), "1");
    EXPECT_EQ(env_of(s, "SHARED"), "env");  // environment wins over env_file
    EXPECT_EQ(env_of(s, "FROM_HOST"), "h");
    EXPECT_EQ(env_of(s, "NOT_SET"), "<unset>");
}

TEST(ComposeEnvironment, ListFormAndLongEnvFile) {
    const Project p = parse(
        "services:\n  api:\n    image: x\n    env_file:\n      - path: app.env\n"
        "      - path: optional.env\n        required: false\n"
        "    environment:\n      - A=1=2\n      - B=\n      - HOSTVAR\n",
        {{"HOSTVAR", "v"}});
    const Service& s = p.services[0];
    EXPECT_EQ(env_of(s, "A"), "1=2");
    EXPECT_EQ(env_of(s, "B"), "");
    EXPECT_EQ(env_of(s, "HOSTVAR"), "v");
    EXPECT_EQ(env_of(s, "FROM_FILE"), "1");
}

TEST(ComposeEnvironment, MissingRequiredEnvFileFails) {
    const std::string msg = parse_error("services:\n  api:\n    image: x\n    env_file: missing.env\n");
    EXPECT_NE(msg.find("missing.env"), std::string::npos) << msg;
}

TEST(ComposeCommand, StringsSplitLikeAShell) {
    EXPECT_EQ(shell_split("python -m http.server 'a b' \"c \\\"d\\\"\" e\\ f"),
              (std::vector<std::string>{"python", "-m", "http.server", "a b", "c \"d\"", "e f"}));
    EXPECT_THROW(shell_split("echo 'open"), std::runtime_error);
    const Project p = parse(
        "services:\n  w:\n    image: x\n    command: [\"celery\", \"-A\", \"app\"]\n"
        "    entrypoint: /bin/sh -c\n    working_dir: /srv\n");
    EXPECT_EQ(p.services[0].command, (std::vector<std::string>{"celery", "-A", "app"}));
    EXPECT_EQ(p.services[0].entrypoint, (std::vector<std::string>{"/bin/sh", "-c"}));
    EXPECT_EQ(p.services[0].working_dir, "/srv");
}

TEST(ComposeBuild, StringAndLongForm) {
    const Project p = parse(
        "services:\n  a:\n    build: ./a\n  b:\n    build:\n      context: b\n"
        "      dockerfile: Dockerfile.dev\n      target: dev\n      args:\n        V: 1\n");
    EXPECT_EQ(p.services[0].build->context, "./a");
    EXPECT_EQ(p.services[0].build->dockerfile, "Dockerfile");
    EXPECT_EQ(p.services[1].build->dockerfile, "Dockerfile.dev");
    EXPECT_EQ(p.services[1].build->target, "dev");
    EXPECT_EQ(p.services[1].build->args.at(0).second, "1");
    EXPECT_EQ(p.services[1].kind, "app");
}

TEST(ComposeVolumes, EveryForm) {
    const Project p = parse(
        "services:\n  a:\n    image: x\n    volumes:\n      - data:/var/lib/data\n"
        "      - ./src:/app:ro\n      - /cache\n      - type: bind\n        source: ./conf\n"
        "        target: /etc/conf\n        read_only: true\n");
    const auto& v = p.services[0].volumes;
    ASSERT_EQ(v.size(), 4u);
    EXPECT_EQ(v[0].type, "volume");
    EXPECT_EQ(v[1].type, "bind");
    EXPECT_TRUE(v[1].read_only);
    EXPECT_EQ(v[2].target, "/cache");
    EXPECT_EQ(v[3].source, "./conf");
    EXPECT_TRUE(v[3].read_only);
    ASSERT_EQ(p.warnings.size(), 1u);
    EXPECT_NE(p.warnings[0].find("named volume data (/var/lib/data) lives in the container"), std::string::npos);
}

// ---------------------------------------------------------------- anchors and merge keys

TEST(ComposeYaml, AnchorsAliasesAndMergeKeys) {
    const Project p = parse(
        "x-common: &common\n  image: myorg/app\n  environment: &env\n    A: \"1\"\n"
        "services:\n  web:\n    <<: *common\n    command: web\n"
        "  worker:\n    <<: [*common]\n    image: myorg/worker\n    environment: *env\n");
    EXPECT_EQ(p.services[0].image, "myorg/app");
    EXPECT_EQ(env_of(p.services[0], "A"), "1");
    EXPECT_EQ(p.services[1].image, "myorg/worker");  // the mapping's own key wins
    EXPECT_EQ(env_of(p.services[1], "A"), "1");
}

TEST(ComposeYaml, MgpuxBlock) {
    const Project p = parse(
        "x-mgpux:\n  base_image: nvcr.io/nvidia/tritonserver:24.01-py3\n  gpu: A100\n"
        "  python: \"3.11\"\n  pip_packages: [torch, numpy]\n  apt_packages: ffmpeg git\n"
        "services:\n  a:\n    image: x\n");
    EXPECT_EQ(p.mgpux.base_image, "nvcr.io/nvidia/tritonserver:24.01-py3");
    EXPECT_EQ(p.mgpux.gpu, "A100");
    EXPECT_EQ(p.mgpux.python, "3.11");
    EXPECT_EQ(p.mgpux.pip_packages, (std::vector<std::string>{"torch", "numpy"}));
    EXPECT_EQ(p.mgpux.apt_packages, (std::vector<std::string>{"ffmpeg", "git"}));
}

TEST(ComposeYaml, AliasBombIsRefused) {
    std::string yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char c = 'b'; c <= 'k'; ++c)
        yaml += std::string(1, c) + ": &" + c + " [*" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) +
                ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + "]\n";
    yaml += "services:\n  a:\n    image: x\n";
    EXPECT_NE(parse_error(yaml).find("too many values"), std::string::npos);
}

// ---------------------------------------------------------------- GPU, classification

TEST(ComposeGpu, DeviceReservationsAndRuntime) {
    const Project p = parse(
        "services:\n  a:\n    image: x\n    deploy:\n      resources:\n        reservations:\n"
        "          devices:\n            - driver: nvidia\n              count: 2\n"
        "              capabilities: [gpu]\n  b:\n    image: x\n    runtime: nvidia\n"
        "  c:\n    image: x\n    deploy:\n      replicas: 3\n");
    EXPECT_EQ(p.services[0].gpus, 2);
    EXPECT_EQ(p.services[1].gpus, -1);
    EXPECT_EQ(p.services[2].gpus, 0);
    ASSERT_EQ(p.warnings.size(), 1u);
    EXPECT_NE(p.warnings[0].find("replicas 3"), std::string::npos);
}

TEST(ComposeClassify, ByRepositoryNameExactly) {
    EXPECT_EQ(classify_image("postgres"), "postgres");
    EXPECT_EQ(classify_image("docker.io/library/postgres:16"), "postgres");
    EXPECT_EQ(classify_image("bitnami/postgresql:15"), "postgres");
    EXPECT_EQ(classify_image("redis:7-alpine"), "redis");
    EXPECT_EQ(classify_image("redis@sha256:abc"), "redis");
    EXPECT_EQ(classify_image("localhost:5000/redis"), "redis");
    EXPECT_EQ(classify_image("rediscommander/redis-commander"), "app");
    EXPECT_EQ(classify_image("redis-commander"), "app");
    EXPECT_EQ(classify_image("myorg/postgres-backup"), "app");
    EXPECT_EQ(classify_image("mariadb:11"), "mysql");
    EXPECT_EQ(classify_image("mongo:7"), "mongodb");
    EXPECT_EQ(classify_image("nginx:1.27-alpine"), "nginx");
    EXPECT_EQ(classify_image("minio/minio"), "minio");
    EXPECT_EQ(classify_image("rabbitmq:3-management"), "rabbitmq");
}

// ---------------------------------------------------------------- ordering

TEST(ComposeOrder, DependenciesFirstTiesInFileOrder) {
    const Project p = parse(
        "services:\n  web:\n    image: x\n    depends_on:\n      db:\n"
        "        condition: service_healthy\n      cache:\n        condition: service_started\n"
        "  worker:\n    image: x\n    depends_on: [db]\n  db:\n    image: postgres\n"
        "  cache:\n    image: redis\n");
    // Each step starts the first ready service in file order.
    EXPECT_EQ(p.start_order, (std::vector<std::string>{"db", "worker", "cache", "web"}));
    EXPECT_EQ(p.services[0].depends_on[0].condition, "service_healthy");
    EXPECT_EQ(with_dependencies(p, {"worker"}), (std::vector<std::string>{"db", "worker"}));
}

TEST(ComposeOrder, CyclesNameTheServices) {
    const std::string msg = parse_error(
        "services:\n  a:\n    image: x\n    depends_on: [b]\n"
        "  b:\n    image: x\n    depends_on: [a]\n  c:\n    image: x\n");
    EXPECT_NE(msg.find("cycle among: a, b"), std::string::npos) << msg;
}

// ---------------------------------------------------------------- errors

TEST(ComposeErrors, EachNamesFileLineAndKey) {
    EXPECT_NE(parse_error("services:\n  a: [\n").find("not valid YAML"), std::string::npos);
    EXPECT_NE(parse_error("version: '3'\n").find("services: is missing"), std::string::npos);
    EXPECT_NE(parse_error("services: [a, b]\n").find("compose.yaml:1: services: must be a mapping"), std::string::npos);
    EXPECT_NE(parse_error("services:\n  a:\n    ports: [\"80\"]\n").find("compose.yaml:3: services.a: has neither"),
              std::string::npos);
    EXPECT_NE(
        parse_error("services:\n  a:\n    image: x\n    depends_on: [nope]\n").find("\"nope\", which is not a service"),
        std::string::npos);
    EXPECT_NE(parse_error("services:\n  a:\n    image: x\n    healthcheck:\n      interval: soon\n")
                  .find("healthcheck.interval"),
              std::string::npos);
    EXPECT_NE(parse_error("").find("must be a mapping"), std::string::npos);
}

TEST(ComposeHealthcheck, Forms) {
    const Project p = parse(
        "services:\n  db:\n    image: postgres\n    healthcheck:\n"
        "      test: [\"CMD-SHELL\", \"pg_isready -U app\"]\n      interval: 1m30s\n"
        "      retries: 5\n  b:\n    image: x\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", "
        "\"http://b\"]\n"
        "      timeout: 500ms\n");
    EXPECT_EQ(p.services[0].healthcheck->test, (std::vector<std::string>{"sh", "-c", "pg_isready -U app"}));
    EXPECT_DOUBLE_EQ(p.services[0].healthcheck->interval_s, 90);
    EXPECT_EQ(p.services[0].healthcheck->retries, 5);
    EXPECT_EQ(p.services[1].healthcheck->test, (std::vector<std::string>{"curl", "-f", "http://b"}));
    EXPECT_DOUBLE_EQ(p.services[1].healthcheck->timeout_s, 0.5);
}

TEST(ComposeSecrets, LooksSecret) {
    EXPECT_TRUE(looks_secret("POSTGRES_PASSWORD"));
    EXPECT_TRUE(looks_secret("api_token"));
    EXPECT_FALSE(looks_secret("PORT"));
}
