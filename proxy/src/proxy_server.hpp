// SPDX-License-Identifier: MIT
// The proxy's network side: one listening socket, an event loop per thread (each client
// connection and everything it starts stays on one loop, so a request needs no locks), and
// the state the loops share (the in-flight count, the counters, upstream readiness, the keys).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "proxy_core.hpp"

namespace mgpux_proxy {

struct Config {
    UpstreamUrl upstream;
    bool upstream_insecure = false;  // https:// upstream: skip the certificate check
    std::string host = "127.0.0.1";
    unsigned short port = 8000;
    int max_inflight = 64;
    std::uint64_t max_body = 16ull << 20;  // bytes of a request body; more gets 413
    double header_timeout = 30;            // s from a request's first byte to the end of its head
    double idle_timeout = 120;             // s without a request in progress, or between body bytes
    double read_timeout = 900;             // s the upstream may be silent within an answer
    bool docs = false;
    int threads = 1;
    int gather_us = 200;  // gathering under load: the loops' pause in microseconds, 0 for none
    int log_level = 2;    // 0 debug, 1 info, 2 warning, 3 error, 4 critical
};

class Server {
public:
    Server(Config config, std::shared_ptr<KeySet> keys);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds and listens; returns the port (the chosen one for port 0). Throws std::runtime_error.
    unsigned short listen();
    // Serves until SIGINT or SIGTERM; the calling thread is one of the event loops.
    void run();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mgpux_proxy
