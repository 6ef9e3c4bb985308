# SPDX-License-Identifier: MIT
"""m-gpux host asgi|wsgi|static: rendering (checked with the modal stand-in), validation,
and launches through the fake modal (deploy, serve, failures)."""
import ast
import json
import os
import subprocess
import sys
import time

from harness import SOURCE_DIR, SUPPORT_DIR, MgpuxTestCase, main

sys.path.insert(0, str(SUPPORT_DIR))
from modal_shim.inspect_api import function, image  # noqa: E402

EXAMPLES = SOURCE_DIR / "examples"
HOST_DEFAULTS = [".venv", "venv", "__pycache__", ".git", "node_modules", ".mypy_cache", ".pytest_cache",
                 "*.egg-info", ".tox", "dist", "build", ".env", ".env.*"]
CREDENTIALS = ["**/.modal.toml", "**/.m-gpux", "**/.ssh", "**/.aws", "**/.netrc"]
ADVERSARIAL = 'q"uo\'te \\back\nline """ {{x}} é'


def expected_ignore(extra=(), defaults=True):
    out = []
    for p in (HOST_DEFAULTS if defaults else []) + list(extra):
        p = p.strip().rstrip("/")
        p = p if "/" in p else "**/" + p
        if p not in out:
            out.append(p)
    return [p for p in out if p not in CREDENTIALS] + CREDENTIALS


def string_constants(script):
    return {n.value for n in ast.walk(ast.parse(script)) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def tags_outside_strings(script):
    """Mustache tags left in the code itself (a user's "{{" inside a string literal is fine)."""
    import io
    import tokenize
    tokens = tokenize.generate_tokens(io.StringIO(script).readline)
    return [t.string for t in tokens if t.type not in (tokenize.STRING, tokenize.COMMENT) and "{{" in t.string]


# Imports a rendered script under the stand-in, points it at the local project
# and calls the entry loader the web function uses; then sends one request.
DRIVER = r'''
import asyncio, importlib.util, io, json, sys
spec = importlib.util.spec_from_file_location("hosted_app", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
mod.APP_DIR = sys.argv[2]
target = mod.load_entry()
kind, path = sys.argv[3], sys.argv[4]
if kind == "asgi":
    sent = []
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        sent.append(message)
    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
    asyncio.run(target(scope, receive, send))
    status = sent[0]["status"]
    body = b"".join(m.get("body", b"") for m in sent[1:])
else:
    seen = {}
    def start_response(status, headers):
        seen["status"] = int(status.split()[0])
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.input": io.BytesIO(b""), "CONTENT_LENGTH": "0"}
    body = b"".join(target(environ, start_response))
    status = seen["status"]
print(json.dumps({"status": status, "body": json.loads(body)}))
'''


class HostTest(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()

    def render(self, *args, expect=0):
        out = self.tmp / "rendered.py"
        if out.exists():
            out.unlink()
        r = self.run_mgpux("--yes", "--dry-run", "--script-out", out, "host", *args)
        self.assertExit(r, expect)
        return r, (out.read_text(encoding="utf-8") if out.exists() else None)

    def project(self, name="proj", module="main.py", body="app = object()\n"):
        d = self.tmp / name
        d.mkdir(parents=True, exist_ok=True)
        (d / module).write_text(body, encoding="utf-8")
        return d

    # ---------------------------------------------------------------- rendering

    def test_image_is_the_base_of_asgi_and_static(self):
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        store = self.state_dir / "images.json"
        store.write_text(json.dumps({"web-base": {"profiles": ["alice"], "python": "3.11", "summary": "debian_slim",
                                                  "updated_at": "2026-12-01T10:00:00Z"}}), encoding="utf-8")
        store.chmod(0o600)
        proj = self.project()
        (proj / "index.html").write_text("<p>hi</p>", encoding="utf-8")
        for action in ("asgi", "static"):
            flag = "--dir" if action == "static" else "--project-dir"
            r, script = self.render(action, flag, proj, "--image", "web-base")
            self.assertIn('modal.Image.from_name("web-base")', script, action)
            image = self.inspect_rendered(script)["images"][0]
            self.assertEqual(image["base"]["type"], "from_name")
        r, script = self.render("asgi", "--project-dir", proj, "--image", "missing", expect=2)
        self.assertIsNone(script)

    def test_asgi_defaults(self):
        proj = self.project()
        r, script = self.render("asgi", "--project-dir", proj)
        report = self.inspect_rendered(script)
        self.assertEqual(report["app"]["name"], "m-gpux-host-my-app")
        fn = function(report, "web")
        self.assertEqual(fn["kind"], "asgi")
        self.assertEqual((fn["gpu"], fn["cpu"], fn["memory"]), (None, 4, 2048))
        self.assertEqual((fn["timeout"], fn["scaledown_window"], fn["min_containers"]), (86400, 300, 0))
        self.assertEqual(fn["concurrent"]["max_inputs"], 100)
        im = image(report, fn["image"])
        self.assertEqual(im["base"]["python_version"], "3.12")
        self.assertEqual([s["op"] for s in im["steps"]], ["add_local_dir"])
        self.assertEqual(im["steps"][0]["args"], [str(proj), "/app"])
        self.assertEqual(im["steps"][0]["kwargs"]["ignore"], expected_ignore())
        self.assertIn('ENTRY_MODULE = "main"', script)
        self.assertEqual(self.modal_calls(), [])
        self.assertFalse(self.state_dir.exists() and any(self.state_dir.iterdir()))

    def test_wsgi_gpu_flags_and_deps(self):
        proj = self.project(module="app.py")
        (proj / "requirements.txt").write_text("flask\n", encoding="utf-8")
        _, script = self.render("wsgi", "--project-dir", proj, "--gpu", "h100:2", "--min-containers", "1",
                                "--python", "3.11", "--timeout", "600", "--name", "Tasks Board",
                                "--pip", "gunicorn==23.0.0", "--exclude", "data/", "--exclude", "*.ckpt")
        report = self.inspect_rendered(script)
        self.assertEqual(report["app"]["name"], "m-gpux-host-tasks-board")
        fn = function(report, "web")
        self.assertEqual(fn["kind"], "wsgi")
        self.assertEqual((fn["gpu"], fn["timeout"], fn["min_containers"]), ("H100:2", 600, 1))
        im = image(report, fn["image"])
        self.assertEqual(im["base"]["python_version"], "3.11")
        # --pip given: the project's requirements.txt is not picked up unasked.
        self.assertEqual([s["op"] for s in im["steps"]], ["pip_install", "add_local_dir"])
        self.assertEqual(im["steps"][0]["args"], ["gunicorn==23.0.0"])
        self.assertEqual(im["steps"][1]["kwargs"]["ignore"], expected_ignore(["data/", "*.ckpt"]))

    def test_requirements_found_in_the_project_and_no_deps(self):
        proj = self.project()
        (proj / "requirements.txt").write_text("fastapi\n", encoding="utf-8")
        _, script = self.render("asgi", "--project-dir", proj, "--cpu", "2", "--memory", "4096")
        fn = function(report := self.inspect_rendered(script), "web")
        self.assertEqual((fn["cpu"], fn["memory"]), (2, 4096))
        steps = image(report, fn["image"])["steps"]
        self.assertEqual(steps[0]["op"], "pip_install_from_requirements")
        self.assertEqual(steps[0]["args"][0], str(proj / "requirements.txt"))
        _, script = self.render("asgi", "--project-dir", proj, "--no-deps", "--no-default-excludes", "--exclude", "x")
        report = self.inspect_rendered(script)
        steps = image(report, function(report, "web")["image"])["steps"]
        self.assertEqual([s["op"] for s in steps], ["add_local_dir"])
        self.assertEqual(steps[0]["kwargs"]["ignore"], ["**/x"] + CREDENTIALS)

    def test_static_site(self):
        site = self.tmp / "site"
        site.mkdir()
        (site / "index.html").write_text("<h1>hi</h1>", encoding="utf-8")
        (site / "requirements.txt").write_text("flask\n", encoding="utf-8")
        _, script = self.render("static", "--dir", site, "--name", "docs")
        report = self.inspect_rendered(script)
        fn = function(report, "web")
        self.assertEqual(fn["web"]["type"], "web_server")
        self.assertEqual(report["app"]["name"], "m-gpux-host-docs")
        steps = image(report, fn["image"])["steps"]
        self.assertEqual([s["op"] for s in steps], ["add_local_dir"])  # no requirements unasked
        self.assertEqual(steps[0]["args"], [str(site), "/site"])
        self.assertEqual(fn["concurrent"]["max_inputs"], 100)

    def test_static_handler_serves_files_only(self):
        site = EXAMPLES / "host-static"
        _, script = self.render("static", "--dir", site)
        path = self.tmp / "static_app.py"
        path.write_text(script, encoding="utf-8")
        (self.tmp / "served").mkdir()
        (self.tmp / "served" / "index.html").write_text("<p>ok</p>", encoding="utf-8")
        (self.tmp / "served" / ".env").write_text("SECRET=1", encoding="utf-8")
        (self.tmp / "served" / "sub").mkdir()
        code = r'''
import importlib.util, sys, threading, urllib.request, urllib.error, json
spec = importlib.util.spec_from_file_location("static_app", sys.argv[1])
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
server = mod.make_server(directory=sys.argv[2], port=0, host="127.0.0.1")
threading.Thread(target=server.serve_forever, daemon=True).start()
out = {}
for p in ("/", "/index.html", "/.env", "/sub/", "/%2Eenv"):
    try:
        out[p] = urllib.request.urlopen("http://127.0.0.1:%d%s" % (server.server_port, p), timeout=5).status
    except urllib.error.HTTPError as e:
        out[p] = e.code
server.shutdown()
print(json.dumps(out))
'''
        proc = subprocess.run(["/usr/bin/python3", "-c", code, str(path), str(self.tmp / "served")],
                              env={**os.environ, "PYTHONPATH": str(SUPPORT_DIR)}, capture_output=True, text=True,
                              timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout), {"/": 200, "/index.html": 200, "/.env": 404, "/sub/": 404,
                                                   "/%2Eenv": 404})

    def test_adversarial_values_round_trip(self):
        proj = self.tmp / ADVERSARIAL
        proj.mkdir()
        (proj / "приложение.py").write_text("app = 1\n", encoding="utf-8")
        reqs = proj / ('reqs "x" \\ {{y}}.txt')
        reqs.write_text("httpx\n", encoding="utf-8")
        packages = ["café\\{{pkg}}", "x==1;python_version>3"]
        excludes = ['a"b', "c\\d", "{{z}}", '"""', "ü/ö", "line\nbreak"]
        args = ["asgi", "--project-dir", proj, "--entry", "приложение:app", "--name", 'My "App" {{x}}\n',
                "--requirements", reqs]
        for p in packages:
            args += ["--pip", p]
        for e in excludes:
            args += ["--exclude", e]
        _, script = self.render(*args)
        constants = string_constants(script)
        for value in [str(proj), str(reqs), "приложение", *packages]:
            self.assertIn(value, constants)
        self.assertEqual(tags_outside_strings(script), [])
        report = self.inspect_rendered(script)
        fn = function(report, "web")
        self.assertEqual(report["app"]["name"], "m-gpux-host-my-app-x")
        steps = image(report, fn["image"])["steps"]
        self.assertEqual([s["op"] for s in steps], ["pip_install_from_requirements", "pip_install", "add_local_dir"])
        self.assertEqual(steps[0]["args"][0], str(reqs))
        self.assertEqual(steps[1]["args"], packages)
        self.assertEqual(steps[2]["args"], [str(proj), "/app"])
        self.assertEqual(steps[2]["kwargs"]["ignore"], expected_ignore(excludes))

    def test_adversarial_static_dir(self):
        site = self.tmp / ("s" + ADVERSARIAL)
        site.mkdir()
        (site / "index.html").write_text("x", encoding="utf-8")
        _, script = self.render("static", "--dir", site)
        self.assertIn(str(site), string_constants(script))
        report = self.inspect_rendered(script)
        self.assertEqual(image(report, function(report, "web")["image"])["steps"][0]["args"], [str(site), "/site"])

    def test_without_flags_no_input_takes_the_defaults(self):
        proj = self.project()
        out = self.tmp / "defaults.py"
        r = self.run_mgpux("--dry-run", "--script-out", out, "host", "asgi", cwd=proj)  # stdin is not a terminal
        self.assertExit(r, 0)
        report = self.inspect_rendered(out.read_text(encoding="utf-8"))
        self.assertEqual(report["app"]["name"], "m-gpux-host-my-app")
        self.assertEqual(function(report, "web")["cpu"], 4)

    def test_prompts_on_a_terminal(self):
        proj = self.project(module="api.py")
        out = self.tmp / "prompted.py"
        # App name, entry, compute type (down: GPU), GPU menu (default L4), how many (down: 2),
        # Python (down: 3.13).
        down = b"\x1b[B"
        code, output = self.run_on_pty(["--dry-run", "--script-out", out, "host", "asgi", "--project-dir", proj],
                                       [b"shop\r", b"api:app\r", down, b"\r", b"\r", down, b"\r", down, b"\r"])
        self.assertEqual(code, 0, output)
        report = self.inspect_rendered(out.read_text(encoding="utf-8"))
        self.assertEqual(report["app"]["name"], "m-gpux-host-shop")
        fn = function(report, "web")
        self.assertEqual(fn["gpu"], "L4:2")
        self.assertEqual(image(report, fn["image"])["base"]["python_version"], "3.13")
        self.assertIn('ENTRY_MODULE = "api"', out.read_text(encoding="utf-8"))

    # ---------------------------------------------------------------- validation

    def assert_refused(self, *args, words=()):
        out = self.tmp / "refused.py"
        r = self.run_mgpux("--yes", "--script-out", out, "host", *args)
        self.assertExit(r, 2)
        self.assertFalse(out.exists(), "a refused command rendered a script")
        self.assertEqual(self.modal_calls(), [])
        for w in words:
            self.assertIn(w, r.err)
        return r

    def test_bad_input_is_exit_2_and_renders_nothing(self):
        proj = self.project()
        self.assert_refused("asgi", "--project-dir", proj, "--entry", "main", words=["--entry"])
        self.assert_refused("asgi", "--project-dir", proj, "--entry", "missing:app", words=["missing.py"])
        self.assert_refused("asgi", "--project-dir", proj, "--pip", "-r", words=["--pip"])
        self.assert_refused("asgi", "--project-dir", proj, "--pip", "a b", words=["--pip"])
        self.assert_refused("asgi", "--project-dir", proj, "--name", "ééé", words=["--name"])
        self.assert_refused("asgi", "--project-dir", proj, "--mode", "serve", "--background", words=["--background"])
        self.assert_refused("asgi", "--project-dir", proj, "--no-deps", "--pip", "x", words=["--no-deps"])
        self.assert_refused("asgi", "--project-dir", proj, "--requirements", "nope.txt", words=["nope.txt"])
        self.assert_refused("asgi", "--project-dir", proj, "--gpu", "Z9000")
        self.assert_refused("asgi", "--project-dir", proj, "--gpu", "L4", "--cpu", "2")
        self.assert_refused("asgi", "--project-dir", proj, "--memory", "1024", words=["--memory"])
        self.assert_refused("asgi", "--project-dir", proj, "--python", "2.7")
        self.assert_refused("asgi", "--project-dir", self.tmp / "nope", words=["--project-dir"])
        self.assert_refused("static", "--dir", proj / "main.py", words=["--dir"])
        self.assert_refused("--profile", "ghost", "asgi", "--project-dir", proj)

    def test_missing_modal_is_exit_4(self):
        proj = self.project()
        r = self.run_mgpux("--yes", "host", "asgi", "--project-dir", proj, "--name", "x",
                           env={"PATH": "/usr/bin:/bin"})
        self.assertExit(r, 4)

    def test_corrupt_sessions_file_is_exit_3_before_deploying(self):
        proj = self.project()
        self.state_dir.mkdir(mode=0o700)
        bad = self.state_dir / "sessions.json"
        bad.write_bytes(b'[{"id": ')
        os.chmod(bad, 0o600)
        r = self.run_mgpux("--yes", "host", "asgi", "--project-dir", proj)
        self.assertExit(r, 3)
        self.assertEqual(bad.read_bytes(), b'[{"id": ')
        self.assertEqual(self.fake.calls_of("deploy"), [])

    # ---------------------------------------------------------------- launches

    def test_deploy_through_the_fake(self):
        proj = self.project()
        r = self.run_mgpux("--yes", "--json", "--profile", "work", "host", "asgi", "--project-dir", proj,
                           "--name", "demo", "--cpu", "1")
        self.assertExit(r, 0)
        doc = r.json()
        # One modal process: `modal deploy` prints no app id, and the session goes by the app's name.
        self.assertEqual([c["argv"][0] for c in self.modal_calls()], ["deploy"])
        deploys = self.fake.calls_of("deploy")
        self.assertEqual(deploys[0]["env"].get("MODAL_PROFILE"), "work")
        self.assertTrue(deploys[0]["argv"][-1].endswith("modal_runner.py"))
        self.assertEqual(doc["app_name"], "m-gpux-host-demo")
        self.assertEqual(doc["mode"], "deploy")
        self.assertEqual(doc["profile"], "work")
        self.assertIsNone(doc["app_id"])
        self.assertEqual(doc["url"], "https://work--m-gpux-host-demo-web.modal.run")
        (app,) = self.fake.apps()
        self.assertEqual((app["description"], app["state"]), ("m-gpux-host-demo", "deployed"))
        sessions = json.loads((self.state_dir / "sessions.json").read_text(encoding="utf-8"))
        self.assertEqual(len(sessions), 1)
        self.assertEqual((sessions[0]["kind"], sessions[0]["app_id"], sessions[0]["app_name"], sessions[0]["id"]),
                         ("host", None, "m-gpux-host-demo", doc["session_id"]))
        self.assertEqual((sessions[0]["deployed"], sessions[0]["environment"]), (True, "main"))
        self.assertEqual(sessions[0]["local_dir"], str(proj))

    def test_every_deploy_is_one_modal_process_and_its_session_stops_by_name(self):
        site = self.tmp / "site"
        site.mkdir()
        (site / "index.html").write_text("<p>hi</p>", encoding="utf-8")
        launches = {"asgi": ["--project-dir", self.project("a")],
                    "wsgi": ["--project-dir", self.project("w", module="app.py"), "--entry", "app:app"],
                    "static": ["--dir", site]}
        for action, flags in launches.items():
            before = len(self.modal_calls())
            r = self.run_mgpux("--yes", "--json", "--profile", "work", "host", action, *flags, "--name", action)
            self.assertExit(r, 0)
            self.assertEqual([c["argv"][0] for c in self.modal_calls()[before:]], ["deploy"], action)
        sessions = {s["app_name"]: s for s in json.loads((self.state_dir / "sessions.json").read_text())}
        self.assertEqual(set(sessions), {"m-gpux-host-asgi", "m-gpux-host-wsgi", "m-gpux-host-static"})
        before = len(self.modal_calls())
        r = self.run_mgpux("--yes", "--json", "sessions", "stop", sessions["m-gpux-host-wsgi"]["id"])
        self.assertExit(r, 0)
        # One call, by name, in the deployment's environment, pinned to the profile it was deployed with.
        (stop,) = self.modal_calls()[before:]
        self.assertEqual(stop["argv"], ["app", "stop", "--yes", "m-gpux-host-wsgi", "--env", "main"])
        self.assertEqual(stop["env"].get("MODAL_PROFILE"), "work")
        states = {a["description"]: a["state"] for a in self.fake.apps()}
        self.assertEqual(states, {"m-gpux-host-asgi": "deployed", "m-gpux-host-wsgi": "stopped",
                                  "m-gpux-host-static": "deployed"})
        self.assertEqual((r.json()["app_id"], r.json()["app_name"]), (None, "m-gpux-host-wsgi"))
        after = {s["app_name"]: s["state"] for s in json.loads((self.state_dir / "sessions.json").read_text())}
        self.assertEqual(after["m-gpux-host-wsgi"], "stopped")
        self.assertEqual(after["m-gpux-host-asgi"], "running")
        # Stopping it again is "already stopped", not a failure.
        r = self.run_mgpux("--yes", "--json", "sessions", "stop", sessions["m-gpux-host-wsgi"]["id"])
        self.assertExit(r, 0)
        self.assertTrue(r.json()["already_stopped"])
        self.assertEqual(self.fake.calls_of("app", "list"), [])

    def test_background_deploy_prints_url(self):
        proj = self.project(module="app.py")
        r = self.run_mgpux("--yes", "host", "wsgi", "--project-dir", proj, "--name", "bg", "--background",
                           "--entry", "app:app")
        self.assertExit(r, 0)
        self.assertIn("https://alice--m-gpux-host-bg-web.modal.run", r.out)
        self.assertIn("App: m-gpux-host-bg\n", r.out)  # by name: a deploy prints no app id
        deploys = self.fake.calls_of("deploy")
        self.assertEqual(len(deploys), 1)
        self.assertEqual(deploys[0]["env"].get("MODAL_PROFILE"), "alice")

    def test_dry_run_creates_no_state(self):
        proj = self.project()
        r = self.run_mgpux("--yes", "--dry-run", "--json", "host", "asgi", "--project-dir", proj)
        self.assertExit(r, 0)
        self.assertEqual(r.json()["status"], "dry_run")
        self.assertIn("modal deploy", r.err + r.out)
        self.assertEqual(self.modal_calls(), [])
        self.assertFalse((self.state_dir / "sessions.json").exists())
        self.assertFalse((self.state_dir / "runs").exists())

    def test_serve_runs_modal_serve_until_stopped(self):
        proj = self.project()
        env = dict(self.env)
        env.update(self.fake.env())
        proc = subprocess.Popen([str(self._bin()), "--yes", "--json", "host", "asgi", "--project-dir", str(proj),
                                 "--name", "live", "--mode", "serve"], env=env, cwd=str(self.tmp),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            app = None
            deadline = time.time() + 20
            while time.time() < deadline and not app:
                app = next((a for a in self.fake.apps() if a.get("description") == "m-gpux-host-live"), None)
                time.sleep(0.1)
            self.assertIsNotNone(app, "modal serve never started the app")
            self.fake.update_app(app["app_id"], state="stopped")
            out, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual([c["argv"][0] for c in self.modal_calls()], ["serve"])  # one modal process
        serves = self.fake.calls_of("serve")
        self.assertEqual(serves[0]["env"].get("MODAL_PROFILE"), "alice")
        doc = json.loads(out)
        self.assertEqual(doc["mode"], "serve")
        self.assertIn("m-gpux-host-live-web-dev.modal.run", doc["url"])
        self.assertEqual(self.fake.calls_of("deploy"), [])

    def _bin(self):
        from harness import BIN
        return BIN

    def test_failing_modal_is_exit_1_naming_its_code(self):
        proj = self.project()
        self.fake.set_scenario([{"match": ["deploy"], "exit": 7, "stderr": "Error: quota exceeded\n"}])
        r = self.run_mgpux("--yes", "host", "asgi", "--project-dir", proj)
        self.assertExit(r, 1)
        self.assertIn("7", r.err)
        self.assertFalse((self.state_dir / "sessions.json").exists())

    # ---------------------------------------------------------------- the examples really load

    def drive(self, example, kind, request_path, *extra):
        project = EXAMPLES / example
        _, script = self.render(kind, "--project-dir", project, *extra)
        path = self.tmp / f"{kind}_hosted.py"
        path.write_text(script, encoding="utf-8")
        proc = subprocess.run(["/usr/bin/python3", "-c", DRIVER, str(path), str(project), kind, request_path],
                              env={**os.environ, "PYTHONPATH": str(SUPPORT_DIR), "PYTHONDONTWRITEBYTECODE": "1"},
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)

    def test_asgi_example_answers_a_request(self):
        got = self.drive("host-asgi", "asgi", "/hello/modal", "--entry", "main:app")
        self.assertEqual(got, {"status": 200, "body": {"greeting": "Hello, modal!"}})

    def test_wsgi_example_answers_a_request(self):
        got = self.drive("host-wsgi", "wsgi", "/health", "--entry", "app:app")
        self.assertEqual(got, {"status": 200, "body": {"status": "ok"}})


if __name__ == "__main__":
    main()
