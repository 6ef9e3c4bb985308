#!/usr/bin/env bash
# Benchmark of the serve proxy (templates/serve/proxy.py; issue: serve): latency p50/p99,
# requests (streams) per second and time to first byte, straight to the fake upstream and through
# the proxy, at concurrency 1, 16 and 64, for non-stream and stream chat completions (the
# upstream answers 20 tokens with no delay between them). Then 512 connections opened at once
# against the proxy, each sending one request: only 200 and 429 are acceptable, never 503.
#
# The proxy runs pinned to a core of its own (taskset, when there are 2+ cores); the fake
# upstream and the load generator (/usr/bin/python3, asyncio, raw HTTP/1.1 keep-alive sockets,
# one connection per concurrent client) share the other cores. Loopback only; every run is
# bounded in time.
#
# The original tool's proxy, measured this way on this kind of machine: +1.5 ms p50 at
# concurrency 1 (+2.4 ms for streams); at concurrency 64 about 500 requests/s or 300 streams/s,
# 110-160 ms added p50; 503 for everything once 300 connections were open.
#
#   tests/bench/proxy.sh [seconds per cell=3] [max_inflight=64]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-3}"
inflight="${2:-64}"
py=/usr/bin/python3

tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

ncpu="$(nproc)"
pin_proxy=() pin_rest=()
if command -v taskset >/dev/null && [ "$ncpu" -ge 2 ]; then
  pin_proxy=(taskset -c "$((ncpu - 1))")
  pin_rest=(taskset -c "0-$((ncpu - 2))")
fi

key="sk-mgpux-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '[{"name": "bench", "key": "%s", "created": "2025-01-01T00:00:00", "active": true}]\n' "$key" >"$tmp/keys.json"
chmod 600 "$tmp/keys.json"

wait_line() {  # file -> first line, once there
  for _ in $(seq 200); do
    [ -s "$1" ] && { head -n1 "$1"; return 0; }
    sleep 0.05
  done
  echo "server did not start: $1" >&2; cat "${1%.out}.err" >&2 || true; exit 1
}

"${pin_rest[@]}" "$py" tests/support/fake_upstream.py --port 0 --tokens 20 >"$tmp/up.out" 2>"$tmp/up.err" &
pids+=($!)
up_port="$(wait_line "$tmp/up.out" | awk '{print $2}')"
"${pin_proxy[@]}" "$py" templates/serve/proxy.py --upstream "http://127.0.0.1:$up_port" --port 0 \
  --max-inflight "$inflight" --keys-file "$tmp/keys.json" >"$tmp/px.out" 2>"$tmp/px.err" &
pids+=($!)
proxy_url="$(wait_line "$tmp/px.out" | awk '{print $NF}')"
proxy_port="${proxy_url##*:}"

echo "machine: $ncpu cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "proxy pinned: ${pin_proxy[*]:-no}; upstream+load: ${pin_rest[*]:-no}; ${secs}s per cell; max_inflight $inflight"
echo

"${pin_rest[@]}" "$py" - "$up_port" "$proxy_port" "$key" "$secs" <<'PY'
import asyncio, json, sys, time

UP, PX, KEY, SECS = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])


def request(stream, port, auth):
    body = json.dumps({"model": "fake-model", "stream": stream,
                       "messages": [{"role": "user", "content": "Say twenty words."}]}).encode()
    head = ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n" % (port, len(body)))
    if auth:
        head += "Authorization: Bearer %s\r\n" % KEY
    return (head + "\r\n").encode() + body


async def read_response(reader, t0):
    """-> (status, ttfb_s, body); ttfb = first body byte."""
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


async def worker(port, payload, until, lat, ttfbs, codes):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            writer.write(payload)
            status, ttfb, _, close = await read_response(reader, t0)
            lat.append(time.perf_counter() - t0)
            ttfbs.append(ttfb)
            codes[status] = codes.get(status, 0) + 1
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")


async def cell(port, auth, stream, conc):
    payload = request(stream, port, auth)
    # warm-up, then the measured window
    await asyncio.gather(*(worker(port, payload, time.perf_counter() + 0.3, [], [], {}) for _ in range(conc)))
    lat, ttfbs, codes = [], [], {}
    t0 = time.perf_counter()
    await asyncio.gather(*(worker(port, payload, t0 + SECS, lat, ttfbs, codes) for _ in range(conc)))
    wall = time.perf_counter() - t0
    ok = codes.get(200, 0)
    return {"p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "rps": ok / wall,
            "ttfb": pct(ttfbs, 0.5), "codes": codes}


async def many_connections(port, n, stream):
    payload = request(stream, port, True)
    conns = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(n)))
    codes = {}

    async def one(rw):
        reader, writer = rw
        try:
            writer.write(payload)
            status = (await read_response(reader, time.perf_counter()))[0]
        except (OSError, asyncio.IncompleteReadError) as exc:
            status = type(exc).__name__
        codes[status] = codes.get(status, 0) + 1
        writer.close()

    t0 = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(one(c) for c in conns)), 60)
    return codes, time.perf_counter() - t0


async def main():
    rows = []
    for stream in (False, True):
        for conc in (1, 16, 64):
            d = await cell(UP, False, stream, conc)
            p = await cell(PX, True, stream, conc)
            rows.append((stream, conc, d, p))
    print("| kind | conc | direct p50 ms | direct p99 ms | direct req/s | direct TTFB p50 ms "
          "| proxy p50 ms | proxy p99 ms | proxy req/s | proxy TTFB p50 ms | added p50 ms "
          "| proxy/direct req/s | proxy statuses |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    for stream, conc, d, p in rows:
        codes = ", ".join("%s: %d" % kv for kv in sorted(p["codes"].items(), key=str))
        print("| %s | %d | %.2f | %.2f | %.0f | %.2f | %.2f | %.2f | %.0f | %.2f | %+.2f | %.0f %% | %s |" % (
            "stream" if stream else "non-stream", conc, d["p50"], d["p99"], d["rps"], d["ttfb"],
            p["p50"], p["p99"], p["rps"], p["ttfb"], p["p50"] - d["p50"],
            100.0 * p["rps"] / d["rps"] if d["rps"] else 0, codes))
    print()
    for stream in (False, True):
        codes, wall = await many_connections(PX, 512, stream)
        text = ", ".join("%s: %d" % kv for kv in sorted(codes.items(), key=str))
        bad = sum(v for k, v in codes.items() if k not in (200, 429))
        print("512 connections opened at once, one %s request each: %s in %.2f s -> %s" % (
            "stream" if stream else "non-stream", text, wall, "OK (no 5xx)" if not bad else "FAIL"))


asyncio.run(main())
PY
echo
echo "proxy /stats after the run:"
curl -s -H "Authorization: Bearer $key" "http://127.0.0.1:$proxy_port/stats" | "$py" -c '
import json, sys
d = json.load(sys.stdin)
print({k: d[k] for k in ("total_requests", "total_success", "total_errors_4xx", "total_errors_5xx",
                          "rejected_429", "peak_inflight", "latency_p50_ms", "latency_p99_ms", "ttfb_p50_ms")})'
