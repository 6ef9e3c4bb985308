// SPDX-License-Identifier: MIT
// mgpux-proxy: an authenticating reverse proxy in front of an OpenAI-compatible server, with
// the behaviour of templates/serve/proxy.py (see templates/serve/README.md) and its command line.
//
//   mgpux-proxy --upstream URL [--host 127.0.0.1] [--port 8000] [--max-inflight 64]
//               [--max-body 16777216] [--header-timeout 30] [--idle-timeout 120]
//               [--keys-file PATH] [--docs] [--log-level warning] [--threads N]
//               [--upstream-insecure] [--gather-us 200]
//
// Build: g++ -std=c++17 -O2 -pthread -o mgpux-proxy *.cpp -lssl -lcrypto
//        (Boost >= 1.74 headers: Beast, Asio error codes; OpenSSL for https:// upstreams; Linux)
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "proxy_core.hpp"
#include "proxy_server.hpp"

#ifndef MGPUX_PROXY_VERSION
#define MGPUX_PROXY_VERSION "0.1.0"
#endif

namespace {

const char* kUsage =
    "usage: mgpux-proxy --upstream URL [--host HOST] [--port PORT] [--max-inflight N]\n"
    "                   [--max-body BYTES] [--header-timeout S] [--idle-timeout S]\n"
    "                   [--keys-file PATH] [--docs] [--log-level LEVEL] [--threads N]\n"
    "                   [--upstream-insecure] [--gather-us N]\n"
    "\n"
    "Authenticating proxy for an OpenAI-compatible server (the native m-gpux serve proxy).\n"
    "\n"
    "  --upstream URL      base URL of the upstream server, http:// or https:// (or $MGPUX_UPSTREAM)\n"
    "  --upstream-insecure  https:// upstream: do not verify its certificate (by default it must be\n"
    "                      valid for the host name and signed by a trusted CA; SSL_CERT_FILE or\n"
    "                      SSL_CERT_DIR add a CA)\n"
    "  --host HOST         address to listen on (default 127.0.0.1)\n"
    "  --port PORT         port to listen on; 0 picks a free one (default 8000)\n"
    "  --max-inflight N    requests in flight at once; more get 429 (default 64)\n"
    "  --max-body BYTES    largest request body; a larger one gets 413 (default 16777216)\n"
    "  --header-timeout S  a request's head must be in S seconds after its first byte, or the\n"
    "                      connection is closed (default 30)\n"
    "  --idle-timeout S    a connection with no request in progress is closed after S seconds;\n"
    "                      a request body without a byte for S seconds gets 408 (default 120)\n"
    "  --keys-file PATH    api_keys.json of m-gpux (re-read when it changes)\n"
    "  --docs              serve /docs and /openapi.json\n"
    "  --log-level LEVEL   debug, info, warning (default), error or critical\n"
    "  --threads N         event loops (default: the CPUs this process may use, at most 16)\n"
    "  --gather-us N       while answers are streamed and the loop has time to spare, let N\n"
    "                      microseconds pass after a wake-up that brought several events before\n"
    "                      taking the next ones: fewer wake-ups and larger writes, for the proxy\n"
    "                      and its peers, at most N us more latency; 0 turns it off (default 200)\n"
    "  --version           print the version\n"
    "\n"
    "Keys also come from $MGPUX_KEY_HASHES (comma-separated hex SHA-256 digests). Once listening\n"
    "it prints `[m-gpux] READY http://HOST:PORT`.\n";

[[noreturn]] void usage_error(const std::string& message) {
    std::fprintf(stderr, "%smgpux-proxy: error: %s\n", kUsage, message.c_str());
    std::exit(2);
}

double parse_seconds(const std::string& flag, const std::string& value) {
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || errno != 0 || !end || *end != '\0' || !(v > 0) || v > 86400)
        usage_error(flag + ": expected seconds, more than 0 and at most 86400, got '" + value + "'");
    return v;
}

long parse_int(const std::string& flag, const std::string& value, long lo, long hi) {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || errno != 0 || !end || *end != '\0' || v < lo || v > hi)
        usage_error(flag + ": expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                    ", got '" + value + "'");
    return v;
}

int default_threads() {
    cpu_set_t set;
    CPU_ZERO(&set);
    int n = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
    if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
    return std::max(1, std::min(n, 16));
}

void raise_fd_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 65536 : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace mgpux_proxy;
    std::map<std::string, std::string> values;
    bool docs = false, insecure = false;
    const std::vector<std::string> with_value = {"--upstream",  "--host",           "--port",         "--max-inflight",
                                                 "--max-body",  "--header-timeout", "--idle-timeout", "--keys-file",
                                                 "--log-level", "--threads",        "--gather-us"};
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (arg == "--version") {
            std::printf("mgpux-proxy %s\n", MGPUX_PROXY_VERSION);
            return 0;
        }
        if (arg == "--docs") {
            docs = true;
            continue;
        }
        if (arg == "--upstream-insecure") {
            insecure = true;
            continue;
        }
        std::string value;
        const std::size_t eq = arg.find('=');
        if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
        } else if (std::find(with_value.begin(), with_value.end(), arg) != with_value.end()) {
            if (i + 1 >= argc) usage_error(arg + " needs a value");
            value = argv[++i];
        }
        if (std::find(with_value.begin(), with_value.end(), arg) == with_value.end())
            usage_error("unrecognized argument: " + arg);
        values[arg] = value;
    }

    Config cfg;
    std::string upstream = values.count("--upstream") ? values["--upstream"] : "";
    if (upstream.empty())
        if (const char* env = std::getenv("MGPUX_UPSTREAM")) upstream = env;
    if (upstream.empty()) usage_error("--upstream is required (or set MGPUX_UPSTREAM)");
    try {
        cfg.upstream = parse_upstream(upstream);
    } catch (const std::runtime_error& e) {
        usage_error(e.what());
    }
    if (values.count("--host")) cfg.host = values["--host"];
    if (values.count("--port")) cfg.port = static_cast<unsigned short>(parse_int("--port", values["--port"], 0, 65535));
    if (values.count("--max-inflight"))
        cfg.max_inflight = static_cast<int>(parse_int("--max-inflight", values["--max-inflight"], 1, 1000000));
    if (values.count("--header-timeout"))
        cfg.header_timeout = parse_seconds("--header-timeout", values["--header-timeout"]);
    if (values.count("--idle-timeout")) cfg.idle_timeout = parse_seconds("--idle-timeout", values["--idle-timeout"]);
    // How long the upstream may be silent within an answer (900 s: a long generation's first token).
    if (const char* env = std::getenv("MGPUX_UPSTREAM_READ_TIMEOUT"))
        cfg.read_timeout = parse_seconds("MGPUX_UPSTREAM_READ_TIMEOUT", env);
    if (values.count("--max-body"))
        cfg.max_body = static_cast<std::uint64_t>(parse_int("--max-body", values["--max-body"], 1, 1L << 40));
    cfg.threads = values.count("--threads") ? static_cast<int>(parse_int("--threads", values["--threads"], 1, 256))
                                            : default_threads();
    cfg.docs = docs;
    cfg.upstream_insecure = insecure;
    if (values.count("--gather-us"))
        cfg.gather_us = static_cast<int>(parse_int("--gather-us", values["--gather-us"], 0, 10000));
    if (values.count("--log-level")) {
        const std::string l = values["--log-level"];
        const char* levels[] = {"debug", "info", "warning", "error", "critical"};
        cfg.log_level = iequals(l, "trace") ? 0 : -1;  // uvicorn's extra level
        for (int k = 0; k < 5; ++k)
            if (iequals(l, levels[k])) cfg.log_level = k;
        if (cfg.log_level < 0) usage_error("--log-level: one of debug, info, warning, error, critical");
    }

    std::shared_ptr<KeySet> keys;
    try {
        const char* env = std::getenv("MGPUX_KEY_HASHES");
        keys = std::make_shared<KeySet>(parse_hash_list(env ? env : ""),
                                        values.count("--keys-file") ? values["--keys-file"] : "");
        keys->load();
    } catch (const std::runtime_error& e) {
        std::fprintf(stderr, "proxy: cannot load keys: %s\n", e.what());
        return 2;
    }
    if (keys->count() == 0) {
        std::fprintf(stderr, "proxy: no active API key (give --keys-file or set MGPUX_KEY_HASHES)\n");
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    try {
        Server server(cfg, keys);
        const unsigned short port = server.listen();
        const std::string host = cfg.host.find(':') != std::string::npos ? "[" + cfg.host + "]" : cfg.host;
        std::printf("[m-gpux] READY http://%s:%u\n", host.c_str(), port);
        std::fflush(stdout);
        server.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "proxy: %s\n", e.what());
        return 1;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    // Connections still open at shutdown are not torn down one by one.
    _exit(0);
}
