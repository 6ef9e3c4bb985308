#!/usr/bin/env bash
# Benchmark of the serve proxies (issue 7): the same load straight to the fake upstream ("direct"),
# through the Python proxy (templates/serve/proxy.py) and through the native one (mgpux-proxy), in
# one run. Latency p50/p99, requests (streams) per second and time to first byte at concurrency
# 1, 16 and 64, for non-stream and stream chat completions (the upstream answers 20 tokens with no
# delay between them); then 512 connections opened at once against each proxy, each sending one
# request (only 200 and 429 are acceptable), with each proxy's peak resident memory during that
# test; then the issue's targets, each with the native proxy's measured value and MET or MISSED.
#
# Both proxies run pinned to the same core of their own (taskset, when there are 2+ cores; the
# native one then gets --threads 1, as the Python one has one event loop); the fake upstream and
# the load generator (/usr/bin/python3, asyncio, raw HTTP/1.1 keep-alive sockets, one connection
# per concurrent client) share the other cores. Loopback only; every step is bounded in time.
#
# The native proxy is $MGPUX_PROXY, else build/release/bin/mgpux-proxy. When it is missing or
# does not start (a placeholder build), its columns read "n/a" and the run goes on.
#
# The original tool's proxy, measured this way on this kind of machine: +1.5 ms p50 at
# concurrency 1 (+2.4 ms for streams); at concurrency 64 about 4 % (10 % for streams) of direct
# throughput; 503 for everything once 300 connections were open.
#
#   tests/bench/proxy.sh [seconds per cell=3] [max_inflight=64]
set -euo pipefail
native="${MGPUX_PROXY:-}"
[ -z "$native" ] || native="$(realpath -m "$native")"  # before the cd: relative to where we were
cd "$(dirname "$0")/../.."
secs="${1:-3}"
inflight="${2:-64}"
py=/usr/bin/python3
native="${native:-build/release/bin/mgpux-proxy}"

tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
# 512 client sockets here, as many in each proxy: the soft limit may be lower than that
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

ncpu="$(nproc)"
pin_proxy=() pin_rest=() native_threads=()
if command -v taskset >/dev/null && [ "$ncpu" -ge 2 ]; then
  pin_proxy=(taskset -c "$((ncpu - 1))")
  pin_rest=(taskset -c "0-$((ncpu - 2))")
  native_threads=(--threads 1)
fi

key="sk-mgpux-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '[{"name": "bench", "key": "%s", "created": "2025-01-01T00:00:00", "active": true}]\n' "$key" >"$tmp/keys.json"
chmod 600 "$tmp/keys.json"

# wait_ready NAME PID: the first line of $tmp/NAME.out once there; fails (without exiting) when
# the process ends first or nothing comes within 10 s
wait_ready() {
  for _ in $(seq 200); do
    [ -s "$tmp/$1.out" ] && { head -n1 "$tmp/$1.out"; return 0; }
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

"${pin_rest[@]}" "$py" tests/support/fake_upstream.py --port 0 --tokens 20 >"$tmp/up.out" 2>"$tmp/up.err" &
up_pid=$!
pids+=("$up_pid")
up_line="$(wait_ready up "$up_pid")" || { echo "the fake upstream did not start:" >&2; cat "$tmp/up.err" >&2; exit 1; }
up_port="$(awk '{print $2}' <<<"$up_line")"
proxy_args=(--upstream "http://127.0.0.1:$up_port" --port 0 --max-inflight "$inflight" --keys-file "$tmp/keys.json")

"${pin_proxy[@]}" "$py" templates/serve/proxy.py "${proxy_args[@]}" >"$tmp/python.out" 2>"$tmp/python.err" &
py_pid=$!
pids+=("$py_pid")
py_line="$(wait_ready python "$py_pid")" || { echo "the Python proxy did not start:" >&2; cat "$tmp/python.err" >&2; exit 1; }
py_port="${py_line##*:}"

native_port=0 native_pid=0 native_note=""
if [ ! -x "$native" ]; then
  native_note="$native not found (build it, or set MGPUX_PROXY)"
else
  "${pin_proxy[@]}" "$native" "${proxy_args[@]}" "${native_threads[@]}" >"$tmp/native.out" 2>"$tmp/native.err" &
  native_pid=$!
  pids+=("$native_pid")
  if native_line="$(wait_ready native "$native_pid")" && [[ "$native_line" == "[m-gpux] READY http://"* ]]; then
    native_port="${native_line##*:}"
  else
    native_note="$native did not start: $(head -c 300 "$tmp/native.err" | tr '\n' ' ')"
    kill "$native_pid" 2>/dev/null || true
    native_pid=0
  fi
fi

echo "machine: $ncpu cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "proxies pinned: ${pin_proxy[*]:-no}${native_threads[*]:+ (native: ${native_threads[*]})}; upstream+load: ${pin_rest[*]:-no}"
echo "${secs}s per cell; max_inflight $inflight"
echo "python proxy: templates/serve/proxy.py"
if [ "$native_port" != 0 ]; then
  echo "native proxy: $native ($("$native" --version 2>/dev/null | head -n1 || true))"
else
  echo "native: not available: $native_note"
fi
echo

# 18 cells of secs + warm-up (each cut off 30 s after its end) and four 512-connection tests (60 s)
bound=$((18 * (secs + 31) + 4 * 65 + 30))
rc=0
"${pin_rest[@]}" timeout "$bound" "$py" - "$up_port" "$py_port" "$native_port" "$py_pid" "$native_pid" \
  "$key" "$secs" "$inflight" <<'PY' || rc=$?
import asyncio, json, sys, time

UP, PY_PORT, NATIVE_PORT, PY_PID, NATIVE_PID = map(int, sys.argv[1:6])
KEY, SECS, INFLIGHT = sys.argv[6], float(sys.argv[7]), int(sys.argv[8])
TARGETS = [("direct", UP, False), ("python", PY_PORT, True), ("native", NATIVE_PORT, True)]
CONCURRENCY = (1, 16, 64)


def request(stream, port, auth):
    body = json.dumps({"model": "fake-model", "stream": stream,
                       "messages": [{"role": "user", "content": "Say twenty words."}]}).encode()
    head = ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n" % (port, len(body)))
    if auth:
        head += "Authorization: Bearer %s\r\n" % KEY
    return (head + "\r\n").encode() + body


async def read_response(reader, t0):
    """-> (status, ttfb_s, body, closing); ttfb = the first body byte (a stream's first chunk)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    hdrs = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        hdrs[k.strip().lower()] = v.strip()
    ttfb = None
    if b"content-length" in hdrs:
        n = int(hdrs[b"content-length"])
        first = await reader.read(1) if n else b""
        ttfb = time.perf_counter() - t0
        body = first + (await reader.readexactly(n - len(first)) if n > 1 else b"")
    else:  # chunked
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if ttfb is None:
                ttfb = time.perf_counter() - t0
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    return status, ttfb, body, hdrs.get(b"connection", b"").lower() == b"close"


ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError)


async def worker(port, payload, until, lat, ttfbs, codes):
    conn = None
    try:
        while time.perf_counter() < until:
            try:
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", port)
                t0 = time.perf_counter()
                conn[1].write(payload)
                status, ttfb, _, close = await read_response(conn[0], t0)
            except ERRORS as exc:  # counted, then a new connection
                codes[type(exc).__name__] = codes.get(type(exc).__name__, 0) + 1
                if conn:
                    conn[1].close()
                conn = None
                await asyncio.sleep(0.01)
                continue
            lat.append(time.perf_counter() - t0)
            ttfbs.append(ttfb)
            codes[status] = codes.get(status, 0) + 1
            if close:
                conn[1].close()
                conn = None
    finally:
        if conn:
            conn[1].close()


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else None


async def cell(port, auth, stream, conc):
    """One measured window (after a 0.3 s warm-up); cut off 30 s after its end if it hangs."""
    payload = request(stream, port, auth)
    lat, ttfbs, codes = [], [], {}
    try:
        warm = time.perf_counter() + 0.3
        await asyncio.wait_for(asyncio.gather(
            *(worker(port, payload, warm, [], [], {}) for _ in range(conc))), 30)
        t0 = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(
            *(worker(port, payload, t0 + SECS, lat, ttfbs, codes) for _ in range(conc))), SECS + 30)
    except asyncio.TimeoutError:
        codes["hung"] = conc
        t0 = time.perf_counter() - SECS - 30
    wall = time.perf_counter() - t0
    return {"p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "rps": codes.get(200, 0) / wall,
            "ttfb": pct(ttfbs, 0.5), "codes": codes}


def vm(pid, field):
    """VmHWM / VmRSS of a process in MB, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return None


def reset_peak(pid):
    """Starts a new VmHWM for the process (Linux: 5 > clear_refs); False when not allowed."""
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


async def many_connections(port, pid, n, stream):
    """n connections opened at once, one request each -> (statuses, wall s, peak RSS MB, how)."""
    payload = request(stream, port, True)
    how = "VmHWM" if reset_peak(pid) else "VmHWM since start"
    codes = {}

    async def connect():
        try:
            return await asyncio.open_connection("127.0.0.1", port)
        except OSError as exc:
            return "connect: " + type(exc).__name__

    async def one(conn):
        if isinstance(conn, str):
            return conn
        reader, writer = conn
        try:
            writer.write(payload)
            return (await read_response(reader, time.perf_counter()))[0]
        except ERRORS as exc:
            return type(exc).__name__
        finally:
            writer.close()

    t0 = time.perf_counter()
    # every connection is open (or refused) before the first request is sent
    conns = await asyncio.wait_for(asyncio.gather(*(connect() for _ in range(n))), 30)
    tasks = [asyncio.ensure_future(one(c)) for c in conns]
    done, pending = await asyncio.wait(tasks, timeout=60)
    for t in pending:
        t.cancel()
        codes["no answer in 60 s"] = codes.get("no answer in 60 s", 0) + 1
    for t in done:
        codes[t.result()] = codes.get(t.result(), 0) + 1
    return codes, time.perf_counter() - t0, vm(pid, "VmHWM"), how


def fmt(x, spec="%.2f"):
    return "n/a" if x is None else spec % x


def statuses(codes):
    return ", ".join("%s: %d" % kv for kv in sorted(codes.items(), key=str)) or "-"


def table(stream, results):
    name = "stream" if stream else "non-stream"
    print("### %s chat completions (20 tokens)" % name)
    print()
    print("| conc | metric | direct | python | native |")
    print("|--:|---|--:|--:|--:|")
    for conc in CONCURRENCY:
        cells = [results.get((t, stream, conc)) for t, _, _ in TARGETS]
        d = cells[0]

        def row(metric, value):
            print("| %d | %s | %s |" % (conc, metric, " | ".join(value(c) if c else "n/a" for c in cells)))

        row("p50 ms", lambda c: fmt(c["p50"]))
        row("p99 ms", lambda c: fmt(c["p99"]))
        row("req/s" if not stream else "streams/s", lambda c: "%.0f" % c["rps"])
        row("TTFB p50 ms", lambda c: fmt(c["ttfb"]))
        row("added p50 ms", lambda c: "-" if c is d else fmt(added(c, d, "p50"), "%+.2f"))
        row("share of direct", lambda c: "%.0f %%" % share(c, d) if share(c, d) is not None else "n/a")
        row("statuses", lambda c: statuses(c["codes"]))
    print()


def added(c, d, key):
    return None if c is None or c[key] is None or d[key] is None else c[key] - d[key]


def share(c, d):
    return None if c is None or not d["rps"] else 100.0 * c["rps"] / d["rps"]


def verdict(value, ok):
    return "n/a (native not available)" if value is None else ("MET" if ok(value) else "MISSED")


def summary(results, many):
    def r(name, stream, conc):
        return results.get((name, stream, conc))

    def d(stream, conc):
        return r("direct", stream, conc)

    rows = []
    for stream, limit in ((False, 0.75), (True, 1.2)):
        kind = "stream" if stream else "non-stream"
        nat, pyv = (added(r(p, stream, 1), d(stream, 1), "p50") for p in ("native", "python"))
        rows.append(("added p50 at c=1, %s < %.2f ms" % (kind, limit), fmt(nat, "%+.2f ms"),
                     fmt(pyv, "%+.2f ms"), verdict(nat, lambda v: v < limit)))
    for stream, floor in ((False, 20.0), (True, 50.0)):
        kind = "stream" if stream else "non-stream"
        nat, pyv = (share(r(p, stream, 64), d(stream, 64)) for p in ("native", "python"))
        rows.append(("c=64 share of direct, %s >= %.0f %%" % (kind, floor), fmt(nat, "%.0f %%"),
                     fmt(pyv, "%.0f %%"), verdict(nat, lambda v: v >= floor)))
        rows.append(("  (moonshot) c=64 share of direct, %s >= 90 %%" % kind, fmt(nat, "%.0f %%"),
                     fmt(pyv, "%.0f %%"), verdict(nat, lambda v: v >= 90.0)))

    def bad(codes):
        return sum(v for k, v in codes.items() if k not in (200, 429))

    def conn_cell(name):
        got = [many.get((name, s)) for s in (False, True)]
        if None in got:
            return None, "n/a"
        return (sum(bad(g[0]) for g in got),
                " / ".join(statuses(g[0]) for g in got))

    nat_bad, nat_text = conn_cell("native")
    _, py_text = conn_cell("python")
    rows.append(("512 connections, non-stream / stream: no 503 (nor other error or reset)", nat_text,
                 py_text, verdict(nat_bad, lambda v: v == 0)))
    peaks = [many[("native", s)][2] for s in (False, True) if ("native", s) in many]
    peak = max(peaks) if peaks and None not in peaks else None
    py_peaks = [many[("python", s)][2] for s in (False, True) if ("python", s) in many]
    rows.append(("peak RSS during the 512-connection tests < 32 MB", fmt(peak, "%.1f MB"),
                 fmt(max(py_peaks) if py_peaks and None not in py_peaks else None, "%.1f MB"),
                 verdict(peak, lambda v: v < 32.0)))
    nat, pyv = (added(r(p, True, 1), d(True, 1), "ttfb") for p in ("native", "python"))
    rows.append(("stream TTFB p50 at c=1 within 0.5 ms of direct", fmt(nat, "%+.2f ms"),
                 fmt(pyv, "%+.2f ms"), verdict(nat, lambda v: v <= 0.5)))
    print("### targets (issue 7): the native proxy's figures, the Python proxy's for comparison")
    print()
    print("| target | native | python | native verdict |")
    print("|---|--:|--:|---|")
    for row in rows:
        print("| %s | %s | %s | %s |" % row)


async def main():
    results = {}
    for stream in (False, True):
        for conc in CONCURRENCY:
            for name, port, auth in TARGETS:
                if port:
                    results[(name, stream, conc)] = await cell(port, auth, stream, conc)
    for stream in (False, True):
        table(stream, results)
    many = {}
    print("### 512 connections opened at once, one request each (max_inflight %d)" % INFLIGHT)
    print()
    print("| kind | proxy | statuses | wall s | verdict | peak RSS MB |")
    print("|---|---|---|--:|---|--:|")
    for stream in (False, True):
        for name, port, pid in (("python", PY_PORT, PY_PID), ("native", NATIVE_PORT, NATIVE_PID)):
            kind = "stream" if stream else "non-stream"
            if not port:
                print("| %s | %s | n/a | n/a | native: not available | n/a |" % (kind, name))
                continue
            codes, wall, peak, how = await many_connections(port, pid, 512, stream)
            many[(name, stream)] = (codes, wall, peak)
            bad = sum(v for k, v in codes.items() if k not in (200, 429))
            print("| %s | %s | %s | %.2f | %s | %s (%s) |" % (
                kind, name, statuses(codes), wall, "OK (only 200/429)" if not bad else "FAIL",
                fmt(peak, "%.1f"), how))
    print()
    summary(results, many)


asyncio.run(main())
PY
[ "$rc" = 0 ] || echo "WARNING: the load generator failed (exit $rc; 124: cut off after $bound s)"

stats() {  # name port
  echo "$1 proxy /stats after the run:"
  curl -s -m 10 -H "Authorization: Bearer $key" "http://127.0.0.1:$2/stats" | "$py" -c '
import json, sys
d = json.load(sys.stdin)
print({k: d.get(k) for k in ("total_requests", "total_success", "total_errors_4xx", "total_errors_5xx",
                              "rejected_429", "peak_inflight", "latency_p50_ms", "latency_p99_ms", "ttfb_p50_ms")})' ||
    echo "  (no answer)"
}
echo
stats python "$py_port"
if [ "$native_port" != 0 ]; then
  stats native "$native_port"
  echo "native proxy VmHWM over the whole run: $(awk '/VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$native_pid/status")"
fi
for name in up:"$up_pid" python:"$py_pid" native:"$native_pid"; do
  [ "${name#*:}" = 0 ] || kill -0 "${name#*:}" 2>/dev/null ||
    { echo "WARNING: the ${name%%:*} process died during the run; its stderr:"; tail -n 20 "$tmp/${name%%:*}.err"; }
done
