# SPDX-License-Identifier: MIT
"""Host services end to end: the runner, the modal, process,
profiles, state and catalog services, driven by the test-only `svcprobe`
plugin against the fake modal. Each test asserts on what was called (the
fake's call log), on files written, or on the parsed generated script."""
import ast
import json
import os
import signal
import stat
import subprocess
import sys
import time

from harness import BIN, SOURCE_DIR, SUPPORT_DIR, MgpuxTestCase, main

SECRET = "s3cr3t-'\"-value\\with\nnewline"


class ServiceTestCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.env["MGPUX_PLUGIN_PATH"] = str(self.fixture_dir("svcprobe"))
        self.write_two_profiles()

    def probe(self, *args, **kw):
        return self.run_mgpux("svcprobe", *args, **kw)

    def probe_json(self, *args, code=0, **kw):
        r = self.probe(args[0], "--json", *args[1:], **kw)
        self.assertExit(r, code)
        return r.json() if code == 0 else r


class RunnerTests(ServiceTestCase):
    def test_detached_run_pins_profile_records_session_and_app_id(self):
        r = self.probe_json("run", "--detach", "--session-kind", "dev", "--profile", "work", "--yes")
        runs = self.fake.calls_of("run")
        self.assertEqual(len(runs), 1)
        call = runs[0]
        self.assertEqual(call["argv"][:2], ["run", "--detach"])
        self.assertEqual(call["env"]["MODAL_PROFILE"], "work")
        self.assertEqual(call["env"]["PYTHONIOENCODING"], "utf-8")
        self.assertEqual(call["env"]["PYTHONUTF8"], "1")
        self.assertNotIn("MODAL_TOKEN_SECRET", call["env"])
        # the app id the runner reports is the one Modal's "View run at" line named
        apps = self.fake.apps()
        self.assertEqual(len(apps), 1)
        self.assertEqual(r["app_id"], apps[0]["app_id"])
        # the script lives in the run directory, 0600, and is what modal got
        script = self.state_dir / "runs" / r["run_id"] / "modal_runner.py"
        self.assertEqual(call["script"]["path"], str(script))
        self.assertEqual(stat.S_IMODE(script.stat().st_mode), 0o600)
        self.assertEqual(stat.S_IMODE((self.state_dir / "runs" / r["run_id"]).stat().st_mode), 0o700)
        sessions = json.loads((self.state_dir / "sessions.json").read_text())
        self.assertEqual(len(sessions), 1)
        s = sessions[0]
        self.assertEqual((s["id"], s["kind"], s["profile"], s["app_id"], s["run_id"], s["backend"]),
                         (r["session_id"], "dev", "work", apps[0]["app_id"], r["run_id"], "modal"))
        self.assertEqual(s["script_path"], str(script))
        # the function returned by itself, so the app is over and so is the session
        self.assertEqual(s["state"], "stopped")

    def test_summary_comes_from_the_request(self):
        r = self.probe("run", "--yes")
        self.assertExit(r, 0)
        for row in ("app      mgpux-probe", "compute  CPU (1 core, 512 MB)", "timeout  600 s (10 min)",
                    "deps     numpy, pandas", "profile  alice"):
            self.assertIn(row, r.out + r.err)

    def test_secret_created_from_private_file_never_on_argv(self):
        r = self.probe_json("run", "--secret-name", "probe-creds", "--yes", env={"SVCPROBE_SECRET": SECRET})
        self.assertEqual(r["status"], "completed")
        creates = self.fake.calls_of("secret", "create")
        self.assertEqual(len(creates), 1)
        rec = creates[0]["secret"]
        self.assertEqual(rec["name"], "probe-creds")
        self.assertEqual(rec["keys"], ["PROBE_TOKEN"])
        self.assertEqual(rec["dotenv_mode"], "0600")
        self.assertFalse(os.path.exists(rec["from_dotenv"]), "the dotenv file must be removed")
        self.assertEqual(creates[0]["env"]["MODAL_PROFILE"], "alice")
        # the secret was created before the run, and its value is nowhere
        calls = self.fake.calls()
        self.assertLess(calls.index(creates[0]), calls.index(self.fake.calls_of("run")[0]))
        log = (self.fake.home / "calls.jsonl").read_text()
        self.assertNotIn("s3cr3t", log)
        for path in self.state_dir.rglob("*"):
            if path.is_file():
                self.assertNotIn("s3cr3t", path.read_text(errors="replace"), path)

    def test_background_returns_when_ready_and_leaves_app_running(self):
        self.fake.set_scenario([{"match": ["run"], "hang": True,
                                 "container_output": ["[m-gpux] READY https://probe-1.modal.host",
                                                      "[m-gpux] RESULT {\"loss\": 0.5}"]}])
        start = time.monotonic()
        r = self.probe_json("run", "--detach", "--background", "--session-kind", "jupyter", "--yes", timeout=30)
        self.assertLess(time.monotonic() - start, 20)
        self.assertEqual(r["status"], "background")
        self.assertEqual(r["url"], "https://probe-1.modal.host")
        app = self.fake.app(r["app_id"])
        self.assertEqual(app["state"], "ephemeral (detached)")
        session = json.loads((self.state_dir / "sessions.json").read_text())[0]
        self.assertEqual((session["state"], session["url"], session["app_id"]),
                         ("running", "https://probe-1.modal.host", r["app_id"]))

    def test_results_and_ready_markers_are_returned(self):
        self.fake.set_scenario([{"match": ["run"], "container_output": [
            "noise [m-gpux] READY https://x.modal.host", "[m-gpux] RESULT {\"loss\": 0.25, \"n\": [1, 2]}",
            "[m-gpux] RESULT not-json"]}])
        r = self.probe("run", "--yes", "--json")
        self.assertExit(r, 0)
        doc = r.json()
        self.assertEqual(doc["ready"], ["https://x.modal.host"])
        self.assertEqual(doc["results"], [{"loss": 0.25, "n": [1, 2]}])
        self.assertIn("a RESULT line was not JSON: not-json", r.err)

    def test_ctrl_c_during_detached_run_leaves_app_running(self):
        self.fake.set_scenario([{"match": ["run"], "hang": True,
                                 "container_output": ["[m-gpux] READY https://probe-2.modal.host"]}])
        env = dict(self.env)
        env.update(self.fake.env())
        proc = subprocess.Popen([str(BIN), "svcprobe", "run", "--detach", "--session-kind", "dev", "--json", "--yes"],
                                env=env, cwd=str(self.tmp), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            seen.append(line)
            if "READY" in line:
                break
        self.assertIn("READY", "".join(seen))
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        doc = json.loads(out)
        self.assertEqual(doc["status"], "interrupted")
        self.assertIn("keeps running", err)
        self.assertEqual(self.fake.app(doc["app_id"])["state"], "ephemeral (detached)")
        self.assertEqual(self.fake.calls_of("app", "stop"), [])  # default: keep it
        session = json.loads((self.state_dir / "sessions.json").read_text())[0]
        self.assertEqual(session["state"], "running")

    def test_dry_run_creates_nothing(self):
        out_file = self.tmp / "copy.py"
        r = self.probe("run", "--detach", "--session-kind", "dev", "--secret-name", "x", "--dry-run",
                       "--script-out", out_file, "--message", 'a"b\'c\\d\n"""{{x}} é',
                       env={"SVCPROBE_SECRET": SECRET})
        self.assertExit(r, 0)
        self.assertEqual(self.modal_calls(), [])
        self.assertFalse(self.state_dir.exists(), list(self.state_dir.rglob("*")) if self.state_dir.exists() else "")
        self.assertIn("modal run --detach", r.err + r.out)
        script = out_file.read_text()
        self.assertIn(script.strip(), r.out)
        tree = ast.parse(script)
        values = [n.value.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "MESSAGE"]
        self.assertEqual(values, ['a"b\'c\\d\n"""{{x}} é'])
        self.assertNotIn("s3cr3t", r.out + r.err)

    def test_rendered_script_passes_the_standin_inspector(self):
        r = self.probe_json("run", "--app", "m-gpux-probe-x", "--yes")
        snapshot = self.fake.calls_of("run")[0]["script"]["copy"]
        proc = subprocess.run([sys.executable, "-m", "modal_shim", "inspect", snapshot, "--json"],
                              env={"PYTHONPATH": str(SUPPORT_DIR), "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        info = json.loads(proc.stdout)
        self.assertEqual(info["app"]["name"], "m-gpux-probe-x")
        self.assertEqual([f["name"] for f in info["functions"]], ["probe"])
        self.assertEqual(info["functions"][0]["timeout"], 600)
        self.assertEqual(info["errors"], [])
        self.assertEqual(r["status"], "completed")

    def test_attached_run_gives_up_after_its_wait_timeout(self):
        self.fake.set_scenario([{"match": ["run"], "hang": True}])
        start = time.monotonic()
        r = self.probe("run", "--yes", "--wait-timeout", "1")
        self.assertExit(r, 1)
        self.assertIn("did not finish within 1 s", r.err)
        self.assertLess(time.monotonic() - start, 15)

    def test_failed_modal_run_exits_1_naming_its_code(self):
        self.fake.set_scenario([{"match": ["run"], "exit": 3, "stderr": "Error: boom"}])
        r = self.probe("run", "--yes")
        self.assertExit(r, 1)
        self.assertIn("exit 3", r.err)
        self.assertIn("boom", r.err)

    def test_token_variables_in_the_environment_are_warned_about(self):
        r = self.probe("run", "--yes", env={"MODAL_TOKEN_ID": "ak-env", "MODAL_TOKEN_SECRET": "as-env"})
        self.assertExit(r, 0)
        self.assertIn("MODAL_TOKEN_ID", r.err)
        self.assertEqual(r.err.count("MODAL_TOKEN_ID"), 1)

    def test_no_account_set_up_says_how_before_any_call(self):
        self.toml.unlink()
        r = self.probe("run", "--yes")
        self.assertExit(r, 3)
        self.assertIn("m-gpux account add", r.err)
        self.assertEqual(self.modal_calls(), [])
        self.assertExit(self.probe("run", "--dry-run"), 0)  # rendering needs no account

    def test_unknown_profile_is_a_usage_error_before_any_call(self):
        r = self.probe("run", "--yes", "--profile", "nobody")
        self.assertExit(r, 2)
        self.assertIn("nobody", r.err)
        self.assertEqual(self.modal_calls(), [])

    def test_missing_modal_exits_4_with_hint(self):
        r = self.probe("run", "--yes", env={"PATH": "/usr/bin:/bin"})
        self.assertExit(r, 4)
        self.assertIn("pip install modal", r.err)

    def test_local_backend_runs_the_script_here_without_modal(self):
        r = self.probe_json("run", "--yes", "--backend", "local")
        self.assertEqual(r["status"], "completed")
        self.assertEqual(r["command"][:3], ["python3", "-m", "modal_shim"])
        self.assertTrue(r["app_id"].startswith("ap-local"))
        self.assertEqual(self.modal_calls(), [])

    def test_serve_and_deploy_use_their_commands(self):
        r = self.probe_json("run", "--mode", "deploy", "--yes")
        self.assertEqual(self.fake.calls_of("deploy")[0]["argv"][0], "deploy")
        self.assertEqual(r["status"], "completed")
        self.assertEqual(self.fake.apps()[0]["state"], "deployed")
        # deploy never prints an app id, and the runner does not ask for one: one modal process
        self.assertIsNone(r["app_id"])
        self.assertEqual([c["argv"][0] for c in self.modal_calls()], ["deploy"])
        r = self.probe("run", "--mode", "serve", "--detach", "--yes")
        self.assertExit(r, 2)  # detach is for `modal run` only

    def test_a_deploy_is_recorded_as_a_running_session(self):
        r = self.probe_json("run", "--mode", "deploy", "--session-kind", "host", "--yes")
        sessions = json.loads((self.state_dir / "sessions.json").read_text())
        self.assertEqual(len(sessions), 1)
        self.assertEqual((sessions[0]["id"], sessions[0]["app_id"], sessions[0]["state"], sessions[0]["profile"]),
                         (r["session_id"], None, "running", "alice"))
        # by name: a deployed app is the only one of its name in its environment
        self.assertEqual((sessions[0]["app_name"], sessions[0]["deployed"], sessions[0]["environment"]),
                         (self.fake.apps()[0]["description"], True, "main"))
        # an attached `modal run` is over when it returns: no session
        self.probe_json("run", "--session-kind", "bash", "--yes")
        self.assertEqual(len(json.loads((self.state_dir / "sessions.json").read_text())), 1)

    def test_unreadable_sessions_file_stops_before_the_launch(self):
        self.state_dir.mkdir(mode=0o700)
        (self.state_dir / "sessions.json").write_text("[oops")
        r = self.probe("run", "--detach", "--session-kind", "dev", "--yes")
        self.assertExit(r, 3)
        self.assertEqual(self.fake.calls_of("run"), [])
        self.assertEqual((self.state_dir / "sessions.json").read_text(), "[oops")


class EphemeralSecretTests(ServiceTestCase):
    """secret_env: the values reach only the `modal` child's environment, where the script's
    Secret.from_local_environ reads them; the launch is that one process."""

    def assert_value_nowhere(self):
        self.assertNotIn(SECRET, (self.fake.home / "calls.jsonl").read_text(encoding="utf-8"))
        for dirpath, _dirs, files in os.walk(self.tmp):
            for name in files:
                with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as fh:
                    self.assertNotIn(SECRET, fh.read(), os.path.join(dirpath, name))

    def test_one_modal_process_and_the_value_only_in_its_environment(self):
        doc = self.probe_json("run", "--secret-env", "--detach", "--session-kind", "dev", "--yes",
                              env={"SVCPROBE_SECRET": SECRET})
        self.assertEqual(doc["status"], "completed")
        self.assertEqual([c["argv"][:2] for c in self.fake.calls()], [["run", "--detach"]])
        (run,) = self.fake.calls_of("run")
        self.assertEqual(run["script"]["local_environ"], {"PROBE_TOKEN": True})
        self.assertNotIn(SECRET, " ".join(run["argv"]))
        with open(os.path.join(doc["run_dir"], "launch.json"), encoding="utf-8") as fh:
            launch = json.load(fh)
        self.assertEqual((launch["secrets"], launch["secret_env_keys"]), ([], ["PROBE_TOKEN"]))
        self.assertEqual(self.fake.secrets(), [])
        self.assert_value_nowhere()

    def test_a_failed_launch_leaves_nothing_behind(self):
        self.fake.set_scenario([{"match": ["run"], "exit": 1, "stderr": "Error: no such image\n"}])
        r = self.probe("run", "--secret-env", "--yes", env={"SVCPROBE_SECRET": SECRET})
        self.assertExit(r, 1)
        self.assertEqual([c["argv"][0] for c in self.fake.calls()], ["run"])
        self.assertEqual(self.fake.secrets(), [])
        self.assert_value_nowhere()

    def test_dry_run_and_summary_name_the_key_not_the_value(self):
        r = self.probe("run", "--secret-env", "--dry-run", env={"SVCPROBE_SECRET": SECRET})
        self.assertExit(r, 0)
        self.assertIn("would pass PROBE_TOKEN in the environment of `modal` only", r.err + r.out)
        self.assertIn("ephemeral (PROBE_TOKEN)", r.err + r.out)
        self.assertNotIn(SECRET, r.err + r.out)
        self.assertEqual(self.fake.calls(), [])


class FailedLaunchCleanupTests(ServiceTestCase):
    """A launch that fails after creating its secrets deletes them: nothing else would."""

    def launch(self, *args, code=1):
        r = self.probe("run", "--secret-name", "m-gpux-s-probe", "--yes", *args, env={"SVCPROBE_SECRET": SECRET})
        self.assertExit(r, code)
        return r

    def assert_created_then_deleted(self, launch_command="run"):
        calls = [c["argv"][:3] for c in self.fake.calls()]
        self.assertEqual(calls[0], ["secret", "create", "m-gpux-s-probe"])
        self.assertEqual(calls[1][0], launch_command)
        deletes = self.fake.calls_of("secret", "delete")
        self.assertEqual(len(deletes), 1, calls)
        self.assertEqual(deletes[0]["argv"][2], "m-gpux-s-probe")
        self.assertEqual(deletes[0]["env"]["MODAL_PROFILE"], "alice")
        self.assertGreater(self.fake.calls().index(deletes[0]), 1)
        self.assertEqual(self.fake.secrets(), [])

    def test_a_failed_run_deletes_the_secret_it_created(self):
        self.fake.set_scenario([{"match": ["run"], "exit": 1, "stderr": "Error: no such image\n"}])
        r = self.launch()
        self.assertIn("no such image", r.err)
        self.assert_created_then_deleted()

    def test_a_failed_serve_or_deploy_deletes_its_secret(self):
        for mode in ("serve", "deploy"):
            with self.subTest(mode=mode):
                (self.fake.home / "calls.jsonl").unlink(missing_ok=True)
                self.fake.set_scenario([{"match": [mode], "exit": 1, "stderr": "Error: quota\n"}])
                self.launch("--mode", mode)
                self.assert_created_then_deleted(mode)

    def test_a_background_run_without_an_app_id_fails_and_deletes_its_secret(self):
        self.fake.set_scenario([{"match": ["run"], "exit": 0}])
        r = self.launch("--detach", "--background", "--session-kind", "jupyter")
        self.assertIn("app id", r.err)
        self.assertIn("modal app list", r.err)
        self.assert_created_then_deleted()
        self.assertFalse((self.state_dir / "sessions.json").exists())

    def test_a_detached_run_ending_without_an_app_id_deletes_its_secret(self):
        self.fake.set_scenario([{"match": ["run"], "exit": 0}])
        self.launch("--detach", "--session-kind", "dev", code=0)
        self.assert_created_then_deleted()

    def test_a_secret_that_cannot_be_deleted_is_reported(self):
        self.fake.set_scenario([{"match": ["run"], "exit": 1},
                                {"match": ["secret", "delete"], "exit": 1, "stderr": "Error: network down\n"}])
        r = self.launch()
        self.assertIn("could not delete secret m-gpux-s-probe", r.err)
        self.assertIn("network down", r.err)
        self.assertIn("modal secret delete m-gpux-s-probe", r.err)

    def test_a_session_left_running_keeps_its_secret(self):
        # no READY in time, but Modal named the app: the session holds the secret, `stop` deletes it
        self.fake.set_scenario([{"match": ["run"], "hang": True}])
        r = self.launch("--detach", "--background", "--session-kind", "jupyter", "--ready-timeout", "1")
        self.assertIn("may still be running", r.err)
        self.assertEqual(self.fake.calls_of("secret", "delete"), [])
        self.assertEqual([s["name"] for s in self.fake.secrets()], ["m-gpux-s-probe"])

    def test_a_successful_run_keeps_its_secret(self):
        self.launch("--detach", "--session-kind", "dev", code=0)
        self.assertEqual(self.fake.calls_of("secret", "delete"), [])


def process_alive(pid):
    """Whether `pid` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


class TerminationTests(ServiceTestCase):
    """A hangup or kill takes the `modal` child down with m-gpux, and no file with
    credentials is left behind; what an earlier killed m-gpux left is swept."""

    DEAD_PID = 4194305  # above any pid_max: no such process

    def start_probe(self, *args, env=None):
        run_env = dict(self.env)
        run_env.update(self.fake.env())
        run_env.update(env or {})
        return subprocess.Popen([str(BIN), "svcprobe", *args], env=run_env, cwd=str(self.tmp),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)

    def wait_for_call(self, proc, *prefix):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            calls = self.fake.calls_of(*prefix)
            if calls:
                time.sleep(0.3)  # let it settle into its wait
                return calls[0]
            time.sleep(0.05)
        self.fail(f"modal {' '.join(prefix)} was never called")

    def finish(self, proc):
        try:
            return proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def assert_gone(self, pid):
        deadline = time.monotonic() + 10
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(process_alive(pid), f"the modal child {pid} outlived m-gpux")

    def test_sighup_during_secret_creation_stops_the_child_and_removes_the_secret_file(self):
        self.fake.set_scenario([{"match": ["secret", "create"], "hang": True}])
        proc = self.start_probe("run", "--secret-name", "m-gpux-s-hup", "--yes", env={"SVCPROBE_SECRET": SECRET})
        call = self.wait_for_call(proc, "secret", "create")
        dotenv = call["secret"]["from_dotenv"]
        self.assertTrue(os.path.exists(dotenv))
        proc.send_signal(signal.SIGHUP)
        _, err = self.finish(proc)
        self.assertEqual(proc.returncode, 128 + signal.SIGHUP, err)
        self.assert_gone(call["pid"])
        self.assertFalse(os.path.exists(dotenv), "the secret file outlived m-gpux")
        self.assertFalse(os.path.exists(os.path.dirname(dotenv)))
        self.assertEqual(self.fake.calls_of("run"), [])

    def test_sighup_during_a_hanging_run_stops_the_child(self):
        self.fake.set_scenario([{"match": ["run"], "hang": True}])
        proc = self.start_probe("run", "--secret-name", "m-gpux-s-hup", "--yes", env={"SVCPROBE_SECRET": SECRET})
        call = self.wait_for_call(proc, "run")
        proc.send_signal(signal.SIGHUP)
        _, err = self.finish(proc)
        self.assertEqual(proc.returncode, 128 + signal.SIGHUP, err)
        self.assert_gone(call["pid"])
        self.assertEqual(list((self.state_dir / "tmp").glob("*")) if (self.state_dir / "tmp").exists() else [], [])
        self.assertEqual(len(self.fake.calls_of("run")), 1)  # and nothing was started after the hangup

    def test_sigterm_is_passed_on_and_exits_143(self):
        self.fake.set_scenario([{"match": ["run"], "hang": True}])
        proc = self.start_probe("run", "--detach", "--session-kind", "dev", "--yes")
        call = self.wait_for_call(proc, "run")
        proc.send_signal(signal.SIGTERM)
        _, err = self.finish(proc)
        self.assertEqual(proc.returncode, 128 + signal.SIGTERM, err)
        self.assert_gone(call["pid"])
        self.assertEqual(self.fake.calls_of("app", "stop"), [])

    def test_kill_9_takes_the_modal_child_down_too(self):
        self.fake.set_scenario([{"match": ["run"], "hang": True}])
        proc = self.start_probe("run", "--yes")
        call = self.wait_for_call(proc, "run")
        proc.kill()
        self.finish(proc)
        self.assert_gone(call["pid"])

    def plant(self, path, age_s=3600, content="TOKEN=secret\n"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        os.utime(path, (time.time() - age_s,) * 2)
        return path

    def test_stale_temp_files_of_a_killed_mgpux_are_swept_at_start(self):
        tmpdir = self.tmp / "tmpdir"
        dead, alive = self.DEAD_PID, os.getpid()
        swept = [
            self.plant(self.state_dir / "tmp" / f"secret-{dead}-a1B2c3" / "secret.env"),
            self.plant(self.state_dir / f".api_keys.json.tmp-{dead}-1f2e3d"),
            self.plant(self.state_dir / f".sessions.json.tmp-{dead}-abc"),
            self.plant(self.home / f"..modal.toml.tmp-{dead}-77"),  # ".<file>.tmp-…"
            self.plant(tmpdir / "mgpux-secret-Zx81Qa" / "secret.env"),  # where older versions put them
        ]
        kept = [
            self.plant(self.state_dir / "tmp" / f"secret-{alive}-d4E5f6" / "secret.env"),  # its owner runs
            self.plant(self.state_dir / f".api_keys.json.tmp-{dead}-9a", age_s=5),  # too young to judge
            self.plant(self.state_dir / f".api_keys.json.tmp-{alive}-9b"),
            self.plant(self.state_dir / "api_keys.json", content="[]"),
            self.plant(self.state_dir / ".api_keys.json.bak"),
            self.plant(tmpdir / "mgpux-secret-Yo9ng1" / "secret.env", age_s=5),
            self.plant(tmpdir / "other-program-XXXX" / "secret.env"),
            self.plant(self.home / f".bashrc.tmp-{dead}-aa"),  # beside the profile file, not ours
        ]
        for d in (swept[0].parent, swept[4].parent, kept[0].parent, kept[6].parent):
            os.utime(d, (time.time() - 3600,) * 2)
        r = self.probe("state", "read", "presets", "--json", env={"TMPDIR": str(tmpdir)})
        self.assertExit(r, 0)
        for path in swept:
            self.assertFalse(path.exists(), path)
        self.assertFalse(swept[0].parent.exists())
        self.assertFalse(swept[4].parent.exists())
        for path in kept:
            self.assertTrue(path.exists(), path)

    def test_the_secret_file_lives_in_a_private_directory_under_the_state_dir(self):
        r = self.probe_json("secret", "creds", env={"SVCPROBE_SECRET": SECRET, "TMPDIR": "/nonexistent"})
        self.assertTrue(r)
        rec = self.fake.calls_of("secret", "create")[0]["secret"]
        dotenv = rec["from_dotenv"]
        self.assertTrue(dotenv.startswith(str(self.state_dir / "tmp") + "/"), dotenv)
        self.assertEqual(rec["dotenv_mode"], "0600")
        self.assertFalse(os.path.exists(dotenv))
        self.assertEqual(stat.S_IMODE((self.state_dir / "tmp").stat().st_mode), 0o700)


class ExitCodeTests(ServiceTestCase):
    """Exit codes of the edges: a failed write of the output, an unusable program named by
    MGPUX_MODAL / MGPUX_PYTHON, an unusable TMPDIR, Ctrl-C while a secret is created."""

    def run_to_dev_full(self, *args):
        env = dict(self.env)
        env.update(self.fake.env())
        with open("/dev/full", "w") as full:
            proc = subprocess.run([str(BIN), *args], env=env, cwd=str(self.tmp), stdin=subprocess.DEVNULL,
                                  stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
        return proc.returncode, proc.stderr

    def test_output_that_cannot_be_written_is_exit_1_with_a_message(self):
        for args in (["svcprobe", "state", "read", "presets", "--json"], ["--version"], ["svcprobe", "--help"]):
            with self.subTest(args=args):
                code, err = self.run_to_dev_full(*args)
                self.assertEqual(code, 1, err)
                self.assertIn("could not write to standard output", err)
                self.assertIn("No space left on device", err)

    def test_an_unusable_program_named_by_the_variable_is_exit_4_naming_it(self):
        not_executable = self.tmp / "modal.txt"
        not_executable.write_text("#!/bin/sh\n")
        for value in ("/nonexistent", str(self.tmp), str(not_executable)):
            with self.subTest(value=value):
                r = self.probe("modal", "--json", "--", "app", "list", "--json", env={"MGPUX_MODAL": value})
                self.assertExit(r, 4)
                self.assertIn(f"MGPUX_MODAL={value}", r.err)
                r = self.probe("process", "--json", "--", "python3", "-c", "pass", env={"MGPUX_PYTHON": value})
                self.assertExit(r, 4)
                self.assertIn(f"MGPUX_PYTHON={value}", r.err)
        self.assertEqual(self.modal_calls(), [])

    def test_an_unusable_tmpdir_does_not_stop_a_launch(self):
        r = self.probe("run", "--secret-name", "m-gpux-s-t", "--yes", env={"SVCPROBE_SECRET": SECRET,
                                                                          "TMPDIR": "/nonexistent"})
        self.assertExit(r, 0)
        self.assertEqual(len(self.fake.calls_of("run")), 1)

    def test_ctrl_c_while_a_secret_is_created_is_exit_130_and_launches_nothing(self):
        self.fake.set_scenario([{"match": ["secret", "create"], "hang": True}])
        env = dict(self.env)
        env.update(self.fake.env())
        env["SVCPROBE_SECRET"] = SECRET
        proc = subprocess.Popen([str(BIN), "svcprobe", "run", "--secret-name", "m-gpux-s-int", "--yes"], env=env,
                                cwd=str(self.tmp), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            deadline = time.monotonic() + 20
            while not self.fake.calls_of("secret", "create") and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn("interrupted while creating secret m-gpux-s-int", err)
        self.assertEqual(self.fake.calls_of("run"), [])


def rendered_screen(output):
    """The lines a terminal shows after `output`: carriage returns, erase-line (ESC[K),
    cursor-up (ESC[nA) and erase-below (ESC[J) are applied; colours are dropped."""
    import re
    lines, row, col = [""], 0, 0
    for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\r|\n|[^\x1b\r\n]+", output):
        if token == "\r":
            col = 0
        elif token == "\n":
            row += 1
            col = 0
            if row == len(lines):
                lines.append("")
        elif token.startswith("\x1b["):
            if token[-1] == "K":
                lines[row] = lines[row][:col]
            elif token[-1] == "A":
                row = max(0, row - int(token[2:-1] or 1))
            elif token[-1] == "J":
                lines[row] = lines[row][:col]
                del lines[row + 1:]
        else:
            line = lines[row].ljust(col)
            lines[row] = line[:col] + token + line[col + len(token):]
            col += len(token)
    return lines


class SpinnerLineTests(ServiceTestCase):
    """Whatever follows the spinner on a terminal starts on a clean line: text, a prompt,
    a log line, a child's own output."""

    def run_on_pty_or_kill(self, args, keystrokes, timeout=15):
        """run_on_pty, but a child still running at the deadline is killed (a spinner that
        never stops keeps the output from ever going quiet for the keystrokes)."""
        import pty
        import select
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(str(self.tmp))
            env = dict(self.env)
            env.update(self.fake.env())
            os.execve(str(BIN), [str(BIN), *map(str, args)], env)
        output, pending = b"", list(keystrokes)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.3)
            if not ready:
                if pending:
                    os.write(fd, pending.pop(0))
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")

    def spin_then(self, then, keystrokes=()):
        code, out = self.run_on_pty_or_kill(["svcprobe", "spin", then], list(keystrokes))
        self.assertEqual(code, 0, out)
        self.assertIn("spinning along", out)  # it was drawn
        screen = rendered_screen(out)
        self.assertEqual([l for l in screen if "spinning along" in l], [], screen)
        self.assertEqual(screen[-2:], ["done", ""], screen)
        return screen

    def test_text_after_the_spinner(self):
        self.assertIn("next text", self.spin_then("text"))

    def test_a_prompt_after_the_spinner(self):
        screen = self.spin_then("prompt", [b"\r"])
        self.assertTrue(any(l.startswith("Go on?") for l in screen), screen)
        self.assertIn("went on", screen)

    def test_a_log_line_after_the_spinner(self):
        screen = self.spin_then("log")
        self.assertIn("m-gpux: warning: svcprobe: a log line", screen)

    def test_a_child_on_the_terminal_after_the_spinner(self):
        self.assertIn("alice", self.spin_then("modal-inherit"))

    def test_watched_child_output_after_the_spinner(self):
        self.assertIn("child line", self.spin_then("watch"))


class ControlCharactersFromOutsideTests(MgpuxTestCase):
    """Text that came from outside (arguments, state files, profile names, what `modal`
    answers) is shown with its control characters made visible: a terminal never gets a raw
    escape sequence from it. --json documents stay exact."""

    ESC_TITLE = "\x1b]0;pwned\x07"  # sets the terminal's title
    ESC_RED = "\x1b[31m"
    C1_CSI = "\u009b2J"  # the one-character CSI of the C1 set

    def setUp(self):
        super().setUp()
        self.write_two_profiles()

    def assertNoRawControls(self, r):
        for stream, text in (("stdout", r.out), ("stderr", r.err)):
            for bad in ("\x1b", "\x07", "\u009b"):
                self.assertNotIn(bad, text, f"{stream} has a raw {bad!r}:\n{text}")

    def write_state(self, name, doc):
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        path = self.state_dir / name
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
        os.chmod(path, 0o600)

    def test_a_preset_name_and_fields(self):
        name = "box" + self.ESC_RED + "red" + self.C1_CSI
        self.write_state("presets.json", {name: {
            "name": name, "action": "bash", "compute_spec": "cpu=8, memory=4096",
            "compute_label": "CPU" + self.ESC_TITLE, "profile": "work" + self.ESC_RED,
            "exclude_patterns": ["data" + self.ESC_TITLE]}})
        for args in (["preset", "show", name], ["preset", "list"]):
            with self.subTest(args=args):
                r = self.run_mgpux(*args)
                self.assertExit(r, 0)
                self.assertNoRawControls(r)
                self.assertIn("box\\x1b[31mred", r.out)
        r = self.run_mgpux("preset", "show", "nope" + self.ESC_TITLE)
        self.assertExit(r, 2)
        self.assertNoRawControls(r)
        self.assertIn("nope\\x1b]0;pwned\\x07", r.err)
        doc = self.run_mgpux("preset", "show", name, "--json").json()
        self.assertEqual((doc["name"], doc["profile"]), (name, "work" + self.ESC_RED))

    def test_a_profile_name(self):
        evil = "ev" + self.ESC_TITLE + "il"
        self.fake.write_modal_toml(self.toml, {
            "alice": {"token_id": "ak-alice", "token_secret": "as-alice"},
            evil: {"token_id": "ak-evil", "token_secret": "as-evil"},
        }, active="alice")
        for args in (["account", "switch", evil], ["account", "list", "--no-usage"],
                     ["account", "switch", "no" + self.ESC_RED + "body"]):
            with self.subTest(args=args):
                r = self.run_mgpux(*args, "--yes")
                self.assertNoRawControls(r)
                self.assertIn("\\x1b", r.out + r.err)

    def test_a_session_record(self):
        self.write_state("sessions.json", [{
            "id": "sess-0000000a", "kind": "dev", "profile": "alice", "compute": "L4" + self.ESC_RED,
            "app_name": "m-gpux-shell", "description": "Dev" + self.ESC_TITLE, "state": "running",
            "local_dir": "/home/me/pro\x1b[2Jj", "created_at": "2026-05-07T09:41:03+00:00"}])
        for args in (["sessions", "show", "sess-0000000a"], ["sessions", "list"]):
            with self.subTest(args=args):
                r = self.run_mgpux(*args)
                self.assertExit(r, 0)
                self.assertNoRawControls(r)
                self.assertIn("L4\\x1b[31m", r.out)
        doc = self.run_mgpux("sessions", "show", "sess-0000000a", "--json").json()
        self.assertEqual(doc["description"], "Dev" + self.ESC_TITLE)

    def test_an_app_description_from_modal(self):
        self.fake.add_app("m-gpux-shell" + self.ESC_TITLE + "\x1b[2J", state="ephemeral (detached)",
                          workspace="alice")
        r = self.run_mgpux("stop", "--dry-run", "--yes")
        self.assertExit(r, 0)
        self.assertNoRawControls(r)
        self.assertIn("m-gpux-shell\\x1b]0;pwned\\x07\\x1b[2J", r.out + r.err)
        doc = self.run_mgpux("stop", "--dry-run", "--yes", "--json").json()
        self.assertEqual(doc["apps"][0]["description"], "m-gpux-shell" + self.ESC_TITLE + "\x1b[2J")

    def test_our_own_colours_still_work(self):
        r = self.run_mgpux("preset", "show", "nope", "--color", "always")
        self.assertExit(r, 2)
        self.assertIn("\x1b[31mm-gpux: error: \x1b[0m", r.err)


class BillableLaunchNeedsYes(ServiceTestCase):
    """Spending money counts as destructive: without a terminal only --yes launches."""

    def test_no_terminal_without_yes_is_exit_2_naming_yes_and_nothing_is_created(self):
        for extra in ((), ("--no-input",), ("--detach", "--session-kind", "dev")):
            r = self.probe("run", *extra)
            self.assertExit(r, 2)
            self.assertIn("--yes", r.err)
            self.assertIn("billable", r.err)
        self.assertEqual(self.modal_calls(), [])
        self.assertFalse((self.state_dir / "runs").exists())
        self.assertFalse((self.state_dir / "sessions.json").exists())

    def test_json_refusal_reports_the_status(self):
        r = self.probe("run", "--json")
        self.assertExit(r, 2)
        self.assertEqual(self.modal_calls(), [])

    def test_no_input_on_a_terminal_is_refused_too(self):
        code, out = self.run_on_pty(["svcprobe", "run", "--no-input"], [])
        self.assertEqual(code, 2, out)
        self.assertIn("--yes", out)
        self.assertEqual(self.fake.calls_of("run"), [])

    def test_dry_run_and_yes_are_unaffected(self):
        self.assertExit(self.probe("run", "--dry-run"), 0)
        self.assertEqual(self.modal_calls(), [])
        self.assertExit(self.probe("run", "--mode", "deploy", "--yes"), 0)
        self.assertEqual(len(self.fake.calls_of("deploy")), 1)


class RunnerReviewOnTerminal(ServiceTestCase):
    """The review prompt on a real pseudo-terminal: edit, view, cancel."""

    DOWN = b"\x1b[B"

    def test_edit_with_a_multi_word_editor_then_run(self):
        editor = self.tmp / "my editor.sh"
        editor.write_text("#!/bin/sh\n[ \"$1\" = --flag ] || exit 9\nprintf '# edited by %s\\n' \"$1\" >> \"$2\"\n")
        editor.chmod(0o755)
        self.env["EDITOR"] = f"'{editor}' --flag"
        code, out = self.run_on_pty(["svcprobe", "run"], [self.DOWN, self.DOWN, b"\r", b"\r"])
        self.assertEqual(code, 0, out)
        runs = self.fake.calls_of("run")
        self.assertEqual(len(runs), 1, out)
        with open(runs[0]["script"]["copy"], encoding="utf-8") as f:
            self.assertIn("# edited by --flag", f.read())

    def test_view_then_cancel_runs_nothing(self):
        code, out = self.run_on_pty(["svcprobe", "run"], [self.DOWN, b"\r", self.DOWN, self.DOWN, self.DOWN, b"\r"])
        self.assertEqual(code, 130, out)
        self.assertIn('MESSAGE = "hello"', out)  # the script was shown
        self.assertIn("cancelled", out)
        self.assertEqual(self.fake.calls_of("run"), [])
        scripts = list((self.state_dir / "runs").glob("*/modal_runner.py"))
        self.assertEqual(len(scripts), 1)  # kept, as the message says

    def test_stop_question_after_ctrl_c_stops_by_id(self):
        self.fake.set_scenario([{"match": ["run"], "hang": True,
                                 "container_output": ["[m-gpux] READY https://probe-3.modal.host"]}])
        code, out = self.run_on_pty(["svcprobe", "run", "--detach", "--session-kind", "dev"],
                                    [b"\r", b"\x03", b"y\r"], timeout=30)
        self.assertEqual(code, 0, out)
        stops = self.fake.calls_of("app", "stop")
        self.assertEqual(len(stops), 1, out)
        app_id = self.fake.apps()[0]["app_id"]
        self.assertEqual(stops[0]["argv"][-1], app_id)
        self.assertIn("--yes", stops[0]["argv"])
        self.assertEqual(self.fake.app(app_id)["state"], "stopped")
        self.assertEqual(json.loads((self.state_dir / "sessions.json").read_text())[0]["state"], "stopped")


class ModalServiceTests(ServiceTestCase):
    def test_app_stop_by_id_always_has_yes(self):
        app_id = self.fake.add_app("m-gpux-shell", state="ephemeral (detached)", workspace="alice")
        r = self.probe_json("stop", app_id)
        self.assertEqual(r["exit_code"], 0)
        call = self.fake.calls_of("app", "stop")[0]
        self.assertIn("--yes", call["argv"])
        self.assertIn(app_id, call["argv"])
        self.assertEqual(self.fake.app(app_id)["state"], "stopped")
        # through the generic call too
        other = self.fake.add_app("m-gpux-jupyter", state="ephemeral (detached)", workspace="alice")
        self.probe_json("modal", "--", "app", "stop", other)
        self.assertIn("--yes", self.fake.calls_of("app", "stop")[1]["argv"])

    def test_call_many_runs_different_calls_concurrently(self):
        a = self.fake.add_app("m-gpux-shell", state="ephemeral (detached)", workspace="alice")
        b = self.fake.add_app("m-gpux-jupyter", state="ephemeral (detached)", workspace="work")
        self.fake.set_scenario([{"match": ["app", "stop"], "delay_s": 1.0}])
        requests = [{"args": ["app", "stop", a], "profile": "alice"},
                    {"args": ["app", "stop", "ap-" + "z" * 22], "profile": "alice"},
                    {"args": ["app", "stop", b], "profile": "work"}]
        start = time.monotonic()
        rows = self.probe_json("many", json.dumps(requests))
        self.assertLess(time.monotonic() - start, 2.8)
        self.assertEqual([r["ok"] for r in rows], [True, False, True])
        self.assertEqual([r["profile"] for r in rows], ["alice", "alice", "work"])
        self.assertEqual(self.fake.app(a)["state"], "stopped")
        self.assertEqual(self.fake.app(b)["state"], "stopped")
        for call in self.fake.calls_of("app", "stop"):
            self.assertIn("--yes", call["argv"])
        bad = self.probe("many", "--json", json.dumps([{"args": ["app", "list"], "profile": "ghost"}]))
        self.assertExit(bad, 2)

    def test_modal_requests_are_read_strictly(self):
        # A member of the wrong type is refused by name before anything runs, rather than
        # dropped (a profile of 7 used to run the call under the default profile).
        for request, member in (({"args": ["app", "list"], "profile": 7}, '"profile"'),
                                ({"args": ["app", "list"], "timeout_s": "60"}, '"timeout_s"'),
                                ({"profile": "alice"}, '"args"')):
            r = self.probe("many", "--json", json.dumps([request]))
            self.assertExit(r, 2)
            self.assertIn(member, r.err)
        self.assertEqual(self.fake.calls_of("app", "list"), [])

    def test_failed_stop_reports_code_and_stderr(self):
        r = self.probe("stop", "ap-" + "a" * 22, "--json")
        self.assertExit(r, 1)
        self.assertIn("modal app stop", r.err)
        self.assertIn("exit 1", r.err)

    def test_app_list_keys_normalised_for_both_spellings(self):
        app_id = self.fake.add_app("m-gpux-jupyter", state="ephemeral (detached)", workspace="alice")
        for version in ("1.5.4", "1.4.2"):
            r = self.probe_json("modal", "--", "app", "list", "--json", env={"FAKE_MODAL_VERSION": version})
            rows = r["json"]
            self.assertEqual([(x["app_id"], x["state"]) for x in rows], [(app_id, "ephemeral (detached)")], version)

    def test_malformed_json_is_a_failure(self):
        self.fake.set_scenario([{"match": ["app", "list"], "stdout": "[{not json", "exit": 0}])
        r = self.probe("modal", "--", "app", "list", "--json")
        self.assertExit(r, 1)
        self.assertIn("not JSON", r.err)

    def test_timeout_kills_the_call(self):
        self.fake.set_scenario([{"match": ["app", "list"], "hang": True}])
        start = time.monotonic()
        r = self.probe("modal", "--timeout", "1", "--", "app", "list", "--json")
        self.assertExit(r, 1)
        self.assertIn("timed out", r.err)
        self.assertLess(time.monotonic() - start, 15)

    def test_try_call_returns_a_failure_instead_of_failing(self):
        self.fake.set_scenario([{"match": ["app", "list"], "exit": 1, "stderr": "Error: quota\n"}])
        r = self.probe_json("modal", "--try", "--", "app", "list", "--json")
        self.assertFalse(r["ok"])
        self.assertEqual(r["exit_code"], 1)
        self.assertIn("quota", r["error"])

    def test_volume_get_writes_nothing_under_dry_run(self):
        r = self.probe("modal", "--dry-run", "--json", "--", "volume", "get", "vol", "/", str(self.tmp / "out"))
        self.assertExit(r, 0)
        self.assertEqual(self.fake.calls_of("volume"), [])
        self.assertFalse((self.tmp / "out").exists())

    def test_secret_values_refused_on_argv(self):
        r = self.probe("modal", "--", "secret", "create", "x", "TOKEN=abc")
        self.assertExit(r, 2)
        self.assertEqual(self.fake.calls_of("secret"), [])

    def test_secret_create_and_delete(self):
        self.probe_json("secret", "creds", env={"SVCPROBE_SECRET": SECRET})
        self.assertIn("creds", [s["name"] for s in self.fake.secrets()])
        self.probe_json("secret", "creds", "--delete")
        argv = self.fake.calls_of("secret", "delete")[0]["argv"]
        self.assertIn("--yes", argv)
        self.assertNotIn("creds", [s["name"] for s in self.fake.secrets()])
        self.assertNotIn("s3cr3t", (self.fake.home / "calls.jsonl").read_text())

    def test_fan_out_runs_every_profile_concurrently_in_order(self):
        self.fake.write_modal_toml(self.toml, {
            name: {"token_id": f"ak-{name}", "token_secret": f"as-{name}"} for name in ("p1", "p2", "p3", "p4")
        }, active="p1")
        self.fake.set_scenario([
            {"match": ["app", "list"], "env": {"MODAL_PROFILE": "p3"}, "exit": 1, "stderr": "Error: denied"},
            {"match": ["app", "list"], "delay_s": 1.5},
        ])
        start = time.monotonic()
        rows = self.probe_json("fanout", "--", "app", "list", "--json")
        elapsed = time.monotonic() - start
        self.assertEqual([r["profile"] for r in rows], ["p1", "p2", "p3", "p4"])
        self.assertEqual([r["ok"] for r in rows], [True, True, False, True])
        self.assertIn("denied", rows[2]["error"])
        self.assertEqual(rows[0]["json"], [])
        self.assertLess(elapsed, 4.4, "three 1.5 s calls ran one after another")
        pinned = sorted(c["env"]["MODAL_PROFILE"] for c in self.fake.calls_of("app", "list"))
        self.assertEqual(pinned, ["p1", "p2", "p3", "p4"])


class ChildOutputMemoryTests(ServiceTestCase):
    """A chatty child is streamed: m-gpux keeps bounded tails of its output, and
    captured output that must be parsed has a cap, so memory never follows the
    size of what a child prints."""

    MIB = 1 << 20

    def run_measured(self, *args):
        """Runs m-gpux under /usr/bin/time with stdout to /dev/null; returns (exit code, the end of
        its stderr, peak RSS in MiB of m-gpux and the children it waited for). /usr/bin/time, not
        this process, starts it: a child inherits the peak of the process that forked it."""
        env = dict(self.env)
        env.update(self.fake.env())
        err_path, time_path = self.tmp / "stderr.txt", self.tmp / "time.txt"
        with open(err_path, "wb") as err:
            code = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(time_path), str(BIN), *map(str, args)],
                                  env=env, cwd=str(self.tmp), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=err, timeout=300).returncode
        with open(err_path, "rb") as f:
            f.seek(max(0, err_path.stat().st_size - 65536))
            tail = f.read().decode(errors="replace")
        peak_kib = int(time_path.read_text().split()[-1])
        return code, tail, peak_kib / 1024

    def test_an_attached_run_printing_200_mb_is_streamed(self):
        self.fake.set_scenario([{"match": ["run"], "flood_stdout": 200 * 1000 * 1000}])
        code, err, peak = self.run_measured("svcprobe", "run", "--yes")
        self.assertEqual(code, 0, err[-2000:])
        self.assertLess(peak, 64, f"peak RSS {peak:.0f} MiB")

    def test_a_failing_run_keeps_only_the_tail_of_its_stderr(self):
        self.fake.set_scenario([{"match": ["run"], "flood_stderr": 200 * 1000 * 1000,
                                 "stderr": "Error: the last words\n", "exit": 1}])
        code, err, peak = self.run_measured("svcprobe", "run", "--yes")
        self.assertEqual(code, 1, err[-2000:])
        self.assertIn("the last words", err)
        self.assertLess(peak, 64, f"peak RSS {peak:.0f} MiB")

    def test_an_endless_line_is_handed_on_in_pieces(self):
        self.fake.set_scenario([{"match": ["run"], "flood_stdout": 100 * 1000 * 1000, "flood_newlines": False}])
        code, err, peak = self.run_measured("svcprobe", "run", "--yes")
        self.assertEqual(code, 0, err[-2000:])
        self.assertLess(peak, 64, f"peak RSS {peak:.0f} MiB")

    def test_parsed_output_over_the_cap_fails_clearly(self):
        self.fake.set_scenario([{"match": ["app", "list"], "flood_stdout": 200 * 1000 * 1000}])
        code, err, peak = self.run_measured("svcprobe", "modal", "--json", "--", "app", "list", "--json")
        self.assertEqual(code, 1, err[-2000:])
        self.assertIn("`modal app list` printed more than 64 MiB", err)
        # the cap, not the 190 MiB the child printed, bounds what is held
        self.assertLess(peak, 150, f"peak RSS {peak:.0f} MiB")


class ProcessServiceTests(ServiceTestCase):
    def test_capture_env_and_exit_code(self):
        r = self.probe_json("process", "--", "python3", "-c",
                            "import os,sys; print(os.environ['PYTHONUTF8'], os.environ['PYTHONIOENCODING']); sys.exit(3)")
        self.assertEqual((r["exit_code"], r["stdout"]), (3, "1 utf-8\n"))

    def test_timeout_kills_process_group(self):
        start = time.monotonic()
        r = self.probe_json("process", "--timeout", "1", "--", "sh", "-c", "sleep 30 & sleep 30")
        self.assertTrue(r["timed_out"])
        self.assertLess(time.monotonic() - start, 10)

    def test_sigint_from_kill_reaches_an_inheriting_child(self):
        # No terminal here: a SIGINT sent to m-gpux (by a script, a supervisor) must reach a child
        # that shares its output, which no Ctrl-C on a terminal would have reached.
        ready, got = self.tmp / "ready", self.tmp / "got-int"
        script = ("trap 'echo int > %s; exit 7' INT; echo up > %s; while :; do sleep 0.05; done" % (got, ready))
        env = dict(self.env)
        env.update(self.fake.env())
        proc = subprocess.Popen([str(BIN), "svcprobe", "process", "--inherit", "--json", "--", "sh", "-c", script],
                                env=env, cwd=str(self.tmp), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            deadline = time.monotonic() + 20
            while not ready.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertTrue(ready.exists(), "the child never started")
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.assertTrue(got.exists(), "the child did not get the SIGINT: " + err)
        doc = json.loads(out)
        self.assertEqual(doc["exit_code"], 7)

    def test_read_stdin(self):
        self.assertEqual(self.probe_json("stdin", stdin_text="modal token set --token-id a\n"),
                         "modal token set --token-id a")
        self.assertEqual(self.probe_json("stdin"), "")  # /dev/null
        code, out = self.run_on_pty(["svcprobe", "stdin", "--json"], [])
        self.assertEqual(code, 2, out)
        self.assertIn("terminal", out)

    def test_python_override_and_missing_program(self):
        r = self.probe("process", "--", "no-such-program-xyz", "--json")
        self.assertExit(r, 4)
        r = self.probe_json("process", "--", "python3", "-c", "import sys; print(sys.executable)",
                            env={"MGPUX_PYTHON": "/usr/bin/python3"})
        self.assertEqual(r["stdout"].strip(), "/usr/bin/python3")


class ProfilesServiceTests(ServiceTestCase):
    def test_add_switch_remove_keep_other_bytes(self):
        original = "# my accounts\n" + self.toml.read_text() + "\n[other]\nserver_url = \"https://x\"  # keep\n"
        self.toml.write_text(original)
        self.probe_json("profiles", "add", "new", "--token-id", "ak-new", env={"SVCPROBE_SECRET": "as-new"})
        text = self.toml.read_text()
        self.assertTrue(text.startswith(original), text)
        self.assertEqual(stat.S_IMODE(self.toml.stat().st_mode), 0o600)
        listed = self.probe_json("profiles", "list")
        self.assertEqual([p["name"] for p in listed["profiles"]], ["alice", "work", "other", "new"])
        self.assertNotIn("as-new", json.dumps(listed))
        self.probe_json("profiles", "switch", "work")
        self.assertEqual(self.probe_json("profiles", "list")["active"], "work")
        self.assertIn("# my accounts\n", self.toml.read_text())
        self.assertEqual(self.probe_json("profiles", "remove", "work"), "alice")
        self.assertEqual(self.probe_json("profiles", "list")["active"], "alice")

    def test_paste_and_resolve(self):
        r = self.probe_json("profiles", "paste", "modal token set --token-id ak-1 --token-secret as-2 --profile=w")
        self.assertEqual(r, {"token_id": "ak-1", "token_secret": "as-2", "profile": "w"})
        self.assertIsNone(self.probe_json("profiles", "paste", "hello"))
        self.assertEqual(self.probe_json("profiles", "resolve"), "alice")
        self.assertEqual(self.probe_json("profiles", "resolve", "--profile", "work"), "work")
        self.assertExit(self.probe("profiles", "resolve", "ghost", "--json"), 2)

    def test_broken_toml_is_exit_3_and_untouched(self):
        self.toml.write_bytes(b"[alice\ntoken_id = 1\n")
        r = self.probe("profiles", "add", "x", "--token-id", "ak", env={"SVCPROBE_SECRET": "as"})
        self.assertExit(r, 3)
        self.assertIn(str(self.toml), r.err)
        self.assertEqual(self.toml.read_bytes(), b"[alice\ntoken_id = 1\n")

    def test_dry_run_writes_no_profile(self):
        before = self.toml.read_bytes()
        self.assertExit(self.probe("profiles", "add", "x", "--token-id", "ak", "--dry-run",
                                   env={"SVCPROBE_SECRET": "as"}), 0)
        self.assertEqual(self.toml.read_bytes(), before)


class StateServiceTests(ServiceTestCase):
    def test_session_round_trip_and_modes(self):
        saved = self.probe_json("state", "session-save", "-", '{"kind": "bash", "app_name": "m-gpux-shell", "x": 1}')
        self.assertTrue(saved["id"].startswith("sess-"))
        self.assertEqual(self.probe_json("state", "session-get", "m-gpux-shell")["id"], saved["id"])
        self.assertEqual(stat.S_IMODE(self.state_dir.stat().st_mode), 0o700)
        self.assertEqual(stat.S_IMODE((self.state_dir / "sessions.json").stat().st_mode), 0o600)
        self.assertEqual(self.probe_json("state", "session-forget", "m-gpux-shell"), 1)

    def test_session_members_of_the_wrong_type_are_refused_by_name(self):
        # The host reads a session (and an update) with the SDK's SessionRecord: a member the
        # record names must have its type, and nothing is written when one does not.
        r = self.probe("state", "session-save", "-", '{"kind": "bash", "app_id": 5}', "--json")
        self.assertExit(r, 2)
        self.assertIn('session: "app_id" must be a string', r.err)
        self.assertFalse((self.state_dir / "sessions.json").exists())
        saved = self.probe_json("state", "session-save", "-", '{"kind": "bash", "app_name": "a", "preset": null}')
        self.assertIsNone(saved["preset"])  # a member given as null stays null
        before = (self.state_dir / "sessions.json").read_bytes()
        r = self.probe("state", "session-update", saved["id"], '{"state": ["stopped"]}', "--json")
        self.assertExit(r, 2)
        self.assertIn('session: "state" must be a string', r.err)
        self.assertEqual((self.state_dir / "sessions.json").read_bytes(), before)
        updated = self.probe_json("state", "session-update", saved["id"], '{"state": "stopped", "note": 1}')
        self.assertEqual((updated["state"], updated["note"], updated["kind"]), ("stopped", 1, "bash"))

    def test_corrupt_file_exit_3_byte_identical(self):
        self.state_dir.mkdir(mode=0o700)
        bad = b'[{"id": "sess-1", oops}]\n'
        (self.state_dir / "sessions.json").write_bytes(bad)
        r = self.probe("state", "session-save", "-", '{"kind": "bash"}', "--json")
        self.assertExit(r, 3)
        self.assertIn("sessions.json", r.err)
        self.assertIn("byte", r.err)
        self.assertEqual((self.state_dir / "sessions.json").read_bytes(), bad)

    def test_original_preset_is_read_as_fields_and_refused_when_code(self):
        self.state_dir.mkdir(mode=0o700)
        (self.state_dir / "presets.json").write_text(json.dumps({
            "rl": {"action": "dev", "compute_label": "A100", "compute_spec": "gpu=\"A100\"", "name": "rl",
                   "pip_section": ".pip_install('torch', 'numpy')", "profile": "alice"},
            "evil": {"action": "bash", "compute_spec": "gpu=__import__('os').system('x')", "name": "evil",
                     "pip_section": ""},
        }))
        p = self.probe_json("state", "preset-get", "rl")
        self.assertEqual((p["gpu"], p["pip_packages"]), ("A100", ["torch", "numpy"]))
        r = self.probe("state", "preset-get", "evil", "--json")
        self.assertExit(r, 3)
        self.assertIn("evil", r.err)

    def test_dry_run_preset_save_is_checked_like_a_real_one(self):
        r = self.probe("state", "preset-save", "p", '{"action": "bash", "pip_packages": ["-e ."]}', "--dry-run", "--json")
        self.assertExit(r, 2)
        self.assertFalse((self.state_dir / "presets.json").exists())
        ok = self.probe_json("state", "preset-save", "p", '{"action": "bash", "gpu": "A100"}', "--dry-run")
        self.assertEqual(ok["compute_spec"], 'gpu="A100"')
        self.assertFalse((self.state_dir / "presets.json").exists())

    def test_generic_modify_appends(self):
        self.probe_json("state", "append", "notes", '{"a": 1}')
        doc = self.probe_json("state", "append", "notes", '{"b": 2}')
        self.assertEqual(doc, [{"a": 1}, {"b": 2}])
        self.assertExit(self.probe("state", "read", "../etc", "--json"), 2)

    def test_dry_run_modify_returns_what_the_file_would_hold_and_writes_nothing(self):
        self.probe_json("state", "append", "notes", '{"a": 1}')
        before = (self.state_dir / "notes.json").read_bytes()
        r = self.probe("state", "append", "notes", '{"b": 2}', "--dry-run", "--json")
        self.assertExit(r, 0)
        self.assertEqual(r.json(), [{"a": 1}, {"b": 2}])
        self.assertIn("notes.json not changed", r.err)
        self.assertEqual((self.state_dir / "notes.json").read_bytes(), before)

    def test_thirty_concurrent_writers(self):
        procs = [subprocess.Popen([str(BIN), "svcprobe", "state", "append", "notes", json.dumps({"n": i}), "--json"],
                                  env={**self.env, **self.fake.env()}, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
                 for i in range(30)]
        for p in procs:
            err = p.communicate(timeout=60)[1]
            self.assertEqual(p.returncode, 0, err)
        doc = json.loads((self.state_dir / "notes.json").read_text())
        self.assertEqual(sorted(x["n"] for x in doc), list(range(30)))


class DestructiveQuestionTests(ServiceTestCase):
    def test_destructive_free_text_needs_yes_without_a_terminal(self):
        r = self.probe("ask-destructive", "--json")
        self.assertExit(r, 2)
        self.assertIn("--app", r.err)
        self.assertEqual(self.probe_json("ask-destructive", "--yes"), "all")
        code, out = self.run_on_pty(["svcprobe", "ask-destructive", "--json"], [b"1,2\r"])
        self.assertEqual(code, 0, out)
        self.assertIn('"1,2"', out)


class RenderTests(ServiceTestCase):
    def test_render_an_installed_template_with_literals(self):
        r = self.probe("render", "load/probe.py", json.dumps({
            "mgpux_version": "0", "template": "load/probe.py", "app_name": "m-gpux-load-monitor",
            "python_version": "3.12", "gpu": None, "cpu": {"cores": 2, "memory_mb": 1024}, "timeout_s": 120,
            "base_image": None}))
        self.assertExit(r, 0)
        tree = ast.parse(r.out)
        self.assertIn('modal.App("m-gpux-load-monitor")', r.out)
        self.assertTrue(tree.body)
        r = self.probe("render", "load/probe.py", "{}")
        self.assertExit(r, 1)
        self.assertIn("load/probe.py", r.err)


class HttpServiceTests(ServiceTestCase):
    def setUp(self):
        super().setUp()
        self.upstream = subprocess.Popen(["/usr/bin/python3", str(SOURCE_DIR / "tests" / "support" / "fake_upstream.py"), "--port", "0"],
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.upstream.stdout.readline()
        self.assertTrue(line.startswith("READY "), line)
        self.port = int(line.split()[1])

    def tearDown(self):
        self.upstream.kill()
        self.upstream.wait()
        self.upstream.stdout.close()
        super().tearDown()

    def http(self, request, code=0):
        r = self.probe("http", "--json", json.dumps(request))
        self.assertExit(r, code)
        return r.json() if code == 0 else r

    def test_request_with_headers_body_and_query(self):
        doc = self.http({"method": "POST", "url": f"http://127.0.0.1:{self.port}/v1/echo/x?a=1&b=%C3%A9",
                         "headers": {"Authorization": "Bearer sk-test", "Content-Type": "application/json"},
                         "body": '{"q": "\u00e9"}'})
        self.assertEqual(doc["status"], 200)
        echo = json.loads(doc["body"])
        self.assertEqual((echo["method"], echo["path"]), ("POST", "/v1/echo/x"))
        self.assertIn("a=1", echo["query"])
        self.assertEqual(json.loads(echo["body"]), {"q": "é"})
        headers = {k.lower(): v for k, v in echo["headers"].items()} if isinstance(echo["headers"], dict) else \
            {k.lower(): v for k, v in echo["headers"]}
        self.assertEqual(headers["authorization"], "Bearer sk-test")
        self.assertIn("m-gpux/", headers["user-agent"])
        self.assertIn("content-type", doc["headers"])
        timing = doc["timing"]
        self.assertLessEqual(timing["first_byte_s"], timing["total_s"])

    def test_an_http_error_status_is_a_result(self):
        doc = self.http({"url": f"http://127.0.0.1:{self.port}/v1/status/503"})
        self.assertEqual(doc["status"], 503)
        self.assertEqual(doc["headers"].get("x-fake"), "yes")

    def test_transport_failure_and_bad_requests(self):
        self.upstream.kill()
        self.upstream.wait()
        r = self.http({"url": f"http://127.0.0.1:{self.port}/v1/models?key=sk-secret-in-query"}, code=1)
        self.assertIn(f"http://127.0.0.1:{self.port}/v1/models", r.err)
        self.assertNotIn("sk-secret-in-query", r.err)
        # the plugin sees the host's message in the Error it catches (mgpux_host.last_error)
        r = self.run_mgpux("svcprobe", "http", "--catch", "--json",
                           json.dumps({"url": f"http://127.0.0.1:{self.port}/v1/models?key=sk-secret-in-query"}))
        self.assertExit(r, 0)
        self.assertEqual(r.json()["caught"], 1)
        self.assertIn(f"GET http://127.0.0.1:{self.port}/v1/models failed: ", r.json()["message"])
        self.assertNotIn("sk-secret-in-query", r.out)
        self.http({"url": "file:///etc/passwd"}, code=2)
        self.http({"url": "http://x", "headers": {"X": "a\r\nInjected: 1"}}, code=2)


class GroupHeadingTests(ServiceTestCase):
    def test_group_heading_shows_its_help_and_is_never_run(self):
        for args in (["svcprobe"], ["svcprobe", "--help"]):
            r = self.run_mgpux(*args)
            self.assertExit(r, 0)
            self.assertIn("Example:\n  m-gpux svcprobe catalog gpu H100:4", r.out)
            self.assertIn("catalog", r.out)  # the subcommands are listed
        r = self.run_mgpux("svcprobe", "--json")
        self.assertExit(r, 2)
        self.assertIn("needs a subcommand", r.err)


class CatalogServiceTests(ServiceTestCase):
    def test_catalog(self):
        cat = self.probe_json("catalog", "all")
        self.assertEqual(cat["default_gpu"], "L4")
        self.assertEqual(len(cat["gpus"]), 14)
        self.assertEqual(self.probe_json("catalog", "gpu", "A10G")["name"], "A10")
        self.assertEqual(self.probe_json("catalog", "gpu", "h100:4")["spec"], "H100:4")
        self.assertExit(self.probe("catalog", "gpu", "A10:5", "--json"), 2)
        self.assertEqual(self.probe_json("catalog", "cpu", "8")["memory_mb"], 4096)
        self.assertEqual(self.probe_json("catalog", "python", "3.13"), "3.13")
        self.assertExit(self.probe("catalog", "python", "3.9", "--json"), 2)


if __name__ == "__main__":
    main()
