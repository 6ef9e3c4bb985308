// Placeholder: being written.
#include <mgpux/plugin.hpp>

namespace {
const mgpux_command kCommands[] = {
    mgpux::command("host", "(being built)", "Not available yet."),
    mgpux::command("host pending", "Not available yet"),
};
int run(mgpux::Host&, const mgpux::Args&) { throw mgpux::Error(MGPUX_E_FAILED, "not available yet"); }
}  // namespace

MGPUX_CPP_PLUGIN("host", "0.0.0", "(being built)", nullptr, kCommands, run)
