# SPDX-License-Identifier: MIT
"""The stand-in `modal` package (runtime/modal, the local runtime) and its inspect CLI.

Each test writes a small Modal script to a temp dir, runs
`python -m modal_shim inspect` on it through modal_shim.inspect_api and checks the report.
Needs only /usr/bin/python3 (no m-gpux binary, no real Modal).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.dont_write_bytecode = True
SUPPORT_DIR = Path(__file__).resolve().parents[2] / "runtime"
sys.path.insert(0, str(SUPPORT_DIR))

from modal_shim.inspect_api import (  # noqa: E402
    InspectError,
    error_codes,
    function,
    image,
    inspect_script,
    run_inspect,
    warning_codes,
)


class StandInTestCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="modal-standin-"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, source, name="modal_runner.py"):
        path = self.tmp / name
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        return path

    def inspect(self, source, **kwargs):
        return inspect_script(self.write(source), cwd=str(self.tmp), **kwargs)

    def run_failing(self, source):
        run = run_inspect(self.write(source), cwd=str(self.tmp))
        self.assertEqual(run.returncode, 1, f"expected the import to fail\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}")
        self.assertEqual(run.stdout, "")
        return run

    def assertNoErrors(self, report):
        self.assertEqual(report["errors"], [], json.dumps(report["errors"], indent=2))

    def assertHasError(self, report, code, fragment=None):
        matching = [e for e in report["errors"] if e["code"] == code]
        self.assertTrue(matching, f"no {code!r} error in {json.dumps(report['errors'], indent=2)}")
        if fragment is not None:
            self.assertTrue(any(fragment in e["message"] for e in matching),
                            f"no {code!r} error mentions {fragment!r}: {matching}")


class JupyterLikeScript(StandInTestCase):
    def test_gpu_volume_image_and_entrypoint(self):
        (self.tmp / "project").mkdir()
        report = self.inspect("""
            import modal

            app = modal.App("m-gpux-jupyter")
            vol = modal.Volume.from_name("m-gpux-workspace-demo-1a2b", create_if_missing=True)
            image = (
                modal.Image.debian_slim(python_version="3.12")
                .apt_install(["git", "curl"])
                .pip_install("jupyterlab")
                .add_local_dir("project", remote_path="/workspace_seed", ignore=["**/.venv"])
            )
            print("printed at import time")

            @app.function(image=image, gpu="A100-80GB", timeout=86400, volumes={"/workspace": vol})
            def run_jupyter():
                with modal.forward(8888) as tunnel:
                    print(tunnel.url)

            @app.local_entrypoint()
            def main():
                run_jupyter.remote()
        """)
        self.assertNoErrors(report)
        self.assertEqual(report["app"], {"name": "m-gpux-jupyter", "tags": {}})
        fn = function(report, "run_jupyter")
        self.assertEqual(fn["kind"], "function")
        self.assertEqual(fn["gpu"], "A100-80GB")
        self.assertEqual(fn["timeout"], 86400)
        self.assertEqual(fn["volumes"], {"/workspace": "m-gpux-workspace-demo-1a2b"})
        self.assertTrue(fn["runnable_by_modal_run"])
        self.assertIsNone(fn["web"])
        self.assertEqual(report["volumes"], [{
            "id": report["volumes"][0]["id"], "name": "m-gpux-workspace-demo-1a2b", "create_if_missing": True,
            "environment_name": None, "version": None, "mounts": ["/workspace"],
        }])
        im = image(report, fn["image"])
        self.assertEqual(im["base"]["type"], "debian_slim")
        self.assertEqual(im["base"]["python_version"], "3.12")
        self.assertEqual([s["op"] for s in im["steps"]], ["apt_install", "pip_install", "add_local_dir"])
        self.assertEqual(im["steps"][0]["args"], ["git", "curl"])
        add_dir = im["steps"][2]
        self.assertEqual(add_dir["args"], ["project", "/workspace_seed"])
        self.assertEqual(add_dir["kwargs"]["ignore"], ["**/.venv"])
        self.assertEqual(add_dir["local_path_resolved"], str((self.tmp / "project").resolve()))
        self.assertEqual([e["name"] for e in report["local_entrypoints"]], ["main"])
        self.assertEqual(report["modal_run"]["target"], "main")


class GpuStrings(StandInTestCase):
    SCRIPT = """
        import modal
        app = modal.App("gpus")

        @app.function(gpu={gpu!r})
        def f():
            pass
    """

    def test_count_suffix_accepted(self):
        report = self.inspect(self.SCRIPT.format(gpu="H100:4"))
        self.assertNoErrors(report)
        self.assertEqual(function(report, "f")["gpu"], "H100:4")

    def test_case_insensitive(self):
        report = self.inspect(self.SCRIPT.format(gpu="l40s"))
        self.assertNoErrors(report)
        self.assertEqual(function(report, "f")["gpu"], "L40S")

    def test_unknown_type_is_an_error(self):
        report = self.inspect(self.SCRIPT.format(gpu="X9"))
        self.assertHasError(report, "invalid_gpu", "X9")

    def test_bad_count_is_an_error(self):
        report = self.inspect(self.SCRIPT.format(gpu="T4:zero"))
        self.assertHasError(report, "invalid_gpu")


class WebFunctions(StandInTestCase):
    def test_web_server_with_concurrency(self):
        report = self.inspect("""
            import subprocess
            import modal

            app = modal.App("m-gpux-llm-api")
            image = modal.Image.from_registry("nvidia/cuda:12.9.1-devel-ubuntu22.04", add_python="3.12").entrypoint([])

            @app.function(image=image, gpu="H100:2", min_containers=1, scaledown_window=300, timeout=86400)
            @modal.concurrent(max_inputs=64)
            @modal.web_server(port=8000, startup_timeout=1200)
            def serve():
                subprocess.Popen(["vllm", "serve"])
        """)
        self.assertNoErrors(report)
        fn = function(report, "serve")
        self.assertEqual(fn["kind"], "web_server")
        self.assertEqual(fn["web"]["port"], 8000)
        self.assertEqual(fn["web"]["startup_timeout"], 1200)
        self.assertEqual(fn["concurrent"], {"max_inputs": 64, "target_inputs": None})
        self.assertEqual(fn["min_containers"], 1)
        self.assertEqual(fn["scaledown_window"], 300)
        self.assertFalse(fn["runnable_by_modal_run"])
        im = image(report, fn["image"])
        self.assertEqual(im["base"]["tag"], "nvidia/cuda:12.9.1-devel-ubuntu22.04")
        self.assertEqual(im["base"]["add_python"], "3.12")
        self.assertEqual(im["steps"], [{"op": "entrypoint", "args": [[]], "kwargs": {}}])
        # Only web functions: `modal run` has nothing to run.
        self.assertFalse(report["modal_run"]["runnable"])
        self.assertIn("no functions or local entrypoints", report["modal_run"]["reason"])

    def test_asgi_app(self):
        report = self.inspect("""
            import modal

            app = modal.App("m-gpux-host-demo")

            @app.function(image=modal.Image.debian_slim(python_version="3.12"))
            @modal.concurrent(max_inputs=100)
            @modal.asgi_app(label="demo")
            def web():
                from fastapi import FastAPI
                return FastAPI()
        """)
        self.assertNoErrors(report)
        fn = function(report, "web")
        self.assertEqual(fn["kind"], "asgi")
        self.assertEqual(fn["web"]["label"], "demo")
        self.assertFalse(fn["runnable_by_modal_run"])

    def test_decorator_order_and_parameters(self):
        report = self.inspect("""
            import modal

            app = modal.App("order")

            @modal.web_server(8000)
            @app.function()
            def wrong_order():
                pass

            @app.function()
            @modal.wsgi_app()
            def takes_args(x):
                pass
        """)
        self.assertHasError(report, "decorator_order")
        self.assertHasError(report, "web_function_params", "x")
        self.assertEqual(function(report, "wrong_order")["kind"], "web_server")

    def test_bad_port(self):
        report = self.inspect("""
            import modal
            app = modal.App("port")

            @app.function()
            @modal.web_server(70000, startup_timeout=0)
            def s():
                pass
        """)
        self.assertHasError(report, "invalid_port")
        self.assertHasError(report, "invalid_startup_timeout")


class RemovedApis(StandInTestCase):
    def test_deprecated_kwarg_raises(self):
        run = self.run_failing("""
            import modal
            app = modal.App("old")

            @app.function(keep_warm=1)
            def f():
                pass
        """)
        self.assertIn("DeprecationError", run.stderr)
        self.assertIn("'keep_warm' parameter has been renamed to 'min_containers'", run.stderr)

    def test_allow_concurrent_inputs_raises(self):
        run = self.run_failing("""
            import modal
            app = modal.App("old")

            @app.function(allow_concurrent_inputs=10)
            def f():
                pass
        """)
        self.assertIn("@modal.concurrent", run.stderr)

    def test_stub_is_gone(self):
        run = self.run_failing("""
            import modal
            stub = modal.Stub("old")
        """)
        self.assertIn("AttributeError", run.stderr)
        self.assertIn("modal.App", run.stderr)

    def test_unknown_kwarg_is_a_type_error(self):
        run = self.run_failing("""
            import modal
            app = modal.App("typo")

            @app.function(gpus="A100")
            def f():
                pass
        """)
        self.assertIn("TypeError", run.stderr)

    def test_mount_and_gpu_objects_are_gone(self):
        for expr in ("modal.Mount", "modal.gpu.A100()"):
            with self.subTest(expr=expr):
                run = self.run_failing(f"import modal\nx = {expr}\n")
                self.assertIn("AttributeError", run.stderr)


class ImageRules(StandInTestCase):
    def test_missing_local_dir(self):
        report = self.inspect("""
            import modal
            app = modal.App("files")
            image = modal.Image.debian_slim().add_local_dir("does-not-exist", "/app")

            @app.function(image=image)
            def f():
                pass
        """)
        self.assertHasError(report, "local_path_missing", "does-not-exist")

    def test_remote_path_must_be_absolute(self):
        (self.tmp / "site").mkdir()
        report = self.inspect("""
            import modal
            image = modal.Image.debian_slim().add_local_dir("site", "site")
        """)
        self.assertHasError(report, "remote_path_not_absolute")

    def test_build_step_after_uncopied_add_local_dir(self):
        (self.tmp / "src").mkdir()
        report = self.inspect("""
            import modal
            app = modal.App("compose")
            image = modal.Image.debian_slim().add_local_dir("src", "/src").run_commands("make -C /src")

            @app.function(image=image)
            def f():
                pass
        """)
        self.assertHasError(report, "build_step_after_add_local", "copy=True")

    def test_build_step_after_copied_add_local_dir(self):
        (self.tmp / "src").mkdir()
        report = self.inspect("""
            import modal
            app = modal.App("compose")
            image = (
                modal.Image.from_registry("python:3.12-slim")
                .add_local_dir("src", "/src", copy=True)
                .run_commands("make -C /src")
                .pip_install("redis")
            )

            @app.function(image=image)
            def f():
                pass
        """)
        self.assertNoErrors(report)
        im = image(report, function(report, "f")["image"])
        self.assertEqual([s["op"] for s in im["steps"]], ["add_local_dir", "run_commands", "pip_install"])
        self.assertTrue(im["steps"][0]["kwargs"]["copy"])

    def test_float_python_version_rejected(self):
        report = self.inspect("""
            import modal
            image = modal.Image.debian_slim(python_version=3.12)
        """)
        self.assertHasError(report, "python_version_type", "string")

    def test_unsupported_python_series(self):
        report = self.inspect("""
            import modal
            image = modal.Image.debian_slim(python_version="3.9")
        """)
        self.assertHasError(report, "python_version_unsupported")

    def test_pip_flags_and_requirements(self):
        (self.tmp / "requirements.txt").write_text("flask\n")
        report = self.inspect("""
            import modal
            ok = modal.Image.debian_slim().pip_install_from_requirements("requirements.txt")
            bad = modal.Image.debian_slim().pip_install("torch", "--no-build-isolation")
            missing = modal.Image.debian_slim().pip_install_from_requirements("nope.txt")
        """)
        self.assertHasError(report, "pip_flag_in_packages", "--no-build-isolation")
        self.assertHasError(report, "local_path_missing", "nope.txt")
        self.assertEqual(error_codes(report).count("local_path_missing"), 1)

    def test_keyword_only_signature(self):
        (self.tmp / "src").mkdir()
        run = self.run_failing("""
            import modal
            image = modal.Image.debian_slim().add_local_dir("src", "/src", True)
        """)
        self.assertIn("TypeError", run.stderr)


class SecretsAndVolumes(StandInTestCase):
    def test_from_dict_keeps_keys_only(self):
        value = "hf_do_not_leak_0123456789"
        run = run_inspect(self.write(f"""
import modal
app = modal.App("secrets")
token = modal.Secret.from_dict({{"HF_TOKEN": {value!r}, "DROPPED": None}})

@app.function(secrets=[token], env={{"OTHER": {value + "-env"!r}}})
def f():
    pass
"""), cwd=str(self.tmp))
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertNotIn(value, run.stdout)
        report = run.report
        dict_secrets = [s for s in report["secrets"] if s["kind"] == "from_dict"]
        self.assertEqual([s["keys"] for s in dict_secrets], [["HF_TOKEN"], ["OTHER"]])
        self.assertEqual([s["keys"] for s in function(report, "f")["secrets"]], [["HF_TOKEN"], ["OTHER"]])

    LOCAL_ENVIRON = """
import modal
app = modal.App("ephemeral")
session = modal.Secret.from_local_environ(["JUPYTER_TOKEN"])

@app.function(secrets=[session])
def f():
    pass
"""

    def test_from_local_environ_reads_the_importers_environment_keys_only(self):
        value = "tok_do_not_leak_0123456789"
        run = run_inspect(self.write(self.LOCAL_ENVIRON), cwd=str(self.tmp), env={"JUPYTER_TOKEN": value})
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertNotIn(value, run.stdout + run.stderr)
        self.assertEqual(run.report["errors"], [])
        self.assertEqual([(s["kind"], s["keys"]) for s in function(run.report, "f")["secrets"]],
                         [("from_local_environ", ["JUPYTER_TOKEN"])])

    def test_from_local_environ_without_the_variable_fails_as_modal_does(self):
        env = {k: v for k, v in os.environ.items() if k != "JUPYTER_TOKEN"}
        saved, os.environ = os.environ, env
        try:
            report = self.inspect(self.LOCAL_ENVIRON)
        finally:
            os.environ = saved
        self.assertHasError(report, "secret_env_missing",
                            "Could not find local environment variable 'JUPYTER_TOKEN' for Secret.from_local_environ")

    def test_from_local_environ_in_a_container_is_empty_and_needs_no_variable(self):
        probe = ("import json, modal\nfrom modal._state import STATE\n"
                 "s = modal.Secret.from_local_environ(['JUPYTER_TOKEN'])\n"
                 "print(json.dumps([s._values, [e['code'] for e in STATE.errors]]))\n")
        for env, expected in (({"MODAL_IS_REMOTE": "1"}, [{}, []]),
                              ({"MODAL_IS_REMOTE": "1", "JUPYTER_TOKEN": "t"}, [{}, []]),
                              ({"JUPYTER_TOKEN": "t"}, [{"JUPYTER_TOKEN": "t"}, []])):
            with self.subTest(env=env):
                run = subprocess.run([sys.executable, "-B", "-c", probe], capture_output=True, text=True,
                                     env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(SUPPORT_DIR), **env})
                self.assertEqual(run.returncode, 0, run.stderr)
                self.assertEqual(json.loads(run.stdout), expected)

    def test_mount_at_root_rejected(self):
        report = self.inspect("""
            import modal
            app = modal.App("mounts")
            vol = modal.Volume.from_name("data")

            @app.function(volumes={"/root": vol})
            def f():
                pass

            @app.function(volumes={"/": modal.Volume.from_name("other")})
            def g():
                pass

            @app.function(volumes={"/data/../x": modal.Volume.from_name("third")})
            def h():
                pass
        """)
        self.assertHasError(report, "invalid_mount_path", "/root")
        self.assertHasError(report, "invalid_mount_path", "root directory")
        self.assertHasError(report, "invalid_mount_path", "canonical")

    def test_invalid_volume_name_and_autoscaler(self):
        report = self.inspect("""
            import modal
            app = modal.App("bad names")
            vol = modal.Volume.from_name("has spaces")

            @app.function(min_containers=3, max_containers=1, scaledown_window=0, timeout=100000)
            def f():
                pass
        """)
        self.assertHasError(report, "invalid_app_name")
        self.assertHasError(report, "invalid_name", "has spaces")
        self.assertHasError(report, "min_above_max_containers")
        self.assertHasError(report, "invalid_scaledown_window")
        self.assertIn("timeout_over_24h", warning_codes(report))


class Cli(StandInTestCase):
    def test_refuses_inside_a_container(self):
        run = run_inspect(self.write("import modal\n"), env={"MODAL_IS_REMOTE": "1"})
        self.assertEqual(run.returncode, 2)
        self.assertIn("MODAL_IS_REMOTE", run.stderr)

    def test_import_error_exits_1(self):
        with self.assertRaises(InspectError) as ctx:
            self.inspect("import modal\nraise RuntimeError('boom at import')\n")
        self.assertEqual(ctx.exception.returncode, 1)
        self.assertIn("boom at import", ctx.exception.stderr)

    def test_stand_in_wins_and_module_name_is_the_stem(self):
        # A decoy `modal` next to the script and first on PYTHONPATH must not be used.
        decoy = self.tmp / "decoy" / "modal"
        decoy.mkdir(parents=True)
        (decoy / "__init__.py").write_text("raise ImportError('decoy modal imported')\n")
        script = self.write("""
            import modal
            assert modal.__modal_shim__
            assert __name__ == "my_script", __name__
            app = modal.App("stem")
        """, name="my_script.py")
        env = dict(os.environ, PYTHONPATH=f"{self.tmp / 'decoy'}:{SUPPORT_DIR}", PYTHONDONTWRITEBYTECODE="1")
        env.pop("MODAL_IS_REMOTE", None)
        proc = subprocess.run(
            ["/usr/bin/python3", "-m", "modal_shim", "inspect", str(script)],
            cwd=str(self.tmp), env=env, capture_output=True, text=True, timeout=60,
        )
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout)["app"]["name"], "stem")

    def test_script_output_goes_to_stderr(self):
        run = run_inspect(self.write("import modal\nprint('hello from the script')\napp = modal.App('p')\n"))
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("hello from the script", run.stderr)
        self.assertEqual(run.report["app"]["name"], "p")


if __name__ == "__main__":
    unittest.main(verbosity=2)
