# SPDX-License-Identifier: MIT
"""`m-gpux sessions` end to end against the fake modal.

Sessions are written the way the runner (and the Python tool before it)
writes them; tests assert on the fake's call log (argv by app id, the
MODAL_PROFILE each call was pinned to), on sessions.json afterwards, on
files pulled, on exit codes and on --json documents."""
import json
import time
import os
import stat

from harness import FAKES_DIR, MgpuxTestCase, main

SECRETS = ("as-alice", "as-work")


def session(sid, profile="alice", app_id=None, state="running", **extra):
    s = {"id": sid, "kind": "dev", "profile": profile, "compute": "L4",
         "workspace_volume": "m-gpux-workspace-proj-421a2c433a", "local_dir": "/home/me/proj",
         "app_name": "m-gpux-shell", "preset": None, "description": "Dev Container on L4", "state": state,
         "created_at": "2026-05-07T09:41:03+00:00", "updated_at": "2026-05-07T09:41:03+00:00"}
    if app_id:
        s.update(app_id=app_id, backend="modal", run_id="r1", script_path="/x/modal_runner.py")
    s.update(extra)
    return s


class SessionsTestCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()
        self.path = self.state_dir / "sessions.json"

    def write_sessions(self, sessions):
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        self.path.write_text(json.dumps(sessions, indent=2, sort_keys=True) + "\n")
        os.chmod(self.path, 0o600)

    def sessions(self):
        return json.loads(self.path.read_text())

    def by_id(self):
        return {s["id"]: s for s in self.sessions()}

    def sess(self, *args, **kw):
        return self.run_mgpux("sessions", *args, **kw)

    def sess_json(self, *args, code=0, **kw):
        r = self.sess(args[0], "--json", *args[1:], **kw)
        self.assertExit(r, code)
        return r.json()

    def add(self, description="m-gpux-shell", state="ephemeral (detached)", workspace="alice", **kw):
        return self.fake.add_app(description, state=state, workspace=workspace, **kw)

    def assertNoSecretsLogged(self):
        log_path = self.fake.home / "calls.jsonl"
        log = log_path.read_text() if log_path.exists() else ""
        for secret in SECRETS:
            self.assertNotIn(secret, log)


class ListTests(SessionsTestCase):
    def test_no_sessions(self):
        r = self.sess("list")
        self.assertExit(r, 0)
        self.assertIn("No tracked sessions yet.", r.out + r.err)
        self.assertEqual(self.sess_json("list"), {"sessions": []})
        self.assertEqual(self.modal_calls(), [])

    def test_table_and_json_are_local_only(self):
        self.write_sessions([session("sess-00000001", app_id="ap-Ab12Cd34Ef56Gh78Ij90Kl"),
                             session("sess-00000002", profile="", state=None)])
        r = self.sess("list")
        self.assertExit(r, 0)
        for text in ("Tracked m-gpux sessions", "sess-00000001", "ap-Ab12Cd34Ef56Gh78Ij90Kl", "2026-05-07 09:41",
                     "m-gpux-shell (by name)", "unknown"):
            self.assertIn(text, r.out)
        doc = self.sess_json("list")["sessions"]
        self.assertEqual([s["id"] for s in doc], ["sess-00000001", "sess-00000002"])
        self.assertEqual(doc[0]["workspace_volume"], "m-gpux-workspace-proj-421a2c433a")
        self.assertEqual(self.modal_calls(), [])

    def test_refresh_reconciles_by_app_id_per_profile(self):
        live = self.add(workspace="alice")
        stopped = self.add(state="stopped", workspace="alice")
        gone = "ap-Gone0000000000000000001"
        work_live = self.add("m-gpux-jupyter", workspace="work")
        self.write_sessions([
            session("sess-0000000a", app_id=live, state="stopped"),
            session("sess-0000000b", app_id=stopped),
            session("sess-0000000c", app_id=gone),
            session("sess-0000000d", profile="work", app_id=work_live),
            session("sess-0000000e", app_name="m-gpux-vllm"),       # the Python tool's: by name only
            session("sess-0000000f", app_id=gone, state="failed"),  # failed stays failed
        ])
        doc = self.sess_json("list", "--refresh")["sessions"]
        states = {s["id"]: s["state"] for s in doc}
        self.assertEqual(states, {"sess-0000000a": "running", "sess-0000000b": "stopped",
                                  "sess-0000000c": "stopped", "sess-0000000d": "running",
                                  "sess-0000000e": "stopped", "sess-0000000f": "failed"})
        self.assertEqual({s["id"]: s["state"] for s in self.sessions()}, states)
        lists = self.fake.calls_of("app", "list")
        self.assertEqual(sorted(c["env"]["MODAL_PROFILE"] for c in lists), ["alice", "work"])
        for c in lists:
            self.assertEqual(c["argv"], ["app", "list", "--json"])
        self.assertNotEqual(self.by_id()["sess-0000000a"]["updated_at"], "2026-05-07T09:41:03+00:00")
        self.assertEqual(self.by_id()["sess-0000000d"]["updated_at"], "2026-05-07T09:41:03+00:00")
        self.assertEqual(stat.S_IMODE(self.path.stat().st_mode), 0o600)
        self.assertNoSecretsLogged()

    def test_refresh_leaves_the_other_backends_sessions_alone(self):
        live = self.add(workspace="alice")
        local_id = "ap-localabcdefghijklmnopq"
        self.write_sessions([
            session("sess-0000000a", app_id=live, state="stopped"),
            session("sess-0000000b", profile="", app_id=local_id, backend="local"),
        ])
        states = {s["id"]: s["state"] for s in self.sess_json("list", "--refresh")["sessions"]}
        # Modal does not list the local app: that says nothing about it.
        self.assertEqual(states, {"sess-0000000a": "running", "sess-0000000b": "running"})
        # The local backend lists its own apps (none here: the local app has ended).
        doc = self.sess_json("list", "--refresh", env={"MGPUX_BACKEND": "local"})
        states = {s["id"]: s["state"] for s in doc["sessions"]}
        self.assertEqual(states, {"sess-0000000a": "running", "sess-0000000b": "stopped"})
        self.assertEqual(len(self.fake.calls_of("app", "list")), 1)  # alice, once; none for the local refresh

    def test_refresh_with_a_failing_profile_keeps_its_sessions(self):
        self.fake.set_scenario([{"match": ["app", "list"], "env": {"MODAL_PROFILE": "work"},
                                 "exit": 1, "stderr": "Error: token expired\n"}])
        self.write_sessions([session("sess-0000000a", app_id="ap-Gone0000000000000000001"),
                             session("sess-0000000b", profile="work", app_id="ap-Gone0000000000000000002")])
        r = self.sess("list", "--refresh", "--json")
        self.assertExit(r, 0)
        self.assertIn("token expired", r.err)
        self.assertEqual({s["id"]: s["state"] for s in self.sessions()},
                         {"sess-0000000a": "stopped", "sess-0000000b": "running"})

    def test_refresh_skips_profiles_that_left_the_config_file(self):
        self.write_sessions([session("sess-0000000a", profile="gone", app_id="ap-Gone0000000000000000001")])
        r = self.sess("list", "--refresh")
        self.assertExit(r, 0)
        self.assertIn("Profile 'gone' is not in the Modal config file", r.err)
        self.assertEqual(self.modal_calls(), [])
        self.assertEqual(self.sessions()[0]["state"], "running")

    def test_refresh_dry_run_shows_but_writes_nothing(self):
        self.write_sessions([session("sess-0000000a", app_id="ap-Gone0000000000000000001")])
        before = self.path.read_bytes()
        doc = self.sess_json("list", "--refresh", "--dry-run")
        self.assertEqual(doc["sessions"][0]["state"], "stopped")
        self.assertEqual(self.path.read_bytes(), before)

    def test_refresh_errors(self):
        self.write_sessions([session("sess-0000000a", app_id="ap-Gone0000000000000000001")])
        self.assertExit(self.sess("list", "--refresh", "--profile", "nobody"), 2)
        self.assertExit(self.sess("list", "--refresh", env={"PATH": "/usr/bin:/bin"}), 4)
        self.fake.set_scenario([{"match": ["app", "list"], "exit": 1, "stderr": "Error: offline\n"}])
        r = self.sess("list", "--refresh")
        self.assertExit(r, 1)
        self.assertIn("nothing was refreshed", r.err)
        self.assertEqual(self.sessions()[0]["state"], "running")


class ShowAndForgetTests(SessionsTestCase):
    def test_show_by_id_app_id_and_app_name(self):
        self.write_sessions([session("sess-0000000a", app_id="ap-Ab12Cd34Ef56Gh78Ij90Kl", url="https://x.modal.host")])
        for ref in ("sess-0000000a", "ap-Ab12Cd34Ef56Gh78Ij90Kl", "m-gpux-shell"):
            doc = self.sess_json("show", ref)
            self.assertEqual(doc["id"], "sess-0000000a")
        r = self.sess("show", "sess-0000000a")
        self.assertExit(r, 0)
        lines = [line.split() for line in r.out.splitlines() if line.strip()]
        self.assertEqual([l[0] for l in lines], sorted(l[0] for l in lines))
        self.assertIn(["url", "https://x.modal.host"], lines)
        self.assertIn(["preset", "-"], lines)

    def test_unknown_session_is_exit_2_with_a_hint(self):
        self.write_sessions([session("sess-0000000a")])
        for cmd in ("show", "logs", "open", "pull", "stop", "forget"):
            r = self.sess(cmd, "sess-nope")
            self.assertExit(r, 2)
            self.assertIn("sessions list", r.err)
        self.assertEqual(self.modal_calls(), [])

    def test_forget_removes_every_match(self):
        self.write_sessions([session("sess-0000000a"), session("sess-0000000b"),
                             session("sess-0000000c", app_name="m-gpux-jupyter")])
        doc = self.sess_json("forget", "m-gpux-shell")
        self.assertEqual(doc["forgotten"], 2)
        self.assertEqual([s["id"] for s in self.sessions()], ["sess-0000000c"])
        r = self.sess("forget", "sess-0000000c")
        self.assertExit(r, 0)
        self.assertIn("Forgot 1 session matching sess-0000000c", r.out)
        self.assertEqual(self.sessions(), [])

    def test_corrupt_state_file_is_exit_3_and_left_alone(self):
        self.state_dir.mkdir(mode=0o700)
        self.path.write_text('[{"id": "sess-1", ')
        os.chmod(self.path, 0o600)
        before = self.path.read_bytes()
        for args in (("list",), ("list", "--refresh"), ("show", "sess-1"), ("forget", "sess-1"),
                     ("stop", "sess-1", "--yes"), ("logs", "sess-1")):
            r = self.sess(*args)
            self.assertExit(r, 3)
            self.assertIn("sessions.json", r.err)
        self.assertEqual(self.path.read_bytes(), before)
        self.assertEqual(self.modal_calls(), [])


class LogsTests(SessionsTestCase):
    def test_logs_by_app_id_in_the_sessions_profile(self):
        app = self.add(workspace="work", logs=["hello from the container", "second line"])
        self.write_sessions([session("sess-0000000a", profile="work", app_id=app)])
        r = self.sess("logs", "sess-0000000a")
        self.assertExit(r, 0)
        self.assertIn("hello from the container", r.out)
        calls = self.fake.calls_of("app", "logs")
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0]["argv"], ["app", "logs", app])
        self.assertEqual(calls[0]["env"]["MODAL_PROFILE"], "work")
        self.assertEqual(self.fake.calls_of("app", "list"), [])
        self.assertNoSecretsLogged()

    def test_follow(self):
        app = self.add(state="stopped", logs=["last words"])  # a stopped app ends the stream
        self.write_sessions([session("sess-0000000a", app_id=app)])
        r = self.sess("logs", "sess-0000000a", "-f")
        self.assertExit(r, 0)
        self.assertIn("last words", r.out)
        self.assertEqual(self.fake.calls_of("app", "logs")[0]["argv"], ["app", "logs", app, "--follow"])

    def test_python_tool_session_is_resolved_once_through_app_list(self):
        self.add(created_at="2026-08-18 10:00:00+00:00")
        newest = self.add(created_at="2026-08-20 10:00:00+00:00", logs=["newest"])
        self.add(state="stopped", created_at="2026-08-21 10:00:00+00:00")
        self.add("m-gpux-jupyter", created_at="2026-08-22 10:00:00+00:00")
        self.write_sessions([session("sess-0000000a")])  # no app_id: the Python tool's record
        r = self.sess("logs", "sess-0000000a")
        self.assertExit(r, 0)
        self.assertIn(f"resolved m-gpux-shell to {newest} via app list", r.err)
        self.assertIn("newest", r.out)
        self.assertEqual(self.fake.calls_of("app", "logs")[0]["argv"], ["app", "logs", newest])
        self.assertEqual(self.fake.calls_of("app", "list")[0]["env"]["MODAL_PROFILE"], "alice")
        self.assertEqual(self.sessions()[0]["app_id"], newest)
        # Next time the stored id is used directly.
        self.assertExit(self.sess("logs", "sess-0000000a"), 0)
        self.assertEqual(len(self.fake.calls_of("app", "list")), 1)

    def test_python_tool_session_without_a_live_app(self):
        self.add(state="stopped")
        self.write_sessions([session("sess-0000000a")])
        r = self.sess("logs", "sess-0000000a")
        self.assertExit(r, 1)
        self.assertIn("no running app named 'm-gpux-shell'", r.err)
        self.assertEqual(self.fake.calls_of("app", "logs"), [])
        self.assertNotIn("app_id", self.sessions()[0])

    def test_errors(self):
        app = self.add()
        self.write_sessions([session("sess-0000000a", app_id=app),
                             session("sess-0000000b", profile="gone", app_id=app)])
        self.assertExit(self.sess("logs", "sess-0000000a", env={"PATH": "/usr/bin:/bin"}), 4)
        self.assertExit(self.sess("logs", "sess-0000000b"), 2)  # its profile left the config file
        self.fake.set_scenario([{"match": ["app", "logs"], "exit": 1, "stderr": "Error: boom\n"}])
        r = self.sess("logs", "sess-0000000a")
        self.assertExit(r, 1)
        self.assertIn("boom", r.err)


class OpenTests(SessionsTestCase):
    def fake_opener(self, code=0):
        bin_dir = self.tmp / "bin"
        bin_dir.mkdir(exist_ok=True)
        opener = bin_dir / "xdg-open"
        log = self.tmp / "opened.txt"
        opener.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{log}'\nexit {code}\n")
        opener.chmod(0o755)
        return {"PATH": f"{bin_dir}:{self.env['PATH']}"}, log

    def test_prints_and_opens_the_recorded_url(self):
        self.write_sessions([session("sess-0000000a", url="https://abc.modal.host/lab")])
        env, log = self.fake_opener()
        r = self.sess("open", "sess-0000000a", "--json", env=env)
        self.assertExit(r, 0)
        self.assertEqual(r.json(), {"id": "sess-0000000a", "url": "https://abc.modal.host/lab", "opened": True,
                                    "credentials_file": None})
        # the opener is started detached: give it a moment
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not log.exists():
            time.sleep(0.05)
        self.assertEqual(log.read_text(), "https://abc.modal.host/lab\n")
        r = self.sess("open", "sess-0000000a", env=env)
        self.assertIn("https://abc.modal.host/lab", r.out)
        # The opener runs detached: let it finish before the test's directory goes.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and log.read_text().count("\n") < 2:
            time.sleep(0.05)
        self.assertEqual(log.read_text(), "https://abc.modal.host/lab\n" * 2)

    def test_without_an_opener_the_url_is_still_printed(self):
        self.write_sessions([session("sess-0000000a", url="https://abc.modal.host/lab")])
        doc = self.sess_json("open", "sess-0000000a", env={"PATH": f"{FAKES_DIR}:/nonexistent"})
        self.assertFalse(doc["opened"])

    def test_only_web_urls_are_handed_to_the_opener(self):
        self.write_sessions([session("sess-0000000a", url="file:///etc/passwd")])
        env, log = self.fake_opener()
        r = self.sess("open", "sess-0000000a", env=env)
        self.assertExit(r, 0)
        self.assertIn("Not opening it", r.err)
        self.assertFalse(log.exists())

    def test_no_url_is_exit_1_pointing_at_the_logs(self):
        self.write_sessions([session("sess-0000000a")])
        r = self.sess("open", "sess-0000000a")
        self.assertExit(r, 1)
        self.assertIn("m-gpux sessions logs sess-0000000a", r.err)


class OpenCredentialsTests(SessionsTestCase):
    TOKEN = "tok-5f2b9c7e1d3a4b6c8e0f"

    def run_dir_with_credentials(self, text):
        run_dir = self.state_dir / "runs" / "20260820-101500-abcdef"
        run_dir.mkdir(parents=True, mode=0o700)
        (run_dir / "modal_runner.py").write_text("# script\n")
        creds = run_dir / "credentials.env"
        creds.write_text(text)
        os.chmod(creds, 0o600)
        return run_dir, creds

    def test_jupyter_says_where_the_token_is_and_never_prints_it(self):
        run_dir, creds = self.run_dir_with_credentials(f"JUPYTER_TOKEN={self.TOKEN}\n")
        self.write_sessions([session("sess-0000000a", kind="jupyter", app_id="ap-Ab12Cd34Ef56Gh78Ij90Kl",
                                     url="https://abc.modal.host", script_path=str(run_dir / "modal_runner.py"),
                                     secret_name="m-gpux-s-0123456789ab")])
        r = self.sess("open", "sess-0000000a", env={"PATH": f"{FAKES_DIR}:/nonexistent"})
        self.assertExit(r, 0)
        self.assertIn("https://abc.modal.host", r.out)
        self.assertIn(str(creds), r.out + r.err)
        self.assertIn("JUPYTER_TOKEN", r.out + r.err)
        self.assertNotIn(self.TOKEN, r.out + r.err)
        r = self.sess("open", "sess-0000000a", "--json", env={"PATH": f"{FAKES_DIR}:/nonexistent"})
        self.assertExit(r, 0)
        self.assertEqual(r.json()["credentials_file"], str(creds))
        self.assertNotIn(self.TOKEN, r.out + r.err)

    def test_terminal_login_file_is_named_too(self):
        run_dir, creds = self.run_dir_with_credentials("TTYD_CREDENTIAL=mgpux:pw-9a8b7c6d5e\n")
        self.write_sessions([session("sess-0000000a", kind="bash", app_id="ap-Ab12Cd34Ef56Gh78Ij90Kl",
                                     url="https://abc.modal.host", script_path=str(run_dir / "modal_runner.py"))])
        r = self.sess("open", "sess-0000000a", env={"PATH": f"{FAKES_DIR}:/nonexistent"})
        self.assertExit(r, 0)
        self.assertIn(str(creds), r.out + r.err)
        self.assertNotIn("pw-9a8b7c6d5e", r.out + r.err)

    def test_a_missing_credentials_file_is_said(self):
        run_dir = self.state_dir / "runs" / "20260820-101500-abcdef"
        self.write_sessions([session("sess-0000000a", kind="jupyter", app_id="ap-Ab12Cd34Ef56Gh78Ij90Kl",
                                     url="https://abc.modal.host", script_path=str(run_dir / "modal_runner.py"))])
        r = self.sess("open", "sess-0000000a", "--json", env={"PATH": f"{FAKES_DIR}:/nonexistent"})
        self.assertExit(r, 0)
        self.assertIsNone(r.json()["credentials_file"])
        self.assertIn(str(run_dir / "credentials.env"), r.err)
        self.assertIn("no longer exists", r.err)

    def test_after_a_real_hub_launch(self):
        project = self.tmp / "proj"
        project.mkdir()
        self.fake.set_scenario([{"match": ["run"], "container_output": ["[m-gpux] READY https://nb-1.modal.host"]}])
        launch = self.run_mgpux("--yes", "--json", "hub", "jupyter", "--gpu", "L4", cwd=project)
        self.assertExit(launch, 0)
        token = launch.json()["login"]["token"]
        r = self.sess("open", launch.json()["session_id"], env={"PATH": f"{FAKES_DIR}:/nonexistent"})
        self.assertExit(r, 0)
        self.assertIn("https://nb-1.modal.host", r.out)
        self.assertIn(launch.json()["credentials_file"], r.out + r.err)
        self.assertNotIn(token, r.out + r.err)
        r = self.sess("show", launch.json()["session_id"])
        self.assertExit(r, 0)
        self.assertNotIn(token, r.out + r.err)
        self.assertIn(launch.json()["credentials_file"], r.out)


class PullTests(SessionsTestCase):
    VOLUME = "m-gpux-workspace-proj-421a2c433a"

    def test_pull_into_a_new_directory_in_the_sessions_profile(self):
        self.fake.add_volume_file(self.VOLUME, "notebooks/a.ipynb", "{}")
        self.fake.add_volume_file(self.VOLUME, "train.py", "print(1)")
        self.write_sessions([session("sess-0000000a", profile="work")])
        dest = self.tmp / "out"
        doc = self.sess_json("pull", "sess-0000000a", "--to", dest)
        self.assertEqual((dest / "train.py").read_text(), "print(1)")
        self.assertEqual((dest / "notebooks" / "a.ipynb").read_text(), "{}")
        self.assertEqual(doc["volume"], self.VOLUME)
        call = self.fake.calls_of("volume", "get")[0]
        self.assertEqual(call["argv"], ["volume", "get", self.VOLUME, "/", str(dest)])
        self.assertEqual(call["env"]["MODAL_PROFILE"], "work")

    def test_default_destination_is_relative_to_the_working_directory(self):
        self.fake.add_volume_file(self.VOLUME, "train.py", "print(1)")
        self.write_sessions([session("sess-0000000a")])
        r = self.sess("pull", "sess-0000000a")
        self.assertExit(r, 0)
        self.assertTrue((self.tmp / "m-gpux-workspace" / "train.py").is_file())

    def test_non_empty_directory_needs_force(self):
        self.fake.add_volume_file(self.VOLUME, "train.py", "new")
        self.write_sessions([session("sess-0000000a")])
        dest = self.tmp / "out"
        dest.mkdir()
        (dest / "train.py").write_text("old")
        r = self.sess("pull", "sess-0000000a", "--to", dest)
        self.assertExit(r, 2)
        self.assertIn("--force", r.err)
        self.assertEqual(self.modal_calls(), [])
        self.assertExit(self.sess("pull", "sess-0000000a", "--to", dest, "--force"), 0)
        self.assertEqual((dest / "train.py").read_text(), "new")
        self.assertEqual(self.fake.calls_of("volume", "get")[0]["argv"][-1], "--force")

    def test_a_file_in_the_way_and_a_session_without_volume(self):
        self.write_sessions([session("sess-0000000a"), session("sess-0000000b", workspace_volume=None)])
        (self.tmp / "afile").write_text("x")
        self.assertExit(self.sess("pull", "sess-0000000a", "--to", self.tmp / "afile"), 2)
        r = self.sess("pull", "sess-0000000b", "--to", self.tmp / "x")
        self.assertExit(r, 1)
        self.assertIn("no workspace volume", r.err)
        self.assertEqual(self.modal_calls(), [])

    def test_dry_run_downloads_nothing(self):
        self.fake.add_volume_file(self.VOLUME, "train.py", "print(1)")
        self.write_sessions([session("sess-0000000a")])
        r = self.sess("pull", "sess-0000000a", "--to", self.tmp / "out", "--dry-run")
        self.assertExit(r, 0)
        self.assertIn("would run modal volume get", r.err)
        self.assertEqual(self.modal_calls(), [])
        self.assertFalse((self.tmp / "out").exists())

    def test_failing_download_is_exit_1(self):
        self.write_sessions([session("sess-0000000a")])  # the volume does not exist in the fake
        r = self.sess("pull", "sess-0000000a", "--to", self.tmp / "out")
        self.assertExit(r, 1)
        self.assertIn("volume get", r.err)


class StopTests(SessionsTestCase):
    def test_stop_by_app_id_in_the_sessions_profile(self):
        app = self.add(workspace="work")
        self.write_sessions([session("sess-0000000a", profile="work", app_id=app)])
        doc = self.sess_json("stop", "sess-0000000a", "--yes")
        self.assertEqual((doc["app_id"], doc["stopped"], doc["already_stopped"]), (app, True, False))
        call = self.fake.calls_of("app", "stop")[0]
        self.assertEqual(call["argv"], ["app", "stop", "--yes", app])
        self.assertEqual(call["env"]["MODAL_PROFILE"], "work")
        self.assertEqual(self.fake.app(app)["state"], "stopped")
        self.assertEqual(self.sessions()[0]["state"], "stopped")
        self.assertNoSecretsLogged()

    def deployment(self, sid="sess-0000000d", env="dev"):
        """A deployment as the runner records it: by name (`modal deploy` prints no app id)."""
        app = self.add("m-gpux-host-site", state="deployed", workspace="work", env=env, logs=["GET / 200"])
        self.write_sessions([session(sid, profile="work", kind="host", app_name="m-gpux-host-site",
                                     backend="modal", deployed=True, environment=env,
                                     deployment_url="https://modal.com/apps/work/%s/deployed/m-gpux-host-site" % env)])
        return app

    def test_a_deployment_stops_by_name_in_its_environment(self):
        app = self.deployment()
        doc = self.sess_json("stop", "sess-0000000d", "--yes")
        self.assertEqual((doc["app_id"], doc["app_name"], doc["stopped"], doc["already_stopped"]),
                         (None, "m-gpux-host-site", True, False))
        (call,) = self.modal_calls()  # no `app list` to learn its id
        self.assertEqual(call["argv"], ["app", "stop", "--yes", "m-gpux-host-site", "--env", "dev"])
        self.assertEqual(call["env"]["MODAL_PROFILE"], "work")
        self.assertEqual(self.fake.app(app)["state"], "stopped")
        self.assertEqual(self.sessions()[0]["state"], "stopped")
        doc = self.sess_json("stop", "sess-0000000d", "--yes")  # Modal: already stopped
        self.assertTrue(doc["already_stopped"])

    def test_a_deployments_logs_and_refresh_go_by_name(self):
        self.deployment(env="main")
        r = self.sess("logs", "sess-0000000d")
        self.assertExit(r, 0)
        self.assertIn("GET / 200", r.out)
        (call,) = self.modal_calls()
        self.assertEqual(call["argv"], ["app", "logs", "m-gpux-host-site", "--env", "main"])
        self.assertEqual(call["env"]["MODAL_PROFILE"], "work")
        states = {s["id"]: s["state"] for s in self.sess_json("list", "--refresh")["sessions"]}
        self.assertEqual(states, {"sess-0000000d": "running"})
        self.fake.update_app(self.fake.apps()[0]["app_id"], state="stopped")
        states = {s["id"]: s["state"] for s in self.sess_json("list", "--refresh")["sessions"]}
        self.assertEqual(states, {"sess-0000000d": "stopped"})

    def test_stop_deletes_the_sessions_secret(self):
        app = self.add(workspace="work")
        self.write_sessions([session("sess-0000000a", profile="work", app_id=app, secret_name="m-gpux-s-0a0b")])
        doc = self.sess_json("stop", "sess-0000000a", "--yes")
        self.assertEqual((doc["secret_name"], doc["secret_deleted"]), ("m-gpux-s-0a0b", True))
        (call,) = self.fake.calls_of("secret", "delete")
        self.assertIn("m-gpux-s-0a0b", call["argv"])
        self.assertEqual(call["env"]["MODAL_PROFILE"], "work")

    def test_without_a_terminal_it_needs_yes(self):
        app = self.add()
        self.write_sessions([session("sess-0000000a", app_id=app)])
        r = self.sess("stop", "sess-0000000a", "--no-input")
        self.assertExit(r, 2)
        self.assertIn("--yes", r.err)
        self.assertEqual(self.fake.calls_of("app", "stop"), [])
        self.assertEqual(self.sessions()[0]["state"], "running")

    def test_a_failed_stop_is_exit_1_and_keeps_the_state(self):
        app = self.add()
        self.write_sessions([session("sess-0000000a", app_id=app)])
        self.fake.set_scenario([{"match": ["app", "stop"], "exit": 1, "stderr": "Error: permission denied\n"}])
        r = self.sess("stop", "sess-0000000a", "--yes")
        self.assertExit(r, 1)
        self.assertIn("permission denied", r.err)
        self.assertEqual(self.sessions()[0]["state"], "running")

    def test_already_stopped_marks_the_session(self):
        app = self.add(state="stopped")
        self.write_sessions([session("sess-0000000a", app_id=app)])
        doc = self.sess_json("stop", "sess-0000000a", "--yes")
        self.assertTrue(doc["already_stopped"])
        self.assertEqual(self.sessions()[0]["state"], "stopped")

    def test_python_tool_session_is_stopped_by_the_resolved_id(self):
        app = self.add()
        self.write_sessions([session("sess-0000000a")])
        r = self.sess("stop", "sess-0000000a", "--yes")
        self.assertExit(r, 0)
        self.assertEqual(self.fake.calls_of("app", "stop")[0]["argv"], ["app", "stop", "--yes", app])
        s = self.sessions()[0]
        self.assertEqual((s["app_id"], s["state"]), (app, "stopped"))

    def test_terminal_confirmation(self):
        app = self.add()
        self.write_sessions([session("sess-0000000a", app_id=app)])
        code, out = self.run_on_pty(["sessions", "stop", "sess-0000000a"], [b"n\n"])
        self.assertEqual(code, 130, out)
        self.assertEqual(self.fake.calls_of("app", "stop"), [])
        code, out = self.run_on_pty(["sessions", "stop", "sess-0000000a"], [b"y\n"])
        self.assertEqual(code, 0, out)
        self.assertEqual(self.sessions()[0]["state"], "stopped")

    def test_dry_run(self):
        app = self.add()
        self.write_sessions([session("sess-0000000a", app_id=app)])
        before = self.path.read_bytes()
        r = self.sess("stop", "sess-0000000a", "--yes", "--dry-run")
        self.assertExit(r, 0)
        self.assertEqual(self.fake.calls_of("app", "stop"), [])
        self.assertEqual(self.path.read_bytes(), before)

    def test_missing_modal_is_exit_4(self):
        app = self.add()
        self.write_sessions([session("sess-0000000a", app_id=app)])
        self.assertExit(self.sess("stop", "sess-0000000a", "--yes", env={"PATH": "/usr/bin:/bin"}), 4)
        self.assertEqual(self.sessions()[0]["state"], "running")

    def test_group_help_has_an_example(self):
        r = self.sess()
        self.assertExit(r, 0)
        self.assertIn("Example:", r.out)
        for sub in ("list", "show", "logs", "open", "pull", "stop", "forget"):
            self.assertIn(sub, r.out)


if __name__ == "__main__":
    main()
