# SPDX-License-Identifier: MIT
"""m-gpux budget set|clear|show|check|watch over ~/.m-gpux/budgets.json, usage from the fake
modal's billing reports, and --stop through `modal app stop`."""
import json
import os
import signal
import subprocess
import time

from harness import BIN, MgpuxTestCase, main


def usage_row(description, cost):
    return {"object_id": "ap-" + "x" * 22, "description": description, "environment": "main",
            "interval_start": "2026-12-03T00:00:00", "cost": cost}


class BudgetTestCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()  # alice (active), work
        self.budgets = self.state_dir / "budgets.json"

    def write_sessions(self, sessions):
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        path = self.state_dir / "sessions.json"
        path.write_text(json.dumps(sessions), encoding="utf-8")
        path.chmod(0o600)

    def write_budgets(self, text):
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        self.budgets.write_text(text, encoding="utf-8")
        self.budgets.chmod(0o600)


class FileTest(BudgetTestCase):
    def test_set_and_clear_write_the_original_format(self):
        self.assertExit(self.run_mgpux("budget", "set", "25", "-a", "work"), 0)
        self.assertExit(self.run_mgpux("budget", "set", "$12.50"), 0)
        self.assertEqual(json.loads(self.budgets.read_text()), {"*": 12.5, "work": 25.0})
        self.assertExit(self.run_mgpux("budget", "clear", "-a", "work"), 0)
        self.assertEqual(json.loads(self.budgets.read_text()), {"*": 12.5})
        self.assertEqual(self.modal_calls(), [])

    def test_bad_amount_is_a_usage_error(self):
        r = self.run_mgpux("budget", "set", "ten")
        self.assertExit(r, 2)
        self.assertFalse(self.budgets.exists())

    def test_corrupt_file_is_refused_and_left_untouched(self):
        for text in ('{"work": "lots"}', "{not json"):
            self.write_budgets(text)
            for args in (("budget", "set", "5"), ("budget", "show"), ("budget", "check")):
                r = self.run_mgpux(*args)
                self.assertExit(r, 3)
                self.assertIn("budgets.json", r.err)
                self.assertEqual(self.budgets.read_text(), text)


class CheckTest(BudgetTestCase):
    def test_under_budget_exits_0_and_shows_what_is_left(self):
        self.fake.set_billing("alice", [usage_row("m-gpux-jupyter", "4")])
        self.fake.set_billing("work", [usage_row("trainer", "1.5")])
        self.write_budgets('{"work": 10, "*": 20}')
        r = self.run_mgpux("--json", "budget", "check")
        self.assertExit(r, 0)
        accounts = {a["profile"]: a for a in r.json()["accounts"]}
        self.assertEqual(accounts["work"]["spendable"], 8.5)
        self.assertEqual(accounts["alice"]["budget"], 20.0)
        self.assertEqual(accounts["alice"]["budget_source"], "default (*)")
        self.assertFalse(r.json()["over_budget"])
        self.assertEqual(len(self.fake.calls_of("billing", "report")), 2)

    def test_over_budget_exits_1_and_stop_stops_only_that_accounts_mgpux_apps(self):
        self.fake.set_billing("alice", [usage_row("m-gpux-jupyter", "4")])
        self.fake.set_billing("work", [usage_row("trainer", "31")])
        self.write_budgets('{"work": 30}')
        mine = self.fake.add_app("m-gpux-jupyter", state="ephemeral (detached)", workspace="work")
        theirs = self.fake.add_app("someone-else", state="deployed", workspace="work")
        alices = self.fake.add_app("m-gpux-shell", state="ephemeral (detached)", workspace="alice")
        r = self.run_mgpux("budget", "check")
        self.assertExit(r, 1)
        self.assertIn("over budget", r.out)
        self.assertEqual(self.fake.calls_of("app", "stop"), [])
        r = self.run_mgpux("--json", "budget", "check", "--stop")
        self.assertExit(r, 1)
        stops = self.fake.calls_of("app", "stop")
        self.assertEqual(len(stops), 1)
        self.assertIn(mine, stops[0]["argv"])
        self.assertEqual(stops[0]["env"]["MODAL_PROFILE"], "work")
        self.assertEqual([s["app_id"] for s in r.json()["stopped"]], [mine])
        self.assertEqual(self.fake.app(theirs)["state"], "deployed")
        self.assertEqual(self.fake.app(alices)["state"], "ephemeral (detached)")

    def test_stop_records_the_stopped_sessions_as_stop_does(self):
        self.fake.set_billing("work", [usage_row("trainer", "31")])
        self.write_budgets('{"work": 30}')
        mine = self.fake.add_app("m-gpux-jupyter", state="ephemeral (detached)", workspace="work")
        other = self.fake.add_app("m-gpux-shell", state="ephemeral (detached)", workspace="work")
        self.write_sessions([
            {"id": "sess-0000000a", "app_id": mine, "state": "running", "profile": "work",
             "secret_name": "m-gpux-s-0a0b"},
            {"id": "sess-0000000b", "app_id": "ap-" + "n" * 22, "state": "running", "profile": "work"},
        ])
        self.fake.set_scenario([{"match": ["app", "stop", "--yes", other], "exit": 1,
                                 "stderr": "App is already stopped. (Stopped at 2026-12-01 by 'work').\n"}])
        r = self.run_mgpux("--json", "budget", "check", "--stop")
        self.assertExit(r, 1)
        doc = r.json()
        self.assertEqual(sorted(s["app_id"] for s in doc["stopped"]), sorted([mine, other]))
        self.assertEqual(doc["failed"], [])
        states = {s["id"]: s["state"] for s in json.loads((self.state_dir / "sessions.json").read_text())}
        self.assertEqual(states, {"sess-0000000a": "stopped", "sess-0000000b": "running"})
        (delete,) = self.fake.calls_of("secret", "delete")
        self.assertIn("m-gpux-s-0a0b", delete["argv"])
        self.assertEqual(delete["env"]["MODAL_PROFILE"], "work")
        self.assertIn("Already stopped", r.err)

    def test_stop_with_an_unreadable_sessions_file_stops_nothing(self):
        self.fake.set_billing("work", [usage_row("trainer", "31")])
        self.write_budgets('{"work": 30}')
        app = self.fake.add_app("m-gpux-jupyter", state="ephemeral (detached)", workspace="work")
        path = self.state_dir / "sessions.json"
        path.write_text('[{"id": ', encoding="utf-8")
        path.chmod(0o600)
        r = self.run_mgpux("budget", "check", "--stop")
        self.assertExit(r, 3)
        self.assertIn("sessions.json", r.err)
        self.assertEqual(self.fake.calls_of("app", "stop"), [])
        self.assertEqual(self.fake.app(app)["state"], "ephemeral (detached)")

    def test_show_table_names_each_account(self):
        self.fake.set_billing("alice", [usage_row("a", "2")])
        self.fake.set_billing("work", [usage_row("b", "3")])
        self.write_budgets('{"work": 5}')
        r = self.run_mgpux("budget", "show")
        self.assertExit(r, 0)
        self.assertIn("$2.00", r.out)
        self.assertIn("$5.00", r.out)
        self.assertIn("none ($30 credit)", r.out)


class LaunchCase(BudgetTestCase):
    def setUp(self):
        super().setUp()
        self.project = self.tmp / "proj"
        self.project.mkdir()
        (self.project / "main.py").write_text("print('hi')\n", encoding="utf-8")
        self.fake.set_scenario([{"match": ["run"], "container_output": ["[m-gpux] READY https://ta-01abc.modal.host"]}])

    def launch(self, *globals_, gpu="L4"):
        return self.run_mgpux("--yes", *globals_, "hub", "jupyter", "--gpu", gpu, "--background", cwd=self.project)


class LaunchGuardTest(LaunchCase):
    """The runner checks the chosen profile's budget before a Modal launch."""

    def test_over_budget_is_refused_with_the_figures_and_nothing_runs(self):
        self.fake.set_billing("work", [usage_row("trainer", "31")])
        self.write_budgets('{"work": 30}')
        r = self.launch("--profile", "work")
        self.assertExit(r, 1)
        self.assertIn("over its budget", r.err)
        self.assertIn("$31.00 used of its $30.00 budget", r.err)
        self.assertIn("--ignore-budget", r.err)
        self.assertEqual(self.fake.calls_of("run"), [])
        self.assertEqual(self.fake.calls_of("secret", "create"), [])

    def test_ignore_budget_launches_anyway(self):
        self.fake.set_billing("work", [usage_row("trainer", "31")])
        self.write_budgets('{"*": 30}')
        r = self.launch("--profile", "work", "--ignore-budget")
        self.assertExit(r, 0)
        self.assertIn("launching anyway", r.err)
        (run,) = self.fake.calls_of("run")
        self.assertEqual(run["env"]["MODAL_PROFILE"], "work")

    def test_without_a_budget_nothing_is_fetched(self):
        self.fake.set_scenario([{"match": ["billing"], "exit": 1, "stderr": "Error: boom"}])
        r = self.launch("--profile", "work")
        self.assertExit(r, 0)
        self.assertEqual(self.fake.calls_of("billing"), [])
        self.assertEqual(len(self.fake.calls_of("run")), 1)

    def test_a_failing_billing_call_refuses_a_profile_with_a_budget(self):
        self.fake.set_scenario([{"match": ["billing", "report"], "exit": 1, "stderr": "Error: billing is down"}])
        for budgets in ('{"work": 30}', '{"*": 30}'):
            self.write_budgets(budgets)
            r = self.launch("--profile", "work")
            self.assertExit(r, 1)
            self.assertIn("usage this month could not be checked", r.err)
            self.assertIn("billing is down", r.err)
            self.assertIn("--ignore-budget", r.err)
            self.assertEqual(self.fake.calls_of("run"), [])
            self.assertEqual(self.fake.calls_of("secret", "create"), [])
        r = self.launch("--profile", "work", "--ignore-budget")
        self.assertExit(r, 0)
        self.assertIn("launching anyway", r.err)
        (run,) = self.fake.calls_of("run")
        self.assertEqual(run["env"]["MODAL_PROFILE"], "work")

    def test_review_shows_the_price_and_a_crossing_run_is_warned(self):
        self.fake.set_billing("work", [usage_row("trainer", "5")])
        self.write_budgets('{"work": 10}')
        r = self.launch("--profile", "work", gpu="H100")
        self.assertExit(r, 0)
        self.assertIn("~$3.95/h", r.err)
        self.assertIn("24 h × ~$3.95/h ≈ $94.80 at most", r.err)
        self.assertIn("could cost up to $94.80, more than the $5.00 left", r.err)

    def test_local_backend_has_no_price_and_no_guard(self):
        self.write_budgets('{"*": 0}')
        r = self.run_mgpux("--yes", "--dry-run", "--backend", "local", "hub", "jupyter", "--cpu", "2",
                           cwd=self.project)
        self.assertExit(r, 0)
        self.assertIn("local: no charge", r.err + r.out)
        self.assertEqual(self.fake.calls_of("billing", "report"), [])


class AutoProfileTest(LaunchCase):
    def test_auto_pins_the_profile_with_the_most_left(self):
        self.fake.set_billing("alice", [usage_row("a", "9.5")])
        self.fake.set_billing("work", [usage_row("b", "4")])
        self.write_budgets('{"alice": 10}')
        r = self.launch("--profile", "AUTO")
        self.assertExit(r, 0)
        self.assertIn("AUTO chose profile 'work'", r.err)
        (run,) = self.fake.calls_of("run")
        self.assertEqual(run["env"]["MODAL_PROFILE"], "work")

    def test_auto_skips_an_account_over_budget_and_one_whose_billing_fails(self):
        self.fake.set_billing("alice", [usage_row("a", "1")])
        self.fake.set_billing("work", [usage_row("b", "0")])
        self.write_budgets('{"work": 0}')
        r = self.launch("--profile", "AUTO")
        self.assertExit(r, 0)
        (run,) = self.fake.calls_of("run")
        self.assertEqual(run["env"]["MODAL_PROFILE"], "alice")
        self.fake.set_scenario([{"match": ["billing", "report"], "env": {"MODAL_PROFILE": "alice"}, "exit": 1,
                                 "stderr": "Error: boom"}])
        r = self.launch("--profile", "AUTO")
        self.assertExit(r, 1)
        self.assertIn("1 over budget skipped, 1 without usage figures skipped", r.err)
        self.assertEqual(len(self.fake.calls_of("run")), 1)

    def test_auto_with_every_account_over_budget_launches_nothing(self):
        self.fake.set_billing("alice", [usage_row("a", "12")])
        self.fake.set_billing("work", [usage_row("b", "12")])
        self.write_budgets('{"*": 10}')
        r = self.launch("--profile", "AUTO")
        self.assertExit(r, 1)
        self.assertIn("no profile has money left", r.err)
        self.assertEqual(self.fake.calls_of("run"), [])


class PricingTest(MgpuxTestCase):
    def test_pricing_json_has_the_table_and_its_source(self):
        with self.fake.locked_state() as state:
            state["billing_rates"] = {}  # a workspace whose answer names no rate
        r = self.run_mgpux("--json", "pricing")
        self.assertExit(r, 0)
        doc = r.json()
        prices = {g["name"]: g["price_per_hour"] for g in doc["gpus"]}
        self.assertEqual(prices["H100"], 3.95)
        self.assertIsNone(prices["H100!"])
        self.assertEqual(doc["rates"]["cpu_core_hour"], 0.0473)
        self.assertEqual(doc["rates"]["volume_gib_month"], 0.09)
        self.assertEqual(doc["source"], "static")
        self.assertEqual({row["source"] for row in doc["rows"] if row["usd"] is not None}, {"static"})
        self.assertIsNone(doc["live_rates"])
        self.assertIn("live rates unavailable", doc["note"])
        self.assertFalse((self.state_dir / "rates.json").exists())

    def test_the_workspaces_rates_mark_each_row_live_and_list_the_unknown_ones(self):
        self.write_two_profiles()
        r = self.run_mgpux("--json", "pricing")
        self.assertExit(r, 0)
        doc = r.json()
        rows = {row["resource"]: row for row in doc["rows"]}
        for resource in ("GPU H100", "GPU A100-80GB", "GPU A10", "CPU", "Memory", "Sandbox CPU", "Sandbox memory",
                         "Volume storage"):
            self.assertEqual(rows[resource]["source"], "live", resource)
        self.assertEqual(rows["GPU H100"]["usd"], 3.95)
        self.assertIsNone(rows["GPU H100!"]["usd"])  # no rate of its own, live or static
        self.assertEqual(doc["unrecognised"], ["internet_egress_gib"])
        self.assertEqual(doc["source"], "live")
        self.assertEqual({g["name"]: g["source"] for g in doc["gpus"]}["L4"], "live")
        r = self.run_mgpux("pricing")
        self.assertRegex(r.out, r"GPU H100\s+\$3\.95 per GPU-hour\s+live")
        self.assertRegex(r.out, r"internet_egress_gib\s+0\.050000\s+not recognised")

    def rates_calls(self):
        return len(self.fake.calls_of("billing", "rates"))

    def test_live_rates_are_cached_for_seven_days(self):
        self.write_two_profiles()
        with self.fake.locked_state() as state:
            state["billing_rates"] = {"gpu.h100": "4.25", "cpu.core": "0.0473"}
        r = self.run_mgpux("--json", "pricing")
        self.assertExit(r, 0)
        self.assertEqual(r.json()["live_rates"], {"cpu.core": "0.0473", "gpu.h100": "4.25"})
        cache = json.loads((self.state_dir / "rates.json").read_text(encoding="utf-8"))
        self.assertEqual(cache["rates"]["gpu.h100"], "4.25")
        self.assertLess(abs(cache["fetched_at"] - time.time()), 60)
        self.assertExit(self.run_mgpux("pricing"), 0)
        self.assertEqual(self.rates_calls(), 1)  # fresh: read from the cache
        self.assertExit(self.run_mgpux("pricing", "--refresh-rates"), 0)
        self.assertEqual(self.rates_calls(), 2)
        cache["fetched_at"] -= 8 * 86400  # older than 7 days: fetched again
        (self.state_dir / "rates.json").write_text(json.dumps(cache), encoding="utf-8")
        r = self.run_mgpux("pricing")
        self.assertExit(r, 0)
        self.assertEqual(self.rates_calls(), 3)
        self.assertIn("gpu.h100", r.out)

    def test_pricing_table(self):
        with self.fake.locked_state() as state:
            state["billing_rates"] = {}
        r = self.run_mgpux("pricing")
        self.assertExit(r, 0)
        self.assertRegex(r.out, r"GPU L4\s+\$0\.80 per GPU-hour\s+static")
        self.assertIn("Source: the static table", r.err + r.out)


class LiveRatesTest(LaunchCase):
    """A fresh ~/.m-gpux/rates.json prices the pickers and the review; an expired one does not."""

    def write_rates_cache(self, rates, age_s=3600):
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        path = self.state_dir / "rates.json"
        path.write_text(json.dumps({"fetched_at": int(time.time()) - age_s, "rates": rates}), encoding="utf-8")
        path.chmod(0o600)

    def test_a_live_h100_rate_prices_the_review_and_its_worst_case(self):
        self.write_rates_cache({"gpu_h100": "4.20", "mystery_rate": "1"})
        r = self.launch("--profile", "work", gpu="H100")
        self.assertExit(r, 0)
        self.assertRegex(r.err, r"price\s+~\$4\.20/h")
        self.assertIn("24 h × ~$4.20/h ≈ $100.80 at most", r.err)
        self.assertEqual(self.fake.calls_of("billing"), [])  # the cache is read, nothing fetched

    def test_a_live_h100_rate_shows_in_the_gpu_picker(self):
        self.write_rates_cache({"gpu_h100": "4.20"})
        # compute type: 1 (GPU); then q at the GPU list
        code, shown = self.run_on_pty(["--profile", "work", "hub", "jupyter"], [b"1\n", b"q\n"])
        self.assertEqual(code, 130, shown)
        self.assertRegex(shown, r"H100\s+80 GB - .*, ~\$4\.20/h")
        self.assertRegex(shown, r"L4\s+24 GB - .*, ~\$0\.80/h")  # the static rate where the cache has none

    def test_an_expired_cache_falls_back_to_the_static_rates(self):
        self.write_rates_cache({"gpu_h100": "4.20"}, age_s=8 * 86400)
        r = self.launch("--profile", "work", gpu="H100")
        self.assertExit(r, 0)
        self.assertIn("24 h × ~$3.95/h ≈ $94.80 at most", r.err)
        r = self.run_mgpux("--json", "pricing")  # fetches again: the fake's own rates
        self.assertEqual(r.json()["source"], "live")
        self.assertEqual(len(self.fake.calls_of("billing", "rates")), 1)


class WatchTest(BudgetTestCase):
    def test_interval_below_60_is_refused(self):
        self.assertExit(self.run_mgpux("budget", "watch", "--interval", "30"), 2)

    def start_watch(self, *args):
        env = dict(self.env)
        env.update(self.fake.env())
        proc = subprocess.Popen([str(BIN), "budget", "watch", "--interval", "60", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(self.tmp))
        self.addCleanup(self.reap, proc)
        return proc

    @staticmethod
    def reap(proc):
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            stream.close()

    def wait_for_billing_calls(self, count):
        deadline = time.time() + 20
        while time.time() < deadline and len(self.fake.calls_of("billing", "report")) < count:
            time.sleep(0.1)
        self.assertGreaterEqual(len(self.fake.calls_of("billing", "report")), count)

    def interrupt(self, proc):
        """Sends Ctrl-C's SIGINT; returns (stdout, stderr) once the watch has ended."""
        started = time.time()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
        self.assertLess(time.time() - started, 10)
        return out.decode(), err.decode()

    def fake_modal_processes(self):
        """The pids of fake modal processes of this test that are still alive."""
        marker = ("FAKE_MODAL_HOME=" + str(self.fake.home)).encode()
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if marker in f.read().split(b"\0"):
                        pids.append(int(entry))
            except OSError:
                continue
        return pids

    def assertEndedCleanly(self, proc, out, err):
        self.assertEqual(proc.returncode, 130, err)
        self.assertTrue(out == "" or out.endswith("\n"), repr(out))  # no half-printed line
        last = err.rstrip("\n").splitlines()[-1]
        self.assertIn("budget watch stopped", last)
        self.assertEqual(self.fake_modal_processes(), [])

    def test_a_failing_round_keeps_going_and_ctrl_c_in_the_wait_ends_it(self):
        self.fake.set_billing("alice", [usage_row("a", "2")])
        self.fake.set_scenario([{"match": ["billing", "report"], "exit": 1, "stderr": "Error: boom"}])
        proc = self.start_watch("--no-stop")
        self.wait_for_billing_calls(2)
        time.sleep(1.5)  # the round ends and the watch waits
        out, err = self.interrupt(proc)
        self.assertEndedCleanly(proc, out, err)
        self.assertIn("usage unavailable", out)
        self.assertIn("after 1 round", err)
        self.assertEqual(len(self.fake.calls_of("billing", "report")), 2)

    def test_ctrl_c_during_a_billing_call_ends_the_modal_child_and_the_watch(self):
        self.fake.set_scenario([{"match": ["billing", "report"], "delay_s": 60}])
        proc = self.start_watch()
        self.wait_for_billing_calls(2)
        time.sleep(0.5)  # both children are waiting on their delayed answers
        self.assertNotEqual(self.fake_modal_processes(), [])
        out, err = self.interrupt(proc)
        self.assertEndedCleanly(proc, out, err)
        self.assertEqual(out, "")  # the round never finished: no line for it
        self.assertIn("after 0 rounds", err)
        self.assertNotIn("this round failed", err)
        self.assertEqual(self.fake.calls_of("app"), [])


if __name__ == "__main__":
    main()
