// SPDX-License-Identifier: MIT
// Reads a Compose file as users write it (yaml-cpp): interpolation from the
// process environment and .env, anchors and merge keys, every port, env,
// command and volume form, and the start order from depends_on. Pure logic
// apart from reading the files named (the compose file, .env, env_file), so
// the parser itself is unit-tested and fuzzed on text.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace compose {

// Variables for interpolation: .env values, overridden by the process
// environment (docker compose's precedence).
using Vars = std::map<std::string, std::string>;

struct Port {
    std::string host_ip;    // "" = all interfaces
    std::string published;  // "" = none; may be a range "8000-8001"
    int target = 0;
    std::string protocol = "tcp";
    std::string mode;  // "host" (long form) or ""
};

struct Volume {
    std::string type;  // bind | volume | tmpfs
    std::string source;
    std::string target;
    bool read_only = false;
};

struct Dependency {
    std::string service;
    std::string condition = "service_started";  // service_healthy, service_completed_successfully
};

struct Healthcheck {
    std::vector<std::string> test;  // argv (CMD) or {"sh", "-c", text} (CMD-SHELL)
    double interval_s = 30;
    double timeout_s = 30;
    int retries = 3;
    double start_period_s = 0;
};

struct Build {
    std::string context = ".";
    std::string dockerfile = "Dockerfile";
    std::string target;
    std::vector<std::pair<std::string, std::string>> args;
};

struct Service {
    std::string name;
    int line = 0;  // 1-based line of the service's key
    std::string image;
    std::optional<Build> build;
    std::vector<std::string> command;  // argv; empty = the image's default
    std::vector<std::string> entrypoint;
    std::string working_dir;
    std::vector<std::pair<std::string, std::string>> environment;  // env_file first, then environment
    std::vector<Port> ports;
    std::vector<int> expose;
    std::vector<Volume> volumes;
    std::vector<Dependency> depends_on;
    std::optional<Healthcheck> healthcheck;
    std::vector<std::string> profiles;
    std::vector<std::string> networks;
    int replicas = 1;
    bool network_mode_host = false;
    int gpus = 0;      // GPUs reserved: -1 = all, 0 = none
    std::string kind;  // infra type ("postgres", ...) or "app"
};

// The x-mgpux block: what m-gpux itself should use.
struct MgpuxSettings {
    std::string base_image;
    std::string gpu;
    std::string python;
    std::vector<std::string> pip_packages;
    std::vector<std::string> apt_packages;
};

struct Project {
    std::string file;                      // the compose file as given
    std::string dir;                       // its directory
    std::vector<Service> services;         // file order
    std::vector<std::string> start_order;  // dependencies first
    MgpuxSettings mgpux;
    std::vector<std::string> warnings;  // what one container cannot honour
    const Service* find(const std::string& name) const;
};

// Interpolates ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?msg}, ${VAR?msg}, $VAR and
// $$. Throws std::runtime_error with the message (without location) for an
// unset required variable or a malformed reference.
std::string interpolate(const std::string& text, const Vars& vars);

// KEY=VALUE lines of a .env / env_file (comments, `export`, quotes).
std::vector<std::pair<std::string, std::string>> parse_env_lines(const std::string& text);

// One short-syntax port entry ("8080:80", "127.0.0.1:5432:5432", "3000",
// "9000-9001:9000-9001/udp", "[::1]:80:80"); a range yields one Port per
// port. Throws std::runtime_error explaining what is wrong.
std::vector<Port> parse_port(const std::string& text);

// A command string split as a POSIX shell would split words (quotes and
// backslashes; no expansion). Throws std::runtime_error on an open quote.
std::vector<std::string> shell_split(const std::string& text);

// The infra type of an image by its repository name ("postgres",
// "docker.io/library/postgres:16", "bitnami/postgresql" -> "postgres"), or "app".
std::string classify_image(const std::string& image);

// Dependencies first, ties in file order. Throws std::runtime_error naming
// the services of a cycle.
std::vector<std::string> start_order(const std::vector<Service>& services);

// The services of `wanted` and everything they depend on, in start order.
std::vector<std::string> with_dependencies(const Project& p, const std::vector<std::string>& wanted);

// Parses compose `text` (named `origin` in messages) with variables `vars`;
// env_file paths resolve against `dir` and are read through `read_file`
// (nullopt = unreadable). Errors are mgpux::Error (exit 1) naming
// "<origin>:<line>: <key>: problem".
using FileReader = std::optional<std::string> (*)(const std::string& path);
Project parse_project(const std::string& text, const std::string& origin, const std::string& dir, const Vars& vars,
                      FileReader read_file);

// The compose file: `explicit_path` (relative to cwd) or the first of
// compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml in `cwd`.
// Throws mgpux::Error (exit 1) saying what was looked for.
std::string find_compose_file(const std::string& explicit_path, const std::string& cwd);

// The process environment as variables.
Vars process_environment();

// Reads and parses the file: .env beside it, then the process environment.
Project load_project(const std::string& path, const Vars& process_env);

// True for names that look like they hold a secret (PASSWORD, TOKEN, ...).
bool looks_secret(const std::string& name);

}  // namespace compose
