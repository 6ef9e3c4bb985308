# SPDX-License-Identifier: MIT
"""A tiny ASGI app with no dependencies: GET /, /health and /hello/<name>; POST /echo.

Host it with:  m-gpux host asgi --project-dir examples/host-asgi --entry main:app --name hello-asgi
"""
import json


async def _body(receive):
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send_json(send, status, payload):
    body = json.dumps(payload).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send):
    """The ASGI callable: HTTP only (lifespan events are acknowledged)."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path, method = scope["path"], scope["method"]
    if method == "GET" and path == "/":
        await _send_json(send, 200, {"message": "Hello from m-gpux host asgi", "routes": ["/health", "/hello/<name>", "POST /echo"]})
    elif method == "GET" and path == "/health":
        await _send_json(send, 200, {"status": "ok"})
    elif method == "GET" and path.startswith("/hello/"):
        await _send_json(send, 200, {"greeting": "Hello, " + path[len("/hello/"):] + "!"})
    elif method == "POST" and path == "/echo":
        data = await _body(receive)
        await _send_json(send, 200, {"echo": data.decode("utf-8", "replace")})
    else:
        await _send_json(send, 404, {"error": "not found", "path": path})
