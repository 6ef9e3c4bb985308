#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The serve proxy (mgpux-proxy) measured side by side with nginx, in one run, so that every figure
# is a ratio to nginx on the same machine at the same moment.
#
# nginx (Debian's nginx-light) is configured as the proxy's peer: a keep-alive `proxy_pass` to the
# same fake upstream (20 tokens, no delay between them), the same Bearer check (401 without a key,
# 403 for another), unbuffered so that streams are relayed as they come. The load generator is wrk
# (Debian's `wrk`), one connection per concurrent client.
#
# The fake upstream is tests/support/fake_upstream.py unless --upstream native says
# tests/bench/fake_upstream.c (see below); every proxy measured in a run, in every mode, is in
# front of the same one, and the run's header and table say which it was.
#
# Method. The throughput of one binary moves by 5-10 % from one run to the next on a shared
# machine (other load, CPU frequency, the VM), so one run per cell, the proxies measured minutes
# apart, would mostly measure that. Instead all the proxies under test (native, the baseline if
# given, nginx) run at once, each on its own port and all pinned to the same core (an idle one
# costs nothing), and each cell (non-stream and stream chat completions at concurrency 1, 16, 64
# and 256) is measured in rounds: in every round each proxy runs once, one after the other, the
# order rotated from round to round (native, baseline, nginx; then baseline, nginx, native; ...),
# so that neither a drift of the machine nor the order favours one. Each proxy gets a 1 s warm-up
# before its first run of a cell. A run gives requests per second, latency p50/p99 and CPU time
# per request (the CPU time of that proxy's processes, all threads, from
# /proc/PID/task/*/schedstat, read just before and just after its own wrk run, divided by the
# requests wrk completed).
#
# The table gives, per cell, the median of the rounds for each proxy (requests/s, p50, p99, CPU
# per request), the ratio native / nginx of those medians and, in brackets, the spread of that
# ratio: its lowest and highest value over the rounds, each computed from the two runs of one
# round. A cell whose spread straddles 1.00x is within the noise of the machine. The goals are
# judged on the medians: at least nginx's throughput in every cell, CPU per stream no more than
# nginx's; each goal line says in how many cells it was met, and a line under it for each cell
# that missed: by how much, whether some of its rounds met the goal, and (with --floor) what the
# floor did there.
#
# The last column says how busy the cores were during the cell (from /proc/stat): the mean of the
# cores of the fake upstream and wrk, and the proxy's core for native and nginx. Where the former
# is at 95 % or more (marked *), the upstream and wrk set the pace, not the proxy, whose core has
# time to spare: there both proxies deliver the same rate within the noise, and CPU per request is
# what tells them apart. At concurrency 1 the rate is set by the latency of the round trip.
#
# After the cells, once per proxy: resident memory after the load and 3 s later without requests
# (the native proxy gives a burst's memory back after 2 s of quiet), and system calls per request
# at concurrency 1 and 64 (strace -c -f attached to the proxy during a further 2 s wrk run of each
# kind, divided by the requests it completed). CPU time and system calls per request hardly
# depend on what else the machine is doing, unlike requests per second: on a busy machine, judge
# by those.
#
# The proxies under test run pinned to the last core (the native one with --threads 1, nginx with
# one worker); the fake upstream and wrk share the others. With one core nothing is pinned.
#
#   tests/bench/proxy.sh [seconds per cell=3] [--rounds N=3] [--baseline PROXY] [--floor]
#                        [--concurrency "1 16 64 256"] [--soak SECONDS] [--upstream python|native]
#
# seconds per cell: the length of each wrk run. A full run takes about
# 8 cells x proxies x (rounds x seconds + 1 s of warm-up), plus half a minute per proxy for strace:
# 3 s, 3 rounds, native and nginx: about 4 minutes.
#
# --rounds N: how many times each cell is measured per proxy (the medians and spreads are over
# these). 1 gives the old single run per cell, quick but at the mercy of the machine's noise.
#
# --floor: also measures, in the same rounds, tests/bench/relay.c (compiled with cc), a relay that
# copies bytes both ways with no HTTP and no key check: the least CPU and latency any proxy can
# have here. Its own section gives its rates and CPU against nginx's. Where even it does not beat
# nginx, the cell is decided by the upstream, wrk and the machine, not by a proxy's efficiency.
#
# --concurrency LIST: the concurrency of each cell (a quicker check: --concurrency "1 64").
#
# --baseline PROXY: another mgpux-proxy binary (an earlier build) measured in the same rounds, as a
# third proxy, so that a change is judged before/after on the same machine at the same moment.
#
# --upstream python|native: the fake upstream. python (the default, so that figures stay
# comparable with earlier runs) is tests/support/fake_upstream.py, one asyncio loop: from
# concurrency 16 on it saturates its core together with wrk, and those cells measure it rather than
# the proxies (the busy column marks them). native is tests/bench/fake_upstream.c, compiled here
# with cc: the same answers (heads, JSON, stream events, chunk framing) and the same pattern of
# writes (the head, each token's chunk and the end of a stream each in a send() of its own), from C
# with epoll, for about a quarter of the Python fake's CPU per stream and a tenth per non-stream
# answer (most of what is left is the kernel's cost of those send()s). With 2 cores it still shares
# its core with wrk, and the busy column still says where the two of them set the pace.
#
# --soak SECONDS: instead of the table, stream load (64 connections) through the native proxy for
# that long, its resident memory sampled every 5 s. After a warm-up (a quarter of the run, at most
# 60 s) it prints the memory at the start, its peak and at the end, and the verdict "flat" when the
# end is less than 1 MiB above the start, else "GROWING". A 10-minute soak is `--soak 600`.
#
# The native proxy is $MGPUX_PROXY, else build/release/bin/mgpux-proxy.
set -euo pipefail
native="${MGPUX_PROXY:-}"
[ -z "$native" ] || native="$(realpath -m "$native")"  # before the cd: relative to where we were
cd "$(dirname "$0")/../.."
secs=3 soak=0 baseline='' levels="1 16 64 256" rounds=3 floor='' upstream=python
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="${2:?--rounds needs a number}"; shift 2 ;;
    --soak) soak="${2:?--soak needs seconds}"; shift 2 ;;
    --baseline) baseline="$(realpath -m "${2:?--baseline needs a proxy binary}")"; shift 2 ;;
    --floor) floor=1; shift ;;
    --concurrency) levels="${2:?--concurrency needs a list such as \"1 64\"}"; shift 2 ;;
    --upstream) upstream="${2:?--upstream needs python or native}"; shift 2 ;;
    *) secs="$1"; shift ;;
  esac
done
py=/usr/bin/python3
native="${native:-build/release/bin/mgpux-proxy}"
for tool in wrk nginx strace; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "needs $tool (Debian: wrk, nginx-light, strace)" >&2; exit 4; }
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "--rounds $rounds: needs a whole number from 1" >&2; exit 2; }
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || { echo "seconds per cell $secs: needs a whole number from 1" >&2; exit 2; }
case "$upstream" in
  python) upstream_desc="python fake (tests/support/fake_upstream.py)" ;;
  native) upstream_desc="native fake (tests/bench/fake_upstream.c, cc -O2)" ;;
  *) echo "--upstream $upstream: python or native" >&2; exit 2 ;;
esac
[ -x "$native" ] || { echo "$native not found: build it, or set MGPUX_PROXY" >&2; exit 4; }
[ -z "$baseline" ] || [ -x "$baseline" ] || { echo "--baseline $baseline: not an executable" >&2; exit 4; }
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

ncpu="$(nproc)"
pin_proxy=() pin_rest=()
if command -v taskset >/dev/null && [ "$ncpu" -ge 2 ]; then
  pin_proxy=(taskset -c "$((ncpu - 1))")
  pin_rest=(taskset -c "0-$((ncpu - 2))")
fi

key="sk-mgpux-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '[{"name": "bench", "key": "%s", "created": "2025-01-01T00:00:00", "active": true}]\n' "$key" >"$tmp/keys.json"
chmod 600 "$tmp/keys.json"

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_port PORT PID: until something listens on PORT (10 s), or the process ends
wait_port() {
  for _ in $(seq 200); do
    "$py" -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2).close()" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# compile NAME SOURCE WHAT: SOURCE built with cc -O2 into $tmp/NAME (WHAT: who needs it, for the
# message when there is no C compiler)
compile() {
  local cc
  cc="$(command -v cc || command -v gcc || true)"
  [ -n "$cc" ] || { echo "$3 needs a C compiler (cc) for $2" >&2; exit 4; }
  "$cc" -O2 -o "$tmp/$1" "$2" || { echo "$2 did not compile" >&2; exit 1; }
}

# The fake upstream, on a port chosen here; both fakes print READY PORT, and are waited for the
# same way: until the port takes connections
up_port="$(free_port)"
if [ "$upstream" = native ]; then
  compile fake_upstream tests/bench/fake_upstream.c "--upstream native"
  up_cmd=("$tmp/fake_upstream")
else
  # glibc's malloc in the Python fake is given fixed thresholds. asyncio reads each request into a
  # fresh 256 KiB buffer; with the default, moving thresholds, whether that buffer is mapped and
  # unmapped for every request (mmap, mremap, munmap: about 40 us more per stream at concurrency 1)
  # depends on the heap's state, that is on the history of the fake's allocations. It happened for
  # the native proxy's requests and not for nginx's (each proxy alone in front of a fresh fake,
  # stream, concurrency 1: native 0.87x nginx, 0.99-1.05x with the thresholds fixed; nginx's own
  # rate the same either way). Fixed, every proxy's requests cost the fake the same.
  up_cmd=(env MALLOC_MMAP_THRESHOLD_=4194304 MALLOC_TRIM_THRESHOLD_=16777216 "$py" tests/support/fake_upstream.py)
fi
"${pin_rest[@]}" "${up_cmd[@]}" --port "$up_port" --tokens 20 >"$tmp/up.out" 2>"$tmp/up.err" &
pids+=($!)
wait_port "$up_port" $! || { echo "the fake upstream did not start:" >&2; cat "$tmp/up.err" >&2; exit 1; }

for stream in false true; do
  cat >"$tmp/$stream.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"model": "fake-model", "messages": [{"role": "user", "content": "hi"}], "stream": $stream}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
EOF
done

# The proxies. Each start_* sets proxy_port and proxy_pids (the processes whose CPU is counted)
# and records them under its name in port[] and procs[]; `use NAME` sets them back from there.
declare -A port procs
start_native() { start_mgpux native "$native"; }

# The floor: tests/bench/relay.c, a relay without HTTP, compiled here.
start_floor() {
  proxy_port="$(free_port)"
  "${pin_proxy[@]}" "$tmp/relay" "$proxy_port" "$up_port" >"$tmp/floor.out" 2>"$tmp/floor.err" &
  local pid=$!
  pids+=("$pid")
  wait_port "$proxy_port" "$pid" || { echo "the relay did not start:" >&2; cat "$tmp/floor.err" >&2; exit 1; }
  proxy_pids=("$pid")
  port[floor]="$proxy_port"
  procs[floor]="$pid"
}
start_baseline() { start_mgpux baseline "$baseline"; }

use() {
  proxy_port="${port[$1]}"
  read -ra proxy_pids <<<"${procs[$1]}"
}

# start_mgpux NAME BINARY
start_mgpux() {
  proxy_port="$(free_port)"
  "${pin_proxy[@]}" "$2" --upstream "http://127.0.0.1:$up_port" --port "$proxy_port" --max-inflight 1024 \
    --keys-file "$tmp/keys.json" --threads 1 >"$tmp/$1.out" 2>"$tmp/$1.err" &
  local pid=$!
  pids+=("$pid")
  wait_port "$proxy_port" "$pid" || { echo "the $1 proxy did not start:" >&2; cat "$tmp/$1.err" >&2; exit 1; }
  proxy_pids=("$pid")
  port[$1]="$proxy_port"
  procs[$1]="${proxy_pids[*]}"
}

start_nginx() {
  proxy_port="$(free_port)"
  mkdir -p "$tmp/nginx/logs"
  cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  upstream fake { server 127.0.0.1:$up_port; keepalive 256; }
  server {
    listen 127.0.0.1:$proxy_port backlog=4096;
    keepalive_requests 1000000;
    location / {
      if (\$http_authorization = "") { return 401; }
      if (\$http_authorization != "Bearer $key") { return 403; }
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
EOF
  "${pin_proxy[@]}" "$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" \
    >"$tmp/nginx.out" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_port "$proxy_port" "$pid" || { echo "nginx did not start:" >&2; cat "$tmp/nginx.out" >&2; exit 1; }
  # the master listens before it forks its worker: wait for the worker (2 s), whose CPU counts
  local workers=()
  for _ in $(seq 100); do
    mapfile -t workers < <(pgrep -P "$pid")
    [ "${#workers[@]}" -eq 0 ] || break
    sleep 0.02
  done
  [ "${#workers[@]}" -gt 0 ] || { echo "nginx started no worker:" >&2; cat "$tmp/nginx.out" >&2; exit 1; }
  proxy_pids=("$pid" "${workers[@]}")
  port[nginx]="$proxy_port"
  procs[nginx]="${proxy_pids[*]}"
}

stop_proxy() {
  kill "${proxy_pids[0]}" 2>/dev/null || true
  wait "${proxy_pids[0]}" 2>/dev/null || true
}

# cpu_ns PID...: CPU time of the given processes (all their threads) in nanoseconds, from
# /proc/PID/task/TID/schedstat; where that is missing, utime + stime from /proc/PID/stat (clock
# ticks, a coarser measure)
cpu_ns() {
  local total=0 pid f
  for pid in "$@"; do
    if compgen -G "/proc/$pid/task/*/schedstat" >/dev/null; then
      for f in /proc/"$pid"/task/*/schedstat; do total=$((total + $(cut -d' ' -f1 "$f" 2>/dev/null || echo 0))); done
    else
      total=$((total + $(awk -v hz="$hz" '{printf "%.0f", ($14 + $15) * 1e9 / hz}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    fi
  done
  echo "$total"
}

rss_kib() {
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

hz="$(getconf CLK_TCK)"

# cell NAME STREAM CONCURRENCY ROUND: one wrk run through the proxy NAME (after a 1 s warm-up in
# round 1); appends "name stream c round rps p50 p99 us_cpu_per_req errors"
cell() {
  local name=$1 stream=$2 c=$3 round=$4 before after out
  use "$name"
  if [ "$round" = 1 ]; then
    "${pin_rest[@]}" wrk -t1 -c"$c" -d1s -s "$tmp/$stream.lua" "http://127.0.0.1:$proxy_port/v1/chat/completions" \
      >/dev/null 2>&1 || true  # warm-up
  fi
  before="$(cpu_ns "${proxy_pids[@]}")"
  core_times >"$tmp/cores.before"
  out="$("${pin_rest[@]}" timeout $((secs + 30)) wrk -t1 -c"$c" -d"${secs}s" --latency -s "$tmp/$stream.lua" \
    "http://127.0.0.1:$proxy_port/v1/chat/completions" 2>&1)" || true
  core_times >"$tmp/cores.after"
  after="$(cpu_ns "${proxy_pids[@]}")"
  local busy
  busy="$(core_busy "$tmp/cores.before" "$tmp/cores.after")"
  awk -v name="$name" -v stream="$stream" -v c="$c" -v round="$round" -v ns=$((after - before)) -v busy="$busy" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /requests in/ { reqs = $1 }
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx/ { errors = $NF }
    END { printf "%s %s %d %d %.0f %.2f %.2f %.1f %d %s\n", name, stream, c, round, rps, p50, p99,
                 reqs ? ns / 1e3 / reqs : 0, errors + 0, busy }' <<<"$out" >>"$tmp/cells"
}

# core_times: "cpuN idle total" per core, from /proc/stat (clock ticks)
core_times() {
  awk '/^cpu[0-9]/ {t = 0; for (i = 2; i <= NF; i++) t += $i; print $1, $5 + $6, t}' /proc/stat
}

# core_busy BEFORE AFTER: "LOAD PROXY", the busy share (0-1) of the cores of the upstream and wrk
# (their mean) and of the proxy's core over the interval; "- -" without pinning
core_busy() {
  [ ${#pin_proxy[@]} -gt 0 ] || { echo "- -"; return; }
  awk -v proxy="cpu$((ncpu - 1))" 'NR == FNR {idle[$1] = $2; total[$1] = $3; next}
    { d = $3 - total[$1]; b = d > 0 ? 1 - ($2 - idle[$1]) / d : 0
      if ($1 == proxy) p = b; else { l += b; n++ } }
    END { printf "%.2f %.2f\n", n ? l / n : 0, p }' "$1" "$2"
}

# syscalls NAME STREAM CONCURRENCY: system calls per request, strace -c -f attached to the proxy
# (nginx: its worker) during a 2 s wrk run; appends "name stream c calls writes timer_settings"
syscalls() {
  local name=$1 stream=$2 c=$3 target spid out
  use "$name"
  target=${proxy_pids[-1]}
  strace -f -c -p "$target" -o "$tmp/strace" 2>/dev/null &
  spid=$!
  sleep 0.5
  out="$("${pin_rest[@]}" timeout 60 wrk -t1 -c"$c" -d2s -s "$tmp/$stream.lua" \
    "http://127.0.0.1:$proxy_port/v1/chat/completions" 2>&1)" || true
  kill -INT "$spid"
  wait "$spid" 2>/dev/null || true
  local reqs
  reqs="$(awk '/requests in/ {print $1}' <<<"$out")"
  awk -v name="$name" -v stream="$stream" -v c="$c" -v reqs="${reqs:-0}" '
    /total$/ {calls = $4}
    $NF ~ /^(sendmsg|writev|write|sendto|sendfile)$/ {w += $4}
    $NF == "timerfd_settime" {t += $4}
    END {if (reqs > 0) printf "%s %s %d %.1f %.1f %.2f\n", name, stream, c, calls / reqs, w / reqs, t / reqs}' \
    "$tmp/strace" >>"$tmp/syscalls"
}

soak_run() {
  local every=5 warmup=$((soak / 4 < 60 ? soak / 4 : 60))
  start_native
  echo "soak: stream load, 64 connections, ${soak}s, native proxy; RSS every ${every}s, warm-up ${warmup}s"
  "${pin_rest[@]}" wrk -t1 -c64 -d"${soak}s" -s "$tmp/true.lua" "http://127.0.0.1:$proxy_port/v1/chat/completions" \
    >"$tmp/soak.wrk" 2>&1 &
  local wpid=$! t=0 kib
  : >"$tmp/soak.rss"
  while kill -0 "$wpid" 2>/dev/null; do
    kib="$(rss_kib "${proxy_pids[@]}")"
    echo "$t $kib" >>"$tmp/soak.rss"
    printf 't=%4ds  RSS %6.1f MiB\n' "$t" "$(awk -v k="$kib" 'BEGIN {print k / 1024}')"
    sleep "$every"
    t=$((t + every))
  done
  wait "$wpid" || true
  grep -E "requests in|Non-2xx|Socket errors" "$tmp/soak.wrk" || true
  # the verdict: from the first sample after the warm-up to the last one
  awk -v warmup="$warmup" '$1 >= warmup {n++; if (n == 1) first = $2; last = $2; if ($2 > peak) peak = $2}
    END {
      if (n < 2) { print "soak: too short to judge (needs samples after the warm-up)"; exit }
      growth = last - first
      printf "memory after the warm-up: start %.1f MiB, peak %.1f MiB, end %.1f MiB (%+.2f MiB): %s (bound: under 1 MiB)\n",
             first / 1024, peak / 1024, last / 1024, growth / 1024, growth < 1024 ? "flat" : "GROWING" }' "$tmp/soak.rss"
  stop_proxy
}

echo "machine: $ncpu cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "proxies pinned: ${pin_proxy[*]:-no} (native --threads 1, nginx 1 worker); upstream+wrk: ${pin_rest[*]:-no}"
echo "native: $native ($("$native" --version | head -n1)); nginx: $("$nginx_bin" -v 2>&1 | head -n1)"
echo "upstream: $upstream_desc, 20 tokens per answer"
[ -z "$baseline" ] || echo "baseline: $baseline"
echo
if [ "$soak" != 0 ]; then
  soak_run
  exit 0
fi

: >"$tmp/cells"
: >"$tmp/syscalls"
: >"$tmp/rss"
names=(native)
[ -z "$baseline" ] || names+=(baseline)
names+=(nginx)
if [ -n "$floor" ]; then
  compile relay tests/bench/relay.c --floor
  names+=(floor)
fi
for name in "${names[@]}"; do "start_$name"; done
echo "$rounds round(s) of ${secs}s per cell and proxy, the order rotated from round to round" \
  "(round 1: ${names[*]}); medians over the rounds"
echo
# every cell: round r runs the proxies in the order names[r], names[r+1], ... (wrapping around)
k=${#names[@]}
for stream in false true; do
  for c in $levels; do
    for ((r = 0; r < rounds; r++)); do
      for ((i = 0; i < k; i++)); do
        cell "${names[(r + i) % k]}" "$stream" "$c" $((r + 1))
      done
    done
  done
done
for name in "${names[@]}"; do
  use "$name"
  echo "$name $(rss_kib "${proxy_pids[@]}")" >>"$tmp/rss"
done
# and once they have been without requests for 3 s (the native proxy gives a burst's memory back
# after 2 s of quiet)
sleep 3
: >"$tmp/rss_quiet"
for name in "${names[@]}"; do
  use "$name"
  echo "$name $(rss_kib "${proxy_pids[@]}")" >>"$tmp/rss_quiet"
done
for name in "${names[@]}"; do
  for stream in false true; do
    for c in 1 64; do syscalls "$name" "$stream" "$c"; done
  done
done

"$py" - "$tmp/cells" "$tmp/syscalls" "$tmp/rss" "$upstream_desc" "$tmp/rss_quiet" <<'PY'
import sys
from statistics import median

# runs[(name, stream, c)] = {round: (rps, p50, p99, cpu_us, errors)}
runs = {}
# busy[(name, stream, c)] = [(share of the upstream+wrk cores busy, share of the proxy core busy)]
busy = {}
for line in open(sys.argv[1]):
    name, stream, c, rnd, rps, p50, p99, cpu, err, load_busy, proxy_busy = line.split()
    runs.setdefault((name, stream, int(c)), {})[int(rnd)] = (
        float(rps), float(p50), float(p99), float(cpu), int(err))
    if load_busy != "-":
        busy.setdefault((name, stream, int(c)), []).append((float(load_busy), float(proxy_busy)))
sc = {}
for line in open(sys.argv[2]):
    name, stream, c, calls, writes, timers = line.split()
    sc[(name, stream, int(c))] = (float(calls), float(writes), float(timers))
rss = dict((l.split()[0], int(l.split()[1])) for l in open(sys.argv[3]))
rss_quiet = dict((l.split()[0], int(l.split()[1])) for l in open(sys.argv[5]))
names = ["native"] + (["baseline"] if any(k[0] == "baseline" for k in runs) else []) + ["nginx"] + (
    ["floor"] if any(k[0] == "floor" for k in runs) else [])
levels = sorted({k[2] for k in runs})
rounds = max((max(v) for v in runs.values()), default=0)


def med(name, stream, c):
    """(rps, p50, p99, cpu_us) medians over the rounds and the errors of all rounds, or None."""
    v = runs.get((name, stream, c))
    if not v:
        return None
    return tuple(median(r[i] for r in v.values()) for i in range(4)) + (sum(r[4] for r in v.values()),)


def ratio(a, b, i, stream, c):
    """a/b of the medians of field i, and the lowest and highest a/b of one round's two runs."""
    ma, mb = med(a, stream, c), med(b, stream, c)
    ra, rb = runs[(a, stream, c)], runs[(b, stream, c)]
    per_round = [ra[r][i] / rb[r][i] for r in ra if r in rb and rb[r][i]]
    return (ma[i] / mb[i] if mb[i] else 0,
            min(per_round, default=0), max(per_round, default=0))


def fmt(r):
    return "%.2fx (%.2f-%.2f)" % r


def kind(stream):
    return "stream" if stream == "true" else "non-stream"


print("upstream: %s" % sys.argv[4])
print("medians of %d round%s per cell; a ratio is native / nginx of the medians, (lowest-highest) "
      "of the round-by-round ratios" % (rounds, "" if rounds == 1 else "s"))
print("%-10s %4s | %9s %9s %-17s | %7s %7s | %7s %7s | %8s %8s %-17s | %-10s | %s" % (
    "kind", "c", "native/s", "nginx/s", "ratio", "p50 n", "p50 x", "p99 n", "p99 x",
    "cpu n us", "cpu x us", "ratio", "errors n/x", "busy: load core, proxy core n/x"))


def busy_cells(stream, c):
    """Median busy shares of the load cores (both proxies' runs) and of the proxy core (each)."""
    n, x = busy.get(("native", stream, c), []), busy.get(("nginx", stream, c), [])
    if not n or not x:
        return None
    return (median(b[0] for b in n + x), median(b[1] for b in n), median(b[1] for b in x))


bound_cells = 0
tput_met = tput_cells = cpu_met = cpu_cells = 0
tput_missed, cpu_missed = [], []  # (stream, c, ratio and spread) of the cells that missed a goal
for stream in ("false", "true"):
    for c in levels:
        n, x = med("native", stream, c), med("nginx", stream, c)
        if not n or not x:
            continue
        tr, cr = ratio("native", "nginx", 0, stream, c), ratio("native", "nginx", 3, stream, c)
        tput_cells += 1
        tput_met += tr[0] >= 1.0
        if tr[0] < 1.0:
            tput_missed.append((stream, c, tr))
        if stream == "true":
            cpu_cells += 1
            cpu_met += cr[0] <= 1.0
            if cr[0] > 1.0:
                cpu_missed.append((stream, c, cr))
        b = busy_cells(stream, c)
        bound = b is not None and b[0] >= 0.95
        bound_cells += bound
        load = "%3.0f%%, %3.0f/%3.0f%%%s" % (100 * b[0], 100 * b[1], 100 * b[2], " *" if bound else "") if b else "-"
        print("%-10s %4d | %9.0f %9.0f %-17s | %7.2f %7.2f | %7.2f %7.2f | %8.1f %8.1f %-17s | %-10s | %s" % (
            kind(stream), c, n[0], x[0], fmt(tr), n[1], x[1], n[2], x[2], n[3], x[3], fmt(cr),
            "%d/%d" % (n[4], x[4]), load))
if bound_cells:
    print("* the cores of the fake upstream and wrk were busy 95 % of the time or more: the cell measures")
    print("  them, not the proxy (whose core had time to spare), so both proxies deliver the same rate")
    print("  within the noise; CPU per request is the proxy's own figure there.")
print()
if "baseline" in names:
    print("native (this build) against the baseline, same rounds: medians, ratio native / baseline "
          "(lowest-highest of the rounds)")
    for stream in ("false", "true"):
        for c in levels:
            n, b = med("native", stream, c), med("baseline", stream, c)
            if n and b:
                print("  %-10s c=%-3d  req/s %7.0f vs %7.0f %-17s  CPU %6.1f us vs %6.1f us %-17s  (nginx %.1f us)" % (
                    kind(stream), c, n[0], b[0], fmt(ratio("native", "baseline", 0, stream, c)),
                    n[3], b[3], fmt(ratio("native", "baseline", 3, stream, c)),
                    (med("nginx", stream, c) or (0, 0, 0, 0))[3]))
    print()
if "floor" in names:
    print("the floor (tests/bench/relay.c: bytes copied both ways, no HTTP, no key check) against nginx, same rounds:")
    print("what no proxy can beat; a cell where it does not beat nginx is not decided by the proxy's efficiency")
    for stream in ("false", "true"):
        for c in levels:
            f, x, n = med("floor", stream, c), med("nginx", stream, c), med("native", stream, c)
            if f and x:
                print("  %-10s c=%-3d  req/s %7.0f vs %7.0f %-17s  CPU %6.1f us vs %6.1f us %-17s  (native %.2fx nginx's CPU)" % (
                    kind(stream), c, f[0], x[0], fmt(ratio("floor", "nginx", 0, stream, c)),
                    f[3], x[3], fmt(ratio("floor", "nginx", 3, stream, c)), n[3] / x[3] if n and x[3] else 0))
    print()
print("system calls per request (strace -c, 2 s of wrk; a stream is 20 tokens): total / writes / timerfd_settime")
for stream in ("false", "true"):
    for c in (1, 64):
        row = []
        for name in names:
            v = sc.get((name, stream, c))
            row.append("%s %5.1f / %4.1f / %4.2f" % (name, *v) if v else "%s -" % name)
        print("  %-10s c=%-3d  %s" % (kind(stream), c, "   ".join(row)))
print("resident memory after the load: %s (nginx: master + worker)" % ", ".join(
    "%s %.1f MiB" % (name, rss.get(name, 0) / 1024) for name in names))
print("resident memory 3 s later, without requests: %s" % ", ".join(
    "%s %.1f MiB" % (name, rss_quiet.get(name, 0) / 1024) for name in names))
print()


def missed(cells, field):
    """A line per cell that missed the goal on `field` (0: throughput, higher is better; 3: CPU,
    lower is better): how far, whether some rounds met it, what the floor did there."""
    for stream, c, r in cells:
        reach = r[1] <= 1.0 if field == 3 else r[2] >= 1.0
        line = "  missed: %-15s %s: %s" % ("%s c=%d" % (kind(stream), c), fmt(r), (
            "some rounds met it (the spread straddles 1.00x: within the noise)" if reach
            else "no round met it"))
        if med("floor", stream, c) and med("nginx", stream, c):
            line += "; the floor: %.2fx" % ratio("floor", "nginx", field, stream, c)[0]
        print(line)


print("goal: throughput >= nginx in every cell (medians): %s, %d of %d cells" % (
    "MET" if tput_cells and tput_met == tput_cells else "MISSED", tput_met, tput_cells))
missed(tput_missed, 0)
print("goal: CPU per stream <= nginx's in every cell (medians): %s, %d of %d stream cells" % (
    "MET" if cpu_cells and cpu_met == cpu_cells else "MISSED", cpu_met, cpu_cells))
missed(cpu_missed, 3)
PY
