// SPDX-License-Identifier: MIT
#include "launch_options.hpp"

#include <set>
#include <stdexcept>
#include <string>

namespace mgpux::launch {

std::vector<mgpux_option> shared_options(unsigned which, const char* timeout_default) {
    std::vector<mgpux_option> out;
    if (which & kCompute) {
        out.push_back(option("gpu")
                          .alias('g')
                          .metavar("NAME[:COUNT]")
                          .exclusive_group(kComputeGroup)
                          .help("GPU type, optionally with a count: L4, A100-80GB, H100:2"));
        out.push_back(option("cpu")
                          .kind(MGPUX_OPT_INT)
                          .alias('c')
                          .metavar("N")
                          .exclusive_group(kComputeGroup)
                          .help("run on CPU only with this many cores (1-64)"));
        out.push_back(
            option("memory").kind(MGPUX_OPT_INT).metavar("MB").help("memory in MB with --cpu (default 512 per core)"));
    }
    if (which & kPython)
        out.push_back(
            option("python").metavar("VERSION").help("Python version in the container, 3.10-3.14 (default 3.12)"));
    if (which & kDeps) {
        out.push_back(option("requirements")
                          .kind(MGPUX_OPT_PATH)
                          .metavar("FILE")
                          .help("install the packages listed in this requirements file"));
        out.push_back(option("pip").repeatable().metavar("PKG").help("install this pip package: --pip httpx==0.28.1"));
        out.push_back(option("no-deps").flag().help("install nothing, not even the project's requirements.txt"));
    }
    if (which & kExcludes) {
        out.push_back(option("exclude").repeatable().metavar("PATTERN").help(
            "leave matching files out of the upload (a name without / matches at any depth)"));
        out.push_back(option("no-default-excludes")
                          .flag()
                          .help("use only the --exclude patterns (credential files are always left out)"));
    }
    if (which & kTimeout)
        out.push_back(option("timeout")
                          .kind(MGPUX_OPT_INT)
                          .metavar("SECONDS")
                          .default_value(timeout_default)
                          .help("the container's time limit in seconds"));
    if (which & kSavePreset)
        out.push_back(
            option("save-preset").metavar("NAME").help("also save these settings as a preset with this name"));
    if (which & kImage)
        out.push_back(option("image").metavar("NAME").help(
            "start from this published image (`m-gpux image build`) instead of building one from scratch"));
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

}  // namespace mgpux::launch
