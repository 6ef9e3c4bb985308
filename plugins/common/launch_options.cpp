#include "launch_options.hpp"

#include <set>
#include <stdexcept>
#include <string>

namespace mgpux::launch {

std::vector<mgpux_option> shared_options(unsigned which, const char* timeout_default) {
    std::vector<mgpux_option> out;
    if (which & kCompute) {
        out.push_back(option("gpu", MGPUX_OPT_STRING, "GPU type, optionally with a count: L4, A100-80GB, H100:2",
                             nullptr, 0, 'g', nullptr, "NAME[:COUNT]", kComputeGroup));
        out.push_back(option("cpu", MGPUX_OPT_INT, "run on CPU only with this many cores (1-64)", nullptr, 0, 'c',
                             nullptr, "N", kComputeGroup));
        out.push_back(option("memory", MGPUX_OPT_INT, "memory in MB with --cpu (default 512 per core)", nullptr, 0, 0,
                             nullptr, "MB"));
    }
    if (which & kPython)
        out.push_back(option("python", MGPUX_OPT_STRING, "Python version in the container, 3.10-3.14 (default 3.12)",
                             nullptr, 0, 0, nullptr, "VERSION"));
    if (which & kDeps) {
        out.push_back(option("requirements", MGPUX_OPT_PATH, "install the packages listed in this requirements file",
                             nullptr, 0, 0, nullptr, "FILE"));
        out.push_back(option("pip", MGPUX_OPT_STRING, "install this pip package: --pip httpx==0.28.1",
                             nullptr, MGPUX_OPTF_REPEATABLE, 0, nullptr, "PKG"));
        out.push_back(option("no-deps", MGPUX_OPT_BOOL,
                             "install nothing, not even the project's requirements.txt"));
    }
    if (which & kExcludes) {
        out.push_back(option("exclude", MGPUX_OPT_STRING,
                             "leave matching files out of the upload (a name without / matches at any depth)",
                             nullptr, MGPUX_OPTF_REPEATABLE, 0, nullptr, "PATTERN"));
        out.push_back(option("no-default-excludes", MGPUX_OPT_BOOL,
                             "use only the --exclude patterns (credential files are always left out)"));
    }
    if (which & kTimeout)
        out.push_back(option("timeout", MGPUX_OPT_INT, "the container's time limit in seconds", timeout_default, 0, 0,
                             nullptr, "SECONDS"));
    if (which & kSavePreset)
        out.push_back(option("save-preset", MGPUX_OPT_STRING, "also save these settings as a preset with this name",
                             nullptr, 0, 0, nullptr, "NAME"));
    return out;
}

std::vector<mgpux_option> with_shared(std::initializer_list<mgpux_option> own, unsigned which,
                                      const char* timeout_default) {
    std::vector<mgpux_option> out(own);
    for (const auto& o : shared_options(which, timeout_default)) out.push_back(o);
    std::set<std::string> names;
    for (const auto& o : out)
        if (!names.insert(o.name).second) throw std::logic_error(std::string("duplicate option --") + o.name);
    return out;
}

mgpux_command command_with(const char* path, const char* summary, const std::vector<mgpux_option>& options,
                           const char* help, uint32_t flags) {
    mgpux_command c = mgpux::command(path, summary, help, flags);
    c.options = options.empty() ? nullptr : options.data();
    c.option_count = static_cast<uint32_t>(options.size());
    return c;
}

}  // namespace mgpux::launch
