#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Peak memory of m-gpux while a child prints a lot (/usr/bin/time). A child's
# output is streamed and only bounded tails are kept, so the peak must not
# follow the size of the output. Target: under 64 MiB for the streamed cases;
# parsed output is capped at 64 MiB and fails beyond it.
# Runs against the fake `modal` (tests/fakes) through the svcprobe test plugin,
# in a temporary HOME that is removed afterwards.
#
#   tests/bench/output_memory.sh [build-dir] [megabytes]   (default: build/release 200)
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build/release}"
mb="${2:-200}"
bin="$PWD/$build/bin/m-gpux"
probe="$PWD/$build/tests/abi/fixtures/svcprobe"
[ -x "$bin" ] && [ -d "$probe" ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home" MGPUX_HOME="$tmp/home/.m-gpux" MODAL_CONFIG_PATH="$tmp/home/.modal.toml"
export XDG_CACHE_HOME="$tmp/home/.cache" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share"
export PATH="$PWD/tests/fakes:/usr/local/bin:/usr/bin:/bin" FAKE_MODAL_HOME="$tmp/fake" MGPUX_PLUGIN_PATH="$probe"
export FAKE_MODAL_SCENARIO="$tmp/scenario.json"
mkdir -p "$HOME" "$FAKE_MODAL_HOME"
printf '[bench]\ntoken_id = "ak-bench"\ntoken_secret = "as-bench"\nactive = true\n' > "$MODAL_CONFIG_PATH"
bytes=$((mb * 1000 * 1000))

measure() {  # label, scenario rule (JSON), m-gpux arguments...
    local label="$1" rule="$2"
    shift 2
    printf '{"rules": [%s]}\n' "$rule" > "$FAKE_MODAL_SCENARIO"
    local code=0
    /usr/bin/time -f '%M %e' -o "$tmp/time" "$bin" "$@" > /dev/null 2> "$tmp/stderr" || code=$?
    # GNU time puts "Command exited with non-zero status N" first: the figures are the last line.
    tail -n 1 "$tmp/time" | awk -v label="$label" -v code="$code" \
        '{ printf "%-36s exit %-3s peak %7.1f MiB  %7.1f s\n", label, code, $1 / 1024, $2 }'
}

echo "a child printing $mb MB (peak RSS of m-gpux and the fake modal it waits for):"
measure "attached run, stdout" "{\"match\": [\"run\"], \"flood_stdout\": $bytes}" svcprobe run --yes
measure "attached run, one endless line" "{\"match\": [\"run\"], \"flood_stdout\": $bytes, \"flood_newlines\": false}" \
    svcprobe run --yes
measure "failing run, stderr" "{\"match\": [\"run\"], \"flood_stderr\": $bytes, \"exit\": 1}" svcprobe run --yes
measure "app list --json (parsed; capped)" "{\"match\": [\"app\", \"list\"], \"flood_stdout\": $bytes}" \
    svcprobe modal --json -- app list --json
