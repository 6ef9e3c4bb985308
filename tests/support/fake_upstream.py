#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A fake OpenAI-compatible upstream (stands in for vLLM) for the proxy's tests and benchmark.

Standard library only, HTTP/1.1 with keep-alive, one asyncio event loop.

    /usr/bin/python3 tests/support/fake_upstream.py [--host 127.0.0.1] [--port 0]
        [--tokens 20] [--token-delay 0] [--model fake-model] [--tls-cert PEM --tls-key PEM]

With --tls-cert and --tls-key it speaks HTTPS (TLS 1.2 or later) with that certificate.

Prints `READY <port>` on stdout once it listens (port 0 picks a free one).

Routes
  GET  /v1/models                 the model list
  POST /v1/chat/completions       an answer of N tokens (N = max_tokens, else --tokens);
  POST /v1/completions            with "stream": true an SSE stream, one chunk per token,
                                  then a usage chunk if stream_options.include_usage, then
                                  `data: [DONE]`; max_tokens < 0 or a body that is not JSON
                                  answers 400 with a vLLM-style error body (stream or not)
  ANY  /v1/echo[/...]             echoes {method, path, query, headers, body} as JSON
  ANY  /v1/status/NNN             answers status NNN with a JSON error body and `x-fake: yes`
  GET  /_fake/stats               requests seen so far, by path, as JSON
Request headers that change the behaviour of one request
  x-fake-token-delay: SECONDS     sleep between stream chunks (default --token-delay)
  x-fake-close: before-response   close the connection without answering
  x-fake-delay: SECONDS           sleep before answering (any route, streams included)
  x-fake-burst: 1                 a stream is sent whole in one write (head, every chunk, end)
"""
import argparse
import asyncio
import json
import ssl
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
           413: "Payload Too Large", 422: "Unprocessable Entity", 429: "Too Many Requests",
           500: "Internal Server Error", 503: "Service Unavailable"}


class Fake:
    def __init__(self, tokens, token_delay, model):
        self.tokens = tokens
        self.token_delay = token_delay
        self.model = model
        self.seen = Counter()

    # -- HTTP plumbing -----------------------------------------------------------------------
    async def handle(self, reader, writer):
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _version = lines[0].split(" ", 2)
                headers = []
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers.append((name.strip().lower(), value.strip()))
                hmap = dict(headers)
                body = b""
                if "content-length" in hmap:
                    body = await reader.readexactly(int(hmap["content-length"]))
                elif hmap.get("transfer-encoding", "").lower() == "chunked":
                    body = await read_chunked(reader)
                keep = hmap.get("connection", "").lower() != "close"
                if hmap.get("x-fake-close") == "before-response":
                    self.seen[urlsplit(target).path] += 1
                    writer.close()
                    return
                delay = float(hmap.get("x-fake-delay") or 0)
                if delay > 0:
                    await asyncio.sleep(delay)
                keep = await self.route(method, target, headers, hmap, body, writer) and keep
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    @staticmethod
    async def respond(writer, status, payload, ctype="application/json", extra=()):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}",
                f"content-type: {ctype}", f"content-length: {len(data)}", "server: fake-upstream"]
        head.extend(f"{k}: {v}" for k, v in extra)
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)
        await writer.drain()
        return True

    # -- routes ------------------------------------------------------------------------------
    async def route(self, method, target, headers, hmap, body, writer):
        parts = urlsplit(target)
        path = parts.path
        self.seen[path] += 1
        if path == "/_fake/stats":
            return await self.respond(writer, 200, dict(self.seen))
        if path == "/v1/models":
            return await self.respond(writer, 200, {"object": "list", "data": [
                {"id": self.model, "object": "model", "created": 0, "owned_by": "fake"}]})
        if path == "/v1/echo" or path.startswith("/v1/echo/"):
            return await self.respond(writer, 200, {
                "method": method, "path": path, "query": parts.query,
                "headers": [[k, v] for k, v in headers],
                "body": body.decode("utf-8", "replace")}, extra=[("x-echo", "1")])
        if path.startswith("/v1/status/"):
            code = int(path.rsplit("/", 1)[1])
            return await self.respond(writer, code, {"object": "error", "message": f"status {code}",
                                                     "type": "FakeError", "code": code},
                                      extra=[("x-fake", "yes")])
        if path in ("/v1/chat/completions", "/v1/completions") and method == "POST":
            return await self.completion(path, hmap, body, writer)
        return await self.respond(writer, 404, {"object": "error", "message": "not found",
                                                "type": "NotFoundError", "code": 404})

    async def completion(self, path, hmap, body, writer):
        try:
            req = json.loads(body or b"{}")
            if not isinstance(req, dict):
                raise ValueError("not an object")
        except ValueError:
            return await self.respond(writer, 400, {"object": "error", "message": "invalid JSON body",
                                                    "type": "BadRequestError", "code": 400})
        n = req.get("max_tokens", self.tokens)
        if not isinstance(n, int) or n < 0:
            return await self.respond(writer, 400, {
                "object": "error", "message": "max_tokens must be at least 0, got %r" % (n,),
                "type": "BadRequestError", "param": "max_tokens", "code": 400})
        chat = path.endswith("/chat/completions")
        prompt_tokens = max(1, len(json.dumps(req.get("messages", req.get("prompt", "")))) // 4)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": n,
                 "total_tokens": prompt_tokens + n}
        ident = "cmpl-fake-%d" % time.monotonic_ns()
        if not req.get("stream"):
            text = " ".join("tok%d" % i for i in range(n))
            choice = ({"index": 0, "message": {"role": "assistant", "content": text},
                       "finish_reason": "length"} if chat else
                      {"index": 0, "text": text, "finish_reason": "length"})
            return await self.respond(writer, 200, {
                "id": ident, "object": "chat.completion" if chat else "text_completion",
                "created": int(time.time()), "model": self.model, "choices": [choice],
                "usage": usage})
        delay = float(hmap.get("x-fake-token-delay", self.token_delay))
        if hmap.get("x-fake-burst") == "1":
            burst, delay = Burst(writer), 0
            writer = burst
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                     b"transfer-encoding: chunked\r\nserver: fake-upstream\r\nx-fake: yes\r\n\r\n")
        kind = "chat.completion.chunk" if chat else "text_completion"
        for i in range(n):
            if delay:
                await asyncio.sleep(delay)
            choice = ({"index": 0, "delta": {"content": "tok%d " % i}, "finish_reason": None}
                      if chat else {"index": 0, "text": "tok%d " % i, "finish_reason": None})
            event = {"id": ident, "object": kind, "created": 0, "model": self.model,
                     "choices": [choice]}
            write_chunk(writer, b"data: " + json.dumps(event).encode() + b"\n\n")
            await writer.drain()
        opts = req.get("stream_options") or {}
        if isinstance(opts, dict) and opts.get("include_usage"):
            event = {"id": ident, "object": kind, "created": 0, "model": self.model,
                     "choices": [], "usage": usage}
            write_chunk(writer, b"data: " + json.dumps(event).encode() + b"\n\n")
        write_chunk(writer, b"data: [DONE]\n\n")
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


class Burst:
    """Collects what a stream writes and sends it in one write when drained at its end."""

    def __init__(self, writer):
        self.writer, self.parts, self.ended = writer, [], False

    def write(self, data):
        self.parts.append(data)
        self.ended = data == b"0\r\n\r\n"

    async def drain(self):
        if self.ended:
            self.writer.write(b"".join(self.parts))
            await self.writer.drain()


def write_chunk(writer, data):
    writer.write(b"%x\r\n%s\r\n" % (len(data), data))


async def read_chunked(reader):
    out = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(out)
        out.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def main_async(args):
    fake = Fake(args.tokens, args.token_delay, args.model)
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    server = await asyncio.start_server(fake.handle, args.host, args.port, backlog=4096,
                                        reuse_address=True, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    print("READY %d" % port, flush=True)
    async with server:
        await server.serve_forever()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tokens", type=int, default=20)
    parser.add_argument("--token-delay", type=float, default=0.0)
    parser.add_argument("--model", default="fake-model")
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain)")
    parser.add_argument("--tls-key", help="the PEM private key of --tls-cert")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    try:
        asyncio.run(main_async(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
