#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Concurrency of the operations that ask every profile:
# `billing usage --all`, `account list` and `stop --all` over N
# profiles with one app each, the fake modal answering each call after D
# seconds. The baseline is what must run one after another anyway, timed on
# this machine with the same fake: one call for billing and account, a list
# then a stop for stop. Target: each command within 1.3x its baseline (the
# original tool needs N x, asking one profile after another).
#
#   tests/bench/fanout.sh [build-dir] [profiles=8] [delay_s=0.5]
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build/release}"
n="${2:-8}"
delay="${3:-0.5}"
bin="$PWD/$build/bin/m-gpux"
[ -x "$bin" ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home" MGPUX_HOME="$tmp/home/.m-gpux" MODAL_CONFIG_PATH="$tmp/home/.modal.toml"
export FAKE_MODAL_HOME="$tmp/fake" FAKE_MODAL_SCENARIO="$tmp/fake/scenario.json" FAKE_MODAL_PYCACHE="$tmp/pycache"
export PATH="$PWD/tests/fakes:/usr/bin:/bin" MGPUX_PLUGIN_PATH="$PWD/$build/lib/m-gpux/plugins"
unset MGPUX_ADD_PLUGIN_PATH
mkdir -p "$HOME" "$FAKE_MODAL_HOME"

/usr/bin/python3 - "$n" "$delay" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "tests", "fakes"))
from fake_modal_helpers import FakeModal
n, delay = int(sys.argv[1]), float(sys.argv[2])
fake = FakeModal(os.environ["FAKE_MODAL_HOME"])
names = [f"p{i}" for i in range(1, n + 1)]
FakeModal.write_modal_toml(os.environ["MODAL_CONFIG_PATH"],
                           {p: {"token_id": f"ak-{p}", "token_secret": f"as-{p}"} for p in names}, active="p1")
for p in names:
    fake.add_app("m-gpux-shell", state="ephemeral (detached)", workspace=p)
    fake.set_billing(p, [{"object_id": "ap-x", "description": "m-gpux-shell", "environment": "main",
                          "interval_start": "2026-11-01T00:00:00", "cost": "1.25"}])
fake.set_scenario([{"match": ["billing"], "delay_s": delay}, {"match": ["app"], "delay_s": delay}])
PY

elapsed() {  # wall seconds of a command, its output discarded
  local start end
  start=$(date +%s.%N)
  "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  end=$(date +%s.%N)
  /usr/bin/python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.3f}")' "$start" "$end"
}

one_call=$(elapsed env MODAL_PROFILE=p1 modal billing report --for "this month" --json)
two_calls=$(/usr/bin/python3 -c 'import sys; print(2 * float(sys.argv[1]))' "$one_call")
report() {  # name, measured, baseline
  /usr/bin/python3 -c 'import sys; name, t, b = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
print(f"{name:<22} {t:6.2f} s   baseline {b:5.2f} s   ratio {t / b:4.2f}  (target <= 1.30)")' "$@"
}
echo "profiles=$n delay=${delay}s, one fake call: ${one_call}s"
report "billing usage --all" "$(elapsed "$bin" billing usage --all --json)" "$one_call"
report "account list" "$(elapsed "$bin" account list --json)" "$one_call"
report "stop --all --select all" "$(elapsed "$bin" stop --all --select all --yes --json)" "$two_calls"
