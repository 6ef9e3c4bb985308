#!/usr/bin/env bash
# The modal fan-out (one `modal app list --json` per profile, concurrently)
# against the fake modal, each call held for a fixed delay. With N profiles
# and a D-second delay, a sequential scan (the original tool) takes N x D;
# ours should take about D plus start-up while N <= 16.
#
#   tests/bench/fanout.sh [build-dir] [profiles=16] [delay_s=1]
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build/release}"
n="${2:-16}"
delay="${3:-1}"
bin="$PWD/$build/bin/m-gpux"
probe="$PWD/$build/tests/abi/fixtures/svcprobe"
[ -x "$bin" ] && [ -d "$probe" ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home" MGPUX_HOME="$tmp/home/.m-gpux" MODAL_CONFIG_PATH="$tmp/home/.modal.toml"
export FAKE_MODAL_HOME="$tmp/fake" FAKE_MODAL_SCENARIO="$tmp/scenario.json"
export PATH="$PWD/tests/fakes:/usr/bin:/bin" MGPUX_PLUGIN_PATH="$probe"
mkdir -p "$HOME" "$FAKE_MODAL_HOME"
for i in $(seq 1 "$n"); do
  printf '[p%d]\ntoken_id = "ak-%d"\ntoken_secret = "as-%d"\n%s\n' "$i" "$i" "$i" "$([ "$i" = 1 ] && echo 'active = true')"
done > "$MODAL_CONFIG_PATH"
printf '{"rules": [{"match": ["app", "list"], "delay_s": %s}]}\n' "$delay" > "$FAKE_MODAL_SCENARIO"

start=$(date +%s.%N)
"$bin" svcprobe fanout --json -- app list --json > "$tmp/out.json"
end=$(date +%s.%N)
ok=$(/usr/bin/python3 -c 'import json,sys; rows=json.load(open(sys.argv[1])); print(sum(r["ok"] for r in rows), len(rows))' "$tmp/out.json")
/usr/bin/python3 -c 'import sys; n, d, ok, s, e = sys.argv[1:]
print(f"profiles={n} delay={d}s rows ok/total={ok} wall={float(e) - float(s):.2f}s (sequential would be {int(n) * float(d):.0f}s)")' \
  "$n" "$delay" "$ok" "$start" "$end"
