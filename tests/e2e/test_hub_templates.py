# SPDX-License-Identifier: MIT
"""The hub and dev templates (templates/hub, templates/dev) and their shared partials
(templates/common/metrics.py, upload.py, workspace.py, ready.py).

Each template is rendered by the real host through the svcprobe fixture's `render` command with
its default context and with adversarial values, then checked three ways: the script parses and
every user value round-trips as a literal; the modal stand-in's inspection shows the App, the
decorator arguments, image steps, volumes and secrets; and the helper functions are executed (the
metrics report, workspace seeding, readiness) with stub binaries, never the real servers.
"""
import ast
import hashlib
import io
import json
import os
import subprocess
import sys
import textwrap
import tokenize

from harness import SESSION_SECRET_ENV, SUPPORT_DIR, MgpuxTestCase, main, module_literals

sys.path.insert(0, str(SUPPORT_DIR))
from modal_shim.inspect_api import run_inspect  # noqa: E402

PYTHON = "/usr/bin/python3"
TTYD_SHA256 = {
    "x86_64": "8a217c968aba172e0dbf3f34447218dc015bc4d5e59bf51db2f2cd12b7be4f55",
    "aarch64": "b38acadd89d1d396a0f5649aa52c539edbad07f4bc7348b27b4f4b7219dd4165",
}
# A value that tries every way out of a Python literal and into a mustache tag.
NASTY = 'q"uo\'te \\ back\nnew """ {{app_name}} }} ĐồÁn'


# The resolved ignore list m-gpux hands to the templates (plugins/common resolve_excludes).
CREDENTIAL_EXCLUDES = ["**/.modal.toml", "**/.m-gpux", "**/.ssh", "**/.aws", "**/.netrc"]
RESOLVED_EXCLUDES = ["**/.venv", "**/venv", "**/__pycache__", "**/.git", "**/node_modules"] + CREDENTIAL_EXCLUDES


def common_context(template):
    return {"mgpux_version": "2.10.0", "template": template, "python_version": "3.12"}


def jupyter_context(local_dir):
    ctx = common_context("hub/jupyter.py")
    ctx.update({
        "app_name": "m-gpux-jupyter", "gpu": "L4", "cpu": None, "timeout_s": 86400,
        "packages": [], "requirements": None, "local_dir": str(local_dir),
        "exclude_patterns": RESOLVED_EXCLUDES,
        "workspace_volume": "m-gpux-workspace-proj-421a2c433a",
        "base_image": None,
    })
    return ctx


def terminal_context(local_dir, template="hub/bash.py"):
    ctx = jupyter_context(local_dir)
    ctx.update({"template": template, "app_name": "m-gpux-interactive" if "interactive" in template else "m-gpux-shell"})
    if "interactive" in template:
        ctx["script_path"] = "main.py"
    return ctx


def script_context(local_dir):
    ctx = common_context("hub/script.py")
    ctx.update({
        "app_name": "m-gpux-runner", "gpu": "L4", "cpu": None, "timeout_s": 86400, "packages": [],
        "requirements": None, "local_dir": str(local_dir), "exclude_patterns": ["**/.venv"] + CREDENTIAL_EXCLUDES,
        "script_path": "main.py", "script_args": [], "stdin_text": None, "compute_label": "L4",
        "base_image": None,
    })
    return ctx


def vllm_context():
    ctx = common_context("hub/vllm.py")
    ctx.update({
        "app_name": "m-gpux-vllm", "model_name": "Qwen/Qwen2.5-1.5B-Instruct", "gpu": "L4",
        "hf_token": False, "max_model_len": None, "enforce_eager": True,
        "extra_args": [], "timeout_s": 86400, "scaledown_window_s": 300, "min_containers": 0, "max_inputs": 50,
        "startup_timeout_s": 600,
    })
    return ctx


def free_port_driver():
    return """
            import socket
            s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    """


class TemplateCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.env["MGPUX_PLUGIN_PATH"] = str(self.fixture_dir("svcprobe"))
        self.project = self.tmp / "proj"
        self.project.mkdir()
        (self.project / "main.py").write_text("print('hi')\n")
        self.nasty_project = self.tmp / ("proj " + NASTY.replace("/", "_"))
        self.nasty_project.mkdir()

    def render(self, template, ctx):
        r = self.run_mgpux("svcprobe", "render", template, json.dumps(ctx))
        self.assertExit(r, 0)
        ast.parse(r.out)
        code = "".join(t.string for t in tokenize.generate_tokens(io.StringIO(r.out).readline)
                       if t.type not in (tokenize.STRING, tokenize.COMMENT))
        self.assertNotIn("{{", code)  # every tag was rendered
        return r.out

    def render_fails(self, template, ctx):
        return self.run_mgpux("svcprobe", "render", template, json.dumps(ctx))

    def inspect(self, text):
        # As `modal` imports it when m-gpux launches it: the credentials are in its environment.
        run = run_inspect(text, cwd=str(self.tmp), env={k: "placeholder" for k in SESSION_SECRET_ENV})
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.report["errors"], [], json.dumps(run.report["errors"], indent=1))
        return run.report

    def execute(self, text, driver, env=None, timeout=30):
        """Imports the rendered script under the stand-in and runs `driver` (Python source with
        `mod` bound to the module); returns (exit code, stdout, stderr)."""
        script = self.tmp / "rendered_script.py"
        script.write_text(text, encoding="utf-8")
        prelude = textwrap.dedent(f"""
            import importlib.util, json, os, sys
            spec = importlib.util.spec_from_file_location("rendered_script", {str(script)!r})
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
        """)
        child_env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(SUPPORT_DIR), "PYTHONDONTWRITEBYTECODE": "1",
                     "HOME": str(self.home), "LANG": "C.UTF-8"}
        child_env.update(env or {})
        proc = subprocess.run([PYTHON, "-c", prelude + textwrap.dedent(driver)], cwd=str(self.tmp), env=child_env,
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return proc.returncode, proc.stdout, proc.stderr

    def stub_bin(self, name, body):
        folder = self.tmp / "stubs"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_text("#!/usr/bin/python3\n" + textwrap.dedent(body))
        path.chmod(0o755)
        return folder

    def assert_no_secret_values(self, text):
        for needle in ("JUPYTER_TOKEN=", "TTYD_CREDENTIAL=", "VLLM_API_KEY=", "HF_TOKEN=", '"hf_', '"sk-'):
            self.assertNotIn(needle, text)

    def assert_requires_every_key(self, template, ctx):
        """Each context name is required (an unknown name is an error) and none is left unused."""
        for key in ctx:
            if key in ("mgpux_version", "template"):
                continue
            partial = {k: v for k, v in ctx.items() if k != key}
            r = self.render_fails(template, partial)
            self.assertExit(r, 1)
            self.assertIn(key, r.err)


class MetricsPartialTests(TemplateCase):
    """The metrics helpers are executed, not only parsed."""

    def script(self):
        return self.render("hub/jupyter.py", jupyter_context(self.project))

    def test_report_without_nvidia_smi_prints_the_gpu_error_line(self):
        code, out, err = self.execute(self.script(), "mod._print_metrics()")
        self.assertEqual(code, 0, err)
        lines = out.splitlines()
        self.assertIn("CONTAINER HARDWARE METRICS", lines)
        self.assertEqual(lines.count("=" * 65), 3)
        self.assertIn("[GPU] error: nvidia-smi not found (no GPU in this container)", lines)
        self.assertTrue(any(line.startswith("CPU: ") and "cores)" in line for line in lines), out)
        self.assertTrue(any(line.startswith("RAM: ") and "% used)" in line for line in lines), out)
        self.assertTrue(any(line.startswith("Disk: ") for line in lines), out)

    def test_report_with_a_stub_nvidia_smi(self):
        stubs = self.stub_bin("nvidia-smi", """
            import sys
            fields = [a for a in sys.argv if a.startswith("--query-gpu=")][0].split("=", 1)[1].split(",")
            if len(fields) == 10:
                print("NVIDIA L4, 23034, 1200, 21834, 7, 3, 41, 27.5, 72.0, 550.54")
                print("NVIDIA H100 80GB HBM3, 81559, 0, 81559, 0, 0, 30, 70.1, 700.0, 550.54")
            else:
                print("55, 1200, 23034, 41, 27.5")
        """)
        driver = """
            mod._print_metrics()
            print("MONITOR", json.dumps(mod._metrics_monitor_lines()))
        """
        code, out, err = self.execute(self.script(), driver, env={"PATH": f"{stubs}:/usr/bin:/bin"})
        self.assertEqual(code, 0, err)
        self.assertIn("[GPU 0] NVIDIA L4", out)
        self.assertIn("[GPU 1] NVIDIA H100 80GB HBM3", out)
        self.assertIn("  VRAM:         1200 / 23034 MiB used, 21834 MiB free", out)
        self.assertIn("  Power:        27.5 / 72.0 W", out)
        self.assertIn("  Driver:       550.54", out)
        monitor = json.loads(out.split("MONITOR ", 1)[1])
        self.assertEqual(monitor[0], "[METRICS] GPU 0 util 55% | VRAM 1200/23034 MiB | 41 C | 27.5 W")
        self.assertTrue(monitor[-1].startswith("[METRICS] CPU load "))

    def test_failing_nvidia_smi_and_monitor_thread(self):
        stubs = self.stub_bin("nvidia-smi", """
            import sys
            sys.stderr.write("NVIDIA-SMI has failed\\n")
            sys.exit(9)
        """)
        driver = """
            import time
            mod._print_metrics()
            thread = mod._monitor_metrics(interval=0.05)
            time.sleep(0.3)
            print("ALIVE", thread.is_alive(), thread.daemon)
        """
        code, out, err = self.execute(self.script(), driver, env={"PATH": f"{stubs}:/usr/bin:/bin"})
        self.assertEqual(code, 0, err)
        self.assertIn("[GPU] error: nvidia-smi exited with 9: NVIDIA-SMI has failed", out)
        self.assertIn("[METRICS] CPU load ", out)
        self.assertIn("ALIVE True True", out)


class WorkspacePartialTests(TemplateCase):
    def script(self):
        return self.render("hub/jupyter.py", jupyter_context(self.project))

    def test_seeding_overwrites_keeps_remote_only_and_does_not_delete(self):
        seed, target = self.tmp / "seed", self.tmp / "target"
        (seed / "sub" / "deep").mkdir(parents=True)
        (seed / "a.txt").write_text("local a")
        (seed / "sub" / "deep" / "b.txt").write_text("local b")
        (seed / "was_dir").write_text("now a file")
        (seed / "ĐồÁn \"x\".txt").write_text("unicode")
        os.symlink("a.txt", seed / "link")
        (target / "sub").mkdir(parents=True)
        (target / "a.txt").write_text("remote a (edited in the container)")
        (target / "sub" / "remote_only.txt").write_text("keep me")
        (target / "was_dir").mkdir()
        (target / "was_dir" / "x").write_text("x")
        driver = f"""
            copied, errors = mod._seed_workspace({str(seed)!r}, {str(target)!r})
            again = mod._seed_workspace({str(seed)!r}, {str(target)!r})
            print(json.dumps([copied, errors, list(again)]))
        """
        code, out, err = self.execute(self.script(), driver)
        self.assertEqual(code, 0, err)
        copied, errors, again = json.loads(out.strip().splitlines()[-1])
        self.assertEqual((copied, errors), (4, 0))
        self.assertEqual(again, [0, 0])  # unchanged files are not copied twice
        self.assertEqual((target / "a.txt").read_text(), "local a")
        self.assertEqual((target / "sub" / "deep" / "b.txt").read_text(), "local b")
        self.assertEqual((target / "sub" / "remote_only.txt").read_text(), "keep me")
        self.assertEqual((target / "was_dir").read_text(), "now a file")
        self.assertEqual((target / "ĐồÁn \"x\".txt").read_text(), "unicode")
        self.assertEqual(os.readlink(target / "link"), "a.txt")
        # a local deletion is not propagated
        (seed / "a.txt").unlink()
        code, out, err = self.execute(self.script(), driver)
        self.assertEqual(code, 0, err)
        self.assertTrue((target / "a.txt").exists())

    def test_autocommit_commits_and_reports_failures_and_final_commit(self):
        driver = """
            import time
            calls = []
            class FlakyVolume:
                def commit(self):
                    calls.append(time.monotonic())
                    if len(calls) == 2:
                        raise RuntimeError("volume busy")
            mod.workspace_volume = FlakyVolume()
            stop = mod._start_autocommit(interval=0.05)
            time.sleep(0.4)
            mod._finish_workspace(stop)
            n = len(calls)
            time.sleep(0.2)
            print("COMMITS", n, len(calls), mod.WORKSPACE_COMMIT_INTERVAL_S)
            print("\\n".join(mod._workspace_banner_lines()))
        """
        code, out, err = self.execute(self.script(), driver)
        self.assertEqual(code, 0, err)
        self.assertIn("[sync] workspace commit failed: volume busy", out)
        self.assertIn("[sync] final workspace commit done", out)
        line = [l for l in out.splitlines() if l.startswith("COMMITS")][0].split()
        self.assertGreaterEqual(int(line[1]), 3)
        self.assertEqual(line[1], line[2])  # the thread stopped with the final commit
        self.assertEqual(line[3], "20")
        self.assertIn("Pull your files: modal volume get m-gpux-workspace-proj-421a2c433a / ./m-gpux-workspace", out)
        self.assertIn("Workspace: /workspace", out)

    def test_upload_filter_is_the_resolved_list_as_given(self):
        # m-gpux resolves the list once (plugins/common resolve_excludes); the template uses it as is.
        ctx = jupyter_context(self.project)
        ctx["exclude_patterns"] = ["**/node_modules", "**/*.egg-info", "build", "data/raw", "**/x", "!**/.ssh",
                                   "**/dist", "**/.modal.toml", "**/.m-gpux", "**/.ssh", "**/.aws", "**/.netrc"]
        report = self.inspect(self.render("hub/jupyter.py", ctx))
        ignore = report["images"][0]["steps"][-1]["kwargs"]["ignore"]
        self.assertEqual(ignore, ctx["exclude_patterns"])
        sys.path.insert(0, str(SUPPORT_DIR))
        from modal.file_pattern_matcher import FilePatternMatcher
        matcher = FilePatternMatcher(*ignore)
        for ignored in ("a/b/node_modules/x.js", "node_modules", "pkg/m.egg-info/PKG", "build/o", ".ssh/id_rsa",
                        "sub/.modal.toml", "deep/.aws/credentials"):
            self.assertTrue(matcher(ignored), ignored)
        for kept in ("src/build/o", "main.py", "data/raw2"):
            self.assertFalse(matcher(kept), kept)


class JupyterTemplateTests(TemplateCase):
    def test_defaults(self):
        text = self.render("hub/jupyter.py", jupyter_context(self.project))
        self.assertIn('modal.App("m-gpux-jupyter")', text)
        self.assertIn("# Generated by m-gpux", text.splitlines()[0])
        self.assert_no_secret_values(text)
        report = self.inspect(text)
        self.assertEqual(report["app"]["name"], "m-gpux-jupyter")
        (fn,) = report["functions"]
        self.assertEqual(fn["name"], "run_jupyter")
        self.assertEqual((fn["gpu"], fn["cpu"], fn["memory"], fn["timeout"]), ("L4", None, None, 86400))
        self.assertEqual(fn["volumes"], {"/workspace": "m-gpux-workspace-proj-421a2c433a"})
        self.assertEqual([(s["kind"], s["keys"]) for s in fn["secrets"]], [("from_local_environ", ["JUPYTER_TOKEN"])])
        self.assertTrue(report["modal_run"]["runnable"])
        (volume,) = report["volumes"]
        self.assertTrue(volume["create_if_missing"])
        (image,) = report["images"]
        self.assertEqual(image["base"]["python_version"], "3.12")
        ops = [(s["op"], s["args"]) for s in image["steps"]]
        self.assertEqual(ops[0], ("pip_install", ["jupyterlab==4.6.6", "jupyter-server==2.21.1", "ipywidgets==8.1.9"]))
        self.assertEqual(ops[-1], ("add_local_dir", [str(self.project), "/workspace_seed"]))
        self.assertEqual(len(ops), 2)  # no torch default , nothing after the upload
        self.assertIn("**/node_modules", image["steps"][-1]["kwargs"]["ignore"])
        self.assertFalse(image["steps"][-1]["kwargs"]["copy"])

    def test_cpu_gpu_count_packages_and_requirements(self):
        req = self.project / "requirements.txt"
        req.write_text("numpy\n")
        ctx = jupyter_context(self.project)
        ctx.update({"gpu": "H100:2", "packages": ["torch==2.9.1", "pandas"], "requirements": str(req),
                    "python_version": "3.11", "timeout_s": 3600})
        fn = self.inspect(self.render("hub/jupyter.py", ctx))["functions"][0]
        self.assertEqual((fn["gpu"], fn["timeout"]), ("H100:2", 3600))
        ctx.update({"gpu": None, "cpu": {"cores": 8, "memory_mb": 4096}})
        report = self.inspect(self.render("hub/jupyter.py", ctx))
        fn = report["functions"][0]
        self.assertEqual((fn["gpu"], fn["cpu"], fn["memory"]), (None, 8, 4096))
        steps = report["images"][0]["steps"]
        self.assertEqual([s["op"] for s in steps],
                         ["pip_install", "pip_install_from_requirements", "pip_install", "add_local_dir"])
        self.assertEqual(steps[0]["args"], ["torch==2.9.1", "pandas"])
        self.assertEqual(report["images"][0]["base"]["python_version"], "3.11")

    def test_adversarial_values_round_trip(self):
        req = self.nasty_project / ("req " + NASTY.replace("/", "_") + ".txt")
        req.write_text("numpy\n")
        ctx = jupyter_context(self.nasty_project)
        ctx.update({"packages": [NASTY, "ok"], "requirements": str(req), "exclude_patterns": [NASTY, "a\\b"]})
        text = self.render("hub/jupyter.py", ctx)
        lits = module_literals(text)
        self.assertEqual(lits["LOCAL_DIR"], str(self.nasty_project))
        self.assertEqual(lits["PIP_PACKAGES"], [NASTY, "ok"])
        self.assertEqual(lits["REQUIREMENTS_FILE"], str(req))
        self.assertEqual(lits["WORKSPACE_VOLUME_NAME"], ctx["workspace_volume"])
        report = self.inspect(text)
        steps = report["images"][0]["steps"]
        self.assertEqual(steps[0]["args"], [NASTY, "ok"])
        self.assertEqual(steps[-1]["args"][0], str(self.nasty_project))
        self.assertIn(NASTY, steps[-1]["kwargs"]["ignore"])

    def test_every_context_name_is_required(self):
        self.assert_requires_every_key("hub/jupyter.py", jupyter_context(self.project))

    def test_server_runs_with_token_from_env_and_prints_ready(self):
        """run_jupyter against a stub `jupyter` that listens on the port, then exits."""
        stubs = self.stub_bin("jupyter", """
            import json, os, socket, sys
            port = int([a for a in sys.argv if a.startswith("--port=")][0].split("=")[1])
            with open(os.environ["STUB_LOG"], "w") as fh:
                json.dump({"argv": sys.argv[1:], "token": os.environ.get("JUPYTER_TOKEN"),
                           "dirs": os.environ.get("JUPYTER_PLATFORM_DIRS"), "cwd": os.getcwd()}, fh)
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            s.listen(1)
            conn, _ = s.accept()
            conn.close()
        """)
        seed, workspace = self.tmp / "seed", self.tmp / "ws"
        seed.mkdir()
        (seed / "nb.ipynb").write_text("{}")
        driver = f"""
            import socket
            s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
            mod.JUPYTER_PORT = port
            mod.WORKSPACE_DIR = {str(workspace)!r}
            mod.WORKSPACE_SEED_DIR = {str(seed)!r}
            mod.run_jupyter.local()
            print("COMMITS", mod.workspace_volume._record["commits"])
        """
        log = self.tmp / "stub.json"
        env = {"PATH": f"{stubs}:/usr/bin:/bin", "MODAL_IS_REMOTE": "1", "JUPYTER_TOKEN": "tok-s3cret",
               "STUB_LOG": str(log)}
        code, out, err = self.execute(self.render("hub/jupyter.py", jupyter_context(self.project)), driver, env=env)
        self.assertEqual(code, 0, out + err)
        stub = json.loads(log.read_text())
        self.assertEqual(stub["token"], "tok-s3cret")
        self.assertEqual(stub["dirs"], "1")
        self.assertEqual(stub["cwd"], str(workspace))
        self.assertNotIn("tok-s3cret", " ".join(stub["argv"]))
        self.assertIn("--ServerApp.root_dir=" + str(workspace), stub["argv"])
        self.assertEqual(stub["argv"][:2], ["lab", "--no-browser"])
        ready = [l for l in out.splitlines() if l.startswith("[m-gpux] READY ")]
        self.assertEqual(len(ready), 1, out)
        self.assertTrue(ready[0].startswith("[m-gpux] READY https://"))
        self.assertNotIn("tok-s3cret", out + err)
        self.assertTrue((workspace / "nb.ipynb").exists())
        self.assertIn("[sync] final workspace commit done", out)
        self.assertGreaterEqual(int(out.split("COMMITS ")[1].split()[0]), 2)
        self.assertLess(out.index("CONTAINER HARDWARE METRICS"), out.index("[m-gpux] READY"))

    def test_refuses_to_start_without_a_token(self):
        driver = "mod.run_jupyter.local()"
        code, out, err = self.execute(self.render("hub/jupyter.py", jupyter_context(self.project)), driver,
                                      env={"MODAL_IS_REMOTE": "1"})
        self.assertNotEqual(code, 0)
        self.assertIn("JUPYTER_TOKEN is not set", err)


TTYD_STUB = """
    import json, os, socket, sys
    args = sys.argv[1:]
    port = int(args[args.index("-p") + 1])
    with open(os.environ["STUB_LOG"], "w") as fh:
        json.dump({"argv": args, "cred_in_env": "TTYD_CREDENTIAL" in os.environ, "term": os.environ.get("TERM"),
                   "cwd": os.getcwd()}, fh)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(1)
    conn, _ = s.accept()
    conn.close()
"""


class TerminalTemplateTests(TemplateCase):
    TEMPLATES = (("hub/bash.py", "run_shell", "m-gpux-shell"), ("dev/shell.py", "run_shell", "m-gpux-shell"),
                 ("hub/interactive.py", "run_interactive", "m-gpux-interactive"))

    def test_defaults(self):
        for template, function, app_name in self.TEMPLATES:
            with self.subTest(template=template):
                text = self.render(template, terminal_context(self.project, template))
                self.assertIn('from the template "%s"' % template, text.splitlines()[0])
                self.assert_no_secret_values(text)
                report = self.inspect(text)
                self.assertEqual(report["app"]["name"], app_name)
                (fn,) = report["functions"]
                self.assertEqual((fn["name"], fn["gpu"], fn["timeout"]), (function, "L4", 86400))
                self.assertEqual(fn["volumes"], {"/workspace": "m-gpux-workspace-proj-421a2c433a"})
                self.assertEqual([(s["kind"], s["keys"]) for s in fn["secrets"]],
                                 [("from_local_environ", ["TTYD_CREDENTIAL"])])
                self.assertTrue(report["volumes"][0]["create_if_missing"])
                steps = report["images"][0]["steps"]
                self.assertEqual(report["images"][0]["base"]["python_version"], "3.12")
                self.assertEqual([st["op"] for st in steps], ["apt_install", "run_commands", "add_local_dir"])
                self.assertIn("tmux", steps[0]["args"])
                install = steps[1]["args"][0]
                for arch, digest in TTYD_SHA256.items():
                    self.assertIn(digest, install)
                self.assertIn("curl -fsSL", install)
                self.assertIn("https://github.com/tsl0922/ttyd/releases/download/1.7.7/ttyd.$arch", install)
                self.assertIn("sha256sum -c -", install)
                self.assertEqual(steps[2]["args"], [str(self.project), "/workspace_seed"])
                self.assertIn("**/.ssh", steps[2]["kwargs"]["ignore"])

    def test_ttyd_install_verifies_the_checksum(self):
        code, out, err = self.execute(self.render("hub/bash.py", terminal_context(self.project)),
                                      "print(mod.TTYD_INSTALL)")
        self.assertEqual(code, 0, err)
        target = self.tmp / "ttyd-bin"
        command = out.strip().replace("/usr/local/bin/ttyd", str(target))
        payload = b"not really ttyd\n"
        stubs = self.stub_bin("curl", f"""
            import sys
            if "FAIL_CURL" in __import__("os").environ:
                sys.exit(22)
            out = sys.argv[sys.argv.index("-o") + 1]
            open(out, "wb").write({payload!r})
        """)
        self.stub_bin("uname", "print('x86_64')\n")
        env = {"PATH": f"{stubs}:/usr/bin:/bin"}
        bad = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True)
        self.assertNotEqual(bad.returncode, 0)  # the pinned digest does not match the stub payload
        self.assertFalse(os.access(target, os.X_OK))
        good_command = command.replace(TTYD_SHA256["x86_64"], hashlib.sha256(payload).hexdigest())
        good = subprocess.run(["/bin/sh", "-c", good_command], env=env, capture_output=True, text=True)
        self.assertEqual(good.returncode, 0, good.stderr)
        self.assertTrue(os.access(target, os.X_OK))
        target.unlink()
        failed = subprocess.run(["/bin/sh", "-c", good_command], env=dict(env, FAIL_CURL="1"), capture_output=True)
        self.assertNotEqual(failed.returncode, 0)
        self.assertFalse(target.exists())

    def test_adversarial_values_round_trip(self):
        for template, _, _ in self.TEMPLATES:
            with self.subTest(template=template):
                ctx = terminal_context(self.nasty_project, template)
                ctx.update({"packages": [NASTY], "exclude_patterns": [NASTY], "gpu": None,
                            "cpu": {"cores": 4, "memory_mb": 2048}})
                if "interactive" in template:
                    ctx["script_path"] = "sub dir/" + NASTY.replace("/", "_") + ".py"
                text = self.render(template, ctx)
                lits = module_literals(text)
                self.assertEqual(lits["LOCAL_DIR"], str(self.nasty_project))
                self.assertEqual(lits["PIP_PACKAGES"], [NASTY])
                if "interactive" in template:
                    self.assertEqual(lits["SCRIPT_PATH"], ctx["script_path"])
                report = self.inspect(text)
                fn = report["functions"][0]
                self.assertEqual((fn["gpu"], fn["cpu"], fn["memory"]), (None, 4, 2048))
                self.assertIn(NASTY, report["images"][0]["steps"][-1]["kwargs"]["ignore"])

    def test_every_context_name_is_required(self):
        for template, _, _ in self.TEMPLATES:
            with self.subTest(template=template):
                self.assert_requires_every_key(template, terminal_context(self.project, template))

    def run_terminal(self, template, function, ctx=None, credential="alice:pa ss'w\"d"):
        stubs = self.stub_bin("ttyd", TTYD_STUB)
        seed, workspace, home = self.tmp / "seed", self.tmp / "ws", self.tmp / "roothome"
        seed.mkdir(exist_ok=True)
        (seed / "main.py").write_text("input()\n")
        driver = free_port_driver() + f"""
            mod.TERMINAL_PORT = port
            mod.WORKSPACE_DIR = {str(workspace)!r}
            mod.WORKSPACE_SEED_DIR = {str(seed)!r}
            install = mod._install_dotfiles
            mod._install_dotfiles = lambda home="/root": install({str(home)!r})
            mod.{function}.local()
        """
        log = self.tmp / "stub.json"
        env = {"PATH": f"{stubs}:/usr/bin:/bin", "MODAL_IS_REMOTE": "1", "STUB_LOG": str(log)}
        if credential is not None:
            env["TTYD_CREDENTIAL"] = credential
        text = self.render(template, ctx or terminal_context(self.project, template))
        code, out, err = self.execute(text, driver, env=env)
        return code, out, err, (json.loads(log.read_text()) if log.exists() else None), home, workspace

    def test_shell_runs_ttyd_with_the_credential_and_prints_ready(self):
        code, out, err, stub, home, workspace = self.run_terminal("hub/bash.py", "run_shell")
        self.assertEqual(code, 0, out + err)
        argv = stub["argv"]
        self.assertEqual(argv[argv.index("-c") + 1], "alice:pa ss'w\"d")
        self.assertEqual(argv[-2:], ["bash", "--login"])
        self.assertEqual(argv[:3], ["-W", "-P", "120"])
        self.assertIn("scrollback=10000", argv)
        self.assertIn("-T", argv)
        self.assertFalse(stub["cred_in_env"])  # the shell does not see the credential
        self.assertEqual(stub["term"], "xterm-256color")
        self.assertEqual(stub["cwd"], str(workspace))
        bashrc = (home / ".bashrc").read_text()
        self.assertIn("PS1='\\[\\e[1;36m\\]\\w", bashrc)
        self.assertTrue(all(ord(c) < 128 for c in bashrc))
        self.assertIn("cd /workspace", bashrc)
        self.assertIn("set -g status off", (home / ".tmux.conf").read_text())
        self.assertIn("[WEB SHELL READY]", out)
        self.assertIn("modal volume get m-gpux-workspace-proj-421a2c433a / ./m-gpux-workspace", out)
        ready = [l for l in out.splitlines() if l.startswith("[m-gpux] READY ")]
        self.assertEqual(len(ready), 1)
        self.assertNotIn("pa ss", out + err)
        self.assertTrue((workspace / "main.py").exists())
        self.assertIn("[sync] final workspace commit done", out)

    def test_interactive_hint_names_the_script_by_its_relative_path(self):
        ctx = terminal_context(self.project, "hub/interactive.py")
        ctx["script_path"] = "tools/my script.py"
        code, out, err, stub, _, _ = self.run_terminal("hub/interactive.py", "run_interactive", ctx)
        self.assertEqual(code, 0, out + err)
        self.assertIn("[INTERACTIVE TERMINAL READY]", out)
        self.assertIn("Run: cd %s && python 'tools/my script.py'" % (self.tmp / "ws"), out)

    def test_refuses_to_start_without_a_credential(self):
        for credential in (None, "nopassword", ":x"):
            code, out, err, stub, _, _ = self.run_terminal("hub/bash.py", "run_shell", credential=credential)
            self.assertNotEqual(code, 0)
            self.assertIn("TTYD_CREDENTIAL (user:password) is not set", err)
            self.assertIsNone(stub)


class ScriptTemplateTests(TemplateCase):
    def test_defaults(self):
        text = self.render("hub/script.py", script_context(self.project))
        report = self.inspect(text)
        self.assertEqual(report["app"]["name"], "m-gpux-runner")
        (fn,) = report["functions"]
        self.assertEqual((fn["name"], fn["gpu"], fn["timeout"], fn["volumes"], fn["secrets"]),
                         ("run_script", "L4", 86400, {}, []))
        self.assertEqual(report["modal_run"]["target"], "run_script")
        steps = report["images"][0]["steps"]
        self.assertEqual([s["op"] for s in steps], ["add_local_dir"])
        self.assertEqual(steps[0]["args"], [str(self.project), "/workspace"])

    def test_adversarial_values_round_trip(self):
        ctx = script_context(self.nasty_project)
        ctx.update({"script_path": "sub/" + NASTY.replace("/", "_") + ".py", "script_args": [NASTY, "--x=1", ""],
                    "stdin_text": NASTY + "\n", "compute_label": NASTY, "packages": [NASTY],
                    "gpu": None, "cpu": {"cores": 2, "memory_mb": 1024}})
        text = self.render("hub/script.py", ctx)
        lits = module_literals(text)
        for name, key in (("SCRIPT_PATH", "script_path"), ("SCRIPT_ARGS", "script_args"),
                          ("STDIN_TEXT", "stdin_text"), ("COMPUTE_LABEL", "compute_label"),
                          ("LOCAL_DIR", "local_dir"), ("PIP_PACKAGES", "packages")):
            self.assertEqual(lits[name], ctx[key], name)
        fn = self.inspect(text)["functions"][0]
        self.assertEqual((fn["cpu"], fn["memory"]), (2, 1024))

    def test_every_context_name_is_required(self):
        self.assert_requires_every_key("hub/script.py", script_context(self.project))

    def run_script(self, ctx, body):
        workspace = self.tmp / "ws"
        script = workspace / ctx["script_path"]
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(body)
        driver = f"""
            mod.WORKSPACE_DIR = {str(workspace)!r}
            try:
                print("RETURNED", mod.run_script.local())
            except RuntimeError as exc:
                print("RAISED", exc)
        """
        return self.execute(self.render("hub/script.py", ctx), driver)

    def test_runs_a_script_in_a_subfolder_with_args_and_stdin(self):
        ctx = script_context(self.project)
        ctx.update({"script_path": "sub dir/ĐồÁn \"q\".py", "script_args": ["a b", "--flag", NASTY],
                    "stdin_text": "first\nsecond\n", "compute_label": "CPU (8 cores, 4096 MB)"})
        body = "import json, os, sys\nprint('OUT', json.dumps([sys.argv[1:], input(), input(), os.getcwd()]))\n"
        code, out, err = self.run_script(ctx, body)
        self.assertEqual(code, 0, err)
        payload = json.loads(out.split("OUT ", 1)[1].splitlines()[0])
        self.assertEqual(payload, [["a b", "--flag", NASTY], "first", "second", str(self.tmp / "ws")])
        self.assertIn('[EXECUTING] sub dir/ĐồÁn "q".py on CPU (8 cores, 4096 MB)...', out)
        self.assertIn('[m-gpux] RESULT {"exit_code": 0}', out)
        self.assertIn("RETURNED 0", out)

    def test_failing_script_fails_the_function_and_input_without_stdin_does_not_hang(self):
        code, out, err = self.run_script(script_context(self.project), "input()\n")
        self.assertEqual(code, 0, err)
        self.assertIn("EOFError", err)
        self.assertIn('[m-gpux] RESULT {"exit_code": 1}', out)
        self.assertIn("RAISED main.py exited with 1", out)

    def test_a_path_outside_the_folder_is_refused(self):
        for bad in ("../x.py", "/etc/x.py", "a/../../x.py", ""):
            ctx = script_context(self.project)
            ctx["script_path"] = bad
            code, out, err = self.execute(self.render("hub/script.py", ctx), "pass")
            self.assertNotEqual(code, 0, bad)
            self.assertIn("the script path must be relative to the project folder", err)


VLLM_STUB = """
    import http.server, json, os, signal, sys
    signal.alarm(20)
    args = sys.argv[1:]
    with open(os.environ["STUB_LOG"], "w") as fh:
        json.dump({"argv": args, "hf": os.environ.get("HF_TOKEN")}, fh)
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()
            self.server.healthy = self.path == "/health"
        def log_message(self, *a):
            pass
    server = http.server.HTTPServer(("127.0.0.1", int(args[args.index("--port") + 1])), Handler)
    server.timeout = 10
    server.healthy = False
    for _ in range(5):
        server.handle_request()
        if server.healthy:
            break
"""


class BaseImageTests(TemplateCase):
    """base_image: a published image replaces debian_slim; the later steps still apply on top."""

    def contexts(self):
        yield "hub/jupyter.py", jupyter_context(self.project)
        for template in ("hub/bash.py", "dev/shell.py", "hub/interactive.py"):
            yield template, terminal_context(self.project, template)
        yield "hub/script.py", script_context(self.project)

    def test_a_published_image_is_the_base_of_every_workspace_template(self):
        for template, ctx in self.contexts():
            with self.subTest(template=template):
                ctx.update({"base_image": NASTY, "packages": ["rich"]})
                text = self.render(template, ctx)
                self.assertNotIn("Image.debian_slim(", text)
                image = self.inspect(text)["images"][0]
                self.assertEqual(image["base"]["type"], "from_name")
                self.assertEqual(image["base"]["name"], NASTY)  # a literal, whatever it holds
                self.assertIn("rich", json.dumps(image["steps"]))

    def test_null_builds_from_scratch(self):
        for template, ctx in self.contexts():
            with self.subTest(template=template):
                image = self.inspect(self.render(template, ctx))["images"][0]
                self.assertEqual(image["base"]["type"], "debian_slim")


class VllmTemplateTests(TemplateCase):
    def test_defaults(self):
        text = self.render("hub/vllm.py", vllm_context())
        self.assert_no_secret_values(text)
        report = self.inspect(text)
        self.assertEqual(report["app"]["name"], "m-gpux-vllm")
        (fn,) = report["functions"]
        self.assertEqual((fn["name"], fn["kind"], fn["gpu"], fn["timeout"], fn["scaledown_window"],
                          fn["min_containers"]), ("serve", "web_server", "L4", 86400, 300, 0))
        self.assertEqual(fn["concurrent"]["max_inputs"], 50)
        self.assertEqual((fn["web"]["port"], fn["web"]["startup_timeout"]), (8000, 600))
        self.assertFalse(fn["runnable_by_modal_run"])  # serve or deploy only
        self.assertFalse(report["modal_run"]["runnable"])
        self.assertEqual(fn["volumes"], {"/root/.cache/huggingface": "m-gpux-hf-cache",
                                         "/root/.cache/vllm": "m-gpux-vllm-cache"})
        self.assertTrue(all(v["create_if_missing"] for v in report["volumes"]))
        self.assertEqual([(s["kind"], s["keys"]) for s in fn["secrets"]], [("from_local_environ", ["VLLM_API_KEY"])])
        (image,) = report["images"]
        self.assertEqual(image["base"]["type"], "from_registry")
        self.assertEqual(json.dumps(image["base"]).count("nvidia/cuda:12.9.1-devel-ubuntu22.04"), 1)
        self.assertIn('"3.12"', json.dumps(image["base"]))
        ops = [(s["op"], s["args"]) for s in image["steps"]]
        self.assertEqual(ops[0], ("entrypoint", [[]]))
        self.assertEqual(ops[1], ("pip_install", ["vllm==0.33.0"]))
        self.assertEqual(ops[2][0], "env")
        self.assertNotIn("HF_TOKEN", json.dumps(image))

    def test_gated_model_secret_gpu_count_and_options(self):
        ctx = vllm_context()
        ctx.update({"gpu": "H100:4", "hf_token": True, "min_containers": 1, "max_inputs": 8,
                    "scaledown_window_s": 60, "startup_timeout_s": 1200, "max_model_len": 8192,
                    "enforce_eager": False, "extra_args": ["--dtype", "bfloat16"]})
        text = self.render("hub/vllm.py", ctx)
        fn = self.inspect(text)["functions"][0]
        self.assertEqual((fn["gpu"], fn["min_containers"], fn["scaledown_window"], fn["concurrent"]["max_inputs"],
                          fn["web"]["startup_timeout"]), ("H100:4", 1, 60, 8, 1200))
        self.assertEqual([(s["kind"], s["keys"]) for s in fn["secrets"]],
                         [("from_local_environ", ["VLLM_API_KEY"]), ("from_local_environ", ["HF_TOKEN"])])
        code, out, err = self.execute(text, "print(json.dumps([mod._vllm_command('k3y'), mod._redacted(mod._vllm_command('k3y'))]))")
        self.assertEqual(code, 0, err)
        command, shown = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(command[:3], ["vllm", "serve", "Qwen/Qwen2.5-1.5B-Instruct"])
        self.assertEqual(command[command.index("--tensor-parallel-size") + 1], "4")
        self.assertEqual(command[command.index("--api-key") + 1], "k3y")
        self.assertEqual(command[command.index("--max-model-len") + 1], "8192")
        self.assertNotIn("--enforce-eager", command)
        self.assertEqual(command[-2:], ["--dtype", "bfloat16"])
        self.assertNotIn("k3y", shown)

    def test_adversarial_values_round_trip(self):
        ctx = vllm_context()
        ctx.update({"model_name": NASTY, "extra_args": [NASTY, "--x"]})
        text = self.render("hub/vllm.py", ctx)
        lits = module_literals(text)
        self.assertEqual(lits["MODEL_NAME"], NASTY)
        self.assertEqual(lits["EXTRA_VLLM_ARGS"], [NASTY, "--x"])
        self.inspect(text)
        code, out, err = self.execute(text, "print(json.dumps(mod._vllm_command('k')))")
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out.strip().splitlines()[-1])[2], NASTY)

    def test_every_context_name_is_required(self):
        self.assert_requires_every_key("hub/vllm.py", vllm_context())

    def test_serve_starts_vllm_without_a_shell_and_announces_ready(self):
        stubs = self.stub_bin("vllm", VLLM_STUB)
        log = self.tmp / "stub.json"
        driver = free_port_driver() + """
            import time
            mod.VLLM_PORT = port
            mod.serve.local()
            deadline = time.time() + 15
            while time.time() < deadline and not os.path.exists(os.environ["STUB_LOG"] + ".done"):
                time.sleep(0.1)
        """
        env = {"PATH": f"{stubs}:/usr/bin:/bin", "MODAL_IS_REMOTE": "1", "STUB_LOG": str(log),
               "VLLM_API_KEY": "sk-very-secret", "HF_TOKEN": "hf_x"}
        # a marker file after the READY line ends the driver's wait
        text = self.render("hub/vllm.py", vllm_context()).replace(
            "        _announce_ready(url)", "        _announce_ready(url)\n        open(os.environ['STUB_LOG'] + '.done', 'w').close()")
        code, out, err = self.execute(text, driver, env=env)
        self.assertEqual(code, 0, out + err)
        stub = json.loads(log.read_text())
        self.assertEqual(stub["argv"][stub["argv"].index("--api-key") + 1], "sk-very-secret")
        self.assertEqual(stub["hf"], "hf_x")
        self.assertIn("[vLLM] vllm serve Qwen/Qwen2.5-1.5B-Instruct", out)
        self.assertNotIn("sk-very-secret", out + err)
        self.assertIn("[m-gpux] READY https://", out)
        self.assertIn("CONTAINER HARDWARE METRICS", out)

    def test_refuses_to_start_without_an_api_key(self):
        code, out, err = self.execute(self.render("hub/vllm.py", vllm_context()), "mod.serve.local()",
                                      env={"MODAL_IS_REMOTE": "1"})
        self.assertNotEqual(code, 0)
        self.assertIn("VLLM_API_KEY is not set", err)


if __name__ == "__main__":
    main()
