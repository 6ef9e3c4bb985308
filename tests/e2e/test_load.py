# SPDX-License-Identifier: MIT
"""`m-gpux load probe` end to end: the rendered
probe script (checked with the modal stand-in and run locally as a CPU-only
smoke test), the runner call the fake modal sees, the RESULT line read back as
a table or a JSON document, and the refusals."""
import json
import re
import subprocess
import sys

from harness import SUPPORT_DIR, MgpuxTestCase, main

METRICS = {
    "gpus": [
        {"index": 0, "name": "NVIDIA H100 80GB HBM3", "driver": "550.54.15", "memory_total_mib": 81559,
         "memory_used_mib": 4, "memory_free_mib": 81555, "utilization_gpu_pct": 7, "utilization_memory_pct": 1,
         "temperature_c": 33, "power_draw_w": 71.5, "power_limit_w": 700},
        {"index": 1, "name": "NVIDIA H100 80GB HBM3", "driver": "550.54.15", "memory_total_mib": 81559,
         "memory_used_mib": 0, "memory_free_mib": 81559, "utilization_gpu_pct": 0, "utilization_memory_pct": 0,
         "temperature_c": None, "power_draw_w": None, "power_limit_w": None},
    ],
    "gpu_error": None,
    "cpu": {"model": "AMD EPYC 9454 48-Core Processor", "cores": 96, "available": 96, "quota_cores": 2.5,
            "load_avg": [0.31, 0.2, 0.1]},
    "memory": {"total_gb": 15.6, "used_gb": 1.2, "used_pct": 7, "limit_gb": 16.0},
    "disk": {"total_gib": 512.0, "used_gib": 20.5, "free_gib": 491.5},
    "system": {"python": "3.12.7", "platform": "Linux-4.4.0-x86_64-with-glibc2.36", "uptime_s": 4.2},
}
RESULT_LINE = "[m-gpux] RESULT " + json.dumps(METRICS)

# A stand-in nvidia-smi for the local smoke test: two GPUs, one reading unsupported,
# a name with a comma in it, and a line too short to be a GPU.
FAKE_NVIDIA_SMI = """#!/bin/sh
case "$*" in
  *--query-gpu=name,memory.total,memory.used,memory.free,utilization.gpu,utilization.memory,temperature.gpu,power.draw,power.limit,driver_version*--format=csv,noheader,nounits*) ;;
  *) echo "unexpected arguments: $*" >&2; exit 9 ;;
esac
echo "NVIDIA A100-SXM4-80GB, 81920, 5, 81915, 12, 3, 35, 61.20, 400.00, 550.54.15"
echo "Odd, Name GPU, 24576, 0, 24576, 0, 0, [N/A], [N/A], 72.00, 535.1"
echo "garbage line"
"""


class LoadTestCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()

    def probe(self, *args, **kw):
        return self.run_mgpux("load", "probe", *args, **kw)

    def feed_result(self, lines=(RESULT_LINE,)):
        self.fake.set_scenario([{"match": ["run"], "container_output": list(lines)}])

    def inspect(self, path):
        proc = subprocess.run([sys.executable, "-m", "modal_shim", "inspect", str(path), "--json"],
                              env={"PYTHONPATH": str(SUPPORT_DIR), "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)

    def rendered(self, *args):
        """The probe script for `args`, written with --dry-run --script-out."""
        out = self.tmp / "probe_script.py"
        r = self.probe(*args, "--dry-run", "--script-out", out)
        self.assertExit(r, 0)
        return out


class ProbeRunTests(LoadTestCase):
    def test_gpu_probe_shows_a_table(self):
        self.feed_result()
        r = self.probe("--gpu", "h100:2", "--yes")
        self.assertExit(r, 0)
        runs = self.fake.calls_of("run")
        self.assertEqual(len(runs), 1)
        call = runs[0]
        self.assertEqual(call["argv"][0], "run")
        self.assertNotIn("--detach", call["argv"])
        self.assertEqual(call["env"]["MODAL_PROFILE"], "alice")
        self.assertIn("m-gpux load — H100 x2", r.out)
        self.assertRegex(r.out, r"GPU 0\s+NVIDIA H100 80GB HBM3 \(driver 550\.54\.15\)")
        self.assertRegex(r.out, r"GPU 0 VRAM\s+4 / 81559 MiB, 81555 MiB free")
        self.assertRegex(r.out, r"GPU 0 utilisation\s+7 % GPU, 1 % memory")
        self.assertRegex(r.out, r"GPU 0 power\s+71\.5 / 700 W")
        self.assertRegex(r.out, r"GPU 1 temperature\s+n/a")
        self.assertRegex(r.out, r"CPU\s+AMD EPYC 9454 48-Core Processor \(96 cores visible\)")
        self.assertRegex(r.out, r"Memory\s+1\.2 / 15\.6 GB \(7 %\)")
        self.assertRegex(r.out, r"Disk /\s+20\.5 / 512 GiB, 491\.5 GiB free")
        self.assertIn("load probe on H100:2", r.out + r.err)
        # an attached run: the app is over when modal returns, and no session is recorded
        apps = self.fake.apps()
        self.assertEqual(len(apps), 1)
        self.assertEqual(apps[0]["description"], "m-gpux-load-monitor")
        self.assertEqual(apps[0]["state"], "stopped")
        self.assertFalse((self.home / ".m-gpux" / "sessions.json").exists())

    def test_json_document(self):
        self.feed_result()
        r = self.probe("--cpu", "8", "--yes", "--json", "--profile", "work")
        self.assertExit(r, 0)
        doc = r.json()
        app_id = self.fake.apps()[0]["app_id"]
        self.assertEqual(doc, {"compute": "CPU (8 cores, 4096 MB)", "gpu": None,
                               "cpu": {"cores": 8, "memory_mb": 4096}, "app_id": app_id,
                               "status": "completed", "metrics": METRICS})
        self.assertEqual(self.fake.calls_of("run")[0]["env"]["MODAL_PROFILE"], "work")
        self.assertIn(RESULT_LINE, r.err, "the container's output goes to stderr under --json")

    def test_default_is_an_l4_without_questions(self):
        self.feed_result()
        r = self.probe("--no-input", "--yes")
        self.assertExit(r, 0)
        script = self.fake.calls_of("run")[0]["script"]["copy"]
        self.assertEqual(self.inspect(script)["functions"][0]["gpu"], "L4")

    def test_menus_on_a_terminal_pick_a_cpu_size(self):
        self.feed_result()
        down, enter = b"\x1b[B", b"\r"
        # compute type: CPU; size: one down from the default (8 -> 16 cores); review: Run
        code, out = self.run_on_pty(["load", "probe"], [down, enter, down, enter, enter], timeout=30)
        self.assertEqual(code, 0, out)
        script = self.fake.calls_of("run")[0]["script"]["copy"]
        fn = self.inspect(script)["functions"][0]
        self.assertEqual((fn["gpu"], fn["cpu"], fn["memory"]), (None, 16, 8192))
        self.assertIn("m-gpux load — CPU (16 cores, 8192 MB)", out)

    def test_no_result_line_is_exit_1(self):
        self.feed_result(["hello from the container", "[m-gpux] RESULT not-json"])
        r = self.probe("--gpu", "T4", "--yes")
        self.assertExit(r, 1)
        self.assertIn("printed no `[m-gpux] RESULT` line", r.err)
        self.assertIn("a RESULT line was not JSON", r.err)

    def test_failed_modal_run_is_exit_1_naming_its_code(self):
        self.fake.set_scenario([{"match": ["run"], "exit": 7, "stderr": "Error: no capacity for H200\n"}])
        r = self.probe("--gpu", "H200", "--yes")
        self.assertExit(r, 1)
        self.assertIn("7", r.err)
        self.assertIn("no capacity", r.err)

    def test_bad_compute_is_exit_2_without_modal_calls(self):
        cases = [
            (["--gpu", "H900"], "unknown GPU"),
            (["--gpu", "L4:99"], "L4"),
            (["--gpu", 'L4"); import os; ("'], "unknown GPU"),
            (["--gpu", "L4", "--cpu", "2"], ""),
            (["--cpu", "0"], "--cpu"),
            (["--cpu", "65"], "1..64"),
            (["--cpu", "lots"], "lots"),
        ]
        for extra, needle in cases:
            with self.subTest(extra=extra):
                r = self.probe(*extra, "--yes")
                self.assertExit(r, 2)
                self.assertIn(needle, r.err)
        self.assertEqual(self.modal_calls(), [])

    def test_unknown_profile_is_exit_2_before_any_call(self):
        r = self.probe("--gpu", "L4", "--yes", "--profile", "ghost")
        self.assertExit(r, 2)
        self.assertIn("ghost", r.err)
        self.assertEqual(self.modal_calls(), [])

    def test_missing_modal_is_exit_4(self):
        r = self.probe("--gpu", "L4", "--yes", env={"PATH": "/usr/bin:/bin"})
        self.assertExit(r, 4)
        self.assertIn("modal", r.err)

    def test_dry_run_prints_the_script_and_runs_nothing(self):
        r = self.probe("--gpu", "A100-80GB", "--dry-run")
        self.assertExit(r, 0)
        self.assertIn('app = modal.App("m-gpux-load-monitor")', r.out)
        self.assertIn('gpu="A100-80GB"', r.out)
        self.assertIn("would run", r.err)
        r = self.probe("--gpu", "A100-80GB", "--dry-run", "--json")
        self.assertExit(r, 0)
        doc = r.json()
        self.assertEqual((doc["status"], doc["metrics"], doc["app_id"], doc["gpu"]),
                         ("dry_run", None, None, "A100-80GB"))
        self.assertEqual(self.modal_calls(), [])
        self.assertFalse((self.home / ".m-gpux" / "runs").exists())


class ProbeScriptTests(LoadTestCase):
    def test_gpu_script_passes_the_standin_inspector(self):
        self.feed_result()
        self.assertExit(self.probe("--gpu", "H100:2", "--yes"), 0)
        info = self.inspect(self.fake.calls_of("run")[0]["script"]["copy"])
        self.assertEqual(info["app"]["name"], "m-gpux-load-monitor")
        self.assertEqual(info["errors"], [])
        self.assertEqual(len(info["functions"]), 1)
        fn = info["functions"][0]
        self.assertEqual((fn["name"], fn["gpu"], fn["cpu"], fn["memory"], fn["timeout"]),
                         ("probe", "H100:2", None, None, 120))
        self.assertTrue(fn["runnable_by_modal_run"])
        self.assertTrue(info["modal_run"]["runnable"])
        image = next(i for i in info["images"] if i["id"] == fn["image"])
        self.assertEqual(image["base"]["python_version"], "3.12")

    def test_cpu_script_passes_the_standin_inspector(self):
        info = self.inspect(self.rendered("--cpu", "4"))
        self.assertEqual(info["errors"], [])
        fn = info["functions"][0]
        self.assertEqual((fn["gpu"], fn["cpu"], fn["memory"], fn["timeout"]), (None, 4, 2048, 120))

    def run_locally(self, script, path):
        """Imports the rendered script under the stand-in and calls the probe's function body."""
        code = ("import importlib.util, sys\n"
                "spec = importlib.util.spec_from_file_location('probe_script', sys.argv[1])\n"
                "mod = importlib.util.module_from_spec(spec)\n"
                "spec.loader.exec_module(mod)\n"
                "mod.probe.local()\n")
        proc = subprocess.run([sys.executable, "-c", code, str(script)],
                              env={"PYTHONPATH": str(SUPPORT_DIR), "PATH": path},
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("[m-gpux] RESULT ")]
        self.assertEqual(len(lines), 1, proc.stdout)
        return json.loads(lines[0][len("[m-gpux] RESULT "):])

    def test_cpu_only_smoke_run(self):
        metrics = self.run_locally(self.rendered("--cpu", "2"), "/usr/bin:/bin")
        self.assertEqual(metrics["gpus"], [])
        self.assertIn("nvidia-smi not found", metrics["gpu_error"])
        self.assertGreaterEqual(metrics["cpu"]["cores"], 1)
        self.assertEqual(len(metrics["cpu"]["load_avg"]), 3)
        self.assertGreater(metrics["memory"]["total_gb"], 0)
        self.assertLessEqual(metrics["memory"]["used_gb"], metrics["memory"]["total_gb"])
        self.assertGreater(metrics["disk"]["total_gib"], 0)
        self.assertRegex(metrics["system"]["python"], r"^3\.\d+")

    def test_nvidia_smi_output_is_parsed(self):
        bin_dir = self.tmp / "fakebin"
        bin_dir.mkdir()
        smi = bin_dir / "nvidia-smi"
        smi.write_text(FAKE_NVIDIA_SMI)
        smi.chmod(0o755)
        metrics = self.run_locally(self.rendered("--gpu", "A100-80GB"), f"{bin_dir}:/usr/bin:/bin")
        self.assertIsNone(metrics["gpu_error"])
        self.assertEqual(metrics["gpus"], [
            {"index": 0, "name": "NVIDIA A100-SXM4-80GB", "driver": "550.54.15", "memory_total_mib": 81920,
             "memory_used_mib": 5, "memory_free_mib": 81915, "utilization_gpu_pct": 12,
             "utilization_memory_pct": 3, "temperature_c": 35, "power_draw_w": 61.2, "power_limit_w": 400},
            {"index": 1, "name": "Odd, Name GPU", "driver": "535.1", "memory_total_mib": 24576,
             "memory_used_mib": 0, "memory_free_mib": 24576, "utilization_gpu_pct": 0,
             "utilization_memory_pct": 0, "temperature_c": None, "power_draw_w": None, "power_limit_w": 72},
        ])

    def test_failing_nvidia_smi_is_reported_not_raised(self):
        bin_dir = self.tmp / "failbin"
        bin_dir.mkdir()
        smi = bin_dir / "nvidia-smi"
        smi.write_text("#!/bin/sh\necho 'NVIDIA-SMI has failed because it could not communicate' >&2\nexit 9\n")
        smi.chmod(0o755)
        metrics = self.run_locally(self.rendered("--gpu", "T4"), f"{bin_dir}:/usr/bin:/bin")
        self.assertEqual(metrics["gpus"], [])
        self.assertRegex(metrics["gpu_error"], r"exited with 9: NVIDIA-SMI has failed")

    def test_image_option_starts_from_the_published_image(self):
        self.publish_image("probe-base", ["alice"])
        script = self.rendered("--gpu", "L4", "--image", "probe-base").read_text(encoding="utf-8")
        self.assertEqual(self.from_name_literals(script), ["probe-base"])
        self.assertNotIn("debian_slim(", script)
        info = self.inspect(self.tmp / "probe_script.py")
        self.assertEqual(info["images"][0]["base"]["type"], "from_name")
        self.assertExit(self.probe("--gpu", "L4", "--image", "unpublished", "--dry-run"), 2)

    def test_script_compiles_and_has_no_leftover_tags(self):
        for args in (["--gpu", "B200+:8"], ["--cpu", "64"]):
            with self.subTest(args=args):
                script = self.rendered(*args)
                text = script.read_text(encoding="utf-8")
                self.assertNotIn("{{", text)
                self.assertIsNone(re.search(r"\{[a-z_]+\}", text))
                proc = subprocess.run([sys.executable, "-m", "py_compile", str(script)], capture_output=True,
                                      text=True, timeout=30)
                self.assertEqual(proc.returncode, 0, proc.stderr)


if __name__ == "__main__":
    main()
