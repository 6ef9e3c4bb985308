#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Start-up time of the host with every built plugin on the path (hyperfine).
# Target: median under 5 ms for each command (the Python original needs about
# 190 ms for --help on the same kind of machine). The warm-up runs fill the plugin metadata
# cache ($XDG_CACHE_HOME/m-gpux/plugins.json), so the measured runs open no plugin library;
# MGPUX_NO_PLUGIN_CACHE=1 measures the start-up that loads every plugin.
#
#   tests/bench/startup.sh [build-dir]      (default: build/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build/release}"
bin="$build/bin/m-gpux"
[ -x "$bin" ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is missing (apt-get install hyperfine)" >&2; exit 1; }

export MGPUX_PLUGIN_PATH="$PWD/$build/lib/m-gpux/plugins"
export MGPUX_NO_ANIMATION=1
echo "plugins on the path: $(ls "$MGPUX_PLUGIN_PATH" | tr '\n' ' ')"
hyperfine --warmup 20 --min-runs 200 -N --export-markdown "$build/startup.md" --export-json "$build/startup.json" \
  "$bin --help" \
  "$bin plugins list" \
  "$bin info"
/usr/bin/python3 - "$build/startup.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"median {r['median'] * 1000:6.2f} ms  {r['command']}")
PY
echo "table written to $build/startup.md"
