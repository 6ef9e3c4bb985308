// SPDX-License-Identifier: MIT
// What `compose check|up` make of a parsed project: the JSON picture `check`
// prints, and the plan `up` / `vm up` render (services to start, infra
// packages, tunnels, base image). Pure logic, unit-tested.
#pragma once

#include "compose_file.hpp"
#include "launch_logic.hpp"

#include <mgpux/plugin.hpp>

#include <string>
#include <vector>

namespace compose {

enum class Mode { Up, Vm };

inline constexpr const char* kCudaImage = "nvidia/cuda:12.8.1-devel-ubuntu22.04";

// "m-gpux-compose" | "m-gpux-compose-vm"; the session kind is "compose" | "compose-vm".
const char* app_name(Mode m);
const char* session_kind(Mode m);

// m-gpux-compose-<slug>-<sha1[:10]> of the absolute project folder; `sync`
// and `up` agree on it.
std::string volume_name(const std::string& abs_dir);

// The base image: x-mgpux base_image; in VM mode a Triton image a service
// uses; else CUDA 12.8.1 devel.
std::string base_image(const Project& p, Mode m);

// Whether the base image already has a Python Modal can use (no add_python).
bool image_has_python(const std::string& image);

// Apt packages and extra image commands (package repositories, binaries)
// that an infra kind needs; empty for "app".
std::vector<std::string> infra_apt_packages(const std::string& kind);
std::vector<std::string> infra_setup_commands(const std::string& kind);

// The port a service listens on inside the container: its first target
// port, else its first `expose`, else the infra kind's default (0 = none).
int service_port(const Service& s);

// The main service: the first app service with a port, else the first app,
// else the first service.
std::string default_main(const Project& p);

struct Expose {
    std::string service;
    int port = 0;
};

// "SERVICE:PORT"; the service must exist. Throws usage_error naming --expose.
Expose parse_expose(const std::string& text, const Project& p);

// Without --expose: the main service's port (Up); every published port of
// the services that start (Vm).
std::vector<Expose> default_exposes(const Project& p, Mode m, const std::string& main,
                                    const std::vector<std::string>& started);

// The command a service runs: entrypoint + command, else its Dockerfile's
// ENTRYPOINT/CMD (build services), else empty (infra kinds start their own).
std::vector<std::string> dockerfile_command(const std::string& dockerfile_text, const std::string& target);
std::vector<std::string> service_argv(const Project& p, const Service& s);

struct Plan {
    Mode mode = Mode::Up;
    Project project;
    std::vector<std::string> services;  // to start, in start order (dependencies included)
    std::string main_service;
    std::vector<Expose> exposes;
    mgpux::launch::Compute compute;
    std::string python_version;
    std::vector<std::string> pip_packages;  // x-mgpux + --pip
    std::vector<std::string> apt_packages;  // x-mgpux + --apt
    std::string requirements_abs;           // the project's requirements.txt ("" = none)
    std::vector<std::string> excludes;
    std::string local_dir;  // absolute project folder
    long long timeout_s = 86400;
    std::optional<std::string> published_image;  // --image: replaces the base image (up and vm up)
};

// {file, mode, base_image, gpu_needed, services: [...], start_order, x_mgpux,
// warnings}: environment values whose names look secret are masked.
mgpux::Json check_document(const Project& p, Mode m);

// The template's context (templates/compose/stack.py). Environment values
// whose names look secret are not in it: each service's "secret_env" maps
// the name to a variable of the launch's ephemeral secret (secret_vars).
mgpux::Json render_context(const Plan& plan, const std::string& mgpux_version);

// One secret-looking environment value of a started service and the
// variable that carries it into the container (COMPOSE_SECRET_<n>).
struct SecretValue {
    std::string service;
    std::string name;      // the service's environment name, e.g. POSTGRES_PASSWORD
    std::string variable;  // COMPOSE_SECRET_<n>
    std::string value;
};

// Every secret-looking, non-empty environment value of `services` (in that
// order), numbered; a launch hands them to its process's environment.
std::vector<SecretValue> secret_values(const Project& p, const std::vector<std::string>& services);
std::vector<SecretValue> secret_values(const Plan& plan);

// The services a plan starts, checked: names exist, the main one is among
// them (added when missing), exposes name started services.
void validate_plan(Plan& plan);

// ---------------------------------------------------------------- sandbox mode

// m-gpux-stack-<slug>-<sha1[:10]> of the project folder: the key of a
// running sandbox stack in the state document compose_stacks.
std::string stack_name(const std::string& abs_dir);

// What an official infra image runs when the compose file gives no command
// (its own entrypoint script), e.g. postgres -> docker-entrypoint.sh postgres.
std::vector<std::string> image_default_argv(const std::string& kind);

// The driver's context (templates/compose/sandbox.py): one entry per
// service in `services` (start order), GPU services on `gpu`.
mgpux::Json sandbox_context(const Project& p, const std::vector<std::string>& services, const std::string& gpu,
                            long long timeout_s, const std::string& mgpux_version);

}  // namespace compose
