#!/usr/bin/env python3
"""m-gpux LLM proxy: an authenticating reverse proxy in front of an OpenAI-compatible server.

A plain ASGI application served by uvicorn, forwarding with httpx. Runs as a file:

    python3 proxy.py --upstream URL [--host 127.0.0.1] [--port 8000] [--max-inflight 64]
                     [--max-body 16777216] [--header-timeout 30] [--idle-timeout 120]
                     [--keys-file PATH] [--docs]

Keys come from --keys-file (the m-gpux key store format: a JSON array of
{name, key, created, active}; a key is active when `active` is missing or JSON true, and any
other value makes it inactive; the file is re-read when it changes)
and/or from MGPUX_KEY_HASHES (comma-separated hex SHA-256 digests of the keys; how a deployment
receives them through a Modal Secret). Clients send `Authorization: Bearer <key>`.

Prints `[m-gpux] READY http://HOST:PORT` once it listens (--port 0 picks a free port).
This file is also a template partial: it must never contain a pair of opening or closing
braces next to each other.
"""
import argparse
import asyncio
import hashlib
import hmac
import json
import math
import os
import shutil
import sys
import time
from collections import deque

import httpx

# Backoff before each retry. A retry happens only when no byte of a response has been seen:
# the connection was refused, or the upstream closed it before answering.
RETRY_BACKOFF = (0.25, 0.5, 1.0, 2.0)
RETRY_AFTER_429 = 1          # seconds, the Retry-After of a 429
RETRY_AFTER_UNAVAILABLE = 5  # seconds, the Retry-After of a 503 (upstream unreachable)
CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 900.0         # between two bytes of an upstream answer
HEALTH_TIMEOUT = 3.0
WATCH_AFTER = 0.5            # seconds before a request starts watching for its client hanging up
HEALTH_FRESH = 1.0           # a health probe younger than this is reused
MAX_BODY = 16 * 1024 * 1024  # bytes of a request body (--max-body); a larger one gets 413
HEADER_TIMEOUT = 30.0        # s from a request's first byte to the end of its head (--header-timeout)
IDLE_TIMEOUT = 120.0         # s without a request in progress, or between body bytes (--idle-timeout)
GET_OR_HEAD = ("GET", "HEAD")

# Request headers never forwarded (hop-by-hop ones, the credential, and those httpx recomputes).
DROP_REQUEST = frozenset((b"host", b"authorization", b"content-length", b"connection",
                          b"keep-alive", b"proxy-authorization", b"proxy-authenticate",
                          b"proxy-connection", b"te", b"trailer", b"trailers",
                          b"transfer-encoding", b"upgrade", b"expect"))
# Response headers never relayed (hop-by-hop ones; content-length is set by us when known).
DROP_RESPONSE = frozenset((b"connection", b"keep-alive", b"proxy-authenticate",
                           b"proxy-connection", b"te", b"trailer", b"trailers",
                           b"transfer-encoding", b"upgrade", b"content-length"))

JSON_HEADERS = [(b"content-type", b"application/json")]


def error_body(message, kind, code=None):
    err = {"message": message, "type": kind, "param": None, "code": code}
    return json.dumps({"error": err}).encode()


def body_too_large(limit):
    return error_body("Request body too large: the limit is %d bytes." % limit,
                      "invalid_request_error", "request_too_large")


def declared_body(headers):
    """(whether a body follows the head, its Content-Length or None)."""
    length = None
    chunked = False
    for name, value in headers:
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                pass
        elif name == b"transfer-encoding":
            chunked = True
    return chunked or bool(length), length


def malformed(scope):
    """Why a request's head is refused with 400, or None when it is well formed. (uvicorn's
    parser refuses most of these itself; this holds whichever parser it uses.)"""
    method = scope["method"]
    if not method or method != method.upper():
        return "the method must be in upper case (GET, POST, ...)"
    hosts = 0
    codings = None
    for name, value in scope["headers"]:
        if name == b"host":
            hosts += 1
        elif name == b"transfer-encoding":
            codings = (codings or []) + [c.strip(b" \t").lower() for c in value.split(b",") if c.strip(b" \t")]
    if codings is not None and codings != [b"chunked"]:
        return "Transfer-Encoding must be exactly 'chunked'"
    if hosts > 1 or (hosts == 0 and scope.get("http_version") == "1.1"):
        return "an HTTP/1.1 request needs exactly one Host header"
    return None


def hop_by_hop(headers):
    """The header names the Connection header lists (hop-by-hop: never forwarded)."""
    named = set()
    for name, value in headers:
        if name == b"connection":
            named.update(t.strip(b" \t").lower() for t in value.split(b","))
    return named


def connection_key(client, server):
    """A connection's key: the two addresses uvicorn puts in the scope of its requests."""
    if not client or not server:
        return None
    return (str(client[0]), int(client[1]), str(server[0]), int(server[1]))


def timed_protocol(inner_class, app, remote_addr, local_addr):
    """uvicorn's HTTP protocol `inner_class` with the proxy's header and idle timeouts (uvicorn
    only closes a connection that stays idle after an answer). Each connection is in one phase:
    idle (no byte of a request yet: closed after app.idle_timeout), head (a request has begun:
    closed unless the application has it app.header_timeout after its first byte) or request
    (the application has it: no timer; a stalled body is its business). The application says when
    a request starts and ends (ProxyApp.http), finding the connection by the scope's addresses,
    computed by uvicorn's own remote_addr and local_addr. A connection without such a key gets
    no timer rather than one that could end a request in progress."""

    class TimedProtocol(asyncio.Protocol):
        def __init__(self, *args, **kwargs):
            self.inner = inner_class(*args, **kwargs)
            self.transport = None
            self.key = None
            self.timer = None
            self.phase = "idle"

        def connection_made(self, transport):
            self.transport = transport
            key = connection_key(remote_addr(transport), local_addr(transport))
            if key is not None and key not in app.connections:
                self.key = key
                app.connections[key] = self
                self.arm(app.idle_timeout)
            self.inner.connection_made(transport)

        def data_received(self, data):
            if self.phase == "idle" and self.key is not None:
                self.phase = "head"
                self.arm(app.header_timeout)
            self.inner.data_received(data)

        def eof_received(self):
            return self.inner.eof_received()

        def connection_lost(self, exc):
            self.disarm()
            if self.key is not None and app.connections.get(self.key) is self:
                del app.connections[self.key]
            self.inner.connection_lost(exc)

        def pause_writing(self):
            self.inner.pause_writing()

        def resume_writing(self):
            self.inner.resume_writing()

        def request_started(self):
            self.phase = "request"
            self.disarm()

        def request_done(self):
            if self.phase == "request":
                self.phase = "idle"
                self.arm(app.idle_timeout)

        def arm(self, seconds):
            self.disarm()
            self.timer = asyncio.get_running_loop().call_later(seconds, self.expire)

        def disarm(self):
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None

        def expire(self):
            self.timer = None
            if self.phase != "request" and not self.transport.is_closing():
                self.transport.close()

    return TimedProtocol


def hash_key(key):
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def load_keys_file(path):
    """Hex SHA-256 digests of the active keys in an api_keys.json file."""
    with open(path, "r", encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, list):
        raise ValueError("%s: expected a JSON array of keys" % path)
    hashes = []
    for entry in data:
        if not isinstance(entry, dict):
            continue
        key = entry.get("key")
        # fail closed: only a missing "active" or JSON true is active (0, "false", null are not)
        if isinstance(key, str) and key and entry.get("active", True) is True:
            hashes.append(hash_key(key))
    return hashes


def parse_hashes(text):
    out = []
    for item in (text or "").replace("\n", ",").split(","):
        item = item.strip().lower()
        if not item:
            continue
        if len(item) != 64 or any(c not in "0123456789abcdef" for c in item):
            raise ValueError("MGPUX_KEY_HASHES: %r is not a hex SHA-256 digest" % item[:8])
        out.append(item)
    return out


class Histogram:
    """Log-spaced latency histogram (5 % wide buckets from 10 us up); exact min, max, sum."""

    BASE = 0.01  # ms
    RATIO = math.log(1.05)

    def __init__(self):
        self.buckets = [0] * 500
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = 0.0

    def add(self, ms):
        self.count += 1
        self.total += ms
        if ms < self.min:
            self.min = ms
        if ms > self.max:
            self.max = ms
        i = int(math.log(ms / self.BASE) / self.RATIO) + 1 if ms > self.BASE else 0
        self.buckets[min(i, len(self.buckets) - 1)] += 1

    def percentile(self, q):
        if not self.count:
            return 0.0
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for i, n in enumerate(self.buckets):
            seen += n
            if seen >= rank:
                # geometric middle of the bucket, kept inside the observed range
                mid = self.BASE * math.exp((i - 0.5) * self.RATIO) if i else self.BASE
                return min(max(mid, self.min), self.max)
        return self.max

    def summary(self, prefix):
        return {
            prefix + "avg_ms": round(self.total / self.count, 1) if self.count else 0.0,
            prefix + "min_ms": round(self.min, 1) if self.count else 0.0,
            prefix + "max_ms": round(self.max, 1),
            prefix + "p50_ms": round(self.percentile(0.50), 1),
            prefix + "p95_ms": round(self.percentile(0.95), 1),
            prefix + "p99_ms": round(self.percentile(0.99), 1),
        }


class Stats:
    def __init__(self):
        self.start = time.time()
        self.total = 0
        self.success = 0
        self.err4 = 0
        self.err5 = 0
        self.retries = 0
        self.rejected_429 = 0
        self.rejected_auth = 0
        self.stream_interrupted = 0
        self.streams = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.peak_inflight = 0
        self.latency = Histogram()
        self.ttfb = Histogram()

    def record(self, status, latency_s=None, ttfb_s=None):
        self.total += 1
        if 200 <= status < 400:
            self.success += 1
        elif 400 <= status < 500:
            self.err4 += 1
        else:
            self.err5 += 1
        if latency_s is not None:
            self.latency.add(latency_s * 1000.0)
        if ttfb_s is not None:
            self.ttfb.add(ttfb_s * 1000.0)


class ProxyApp:
    """The ASGI application. `key_hashes`: hex SHA-256 digests; `keys_file`: re-read on change."""

    def __init__(self, upstream, key_hashes=(), keys_file=None, max_inflight=64, docs=False,
                 retry_backoff=RETRY_BACKOFF, connect_timeout=CONNECT_TIMEOUT,
                 read_timeout=READ_TIMEOUT, max_body=MAX_BODY, header_timeout=HEADER_TIMEOUT,
                 idle_timeout=IDLE_TIMEOUT):
        self.upstream = upstream.rstrip("/")
        self.env_hashes = [h.encode() for h in key_hashes]
        self.keys_file = keys_file
        self.keys_mtime = None
        self.keys_checked = 0.0
        self.file_hashes = []
        if keys_file:
            self.reload_keys(force=True)
        self.max_inflight = max(1, int(max_inflight))
        self.max_body = max(1, int(max_body))
        self.header_timeout = float(header_timeout)
        self.idle_timeout = float(idle_timeout)
        self.connections = {}  # connection_key -> TimedProtocol, when served through serve()
        self.docs = docs
        self.retry_backoff = tuple(retry_backoff)
        self.timeout = {"connect": connect_timeout, "read": read_timeout,
                        "write": connect_timeout, "pool": None}
        self.pools = None
        self.next_pool = 0
        self.urls = {}
        self.inflight = 0
        self.stats = Stats()
        self.ready = False
        self.ready_at = 0.0
        self.probe = None

    # -- keys --------------------------------------------------------------------------------
    def reload_keys(self, force=False):
        now = time.monotonic()
        if not force and now - self.keys_checked < 1.0:
            return
        self.keys_checked = now
        try:
            mtime = os.stat(self.keys_file).st_mtime_ns
        except OSError:
            if force:
                raise
            return
        if mtime == self.keys_mtime:
            return
        try:
            self.file_hashes = [h.encode() for h in load_keys_file(self.keys_file)]
            self.keys_mtime = mtime
        except (OSError, ValueError):
            if force:
                raise

    def key_count(self):
        return len(set(self.env_hashes) | set(self.file_hashes))

    def check_auth(self, headers):
        """None when authorised, else (status, body)."""
        value = None
        for name, val in headers:
            if name == b"authorization":
                value = val
                break
        scheme, _, token = (value or b"").strip().partition(b" ")
        token = token.strip()
        if not value or scheme.lower() != b"bearer" or not token:
            return 401, error_body("Missing API key: send the header 'Authorization: Bearer <key>'.",
                                   "auth_error", "missing_api_key")
        if self.keys_file:
            self.reload_keys()
        digest = hashlib.sha256(token).hexdigest().encode()
        ok = False
        for known in self.env_hashes + self.file_hashes:
            # compare with every key, in constant time, whatever matched before
            ok = hmac.compare_digest(digest, known) | ok
        if not ok:
            self.stats.rejected_auth += 1
            return 403, error_body("Invalid API key.", "auth_error", "invalid_api_key")
        return None

    # -- ASGI entry --------------------------------------------------------------------------
    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, receive, send)
        elif kind == "lifespan":
            await self.lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})

    async def lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self):
        pools, self.pools = self.pools, None
        for pool in pools or ():
            await pool.aclose()

    def pool(self):
        """The next upstream connection pool (created on first use).

        httpx transports are used directly: a proxy wants none of the client's cookie, redirect
        or auth handling. The connections are spread over several small pools, because a pool
        checks each of its idle connections whenever one is given back. There is no cap on
        connections of their own: the in-flight limit bounds them.
        """
        if self.pools is None:
            shards = max(1, min(16, (self.max_inflight + 7) // 8))
            limits = httpx.Limits(max_connections=None,
                                  max_keepalive_connections=max(8, self.max_inflight // shards + 4),
                                  keepalive_expiry=120.0)
            self.pools = [httpx.AsyncHTTPTransport(limits=limits) for _ in range(shards)]
        self.next_pool = (self.next_pool + 1) % len(self.pools)
        return self.pools[self.next_pool]

    def upstream_url(self, raw_path, query):
        key = (raw_path, query)
        url = self.urls.get(key)
        if url is None:
            text = self.upstream + raw_path.decode("latin-1")
            if query:
                text += "?" + query.decode("latin-1")
            url = httpx.URL(text)
            if len(self.urls) >= 512:
                self.urls.clear()
            self.urls[key] = url
        return url

    @staticmethod
    async def reply(send, status, body, headers=JSON_HEADERS):
        await send({"type": "http.response.start", "status": status,
                    "headers": headers + [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def http(self, scope, receive, send):
        conn = self.connections.get(connection_key(scope.get("client"), scope.get("server")))
        if conn is None:
            return await self.route(scope, receive, send)
        conn.request_started()  # its head is in: the header timeout is over
        try:
            await self.route(scope, receive, send)
        finally:
            conn.request_done()

    async def route(self, scope, receive, send):
        # Everything that needs no body is decided on the head, before any of the body is read
        # (uvicorn hands it over only when asked): a refusal then closes the connection instead
        # of reading or draining a body still to come.
        path = scope["path"]
        method = scope["method"]
        headers = scope["headers"]
        pending, length = declared_body(headers)

        async def refuse(status, body, extra=(), close=False):
            closing = [(b"connection", b"close")] if pending or close else []
            await self.reply(send, status, body, JSON_HEADERS + list(extra) + closing)

        # its form first: a malformed request is never served, and its connection is closed
        bad = malformed(scope)
        if bad is not None:
            return await refuse(400, error_body("Bad request: %s." % bad, "invalid_request_error"), close=True)
        if path == "/health":
            if method not in GET_OR_HEAD:
                return await refuse(405, error_body("Method not allowed.", "invalid_request_error"))
            route = self.health(send)
        elif self.docs and path in ("/docs", "/openapi.json") and method in GET_OR_HEAD:
            route = self.serve_docs(path, send)
        else:
            denied = self.check_auth(headers)
            if denied is not None:
                extra = [(b"www-authenticate", b"Bearer")] if denied[0] == 401 else []
                return await refuse(denied[0], denied[1], extra)
            if path.startswith("/v1/"):
                route = self.proxy(scope, receive, send)
            elif path == "/stats":
                if method not in GET_OR_HEAD:
                    return await refuse(405, error_body("Method not allowed.", "invalid_request_error"))
                route = self.send_stats(send)
            else:
                return await refuse(404, error_body("Not found: %s" % path, "invalid_request_error", "not_found"))
        if length is not None and length > self.max_body:
            route.close()
            return await refuse(413, body_too_large(self.max_body))
        await route

    async def send_stats(self, send):
        await self.reply(send, 200, json.dumps(await self.stats_doc()).encode())

    # -- /health -----------------------------------------------------------------------------
    async def probe_upstream(self):
        try:
            timeout = {"connect": HEALTH_TIMEOUT, "read": HEALTH_TIMEOUT, "write": HEALTH_TIMEOUT,
                       "pool": HEALTH_TIMEOUT}
            request = httpx.Request("GET", self.upstream_url(b"/v1/models", b""),
                                    extensions={"timeout": timeout})
            resp = await asyncio.wait_for(self.pool().handle_async_request(request), HEALTH_TIMEOUT)
            try:
                data = b"".join([chunk async for chunk in resp.aiter_raw()])
            finally:
                await resp.aclose()
            self.ready = resp.status_code == 200
            models = json.loads(data) if self.ready else {}
        except (httpx.HTTPError, ValueError):
            self.ready = False
            models = {}
        self.ready_at = time.monotonic()
        return models

    def probe_task(self):
        if self.probe is None or self.probe.done():
            self.probe = asyncio.ensure_future(self.probe_upstream())
        return self.probe

    async def health(self, send):
        # answers at once: a fresh probe result, or what a probe says within 0.2 s, or the last one
        if time.monotonic() - self.ready_at > HEALTH_FRESH:
            try:
                await asyncio.wait_for(asyncio.shield(self.probe_task()), 0.2)
            except asyncio.TimeoutError:
                pass
            except Exception:
                pass
        doc = {"status": "ok" if self.ready else "loading", "upstream_ready": self.ready,
               "vllm_ready": self.ready, "inflight_requests": self.inflight,
               "max_inflight": self.max_inflight}
        await self.reply(send, 200, json.dumps(doc).encode())

    # -- /stats ------------------------------------------------------------------------------
    async def stats_doc(self):
        s = self.stats
        uptime = max(time.time() - s.start, 1e-9)
        try:
            models = await asyncio.wait_for(asyncio.shield(self.probe_task()), HEALTH_TIMEOUT + 0.5)
        except Exception:
            models = {}
        doc = {
            "uptime_seconds": round(uptime, 1),
            "inflight_requests": self.inflight,
            "peak_inflight": s.peak_inflight,
            "max_inflight_limit": self.max_inflight,
            "total_requests": s.total,
            "total_success": s.success,
            "total_errors_4xx": s.err4,
            "total_errors_5xx": s.err5,
            "total_retries": s.retries,
            "rejected_429": s.rejected_429,
            "rejected_auth": s.rejected_auth,
            "streams": s.streams,
            "streams_interrupted": s.stream_interrupted,
            "requests_per_second": round(s.total / uptime, 2),
        }
        doc.update(s.latency.summary("latency_"))
        ttfb = s.ttfb.summary("ttfb_")
        doc.update({k: ttfb[k] for k in ("ttfb_p50_ms", "ttfb_p95_ms", "ttfb_p99_ms")})
        doc.update({
            "latency_samples": s.latency.count,
            "tokens_prompt_total": s.prompt_tokens,
            "tokens_completion_total": s.completion_tokens,
            "upstream_ready": self.ready,
            "vllm_models": models if isinstance(models, dict) else {},
            "gpus": await gpu_info(),
            "cpu": cpu_info(),
            "ram": ram_info(),
            "disk": disk_info(),
        })
        return doc

    async def serve_docs(self, path, send):
        if path == "/openapi.json":
            return await self.reply(send, 200, json.dumps(OPENAPI).encode())
        return await self.reply(send, 200, DOCS_HTML.encode(), [(b"content-type", b"text/html; charset=utf-8")])

    # -- /v1/* -------------------------------------------------------------------------------
    async def proxy(self, scope, receive, send):
        start = time.perf_counter()
        stats = self.stats
        if self.inflight >= self.max_inflight:
            stats.rejected_429 += 1
            stats.record(429)
            body = error_body("Too many concurrent requests (%d/%d); retry in %d s."
                              % (self.inflight, self.max_inflight, RETRY_AFTER_429),
                              "rate_limit_error", "too_many_requests")
            return await self.reply(send, 429, body, JSON_HEADERS + [
                (b"retry-after", str(RETRY_AFTER_429).encode())])
        self.inflight += 1
        if self.inflight > stats.peak_inflight:
            stats.peak_inflight = self.inflight
        state = {"status": 502, "ttfb": None, "complete": False}
        watcher = None
        try:
            chunks = []
            size = 0
            more = True
            while more:
                try:
                    message = await asyncio.wait_for(receive(), self.idle_timeout)
                except asyncio.TimeoutError:  # the body stalled
                    state["status"] = None  # not counted: it never reached the upstream
                    msg = "Request timeout: no byte of the request body for %s s." % json.dumps(
                        round(self.idle_timeout, 3))
                    await self.reply(send, 408, error_body(msg, "invalid_request_error", "request_timeout"),
                                     JSON_HEADERS + [(b"connection", b"close")])
                    return
                if message["type"] != "http.request":
                    state["status"] = 499  # the client went away before sending its body
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body:  # a chunked body, past the limit: the rest is not read
                    state["status"] = None  # refused before it reached the upstream: not counted
                    await self.reply(send, 413, body_too_large(self.max_body),
                                     JSON_HEADERS + [(b"connection", b"close")])
                    return
                chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
            # the client hanging up ends the upstream request too (vLLM aborts the generation);
            # watched only for requests that last, a watch costs more than a short request
            watcher = asyncio.get_running_loop().call_later(
                WATCH_AFTER, start_watch, receive, asyncio.current_task(), state)
            await self.forward(scope, body, send, state, start)
        except asyncio.CancelledError:
            if not state.get("gone"):
                raise
            state["status"] = 499
        except OSError:
            # newer servers raise on a send to a client that has gone (ASGI spec 2.4)
            state["status"] = 499
        finally:
            if not state["complete"]:
                self.inflight -= 1
            if watcher is not None:
                watcher.cancel()
                if state.get("watch") is not None and not state["watch"].done():
                    state["watch"].cancel()
            end = state.get("end") or time.perf_counter()
            ttfb = state["ttfb"]
            if state["status"] is not None:
                stats.record(state["status"], end - start,
                             None if ttfb is None else ttfb - start)

    async def forward(self, scope, body, send, state, start):
        stats = self.stats
        url = self.upstream_url(scope.get("raw_path") or scope["path"].encode(),
                                scope.get("query_string") or b"")
        named = hop_by_hop(scope["headers"])
        headers = [(k, v) for k, v in scope["headers"] if k not in DROP_REQUEST and k not in named]
        attempt = 0
        while True:
            request = httpx.Request(scope["method"], url, headers=headers, content=body,
                                    extensions={"timeout": self.timeout})
            try:
                resp = await self.pool().handle_async_request(request)
                break
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError,
                    httpx.WriteError) as exc:
                # nothing of an answer was seen: safe to send again
                if attempt >= len(self.retry_backoff):
                    self.ready = False
                    state["status"] = 503
                    msg = "Upstream not reachable after %d attempts (%s); the model may still be loading." % (
                        attempt + 1, type(exc).__name__)
                    await self.send_error(send, state, 503, msg, "server_error", "upstream_unavailable",
                                          [(b"retry-after", str(RETRY_AFTER_UNAVAILABLE).encode())])
                    return
                await asyncio.sleep(self.retry_backoff[attempt])
                attempt += 1
                stats.retries += 1
            except httpx.TimeoutException as exc:
                state["status"] = 504
                await self.send_error(send, state, 504, "Upstream timed out (%s)." % type(exc).__name__,
                                      "server_error", "upstream_timeout")
                return
            except httpx.HTTPError as exc:
                state["status"] = 502
                await self.send_error(send, state, 502, "Upstream error: %s" % (exc,),
                                      "server_error", "upstream_error")
                return
        try:
            self.ready = True
            out_headers = [(k.lower(), v) for k, v in resp.headers.raw if k.lower() not in DROP_RESPONSE]
            ctype = resp.headers.get("content-type", "")
            if ctype.startswith("text/event-stream"):
                await self.relay_stream(resp, out_headers, body, send, state)
            else:
                await self.relay_whole(resp, out_headers, ctype, send, state)
        finally:
            await resp.aclose()

    def completed(self, state):
        """The last byte is out: the slot is free before anything else is awaited."""
        if not state["complete"]:
            state["complete"] = True
            state["end"] = time.perf_counter()
            self.inflight -= 1

    async def send_error(self, send, state, status, message, kind, code, extra=()):
        state["ttfb"] = time.perf_counter()
        await self.reply(send, status, error_body(message, kind, code), JSON_HEADERS + list(extra))
        self.completed(state)

    async def relay_whole(self, resp, out_headers, ctype, send, state):
        try:
            data = b"".join([chunk async for chunk in resp.aiter_raw()])
        except httpx.TimeoutException as exc:
            state["status"] = 504
            return await self.send_error(send, state, 504, "Upstream timed out (%s)." % type(exc).__name__,
                                         "server_error", "upstream_timeout")
        except httpx.HTTPError as exc:
            state["status"] = 502
            return await self.send_error(send, state, 502, "Upstream answer interrupted: %s" % (exc,),
                                         "server_error", "upstream_interrupted")
        status = resp.status_code
        state["status"] = status
        if status == 200 and ctype.startswith("application/json") and b'"usage"' in data:
            self.count_usage(data)
        state["ttfb"] = time.perf_counter()
        await send({"type": "http.response.start", "status": status,
                    "headers": out_headers + [(b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})
        self.completed(state)

    async def relay_stream(self, resp, out_headers, body, send, state):
        stats = self.stats
        stats.streams += 1
        status = resp.status_code
        state["status"] = status
        want_usage = b"include_usage" in body and wants_usage(body)
        tail = deque(maxlen=8)
        await send({"type": "http.response.start", "status": status, "headers": out_headers})
        last = b"\n\n"
        try:
            async for chunk in resp.aiter_raw():
                if not chunk:
                    continue
                if state["ttfb"] is None:
                    state["ttfb"] = time.perf_counter()
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                last = chunk
                if want_usage:
                    tail.append(chunk)
        except httpx.HTTPError as exc:
            # bytes already reached the client: never retried; close the stream cleanly
            stats.stream_interrupted += 1
            state["status"] = 502
            event = error_body("Stream interrupted: upstream %s (%s)" % (type(exc).__name__, exc),
                               "server_error", "stream_interrupted")
            sep = b"" if last.endswith(b"\n\n") else b"\n\n"
            await send({"type": "http.response.body", "more_body": True,
                        "body": sep + b"data: " + event + b"\n\ndata: [DONE]\n\n"})
        if want_usage:
            self.count_stream_usage(b"".join(tail))
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        self.completed(state)

    def count_usage(self, data):
        try:
            usage = json.loads(data).get("usage")
        except (ValueError, AttributeError):
            return
        self.add_usage(usage)

    def count_stream_usage(self, data):
        for line in reversed(data.split(b"\n")):
            if line.startswith(b"data:") and b'"usage"' in line:
                try:
                    event = json.loads(line[5:])
                except ValueError:
                    continue
                if isinstance(event, dict) and event.get("usage"):
                    self.add_usage(event["usage"])
                    return

    def add_usage(self, usage):
        if not isinstance(usage, dict):
            return
        p, c = usage.get("prompt_tokens"), usage.get("completion_tokens")
        self.stats.prompt_tokens += p if isinstance(p, int) else 0
        self.stats.completion_tokens += c if isinstance(c, int) else 0


def wants_usage(body):
    try:
        req = json.loads(body)
        opts = req.get("stream_options") if isinstance(req, dict) else None
        return bool(isinstance(opts, dict) and opts.get("include_usage"))
    except ValueError:
        return False


def start_watch(receive, task, state):
    if not state["complete"]:
        state["watch"] = asyncio.ensure_future(watch_disconnect(receive, task, state))


async def watch_disconnect(receive, task, state):
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
    if not task.done() and not state["complete"]:
        state["gone"] = True
        task.cancel()


# -- system information for /stats -----------------------------------------------------------
GPU_FIELDS = ("index", "name", "memory.total", "memory.used", "memory.free", "utilization.gpu",
              "utilization.memory", "temperature.gpu", "power.draw", "power.limit")
GPU_KEYS = ("index", "name", "vram_total_mib", "vram_used_mib", "vram_free_mib", "gpu_util_pct",
            "mem_util_pct", "temperature_c", "power_draw_w", "power_limit_w")


async def gpu_info():
    exe = shutil.which("nvidia-smi")
    if not exe:
        return []
    try:
        proc = await asyncio.create_subprocess_exec(
            exe, "--query-gpu=" + ",".join(GPU_FIELDS), "--format=csv,noheader,nounits",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), 5.0)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            return []
    except OSError:
        return []
    gpus = []
    for line in out.decode("utf-8", "replace").splitlines():
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != len(GPU_FIELDS):
            continue
        row = {}
        for key, cell in zip(GPU_KEYS, cells):
            if key == "name":
                row[key] = cell
                continue
            try:
                num = float(cell)
                row[key] = round(num, 1) if key.startswith("power") else int(num)
            except ValueError:
                row[key] = None
        gpus.append(row)
    return gpus


def cpu_info():
    info = {"cores": os.cpu_count()}
    try:
        info["load_1m"], info["load_5m"], info["load_15m"] = (round(x, 2) for x in os.getloadavg())
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def ram_info():
    try:
        values = {}
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                name, _, rest = line.partition(":")
                values[name] = int(rest.split()[0])  # kB
        total, avail = values["MemTotal"], values["MemAvailable"]
    except (OSError, KeyError, ValueError, IndexError):
        return {}
    return {"total_mb": total // 1024, "used_mb": (total - avail) // 1024,
            "available_mb": avail // 1024, "used_pct": round(100.0 * (total - avail) / total, 1)}


def disk_info():
    try:
        du = shutil.disk_usage("/")
    except OSError:
        return {}
    gb = 1024 ** 3
    return {"total_gb": round(du.total / gb, 1), "used_gb": round(du.used / gb, 1),
            "free_gb": round(du.free / gb, 1), "used_pct": round(100.0 * du.used / du.total, 1)}


OPENAPI = {
    "openapi": "3.0.2",
    "info": {"title": "m-gpux LLM API", "version": "1"},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"} } },
    "security": [{"bearer": []}],
    "paths": {
        "/health": {"get": {"summary": "Liveness and upstream readiness (no key needed)",
                            "security": [], "responses": {"200": {"description": "status"} } } },
        "/stats": {"get": {"summary": "Traffic counters, latency percentiles, system information",
                           "responses": {"200": {"description": "metrics"} } } },
        "/v1/models": {"get": {"summary": "Models served",
                               "responses": {"200": {"description": "model list"} } } },
        "/v1/chat/completions": {"post": {"summary": "OpenAI chat completions (proxied)",
                                          "responses": {"200": {"description": "completion"} } } },
        "/v1/completions": {"post": {"summary": "OpenAI completions (proxied)",
                                     "responses": {"200": {"description": "completion"} } } },
    },
}

DOCS_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>m-gpux LLM API</title></head>
<body><h1>m-gpux LLM API</h1>
<p>OpenAI-compatible endpoints under <code>/v1/</code>; send <code>Authorization: Bearer &lt;key&gt;</code>.
<code>/health</code> needs no key. The schema is at <a href="/openapi.json">/openapi.json</a>.</p>
</body></html>
"""


# -- command line ----------------------------------------------------------------------------
def build_app(args):
    hashes = parse_hashes(os.environ.get("MGPUX_KEY_HASHES", ""))
    return ProxyApp(args.upstream, key_hashes=hashes, keys_file=args.keys_file,
                    max_inflight=args.max_inflight, docs=args.docs, max_body=args.max_body,
                    header_timeout=args.header_timeout, idle_timeout=args.idle_timeout)


def raise_fd_limit():
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
    except (ImportError, ValueError, OSError):
        pass


async def serve(app, args):
    import uvicorn

    http = "auto"
    try:
        from uvicorn.config import HTTP_PROTOCOLS
        from uvicorn.importer import import_from_string
        from uvicorn.protocols.utils import get_local_addr, get_remote_addr
        http = timed_protocol(import_from_string(HTTP_PROTOCOLS["auto"]), app, get_remote_addr, get_local_addr)
    except (ImportError, KeyError, AttributeError) as exc:
        print("proxy: warning: no header timeout with this uvicorn (%s)" % exc, file=sys.stderr)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level, http=http,
                            access_log=False, lifespan="on", backlog=4096,
                            limit_concurrency=None, timeout_keep_alive=args.idle_timeout, proxy_headers=False,
                            server_header=False, date_header=False)
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started:
        port = server.servers[0].sockets[0].getsockname()[1]
        host = args.host if ":" not in args.host else "[%s]" % args.host
        print("[m-gpux] READY http://%s:%d" % (host, port), flush=True)
    await task
    return 0 if server.started else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description="Authenticating proxy for an OpenAI-compatible server.")
    parser.add_argument("--upstream", default=os.environ.get("MGPUX_UPSTREAM"),
                        help="base URL of the upstream server, e.g. http://127.0.0.1:8001")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--max-inflight", type=int, default=64)
    parser.add_argument("--max-body", type=int, default=MAX_BODY, metavar="BYTES",
                        help="largest request body; a larger one gets 413 (default %d)" % MAX_BODY)
    parser.add_argument("--header-timeout", type=float, default=HEADER_TIMEOUT, metavar="S",
                        help="a request's head must be in S seconds after its first byte, or the "
                             "connection is closed (default %g)" % HEADER_TIMEOUT)
    parser.add_argument("--idle-timeout", type=float, default=IDLE_TIMEOUT, metavar="S",
                        help="a connection with no request in progress is closed after S seconds; a "
                             "request body without a byte for S seconds gets 408 (default %g)" % IDLE_TIMEOUT)
    parser.add_argument("--keys-file", default=None, help="api_keys.json (array of name/key/created/active)")
    parser.add_argument("--docs", action="store_true", help="serve /docs and /openapi.json")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    if not args.upstream:
        parser.error("--upstream is required (or set MGPUX_UPSTREAM)")
    if args.max_inflight < 1:
        parser.error("--max-inflight must be at least 1")
    if not 1 <= args.max_body <= 1 << 40:
        parser.error("--max-body must be from 1 to %d" % (1 << 40))
    for flag, seconds in (("--header-timeout", args.header_timeout), ("--idle-timeout", args.idle_timeout)):
        if not 0 < seconds <= 86400:
            parser.error("%s must be more than 0 and at most 86400 seconds" % flag)
    try:
        app = build_app(args)
    except (OSError, ValueError) as exc:
        print("proxy: cannot load keys: %s" % exc, file=sys.stderr)
        return 2
    if app.key_count() == 0:
        print("proxy: no active API key (give --keys-file or set MGPUX_KEY_HASHES)", file=sys.stderr)
        return 2
    raise_fd_limit()
    try:
        return asyncio.run(serve(app, args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
