// SPDX-License-Identifier: MIT
#include "sysinfo.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "proxy_core.hpp"

namespace mgpux_proxy {

namespace {

std::string find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream ss(path ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(ss, dir, ':')) {
        if (dir.empty()) continue;
        const std::string p = dir + "/" + name;
        if (::access(p.c_str(), X_OK) == 0) return p;
    }
    return {};
}

// Runs `argv` with stdout captured and stderr discarded; empty on failure or after `limit`.
std::string run_capture(const std::vector<std::string>& argv, std::chrono::milliseconds limit) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return {};
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return {};
    }
    if (pid == 0) {
        ::dup2(fds[1], 1);
        const int devnull = ::open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            ::dup2(devnull, 0);
            ::dup2(devnull, 2);
        }
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    bool timed_out = false;
    while (true) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            timed_out = r == 0;
            break;
        }
        char buf[4096];
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return {};
    return out;
}

std::string trim(const std::string& s) {
    const std::size_t a = s.find_first_not_of(" \t\r\n");
    if (a == std::string::npos) return {};
    return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
}

}  // namespace

std::string gpus_json() {
    static const char* fields =
        "index,name,memory.total,memory.used,memory.free,utilization.gpu,"
        "utilization.memory,temperature.gpu,power.draw,power.limit";
    static const char* keys[] = {"index",        "name",         "vram_total_mib", "vram_used_mib", "vram_free_mib",
                                 "gpu_util_pct", "mem_util_pct", "temperature_c",  "power_draw_w",  "power_limit_w"};
    const std::string exe = find_on_path("nvidia-smi");
    if (exe.empty()) return "[]";
    const std::string out = run_capture({exe, std::string("--query-gpu=") + fields, "--format=csv,noheader,nounits"},
                                        std::chrono::seconds(5));
    std::string json = "[";
    std::stringstream lines(out);
    std::string line;
    bool first = true;
    while (std::getline(lines, line)) {
        std::vector<std::string> cells;
        std::stringstream cs(line);
        std::string cell;
        while (std::getline(cs, cell, ',')) cells.push_back(trim(cell));
        if (cells.size() != 10) continue;
        json += first ? "{" : ", {";
        first = false;
        for (std::size_t i = 0; i < 10; ++i) {
            if (i) json += ", ";
            json += json_quote(keys[i]) + ": ";
            if (i == 1) {
                json += json_quote(cells[i]);
                continue;
            }
            char* end = nullptr;
            const double v = std::strtod(cells[i].c_str(), &end);
            if (cells[i].empty() || !end || *end != '\0') json += "null";
            else if (i >= 8) json += json_number(v, 1);
            else json += std::to_string(static_cast<long long>(v));
        }
        json += "}";
    }
    return json + "]";
}

std::string cpu_json() {
    std::string json = "{\"cores\": " + std::to_string(std::thread::hardware_concurrency());
    double load[3];
    if (::getloadavg(load, 3) == 3)
        json += ", \"load_1m\": " + json_number(load[0], 2) + ", \"load_5m\": " + json_number(load[1], 2) +
                ", \"load_15m\": " + json_number(load[2], 2);
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            const std::size_t colon = line.find(':');
            if (colon != std::string::npos) json += ", \"model\": " + json_quote(trim(line.substr(colon + 1)));
            break;
        }
    }
    return json + "}";
}

std::string ram_json() {
    std::ifstream in("/proc/meminfo");
    std::string line;
    long long total = -1, avail = -1;
    while (std::getline(in, line)) {
        if (line.rfind("MemTotal:", 0) == 0) total = std::atoll(line.c_str() + 9);
        else if (line.rfind("MemAvailable:", 0) == 0) avail = std::atoll(line.c_str() + 13);
    }
    if (total <= 0 || avail < 0) return "{}";
    return "{\"total_mb\": " + std::to_string(total / 1024) +
           ", \"used_mb\": " + std::to_string((total - avail) / 1024) +
           ", \"available_mb\": " + std::to_string(avail / 1024) +
           ", \"used_pct\": " + json_number(100.0 * double(total - avail) / double(total), 1) + "}";
}

std::string disk_json() {
    struct statvfs st {};
    if (::statvfs("/", &st) != 0 || st.f_blocks == 0) return "{}";
    const double total = double(st.f_blocks) * double(st.f_frsize);
    const double free = double(st.f_bavail) * double(st.f_frsize);
    const double used = double(st.f_blocks - st.f_bfree) * double(st.f_frsize);
    const double gb = 1024.0 * 1024.0 * 1024.0;
    return "{\"total_gb\": " + json_number(total / gb, 1) + ", \"used_gb\": " + json_number(used / gb, 1) +
           ", \"free_gb\": " + json_number(free / gb, 1) + ", \"used_pct\": " + json_number(100.0 * used / total, 1) +
           "}";
}

}  // namespace mgpux_proxy
