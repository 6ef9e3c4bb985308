// `m-gpux dev`: a persistent web Bash container for the current folder,
// tracked as a `dev` session, optionally saved as (or started from) a preset.
#include "workspace_launch.hpp"

#include <mgpux/plugin.hpp>

namespace dev {
namespace {

using mgpux::Json;
namespace launch = mgpux::launch;

const std::vector<mgpux_option> kDevOptions = launch::with_shared(
    {mgpux::option("preset").alias('p').metavar("NAME").help(
         "start a saved preset as a dev container (with its own compute, Python, dependencies and excludes)"),
     mgpux::option("background")
         .flag()
         .help("return once the app id and URL are known (the container keeps running until stopped)")},
    launch::kAllShared, "86400");

int run(mgpux::Host& host, const mgpux::Args& args);

const mgpux::Commands kCommands{
    mgpux::command("dev", "A persistent web Bash dev container for this folder", kDevOptions, run)
        .help("Uploads the current folder into a workspace volume (/workspace, committed every 20 s)\n"
              "and starts a ttyd web terminal there, detached, as a `dev` session. The login is\n"
              "generated for the session and printed once. Dependencies: --requirements/--pip/\n"
              "--no-deps, else ./requirements.txt when present. On a terminal it asks what no flag\n"
              "says: profile, compute (and how many GPUs), Python version, requirements.txt or extra\n"
              "packages, upload excludes; then it offers to save the settings as a preset\n"
              "(--save-preset NAME does it without asking).\n"
              "--json prints {session_id, app_id, app_name, url, kind, profile, ...}.\n\n"
              "Example:\n"
              "  m-gpux dev --gpu L4 --save-preset dev-l4\n"
              "  m-gpux dev --preset dev-l4\n"
              "  m-gpux --yes --json dev --cpu 4 --background")
        .flags(MGPUX_CMDF_JSON | MGPUX_CMDF_INTERACTIVE),
};

// The preset holds these settings: a flag that would change one is refused
// rather than silently ignored.
void refuse_preset_overrides(const mgpux::Args& args) {
    for (const char* flag : {"gpu", "cpu", "memory", "python", "requirements", "pip", "no-deps", "exclude",
                             "no-default-excludes", "save-preset"}) {
        const bool given = args.has(flag) && !(args.value(flag).is_bool() && !args.value(flag).as_bool());
        if (given)
            throw mgpux::usage_error(std::string("--") + flag +
                                     " cannot change a preset's settings with --preset; "
                                     "save a new preset instead (`m-gpux dev --save-preset NAME ...`)");
    }
}

int run(mgpux::Host& host, const mgpux::Args& args) {
    const bool json = args.global_flag("json");
    launch::require_modal_account(host, args);  // before any question, preset or file
    if (args.has("preset")) {
        refuse_preset_overrides(args);
        const std::string name = args.str("preset");
        const auto p = launch::read_preset(host, name);
        launch::WorkspaceSpec spec =
            launch::workspace_from_preset(host, name, p, launch::Workspace::Dev, args.global_str("profile"));
        spec.background = args.flag("background");
        return launch::launch_workspace(host, spec, json);
    }
    // The original's order: profile, compute, Python, dependencies, upload
    // excludes, save as a preset; each question skipped by its flag.
    const std::string profile = launch::choose_profile(host, args);
    launch::ComputeChoice choice;
    choice.title = "Dev container compute";
    launch::WorkspaceSpec spec = launch::workspace_from_args(host, args, launch::Workspace::Dev, choice);
    spec.profile = profile;
    launch::ask_deps(host, args, spec);
    launch::ask_excludes(host, args, spec);
    launch::offer_preset(host, args, spec, true);
    return launch::launch_workspace(host, spec, json);
}

}  // namespace
}  // namespace dev

MGPUX_CPP_PLUGIN_COMMANDS("dev", "0.1.0", "Persistent web Bash dev containers", "Compute Engine", dev::kCommands)
