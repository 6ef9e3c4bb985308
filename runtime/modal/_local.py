# SPDX-License-Identifier: MIT
"""How the stand-in behaves when the local backend runs a script rather than inspecting it.

MODE is "inspect" (the default: calls run in-process, nothing leaves the interpreter), "app"
(the process that imported the script for `modal_shim run|serve|deploy`: `.remote()` and the
like start a container for the call) or "container" (inside one such container: the function
runs here, and `modal.forward` answers with a loopback URL).
"""
MODE = "inspect"
# Set by modal_shim in "app" mode: call_remote(function, args, kwargs) -> result, run in a container.
call_remote = None
# Secret values by name, from the runner's secret file (for Secret.from_name in local runs).
NAMED_SECRETS = {}


def running_locally():
    return MODE in ("app", "container")
