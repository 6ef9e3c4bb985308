# SPDX-License-Identifier: MIT
"""A tiny WSGI task list with no dependencies: GET /, /health, /api/tasks; POST /api/tasks.

Host it with:  m-gpux host wsgi --project-dir examples/host-wsgi --entry app:app --name tasks
"""
import json
import threading

_tasks = []
_lock = threading.Lock()


def _json(start_response, status, payload):
    body = json.dumps(payload).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _read_json(environ):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return None


def app(environ, start_response):
    """The WSGI callable; tasks live in memory, one list per container."""
    path, method = environ.get("PATH_INFO", "/"), environ.get("REQUEST_METHOD", "GET")
    if method == "GET" and path == "/":
        return _json(start_response, "200 OK", {"message": "Hello from m-gpux host wsgi", "routes": ["/health", "/api/tasks"]})
    if method == "GET" and path == "/health":
        return _json(start_response, "200 OK", {"status": "ok"})
    if path == "/api/tasks" and method == "GET":
        with _lock:
            return _json(start_response, "200 OK", {"tasks": list(_tasks)})
    if path == "/api/tasks" and method == "POST":
        data = _read_json(environ)
        if not isinstance(data, dict) or not str(data.get("title", "")).strip():
            return _json(start_response, "400 Bad Request", {"error": "send {\"title\": \"...\"}"})
        with _lock:
            task = {"id": len(_tasks) + 1, "title": str(data["title"]).strip(), "done": False}
            _tasks.append(task)
        return _json(start_response, "201 Created", task)
    return _json(start_response, "404 Not Found", {"error": "not found", "path": path})
