#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# m-gpux's own time for one launch (rendering, run directory, session record, output handling)
# and the number of `modal` processes each launch starts, against a stub `modal` written in C
# that answers at once (so the stub is not what is measured). Our own time is reported as CPU time
# (user + system) next to the wall time, which on a busy machine is mostly waiting for a core and
# for fsync. Goal: under 15 ms of our own time and exactly one `modal` process per hub, dev, host
# and preset launch, deploys included (a deployment's session goes by its app name, so nothing asks
# `modal app list` for an id). `serve deploy` also creates its named secret of API key digests
# (which `serve keys` rotates without a redeploy).
#
#   tests/bench/launch.sh [build-dir] [launches-per-workload]   (defaults: build/release, 50)
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build/release}"
runs="${2:-50}"
bin="$PWD/$build/bin/m-gpux"
[ -x "$bin" ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
command -v cc >/dev/null || { echo "a C compiler (cc) is needed for the stub modal" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/home" "$work/proj"
# The stub: counts itself, names an app and a READY URL, and exits; `app list` answers [].
cat >"$work/stub.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char** argv) {
    FILE* log = fopen(getenv("STUB_MODAL_LOG"), "a");
    if (log) { fprintf(log, "%s\n", argc > 1 ? argv[1] : ""); fclose(log); }
    if (argc > 2 && strcmp(argv[1], "app") == 0) { puts("[]"); return 0; }
    if (argc > 1 && strcmp(argv[1], "deploy") == 0) {  /* like Modal: no app id in a deploy's output */
        puts("\xe2\x9c\x93 App deployed! View Deployment: https://modal.com/apps/bench/main/deployed/m-gpux-vllm");
        return 0;
    }
    puts("\xe2\x9c\x93 Initialized. View run at https://modal.com/apps/bench/main/ap-0123456789abcdefghijkl");
    puts("[m-gpux] READY https://bench--m-gpux.modal.run");
    return 0;
}
C
cc -O2 -o "$work/bin/modal" "$work/stub.c"
printf '[bench]\ntoken_id = "ak-bench"\ntoken_secret = "as-bench"\nactive = true\n' >"$work/modal.toml"
printf 'print("hi")\n# input( in a comment\nname = "input("\n' >"$work/proj/main.py"
mkdir -p "$work/proj/site" && echo '<p>hi</p>' >"$work/proj/site/index.html"
printf 'def app(environ, start_response):\n    start_response("200 OK", [])\n    return [b"ok"]\n' >"$work/proj/web.py"

export HOME="$work/home" MGPUX_HOME="$work/home/.m-gpux" MODAL_CONFIG_PATH="$work/modal.toml"
export PATH="$work/bin:/usr/bin:/bin" MGPUX_PLUGIN_PATH="$PWD/$build/lib/m-gpux/plugins" MGPUX_NO_ANIMATION=1
export STUB_MODAL_LOG="$work/calls.log"
cd "$work/proj"
"$bin" --yes --no-input preset save bench-nb --action jupyter --cpu 2 >/dev/null 2>&1 ||
  "$bin" --yes hub jupyter --cpu 2 --save-preset bench-nb >/dev/null 2>&1 || true

measure() {  # name, then the m-gpux arguments
    local name="$1"; shift
    "$bin" "$@" >/dev/null 2>&1 || { echo "$name: the launch failed: m-gpux $*" >&2; return 1; }  # warm-up
    : >"$STUB_MODAL_LOG"
    local start end cpu
    start=$(date +%s%N)
    # CPU time (user + system) of the loop: m-gpux's own work, apart from waiting for a busy machine.
    cpu=$({ /usr/bin/time -f "%U %S" bash -c 'n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1; done' \
        _ "$runs" "$bin" "$@"; } 2>&1 | tail -1)
    end=$(date +%s%N)
    local calls; calls=$(wc -l <"$STUB_MODAL_LOG")
    awk -v n="$name" -v ns="$((end - start))" -v cpu="$cpu" -v r="$runs" -v c="$calls" \
        -v k="$(sort "$STUB_MODAL_LOG" | uniq -c | awk '{printf "%s%s x%d", s, $2, $1/'"$runs"'; s=", "}')" \
        'BEGIN { split(cpu, t, " ");
                 printf "%-12s %7.2f ms wall %6.2f ms cpu per launch   %4.2f modal processes per launch (%s)\n",
                        n, ns / r / 1e6, (t[1] + t[2]) * 1000 / r, c / r, k }'
}

echo "launches per workload: $runs (stub modal in C; wall and CPU time of m-gpux, the stub's exec included)"
measure "(--help)"    --help  # the host's start-up alone, for comparison
measure "hub jupyter" --yes hub jupyter --cpu 2 --python 3.12 --background
measure "hub bash"    --yes hub bash --cpu 2 --python 3.12 --background
measure "dev"         --yes dev --cpu 2 --python 3.12 --background
measure "hub script"  --yes hub script main.py --cpu 2 --python 3.12
measure "preset run"  --yes preset run bench-nb --background
measure "hub vllm"    --yes hub vllm --model Qwen/Qwen2.5-1.5B-Instruct --gpu L4 --python 3.12
measure "host asgi"   --yes host asgi --entry web:app --name bench-a --cpu 1 --python 3.12
measure "host wsgi"   --yes host wsgi --entry web:app --name bench --cpu 1 --python 3.12
measure "host static" --yes host static --dir site --name bench-s
measure "serve deploy" --yes serve deploy --model Qwen/Qwen2.5-1.5B-Instruct --gpu L4
