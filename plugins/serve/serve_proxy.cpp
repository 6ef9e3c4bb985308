// SPDX-License-Identifier: MIT
// `serve proxy`: the authenticating proxy (mgpux-proxy) on this machine, and
// where the program and its shipped sources are found.
#include "serve_commands.hpp"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;

namespace serve {

namespace {

constexpr const char* kProxyProgram = "mgpux-proxy";

// The template directories hostinfo names, the user override first.
std::vector<fs::path> template_dirs(const Json& info) {
    std::vector<fs::path> out;
    const Json* dirs = info.find("directories");
    const Json* tdirs = dirs ? dirs->find("template_dirs") : nullptr;
    if (tdirs && tdirs->is_array())
        for (const Json& d : tdirs->as_array())
            if (d.is_string()) out.emplace_back(d.as_string());
    return out;
}

std::string state_dir(const Json& info) {
    const Json* dirs = info.find("directories");
    return dirs ? dirs->string_or("state_dir") : std::string();
}

bool is_executable_file(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

// $MGPUX_PROXY (which must then exist: a wrong override is never silently
// replaced by another binary), else beside the m-gpux executable, else PATH.
std::string native_proxy_program(const mgpux::Host& host, const Json& info) {
    if (const char* env = std::getenv("MGPUX_PROXY"); env && *env) {
        const fs::path p = fs::absolute(env);
        if (is_executable_file(p)) return p.string();
        throw mgpux::Error(MGPUX_E_MISSING_PROGRAM, std::string("MGPUX_PROXY=") + env +
                                                        " is not an executable file (unset it to use the mgpux-proxy "
                                                        "installed with m-gpux)");
    }
    const fs::path beside = fs::path(info.string_or("executable")).parent_path() / kProxyProgram;
    if (is_executable_file(beside)) return beside.string();
    try {
        return mgpux::Process(host).locate(kProxyProgram);
    } catch (const mgpux::Error& e) {
        if (e.code() != MGPUX_E_MISSING_PROGRAM) throw;
    }
    throw mgpux::Error(MGPUX_E_MISSING_PROGRAM,
                       std::string("the native proxy was not found: looked for $MGPUX_PROXY (not set), ") +
                           beside.string() + " and " + kProxyProgram +
                           " on PATH. Install m-gpux with its proxy, or set MGPUX_PROXY");
}

// The key store file, after checking that it (or --keys-file) has a key.
std::string keys_file_for(const mgpux::Host& host, const Json& info, const mgpux::Args& args) {
    std::string keys_file = args.str("keys-file");
    if (keys_file.empty()) {
        if (active_keys(read_keys(host)).empty())
            throw mgpux::usage_error(
                "no active API key: create one with `m-gpux serve keys create` or pass --keys-file");
        return (fs::path(state_dir(info)) / "api_keys.json").string();
    }
    std::error_code ec;
    if (!fs::is_regular_file(keys_file, ec)) throw mgpux::usage_error("--keys-file: no such file: " + keys_file);
    return keys_file;
}

int run_proxy(mgpux::Host& host, const std::string& program, const Json& words) {
    Json req = Json::object();
    req.set("program", program);
    req.set("args", words);
    req.set("output", "watch");  // the host forwards Ctrl-C and keeps the READY line visible
    const Json r = mgpux::Process(host).run(req);
    if (r.bool_or("interrupted")) return MGPUX_OK;
    const long long rc = r.int_or("exit_code", 1);
    if (rc != 0)
        throw mgpux::Error(rc == 2 ? MGPUX_E_USAGE : MGPUX_E_FAILED,
                           "the proxy exited with code " + std::to_string(rc));
    return MGPUX_OK;
}

}  // namespace

std::string find_proxy_sources(const mgpux::Host& host) {
    std::string looked;
    for (const fs::path& d : template_dirs(host.hostinfo())) {
        const fs::path dir = d.parent_path() / "proxy";
        std::error_code ec;
        if (fs::is_regular_file(dir / "main.cpp", ec)) return dir.string();
        looked += (looked.empty() ? "" : ", ") + dir.string();
    }
    throw mgpux::Error(MGPUX_E_CONFIG,
                       "the native proxy's sources (a proxy/ directory with main.cpp beside the "
                       "templates) were not found; looked in: " +
                           (looked.empty() ? std::string("(no template directory)") : looked) + ". Reinstall m-gpux");
}

int proxy(mgpux::Host& host, const mgpux::Args& args) {
    check_proxy_choice(args.str("proxy", "native"));
    const std::string upstream = normalize_url(args.str("upstream"), "--upstream");
    const long long port = args.integer("port", 8000), inflight = args.integer("max-inflight", 64);
    if (port < 0 || port > 65535) throw mgpux::usage_error("--port: " + std::to_string(port) + " is not a port");
    if (inflight < 1 || inflight > 10000) throw mgpux::usage_error("--max-inflight: 1..10000");
    const long long max_body = args.integer("max-body", kDefaultMaxBody);
    check_max_body(max_body, "--max-body");
    const Json info = host.hostinfo();
    const std::string keys_file = keys_file_for(host, info, args);
    const std::string program = native_proxy_program(host, info);
    Json words = Json::array();
    for (const auto& w : proxy_args(upstream, args.str("host", "127.0.0.1"), port, inflight, max_body, keys_file,
                                    args.flag("docs"), args.flag("upstream-insecure")))
        words.push(w);
    if (dry_run(args)) {
        std::string line = program;
        for (const Json& w : words.as_array()) line += " " + w.as_string();
        host.text("dry run: would run " + line + "\n");
        return MGPUX_OK;
    }
    return run_proxy(host, program, words);
}

}  // namespace serve
