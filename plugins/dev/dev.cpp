// SPDX-License-Identifier: MIT
// `m-gpux dev` (and `dev web`): a persistent web Bash container for the
// current folder, tracked as a `dev` session, optionally saved as (or started
// from) a preset. The dev boxes (`dev up` and the rest) are in devbox.cpp.
#include "devbox.hpp"
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

constexpr const char* kWebHelp =
    "Uploads the current folder into a workspace volume (/workspace, committed every 20 s)\n"
    "and starts a ttyd web terminal there, detached, as a `dev` session. The login is\n"
    "generated for the session and printed once. Dependencies: --requirements/--pip/\n"
    "--no-deps, else ./requirements.txt when present. On a terminal it asks what no flag\n"
    "says: profile, compute (and how many GPUs), Python version, requirements.txt or extra\n"
    "packages, upload excludes; then it offers to save the settings as a preset\n"
    "(--save-preset NAME does it without asking). `m-gpux dev` with no subcommand is `dev web`.\n"
    "--json prints {session_id, app_id, app_name, url, kind, profile, ...}.\n\n"
    "Example:\n"
    "  m-gpux dev web --gpu L4 --save-preset dev-l4\n"
    "  m-gpux dev --preset dev-l4\n"
    "  m-gpux --yes --json dev --cpu 4 --background";

constexpr uint32_t kFlags = MGPUX_CMDF_JSON | MGPUX_CMDF_INTERACTIVE;

const mgpux::Commands kCommands{
    mgpux::command("dev", "Dev boxes over SSH, and the web Bash dev container", kDevOptions, run)
        .help(kWebHelp)
        .flags(kFlags),
    mgpux::command("dev web", "A persistent web Bash dev container for this folder", kDevOptions, run)
        .help(kWebHelp)
        .flags(kFlags),
    mgpux::command("dev up", "Start a dev box (a Modal Sandbox with sshd) for this folder", box::up_options(), box::up)
        .help("Creates a Modal Sandbox running sshd, with this folder's workspace volume at\n"
              "/workspace (the folder is copied in first, with the upload excludes; files already on\n"
              "the volume are kept). The first run creates an SSH key in ~/.m-gpux/ssh/; the box's host\n"
              "key is pinned there, and a `Host m-gpux-NAME` block is written at the top of\n"
              "~/.ssh/config, so `ssh m-gpux-NAME` and VS Code Remote-SSH reach it. The box stops\n"
              "after --hours (default 12, at most 24); `dev pause` keeps its disk, `dev resume`\n"
              "starts it again. --lock-ip accepts SSH only from this machine's public address\n"
              "(MGPUX_PUBLIC_IP names it when it cannot be looked up).\n\n"
              "Example:\n"
              "  m-gpux dev up --name gpu --gpu L4 --hours 4\n"
              "  m-gpux dev code gpu")
        .flags(kFlags),
    mgpux::command("dev list", "List dev boxes (running, paused, expired)", box::list_options(), box::list)
        .help("Boxes recorded in ~/.m-gpux/dev.json; a box past its hours shows as expired.\n"
              "--json prints one object per box with its name, status and alias.")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("dev ssh", "SSH into a dev box (ssh m-gpux-NAME)", box::ssh_options(), box::ssh)
        .trailing("command")
        .help("Runs `ssh m-gpux-NAME`, or `ssh m-gpux-NAME CMD...` with a command after `--`.\n\n"
              "Example:\n"
              "  m-gpux dev ssh gpu -- nvidia-smi"),
    mgpux::command("dev code", "Open a dev box in VS Code (Remote-SSH)", box::name_options(), box::code)
        .help("Runs `code --remote ssh-remote+m-gpux-NAME /workspace`, or prints it when VS Code's\n"
              "`code` command is not installed."),
    mgpux::command("dev shell", "A shell in a dev box without SSH", box::name_options(), box::shell)
        .help("Opens bash in the box through Modal itself (works for --no-ssh boxes too)."),
    mgpux::command("dev pause", "Snapshot a dev box's disk and stop it", box::pause_options(), box::pause)
        .help("Snapshots the box's filesystem (kept --keep-days, default 30), then stops the box.\n"
              "`dev resume NAME` starts it again from the snapshot.")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("dev resume", "Start a paused or expired dev box again", box::resume_options(), box::resume)
        .help("A paused box starts from its snapshot; an expired one from a fresh image with its\n"
              "volume. The new endpoint replaces the box's block in ~/.ssh/config.")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("dev sync", "Copy files to or from a dev box with rsync", box::sync_options(), box::sync)
        .help("push copies this box's folder to /workspace, pull the other way, over the ssh alias\n"
              "with the box's upload excludes. --delete also removes files the other side lacks.\n\n"
              "Example:\n"
              "  m-gpux dev sync pull gpu"),
    mgpux::command("dev down", "Stop a dev box and remove it", box::down_options(), box::down)
        .help("Stops the box, removes its ~/.ssh/config block and pinned host key, and forgets it.\n"
              "The workspace volume is kept unless --delete-volume.")
        .flags(MGPUX_CMDF_JSON | MGPUX_CMDF_DESTRUCTIVE),
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

MGPUX_CPP_PLUGIN_COMMANDS("dev", "0.1.0", "Dev boxes over SSH and web Bash dev containers", "Compute Engine",
                          dev::kCommands)
