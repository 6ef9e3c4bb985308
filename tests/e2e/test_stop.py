# SPDX-License-Identifier: MIT
"""`m-gpux stop` end to end against the fake modal.

Each test asserts on what was called (argv with --yes and the app id, the
MODAL_PROFILE each call was pinned to), on the fake's app states, on
sessions.json, on exit codes and on the --json document."""
import json
import os
import stat

from harness import MgpuxTestCase, main

SECRETS = ("as-alice", "as-work")


class StopTestCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()

    # Without a tokens map the fake's workspace is the profile's name.
    def add(self, description, state="ephemeral (detached)", workspace="alice", **kw):
        return self.fake.add_app(description, state=state, workspace=workspace, **kw)

    def stop(self, *args, **kw):
        return self.run_mgpux("stop", *args, **kw)

    def stop_json(self, *args, code=0, **kw):
        r = self.stop("--json", *args, **kw)
        self.assertExit(r, code)
        return r.json()

    def stop_calls(self):
        return self.fake.calls_of("app", "stop")

    def write_sessions(self, sessions):
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        path = self.state_dir / "sessions.json"
        path.write_text(json.dumps(sessions, indent=2, sort_keys=True) + "\n")
        os.chmod(path, 0o600)
        return path

    def sessions(self):
        return json.loads((self.state_dir / "sessions.json").read_text())

    def assertNoSecretsLogged(self):
        log_path = self.fake.home / "calls.jsonl"
        log = log_path.read_text() if log_path.exists() else ""
        for secret in SECRETS:
            self.assertNotIn(secret, log)


class CurrentProfileTests(StopTestCase):
    def test_yes_stops_every_live_mgpux_app_by_id_in_the_active_profile(self):
        detached = self.add("m-gpux-jupyter")
        deployed = self.add("m-gpux-llm-api", state="deployed")
        starting = self.add("m-gpux-vllm", state="initializing...")
        ephemeral = self.add("m-gpux-runner", state="ephemeral")
        self.add("m-gpux-shell", state="stopped")
        self.add("someone-elses-app", state="deployed")
        self.add("m-gpux-dev", workspace="work")  # another profile's app: not listed
        doc = self.stop_json("--select", "all")
        listed = {a["app_id"] for a in doc["apps"]}
        self.assertEqual(listed, {detached, deployed, starting, ephemeral})
        self.assertEqual({a["app_id"] for a in doc["stopped"]}, listed)
        self.assertEqual(doc["failed"], [])
        for a in doc["apps"]:
            self.assertEqual(a["profile"], "alice")
        lists = self.fake.calls_of("app", "list")
        self.assertEqual(len(lists), 1)
        self.assertEqual(lists[0]["argv"], ["app", "list", "--json"])
        self.assertEqual(lists[0]["env"]["MODAL_PROFILE"], "alice")
        stops = self.stop_calls()
        self.assertEqual(sorted(c["argv"][3] for c in stops), sorted(listed))
        for c in stops:
            self.assertEqual(c["argv"][:3], ["app", "stop", "--yes"])
            self.assertEqual(len(c["argv"]), 4)
            self.assertEqual(c["env"]["MODAL_PROFILE"], "alice")
        for app_id in listed:
            self.assertEqual(self.fake.app(app_id)["state"], "stopped")
        self.assertNoSecretsLogged()

    def test_human_report_counts_real_successes(self):
        self.add("m-gpux-jupyter")
        self.add("m-gpux-shell")
        r = self.stop("--select", "all", "--yes")
        self.assertExit(r, 0)
        self.assertIn("Running m-gpux apps", r.out)
        self.assertIn("m-gpux-jupyter", r.out)
        self.assertIn("Done: 2 stopped, 0 failed.", r.out)

    def test_global_profile_pins_the_listing_and_the_stops(self):
        mine = self.add("m-gpux-dev", workspace="work")
        self.add("m-gpux-jupyter", workspace="alice")
        doc = self.stop_json("--select", "all", "--profile", "work")
        self.assertEqual([a["app_id"] for a in doc["stopped"]], [mine])
        self.assertEqual(self.fake.calls_of("app", "list")[0]["env"]["MODAL_PROFILE"], "work")
        self.assertEqual([c["env"]["MODAL_PROFILE"] for c in self.stop_calls()], ["work"])

    def test_env_option_is_passed_to_app_list(self):
        other_env = self.add("m-gpux-dev", env="dev")
        self.add("m-gpux-jupyter")  # in main: not listed with --env dev
        doc = self.stop_json("--select", "all", "--env", "dev")
        self.assertEqual([a["app_id"] for a in doc["stopped"]], [other_env])
        self.assertEqual(self.fake.calls_of("app", "list")[0]["argv"], ["app", "list", "--json", "--env", "dev"])

    def test_titled_keys_of_an_older_modal_are_read(self):
        app = self.add("m-gpux-jupyter")
        doc = self.stop_json("--select", "all", env={"FAKE_MODAL_VERSION": "1.4.2"})
        self.assertEqual([a["app_id"] for a in doc["stopped"]], [app])

    def test_nothing_running_is_a_message_and_exit_0(self):
        self.add("m-gpux-shell", state="stopped")
        self.add("my-app", state="deployed")
        r = self.stop("--yes")
        self.assertExit(r, 0)
        self.assertIn("No running m-gpux apps found.", r.out + r.err)
        self.assertIn("--all", r.err)
        self.assertEqual(self.stop_calls(), [])
        doc = self.stop_json("--yes")
        self.assertEqual((doc["apps"], doc["stopped"], doc["failed"]), ([], [], []))


class SelectionTests(StopTestCase):
    def test_without_a_terminal_it_needs_an_explicit_selection(self):
        self.add("m-gpux-jupyter")
        for extra in ([], ["--no-input"]):
            r = self.stop(*extra)
            self.assertExit(r, 2)
            self.assertIn("--app", r.err)
            self.assertIn("--select", r.err)
        self.assertEqual(self.stop_calls(), [])

    def test_yes_alone_confirms_but_chooses_nothing(self):
        a = self.add("m-gpux-jupyter")
        for extra in ([], ["--all"], ["--json"]):
            with self.subTest(extra=extra):
                r = self.stop("--yes", *extra)
                self.assertExit(r, 2)
                self.assertIn("--select all", r.err)
                self.assertIn("--app", r.err)
        self.assertEqual(self.stop_calls(), [])
        self.assertEqual(self.fake.app(a)["state"], "ephemeral (detached)")

    def test_select_numbers_without_a_terminal(self):
        a = self.add("m-gpux-jupyter", created_at="2026-08-20 09:00:00+00:00")
        b = self.add("m-gpux-shell", created_at="2026-08-20 10:00:00+00:00")
        c = self.add("m-gpux-dev", created_at="2026-08-20 11:00:00+00:00")
        doc = self.stop_json("--select", "1,3", "--no-input")
        order = [x["app_id"] for x in doc["apps"]]
        self.assertEqual(sorted(order), sorted([a, b, c]))
        self.assertEqual(sorted(c_["argv"][3] for c_ in self.stop_calls()), sorted([order[0], order[2]]))
        self.assertEqual(self.fake.app(order[1])["state"], "ephemeral (detached)")

    def test_bad_select_is_a_usage_error(self):
        self.add("m-gpux-jupyter")
        r = self.stop("--select", "7", "--yes")
        self.assertExit(r, 2)
        self.assertIn("--select", r.err)
        self.assertIn("not a number from 1 to 1", r.err)
        self.assertEqual(self.stop_calls(), [])

    def test_app_narrows_by_description_and_answers_the_question(self):
        a = self.add("m-gpux-shell")
        b = self.add("m-gpux-shell", state="ephemeral")
        self.add("m-gpux-jupyter")
        doc = self.stop_json("--app", "m-gpux-shell", "--no-input")
        self.assertEqual({x["app_id"] for x in doc["apps"]}, {a, b})
        self.assertEqual(sorted(c["argv"][3] for c in self.stop_calls()), sorted([a, b]))

    def test_app_by_id(self):
        a = self.add("m-gpux-shell")
        self.add("m-gpux-shell")
        doc = self.stop_json("--app", a)
        self.assertEqual([x["app_id"] for x in doc["stopped"]], [a])
        self.assertEqual([c["argv"] for c in self.stop_calls()], [["app", "stop", "--yes", a]])

    def test_app_that_matches_nothing_is_exit_1(self):
        self.add("m-gpux-shell")
        for extra in ([], ["--yes"], ["--all", "--yes"]):
            with self.subTest(extra=extra):
                r = self.stop("--app", "m-gpux-nope", *extra)
                self.assertExit(r, 1)
                self.assertIn("no running m-gpux app matches 'm-gpux-nope'", r.err)
        r = self.stop("--app", "m-gpux-nope", "--json")
        self.assertExit(r, 1)
        self.assertEqual(r.json()["apps"], [])
        self.assertEqual(self.stop_calls(), [])

    def test_terminal_user_picks_by_number(self):
        a = self.add("m-gpux-jupyter", created_at="2026-08-20 09:00:00+00:00")
        b = self.add("m-gpux-shell", created_at="2026-08-20 10:00:00+00:00")
        code, out = self.run_on_pty(["stop"], [b"7\n", b"2\n"])
        self.assertEqual(code, 0, out)
        self.assertIn("Stop which apps?", out)
        self.assertIn("'7' is not a number from 1 to 2", out)
        self.assertEqual([c["argv"][3] for c in self.stop_calls()], [b])
        self.assertEqual(self.fake.app(a)["state"], "ephemeral (detached)")

    def test_terminal_user_confirms_an_app_filter(self):
        a = self.add("m-gpux-jupyter")
        code, out = self.run_on_pty(["stop", "--app", a], [b"n\n"])
        self.assertEqual(code, 130, out)
        self.assertEqual(self.stop_calls(), [])
        code, out = self.run_on_pty(["stop", "--app", a], [b"\n"])
        self.assertEqual(code, 0, out)
        self.assertEqual([c["argv"][3] for c in self.stop_calls()], [a])

    def test_terminal_enter_alone_stops_nothing(self):
        a = self.add("m-gpux-jupyter")
        b = self.add("m-gpux-shell")
        code, out = self.run_on_pty(["stop"], [b"\n"])
        self.assertEqual(code, 0, out)
        self.assertIn("nothing was stopped", out)
        self.assertEqual(self.stop_calls(), [])
        for app in (a, b):
            self.assertEqual(self.fake.app(app)["state"], "ephemeral (detached)")

    def test_terminal_all_stops_everything_listed(self):
        self.add("m-gpux-jupyter")
        self.add("m-gpux-shell")
        code, out = self.run_on_pty(["stop"], [b"all\n"])
        self.assertEqual(code, 0, out)
        self.assertEqual(len(self.stop_calls()), 2)

    def test_terminal_none_stops_nothing(self):
        self.add("m-gpux-jupyter")
        code, out = self.run_on_pty(["stop"], [b"none\n"])
        self.assertEqual(code, 0, out)
        self.assertIn("nothing was stopped", out)
        self.assertEqual(self.stop_calls(), [])

    def test_dry_run_stops_nothing_and_records_nothing(self):
        a = self.add("m-gpux-jupyter")
        path = self.write_sessions([{"id": "sess-00000001", "app_id": a, "state": "running", "profile": "alice"}])
        before = path.read_bytes()
        r = self.stop("--yes", "--dry-run", "--json")
        self.assertExit(r, 0)
        self.assertTrue(r.json()["dry_run"])
        self.assertEqual(self.stop_calls(), [])
        self.assertIn("would run modal app stop --yes " + a, r.err)
        self.assertEqual(self.fake.app(a)["state"], "ephemeral (detached)")
        self.assertEqual(path.read_bytes(), before)

    def test_dry_run_without_yes_lists_what_would_be_stopped(self):
        a = self.add("m-gpux-jupyter")
        b = self.add("m-gpux-shell")
        for extra in ([], ["--no-input"]):
            with self.subTest(extra=extra):
                r = self.stop("--dry-run", *extra)
                self.assertExit(r, 0)
                for app in (a, b):
                    self.assertIn("Would stop m-gpux", r.err)
                    self.assertIn(app, r.out + r.err)
        doc = self.stop_json("--dry-run", "--select", "2")
        self.assertTrue(doc["dry_run"])
        self.assertEqual(doc["stopped"], [])
        self.assertEqual([x["app_id"] for x in doc["would_stop"]], [doc["apps"][1]["app_id"]])
        self.assertEqual(self.stop_calls(), [])
        for app in (a, b):
            self.assertEqual(self.fake.app(app)["state"], "ephemeral (detached)")


class AllProfilesTests(StopTestCase):
    def test_all_lists_every_profile_concurrently_and_pins_each_stop(self):
        self.fake.set_scenario([{"match": ["app", "list"], "delay_s": 1.5}])
        a = self.add("m-gpux-jupyter", workspace="alice")
        w = self.add("m-gpux-dev", workspace="work")
        doc = self.stop_json("--all", "--select", "all", "--yes")
        self.assertEqual({(x["profile"], x["app_id"]) for x in doc["stopped"]}, {("alice", a), ("work", w)})
        lists = self.fake.calls_of("app", "list")
        self.assertEqual(sorted(c["env"]["MODAL_PROFILE"] for c in lists), ["alice", "work"])
        # Both listings started before either could have finished.
        self.assertLess(abs(lists[0]["ts"] - lists[1]["ts"]), 1.2)
        pinned = {c["argv"][3]: c["env"]["MODAL_PROFILE"] for c in self.stop_calls()}
        self.assertEqual(pinned, {a: "alice", w: "work"})
        self.assertNoSecretsLogged()

    def test_a_failing_profile_is_reported_and_the_others_still_stop(self):
        self.fake.set_scenario([{"match": ["app", "list"], "env": {"MODAL_PROFILE": "work"},
                                 "exit": 1, "stderr": "Error: token expired\n"}])
        a = self.add("m-gpux-jupyter", workspace="alice")
        self.add("m-gpux-dev", workspace="work")
        r = self.stop("--all", "--select", "all", "--json")
        self.assertExit(r, 0)
        doc = r.json()
        self.assertEqual([x["app_id"] for x in doc["stopped"]], [a])
        self.assertEqual([e["profile"] for e in doc["scan_errors"]], ["work"])
        self.assertIn("token expired", doc["scan_errors"][0]["error"])
        self.assertIn("work", r.err)

    def test_every_profile_failing_is_exit_1(self):
        self.fake.set_scenario([{"match": ["app", "list"], "exit": 1, "stderr": "Error: offline\n"}])
        r = self.stop("--all", "--yes")
        self.assertExit(r, 1)
        self.assertIn("could not list the apps of any profile", r.err)


class OutcomeTests(StopTestCase):
    def test_a_failed_stop_is_reported_separately_and_exits_1(self):
        bad = self.add("m-gpux-jupyter")
        good = self.add("m-gpux-shell")
        self.write_sessions([
            {"id": "sess-0000000a", "app_id": bad, "state": "running", "profile": "alice"},
            {"id": "sess-0000000b", "app_id": good, "state": "running", "profile": "alice"},
            {"id": "sess-0000000c", "app_name": "m-gpux-shell", "state": "running", "profile": "alice"},
        ])
        self.fake.set_scenario([{"match": ["app", "stop", "--yes", bad], "exit": 1,
                                 "stderr": "Error: permission denied\n"}])
        r = self.stop("--select", "all", "--json")
        self.assertExit(r, 1)
        doc = r.json()
        self.assertEqual([x["app_id"] for x in doc["stopped"]], [good])
        self.assertEqual(len(doc["failed"]), 1)
        failed = doc["failed"][0]
        self.assertEqual((failed["app_id"], failed["profile"]), (bad, "alice"))
        self.assertIn("permission denied", failed["error"])
        self.assertIn("1 of 2 app(s) could not be stopped", r.err)
        # Only the real success is recorded; a session by name only is left alone.
        states = {s["id"]: s["state"] for s in self.sessions()}
        self.assertEqual(states, {"sess-0000000a": "running", "sess-0000000b": "stopped",
                                  "sess-0000000c": "running"})
        self.assertEqual(self.fake.app(bad)["state"], "ephemeral (detached)")
        self.assertEqual(self.fake.app(good)["state"], "stopped")
        mode = stat.S_IMODE((self.state_dir / "sessions.json").stat().st_mode)
        self.assertEqual(mode, 0o600)

    def test_already_stopped_counts_as_stopped(self):
        a = self.add("m-gpux-jupyter")
        self.fake.set_scenario([{"match": ["app", "stop"], "exit": 1,
                                 "stderr": "App is already stopped. (Stopped at 2026-08-19 by 'alice').\n"}])
        doc = self.stop_json("--select", "all")
        self.assertEqual(doc["stopped"][0]["app_id"], a)
        self.assertTrue(doc["stopped"][0]["already_stopped"])

    def test_corrupt_state_file_is_exit_3_before_anything_is_stopped(self):
        a = self.add("m-gpux-jupyter")
        self.state_dir.mkdir(mode=0o700)
        path = self.state_dir / "sessions.json"
        path.write_text('[{"id": "sess-1", ')
        os.chmod(path, 0o600)
        before = path.read_bytes()
        for extra in ([], ["--all"]):
            with self.subTest(extra=extra):
                r = self.stop("--select", "all", "--yes", *extra)
                self.assertExit(r, 3)
                self.assertIn(str(path), r.err)
                self.assertIn("nothing was stopped", r.err)
        self.assertEqual(self.stop_calls(), [])
        self.assertEqual(self.fake.calls_of("secret", "delete"), [])
        self.assertEqual(self.fake.app(a)["state"], "ephemeral (detached)")
        self.assertEqual(path.read_bytes(), before)


class ErrorTests(StopTestCase):
    def test_unknown_profile_is_a_usage_error_before_any_call(self):
        r = self.stop("--yes", "--profile", "nobody")
        self.assertExit(r, 2)
        self.assertIn("nobody", r.err)
        self.assertEqual(self.modal_calls(), [])

    def test_missing_modal_exits_4(self):
        for extra in ([], ["--all"]):
            r = self.stop("--yes", *extra, env={"PATH": "/usr/bin:/bin"})
            self.assertExit(r, 4)
            self.assertIn("modal", r.err)

    def test_failing_app_list_in_the_current_profile_exits_1(self):
        self.fake.set_scenario([{"match": ["app", "list"], "exit": 1, "stderr": "Error: offline\n"}])
        r = self.stop("--yes")
        self.assertExit(r, 1)
        self.assertIn("offline", r.err)

    def test_help_shows_the_example(self):
        r = self.stop("--help")
        self.assertExit(r, 0)
        self.assertIn("Example:", r.out)
        self.assertIn("--app", r.out)


if __name__ == "__main__":
    main()
