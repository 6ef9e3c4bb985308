#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The serve proxy (mgpux-proxy) measured side by side with nginx, in one run, so that every figure
# is a ratio to nginx on the same machine at the same moment.
#
# nginx (Debian's nginx-light) is configured as the proxy's peer: a keep-alive `proxy_pass` to the
# same fake upstream (tests/support/fake_upstream.py, 20 tokens, no delay between them), the same
# Bearer check (401 without a key, 403 for another), unbuffered so that streams are relayed as they
# come. The load generator is wrk (Debian's `wrk`), one connection per concurrent client.
#
# For each proxy, one after the other: requests per second and latency p50/p99 at concurrency 1,
# 16, 64 and 256, for non-stream and stream chat completions; CPU time per request (the proxy's
# processes' CPU time over the cell, from /proc/PID/task/*/schedstat, divided by the requests wrk
# completed);
# resident memory after the load; system calls per request at concurrency 1 and 64 (strace -c -f
# attached to the proxy during a further wrk run of each kind, divided by the requests it
# completed). Then the table of ratios (native / nginx) and the goals: at least nginx's throughput
# in every cell, CPU per stream no more than nginx's. CPU time and system calls per request hardly
# depend on what else the machine is doing, unlike requests per second: on a busy machine, judge
# by those.
#
# The proxy under test runs pinned to the last core (the native one with --threads 1, nginx with
# one worker); the fake upstream and wrk share the others. With one core nothing is pinned.
#
#   tests/bench/proxy.sh [seconds per cell=3] [--baseline PROXY] [--concurrency "1 16 64 256"]
#                        [--soak SECONDS]
#
# --concurrency LIST: the concurrency of each cell (a quicker check: --concurrency "1 64").
#
# --baseline PROXY: another mgpux-proxy binary (an earlier build) measured in the same run, as a
# third column, so that a change is judged before/after on the same machine at the same moment.
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
secs=3 soak=0 baseline= levels="1 16 64 256"
while [ $# -gt 0 ]; do
  case "$1" in
    --soak) soak="${2:?--soak needs seconds}"; shift 2 ;;
    --baseline) baseline="$(realpath -m "${2:?--baseline needs a proxy binary}")"; shift 2 ;;
    --concurrency) levels="${2:?--concurrency needs a list such as \"1 64\"}"; shift 2 ;;
    *) secs="$1"; shift ;;
  esac
done
py=/usr/bin/python3
native="${native:-build/release/bin/mgpux-proxy}"
for tool in wrk nginx strace; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "needs $tool (Debian: wrk, nginx-light, strace)" >&2; exit 4; }
done
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

up_port="$(free_port)"
"${pin_rest[@]}" "$py" tests/support/fake_upstream.py --port "$up_port" --tokens 20 >"$tmp/up.out" 2>"$tmp/up.err" &
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

# The proxies. Each start_* sets proxy_port and proxy_pids (the processes whose CPU is counted).
start_native() { start_mgpux "$native"; }
start_baseline() { start_mgpux "$baseline"; }

start_mgpux() {
  proxy_port="$(free_port)"
  "${pin_proxy[@]}" "$1" --upstream "http://127.0.0.1:$up_port" --port "$proxy_port" --max-inflight 1024 \
    --keys-file "$tmp/keys.json" --threads 1 >"$tmp/native.out" 2>"$tmp/native.err" &
  local pid=$!
  pids+=("$pid")
  wait_port "$proxy_port" "$pid" || { echo "the native proxy did not start:" >&2; cat "$tmp/native.err" >&2; exit 1; }
  proxy_pids=("$pid")
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
  proxy_pids=("$pid" $(pgrep -P "$pid"))
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

# cell NAME STREAM CONCURRENCY: one wrk run; appends "name stream c rps p50 p99 us_cpu_per_req errors"
cell() {
  local name=$1 stream=$2 c=$3 before after out
  "${pin_rest[@]}" wrk -t1 -c"$c" -d1s -s "$tmp/$stream.lua" "http://127.0.0.1:$proxy_port/v1/chat/completions" \
    >/dev/null 2>&1 || true  # warm-up
  before="$(cpu_ns "${proxy_pids[@]}")"
  out="$("${pin_rest[@]}" timeout $((secs + 30)) wrk -t1 -c"$c" -d"${secs}s" --latency -s "$tmp/$stream.lua" \
    "http://127.0.0.1:$proxy_port/v1/chat/completions" 2>&1)" || true
  after="$(cpu_ns "${proxy_pids[@]}")"
  awk -v name="$name" -v stream="$stream" -v c="$c" -v ns=$((after - before)) '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /requests in/ { reqs = $1 }
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx/ { errors = $NF }
    END { printf "%s %s %d %.0f %.2f %.2f %.1f %d\n", name, stream, c, rps, p50, p99,
                 reqs ? ns / 1e3 / reqs : 0, errors + 0 }' <<<"$out" >>"$tmp/cells"
}

# syscalls NAME STREAM CONCURRENCY: system calls per request, strace -c -f attached to the proxy
# (nginx: its worker) during a 2 s wrk run; appends "name stream c calls writes timer_settings"
syscalls() {
  local name=$1 stream=$2 c=$3 target=${proxy_pids[-1]} spid out
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
echo "proxy pinned: ${pin_proxy[*]:-no} (native --threads 1, nginx 1 worker); upstream+wrk: ${pin_rest[*]:-no}"
echo "native: $native ($("$native" --version | head -n1)); nginx: $("$nginx_bin" -v 2>&1 | head -n1)"
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
for name in "${names[@]}"; do
  "start_$name"
  for stream in false true; do
    for c in $levels; do cell "$name" "$stream" "$c"; done
  done
  echo "$name $(rss_kib "${proxy_pids[@]}")" >>"$tmp/rss"
  for stream in false true; do
    for c in 1 64; do syscalls "$name" "$stream" "$c"; done
  done
  stop_proxy
done

"$py" - "$tmp/cells" "$tmp/syscalls" "$tmp/rss" <<'PY'
import sys
cells = {}
for line in open(sys.argv[1]):
    name, stream, c, rps, p50, p99, cpu, err = line.split()
    cells[(name, stream, int(c))] = (float(rps), float(p50), float(p99), float(cpu), int(err))
sc = {}
for line in open(sys.argv[2]):
    name, stream, c, calls, writes, timers = line.split()
    sc[(name, stream, int(c))] = (float(calls), float(writes), float(timers))
rss = dict((l.split()[0], int(l.split()[1])) for l in open(sys.argv[3]))
names = ["native"] + (["baseline"] if any(k[0] == "baseline" for k in cells) else []) + ["nginx"]
print("%-10s %4s | %9s %9s %6s | %7s %7s | %7s %7s | %8s %8s %6s | %s" % (
    "kind", "c", "native/s", "nginx/s", "ratio", "p50 n", "p50 x", "p99 n", "p99 x",
    "cpu n us", "cpu x us", "ratio", "errors n/x"))
tput_ok, cpu_ok = True, True
for stream in ("false", "true"):
    for c in sorted({k[2] for k in cells}):
        n, x = cells.get(("native", stream, c)), cells.get(("nginx", stream, c))
        if not n or not x:
            continue
        ratio = n[0] / x[0] if x[0] else 0
        cratio = n[3] / x[3] if x[3] else 0
        tput_ok &= ratio >= 1.0
        if stream == "true":
            cpu_ok &= cratio <= 1.0
        print("%-10s %4d | %9.0f %9.0f %5.2fx | %7.2f %7.2f | %7.2f %7.2f | %8.1f %8.1f %5.2fx | %d/%d" % (
            "stream" if stream == "true" else "non-stream", c, n[0], x[0], ratio, n[1], x[1], n[2], x[2],
            n[3], x[3], cratio, n[4], x[4]))
print()
if "baseline" in names:
    print("CPU per request, native (this build) against the baseline, same run:")
    for stream in ("false", "true"):
        for c in sorted({k[2] for k in cells}):
            n, b = cells.get(("native", stream, c)), cells.get(("baseline", stream, c))
            if n and b:
                print("  %-10s c=%-3d  native %7.1f us  baseline %7.1f us  %5.2fx  (nginx %.1f us)" % (
                    "stream" if stream == "true" else "non-stream", c, n[3], b[3], n[3] / b[3] if b[3] else 0,
                    cells.get(("nginx", stream, c), (0, 0, 0, 0))[3]))
    print()
print("system calls per request (strace -c, 2 s of wrk; a stream is 20 tokens): total / writes / timerfd_settime")
for stream in ("false", "true"):
    for c in (1, 64):
        row = []
        for name in names:
            v = sc.get((name, stream, c))
            row.append("%s %5.1f / %4.1f / %4.2f" % (name, *v) if v else "%s -" % name)
        print("  %-10s c=%-3d  %s" % ("stream" if stream == "true" else "non-stream", c, "   ".join(row)))
print("resident memory after the load: %s (nginx: master + worker)" % ", ".join(
    "%s %.1f MiB" % (name, rss.get(name, 0) / 1024) for name in names))
print()
print("goal: throughput >= nginx in every cell: %s" % ("MET" if tput_ok else "MISSED"))
print("goal: CPU per stream <= nginx's in every cell: %s" % ("MET" if cpu_ok else "MISSED"))
PY
