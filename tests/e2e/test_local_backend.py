# SPDX-License-Identifier: MIT
"""The local backend: rendered workloads run on this machine (`--backend local`), each function in a
bubblewrap container, with no Modal account and no `modal` program (PATH has no fake modal here).

Each test asserts the real effect: the script's output and exit status, the page served, the proxy
answering with a key, the metrics, the files on the local volume; and that a stopped app leaves no
process behind.
"""
import hashlib
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
        r = self.local("--json", "hub", "script", "job.py", "--gpu", "T4")
        self.assertExit(r, 0)
        self.assertEqual(r.json()["results"], [{"exit_code": 0}])
        if not Path("/dev/nvidia0").exists():
            self.assertIn("asks for GPU T4, but this machine has none: it runs on the CPU", r.err)
        self.assertFalse((self.home / ".modal.toml").exists())
        self.assertEqual(oct((self.state_dir / "local").stat().st_mode & 0o777), "0o700")

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

    def test_a_state_folder_inside_the_project_is_not_uploaded(self):
        state = self.project / "state"
        (self.project / "job.py").write_text("import os\nprint('LISTING', sorted(os.listdir('/workspace')))\n")
        r = self.local("hub", "script", "job.py", "--cpu", "1", env={"MGPUX_HOME": str(state)})
        self.assertExit(r, 0)
        self.assertIn("LISTING ['job.py']", r.out)

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
        r = self.local("--json", "host", *args)
        if r.code != 0 and "already listens on" in r.out + r.err:
            self.skipTest("another test took port 8000 meanwhile")
        self.assertExit(r, 0)
        doc = r.json()
        self.assertEqual(doc["status"], "completed", doc)
        self.assertRegex(doc["url"], r"^http://127\.0\.0\.1:\d+$")
        return doc

    def stop_and_check(self, doc):
        apps = [a for a in self.local_apps() if a["app_id"] == doc["app_id"]]
        self.assertEqual(len(apps), 1)
        self.assertEqual(group_members(apps[0]["pid"]) != [], True)
        r = self.local("stop", "--all", "--select", "all")
        self.assertExit(r, 0)
        self.assertIn("(this machine)", r.out)
        self.assertNotIn("(modal default)", r.out)
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


class SessionTests(LocalBackendCase):
    def test_sessions_list_logs_and_stop_cover_a_local_app(self):
        (self.project / "app.py").write_text(
            "def app(environ, start_response):\n"
            "    print('REQUEST FOR', environ['PATH_INFO'], flush=True)\n"
            "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
            "    return [b'ok']\n")
        doc = self.local_json("host", "wsgi", "--name", "logged")
        fetch(doc["url"] + "/marker-path")
        listed = self.local_json("sessions", "list")
        rows = listed["sessions"] if isinstance(listed, dict) else listed
        self.assertEqual([(s["app_id"], s["backend"], s["state"], s["url"]) for s in rows],
                         [(doc["app_id"], "local", "running", doc["url"])])
        logs = self.local("sessions", "logs", rows[0]["id"])
        self.assertExit(logs, 0)
        self.assertIn("REQUEST FOR /marker-path", logs.out)
        app = self.local_apps()[0]
        self.assertNotEqual(group_members(app["pid"]), [])
        self.assertExit(self.local("sessions", "stop", rows[0]["id"]), 0)
        self.assertStopped(app)
        self.assertEqual(self.local_apps()[0]["state"], "stopped")


class RunnerTests(LocalBackendCase):
    def probe_json(self, *args):
        self.env["MGPUX_PLUGIN_PATH"] = str(self.fixture_dir("svcprobe"))
        return self.local_json("svcprobe", "run", *args)

    def test_dry_run_shows_the_local_command_and_runs_nothing(self):
        (self.project / "job.py").write_text("print('THE JOB RAN')\n")
        r = self.local("--dry-run", "hub", "script", "job.py", "--cpu", "1")
        self.assertExit(r, 0)
        self.assertRegex(r.err, r"dry run: would run PYTHONPATH=\S+/runtime python3 -m modal_shim run \S+modal_runner\.py")
        self.assertNotIn("THE JOB RAN", r.out)
        self.assertFalse(self.state_dir.exists() and any(self.state_dir.rglob("modal_runner.py")))

    def test_detached_background_run_is_a_local_session(self):
        doc = self.probe_json("--detach", "--background", "--session-kind", "hub")
        self.assertEqual(doc["status"], "background")
        self.assertEqual(doc["url"], "https://probe.example")
        sessions = json.loads((self.state_dir / "sessions.json").read_text())
        self.assertEqual([(s["app_id"], s["backend"]) for s in sessions], [(doc["app_id"], "local")])
        log = Path(doc["run_dir"]) / "output.log"
        deadline = time.time() + 10
        while "the run finished" not in log.read_text() and time.time() < deadline:
            time.sleep(0.1)
        self.assertIn("hello", log.read_text())
        self.assertEqual(oct(log.stat().st_mode & 0o777), "0o600")


    def test_an_ephemeral_secret_reaches_the_container_from_the_runtimes_environment(self):
        value = "local-probe-value-7f3a"
        self.env["MGPUX_PLUGIN_PATH"] = str(self.fixture_dir("svcprobe"))
        r = self.local("--json", "svcprobe", "run", "--secret-env", env={"SVCPROBE_SECRET": value})
        self.assertExit(r, 0)
        self.assertIn("PROBE_TOKEN sha256 " + hashlib.sha256(value.encode()).hexdigest(), r.out + r.err)
        for path in self.state_dir.rglob("*"):
            if path.is_file():
                self.assertNotIn(value, path.read_text(errors="replace"), path)


class RuntimeTests(LocalBackendCase):
    """The runtime CLI on its own: what the templates above do not all exercise."""

    def runtime(self, *args, env=None):
        child_env = {"PATH": SYSTEM_PATH, "HOME": str(self.home), "PYTHONPATH": str(SOURCE_DIR / "runtime"),
                     "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": str(self.child_tmp),
                     "MGPUX_LOCAL_HOME": str(self.tmp / "local"), "MGPUX_LOCAL_RUN_DIR": str(self.tmp / "run")}
        child_env.update(env or {})
        return subprocess.run([PYTHON, "-m", "modal_shim", *args], env=child_env, cwd=str(self.tmp),
                              capture_output=True, text=True, timeout=60)

    def test_volumes_secrets_forward_and_calls(self):
        secrets = self.tmp / "secrets.json"
        secrets.write_text(json.dumps({"named": {"TOKEN": "from-the-runner"}}))
        (self.tmp / "run").mkdir()
        script = self.tmp / "app.py"
        script.write_text(
            "import os, modal\n"
            "app = modal.App('t')\n"
            "vol = modal.Volume.from_name('results', create_if_missing=True)\n"
            "@app.function(volumes={'/data': vol}, secrets=[modal.Secret.from_name('named')], timeout=30)\n"
            "def work(x):\n"
            "    with modal.forward(8123) as tunnel:\n"
            "        url = tunnel.url\n"
            "    open('/data/out.txt', 'w').write('%s %s' % (x, os.environ['TOKEN']))\n"
            "    vol.commit()\n"
            "    return url, os.environ.get('MODAL_IS_REMOTE'), x * 2\n"
            "@app.local_entrypoint()\n"
            "def main():\n"
            "    print('REMOTE', work.remote(4))\n"
            "    print('LOCAL', work.local.__name__)\n"
            "    print('SPAWN', work.spawn(5).get())\n"
            "    print('MAP', list(work.map([1, 2]))[1][2])\n"
            "    print('GEN', list(count.remote_gen(3)))\n"
            "@app.function()\n"
            "def count(n):\n"
            "    for i in range(n):\n"
            "        yield i * 10 if os.environ.get('MODAL_IS_REMOTE') == '1' else -1\n")
        r = self.runtime("run", str(script), env={"MGPUX_LOCAL_SECRETS": str(secrets)})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("REMOTE ('http://127.0.0.1:8123', '1', 8)", r.stdout)
        self.assertIn("SPAWN ('http://127.0.0.1:8123', '1', 10)", r.stdout)
        self.assertIn("MAP 4", r.stdout)
        self.assertIn("GEN [0, 10, 20]", r.stdout)
        self.assertEqual((self.tmp / "local" / "volumes" / "results" / "out.txt").read_text(), "2 from-the-runner")

    def test_inspect_still_reports_without_running(self):
        script = self.tmp / "app.py"
        script.write_text("import modal\napp = modal.App('t')\n@app.function(gpu='A100')\ndef f():\n"
                          "    open('/tmp/ran', 'w')\n")
        r = self.runtime("inspect", str(script), "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["functions"][0]["gpu"], "A100")

    def test_web_bash_and_jupyter_name_what_to_install(self):
        if shutil.which("ttyd") and shutil.which("jupyter"):
            self.skipTest("ttyd and jupyter are installed here")
        if not shutil.which("ttyd"):
            r = self.local("hub", "bash", "--cpu", "1")
            self.assertExit(r, 1)
            self.assertIn("program ttyd", r.out)
        if not shutil.which("jupyter"):
            r = self.local("hub", "jupyter", "--cpu", "1")
            self.assertExit(r, 1)
            self.assertIn("Python package jupyterlab", r.out)
        self.assertEqual(self.local_apps(), [a for a in self.local_apps() if a["state"] == "stopped"])


def importable(module):
    return subprocess.run([PYTHON, "-c", "import " + module], capture_output=True).returncode == 0


@unittest.skipUnless(importable("torch") and importable("torchvision"), "python3-torch and python3-torchvision")
class VisionTests(LocalBackendCase):
    """sample-data, then train, predict, evaluate and export on the CPU with Debian's torch."""

    def test_train_predict_evaluate_export_on_the_cpu(self):
        self.assertExit(self.local("vision", "sample-data", "--image-size", "32", "--train-per-class", "6",
                                   "--val-per-class", "3", "--test-per-class", "3"), 0)
        dataset = self.project / "data" / "m-gpux-vision-sample"
        train = self.local_json("vision", "train", "-d", dataset, "-m", "resnet18", "--cpu", "2", "--epochs", "1",
                                "--no-pretrained", "--image-size", "32", "--batch-size", "8", "--experiment-name", "t1")
        self.assertEqual((train["kind"], train["epochs_completed"]), ("train", 1))
        self.assertGreaterEqual(train["best_val_accuracy"], 0)
        run = self.state_dir / "local" / "volumes" / "m-gpux-vision-artifacts" / "t1"
        self.assertGreater((run / "checkpoints" / "best_model.pt").stat().st_size, 1000)
        history = json.loads((run / "history.json").read_text())
        self.assertEqual(len(history if isinstance(history, list) else history["epochs"]), 1)

        predict = self.local_json("vision", "predict", "--run-name", "t1", "-i", dataset / "test" / "circle",
                                  "--cpu", "1", "--download", self.tmp / "out")
        self.assertEqual(predict["kind"], "predict")
        self.assertTrue(predict["downloaded"])
        self.assertTrue(all(Path(f).is_file() for f in predict["downloaded"]))

        evaluate = self.local_json("vision", "evaluate", "--run-name", "t1", "-d", dataset, "--cpu", "1")
        self.assertEqual(evaluate["kind"], "evaluate")
        self.assertTrue(any((run / "evaluations").iterdir()))

        # onnxscript (not in Debian) is the one package the export image asks for that may be missing here.
        export = self.local_json("--ignore-missing", "vision", "export", "--run-name", "t1", "--format", "onnx",
                                 "--download", self.tmp / "out")
        onnx_file = self.tmp / "out" / export["exported_files"]["onnx"]
        self.assertGreater(onnx_file.stat().st_size, 1000)
        if importable("onnx"):
            check = subprocess.run([PYTHON, "-c", "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]))",
                                    str(onnx_file)], capture_output=True, text=True)
            self.assertEqual(check.returncode, 0, check.stderr)
        self.assertEqual(self.local_json("vision", "runs")["runs"][0]["name"], "t1")


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
        # The image compiles mgpux-proxy; the local backend does not run image steps, and lends the
        # mgpux-proxy installed beside m-gpux instead.
        if port_open(8000):
            self.skipTest("port 8000 is taken on this machine")
        up = subprocess.Popen([PYTHON, str(FAKE_UPSTREAM), "--port", "0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        self.addCleanup(lambda: (up.kill(), up.wait(), up.stdout.close()))
        upstream = "http://127.0.0.1:" + re.search(r"READY (\d+)", up.stdout.readline()).group(1)
        key = self.local_json("serve", "keys", "create", "--name", "dev")["key"]
        r = self.local("--json", "serve", "deploy", "--upstream", upstream)
        if r.code != 0 and "already listens on" in r.out + r.err:
            self.skipTest("another test took port 8000 meanwhile")
        self.assertExit(r, 0)
        url = r.json()["url"]
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
