# SPDX-License-Identifier: MIT
"""`m-gpux billing` end to end against the fake modal: which profiles are
asked (pinned with MODAL_PROFILE, concurrently), the `modal billing report`
argv, exact aggregation per environment and app, partial and total failure,
and the dashboard opener run through the process service."""
import datetime as dt
import os
import time

from harness import MgpuxTestCase, main

ALICE_SECRET = "as-alice-SECRET"
WORK_SECRET = "as-work-SECRET"


def row(description, cost, env="main", day=None):
    day = day or dt.datetime.now(dt.timezone.utc).date().isoformat()
    return {"object_id": "ap-" + "y" * 22, "description": description, "environment": env,
            "interval_start": f"{day}T00:00:00", "cost": cost}


def days_ago(n):
    return (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=n)).isoformat()


class BillingTestCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles(ALICE_SECRET, WORK_SECRET)
        self.fake.set_billing("alice", [row("m-gpux-jupyter", "1.5"), row("m-gpux-jupyter", "0.25"),
                                        row("m-gpux-llm-api", "3.000001", env="prod")])
        self.fake.set_billing("work", [row("train - resnet - v2", "0.1"), row("train - resnet - v2", "0.2"),
                                       row("idle", "0")])

    def billing(self, *args, **kw):
        return self.run_mgpux("billing", *args, **kw)

    def usage_json(self, *args, code=0, **kw):
        r = self.billing("usage", "--json", *args, **kw)
        self.assertExit(r, code)
        return r.json()

    def reports(self):
        return self.fake.calls_of("billing", "report")

    def assertNoSecretLeaked(self, *texts):
        path = self.fake.home / "calls.jsonl"
        log = path.read_text() if path.exists() else ""
        for secret in (ALICE_SECRET, WORK_SECRET):
            self.assertNotIn(secret, log)
            for t in texts:
                self.assertNotIn(secret, t)


class UsageTests(BillingTestCase):
    def test_default_is_the_active_profile(self):
        doc = self.usage_json()
        self.assertEqual((doc["days"], doc["since"]), (30, days_ago(30)))
        calls = self.reports()
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0]["argv"], ["billing", "report", "--start", days_ago(30), "--json"])
        self.assertEqual(calls[0]["env"]["MODAL_PROFILE"], "alice")
        [alice] = doc["profiles"]
        self.assertEqual((alice["profile"], alice["ok"], alice["error"]), ("alice", True, None))
        self.assertAlmostEqual(alice["total"], 4.750001, places=9)
        self.assertEqual(doc["total"], alice["total"])
        self.assertEqual(alice["by_app"], [
            {"description": "m-gpux-llm-api", "environment": "prod", "cost": 3.000001},
            {"description": "m-gpux-jupyter", "environment": "main", "cost": 1.75},
        ])
        self.assertEqual(alice["by_environment"], {"prod": 3.000001, "main": 1.75})
        self.assertEqual(list(alice["by_environment"]), ["prod", "main"], "sorted by cost")
        self.assertNoSecretLeaked()

    def test_global_profile_picks_the_default(self):
        doc = self.usage_json("--profile", "work")
        self.assertEqual([p["profile"] for p in doc["profiles"]], ["work"])
        self.assertEqual(self.reports()[0]["env"]["MODAL_PROFILE"], "work")

    def test_description_with_separator_is_kept_whole(self):
        doc = self.usage_json("-a", "work")
        [work] = doc["profiles"]
        self.assertEqual(work["by_app"], [{"description": "train - resnet - v2", "environment": "main", "cost": 0.3}])
        self.assertEqual(work["total"], 0.3)  # exact: 0.1 + 0.2 summed as decimals

    def test_all_runs_every_profile_concurrently(self):
        self.fake.set_scenario([{"match": ["billing", "report"], "delay_s": 1.5}])
        start = time.monotonic()
        doc = self.usage_json("--all", "--days", "7")
        self.assertLess(time.monotonic() - start, 2.9, "the reports ran one after the other")
        self.assertEqual([p["profile"] for p in doc["profiles"]], ["alice", "work"])
        self.assertAlmostEqual(doc["total"], 5.050001, places=9)
        self.assertEqual(sorted(c["env"]["MODAL_PROFILE"] for c in self.reports()), ["alice", "work"])
        for c in self.reports():
            self.assertEqual(c["argv"], ["billing", "report", "--start", days_ago(7), "--json"])

    def test_repeated_accounts_in_order_without_repeats(self):
        doc = self.usage_json("-a", "work", "--account", "alice", "-a", "work")
        self.assertEqual([p["profile"] for p in doc["profiles"]], ["work", "alice"])
        self.assertEqual(len(self.reports()), 2)

    def test_old_rows_are_outside_the_window(self):
        self.fake.set_billing("alice", [row("recent", "1", day=days_ago(2)), row("old", "5", day=days_ago(20))])
        doc = self.usage_json("--days", "7")
        self.assertEqual([a["description"] for a in doc["profiles"][0]["by_app"]], ["recent"])

    def test_one_failing_profile_is_exit_1_with_the_rest_shown_in_full(self):
        self.fake.set_scenario([{"match": ["billing", "report"], "env": {"MODAL_PROFILE": "work"},
                                 "exit": 1, "stderr": "PermissionDenied: billing is not available\n"}])
        r = self.billing("usage", "--all", "--json")
        self.assertExit(r, 1)
        doc = r.json()
        alice, work = doc["profiles"]
        self.assertTrue(alice["ok"])
        self.assertEqual((work["ok"], work["total"], work["by_app"]), (False, None, []))
        self.assertIn("PermissionDenied", work["error"])
        self.assertEqual(doc["total"], alice["total"])
        self.assertIn("1 of 2 profiles", r.err)
        r = self.billing("usage", "--all")
        self.assertExit(r, 1)
        self.assertIn("Could not fetch billing for 'work'", r.err)
        self.assertIn("Usage of 'alice', last 30 days", r.out)
        self.assertRegex(r.out, r"prod\s+m-gpux-llm-api\s+\$3\.0000")
        self.assertIn("Total for 'alice': $4.7500", r.out)
        self.assertIn("Total over 1 of 2 profiles", r.out)
        self.assertIn("could not fetch billing for 1 of 2 profiles (work)", r.err)

    def test_money_is_written_as_plain_decimals(self):
        self.fake.set_billing("alice", [row("m-gpux-jupyter", "15.75"), row("m-gpux-tiny", "0.0000001"),
                                        row("m-gpux-whole", "16")])
        r = self.billing("usage", "--json")
        self.assertExit(r, 0)
        self.assertPlainNumbers(r.out)
        for text in ('"cost": 15.75', '"cost": 0.0000001', '"total": 31.7500001'):
            self.assertIn(text, r.out)
        self.assertRegex(r.out, r'"cost": 16(\.0)?\n')
        doc = r.json()
        costs = {a["description"]: a["cost"] for a in doc["profiles"][0]["by_app"]}
        self.assertEqual(costs, {"m-gpux-jupyter": 15.75, "m-gpux-tiny": 1e-7, "m-gpux-whole": 16})
        self.assertEqual(doc["total"], 31.7500001)

    def test_every_profile_failing_is_exit_1_with_the_document(self):
        self.fake.set_scenario([{"match": ["billing", "report"], "exit": 1, "stderr": "AuthError: nope\n"}])
        r = self.billing("usage", "--all", "--json")
        self.assertExit(r, 1)
        doc = r.json()
        self.assertEqual([p["ok"] for p in doc["profiles"]], [False, False])
        self.assertEqual(doc["total"], 0)
        self.assertIn("any of the 2 profiles", r.err)
        r = self.billing("usage")
        self.assertExit(r, 1)
        self.assertIn("nope", r.err)

    def test_old_modal_gets_an_upgrade_hint(self):
        r = self.billing("usage", "--json", env={"FAKE_MODAL_VERSION": "1.2.0"})
        self.assertExit(r, 1)
        self.assertIn("1.3.3", r.json()["profiles"][0]["error"])

    def test_human_output(self):
        r = self.billing("usage", "--all")
        self.assertExit(r, 0)
        self.assertIn("Usage of 'alice', last 30 days", r.out)
        self.assertRegex(r.out, r"prod\s+m-gpux-llm-api\s+\$3\.0000")
        self.assertRegex(r.out, r"main\s+train - resnet - v2\s+\$0\.3000")
        self.assertIn("Total for 'alice': $4.7500  (prod $3.0000, main $1.7500)", r.out)
        self.assertIn("Total over 2 of 2 profiles: $5.0500", r.out)
        self.assertNotIn("idle", r.out, "zero-cost apps are left out")
        self.assertNotIn("\\n", r.out + r.err)

    def test_profile_without_token_is_reported_not_queried(self):
        self.fake.write_modal_toml(self.toml, {
            "alice": {"token_id": "ak-alice", "token_secret": ALICE_SECRET},
            "bare": {"environment": "dev"},
        }, active="alice")
        doc = self.usage_json("--all", code=1)
        self.assertEqual([p["ok"] for p in doc["profiles"]], [True, False])
        self.assertIn("m-gpux account add --name bare", doc["profiles"][1]["error"])
        self.assertEqual([c["env"]["MODAL_PROFILE"] for c in self.reports()], ["alice"])


class UsageErrorTests(BillingTestCase):
    def test_unknown_account_is_exit_2_naming_the_known(self):
        r = self.billing("usage", "-a", "ghost")
        self.assertExit(r, 2)
        self.assertIn("ghost", r.err)
        self.assertIn("alice, work", r.err)
        self.assertEqual(self.fake.calls(), [])
        self.assertExit(self.billing("usage", "--profile", "ghost"), 2)
        self.assertEqual(self.fake.calls(), [])

    def test_all_and_account_together_is_exit_2(self):
        self.assertExit(self.billing("usage", "--all", "-a", "work"), 2)
        self.assertEqual(self.fake.calls(), [])

    def test_days_out_of_range(self):
        for bad in ("0", "-3", "100000"):
            r = self.billing("usage", "--days", bad)
            self.assertExit(r, 2)
        self.assertExit(self.billing("usage", "--days", "many"), 2)
        self.assertEqual(self.fake.calls(), [])

    def test_no_profiles_is_exit_1(self):
        self.toml.unlink()
        r = self.billing("usage")
        self.assertExit(r, 1)
        self.assertIn("m-gpux account add", r.err)

    def test_no_active_profile_asks_for_a_choice(self):
        self.fake.write_modal_toml(self.toml, {"a": {"token_id": "ak-a", "token_secret": "as-a"},
                                               "b": {"token_id": "ak-b", "token_secret": "as-b"}})
        r = self.billing("usage")
        self.assertExit(r, 2)
        self.assertIn("--account", r.err)
        self.assertEqual(self.fake.calls(), [])

    def test_modal_missing_is_exit_4(self):
        r = self.billing("usage", "--all", env={"PATH": "/usr/bin:/bin"})
        self.assertExit(r, 4)

    def test_corrupt_config_is_exit_3_and_untouched(self):
        bad = b"[alice]\ntoken_id = \n"
        self.toml.write_bytes(bad)
        r = self.billing("usage")
        self.assertExit(r, 3)
        self.assertIn(str(self.toml), r.err)
        self.assertEqual(self.toml.read_bytes(), bad)
        self.assertEqual(self.fake.calls(), [])

    def test_malformed_report_is_a_row_error(self):
        self.fake.set_billing("alice", [row("a", "lots")])
        doc = self.usage_json("--all", code=1)
        self.assertFalse(doc["profiles"][0]["ok"])
        self.assertIn("not a number", doc["profiles"][0]["error"])
        self.assertTrue(doc["profiles"][1]["ok"])


class OpenTests(BillingTestCase):
    URL = "https://modal.com/settings/usage"

    def fake_bin(self, with_opener):
        d = self.tmp / "bin"
        d.mkdir(exist_ok=True)
        (d / "sh").symlink_to("/bin/sh")
        if with_opener:
            opener = d / "xdg-open"
            opener.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {self.tmp}/opened.tmp\n"
                              f"mv {self.tmp}/opened.tmp {self.tmp}/opened\n")
            opener.chmod(0o755)
        return d

    def wait_for(self, path, seconds=5):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not path.exists():
            time.sleep(0.05)
        return path.exists()

    def test_opens_the_dashboard_with_xdg_open(self):
        d = self.fake_bin(True)
        r = self.billing("open", env={"PATH": f"{d}:/usr/bin:/bin"})
        self.assertExit(r, 0)
        self.assertIn(self.URL, r.out)
        self.assertTrue(self.wait_for(self.tmp / "opened"))
        self.assertEqual((self.tmp / "opened").read_text(), self.URL + "\n")
        os.unlink(self.tmp / "opened")
        r = self.billing("open", "--json", env={"PATH": f"{d}:/usr/bin:/bin"})
        self.assertExit(r, 0)
        self.assertEqual(r.json(), {"url": self.URL, "opened": True, "opener": str(d / "xdg-open")})
        self.assertEqual(self.fake.calls(), [])
        # The opener runs detached: let it finish before the test's directory goes.
        self.assertTrue(self.wait_for(self.tmp / "opened"))

    def test_no_browser_only_prints(self):
        d = self.fake_bin(False)
        r = self.billing("open", env={"PATH": str(d)})
        self.assertExit(r, 0)
        self.assertIn(self.URL, r.out)
        r = self.billing("open", "--json", env={"PATH": str(d)})
        self.assertExit(r, 0)
        self.assertEqual(r.json(), {"url": self.URL, "opened": False, "opener": None})

    def test_dry_run_opens_nothing(self):
        d = self.fake_bin(True)
        r = self.billing("open", "--dry-run", env={"PATH": f"{d}:/usr/bin:/bin"})
        self.assertExit(r, 0)
        self.assertIn(self.URL, r.out)
        time.sleep(0.3)
        self.assertFalse((self.tmp / "opened").exists())

    def test_help_has_examples(self):
        r = self.run_mgpux("billing", "--help")
        self.assertExit(r, 0)
        self.assertIn("Example:", r.out)
        for sub in ("usage", "open"):
            h = self.run_mgpux("billing", sub, "--help")
            self.assertExit(h, 0)
            self.assertIn("Example:", h.out)


if __name__ == "__main__":
    main()
