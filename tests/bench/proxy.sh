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
# 16, 64 and 256, for non-stream and stream chat completions; CPU time per request (utime+stime of
# the proxy's processes over the cell, from /proc/PID/stat, divided by the requests wrk completed);
# resident memory after the load; system calls per stream (strace -c -f attached to the proxy
# while 200 streams run one after another). Then the table of ratios (native / nginx) and the goals:
# at least nginx's throughput in every cell, CPU per stream no more than nginx's.
#
# The proxy under test runs pinned to the last core (the native one with --threads 1, nginx with
# one worker); the fake upstream and wrk share the others. With one core nothing is pinned.
#
#   tests/bench/proxy.sh [seconds per cell=3] [--soak SECONDS]
#
# --soak SECONDS: instead of the table, stream load (64 connections) through the native proxy for
# that long, its resident memory sampled every 10 s; says whether it levelled off (the last half
# of the run grew by under 5 %). A 10-minute soak is `--soak 600`.
#
# The native proxy is $MGPUX_PROXY, else build/release/bin/mgpux-proxy.
set -euo pipefail
native="${MGPUX_PROXY:-}"
[ -z "$native" ] || native="$(realpath -m "$native")"  # before the cd: relative to where we were
cd "$(dirname "$0")/../.."
secs=3 soak=0
while [ $# -gt 0 ]; do
  case "$1" in
    --soak) soak="${2:?--soak needs seconds}"; shift 2 ;;
    *) secs="$1"; shift ;;
  esac
done
py=/usr/bin/python3
native="${native:-build/release/bin/mgpux-proxy}"
for tool in wrk nginx strace; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "needs $tool (Debian: wrk, nginx-light, strace)" >&2; exit 4; }
done
[ -x "$native" ] || { echo "$native not found: build it, or set MGPUX_PROXY" >&2; exit 4; }
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
start_native() {
  proxy_port="$(free_port)"
  "${pin_proxy[@]}" "$native" --upstream "http://127.0.0.1:$up_port" --port "$proxy_port" --max-inflight 1024 \
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

cpu_ticks() {  # utime + stime of the given processes, in clock ticks
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
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
  before="$(cpu_ticks "${proxy_pids[@]}")"
  out="$("${pin_rest[@]}" timeout $((secs + 30)) wrk -t1 -c"$c" -d"${secs}s" --latency -s "$tmp/$stream.lua" \
    "http://127.0.0.1:$proxy_port/v1/chat/completions" 2>&1)" || true
  after="$(cpu_ticks "${proxy_pids[@]}")"
  awk -v name="$name" -v stream="$stream" -v c="$c" -v ticks=$((after - before)) -v hz="$hz" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /requests in/ { reqs = $1 }
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx/ { errors = $NF }
    END { printf "%s %s %d %.0f %.2f %.2f %.1f %d\n", name, stream, c, rps, p50, p99,
                 reqs ? ticks / hz * 1e6 / reqs : 0, errors + 0 }' <<<"$out" >>"$tmp/cells"
}

# syscalls NAME: system calls per stream, 200 streams one after another under strace -c -f
syscalls() {
  local name=$1 target=${proxy_pids[-1]} spid
  strace -f -c -p "$target" -o "$tmp/$name.strace" 2>/dev/null &
  spid=$!
  sleep 0.5
  "${pin_rest[@]}" "$py" - "$proxy_port" "$key" <<'PY'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
body = json.dumps({"model": "fake-model", "messages": [], "stream": True})
for _ in range(200):
    c.request("POST", "/v1/chat/completions", body, {"Authorization": "Bearer " + sys.argv[2],
                                                     "Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 200 and r.read().endswith(b"data: [DONE]\n\n")
PY
  kill -INT "$spid"
  wait "$spid" 2>/dev/null || true
  awk -v name="$name" '/total$/ {printf "%s %.1f\n", name, $4 / 200}
    $NF ~ /^(sendmsg|writev|write|sendto|sendfile)$/ {w += $4}
    END {printf "%s-writes %.1f\n", name, w / 200}' "$tmp/$name.strace" >>"$tmp/syscalls"
}

soak_run() {
  start_native
  echo "soak: stream load, 64 connections, ${soak}s, native proxy"
  "${pin_rest[@]}" wrk -t1 -c64 -d"${soak}s" -s "$tmp/true.lua" "http://127.0.0.1:$proxy_port/v1/chat/completions" \
    >"$tmp/soak.wrk" 2>&1 &
  local wpid=$! samples=() t=0
  while kill -0 "$wpid" 2>/dev/null; do
    samples+=("$(rss_kib "${proxy_pids[@]}")")
    printf 't=%4ds  RSS %6.1f MiB\n' "$t" "$(awk -v k="${samples[-1]}" 'BEGIN {print k / 1024}')"
    sleep 10
    t=$((t + 10))
  done
  wait "$wpid" || true
  grep -E "requests in|Non-2xx" "$tmp/soak.wrk" || true
  printf '%s\n' "${samples[@]}" | awk '{v[NR] = $1} END {
    half = int(NR / 2); if (half < 1) { print "too short to judge"; exit }
    growth = (v[NR] - v[half]) / v[half] * 100
    printf "memory: %.1f MiB at the middle, %.1f MiB at the end (%+.1f %%): %s\n", v[half] / 1024, v[NR] / 1024,
           growth, growth < 5 ? "LEVELLED OFF" : "STILL GROWING" }'
  stop_proxy
}

echo "machine: $ncpu cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "proxy pinned: ${pin_proxy[*]:-no} (native --threads 1, nginx 1 worker); upstream+wrk: ${pin_rest[*]:-no}"
echo "native: $native ($("$native" --version | head -n1)); nginx: $("$nginx_bin" -v 2>&1 | head -n1)"
echo
if [ "$soak" != 0 ]; then
  soak_run
  exit 0
fi

: >"$tmp/cells"
: >"$tmp/syscalls"
for name in native nginx; do
  "start_$name"
  for stream in false true; do
    for c in 1 16 64 256; do cell "$name" "$stream" "$c"; done
  done
  echo "$name $(rss_kib "${proxy_pids[@]}")" >>"$tmp/rss"
  syscalls "$name"
  stop_proxy
done

"$py" - "$tmp/cells" "$tmp/syscalls" "$tmp/rss" <<'PY'
import sys
cells = {}
for line in open(sys.argv[1]):
    name, stream, c, rps, p50, p99, cpu, err = line.split()
    cells[(name, stream, int(c))] = (float(rps), float(p50), float(p99), float(cpu), int(err))
sc = dict((l.split()[0], float(l.split()[1])) for l in open(sys.argv[2]))
rss = dict((l.split()[0], int(l.split()[1])) for l in open(sys.argv[3]))
print("%-10s %4s | %9s %9s %6s | %7s %7s | %7s %7s | %8s %8s %6s | %s" % (
    "kind", "c", "native/s", "nginx/s", "ratio", "p50 n", "p50 x", "p99 n", "p99 x",
    "cpu n us", "cpu x us", "ratio", "errors n/x"))
tput_ok, cpu_ok = True, True
for stream in ("false", "true"):
    for c in (1, 16, 64, 256):
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
print("system calls per 20-token stream: native %.1f (%.1f writes), nginx %.1f (%.1f writes)" % (
    sc.get("native", 0), sc.get("native-writes", 0), sc.get("nginx", 0), sc.get("nginx-writes", 0)))
print("resident memory after the load: native %.1f MiB, nginx %.1f MiB (master + worker)" % (
    rss.get("native", 0) / 1024, rss.get("nginx", 0) / 1024))
print()
print("goal: throughput >= nginx in every cell: %s" % ("MET" if tput_ok else "MISSED"))
print("goal: CPU per stream <= nginx's in every cell: %s" % ("MET" if cpu_ok else "MISSED"))
PY
