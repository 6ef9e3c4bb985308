# SPDX-License-Identifier: MIT
"""`m-gpux serve`: the API key store, the local proxy (mgpux-proxy; `--proxy python` is gone),
deploy (rendered script checked by the modal stand-in; secrets through the fake modal), logs,
stop, warmup and dashboard (against the fake OpenAI upstream behind `serve proxy`)."""
import json
import os
import re
import select
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from harness import BIN, SOURCE_DIR, SUPPORT_DIR, MgpuxTestCase, main, module_literals

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
FAKE_UPSTREAM = SOURCE_DIR / "tests" / "support" / "fake_upstream.py"
KEY_RE = re.compile(r"sk-mgpux-[0-9a-f]{48}")
BUILD_DIR = Path(os.environ.get("MGPUX_TEST_BUILD_DIR", BIN.parent.parent)).resolve()
# The shipped native proxy sources as the build tree exposes them (beside the templates).
PROXY_SOURCES = BUILD_DIR / "share" / "m-gpux" / "proxy"
NATIVE_PROXY = BIN.parent / "mgpux-proxy"
# What the deploy script's image step runs.
PROXY_BUILD = ("g++ -std=c++17 -O2 -pthread -I/opt/m-gpux/proxy -o /usr/local/bin/mgpux-proxy /opt/m-gpux/proxy/*.cpp"
               " -lssl -lcrypto")
PYTHON_PROXY_PACKAGES = ["httpx==0.28.1", "uvicorn==0.54.0"]  # what the retired Python proxy installed


def write_stub_proxy(path, record, exit_code=0):
    """An executable standing in for mgpux-proxy: writes its argv (after the program) as JSON to
    `record` and exits with `exit_code`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{PYTHON}\nimport json, sys\n"
                    f"open({str(record)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
                    f"sys.exit({exit_code})\n")
    path.chmod(0o755)
    return path


def relocated_binary(tmp):
    """A copy of m-gpux in tmp/bin: nothing beside it (no mgpux-proxy, no share/m-gpux/proxy).
    The templates are linked in, so only the proxy's pieces are missing."""
    bindir = tmp / "relocated" / "bin"
    bindir.mkdir(parents=True)
    copy = bindir / "m-gpux"
    copy.write_bytes(BIN.read_bytes())
    copy.chmod(0o755)
    share = tmp / "relocated" / "share" / "m-gpux"
    share.mkdir(parents=True)
    (share / "templates").symlink_to(SOURCE_DIR / "templates")
    return copy


def read_line(proc, pattern, timeout=30):
    """Reads stdout lines of `proc` until one matches `pattern`; returns the match."""
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    buf = b""
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            text = line.decode("utf-8", "replace")
            seen.append(text)
            m = re.search(pattern, text)
            if m:
                return m
    raise AssertionError(f"no line matching {pattern!r}; saw {seen!r}")


def stop_process(proc):
    """Ctrl-C to the process itself (m-gpux forwards it to the proxy); the group is killed after 10 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of its group (started in its own session)
    except ProcessLookupError:
        pass
    proc.wait()
    if proc.stdout:
        proc.stdout.close()


class ServeCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()
        self.keys_file = self.state_dir / "api_keys.json"

    def keys(self):
        return json.loads(self.keys_file.read_text())

    def create_key(self, name="dev"):
        r = self.run_mgpux("--json", "serve", "keys", "create", "--name", name)
        self.assertExit(r, 0)
        return r.json()["key"]


class KeyStoreTests(ServeCase):
    def test_create_writes_the_original_format_0600(self):
        r = self.run_mgpux("serve", "keys", "create", "--name", "dev")
        self.assertExit(r, 0)
        keys = self.keys()
        self.assertEqual(len(keys), 1)
        self.assertEqual(set(keys[0]), {"name", "key", "created", "active"})
        self.assertEqual(keys[0]["name"], "dev")
        self.assertTrue(keys[0]["active"])
        self.assertRegex(keys[0]["key"], r"^sk-mgpux-[0-9a-f]{48}$")
        self.assertRegex(keys[0]["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
        self.assertIn(keys[0]["key"], r.out)  # printed once, at creation
        self.assertEqual(stat.S_IMODE(self.keys_file.stat().st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(self.state_dir.stat().st_mode), 0o700)

    def test_create_without_name_takes_default_and_refuses_duplicates(self):
        self.assertExit(self.run_mgpux("serve", "keys", "create"), 0)
        self.assertEqual(self.keys()[0]["name"], "default")
        r = self.run_mgpux("serve", "keys", "create", "--name", "default")
        self.assertExit(r, 1)
        self.assertIn("already exists", r.err)
        self.assertEqual(len(self.keys()), 1)

    def test_bad_name_is_usage_error(self):
        self.assertExit(self.run_mgpux("serve", "keys", "create", "--name", "a\nb"), 2)
        self.assertFalse(self.keys_file.exists())

    def test_list_is_masked_in_text_and_json(self):
        key = self.create_key("dev")
        r = self.run_mgpux("serve", "keys", "list")
        self.assertExit(r, 0)
        self.assertNotIn(key, r.out)
        self.assertIn(key[:14] + "..." + key[-4:], r.out)
        self.assertIn("Active", r.out)
        j = self.run_mgpux("--json", "serve", "keys", "list")
        self.assertExit(j, 0)
        self.assertEqual(j.json(), {"keys": [{"name": "dev", "key": key[:14] + "..." + key[-4:],
                                              "created": self.keys()[0]["created"], "active": True}]})
        self.assertNotIn(key, j.out + j.err)

    def test_list_empty_is_a_hint(self):
        r = self.run_mgpux("serve", "keys", "list")
        self.assertExit(r, 0)
        self.assertIn("keys create", r.err)
        self.assertEqual(self.run_mgpux("--json", "serve", "keys", "list").json(), {"keys": []})

    def test_show(self):
        key = self.create_key("dev")
        r = self.run_mgpux("serve", "keys", "show", "dev")
        self.assertExit(r, 0)
        self.assertEqual(r.out.strip(), "dev: " + key)
        self.assertEqual(self.run_mgpux("--json", "serve", "keys", "show", "dev").json()["key"], key)
        self.assertExit(self.run_mgpux("serve", "keys", "show", "nope"), 1)

    def test_revoke_needs_yes_and_keeps_the_entry(self):
        self.create_key("dev")
        r = self.run_mgpux("serve", "keys", "revoke", "dev")
        self.assertExit(r, 2)
        self.assertIn("--yes", r.err)
        self.assertTrue(self.keys()[0]["active"])
        self.assertExit(self.run_mgpux("--yes", "serve", "keys", "revoke", "dev"), 0)
        self.assertFalse(self.keys()[0]["active"])
        self.assertIn("Revoked", self.run_mgpux("serve", "keys", "list").out)
        self.assertExit(self.run_mgpux("--yes", "serve", "keys", "revoke", "nope"), 1)
        # A revoked name stays taken.
        self.assertExit(self.run_mgpux("serve", "keys", "create", "--name", "dev"), 1)

    def test_rotate_changes_the_value_and_keeps_the_name(self):
        old = self.create_key("dev")
        r = self.run_mgpux("--yes", "--json", "serve", "keys", "rotate", "dev")
        self.assertExit(r, 0)
        new = r.json()["key"]
        self.assertNotEqual(old, new)
        self.assertEqual([(k["name"], k["key"], k["active"]) for k in self.keys()], [("dev", new, True)])
        self.assertExit(self.run_mgpux("--yes", "serve", "keys", "rotate", "nope"), 1)

    def test_dry_run_creates_nothing(self):
        r = self.run_mgpux("--dry-run", "serve", "keys", "create", "--name", "dev")
        self.assertExit(r, 0)
        self.assertFalse(self.keys_file.exists())
        self.assertIsNone(KEY_RE.search(r.out + r.err))

    def test_corrupt_store_is_exit_3_and_untouched(self):
        self.state_dir.mkdir(mode=0o700)
        self.keys_file.write_text('[{"name": "dev", "key": ')
        os.chmod(self.keys_file, 0o600)
        before = self.keys_file.read_bytes()
        for args in (["serve", "keys", "list"], ["serve", "keys", "create", "--name", "x"],
                     ["--yes", "serve", "keys", "revoke", "dev"]):
            self.assertExit(self.run_mgpux(*args), 3)
        self.assertEqual(self.keys_file.read_bytes(), before)
        self.keys_file.write_text('{"not": "an array"}')
        self.assertExit(self.run_mgpux("serve", "keys", "list"), 3)

    def test_keeps_entries_of_the_original_tool(self):
        self.state_dir.mkdir(mode=0o700)
        original = [{"name": "old", "key": "sk-mgpux-" + "a" * 48, "created": "2025-01-01T10:00:00.123456"}]
        self.keys_file.write_text(json.dumps(original, indent=2))
        os.chmod(self.keys_file, 0o600)
        r = self.run_mgpux("--json", "serve", "keys", "list")
        self.assertTrue(r.json()["keys"][0]["active"])  # missing "active" means active
        self.create_key("new")
        self.assertEqual(self.keys()[0]["key"], original[0]["key"])

    def test_only_a_missing_or_true_active_is_active(self):
        # the proxies' rule, fail closed: any other "active" (0, "false", null, "true", 1) is revoked
        self.state_dir.mkdir(mode=0o700)
        odd = [0, "false", None, "true", 1, [], {}]
        entries = [{"name": "odd%d" % i, "key": "sk-mgpux-%048d" % i, "created": "", "active": v}
                   for i, v in enumerate(odd)]
        entries += [{"name": "yes", "key": "sk-mgpux-" + "a" * 48, "created": "", "active": True},
                    {"name": "plain", "key": "sk-mgpux-" + "b" * 48, "created": ""}]
        self.keys_file.write_text(json.dumps(entries))
        os.chmod(self.keys_file, 0o600)
        r = self.run_mgpux("--json", "serve", "keys", "list")
        self.assertExit(r, 0)
        self.assertEqual([(k["name"], k["active"]) for k in r.json()["keys"]],
                         [("odd%d" % i, False) for i in range(len(odd))] + [("yes", True), ("plain", True)])
        text = self.run_mgpux("serve", "keys", "list")
        self.assertExit(text, 0)
        self.assertEqual(text.out.count("Revoked"), len(odd))
        # such a key cannot be rotated (it is revoked), and a rewrite stores what it meant
        self.assertExit(self.run_mgpux("--yes", "serve", "keys", "rotate", "odd2"), 1)
        self.create_key("new")
        self.assertEqual([k["active"] for k in self.keys()], [False] * len(odd) + [True, True, True])
        # with only such keys there is no key to serve with
        self.keys_file.write_text(json.dumps(entries[:len(odd)]))
        r = self.run_mgpux("--dry-run", "serve", "proxy", "--upstream", "http://127.0.0.1:9")
        self.assertExit(r, 2)
        self.assertIn("no active API key", r.err)


class ProxyCase(ServeCase):
    """Runs the fake OpenAI upstream and `m-gpux serve proxy` in front of it. PROXY_FLAGS picks
    the implementation: none means the default, the native mgpux-proxy."""

    PROXY_FLAGS = ()

    def start_upstream(self):
        up = subprocess.Popen([PYTHON, str(FAKE_UPSTREAM), "--port", "0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True)
        self.addCleanup(stop_process, up)
        port = read_line(up, r"READY (\d+)").group(1)
        return f"http://127.0.0.1:{port}"

    def start_proxy(self, *extra):
        upstream = self.start_upstream()
        env = dict(self.env, **self.fake.env(), MGPUX_PYTHON=PYTHON)
        proc = subprocess.Popen([str(BIN), "serve", "proxy", *self.PROXY_FLAGS, "--upstream", upstream,
                                 "--port", "0", *extra],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                env=env, cwd=str(self.tmp), start_new_session=True)
        self.addCleanup(stop_process, proc)
        self.proxy_proc = proc
        return read_line(proc, r"\[m-gpux\] READY (http://127\.0\.0\.1:\d+)").group(1)

    def get(self, url, key=None):
        import httpx
        headers = {"Authorization": "Bearer " + key} if key else {}
        return httpx.get(url, headers=headers, timeout=10)


class ProxyRunTests(ProxyCase):
    """`serve proxy` running the native proxy (the default) for real."""

    def test_proxy_accepts_every_active_key_and_drops_revoked_ones(self):
        dev = self.create_key("dev")
        ops = self.create_key("ops")
        url = self.start_proxy()
        self.assertEqual(self.get(url + "/v1/models").status_code, 401)
        self.assertEqual(self.get(url + "/v1/models", "sk-mgpux-" + "0" * 48).status_code, 403)
        self.assertEqual(self.get(url + "/v1/models", dev).status_code, 200)
        self.assertEqual(self.get(url + "/v1/models", ops).status_code, 200)
        self.assertExit(self.run_mgpux("--yes", "serve", "keys", "revoke", "ops"), 0)
        deadline = time.monotonic() + 10
        while self.get(url + "/v1/models", ops).status_code != 403 and time.monotonic() < deadline:
            time.sleep(0.3)
        self.assertEqual(self.get(url + "/v1/models", ops).status_code, 403)
        self.assertEqual(self.get(url + "/v1/models", dev).status_code, 200)

    def test_ctrl_c_ends_the_proxy(self):
        self.create_key("dev")
        self.start_proxy()
        self.proxy_proc.send_signal(signal.SIGINT)
        self.proxy_proc.wait(timeout=10)
        out = subprocess.run(["pgrep", "-s", str(self.proxy_proc.pid)], capture_output=True, text=True)
        self.assertEqual(out.stdout.strip(), "", "the proxy outlived m-gpux")

    def test_proxy_with_keys_file(self):
        keys = self.tmp / "keys.json"
        key = "sk-mgpux-" + "5" * 48
        keys.write_text(json.dumps([{"name": "x", "key": key, "created": "", "active": True}]))
        url = self.start_proxy("--keys-file", str(keys))
        self.assertEqual(self.get(url + "/v1/models", key).status_code, 200)


class ProxyCommandTests(ServeCase):
    """What `serve proxy` runs and its errors, without starting a real proxy."""

    def test_proxy_without_keys_is_usage_error(self):
        r = self.run_mgpux("serve", "proxy", "--upstream", "http://127.0.0.1:9")
        self.assertExit(r, 2)
        self.assertIn("keys create", r.err)

    def test_proxy_bad_upstream_and_dry_run(self):
        self.create_key("dev")
        self.assertExit(self.run_mgpux("serve", "proxy", "--upstream", "ftp://x"), 2)
        r = self.run_mgpux("--dry-run", "serve", "proxy", "--upstream", "http://127.0.0.1:9/")
        self.assertExit(r, 0)
        keys = self.state_dir / "api_keys.json"
        self.assertEqual(r.out.strip(), f"dry run: would run {NATIVE_PROXY} --upstream http://127.0.0.1:9 "
                                        f"--host 127.0.0.1 --port 8000 --max-inflight 64 --max-body 16777216 "
                                        f"--keys-file {keys}")
        self.assertExit(self.run_mgpux("serve", "proxy", "--proxy", "rust", "--upstream", "http://x"), 2)

    def test_proxy_python_is_a_usage_error_naming_the_native_proxy(self):
        self.create_key("dev")
        for command in (("serve", "proxy"), ("--yes", "serve", "deploy")):
            with self.subTest(command=command[-1]):
                r = self.run_mgpux("--dry-run", *command, "--proxy", "python", "--upstream", "http://127.0.0.1:9")
                self.assertExit(r, 2)
                self.assertIn("the native proxy is the only one", r.err)
                self.assertIn("https://", r.err)  # what the Python proxy was kept for
                self.assertNotIn("would run", r.out)
        self.assertEqual(self.fake.calls_of("deploy"), [])
        r = self.run_mgpux("--dry-run", "serve", "proxy", "--proxy", "native", "--upstream", "http://127.0.0.1:9")
        self.assertExit(r, 0)

    def test_native_proxy_gets_the_same_flags(self):
        self.create_key("dev")
        keys = self.tmp / "keys.json"
        keys.write_text("[]")
        record = self.tmp / "argv.json"
        stub = write_stub_proxy(self.tmp / "stub" / "mgpux-proxy", record)
        r = self.run_mgpux("serve", "proxy", "--upstream", "http://10.0.0.1:8080/", "--host", "0.0.0.0", "-p", "0",
                           "--max-inflight", "7", "--max-body", "1048576", "--keys-file", keys, "--docs",
                           env={"MGPUX_PROXY": str(stub)})
        self.assertExit(r, 0)
        self.assertEqual(json.loads(record.read_text()),
                         ["--upstream", "http://10.0.0.1:8080", "--host", "0.0.0.0", "--port", "0",
                          "--max-inflight", "7", "--max-body", "1048576", "--keys-file", str(keys), "--docs"])
        for bad in ("0", "-5"):
            r = self.run_mgpux("serve", "proxy", "--upstream", "http://x", "--max-body", bad,
                               env={"MGPUX_PROXY": str(stub)})
            self.assertExit(r, 2)
            self.assertIn("--max-body", r.err)
        # Its usage errors are ours (exit 2); any other failure is exit 1.
        write_stub_proxy(stub, record, exit_code=2)
        self.assertExit(self.run_mgpux("serve", "proxy", "--upstream", "http://x", env={"MGPUX_PROXY": str(stub)}), 2)
        write_stub_proxy(stub, record, exit_code=3)
        self.assertExit(self.run_mgpux("serve", "proxy", "--upstream", "http://x", env={"MGPUX_PROXY": str(stub)}), 1)

    def test_mgpux_proxy_pointing_nowhere_is_exit_4(self):
        self.create_key("dev")
        missing = self.tmp / "no-such-proxy"
        for extra in ((), ("--dry-run",)):
            r = self.run_mgpux(*extra, "serve", "proxy", "--upstream", "http://127.0.0.1:9",
                               env={"MGPUX_PROXY": str(missing)})
            self.assertExit(r, 4)
            self.assertIn("MGPUX_PROXY=" + str(missing), r.err)
            self.assertNotIn("--proxy python", r.err)

    def test_native_proxy_found_on_path_else_exit_4(self):
        self.create_key("dev")
        binary = relocated_binary(self.tmp)  # no mgpux-proxy beside this copy
        r = self.run_mgpux("serve", "proxy", "--upstream", "http://127.0.0.1:9", binary=binary)
        self.assertExit(r, 4)
        for looked_at in ("$MGPUX_PROXY", str(binary.parent / "mgpux-proxy"), "PATH"):
            self.assertIn(looked_at, r.err)
        record = self.tmp / "argv.json"
        stub = write_stub_proxy(self.tmp / "path-bin" / "mgpux-proxy", record)
        r = self.run_mgpux("serve", "proxy", "--upstream", "http://127.0.0.1:9", binary=binary,
                           env={"PATH": f"{stub.parent}:{self.env['PATH']}"})
        self.assertExit(r, 0)
        self.assertEqual(json.loads(record.read_text())[:2], ["--upstream", "http://127.0.0.1:9"])

    def test_https_upstream_runs_the_native_proxy(self):
        self.create_key("dev")
        r = self.run_mgpux("--dry-run", "serve", "proxy", "--upstream", "https://api.example.com")
        self.assertExit(r, 0)
        self.assertIn(f"would run {NATIVE_PROXY} --upstream https://api.example.com ", r.out)
        self.assertNotIn("--upstream-insecure", r.out)
        r = self.run_mgpux("--dry-run", "serve", "proxy", "--upstream", "https://api.example.com",
                           "--upstream-insecure")
        self.assertExit(r, 0)
        self.assertTrue(r.out.strip().endswith("--upstream-insecure"), r.out)

    def test_help_names_the_native_proxy_and_https(self):
        r = self.run_mgpux("serve", "proxy", "--help")
        self.assertExit(r, 0)
        for text in ("mgpux-proxy", "$MGPUX_PROXY", "https://", "--upstream-insecure"):
            self.assertIn(text, r.out)
        self.assertNotIn("--proxy python", r.out)
        self.assertNotIn("Needs Python", r.out)


class MonitorTests(ProxyCase):
    """warmup and dashboard against the fake upstream behind `serve proxy` (the native proxy)."""

    def test_warmup_sends_the_key_and_times_both_phases(self):
        self.create_key("dev")
        url = self.start_proxy()
        r = self.run_mgpux("--json", "serve", "warmup", "--url", url + "/")
        self.assertExit(r, 0)
        doc = r.json()
        self.assertEqual((doc["url"], doc["model"], doc["ok"], doc["inference_status"]), (url, "fake-model", True, 200))
        self.assertGreaterEqual(doc["ready_s"], 0)
        text = self.run_mgpux("serve", "warmup", "--url", url, "--model", "other")
        self.assertExit(text, 0)
        self.assertIn("Container ready in", text.out)
        self.assertIn("First inference (other) done in", text.out)

    def test_warmup_key_choice(self):
        self.create_key("dev")
        self.create_key("ops")
        url = self.start_proxy()
        self.assertExit(self.run_mgpux("serve", "warmup", "--url", url, "--key", "ops"), 0)
        self.assertExit(self.run_mgpux("serve", "warmup", "--url", url, "--key", "nope"), 2)
        r = self.run_mgpux("serve", "warmup", "--url", url, env={"MGPUX_API_KEY": "sk-mgpux-" + "0" * 48})
        self.assertExit(r, 1)
        self.assertIn("refused the API key", r.err)

    def test_warmup_url_recorded_at_deploy(self):
        self.create_key("dev")
        url = self.start_proxy()
        d = self.run_mgpux("--yes", "--json", "serve", "deploy", "--model", "m/x", "--gpu", "L4")
        self.assertExit(d, 0)
        sessions_file = self.state_dir / "sessions.json"
        sessions = json.loads(sessions_file.read_text())
        self.assertEqual(sessions[-1]["url"], "https://alice--m-gpux-llm-api-serve.modal.run")
        sessions[-1]["url"] = url  # stand in for the Modal endpoint
        sessions_file.write_text(json.dumps(sessions))
        r = self.run_mgpux("--json", "serve", "warmup")
        self.assertExit(r, 0)
        self.assertEqual(r.json()["url"], url)
        # No recorded deployment and no --url: a question with no default (exit 2 naming --url).
        r = self.run_mgpux("serve", "warmup", "--name", "other")
        self.assertExit(r, 2)
        self.assertIn("--url", r.err)

    def test_warmup_unreachable_and_no_key(self):
        r = self.run_mgpux("serve", "warmup", "--url", "http://127.0.0.1:9")
        self.assertExit(r, 2)  # no key to send
        self.create_key("dev")
        r = self.run_mgpux("serve", "warmup", "--url", "http://127.0.0.1:9", "--timeout", "1")
        self.assertExit(r, 1)
        self.assertIn("not ready", r.err)
        # the host's transport error reaches the plugin (mgpux_host.last_error), which quotes it
        self.assertIn("no connection (GET http://127.0.0.1:9/v1/models failed: ", r.err)
        self.assertExit(self.run_mgpux("serve", "warmup", "--url", "file:///etc/passwd"), 2)

    def test_dashboard_once(self):
        self.create_key("dev")
        url = self.start_proxy()
        self.assertExit(self.run_mgpux("serve", "warmup", "--url", url), 0)
        r = self.run_mgpux("--json", "serve", "dashboard", "--url", url, "--once")
        self.assertExit(r, 0)
        doc = r.json()
        self.assertEqual((doc["status"], doc["model"], doc["error"]), ("online", "fake-model", None))
        self.assertGreaterEqual(doc["stats"]["total_requests"], 2)
        self.assertIn("inflight_requests", doc["health"])
        text = self.run_mgpux("serve", "dashboard", "--url", url, "--once")
        self.assertExit(text, 0)
        for word in ("M-GPUX LLM Dashboard", "ONLINE", "Traffic", "Latency", "Tokens", "fake-model"):
            self.assertIn(word, text.out)
        self.assertNotIn("\x1b[2J", text.out)  # not a terminal: no redraw codes

    def test_dashboard_offline_and_json_needs_once(self):
        self.create_key("dev")
        r = self.run_mgpux("--json", "serve", "dashboard", "--url", "http://127.0.0.1:9", "--once")
        self.assertExit(r, 1)
        self.assertEqual(r.json()["status"], "offline")
        self.assertRegex(r.json()["error"], r"^cannot reach http://127.0.0.1:9/stats \(GET http://127.0.0.1:9/stats failed: .+\)$")
        self.assertExit(self.run_mgpux("--json", "serve", "dashboard", "--url", "http://127.0.0.1:9"), 2)
        self.assertExit(self.run_mgpux("serve", "dashboard", "--url", "http://x", "--interval", "0"), 2)

    def test_dashboard_loop_redraws(self):
        self.create_key("dev")
        url = self.start_proxy()
        proc = subprocess.Popen([str(BIN), "serve", "dashboard", "--url", url, "--interval", "0.5"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                env=dict(self.env, **self.fake.env()), start_new_session=True)
        self.addCleanup(stop_process, proc)
        read_line(proc, r"^ONLINE")
        read_line(proc, r"^ONLINE")  # a second frame


class DeployScriptTests(ServeCase):
    def render(self, *args, expect=0, env=None):
        out = self.tmp / "deploy.py"
        if out.exists():
            out.unlink()
        r = self.run_mgpux("--dry-run", "--yes", "--script-out", out, "serve", "deploy", *args, env=env)
        self.assertExit(r, expect)
        return out if expect == 0 else r

    def inspect(self, path):
        proc = subprocess.run([PYTHON, "-m", "modal_shim", "inspect", str(path), "--json"], capture_output=True,
                              text=True, env=dict(os.environ, PYTHONPATH=str(SUPPORT_DIR)), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        info = json.loads(proc.stdout)
        self.assertEqual(info["errors"], [])
        self.assertEqual(info["warnings"], [])
        return info

    def used_image(self, info):
        used = [i for i in info["images"] if i["used"]]
        self.assertEqual(len(used), 1)
        return used[0]

    def proxy_command(self, path, upstream="http://127.0.0.1:8001"):
        """The rendered script imported under the modal stand-in: its _proxy_command(upstream)."""
        code = ("import json, runpy, sys\n"
                "ns = runpy.run_path(sys.argv[1])\n"
                "print(json.dumps(ns['_proxy_command'](sys.argv[2])))\n")
        proc = subprocess.run([PYTHON, "-c", code, str(path), upstream], capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=str(SUPPORT_DIR)), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)

    def assert_native_build_steps(self, steps, apt):
        """The last three image steps: apt packages, the sources copied in, the compile."""
        self.assertEqual([st["op"] for st in steps[-3:]], ["apt_install", "add_local_dir", "run_commands"])
        install, add, build = steps[-3:]
        self.assertEqual(install["args"], apt)
        self.assertEqual(add["args"], [str(PROXY_SOURCES), "/opt/m-gpux/proxy"])
        self.assertEqual(add["kwargs"], {"copy": True})
        self.assertEqual(Path(add["local_path_resolved"]).resolve(), PROXY_SOURCES.resolve())
        self.assertTrue((PROXY_SOURCES / "main.cpp").is_file())
        self.assertEqual(build["args"], [PROXY_BUILD])
        self.assertNotIn("||", build["args"][0])  # no fallback: a failing compile fails the build
        for step in steps:
            if step["op"] == "pip_install":
                for package in PYTHON_PROXY_PACKAGES:
                    self.assertNotIn(package, step["args"])

    def test_gpu_script_with_tensor_parallel(self):
        path = self.render("--model", "Qwen/Qwen2.5-7B-Instruct", "--gpu", "H100:2", "--min-containers", "0",
                           "--max-containers", "3", "--max-inflight", "32", "--max-model-len", "16384")
        info = self.inspect(path)
        self.assertEqual(info["app"]["name"], "m-gpux-llm-api")
        fn = info["functions"][0]
        self.assertEqual(fn["gpu"], "H100:2")
        self.assertEqual((fn["min_containers"], fn["max_containers"]), (0, 3))
        self.assertEqual((fn["scaledown_window"], fn["timeout"]), (300, 86400))
        self.assertEqual(fn["concurrent"]["max_inputs"], 32)
        self.assertEqual((fn["web"]["type"], fn["web"]["port"], fn["web"]["startup_timeout"]),
                         ("web_server", 8000, 1200))
        self.assertEqual(fn["volumes"], {"/root/.cache/huggingface": "m-gpux-hf-cache",
                                         "/root/.cache/vllm": "m-gpux-vllm-cache"})
        self.assertEqual([s["name"] for s in fn["secrets"]], ["m-gpux-llm-api-keys"])
        c = module_literals(path.read_text())
        self.assertEqual(c["MAX_INFLIGHT"], 32)
        args = c["VLLM_ARGS"]
        self.assertEqual(args[args.index("--tensor-parallel-size") + 1], "2")
        self.assertEqual(args[args.index("--max-model-len") + 1], "16384")
        self.assertNotIn("--trust-remote-code", args)
        self.assertIn("vllm==0.33.0", path.read_text())

    def test_presets_take_their_gpu_and_context(self):
        for model, gpu, ctx in (("Qwen/Qwen2.5-1.5B-Instruct", "T4", 4096),
                                ("Qwen/Qwen3.5-35B-A3B", "A100-80GB", 32768),
                                ("meta-llama/Llama-3.1-8B-Instruct", None, 8192)):
            path = self.render("--model", model, "--hf-token-env", "HFX", env={"HFX": "hf_abc"})
            fn = self.inspect(path)["functions"][0]
            if gpu:
                self.assertEqual(fn["gpu"], gpu)
            args = module_literals(path.read_text())["VLLM_ARGS"]
            self.assertEqual(args[args.index("--max-model-len") + 1], str(ctx))
            if "llama" in model.lower():
                self.assertIn("llama3_json", args)
            if "qwen3" in model.lower():
                self.assertIn("qwen3_coder", args)

    def test_custom_model_defaults_to_a100_and_4096(self):
        path = self.render("--model", "someone/some-model", "--trust-remote-code")
        self.assertEqual(self.inspect(path)["functions"][0]["gpu"], "A100")
        c = module_literals(path.read_text())
        self.assertEqual(c["MODEL_NAME"], "someone/some-model")
        self.assertIn("--trust-remote-code", c["VLLM_ARGS"])
        self.assertEqual(c["VLLM_ARGS"][c["VLLM_ARGS"].index("--max-model-len") + 1], "4096")

    def test_adversarial_model_ids_stay_literals(self):
        for model in ('a"b', "a'b\\c", 'x"""y', "{{app_name}}", "mod\u00e8le/ünï", "a); import os #"):
            path = self.render("--model", model, "--gpu", "L4")
            self.inspect(path)
            c = module_literals(path.read_text())
            self.assertEqual(c["MODEL_NAME"], model)
            self.assertEqual(c["VLLM_ARGS"][1], model)  # --served-model-name
        for bad in ("a\nb", "-x", ""):
            self.render("--model", bad, "--gpu", "L4", expect=2)

    def test_upstream_is_proxy_only(self):
        path = self.render("--upstream", "http://10.1.2.3:8080/", "--name", "My Proxy!", "--docs")
        info = self.inspect(path)
        fn = info["functions"][0]
        self.assertEqual(info["app"]["name"], "m-gpux-llm-api-my-proxy")
        self.assertIsNone(fn["gpu"])
        self.assertEqual(fn["volumes"], {})
        self.assertEqual(fn["concurrent"]["max_inputs"], 64)
        c = module_literals(path.read_text())
        self.assertEqual((c["UPSTREAM"], c["MODEL_NAME"], c["DOCS"]), ("http://10.1.2.3:8080", None, True))
        used = [i for i in info["images"] if i["used"]]
        self.assertEqual(len(used), 1)
        self.assertEqual(used[0]["base"]["type"], "debian_slim")
        self.assertNotIn("vllm==0.33.0", json.dumps(used[0]["steps"]))

    def test_native_gpu_image_compiles_the_proxy_against_ubuntu_boost(self):
        path = self.render("--model", "Qwen/Qwen3-8B", "--gpu", "L4", "--max-inflight", "16", "--max-body", "1000000",
                           "--docs")
        image = self.used_image(self.inspect(path))
        self.assertEqual(image["base"]["tag"], "nvidia/cuda:12.9.1-devel-ubuntu22.04")
        steps = image["steps"]
        self.assert_native_build_steps(steps, ["g++", "libboost-dev", "libssl-dev", "ca-certificates"])
        pips = [st["args"] for st in steps if st["op"] == "pip_install"]
        self.assertEqual(pips, [["vllm==0.33.0", "hf-transfer==0.1.9"]])  # vLLM keeps its own
        self.assertEqual(self.proxy_command(path), [
            "/usr/local/bin/mgpux-proxy", "--upstream", "http://127.0.0.1:8001", "--host", "0.0.0.0",
            "--port", "8000", "--max-inflight", "16", "--max-body", "1000000", "--docs"])
        c = module_literals(path.read_text())
        self.assertNotIn("PROXY_SOURCE", c)  # the Python proxy is not embedded
        self.assertNotIn("m-gpux-proxy.py", path.read_text())
        self.assertEqual(c["PROXY_SOURCES"], str(PROXY_SOURCES))

    def test_native_proxy_only_image_is_debian_with_boost_181(self):
        path = self.render("--upstream", "http://10.1.2.3:8080/")
        image = self.used_image(self.inspect(path))
        self.assertEqual(image["base"]["type"], "debian_slim")
        self.assertEqual([st["op"] for st in image["steps"]], ["apt_install", "add_local_dir", "run_commands"])
        self.assert_native_build_steps(image["steps"], ["g++", "libboost1.81-dev", "libssl-dev", "ca-certificates"])
        self.assertEqual(self.proxy_command(path, "http://10.1.2.3:8080"), [
            "/usr/local/bin/mgpux-proxy", "--upstream", "http://10.1.2.3:8080", "--host", "0.0.0.0",
            "--port", "8000", "--max-inflight", "64", "--max-body", "16777216"])

    def test_https_upstream_is_deployed_with_the_native_proxy(self):
        path = self.render("--upstream", "https://api.example.com")
        self.assertEqual(module_literals(path.read_text())["UPSTREAM"], "https://api.example.com")
        image = self.used_image(self.inspect(path))
        self.assert_native_build_steps(image["steps"], ["g++", "libboost1.81-dev", "libssl-dev", "ca-certificates"])
        self.assertEqual(self.proxy_command(path, "https://api.example.com")[:3],
                         ["/usr/local/bin/mgpux-proxy", "--upstream", "https://api.example.com"])
        self.assertNotIn("--upstream-insecure", self.proxy_command(path, "https://api.example.com"))
        path = self.render("--upstream", "https://api.example.com", "--upstream-insecure")
        self.assertEqual(self.proxy_command(path, "https://api.example.com")[-1], "--upstream-insecure")
        r = self.render("--model", "Qwen/Qwen3-8B", "--gpu", "L4", "--upstream-insecure", expect=2)
        self.assertIn("--upstream-insecure", r.err)

    def test_proxy_sources_user_override_first(self):
        override = self.home / ".config" / "m-gpux" / "proxy"
        override.mkdir(parents=True)
        (override / "main.cpp").write_text("int main() { return 0; }\n")
        path = self.render("--upstream", "http://10.1.2.3:8080")
        steps = self.used_image(self.inspect(path))["steps"]
        self.assertEqual(steps[1]["args"][0], str(override))
        # A directory without main.cpp is not taken.
        (override / "main.cpp").unlink()
        path = self.render("--upstream", "http://10.1.2.3:8080")
        self.assertEqual(module_literals(path.read_text())["PROXY_SOURCES"], str(PROXY_SOURCES))

    def test_missing_proxy_sources_is_exit_3(self):
        binary = relocated_binary(self.tmp)  # templates beside it, no proxy sources
        r = self.run_mgpux("--dry-run", "--yes", "serve", "deploy", "--upstream", "http://10.1.2.3:8080",
                           binary=binary)
        self.assertExit(r, 3)
        self.assertIn(str(binary.parent.parent / "share" / "m-gpux" / "proxy"), r.err)
        self.assertNotIn("--proxy python", r.err)
        self.assertFalse(self.keys_file.exists())

    def test_wizard_on_a_terminal_takes_the_recommended_defaults(self):
        out = self.tmp / "wizard.py"
        # model, compute type, GPU, how many, context, memory share, sequences, batched tokens, warm
        # containers, HF token: Enter takes each default.
        code, text = self.run_on_pty(["--dry-run", "--script-out", str(out), "serve", "deploy"], [b"\r"] * 10)
        self.assertEqual(code, 0, text)
        for question in ("Model", "GPU (recommended: A10)", "A10  <- recommended", "Max model length", "Min containers",
                         "Hugging Face token"):
            self.assertIn(question, text)
        c = module_literals(out.read_text())
        self.assertEqual(c["MODEL_NAME"], "Qwen/Qwen2.5-7B-Instruct")
        self.assertEqual(c["VLLM_ARGS"][c["VLLM_ARGS"].index("--max-model-len") + 1], "8192")
        self.assertNotIn("A10G", text.replace("formerly A10G", ""))
        self.assertEqual(self.inspect(out)["functions"][0]["gpu"], "A10")

    def vllm_arg(self, literals, flag):
        args = literals["VLLM_ARGS"]
        return args[args.index(flag) + 1]

    def test_wizard_asks_the_gpu_count_and_the_engine_tuning(self):
        out = self.tmp / "tuned.py"
        down = b"\x1b[B"
        keys = [b"\r",            # model: Qwen/Qwen2.5-7B-Instruct
                b"\r",            # compute type: GPU
                b"\r",            # GPU: A10, the recommended one
                down, b"\r",      # how many: 2
                b"4096\r",        # max model length
                b"0.85\r",        # GPU memory utilization
                b"16\r",          # max concurrent sequences
                b"4096\r",        # max batched tokens
                b"0\r",           # min containers
                b"\r"]            # no HF token
        code, text = self.run_on_pty(["--dry-run", "--script-out", str(out), "serve", "deploy"], keys)
        self.assertEqual(code, 0, text)
        questions = ["Compute type", "GPU (recommended: A10)", "How many A10 GPUs", "Max model length",
                     "GPU memory utilization", "Max concurrent sequences", "Max batched tokens", "Min containers",
                     "Hugging Face token"]
        positions = [text.find(q) for q in questions]
        self.assertNotIn(-1, positions, text)
        self.assertEqual(positions, sorted(positions))
        c = module_literals(out.read_text())
        self.assertEqual(c["GPU"], "A10:2")
        self.assertEqual([self.vllm_arg(c, f) for f in ("--tensor-parallel-size", "--max-model-len",
                                                         "--gpu-memory-utilization", "--max-num-seqs",
                                                         "--max-num-batched-tokens")],
                         ["2", "4096", "0.85", "16", "4096"])
        self.assertEqual(self.inspect(out)["functions"][0]["min_containers"], 0)

    def test_wizard_cpu_answer_deploys_only_the_proxy(self):
        out = self.tmp / "proxy-only.py"
        keys = [b"\r",                         # model
                b"\x1b[B", b"\r",              # compute type: CPU
                b"http://10.0.0.5:8080/\r",    # the server the proxy forwards to
                b"\r"]                         # min containers
        code, text = self.run_on_pty(["--dry-run", "--script-out", str(out), "serve", "deploy"], keys)
        self.assertEqual(code, 0, text)
        for question in ("GPU (recommended:", "Max model length", "GPU memory utilization", "Hugging Face token"):
            self.assertNotIn(question, text)
        c = module_literals(out.read_text())
        self.assertEqual((c["MODEL_NAME"], c["UPSTREAM"], c["GPU"]), (None, "http://10.0.0.5:8080", None))
        self.assertIsNone(self.inspect(out)["functions"][0]["gpu"])

    def test_flags_skip_the_wizard_questions(self):
        out = self.tmp / "flags.py"
        tuning = ["--max-model-len", "2048", "--gpu-memory-utilization", "0.9", "--max-num-seqs", "8",
                  "--max-batched-tokens", "2048", "--min-containers", "0"]
        code, text = self.run_on_pty(["--dry-run", "--script-out", str(out), "serve", "deploy", "--model", "m/x",
                                      "--gpu", "L4", *tuning], [b"\r"])  # HF token: none
        self.assertEqual(code, 0, text)
        for question in ("Compute type", "How many", "Max model length", "GPU memory utilization",
                         "Max concurrent sequences", "Max batched tokens", "Min containers"):
            self.assertNotIn(question, text)
        c = module_literals(out.read_text())
        self.assertEqual(c["GPU"], "L4")
        self.assertEqual([self.vllm_arg(c, f) for f in ("--max-model-len", "--gpu-memory-utilization",
                                                         "--max-num-seqs", "--max-num-batched-tokens")],
                         ["2048", "0.90", "8", "2048"])
        # --tensor-parallel gives the count: the GPU type is asked, not how many.
        out.unlink()
        code, text = self.run_on_pty(["--dry-run", "--script-out", str(out), "serve", "deploy", "--model",
                                      "Qwen/Qwen2.5-7B-Instruct", "--tensor-parallel", "2", *tuning],
                                     [b"\r", b"\r"])  # GPU: A10; HF token: none
        self.assertEqual(code, 0, text)
        self.assertNotIn("How many", text)
        self.assertNotIn("Compute type", text)
        self.assertEqual(module_literals(out.read_text())["GPU"], "A10:2")

    def test_defaults_under_yes(self):
        c = module_literals(self.render("--model", "Qwen/Qwen2.5-7B-Instruct").read_text())
        self.assertEqual(c["GPU"], "A10")
        self.assertEqual([self.vllm_arg(c, f) for f in ("--tensor-parallel-size", "--max-model-len",
                                                         "--gpu-memory-utilization", "--max-num-seqs",
                                                         "--max-num-batched-tokens")],
                         ["1", "8192", "0.92", "48", "8192"])

    def test_bad_numbers_are_usage_errors(self):
        for args in (["--gpu", "L4", "--tensor-parallel", "2"], ["--gpu", "cpu"], ["--cpu", "8"],
                     ["--gpu", "L4", "--gpu-memory-utilization", "1.5"], ["--gpu", "L4", "--max-containers", "0"],
                     ["--gpu", "L4", "--min-containers", "3", "--max-containers", "2"],
                     ["--gpu", "L4", "--max-model-len", "10"], ["--gpu", "NOPE"],
                     ["--upstream", "http://x", "--gpu", "L4"], ["--upstream", "nope"]):
            r = self.render("--model", "m/x", *args, expect=2)
            self.assertIn("error", r.err)
        r = self.render("--model", "m/x", "--gpu", "cpu", expect=2)
        self.assertIn("--upstream", r.err)

    def test_no_key_or_token_in_the_script_or_run_dir(self):
        key = self.create_key("dev")
        r = self.run_mgpux("--yes", "--script-out", self.tmp / "s.py", "serve", "deploy", "--model", "m/x",
                           "--gpu", "L4", "--hf-token-env", "HFX", env={"HFX": "hf_TOPSECRET123"})
        self.assertExit(r, 0)
        texts = [(self.tmp / "s.py").read_text()]
        for f in (self.state_dir / "runs").rglob("*"):
            if f.is_file():
                texts.append(f.read_text(errors="replace"))
        texts.append((self.fake.home / "calls.jsonl").read_text())
        for snap in self.fake.home.rglob("*"):
            if snap.is_file():
                texts.append(snap.read_text(errors="replace"))
        for t in texts:
            self.assertNotIn(key, t)
            self.assertNotIn("hf_TOPSECRET123", t)
        self.assertNotIn("hf_TOPSECRET123", r.out + r.err)
        self.assertNotIn(key, r.out + r.err)  # the existing key is not printed again


class DeployImageTests(ServeCase):
    """--image NAME: a published image replaces the deployment's base (the CUDA image, or debian_slim)."""

    render, inspect, used_image = DeployScriptTests.render, DeployScriptTests.inspect, DeployScriptTests.used_image

    def test_vllm_and_upstream_start_from_the_published_image(self):
        self.publish_image("serve-base", ["alice"])
        for args in (("--model", "Qwen/Qwen2.5-0.5B-Instruct", "--gpu", "L4"), ("--upstream", "http://10.0.0.1:8000")):
            text = self.render(*args, "--image", "serve-base").read_text(encoding="utf-8")
            self.assertEqual(set(self.from_name_literals(text)), {"serve-base"}, args)
            self.assertNotIn("from_registry(", text, args)
            self.assertNotIn("debian_slim(", text, args)
            base = self.used_image(self.inspect(self.tmp / "deploy.py"))["base"]
            self.assertEqual((base["type"], base["name"]), ("from_name", "serve-base"), args)

    def test_an_unpublished_image_is_exit_2(self):
        r = self.render("--upstream", "http://10.0.0.1:8000", "--image", "nowhere", expect=2)
        self.assertIn("nowhere", r.err)
        self.assertEqual(self.modal_calls(), [])


class DeployTests(ServeCase):
    def deploy(self, *args, env=None):
        return self.run_mgpux("--yes", "--json", "serve", "deploy", *args, env=env)

    def test_deploy_without_a_terminal_needs_yes_and_creates_nothing(self):
        r = self.run_mgpux("serve", "deploy", "--model", "m/x", "--gpu", "L4")
        self.assertExit(r, 2)
        self.assertIn("--yes", r.err)
        self.assertEqual(self.modal_calls(), [])
        self.assertFalse(self.keys_file.exists())
        self.assertFalse((self.state_dir / "runs").exists())

    def test_deploy_creates_key_and_secrets_from_files(self):
        r = self.deploy("--model", "Qwen/Qwen2.5-7B-Instruct", "--gpu", "L4", "--hf-token-env", "HFX",
                        env={"HFX": "hf_abc"})
        self.assertExit(r, 0)
        doc = r.json()
        key = self.keys()[0]["key"]
        self.assertEqual(doc["new_key"]["key"], key)
        self.assertEqual(doc["url"], "https://alice--m-gpux-llm-api-serve.modal.run")
        self.assertEqual((doc["app_name"], doc["gpu"], doc["mode"]), ("m-gpux-llm-api", "L4", "deploy"))
        self.assertIsNone(doc["app_id"])  # `modal deploy` prints none; the session goes by the name
        # The named secrets `serve keys` rotates without a redeploy, then one modal process: no `app list`.
        self.assertEqual([c["argv"][0] for c in self.modal_calls()], ["secret", "secret", "deploy"])
        creates = self.fake.calls_of("secret", "create")
        self.assertEqual([c["secret"]["name"] for c in creates], ["m-gpux-llm-api-keys", "m-gpux-llm-api-hf"])
        self.assertEqual([c["secret"]["keys"] for c in creates], [["MGPUX_KEY_HASHES"], ["HF_TOKEN"]])
        for c in creates:
            self.assertEqual(c["secret"]["dotenv_mode"], "0600")
            self.assertIn("--force", c["argv"])
            self.assertNotIn(key, json.dumps(c))
            self.assertNotIn("hf_abc", json.dumps(c))
        dep = self.fake.calls_of("deploy")
        self.assertEqual(len(dep), 1)
        self.assertEqual(dep[0]["env"].get("MODAL_PROFILE"), "alice")
        sessions = json.loads((self.state_dir / "sessions.json").read_text())
        self.assertEqual(sessions[-1]["kind"], "serve")
        self.assertEqual(sessions[-1]["url"], doc["url"])
        self.assertEqual((sessions[-1]["app_id"], sessions[-1]["app_name"], sessions[-1]["deployed"]),
                         (None, "m-gpux-llm-api", True))
        self.assertEqual(sessions[-1]["keys_secret"], "m-gpux-llm-api-keys")

    def test_text_output_refers_to_the_env_var(self):
        key = self.create_key("dev")
        r = self.run_mgpux("--yes", "serve", "deploy", "--model", "Qwen/Qwen3-8B", "--gpu", "L4")
        self.assertExit(r, 0)
        self.assertIn("https://alice--m-gpux-llm-api-serve.modal.run/v1/chat/completions", r.out)
        self.assertIn("App: m-gpux-llm-api\n", r.out)  # by name: a deploy prints no app id
        self.assertIn("$MGPUX_API_KEY", r.out)
        self.assertIn('os.environ["MGPUX_API_KEY"]', r.out)
        self.assertNotIn(key, r.out + r.err)

    def test_profile_name_and_missing_env(self):
        r = self.deploy("--model", "m/x", "--gpu", "L4", "--name", "llama", "--hf-token-env", "NOPE_VAR")
        self.assertExit(r, 2)
        self.assertEqual(self.fake.calls_of("deploy"), [])
        r = self.run_mgpux("--yes", "--json", "--profile", "work", "serve", "deploy", "--model", "m/x", "--gpu", "L4",
                           "--name", "llama")
        self.assertExit(r, 0)
        self.assertEqual(r.json()["url"], "https://work--m-gpux-llm-api-llama-serve.modal.run")
        self.assertEqual(self.fake.calls_of("deploy")[0]["env"].get("MODAL_PROFILE"), "work")
        self.assertExit(self.run_mgpux("--yes", "--profile", "ghost", "serve", "deploy", "--model", "m/x",
                                       "--gpu", "L4"), 2)

    def test_gated_model_without_a_token_is_refused_like_hub_vllm(self):
        hub = self.run_mgpux("--yes", "--dry-run", "hub", "vllm", "--model", "meta-llama/Llama-3.1-8B-Instruct",
                             "--gpu", "L4")
        self.assertExit(hub, 2)
        out = self.tmp / "gated.py"
        for dry in (["--dry-run"], []):
            for model in ("meta-llama/Llama-3.1-8B-Instruct", "google/gemma-2-9b-it",
                          "meta-llama/Llama-3.1-70B-Instruct"):
                with self.subTest(model=model, dry=dry):
                    r = self.run_mgpux("--yes", *dry, "--script-out", out, "serve", "deploy", "--model", model,
                                       "--gpu", "H100:2")
                    self.assertExit(r, 2)
                    self.assertIn(model + " is gated on Hugging Face", r.err)
                    self.assertEqual(r.err.replace(model, "M"),
                                     hub.err.replace("meta-llama/Llama-3.1-8B-Instruct", "M"))
                    self.assertFalse(out.exists(), "a refused deploy rendered its script")
        self.assertEqual(self.modal_calls(), [])
        self.assertFalse(self.keys_file.exists())
        self.assertFalse((self.state_dir / "runs").exists())
        # With a token it goes ahead.
        r = self.run_mgpux("--yes", "--dry-run", "--script-out", out, "serve", "deploy", "--model",
                           "google/gemma-2-9b-it", "--gpu", "L4", "--hf-token-env", "HFX", env={"HFX": "hf_abc"})
        self.assertExit(r, 0)
        self.assertEqual(module_literals(out.read_text())["HF_SECRET"], "m-gpux-llm-api-hf")

    def test_dry_run_creates_no_key_or_secret(self):
        r = self.run_mgpux("--yes", "--dry-run", "serve", "deploy", "--model", "m/x", "--gpu", "L4")
        self.assertExit(r, 0)
        self.assertFalse(self.keys_file.exists())
        self.assertEqual(self.modal_calls(), [])

    def test_modal_missing_is_exit_4(self):
        r = self.run_mgpux("--yes", "serve", "deploy", "--model", "m/x", "--gpu", "L4", env={"PATH": "/usr/bin:/bin"})
        self.assertExit(r, 4)

    def test_failing_deploy_is_exit_1(self):
        self.fake.set_scenario([{"match": ["deploy"], "exit": 1, "stderr": "boom"}])
        r = self.deploy("--model", "m/x", "--gpu", "L4")
        self.assertExit(r, 1)

    def test_failing_proxy_compile_fails_the_deploy_with_its_message(self):
        compiler = ("=> Step 3: RUN " + PROXY_BUILD + "\n"
                    "/opt/m-gpux/proxy/proxy_server.cpp:42:10: fatal error: boost/json.hpp: "
                    "No such file or directory\ncompilation terminated.\n"
                    "Image build for im-F00 failed. See build logs for more details.\n")
        self.fake.set_scenario([{"match": ["deploy"], "exit": 1, "stderr": compiler}])
        r = self.run_mgpux("--yes", "serve", "deploy", "--upstream", "http://10.1.2.3:8080")
        self.assertExit(r, 1)
        self.assertIn("proxy_server.cpp:42:10: fatal error: boost/json.hpp: No such file or directory", r.err)
        self.assertNotIn("Endpoint:", r.out)
        deploys = self.fake.calls_of("deploy")
        self.assertEqual(len(deploys), 1)
        # The script Modal was given builds the native proxy (no Python proxy to fall back to).
        script = Path(deploys[0]["script"]["copy"]).read_text()
        self.assertIn(repr(PROXY_BUILD).replace("'", '"'), script)
        self.assertNotIn("PROXY_SOURCE =", script)
        sessions = self.state_dir / "sessions.json"
        if sessions.exists():
            self.assertNotIn("https://", sessions.read_text())  # no endpoint recorded

    def test_json_reports_the_proxy(self):
        r = self.deploy("--upstream", "http://10.1.2.3:8080")
        self.assertExit(r, 0)
        self.assertEqual(r.json()["proxy"], "native")

    def test_keys_changes_recreate_the_deployment_secret(self):
        self.assertExit(self.deploy("--model", "m/x", "--gpu", "L4"), 0)
        before = len(self.fake.calls_of("secret", "create"))
        r = self.run_mgpux("serve", "keys", "create", "--name", "ops")
        self.assertExit(r, 0)
        self.assertIn("next start", r.err)
        creates = self.fake.calls_of("secret", "create")
        self.assertEqual(len(creates), before + 1)
        self.assertEqual(creates[-1]["secret"]["name"], "m-gpux-llm-api-keys")
        self.assertEqual(creates[-1]["secret"]["dotenv_mode"], "0600")
        self.assertEqual(creates[-1]["env"].get("MODAL_PROFILE"), "alice")
        self.assertExit(self.run_mgpux("--yes", "serve", "keys", "revoke", "ops"), 0)
        self.assertExit(self.run_mgpux("--yes", "serve", "keys", "rotate", "default"), 0)
        self.assertEqual(len(self.fake.calls_of("secret", "create")), before + 3)
        self.assertNotIn("sk-mgpux-", (self.fake.home / "calls.jsonl").read_text())

    def test_key_change_without_modal_still_succeeds(self):
        self.assertExit(self.deploy("--model", "m/x", "--gpu", "L4"), 0)
        r = self.run_mgpux("serve", "keys", "create", "--name", "ops", env={"PATH": "/usr/bin:/bin"})
        self.assertExit(r, 0)
        self.assertIn("deploy` again", r.err)
        self.assertEqual([k["name"] for k in self.keys()], ["default", "ops"])


class StopLogsTests(ServeCase):
    """Logs and stop go by the deployment's name (with its environment): one modal process each,
    no `app list`."""

    def deployed(self, *args):
        r = self.run_mgpux("--yes", "--json", *args, "serve", "deploy", "--model", "m/x", "--gpu", "L4")
        self.assertExit(r, 0)
        (app,) = [a for a in self.fake.apps() if a["description"] == r.json()["app_name"]]
        return app["app_id"]

    def test_stop_by_name(self):
        app_id = self.deployed()
        self.assertExit(self.run_mgpux("serve", "stop"), 2)  # destructive: needs --yes
        before = len(self.modal_calls())
        r = self.run_mgpux("--yes", "--json", "serve", "stop")
        self.assertExit(r, 0)
        self.assertEqual((r.json()["app_name"], r.json()["environment"]), ("m-gpux-llm-api", "main"))
        (stop,) = self.modal_calls()[before:]
        self.assertEqual(stop["argv"], ["app", "stop", "--yes", "m-gpux-llm-api", "--env", "main"])
        self.assertEqual(self.fake.app(app_id)["state"], "stopped")
        sessions = json.loads((self.state_dir / "sessions.json").read_text())
        self.assertEqual(sessions[-1]["state"], "stopped")
        r = self.run_mgpux("--yes", "serve", "stop")
        self.assertExit(r, 1)
        self.assertIn("nothing was stopped", r.err)
        self.assertEqual(self.fake.calls_of("app", "list"), [])

    def test_stop_uses_the_profile_it_was_deployed_with(self):
        app_id = self.deployed("--profile", "work")
        self.assertExit(self.run_mgpux("--yes", "serve", "stop"), 0)
        self.assertEqual(self.fake.calls_of("app", "stop")[0]["env"].get("MODAL_PROFILE"), "work")
        self.assertEqual(self.fake.app(app_id)["state"], "stopped")

    def test_stop_failure_is_exit_1(self):
        self.deployed()
        self.fake.set_scenario([{"match": ["app", "stop"], "exit": 1, "stderr": "network down"}])
        r = self.run_mgpux("--yes", "serve", "stop")
        self.assertExit(r, 1)
        self.assertIn("network down", r.err)

    def test_stop_nothing_deployed_and_unknown_profile(self):
        r = self.run_mgpux("--yes", "serve", "stop", "--name", "nope")
        self.assertExit(r, 1)
        self.assertIn("no deployed app named m-gpux-llm-api-nope", r.err)
        self.assertExit(self.run_mgpux("--yes", "--profile", "ghost", "serve", "stop"), 2)
        self.assertExit(self.run_mgpux("--yes", "serve", "stop", env={"PATH": "/usr/bin:/bin"}), 4)

    def test_logs_by_name(self):
        app_id = self.deployed()
        self.fake.append_logs(app_id, ["vLLM loading", "ready"])
        before = len(self.modal_calls())
        r = self.run_mgpux("serve", "logs")
        self.assertExit(r, 0)
        self.assertIn("vLLM loading", r.out)
        (call,) = self.modal_calls()[before:]
        self.assertEqual(call["argv"], ["app", "logs", "m-gpux-llm-api", "--env", "main"])
        self.assertEqual(call["env"].get("MODAL_PROFILE"), "alice")
        self.assertExit(self.run_mgpux("serve", "logs", "--name", "other"), 1)

    def test_logs_follow_ends_when_the_app_stops(self):
        app_id = self.deployed()
        self.fake.update_app(app_id, state="stopped")
        r = self.run_mgpux("serve", "logs", "-f")
        self.assertExit(r, 0)
        self.assertIn("-f", self.fake.calls_of("app", "logs")[0]["argv"])

if __name__ == "__main__":
    main()
