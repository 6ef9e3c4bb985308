# SPDX-License-Identifier: MIT
"""The serve proxy's behaviour suite (`mgpux-proxy`, proxy/src), run against a plain http://
upstream and against an https:// one. Each class has its own fake OpenAI-compatible upstream
(tests/support/fake_upstream.py) and its own proxy, both run as subprocesses on free loopback
ports; the https:// one has a certificate signed by a test CA made for the class, which the proxy
trusts through SSL_CERT_FILE.

The behaviour tests live in the mixin ProxyBehaviour (not a TestCase, so unittest does not collect
it); NativeProxyTest and TlsUpstreamProxyTest only say how to reach their upstream."""
import concurrent.futures
import contextlib
import hashlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

import httpx

SOURCE_DIR = Path(os.environ.get("MGPUX_TEST_SOURCE_DIR", Path(__file__).resolve().parents[2])).resolve()
BUILD_DIR = Path(os.environ.get("MGPUX_TEST_BUILD_DIR", SOURCE_DIR / "build" / "release"))
# the native proxy: $MGPUX_PROXY (as for m-gpux itself), else the one the build tree made
NATIVE = Path(os.environ.get("MGPUX_PROXY") or BUILD_DIR / "bin" / "mgpux-proxy")
FAKE = SOURCE_DIR / "tests" / "support" / "fake_upstream.py"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

KEY = "sk-mgpux-" + "1" * 48
KEY2 = "sk-mgpux-" + "2" * 48
REVOKED = "sk-mgpux-" + "3" * 48
AUTH = {"Authorization": "Bearer " + KEY}
# The proxy's environment when KEY is its one key, given as its digest (no keys file)
KEY_ENV = {"MGPUX_KEY_HASHES": hashlib.sha256(KEY.encode()).hexdigest()}
T = httpx.Timeout(30.0)


# Under ctest the proxy is started the way users start it: `m-gpux serve proxy`, through the
# host's process service. Run by hand without a build, the program is started directly.
MGPUX = os.environ.get("MGPUX_TEST_BIN")
MGPUX_PLUGINS = os.environ.get("MGPUX_TEST_PLUGIN_DIR")
THROUGH_MGPUX = bool(MGPUX and MGPUX_PLUGINS and os.path.exists(MGPUX))


def start(args, env=None, argv=None):
    """Starts a server in its own session; returns (process, first stdout line). Its stderr goes
    to a temp file. `argv` replaces `python3 args...` as the whole command line."""
    log = tempfile.TemporaryFile()
    command = argv if argv is not None else [PYTHON, *map(str, args)]
    proc = subprocess.Popen([str(a) for a in command], stdout=subprocess.PIPE, stderr=log,
                            stdin=subprocess.DEVNULL, env=dict(os.environ, **(env or {})),
                            start_new_session=True)
    proc.log = log
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + 30
    line = b""
    while time.monotonic() < deadline and not line.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            byte = os.read(fd, 1)
            if not byte:
                break
            line += byte
        elif proc.poll() is not None:
            break
    if not line.endswith(b"\n"):
        proc.log = None  # stop() would close it: it is read for the message first
        stop(proc)
        log.seek(0)
        err = log.read()[-2000:]
        log.close()
        raise RuntimeError("server did not start (%s): %r %r" % (command[0], line, err))
    return proc, line.decode().strip()


def stop(proc):
    if proc is None:
        return
    if proc.poll() is None:
        # SIGTERM first: m-gpux passes it on to the proxy it started; then make sure.
        for sig, wait_s in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(wait_s)
                break
            except subprocess.TimeoutExpired:
                continue
    for f in (proc.stdout, getattr(proc, "log", None)):
        if f is not None:
            f.close()


def start_upstream(port=0, *extra):
    proc, line = start([FAKE, "--port", port, *extra])
    return proc, int(line.split()[1])


def start_upstream_on(port, extra=(), deadline=10.0):
    """Starts the fake on a given port, retrying while the port is still held."""
    end = time.monotonic() + deadline
    while True:
        try:
            return start_upstream(port, *extra)[0]
        except RuntimeError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


def write_keys(path, entries):
    Path(path).write_text(json.dumps(entries, indent=2))


def make_test_pki(folder):
    """A test CA and, signed by it, certificates for 127.0.0.1 (good.pem) and for another name
    (other-name.pem); plus a self-signed one for 127.0.0.1 (self-signed.pem). Keys beside them."""
    folder = Path(folder)
    folder.mkdir()

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)

    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=m-gpux test CA")
    for name, san in (("good", "IP:127.0.0.1,DNS:localhost"), ("other-name", "DNS:other.example")):
        (folder / (name + ".ext")).write_text("subjectAltName=%s\nbasicConstraints=CA:FALSE\n" % san)
        openssl("req", *key, "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext")
    openssl("req", "-x509", *key, "-keyout", "self-signed.key", "-out", "self-signed.pem", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")
    return folder


def tls_args(folder, name):
    return ("--tls-cert", Path(folder) / (name + ".pem"), "--tls-key", Path(folder) / (name + ".key"))


def sse_events(text):
    return [block[len("data: "):] for block in text.split("\n\n") if block.startswith("data: ")]


# -- raw HTTP/1.1, for what httpx hides: pipelining, HEAD framing, many sockets at once -----------
def raw_request(method, target, body=b"", headers=AUTH):
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: 127.0.0.1"]
    lines += ["%s: %s" % kv for kv in headers.items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def raw_connect(url, timeout=30.0):
    """A blocking socket to the proxy at `url` and a buffered reader on it."""
    host, port = url.rsplit("/", 1)[-1].rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    return sock, sock.makefile("rb")


def read_response(reader, head=False):
    """One response from a buffered socket reader -> (status, {lower-case name: value}, body).
    Raises EOFError when the peer closed before a whole response came."""
    status_line = reader.readline()
    if not status_line.endswith(b"\r\n"):
        raise EOFError("connection closed before a response: %r" % status_line)
    status = int(status_line.split(b" ", 2)[1])
    headers = {}
    while True:
        line = reader.readline()
        if not line.endswith(b"\r\n"):
            raise EOFError("connection closed in the response head")
        if line == b"\r\n":
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if head or status in (204, 304) or 100 <= status < 200:
        return status, headers, b""
    if "content-length" in headers:
        body = read_exactly(reader, int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = read_chunked(reader)
    else:
        body = reader.read()  # framed by the end of the connection
    return status, headers, body


def read_exactly(reader, n):
    data = reader.read(n)
    if len(data) != n:
        raise EOFError("connection closed after %d of %d body bytes" % (len(data), n))
    return data


def read_chunked(reader):
    parts = []
    while True:
        size = int(reader.readline().split(b";")[0], 16)
        if size == 0:
            while reader.readline() not in (b"\r\n", b""):  # trailers
                pass
            return b"".join(parts)
        parts.append(read_exactly(reader, size))
        read_exactly(reader, 2)


def closed_by_peer(reader, wait_s):
    """Whether the peer closes the connection (EOF or reset) within `wait_s`, sending nothing more."""
    reader.raw._sock.settimeout(wait_s)
    try:
        return reader.read(1) == b""
    except ConnectionError:
        return True
    except socket.timeout:
        return False


def head_only(method, target, headers, http="HTTP/1.1", host=True):
    """A request head (no body) from a list of (name, value) pairs."""
    lines = ["%s %s %s" % (method, target, http)] + (["Host: 127.0.0.1"] if host else [])
    lines += ["%s: %s" % kv for kv in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunked(body, size=4096):
    """`body` in the chunked transfer coding."""
    out = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size]) for i in range(0, len(body), size))
    return out + b"0\r\n\r\n"


def vm_kib(pid, field):
    """A memory figure of /proc/PID/status (VmRSS, VmHWM...) in KiB."""
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def child_pids(pid):
    """The processes whose parent is `pid` (from /proc/PID/task/*/children when the kernel has
    it, else by scanning every /proc/N/stat)."""
    found = set()
    for children in Path("/proc/%d/task" % pid).glob("*/children"):
        try:
            found.update(int(c) for c in children.read_text().split())
        except OSError:
            pass
    if found:
        return sorted(found)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # the name in parentheses may hold spaces: the fields after its last ")" are fixed
        if int(text.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(stat.parent.name))
    return sorted(found)


def process_argv(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return [a.decode() for a in f.read().split(b"\0")[:-1]]


class ProxyBehaviour:
    """The behaviour both proxies must have. One fake upstream and one proxy (max_inflight 4) per
    concrete class; tests that kill the upstream restart it on the same port.

    A concrete class sets IMPL and SCHEME, and with https the fake's certificate (setup_tls)."""

    MAX_INFLIGHT = 4
    IMPL = "native"
    SCHEME = "http"
    MGPUX_ARGS = ()
    ca_file = None  # the test CA the proxy trusts (https)

    @classmethod
    def direct_argv(cls):
        return [NATIVE]

    @classmethod
    def setup_tls(cls):
        """The https class makes its test CA here."""

    @classmethod
    def upstream_args(cls):
        """The fake upstream's extra arguments (its certificate, for https)."""
        return ()

    @classmethod
    def upstream_url(cls, port):
        return "%s://127.0.0.1:%d" % (cls.SCHEME, port)

    @classmethod
    def proxy_env(cls):
        """What the proxy's environment needs to reach the upstream: the test CA, for https."""
        return {"SSL_CERT_FILE": str(cls.ca_file)} if cls.ca_file else {}

    def fake_get(self, path):
        """A GET straight to the fake upstream (its own routes: /_fake/stats)."""
        verify = str(self.ca_file) if self.ca_file else True
        return httpx.get(self.upstream_url(self.up_port) + path, timeout=T, verify=verify)

    @classmethod
    def through_mgpux(cls):
        """Whether `m-gpux serve proxy` starts the proxy in this build."""
        return THROUGH_MGPUX

    def check_proxy_program(self, exe, argv):
        # the program m-gpux ran is the one this suite tests directly ($MGPUX_PROXY, or the build's)
        self.assertEqual(exe, os.path.realpath(NATIVE), argv)

    @classmethod
    def setUpClass(cls):
        # cleanups registered as each thing starts: they run even when setUpClass fails
        tmp = tempfile.TemporaryDirectory(prefix="mgpux-proxy-%s-" % cls.IMPL)
        cls.addClassCleanup(tmp.cleanup)
        cls.tmp = tmp
        cls.keys = Path(cls.tmp.name) / "api_keys.json"
        write_keys(cls.keys, [
            {"name": "default", "key": KEY, "created": "2025-01-01T00:00:00"},
            {"name": "two", "key": KEY2, "created": "2025-01-01T00:00:00", "active": True},
            {"name": "old", "key": REVOKED, "created": "2025-01-01T00:00:00", "active": False},
        ])
        os.chmod(cls.keys, 0o600)
        cls.setup_tls()
        cls.upstream, cls.up_port = start_upstream(0, *cls.upstream_args())
        cls.addClassCleanup(lambda: stop(cls.upstream))  # (the one running at the end)
        cls.proxy, cls.url = cls.start_proxy(cls.up_port, "--max-inflight", cls.MAX_INFLIGHT)
        cls.addClassCleanup(stop, cls.proxy)
        cls.client = httpx.Client(base_url=cls.url, timeout=T)
        cls.addClassCleanup(cls.client.close)

    @classmethod
    def start_proxy(cls, up_port, *extra, env=None, keys=True, upstream_flag=True):
        """Starts a proxy; through `m-gpux serve proxy` when it can (a keys file, no special
        environment), else the program directly. -> (process, base URL)."""
        args = ["--upstream", cls.upstream_url(up_port)] if upstream_flag else []
        args += ["--port", 0]
        if keys:
            args += ["--keys-file", cls.keys]
        args += list(extra)
        if cls.through_mgpux() and "--keys-file" in map(str, args) and not env:
            home = os.path.join(cls.tmp.name, "home")
            os.makedirs(home, exist_ok=True)
            mgpux_env = {"MGPUX_PLUGIN_PATH": MGPUX_PLUGINS, "HOME": home, "MGPUX_PYTHON": PYTHON,
                         "MGPUX_HOME": os.path.join(home, ".m-gpux"), **cls.proxy_env()}
            argv = [MGPUX, "serve", "proxy", *cls.MGPUX_ARGS, *args]
            proc, line = start(None, env=mgpux_env, argv=argv)
        else:
            proc, line = start(None, env=dict(cls.proxy_env(), **(env or {})), argv=[*cls.direct_argv(), *args])
        assert line.startswith("[m-gpux] READY http://127.0.0.1:"), line
        return proc, line.split()[-1]

    def run_direct(self, *args, env=None, timeout=30):
        """Runs the program directly to its end, without MGPUX_* from the test's environment."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith("MGPUX_KEY") and k != "MGPUX_UPSTREAM"}
        return subprocess.run([*map(str, self.direct_argv()), *map(str, args)], capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                              env=dict(clean, **(env or {})))

    def setUp(self):
        # a test that kills the upstream restarts it: one found dead here died on its own, was
        # killed from outside, or its test failed before the restart; say how, then restart it
        if self.upstream.poll() is not None:
            log = self.upstream.log
            log.seek(0)
            sys.stderr.write("\nWARNING: the fake upstream was not running (exit %s): %r\n"
                             % (self.upstream.returncode, log.read()[-1000:]))
            stop(self.upstream)
            type(self).upstream = start_upstream_on(self.up_port, self.upstream_args())
        self.assertIsNone(self.proxy.poll(), "the proxy died")
        self.wait_idle()

    def wait_idle(self, url=None, timeout=15):
        end = time.monotonic() + timeout
        while True:
            doc = httpx.get((url or self.url) + "/health", timeout=T).json()
            if doc["inflight_requests"] == 0 or time.monotonic() > end:
                return doc
            time.sleep(0.05)

    def stats(self, client=None):
        r = (client or self.client).get("/stats", headers=AUTH)
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()

    def chat(self, stream=False, client=None, headers=None, **body):
        body = dict({"model": "fake-model", "messages": [{"role": "user", "content": "hi"}],
                     "stream": stream}, **body)
        return (client or self.client).post("/v1/chat/completions", json=body,
                                            headers=dict(AUTH, **(headers or {})))

    # -- public routes and auth ----------------------------------------------------------------
    def test_started_the_way_users_start_it(self):
        if not THROUGH_MGPUX:
            self.skipTest("run by hand: the proxy was started directly")
        argv = process_argv(self.proxy.pid)
        self.assertTrue(argv[0].endswith("m-gpux"), argv)
        self.assertEqual(argv[1:3 + len(self.MGPUX_ARGS)], ["serve", "proxy", *self.MGPUX_ARGS])
        # m-gpux runs the proxy as its one child, with the flags it was given
        children = child_pids(self.proxy.pid)
        self.assertEqual(len(children), 1, children)
        child = process_argv(children[0])
        exe = os.readlink("/proc/%d/exe" % children[0])
        self.check_proxy_program(exe, child)
        upstream = self.upstream_url(self.up_port)
        self.assertEqual(child[child.index("--upstream") + 1].rstrip("/"), upstream, child)
        self.assertEqual(child[child.index("--max-inflight") + 1], str(self.MAX_INFLIGHT), child)
        self.assertEqual(child[child.index("--keys-file") + 1], str(self.keys), child)
        self.assertEqual(child[child.index("--max-body") + 1], str(16 * 1024 * 1024), child)

    def test_health_is_public_and_answers_at_once(self):
        t0 = time.monotonic()
        r = httpx.get(self.url + "/health", timeout=T)
        self.assertLess(time.monotonic() - t0, 3.0)
        self.assertEqual(r.status_code, 200)
        doc = r.json()
        self.assertIn(doc["status"], ("ok", "loading"))
        for _ in range(50):
            if httpx.get(self.url + "/health", timeout=T).json()["status"] == "ok":
                break
            time.sleep(0.1)
        else:
            self.fail("/health never reported ok")

    def test_missing_or_non_bearer_authorization_is_401(self):
        for headers in ({}, {"Authorization": "Basic " + KEY}, {"Authorization": KEY},
                        {"Authorization": "Bearer"}, {"Authorization": "Token " + KEY}):
            with self.subTest(headers=headers):
                r = self.client.get("/v1/models", headers=headers)
                self.assertEqual(r.status_code, 401)
                err = r.json()["error"]
                self.assertEqual(err["type"], "auth_error")
                self.assertIn("Bearer", err["message"])
                self.assertNotIn(KEY, r.text)

    def test_unknown_or_revoked_key_is_403(self):
        for key in ("sk-mgpux-" + "9" * 48, REVOKED, KEY + "x", KEY[:-1]):
            with self.subTest(key=key[-6:]):
                r = self.client.get("/v1/models", headers={"Authorization": "Bearer " + key})
                self.assertEqual(r.status_code, 403)
                self.assertEqual(r.json()["error"]["type"], "auth_error")

    def test_valid_keys_are_accepted_any_scheme_case(self):
        for header in ("Bearer " + KEY, "bearer " + KEY2, "BEARER  " + KEY):
            r = self.client.get("/v1/models", headers={"Authorization": header})
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json()["data"][0]["id"], "fake-model")

    def test_stats_needs_a_key_and_docs_are_off(self):
        self.assertEqual(self.client.get("/stats").status_code, 401)
        self.assertEqual(self.client.get("/stats", headers={"Authorization": "Bearer nope"}).status_code, 403)
        for path in ("/docs", "/openapi.json", "/"):
            self.assertEqual(self.client.get(path).status_code, 401, path)
            self.assertEqual(self.client.get(path, headers=AUTH).status_code, 404, path)

    @contextlib.contextmanager
    def proxy_with_keys_file(self, entries):
        """A proxy of its own reading a keys file that starts with `entries`. -> (base URL, file)"""
        with tempfile.TemporaryDirectory() as tmp:
            keys = Path(tmp) / "keys.json"
            write_keys(keys, entries)
            proc, url = self.start_proxy(self.up_port, "--keys-file", keys, keys=False)
            try:
                yield url, keys
            finally:
                stop(proc)

    def test_revoking_in_the_keys_file_takes_effect_without_restart(self):
        with self.proxy_with_keys_file([{"name": "a", "key": KEY, "created": "x"}]) as (url, keys):
            self.assertEqual(httpx.get(url + "/v1/models", headers=AUTH, timeout=T).status_code, 200)
            write_keys(keys, [{"name": "a", "key": KEY, "created": "x", "active": False},
                              {"name": "b", "key": KEY2, "created": "x"}])
            end = time.monotonic() + 10
            while httpx.get(url + "/v1/models", headers=AUTH, timeout=T).status_code != 403:
                self.assertLess(time.monotonic(), end, "revocation not picked up")
                time.sleep(0.2)
            r = httpx.get(url + "/v1/models", headers={"Authorization": "Bearer " + KEY2}, timeout=T)
            self.assertEqual(r.status_code, 200)

    def test_revoking_reaches_an_open_keep_alive_connection(self):
        # a connection's accepted key is taken again for a second without hashing; a revocation
        # must still reach the connection that keeps sending it, within about two seconds
        with self.proxy_with_keys_file([{"name": "a", "key": KEY, "created": "x"}]) as (url, keys), \
                httpx.Client(base_url=url, timeout=T) as c:
            self.assertEqual(c.get("/v1/models", headers=AUTH).status_code, 200)
            write_keys(keys, [{"name": "a", "key": KEY, "created": "x", "active": False}])
            revoked_at = time.monotonic()
            while True:
                r = c.get("/v1/models", headers=AUTH)
                if r.status_code == 403:
                    break
                self.assertEqual(r.status_code, 200)
                self.assertEqual(r.headers.get("connection"), None)  # still the same connection
                self.assertLess(time.monotonic() - revoked_at, 5.0, "revocation not seen on the open connection")
                time.sleep(0.05)

    def test_only_a_missing_or_true_active_makes_a_key_active(self):
        # fail closed: an "active" that is not JSON true (0, "false", null, "true", 1...) revokes
        odd = [False, 0, "false", None, "true", 1, "", [], {}]
        odd_keys = ["sk-mgpux-%048d" % i for i in range(len(odd))]
        entries = [{"name": "odd%d" % i, "key": k, "created": "x", "active": v}
                   for i, (k, v) in enumerate(zip(odd_keys, odd))]
        good = [{"name": "yes", "key": KEY, "created": "x", "active": True},
                {"name": "plain", "key": KEY2, "created": "x"}]
        with self.proxy_with_keys_file(entries + good) as (url, keys), httpx.Client(base_url=url, timeout=T) as c:
            for key, value in zip(odd_keys, odd):
                with self.subTest(active=value):
                    r = c.get("/v1/models", headers={"Authorization": "Bearer " + key})
                    self.assertEqual(r.status_code, 403, r.text)
            for key in (KEY, KEY2):
                self.assertEqual(c.get("/v1/models", headers={"Authorization": "Bearer " + key}).status_code, 200)
            # a file with only such keys has no active key: the proxy does not start
            write_keys(keys, entries)
            r = self.run_direct("--upstream", "http://127.0.0.1:9", "--port", "0", "--keys-file", keys, timeout=10)
        self.assertEqual(r.returncode, 2, (r.stdout, r.stderr))
        self.assertIn("no active API key", r.stderr)

    def test_key_hashes_and_upstream_from_environment_and_docs_flag(self):
        hashes = ",".join(hashlib.sha256(k.encode()).hexdigest() for k in (KEY2,))
        env = {"MGPUX_KEY_HASHES": hashes, "MGPUX_UPSTREAM": self.upstream_url(self.up_port)}
        proc, url = self.start_proxy(self.up_port, "--docs", keys=False, env=env, upstream_flag=False)
        try:
            with httpx.Client(base_url=url, timeout=T) as c:
                self.assertEqual(c.get("/v1/models", headers={"Authorization": "Bearer " + KEY2}).status_code, 200)
                self.assertEqual(c.get("/v1/models", headers=AUTH).status_code, 403)
                self.assertEqual(c.get("/openapi.json").status_code, 200)
                self.assertIn("/v1/chat/completions", c.get("/openapi.json").json()["paths"])
                self.assertEqual(c.get("/docs").status_code, 200)
                self.assertEqual(c.get("/stats").status_code, 401)
        finally:
            stop(proc)

    def test_refuses_to_start_without_keys(self):
        r = self.run_direct("--upstream", "http://127.0.0.1:9", "--port", "0")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("no active API key", r.stderr)
        # a keys file whose only key is revoked holds no active key either
        with tempfile.TemporaryDirectory() as tmp:
            keys = Path(tmp) / "keys.json"
            write_keys(keys, [{"name": "old", "key": REVOKED, "created": "x", "active": False}])
            r = self.run_direct("--upstream", "http://127.0.0.1:9", "--port", "0", "--keys-file", keys)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("no active API key", r.stderr)

    def test_bad_usage_exits_2(self):
        hashes = KEY_ENV
        up = "http://127.0.0.1:9"
        for args in (["--port", "0"],  # no upstream (and no MGPUX_UPSTREAM)
                     ["--upstream", up, "--port", "0", "--bogus"],
                     ["--upstream", up, "--port", "0", "--max-inflight", "0"],
                     ["--upstream", up, "--port", "0", "--max-body", "0"],
                     ["--upstream", up, "--port", "0", "--max-body", "lots"],
                     ["--upstream", up, "--port", "0", "--header-timeout", "0"],
                     ["--upstream", up, "--port", "0", "--idle-timeout", "soon"],
                     ["--upstream", up, "--port", "eighty"]):
            with self.subTest(args=args):
                r = self.run_direct(*args, env=hashes)
                self.assertEqual(r.returncode, 2, (r.stdout, r.stderr))
                self.assertNotIn("READY", r.stdout)

    def test_sigterm_and_sigint_exit_0(self):
        env = KEY_ENV
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=sig.name):
                proc, url = self.start_proxy(self.up_port, keys=False, env=env)
                try:
                    self.assertEqual(httpx.get(url + "/v1/models", headers=AUTH, timeout=T).status_code, 200)
                    os.kill(proc.pid, sig)
                    self.assertEqual(proc.wait(10), 0)
                finally:
                    stop(proc)

    # -- forwarding ----------------------------------------------------------------------------
    def test_query_string_method_headers_and_body_are_forwarded(self):
        raw = b'{ "weird" :  [1,2 ,3],\n "keep": "as is" }'
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            with self.subTest(method=method):
                r = self.client.request(method, "/v1/echo/sub?x=1&y=a%20b&y=2", content=raw,
                                        headers=dict(AUTH, **{"X-Custom": "v1", "Content-Type": "text/plain",
                                                              "Connection": "keep-alive"}))
                self.assertEqual(r.status_code, 200)
                self.assertEqual(r.headers.get("x-echo"), "1")
                doc = r.json()
                self.assertEqual(doc["method"], method)
                self.assertEqual(doc["path"], "/v1/echo/sub")
                self.assertEqual(doc["query"], "x=1&y=a%20b&y=2")
                names = [k for k, _ in doc["headers"]]
                self.assertIn(["x-custom", "v1"], doc["headers"])
                self.assertIn(["content-type", "text/plain"], doc["headers"])
                self.assertNotIn("authorization", names)
                self.assertNotIn("connection", names)
                self.assertEqual(doc["body"].encode(), raw)

    def test_upstream_status_and_headers_come_back(self):
        r = self.client.get("/v1/status/418", headers=AUTH)
        self.assertEqual(r.status_code, 418)
        self.assertEqual(r.headers.get("x-fake"), "yes")
        self.assertEqual(r.json()["message"], "status 418")
        r = self.client.get("/v1/nowhere", headers=AUTH)
        self.assertEqual(r.status_code, 404)

    def test_non_stream_completion(self):
        r = self.chat(max_tokens=5)
        self.assertEqual(r.status_code, 200)
        doc = r.json()
        self.assertEqual(doc["usage"]["completion_tokens"], 5)
        self.assertEqual(doc["choices"][0]["message"]["content"], "tok0 tok1 tok2 tok3 tok4")

    def test_upstream_400_on_a_stream_is_passed_through(self):
        r = self.chat(stream=True, max_tokens=-1)
        self.assertEqual(r.status_code, 400)
        self.assertTrue(r.headers["content-type"].startswith("application/json"))
        self.assertIn("max_tokens", r.json()["message"])

    def test_stream_is_relayed_chunk_by_chunk(self):
        body = {"model": "fake-model", "messages": [], "stream": True, "max_tokens": 5}
        arrivals = []
        data = b""
        with self.client.stream("POST", "/v1/chat/completions", json=body,
                                headers=dict(AUTH, **{"x-fake-token-delay": "0.25"})) as r:
            self.assertEqual(r.status_code, 200)
            self.assertTrue(r.headers["content-type"].startswith("text/event-stream"))
            self.assertEqual(r.headers.get("x-fake"), "yes")
            for chunk in r.iter_raw():
                arrivals.append((time.monotonic(), chunk.count(b"data: ")))
                data += chunk
        events = sse_events(data.decode())
        self.assertEqual(events[-1], "[DONE]")
        self.assertEqual(len(events), 6)
        self.assertEqual(json.loads(events[0])["choices"][0]["delta"]["content"], "tok0 ")
        # tokens arrive as they are produced, not in one piece at the end
        first_token = next(t for t, n in arrivals if n)
        self.assertGreater(arrivals[-1][0] - first_token, 0.6)
        self.assertGreaterEqual(sum(1 for _, n in arrivals if n), 4)

    def test_stream_pieces_read_together_go_out_in_one_write(self):
        # the fake sends a 20-token stream in one write: the proxy reads it in one or two reads, and
        # what it has read goes to the client as one chunk, not as one chunk (and write) per token
        body = json.dumps({"model": "fake-model", "messages": [], "stream": True, "max_tokens": 20}).encode()
        sock, reader = raw_connect(self.url)
        try:
            sock.sendall(raw_request("POST", "/v1/chat/completions", body,
                                     dict(AUTH, **{"x-fake-burst": "1", "Content-Type": "application/json"})))
            status, headers, _ = read_response(reader, head=True)
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("transfer-encoding"), "chunked")
            sizes, data = [], b""
            while True:
                size = int(reader.readline().split(b";")[0], 16)
                if size == 0:
                    reader.readline()
                    break
                data += read_exactly(reader, size)
                read_exactly(reader, 2)
                sizes.append(size)
        finally:
            reader.close()
            sock.close()
        events = sse_events(data.decode())
        self.assertEqual(len(events), 21)
        self.assertEqual(events[-1], "[DONE]")
        self.assertLessEqual(len(sizes), 2, sizes)

    # -- gathering (--gather-us) ----------------------------------------------------------------
    def gathered_streams(self, window):
        """16 clients x 4 streams of 40 tokens at once through a one-loop proxy with `--gather-us
        window`: -> (the tokens of every stream, the proxy's gather_pauses). The tokens are 2 ms
        apart, so the loop has time to spare (a saturated one never pauses, under ASan too), and
        the streams, begun together, send theirs in bunches: a wake-up often brings several."""
        proc, url = self.start_proxy(self.up_port, "--gather-us", window, "--threads", 1, "--max-inflight", 64,
                                     keys=False, env=KEY_ENV)
        body = {"model": "fake-model", "messages": [], "stream": True, "max_tokens": 40}
        spaced = dict(AUTH, **{"x-fake-token-delay": "0.002"})
        barrier = threading.Barrier(16)

        def client(_):
            out = []
            with httpx.Client(base_url=url, timeout=T) as c:
                for _ in range(4):
                    barrier.wait(30)
                    with c.stream("POST", "/v1/chat/completions", json=body, headers=spaced) as r:
                        text = r.read().decode()
                        self.assertEqual(r.status_code, 200, text)
                    events = sse_events(text)
                    self.assertEqual(events[-1], "[DONE]")
                    out.append("".join(json.loads(e)["choices"][0]["delta"].get("content", "") for e in events[:-1]))
            return out

        try:
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                texts = [t for got in pool.map(client, range(16)) for t in got]
            pauses = httpx.get(url + "/stats", headers=AUTH, timeout=T).json()["gather_pauses"]
        finally:
            stop(proc)
        return texts, pauses

    def test_streams_gathered_under_load_arrive_whole_and_in_order(self):
        # a window far above the default (2 ms), so that pieces of many streams arrive in pauses
        texts, pauses = self.gathered_streams(2000)
        self.assertEqual(texts, ["".join("tok%d " % i for i in range(40))] * 64)
        self.assertGreater(pauses, 0)

    def test_no_pause_with_gathering_off(self):
        texts, pauses = self.gathered_streams(0)
        self.assertEqual(texts, ["".join("tok%d " % i for i in range(40))] * 64)
        self.assertEqual(pauses, 0)

    # -- memory after a burst -------------------------------------------------------------------
    def test_memory_goes_back_once_the_proxy_is_quiet(self):
        """96 requests at once, each answered after 4 s with a 40 kB body, just after a quick one
        ended (so the proxy was waiting for a quiet moment). While any is in flight nothing is
        given back; about 2 s after the last one ended the proxy gives memory back once
        (memory_releases), and its resident memory falls (not under ASan, whose allocator keeps
        what it has)."""
        n = 96
        proc, url = self.start_proxy(self.up_port, "--threads", 1, "--max-inflight", 2 * n, keys=False,
                                     env=KEY_ENV)  # the program itself: its own pid
        body = {"model": "fake-model", "messages": [], "max_tokens": 5000}
        slow = dict(AUTH, **{"x-fake-delay": "4"})
        barrier = threading.Barrier(n + 1)

        def releases():
            return httpx.get(url + "/stats", headers=AUTH, timeout=T).json()["memory_releases"]

        def one(_):
            with httpx.Client(base_url=url, timeout=T) as c:
                barrier.wait(30)
                r = c.post("/v1/chat/completions", json=body, headers=slow)
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json()["usage"]["completion_tokens"], 5000)

        try:
            before = releases()
            with concurrent.futures.ThreadPoolExecutor(n) as pool:
                answers = [pool.submit(one, i) for i in range(n)]
                while barrier.n_waiting < n:  # every client ready
                    time.sleep(0.01)
                # a request that ends just before the burst: the proxy starts waiting for a quiet moment
                quick = httpx.post(url + "/v1/chat/completions", json={"model": "fake-model", "messages": []},
                                   headers=AUTH, timeout=T)
                self.assertEqual(quick.status_code, 200, quick.text)
                barrier.wait(30)
                time.sleep(3)  # more than the quiet time since the last request came in, all in flight
                during = releases()
                for f in answers:
                    f.result()
            ended = time.monotonic()
            rss_end = vm_kib(proc.pid, "VmRSS")
            while releases() == before and time.monotonic() - ended < 10:
                time.sleep(0.05)
            waited = time.monotonic() - ended
            after = releases()
            rss_after = vm_kib(proc.pid, "VmRSS")
            time.sleep(1.5)
            later = releases()
            asan = "libasan" in Path("/proc/%d/maps" % proc.pid).read_text()
        finally:
            stop(proc)
        sys.stderr.write("\n[%s proxy: RSS %.1f MiB after the burst, %.1f MiB %.1f s later]\n"
                         % (self.IMPL, rss_end / 1024, rss_after / 1024, waited))
        self.assertEqual(during - before, 0, "memory was given back with requests in flight")
        self.assertEqual(after - before, 1)
        self.assertGreater(waited, 1.5, "memory was given back before the proxy had been quiet")
        self.assertEqual(later, after, "given back again with no request in between")
        if not asan:
            self.assertLess(rss_after, rss_end - 1024)

    # -- backpressure --------------------------------------------------------------------------
    def test_429_at_the_limit_and_no_5xx_at_twice_the_limit(self):
        n = self.MAX_INFLIGHT
        body = {"model": "fake-model", "messages": [], "stream": True, "max_tokens": 6}
        slow = dict(AUTH, **{"x-fake-token-delay": "0.25"})
        before = self.stats()
        barrier = threading.Barrier(2 * n)

        def one(_):
            with httpx.Client(base_url=self.url, timeout=T) as c:
                barrier.wait(10)
                with c.stream("POST", "/v1/chat/completions", json=body, headers=slow) as r:
                    data = r.read()
                    return r.status_code, r.headers.get("retry-after"), data

        with concurrent.futures.ThreadPoolExecutor(2 * n) as pool:
            results = list(pool.map(one, range(2 * n)))
        codes = sorted(code for code, _, _ in results)
        self.assertEqual(codes, [200] * n + [429] * n)
        for code, retry_after, data in results:
            if code == 429:
                self.assertTrue(retry_after and int(retry_after) >= 1)
                self.assertEqual(json.loads(data)["error"]["type"], "rate_limit_error")
            else:
                self.assertTrue(data.endswith(b"data: [DONE]\n\n"))
        after = self.stats()
        self.assertEqual(after["rejected_429"] - before["rejected_429"], n)
        self.assertEqual(after["total_errors_5xx"], before["total_errors_5xx"])
        self.assertGreaterEqual(after["peak_inflight"], n)

    def test_streams_hold_their_slot_until_the_last_byte(self):
        n = self.MAX_INFLIGHT
        body = {"model": "fake-model", "messages": [], "stream": True, "max_tokens": 6}
        slow = dict(AUTH, **{"x-fake-token-delay": "0.2"})
        clients = [httpx.Client(base_url=self.url, timeout=T) for _ in range(n)]
        streams = []
        try:
            for c in clients:
                cm = c.stream("POST", "/v1/chat/completions", json=body, headers=slow)
                r = cm.__enter__()
                self.assertEqual(r.status_code, 200)
                it = r.iter_raw()
                next(it)  # the stream has started and sent its first byte
                streams.append((cm, r, it))
            # all n slots are taken by running streams: the next request is turned away
            r = self.chat(max_tokens=1)
            self.assertEqual(r.status_code, 429)
            self.assertIn("retry-after", r.headers)
            for _, _, it in streams:
                for _ in it:
                    pass
        finally:
            for cm, _, _ in streams:
                cm.__exit__(None, None, None)
            for c in clients:
                c.close()
        self.wait_idle()
        self.assertEqual(self.chat(max_tokens=1).status_code, 200)

    def test_client_hanging_up_frees_the_slot(self):
        body = {"model": "fake-model", "messages": [], "stream": True, "max_tokens": 100}
        with httpx.Client(base_url=self.url, timeout=T) as c:
            with c.stream("POST", "/v1/chat/completions", json=body,
                          headers=dict(AUTH, **{"x-fake-token-delay": "0.2"})) as r:
                it = r.iter_raw()  # (a dropped iterator closes the connection at once)
                first = next(it)
                self.assertEqual(r.status_code, 200, first)
                self.assertEqual(httpx.get(self.url + "/health", timeout=T).json()["inflight_requests"], 1)
        # the connection is closed: the slot comes back long before the 20 s stream would end
        doc = self.wait_idle(timeout=5)
        self.assertEqual(doc["inflight_requests"], 0)

    # -- connections ---------------------------------------------------------------------------
    def test_200_connections_at_once_get_200_or_429_never_503(self):
        n = 200
        before = self.stats()
        body = json.dumps({"model": "fake-model", "messages": [], "max_tokens": 2}).encode()
        # the upstream holds each admitted request 1 s, so the 4 slots stay full while the
        # other requests arrive: they must be turned away with 429, not dropped or refused
        payload = raw_request("POST", "/v1/chat/completions", body,
                              dict(AUTH, **{"Content-Type": "application/json", "x-fake-delay": "1"}))
        conns = []
        try:
            for _ in range(n):  # every connection is open before the first request is sent
                conns.append(raw_connect(self.url))
            for sock, _ in conns:
                sock.sendall(payload)
            outcomes = []
            for _, reader in conns:
                try:
                    status, headers, data = read_response(reader)
                    outcomes.append(status)
                    if status == 200:
                        self.assertEqual(json.loads(data)["usage"]["completion_tokens"], 2)
                    elif status == 429:
                        self.assertGreaterEqual(int(headers["retry-after"]), 1)
                except (OSError, EOFError) as exc:
                    outcomes.append(type(exc).__name__)
        finally:
            for sock, reader in conns:
                reader.close()
                sock.close()
        counts = {k: outcomes.count(k) for k in set(outcomes)}
        self.assertEqual(set(counts) - {200, 429}, set(), counts)
        self.assertGreaterEqual(counts.get(200, 0), self.MAX_INFLIGHT, counts)
        self.assertGreaterEqual(counts.get(429, 0), 1, counts)
        self.wait_idle()
        after = self.stats()
        self.assertEqual(after["rejected_429"] - before["rejected_429"], counts[429])
        self.assertEqual(after["total_success"] - before["total_success"], counts.get(200, 0))
        self.assertEqual(after["total_errors_5xx"], before["total_errors_5xx"])
        self.assertLessEqual(after["peak_inflight"], self.MAX_INFLIGHT)

    # -- request bodies: answered on the headers, and bounded -----------------------------------
    def exchange(self, data, url=None, wait_s=5.0, closes=True):
        """Sends `data` on a new connection; -> (status, headers, body, seconds to the answer,
        whether the proxy then closed the connection: looked at only when `closes`, else None)."""
        sock, reader = raw_connect(url or self.url, timeout=wait_s)
        try:
            t0 = time.monotonic()
            sock.sendall(data)
            try:
                status, headers, body = read_response(reader)
            except socket.timeout:
                self.fail("no answer within %.0f s to %r" % (wait_s, data[:200]))
            seconds = time.monotonic() - t0
            return status, headers, body, seconds, closed_by_peer(reader, wait_s) if closes else None
        finally:
            reader.close()
            sock.close()

    def upstream_saw(self, path):
        return self.fake_get("/_fake/stats").json().get(path, 0)

    def test_refusals_come_on_the_headers_without_waiting_for_the_body(self):
        # a 1 GiB body is announced and only a few bytes of it are sent: whatever needs no body is
        # answered at once, and the connection is closed instead of reading (or draining) the rest
        big = [("Content-Length", str(1 << 30)), ("Content-Type", "application/json")]
        cases = [
            ("POST", "/v1/chat/completions", big, 401),
            ("POST", "/v1/chat/completions", big + [("Authorization", "Bearer sk-mgpux-" + "9" * 48)], 403),
            ("POST", "/v1/chat/completions", big + [("Authorization", "Bearer " + REVOKED)], 403),
            ("POST", "/health", big, 405),
            ("POST", "/stats", big + list(AUTH.items()), 405),
            ("POST", "/nowhere", big + list(AUTH.items()), 404),
            ("POST", "/v1/chat/completions", big + list(AUTH.items()), 413),  # over --max-body
            ("POST", "/v1/chat/completions", [("Transfer-Encoding", "chunked")], 401),
        ]
        for method, target, headers, expected in cases:
            with self.subTest(target=target, status=expected, headers=[h for h, _ in headers]):
                status, rheaders, body, seconds, closed = self.exchange(
                    head_only(method, target, headers) + b'{"model": "fake-model", "mess')
                self.assertEqual(status, expected, body)
                self.assertLess(seconds, 3.0)
                self.assertEqual(rheaders.get("connection", "").lower(), "close", rheaders)
                self.assertTrue(closed, "the connection stayed open after the answer")
                self.assertIn("error", json.loads(body))
        # a request without a body keeps its connection after a refusal
        sock, reader = raw_connect(self.url)
        try:
            sock.sendall(raw_request("GET", "/v1/models", headers={}) + raw_request("GET", "/v1/models"))
            self.assertEqual(read_response(reader)[0], 401)
            self.assertEqual(read_response(reader)[0], 200)
        finally:
            reader.close()
            sock.close()

    def test_body_over_the_default_limit_is_413_and_not_forwarded(self):
        limit = 16 * 1024 * 1024
        status, headers, body, _, closed = self.exchange(
            head_only("POST", "/v1/echo/default-limit", [("Content-Length", str(limit + 1))] + list(AUTH.items())))
        self.assertEqual(status, 413, body)
        err = json.loads(body)["error"]
        self.assertEqual((err["type"], err["code"]), ("invalid_request_error", "request_too_large"))
        self.assertIn(str(limit), err["message"])
        self.assertTrue(closed)
        self.assertEqual(self.upstream_saw("/v1/echo/default-limit"), 0)

    def test_max_body_flag_bounds_declared_and_chunked_bodies(self):
        limit = 65536
        proc, url = self.start_proxy(self.up_port, "--max-body", limit)
        try:
            if self.through_mgpux():  # `serve proxy` passes the flag on
                child = process_argv(child_pids(proc.pid)[0])
                self.assertEqual(child[child.index("--max-body") + 1], str(limit), child)
            auth = list(AUTH.items())
            fits = os.urandom(limit // 2).hex().encode()
            for name, framing, data in (
                    ("declared", [("Content-Length", str(limit))], fits),
                    ("chunked", [("Transfer-Encoding", "chunked")], chunked(fits))):
                with self.subTest(body=name, fits=True):
                    status, _, body, _, _ = self.exchange(head_only("POST", "/v1/echo/fits", framing + auth) + data, url,
                                                          closes=False)
                    self.assertEqual(status, 200, body[:300])
                    self.assertEqual(json.loads(body)["body"], fits.decode())
            over = fits + b"x"
            for name, framing, data in (
                    ("declared", [("Content-Length", str(len(over)))], over),
                    ("chunked", [("Transfer-Encoding", "chunked")], chunked(over)),
                    ("chunked, one big chunk", [("Transfer-Encoding", "chunked")], chunked(over, len(over)))):
                with self.subTest(body=name, fits=False):
                    path = "/v1/echo/over-" + name.replace(" ", "").replace(",", "-")
                    status, headers, body, _, closed = self.exchange(head_only("POST", path, framing + auth) + data, url)
                    self.assertEqual(status, 413, body[:300])
                    self.assertEqual(json.loads(body)["error"]["code"], "request_too_large")
                    self.assertIn(str(limit), json.loads(body)["error"]["message"])
                    self.assertTrue(closed)
                    self.assertEqual(self.upstream_saw(path), 0)
        finally:
            stop(proc)

    def test_memory_stays_small_while_an_unauthenticated_body_streams(self):
        env = KEY_ENV
        proc, url = self.start_proxy(self.up_port, keys=False, env=env)  # the program itself: its own pid
        total = 200 * 1024 * 1024
        try:
            hwm_before = vm_kib(proc.pid, "VmHWM")
            sock, reader = raw_connect(url, timeout=10)
            box = {"sent": 0}

            def send_body():
                piece = b"x" * (1 << 20)
                try:
                    while box["sent"] < total:
                        sock.sendall(piece)
                        box["sent"] += len(piece)
                except OSError:
                    pass  # the proxy closed the connection (or the 10 s timeout passed)

            try:
                sock.sendall(head_only("POST", "/v1/chat/completions", [("Content-Length", str(total))]))
                sender = threading.Thread(target=send_body)
                sender.start()
                status = read_response(reader)[0]
                sender.join(30)
            finally:
                reader.close()
                sock.close()
            hwm = vm_kib(proc.pid, "VmHWM")
        finally:
            stop(proc)
        self.assertEqual(status, 401)
        self.assertLess(box["sent"], total // 2, "the proxy read the body of an unauthenticated request")
        sys.stderr.write("\n[%s proxy: peak RSS %.1f MiB before, %.1f MiB after a %d MiB unauthenticated body]\n"
                         % (self.IMPL, hwm_before / 1024, hwm / 1024, total >> 20))
        self.assertLess(hwm - hwm_before, 32 * 1024)
        if self.IMPL == "native":
            self.assertLess(hwm, 64 * 1024)

    # -- request framing and form -----------------------------------------------------------------
    def test_transfer_encoding_other_than_chunked_alone_is_400(self):
        # chunked must be the only (so the final) coding: anything else cannot be framed safely,
        # and a proxy that guessed would forward a wrong body or read the body as a next request
        auth = list(AUTH.items())
        body = b"5\r\nhello\r\n0\r\n\r\n"
        for codings, extra in ((["chunked, identity"], []), (["identity"], []), (["gzip, chunked"], []),
                               (["xchunked"], [("Content-Length", "5")]), (["gzip", "chunked"], []),
                               (["chunked", "chunked"], [])):
            with self.subTest(codings=codings, extra=extra):
                path = "/v1/echo/te-" + "-".join(c.replace(", ", "_") for c in codings)
                head = head_only("POST", path, [("Transfer-Encoding", c) for c in codings] + extra + auth)
                status, headers, _, _, closed = self.exchange(head + (b"hello" if extra else body))
                self.assertEqual(status, 400)
                self.assertTrue(closed, "the connection stayed open after a request it could not frame")
                self.assertEqual(self.upstream_saw(path), 0)
        # the coding's name is matched without case
        status, _, answer, _, _ = self.exchange(head_only("POST", "/v1/echo/te", [("Transfer-Encoding", "Chunked")] + auth)
                                                + body, closes=False)
        self.assertEqual((status, json.loads(answer)["body"]), (200, "hello"))

    def test_http11_needs_exactly_one_host(self):
        auth = list(AUTH.items())
        for name, head in (("none", head_only("GET", "/v1/echo/no-host", auth, host=False)),
                           ("two", head_only("GET", "/v1/echo/two-hosts", auth + [("Host", "other.example")]))):
            with self.subTest(host=name):
                status, _, _, _, closed = self.exchange(head)
                self.assertEqual(status, 400)
                self.assertTrue(closed)
        self.assertEqual(self.upstream_saw("/v1/echo/no-host") + self.upstream_saw("/v1/echo/two-hosts"), 0)
        # HTTP/1.0 has no Host requirement
        status, _, _, _, _ = self.exchange(head_only("GET", "/v1/models", auth, http="HTTP/1.0", host=False),
                                           closes=False)
        self.assertEqual(status, 200)

    def test_methods_are_case_sensitive(self):
        # "get" is not GET (RFC 9110 section 9.1): it is refused, never forwarded as GET
        auth = list(AUTH.items())
        for method, target in (("get", "/v1/echo/lower"), ("Get", "/v1/echo/mixed"), ("post", "/v1/echo/lower"),
                               ("get", "/health")):
            with self.subTest(method=method, target=target):
                status, _, _, _, closed = self.exchange(head_only(method, target, auth))
                self.assertEqual(status, 400)
                self.assertTrue(closed)
        self.assertEqual(self.upstream_saw("/v1/echo/lower") + self.upstream_saw("/v1/echo/mixed"), 0)
        status, _, answer, _, _ = self.exchange(head_only("GET", "/v1/echo/upper", auth), closes=False)
        self.assertEqual((status, json.loads(answer)["method"]), (200, "GET"))

    def test_hop_by_hop_headers_are_not_forwarded(self):
        # the standard hop-by-hop headers, and any header the Connection header names
        sent = [("Connection", "keep-alive, X-Secret"), ("Connection", "x-hop-by-hop"), ("X-Secret", "1"),
                ("X-Hop-By-Hop", "2"), ("X-Kept", "3"), ("Keep-Alive", "timeout=5"), ("TE", "trailers"),
                ("Trailer", "X-Later"), ("Proxy-Connection", "keep-alive"), ("Proxy-Authorization", "Basic eA==")]
        status, _, answer, _, _ = self.exchange(head_only("GET", "/v1/echo/hops", sent + list(AUTH.items())),
                                                closes=False)
        self.assertEqual(status, 200, answer)
        forwarded = {name for name, _ in json.loads(answer)["headers"]}
        self.assertIn("x-kept", forwarded)
        for name in ("x-secret", "x-hop-by-hop", "connection", "keep-alive", "te", "trailer", "proxy-connection",
                     "proxy-authorization", "authorization"):
            self.assertNotIn(name, forwarded)

    # -- slow and idle clients ------------------------------------------------------------------
    def test_slow_heads_idle_connections_and_stalled_bodies_are_closed(self):
        # short timeouts for the test (both default to 30 s and 120 s): the head of a request must
        # be in within --header-timeout of its first byte, and a connection without a request in
        # progress, or a body without a byte, is closed after --idle-timeout
        env = KEY_ENV
        proc, url = self.start_proxy(self.up_port, "--header-timeout", "1", "--idle-timeout", "2.5",
                                     keys=False, env=env)
        auth = list(AUTH.items())

        def slowloris():
            # a head sent a line every 0.2 s never ends: closed at the header timeout
            sock, reader = raw_connect(url)
            try:
                t0 = time.monotonic()
                sock.sendall(b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                try:
                    for i in range(40):
                        if select.select([sock], [], [], 0.2)[0]:
                            break  # readable: the proxy closed it (it sends nothing else)
                        sock.sendall(b"X-Drip-%d: x\r\n" % i)
                except OSError:
                    pass  # closed
                seconds = time.monotonic() - t0
                return seconds if closed_by_peer(reader, 1) else None
            finally:
                reader.close()
                sock.close()

        def silent():
            sock, reader = raw_connect(url)
            try:
                t0 = time.monotonic()
                return time.monotonic() - t0 if closed_by_peer(reader, 10) else None
            finally:
                reader.close()
                sock.close()

        def idle_after_an_answer():
            sock, reader = raw_connect(url)
            try:
                sock.sendall(raw_request("GET", "/v1/models"))
                status = read_response(reader)[0]
                t0 = time.monotonic()
                return status, (time.monotonic() - t0 if closed_by_peer(reader, 10) else None)
            finally:
                reader.close()
                sock.close()

        def stalled_body():
            sock, reader = raw_connect(url)
            try:
                t0 = time.monotonic()
                sock.sendall(head_only("POST", "/v1/echo/stalled", [("Content-Length", "100")] + auth) + b"0123456789")
                status, headers, _ = read_response(reader)
                return status, headers.get("connection"), time.monotonic() - t0, closed_by_peer(reader, 5)
            finally:
                reader.close()
                sock.close()

        def slow_but_steady_body():
            # a byte every 0.5 s for 4 s: each byte restarts the idle timeout
            sock, reader = raw_connect(url)
            try:
                sock.sendall(head_only("POST", "/v1/echo/steady", [("Content-Length", "8")] + auth))
                for b in b"01234567":
                    time.sleep(0.5)
                    sock.sendall(bytes([b]))
                status, _, body = read_response(reader)
                return status, json.loads(body)["body"]
            finally:
                reader.close()
                sock.close()

        def slow_upstream():
            # a request in progress is never cut: the upstream takes longer than both timeouts
            sock, reader = raw_connect(url)
            try:
                sock.sendall(raw_request("GET", "/v1/models", headers=dict(AUTH, **{"x-fake-delay": "3.5"})))
                return read_response(reader)[0]
            finally:
                reader.close()
                sock.close()

        try:
            with concurrent.futures.ThreadPoolExecutor(6) as pool:
                jobs = {f.__name__: pool.submit(f) for f in (slowloris, silent, idle_after_an_answer, stalled_body,
                                                               slow_but_steady_body, slow_upstream)}
                got = {name: job.result(30) for name, job in jobs.items()}
        finally:
            stop(proc)
        self.assertIsNotNone(got["slowloris"], got)
        self.assertTrue(0.8 <= got["slowloris"] < 2.2, got)
        self.assertIsNotNone(got["silent"], got)
        self.assertTrue(2.2 <= got["silent"] < 5, got)
        status, after = got["idle_after_an_answer"]
        self.assertEqual(status, 200)
        self.assertIsNotNone(after, got)
        self.assertTrue(2.2 <= after < 5, got)
        status, connection, seconds, closed = got["stalled_body"]
        self.assertEqual((status, (connection or "").lower()), (408, "close"), got)
        self.assertTrue(2.2 <= seconds < 5 and closed, got)
        self.assertEqual(got["slow_but_steady_body"], (200, "01234567"))
        self.assertEqual(got["slow_upstream"], 200)

    def test_request_body_over_1_mb_is_forwarded_intact(self):
        raw = os.urandom(3 * 1024 * 1024 // 2).hex().encode()  # 3 MiB of text, unlike any other
        r = self.client.post("/v1/echo/big?size=3m", content=raw,
                             headers=dict(AUTH, **{"Content-Type": "application/octet-stream"}))
        self.assertEqual(r.status_code, 200, r.text[:500])
        doc = r.json()  # the echo comes back as one 3 MB answer: the other direction too
        self.assertEqual(doc["method"], "POST")
        self.assertEqual(doc["query"], "size=3m")
        self.assertEqual(len(doc["body"]), len(raw))
        self.assertEqual(hashlib.sha256(doc["body"].encode()).hexdigest(), hashlib.sha256(raw).hexdigest())

    def test_large_answers_reach_a_client_that_reads_slowly_intact(self):
        # The client's socket buffers fill, so the proxy's writes to it are cut short and must
        # wait for room: nothing may be lost, repeated or reordered, whole answer or stream.
        host, port = self.url.rsplit("/", 1)[-1].rsplit(":", 1)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a small window
        sock.settimeout(30)
        sock.connect((host, int(port)))
        reader = sock.makefile("rb")
        try:
            tokens = 200000
            body = json.dumps({"model": "fake-model", "messages": [{"role": "user", "content": "hi"}],
                               "max_tokens": tokens}).encode()
            sock.sendall(raw_request("POST", "/v1/chat/completions", body))
            time.sleep(0.5)  # the proxy writes meanwhile, until the socket is full
            status, _, answer = read_response(reader)
            self.assertEqual(status, 200)
            text = json.loads(answer)["choices"][0]["message"]["content"]
            self.assertEqual(text.split(" "), ["tok%d" % i for i in range(tokens)])
            tokens = 20000
            body = json.dumps({"model": "fake-model", "messages": [{"role": "user", "content": "hi"}],
                               "max_tokens": tokens, "stream": True}).encode()
            sock.sendall(raw_request("POST", "/v1/chat/completions", body))
            time.sleep(0.5)
            status, _, stream = read_response(reader)
            self.assertEqual(status, 200)
            events = [e for e in stream.decode().split("\n\n") if e]
            self.assertEqual(events[-1], "data: [DONE]")
            pieces = [json.loads(e[len("data: "):])["choices"][0]["delta"]["content"] for e in events[:-1]]
            self.assertEqual(pieces, ["tok%d " % i for i in range(tokens)])
        finally:
            reader.close()
            sock.close()

    def test_pipelined_and_keep_alive_requests_on_one_connection(self):
        sock, reader = raw_connect(self.url)
        try:
            # two requests in one write: both answered, in order, on the same connection
            sock.sendall(raw_request("POST", "/v1/echo/first", b'{"n": 1}') +
                         raw_request("GET", "/v1/echo/second?n=2"))
            answers = [read_response(reader) for _ in range(2)]
            for (status, headers, _), path in zip(answers, ("/v1/echo/first", "/v1/echo/second")):
                self.assertEqual(status, 200)
                self.assertNotEqual(headers.get("connection", "").lower(), "close")
            docs = [json.loads(body) for _, _, body in answers]
            self.assertEqual([d["path"] for d in docs], ["/v1/echo/first", "/v1/echo/second"])
            self.assertEqual(docs[0]["body"], '{"n": 1}')
            self.assertEqual((docs[1]["method"], docs[1]["query"], docs[1]["body"]), ("GET", "n=2", ""))
            # and the connection is kept for a third, sent after the answers came
            sock.sendall(raw_request("GET", "/v1/models"))
            status, _, body = read_response(reader)
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body)["data"][0]["id"], "fake-model")
        finally:
            reader.close()
            sock.close()

    def test_head_health_answers_200_without_a_body(self):
        r = httpx.head(self.url + "/health", timeout=T)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.content, b"")
        # on one connection: had the HEAD answer carried a body, the GET after it would not parse
        sock, reader = raw_connect(self.url)
        try:
            sock.sendall(raw_request("HEAD", "/health", headers={}) + raw_request("GET", "/health", headers={}))
            status, _, body = read_response(reader, head=True)
            self.assertEqual((status, body), (200, b""))
            status, _, body = read_response(reader)
            self.assertEqual(status, 200)
            self.assertIn(json.loads(body)["status"], ("ok", "loading"))
        finally:
            reader.close()
            sock.close()

    # -- failures ------------------------------------------------------------------------------
    def test_a_silent_upstream_times_out(self):
        # the upstream may be silent within an answer for MGPUX_UPSTREAM_READ_TIMEOUT seconds
        # (900 by default): after that, 504 before anything was sent, an error event within a stream
        proc, url = self.start_proxy(self.up_port, env={"MGPUX_UPSTREAM_READ_TIMEOUT": "1"})
        try:
            with httpx.Client(base_url=url, timeout=T) as c:
                start = time.monotonic()
                r = c.post("/v1/chat/completions", json={"model": "fake-model", "messages": []},
                           headers=dict(AUTH, **{"x-fake-delay": "3"}))
                took = time.monotonic() - start
                self.assertEqual(r.status_code, 504, r.text)
                self.assertEqual(r.json()["error"]["code"], "upstream_timeout")
                self.assertIn("ReadTimeout", r.json()["error"]["message"])
                self.assertTrue(0.8 <= took < 2.5, took)

                body = {"model": "fake-model", "messages": [], "stream": True, "max_tokens": 3}
                with c.stream("POST", "/v1/chat/completions", json=body,
                              headers=dict(AUTH, **{"x-fake-token-delay": "2.5"})) as s:
                    self.assertEqual(s.status_code, 200)
                    data = b"".join(s.iter_raw())
                events = sse_events(data.decode())
                self.assertEqual(events[-1], "[DONE]")
                err = json.loads(events[-2])["error"]
                self.assertEqual(err["code"], "stream_interrupted")
                self.assertIn("ReadTimeout", err["message"])

                # each byte moves the deadline: a stream longer than the timeout, with shorter gaps,
                # is whole, and so is a quick answer on the same connection afterwards
                body["max_tokens"] = 6
                with c.stream("POST", "/v1/chat/completions", json=body,
                              headers=dict(AUTH, **{"x-fake-token-delay": "0.4"})) as s:
                    self.assertEqual(s.status_code, 200)
                    events = sse_events(b"".join(s.iter_raw()).decode())
                self.assertEqual(events[-1], "[DONE]")
                self.assertNotIn("error", events[-2])
                r = c.post("/v1/chat/completions", json={"model": "fake-model", "messages": []}, headers=AUTH)
                self.assertEqual(r.status_code, 200, r.text)
        finally:
            stop(proc)

    def test_upstream_killed_mid_stream(self):
        body = {"model": "fake-model", "messages": [], "stream": True, "max_tokens": 50}
        data = b""
        with self.client.stream("POST", "/v1/chat/completions", json=body,
                                headers=dict(AUTH, **{"x-fake-token-delay": "0.1"})) as r:
            self.assertEqual(r.status_code, 200)
            it = r.iter_raw()
            while data.count(b"data: ") < 2:
                data += next(it)
            stop(self.upstream)  # SIGKILL
            for chunk in it:
                data += chunk
        events = sse_events(data.decode())
        self.assertEqual(events[-1], "[DONE]")
        err = json.loads(events[-2])["error"]
        self.assertEqual(err["type"], "server_error")
        self.assertIn("interrupted", err["message"].lower())
        self.assertLess(len(events), 50)
        # the proxy is alive, and serves again once the upstream is back
        self.assertEqual(httpx.get(self.url + "/health", timeout=T).status_code, 200)
        type(self).upstream = start_upstream_on(self.up_port, self.upstream_args())
        r = self.chat(max_tokens=2)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertGreaterEqual(self.stats()["streams_interrupted"], 1)

    def test_upstream_down_then_back_is_retried(self):
        stop(self.upstream)
        before = self.stats()
        box = {}

        def restart():
            time.sleep(0.6)  # the fake listens about 0.2-0.5 s later, within 1.5 s
            box["proc"] = start_upstream_on(self.up_port, self.upstream_args())

        t = threading.Thread(target=restart)
        t0 = time.monotonic()
        t.start()
        try:
            r = self.chat(max_tokens=3)
        finally:
            t.join()
            type(self).upstream = box.get("proc") or start_upstream_on(self.up_port, self.upstream_args())
        self.assertEqual(r.status_code, 200, r.text)
        self.assertGreater(time.monotonic() - t0, 0.5)
        after = self.stats()
        self.assertGreaterEqual(after["total_retries"] - before["total_retries"], 1)
        # the generation ran once
        seen = self.fake_get("/_fake/stats").json()
        self.assertEqual(seen.get("/v1/chat/completions"), 1)

    def test_a_pooled_connection_closed_while_idle_is_not_retried(self):
        # a connection idle in the pool for more than a moment is checked before it is used: one
        # the upstream closed meanwhile is replaced at once, with no retry and no backoff
        proc, url = self.start_proxy(self.up_port)
        try:
            with httpx.Client(base_url=url, timeout=T) as c:
                self.assertEqual(self.chat(client=c, max_tokens=2).status_code, 200)  # pools its connection
                stop(self.upstream)
                type(self).upstream = start_upstream_on(self.up_port, self.upstream_args())
                time.sleep(1.3)
                before = self.stats(client=c)["total_retries"]
                start = time.monotonic()
                r = self.chat(client=c, max_tokens=2)
                took = time.monotonic() - start
                self.assertEqual(r.status_code, 200, r.text)
                self.assertEqual(self.stats(client=c)["total_retries"], before)
                self.assertLess(took, 0.25)
        finally:
            stop(proc)

    def test_closed_before_any_byte_is_retried_then_503(self):
        t0 = time.monotonic()
        r = self.client.get("/v1/echo/closing", headers=dict(AUTH, **{"x-fake-close": "before-response"}))
        elapsed = time.monotonic() - t0
        self.assertEqual(r.status_code, 503)
        self.assertIn("retry-after", r.headers)
        self.assertEqual(r.json()["error"]["type"], "server_error")
        self.assertGreater(elapsed, 3.5)  # 0.25 + 0.5 + 1 + 2 s of backoff
        seen = self.fake_get("/_fake/stats").json()
        self.assertEqual(seen["/v1/echo/closing"], 5)

    # -- metrics -------------------------------------------------------------------------------
    def test_stats_match_the_traffic(self):
        proc, url = self.start_proxy(self.up_port, "--max-inflight", 8)
        try:
            with httpx.Client(base_url=url, timeout=T) as c:
                for _ in range(3):
                    self.assertEqual(self.chat(client=c, max_tokens=4).status_code, 200)
                r = self.chat(client=c, stream=True, max_tokens=5, stream_options={"include_usage": True},
                              headers={"x-fake-token-delay": "0.1"})
                self.assertEqual(r.status_code, 200)
                self.assertEqual(self.chat(client=c, stream=True, max_tokens=7).status_code, 200)
                self.assertEqual(self.chat(client=c, stream=True, max_tokens=-1).status_code, 400)
                self.assertEqual(c.get("/v1/models").status_code, 401)   # not counted
                doc = self.stats(client=c)
        finally:
            stop(proc)
        self.assertEqual(doc["total_requests"], 6)
        self.assertEqual(doc["total_success"], 5)
        self.assertEqual(doc["total_errors_4xx"], 1)
        self.assertEqual(doc["total_errors_5xx"], 0)
        self.assertEqual(doc["rejected_429"], 0)
        self.assertEqual(doc["total_retries"], 0)
        self.assertEqual(doc["inflight_requests"], 0)
        self.assertEqual(doc["max_inflight_limit"], 8)
        self.assertEqual(doc["streams"], 2)
        self.assertEqual(doc["latency_samples"], 6)
        # 3 non-stream answers of 4 tokens, plus the stream that asked for its usage
        self.assertEqual(doc["tokens_completion_total"], 3 * 4 + 5)
        self.assertGreater(doc["tokens_prompt_total"], 0)
        # the slow stream's latency is measured to its last byte (5 tokens, 0.1 s apart)
        self.assertGreaterEqual(doc["latency_max_ms"], 450)
        self.assertLessEqual(doc["latency_min_ms"], doc["latency_p50_ms"])
        self.assertLessEqual(doc["latency_p50_ms"], doc["latency_p95_ms"])
        self.assertLessEqual(doc["latency_p99_ms"], doc["latency_max_ms"])
        self.assertEqual(doc["vllm_models"]["data"][0]["id"], "fake-model")
        for key in ("uptime_seconds", "requests_per_second", "latency_avg_ms", "gpus", "cpu", "ram", "disk"):
            self.assertIn(key, doc)



class NativeProxyTest(ProxyBehaviour, unittest.TestCase):
    """mgpux-proxy in front of a plain http:// upstream: `m-gpux serve proxy` (the default), or
    $MGPUX_PROXY / the build tree's one."""

    def test_bad_tls_usage_exits_2(self):
        env = KEY_ENV
        for args in (["--upstream", "ftp://127.0.0.1:9"], ["--upstream", "https://"],
                     ["--upstream", "https://127.0.0.1:9", "--upstream-insecure=yes"]):
            with self.subTest(args=args):
                r = self.run_direct(*args, "--port", "0", env=env)
                self.assertEqual(r.returncode, 2, (r.stdout, r.stderr))
                self.assertNotIn("READY", r.stdout)

    def test_bad_gather_window_exits_2_naming_the_flag(self):
        env = KEY_ENV
        for value in ("-1", "abc", "10001", ""):
            with self.subTest(value=value):
                r = self.run_direct("--upstream", "http://127.0.0.1:9", "--gather-us", value, "--port", "0", env=env)
                self.assertEqual(r.returncode, 2, (r.stdout, r.stderr))
                self.assertIn("--gather-us", r.stderr)
                self.assertNotIn("READY", r.stdout)

    def test_answers_framed_by_closing_and_broken_answers(self):
        # an upstream that is not the fake: each answer is written raw, then the connection closes
        done = b'{"object": "list", "data": []}'
        answers = {
            b"/v1/eof": b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n" + done,
            b"/v1/badchunk": b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"transfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
            b"/v1/cut": b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n" + done,
            b"/v1/bighead": b"HTTP/1.1 200 OK\r\nx-big: " + b"a" * 100_000 + b"\r\ncontent-length: 0\r\n\r\n",
        }
        server = socket.create_server(("127.0.0.1", 0))
        server.settimeout(0.2)
        stopping = threading.Event()

        def serve():
            while not stopping.is_set():
                try:
                    conn, _ = server.accept()
                except OSError:
                    continue
                with conn:
                    head = b""
                    while b"\r\n\r\n" not in head:
                        got = conn.recv(65536)
                        if not got:
                            break
                        head += got
                    path = head.split(b" ")[1] if head.count(b" ") >= 2 else b"/"
                    conn.sendall(answers.get(path, answers[b"/v1/eof"]))

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        proc, url = self.start_proxy(server.getsockname()[1])
        try:
            with httpx.Client(base_url=url, timeout=T) as c:
                r = c.get("/v1/eof", headers=AUTH)  # the end of the connection ends the answer
                self.assertEqual((r.status_code, r.content), (200, done))
                self.assertEqual(r.headers["content-length"], str(len(done)))
                for path in ("/v1/badchunk", "/v1/cut"):  # a body that cannot be parsed, or is cut short
                    with self.subTest(path=path):
                        r = c.get(path, headers=AUTH)
                        self.assertEqual(r.status_code, 502, r.text)
                        self.assertEqual(r.json()["error"]["code"], "upstream_interrupted")
                r = c.get("/v1/bighead", headers=AUTH)  # a head over the 64 KiB limit
                self.assertEqual(r.status_code, 502, r.text)
                self.assertEqual(r.json()["error"]["code"], "upstream_error")
        finally:
            stop(proc)
            stopping.set()
            thread.join()
            server.close()


class TlsUpstreamProxyTest(ProxyBehaviour, unittest.TestCase):
    """The same behaviour in front of an https:// upstream whose certificate a test CA signed (the
    proxy verifies it, trusting the CA through SSL_CERT_FILE); and certificates it must refuse."""

    SCHEME = "https"

    @classmethod
    def setup_tls(cls):
        cls.pki = make_test_pki(Path(cls.tmp.name) / "pki")
        cls.ca_file = cls.pki / "ca.pem"

    @classmethod
    def upstream_args(cls):
        return tls_args(cls.pki, "good")

    def refused_certificate(self, name, *proxy_flags):
        """A fake upstream serving certificate `name`, and a proxy in front of it: the answer to a
        request, the proxy's /health, and what the fake saw (nothing should reach it)."""
        proc, port = start_upstream(0, *tls_args(self.pki, name))
        try:
            proxy, url = self.start_proxy(port, *proxy_flags)
            try:
                t0 = time.monotonic()
                r = httpx.post(url + "/v1/chat/completions", headers=AUTH, timeout=T,
                               json={"model": "fake-model", "messages": [], "max_tokens": 2})
                seconds = time.monotonic() - t0
                health = httpx.get(url + "/health", timeout=T).json()
            finally:
                stop(proxy)
            seen = httpx.get("https://127.0.0.1:%d/_fake/stats" % port, timeout=T, verify=False).json()
            return r, seconds, health, seen
        finally:
            stop(proc)

    def test_a_certificate_the_ca_did_not_sign_is_refused(self):
        r, seconds, health, seen = self.refused_certificate("self-signed")
        self.assertEqual(r.status_code, 502, r.text)
        err = r.json()["error"]
        self.assertEqual(err["code"], "upstream_tls_error")
        self.assertIn("certificate", err["message"])
        self.assertIn("--upstream-insecure", err["message"])
        self.assertLess(seconds, 3.0)  # not retried: a certificate does not change in a backoff
        self.assertFalse(health["upstream_ready"])
        self.assertEqual(seen.get("/v1/chat/completions", 0), 0)

    def test_a_certificate_for_another_name_is_refused(self):
        r, _, health, seen = self.refused_certificate("other-name")
        self.assertEqual(r.status_code, 502, r.text)
        self.assertEqual(r.json()["error"]["code"], "upstream_tls_error")
        self.assertFalse(health["upstream_ready"])
        self.assertEqual(seen.get("/v1/chat/completions", 0), 0)

    def test_upstream_insecure_skips_the_check(self):
        proc, port = start_upstream(0, *tls_args(self.pki, "self-signed"))
        try:
            env = KEY_ENV
            proxy, url = self.start_proxy(port, "--upstream-insecure", keys=False, env=env)
            try:
                r = httpx.post(url + "/v1/chat/completions", headers=AUTH, timeout=T,
                               json={"model": "fake-model", "messages": [], "max_tokens": 2})
                self.assertEqual(r.status_code, 200, r.text)
            finally:
                stop(proxy)
        finally:
            stop(proc)

    def test_without_the_ca_the_upstream_is_not_trusted(self):
        env = dict(KEY_ENV, SSL_CERT_FILE="/nonexistent")
        proxy, url = self.start_proxy(self.up_port, keys=False, env=env)
        try:
            r = httpx.get(url + "/v1/models", headers=AUTH, timeout=T)
            self.assertEqual(r.status_code, 502, r.text)
            self.assertEqual(r.json()["error"]["code"], "upstream_tls_error")
        finally:
            stop(proxy)


if __name__ == "__main__":
    unittest.main(verbosity=2)
