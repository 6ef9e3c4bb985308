"""The local backend: rendered workloads run on this machine (`--backend local`), each function in a
bubblewrap container, with no Modal account and no `modal` program (PATH has no fake modal here).

Each test asserts the real effect: the script's output and exit status, the page served, the proxy
answering with a key, the metrics, the files on the local volume; and that a stopped app leaves no
process behind.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

from harness import SOURCE_DIR, SYSTEM_PATH, MgpuxTestCase, main

PYTHON = "/usr/bin/python3"
FAKE_UPSTREAM = SOURCE_DIR / "tests" / "support" / "fake_upstream.py"


def bwrap_works():
    if not shutil.which("bwrap"):
        return False
    return subprocess.run(["bwrap", "--ro-bind", "/", "/", "--unshare-all", "true"],
                          capture_output=True).returncode == 0


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def fetch(url, headers=None, timeout=10):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read().decode("utf-8")


def group_members(pgid):
    """Pids (not zombies) whose process group is pgid."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


@unittest.skipUnless(bwrap_works(), "bubblewrap with unprivileged user namespaces is needed")
class LocalBackendCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        # No fake modal on PATH: the local backend must not need one.
        self.env["PATH"] = SYSTEM_PATH
        self.env["MGPUX_BACKEND"] = "local"
        self.project = self.tmp / "project"
        self.project.mkdir()

    def local(self, *args, timeout=90, **kw):
        return self.run_mgpux("--yes", *args, timeout=timeout, cwd=kw.pop("cwd", self.project), **kw)

    def local_json(self, *args, code=0, **kw):
        r = self.local("--json", *args, **kw)
        self.assertExit(r, code)
        return r.json()

    def local_apps(self):
        folder = self.state_dir / "local" / "apps"
        return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []

    def stop_all(self):
        """Stops every local app this test left (the test asserts stop itself where it matters)."""
        for app in self.local_apps():
            if app.get("state") != "stopped":
                try:
                    os.killpg(app["pid"], signal.SIGKILL)
                except OSError:
                    pass

    def tearDown(self):
        self.stop_all()
        super().tearDown()

    def assertStopped(self, app):
        deadline = time.time() + 10
        while group_members(app["pid"]) and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(group_members(app["pid"]), [], "processes of the stopped app are left")


class HubScriptTests(LocalBackendCase):
    def test_script_output_and_exit_status(self):
        (self.project / "job.py").write_text("import sys\nprint('job args', sys.argv[1:])\nsys.exit(3)\n")
        r = self.local("--json", "hub", "script", "job.py", "--cpu", "1", "--", "--epochs", "2")
        self.assertExit(r, 1)
        self.assertIn("job args ['--epochs', '2']", r.out + r.err)
        self.assertIn('[m-gpux] RESULT {"exit_code": 3}', r.out + r.err)
        self.assertIn("the local run failed", r.err)
        (self.project / "job.py").write_text("print('all good')\n")
        doc = self.local_json("hub", "script", "job.py", "--cpu", "1")
        self.assertEqual(doc["results"], [{"exit_code": 0}])
        self.assertFalse((self.home / ".modal.toml").exists())

    def test_paths_outside_the_mounts_are_not_writable(self):
        outside = self.tmp / "outside.txt"
        (self.project / "job.py").write_text(
            "import os\n"
            f"for path in [{str(outside)!r}, '/workspace/new.txt', '/usr/new.txt', '/new.txt']:\n"
            "    try:\n"
            "        open(path, 'w').write('x')\n"
            "        print('WROTE', path)\n"
            "    except OSError as exc:\n"
            "        print('REFUSED', path, exc.errno)\n"
            "open('/tmp/scratch.txt', 'w').write('private /tmp works')\n"
            "print('TMP OK')\n")
        r = self.local("hub", "script", "job.py", "--cpu", "1")
        self.assertExit(r, 0)
        self.assertNotIn("WROTE", r.out)
        self.assertEqual(r.out.count("REFUSED"), 4, r.out)
        self.assertIn("TMP OK", r.out)
        self.assertFalse(outside.exists())
        self.assertFalse((self.project / "new.txt").exists())

    def test_missing_package_is_reported_and_the_run_refused(self):
        (self.project / "job.py").write_text("print('THE JOB RAN')\n")
        r = self.local("hub", "script", "job.py", "--cpu", "1", "--pip", "surely-absent-package==1.0")
        self.assertExit(r, 1)
        self.assertIn("surely-absent-package==1.0", r.out)
        self.assertIn("--ignore-missing", r.out)
        self.assertNotIn("THE JOB RAN", r.out)
        r = self.local("--ignore-missing", "hub", "script", "job.py", "--cpu", "1", "--pip", "surely-absent-package")
        self.assertExit(r, 0)
        self.assertIn("THE JOB RAN", r.out)

    def test_timeout_is_enforced(self):
        (self.project / "job.py").write_text("import time\nprint('sleeping', flush=True)\ntime.sleep(60)\n")
        started = time.monotonic()
        r = self.local("hub", "script", "job.py", "--cpu", "1", "--timeout", "2")
        self.assertExit(r, 1)
        self.assertLess(time.monotonic() - started, 30)
        self.assertIn("did not finish within its timeout of 2 s", r.out)

    def test_without_bubblewrap_it_stops_with_exit_4(self):
        bin_dir = self.tmp / "bin"
        bin_dir.mkdir()
        (bin_dir / "python3").symlink_to(PYTHON)
        (self.project / "job.py").write_text("print('THE JOB RAN')\n")
        r = self.local("hub", "script", "job.py", "--cpu", "1", env={"PATH": str(bin_dir)})
        self.assertExit(r, 4)
        self.assertIn("bwrap", r.err)
        self.assertNotIn("THE JOB RAN", r.out)
        self.assertFalse((self.state_dir / "runs").exists() and any((self.state_dir / "runs").iterdir()))


class HostTests(LocalBackendCase):
    def deploy(self, *args):
        doc = self.local_json("host", *args)
        self.assertEqual(doc["status"], "completed", doc)
        self.assertRegex(doc["url"], r"^http://127\.0\.0\.1:\d+$")
        return doc

    def stop_and_check(self, doc):
        apps = [a for a in self.local_apps() if a["app_id"] == doc["app_id"]]
        self.assertEqual(len(apps), 1)
        self.assertEqual(group_members(apps[0]["pid"]) != [], True)
        r = self.local("stop", "--all", "--select", "all")
        self.assertExit(r, 0)
        self.assertStopped(apps[0])
        port = int(doc["url"].rsplit(":", 1)[1])
        self.assertFalse(port_open(port))
        sessions = json.loads((self.state_dir / "sessions.json").read_text())
        self.assertEqual([s["backend"] for s in sessions], ["local"])

    def test_static_site_is_served_and_stop_leaves_no_process(self):
        if port_open(8000):
            self.skipTest("port 8000 is taken on this machine")
        (self.project / "index.html").write_text("<h1>local static page</h1>")
        (self.project / ".env").write_text("SECRET=1")
        doc = self.deploy("static", "--name", "site")
        self.assertEqual(fetch(doc["url"] + "/"), (200, "<h1>local static page</h1>"))
        with self.assertRaises(urllib.error.HTTPError):
            fetch(doc["url"] + "/.env")
        self.stop_and_check(doc)

    def test_wsgi_app_is_served(self):
        (self.project / "app.py").write_text(
            "def app(environ, start_response):\n"
            "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
            "    return [('wsgi says hi at ' + environ['PATH_INFO']).encode()]\n")
        doc = self.deploy("wsgi", "--name", "w")
        self.assertEqual(fetch(doc["url"] + "/hello"), (200, "wsgi says hi at /hello"))
        self.stop_and_check(doc)

    def test_asgi_app_is_served(self):
        (self.project / "main.py").write_text(
            "async def app(scope, receive, send):\n"
            "    assert scope['type'] == 'http'\n"
            "    await send({'type': 'http.response.start', 'status': 200,\n"
            "                'headers': [(b'content-type', b'text/plain')]})\n"
            "    await send({'type': 'http.response.body', 'body': b'asgi says hi'})\n")
        doc = self.deploy("asgi", "--name", "a")
        self.assertEqual(fetch(doc["url"] + "/"), (200, "asgi says hi"))
        self.stop_and_check(doc)


class LoadProbeTests(LocalBackendCase):
    def test_probe_reports_cpu_metrics(self):
        doc = self.local_json("load", "probe", "--cpu", "1")
        self.assertEqual(doc["status"], "completed")
        metrics = doc["metrics"]
        self.assertEqual(metrics["cpu"]["cores"], os.cpu_count())
        self.assertGreater(metrics["memory"]["total_gb"], 0)
        if not Path("/dev/nvidia0").exists():
            self.assertEqual(metrics["gpus"], [])


class ServeDeployTests(LocalBackendCase):
    def test_proxy_in_front_of_an_upstream_answers_with_a_key(self):
        if port_open(8000):
            self.skipTest("port 8000 is taken on this machine")
        up = subprocess.Popen([PYTHON, str(FAKE_UPSTREAM), "--port", "0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        self.addCleanup(lambda: (up.kill(), up.wait(), up.stdout.close()))
        upstream = "http://127.0.0.1:" + re.search(r"READY (\d+)", up.stdout.readline()).group(1)
        key = self.local_json("serve", "keys", "create", "--name", "dev")["key"]
        doc = self.local_json("serve", "deploy", "--upstream", upstream, "--proxy", "python")
        url = doc["url"]
        self.assertRegex(url, r"^http://127\.0\.0\.1:8000")
        with self.assertRaises(urllib.error.HTTPError) as denied:
            fetch(url.rstrip("/") + "/v1/models")
        self.assertEqual(denied.exception.code, 401)
        status, body = fetch(url.rstrip("/") + "/v1/models", {"Authorization": "Bearer " + key})
        self.assertEqual(status, 200)
        self.assertIn("data", json.loads(body))
        self.assertExit(self.local("stop", "--all", "--select", "all"), 0)
        for app in self.local_apps():
            self.assertStopped(app)


if __name__ == "__main__":
    main()
