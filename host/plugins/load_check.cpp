// SPDX-License-Identifier: MIT
#include "plugins/load_check.hpp"

#include "plugins/registry.hpp"
#include "util/subprocess.hpp"

#include <cstdlib>
#include <cstring>
#include <optional>
#include <sys/resource.h>
#include <unistd.h>

namespace mgpux::plugins {

namespace fs = std::filesystem;

namespace {

// One verdict line: "<index>\t<1|0>\t<reason>". The reason is one line.
std::string verdict_line(std::size_t index, const Plugin& p) {
    std::string reason = p.reason;
    for (char& c : reason)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    return std::to_string(index) + "\t" + (p.status == PluginStatus::Loaded ? "1" : "0") + "\t" + reason + "\n";
}

void write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

// Parses the verdict lines of a child that was given files [first, ...).
void read_verdicts(const std::string& out, std::size_t first, std::vector<std::optional<ChildVerdict>>& verdicts) {
    std::size_t start = 0;
    while (start < out.size()) {
        const std::size_t end = out.find('\n', start);
        if (end == std::string::npos) break;  // a torn last line is no verdict
        const std::string line = out.substr(start, end - start);
        start = end + 1;
        const std::size_t tab1 = line.find('\t'), tab2 = line.find('\t', tab1 + 1);
        if (tab1 == std::string::npos || tab2 == std::string::npos) continue;
        const std::size_t index = first + std::strtoul(line.substr(0, tab1).c_str(), nullptr, 10);
        if (index < verdicts.size())
            verdicts[index] = ChildVerdict{line.substr(tab1 + 1, 1) == "1", line.substr(tab2 + 1)};
    }
}

// Why the child stopped before giving a verdict on its current file.
std::string how_it_died(const util::CaptureResult& r, int timeout_ms) {
    if (r.timed_out) return "hung while loading (stopped after " + std::to_string((timeout_ms + 999) / 1000) + " s)";
    if (r.signal) return "crashed while loading (" + signal_name(r.signal) + ")";
    return "exited with status " + std::to_string(r.exit_code) + " while loading";
}

}  // namespace

std::string signal_name(int signal) {
    if (const char* abbrev = ::sigabbrev_np(signal)) return std::string("SIG") + abbrev;
    return "signal " + std::to_string(signal);
}

std::vector<ChildVerdict> load_in_child(const fs::path& executable, const std::vector<fs::path>& files,
                                        int timeout_ms) {
    std::vector<std::optional<ChildVerdict>> verdicts(files.size());
    std::size_t next = 0;
    while (next < files.size()) {
        std::vector<std::string> args{kCheckPluginsFlag};
        for (std::size_t i = next; i < files.size(); ++i) args.push_back(files[i].string());
        util::CaptureResult r;
        try {
            r = util::run_capture(executable, args, std::chrono::milliseconds(timeout_ms));
        } catch (const std::exception& e) {
            for (std::size_t i = next; i < files.size(); ++i)
                verdicts[i] =
                    ChildVerdict{false, std::string("could not be loaded in a child process first: ") + e.what()};
            break;
        }
        read_verdicts(r.out, next, verdicts);
        while (next < files.size() && verdicts[next]) ++next;
        if (next < files.size()) verdicts[next++] = ChildVerdict{false, how_it_died(r, timeout_ms)};
    }
    std::vector<ChildVerdict> out;
    out.reserve(files.size());
    for (auto& v : verdicts) out.push_back(std::move(*v));
    return out;
}

int run_load_check_child(const std::vector<std::string>& files) {
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    // Verdicts go to the real stdout; anything a library prints, to stderr.
    const int verdicts = ::dup(STDOUT_FILENO);
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    for (std::size_t i = 0; i < files.size(); ++i) write_all(verdicts, verdict_line(i, load_plugin(files[i], "check")));
    ::close(verdicts);
    return 0;
}

}  // namespace mgpux::plugins
