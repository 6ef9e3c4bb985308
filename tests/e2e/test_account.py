# SPDX-License-Identifier: MIT
"""`m-gpux account` end to end against the fake modal: profiles in the
Modal config file, month usage fetched for every profile at once, token
input from options, stdin and (hidden) prompts. Asserts on the config file,
the fake's call log and exit codes; no secret may reach argv, output or the
call log."""
import json
import re
import stat
import time

from harness import MgpuxTestCase, main

ALICE_SECRET = "as-alice-SECRET"
WORK_SECRET = "as-work-SECRET"


def usage_row(description, cost, env="main", day="2026-08-03"):
    return {"object_id": "ap-" + "x" * 22, "description": description, "environment": env,
            "interval_start": f"{day}T00:00:00", "cost": cost}


class AccountTestCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles(ALICE_SECRET, WORK_SECRET)

    def account(self, *args, **kw):
        return self.run_mgpux("account", *args, **kw)

    def account_json(self, *args, code=0, **kw):
        r = self.account(*args, "--json", **kw)
        self.assertExit(r, code)
        return r.json()

    def assertNoSecretLeaked(self, *texts, secrets=(ALICE_SECRET, WORK_SECRET)):
        log = (self.fake.home / "calls.jsonl").read_text() if (self.fake.home / "calls.jsonl").exists() else ""
        for secret in secrets:
            self.assertNotIn(secret, log)
            for t in texts:
                self.assertNotIn(secret, t)

    def profile_table(self, name):
        """The key = value lines of one table of the config file."""
        lines, inside = {}, False
        for line in self.toml.read_text().splitlines():
            if line.startswith("["):
                inside = line.strip() in (f"[{name}]", f'["{name}"]')
                continue
            if inside and "=" in line:
                k, v = line.split("=", 1)
                lines[k.strip()] = v.strip()
        return lines


class ListTests(AccountTestCase):
    def test_usage_fetched_for_all_profiles_at_once(self):
        self.fake.set_billing("alice", [usage_row("m-gpux-jupyter", "12.5"), usage_row("m-gpux-llm-api", "0.25")])
        self.fake.set_billing("work", [usage_row("trainer", "31")])
        self.fake.set_scenario([{"match": ["billing", "report"], "delay_s": 1.5}])
        start = time.monotonic()
        doc = self.account_json("list")
        self.assertLess(time.monotonic() - start, 2.9, "the two reports ran one after the other")
        self.assertEqual(doc["path"], str(self.toml))
        by_name = {p["name"]: p for p in doc["profiles"]}
        self.assertEqual([p["name"] for p in doc["profiles"]], ["alice", "work"])
        self.assertEqual(by_name["alice"], {"name": "alice", "active": True, "has_token": True, "used": 12.75,
                                            "remaining": 17.25, "error": None})
        self.assertEqual((by_name["work"]["used"], by_name["work"]["remaining"]), (31, 0))
        self.assertEqual(doc["auto_pick"], "alice")
        calls = self.fake.calls_of("billing", "report")
        self.assertEqual(sorted(c["env"]["MODAL_PROFILE"] for c in calls), ["alice", "work"])
        for c in calls:
            self.assertEqual(c["argv"], ["billing", "report", "--for", "this month", "--json"])
        self.assertNoSecretLeaked(json.dumps(doc))

    def test_money_is_written_as_plain_decimals(self):
        self.fake.set_billing("alice", [usage_row("a", "15.75")])
        self.fake.set_billing("work", [usage_row("b", "0.000000001")])
        r = self.account("list", "--json")
        self.assertExit(r, 0)
        self.assertPlainNumbers(r.out)
        for text in ('"used": 15.75', '"remaining": 14.25', '"used": 0.000000001', '"remaining": 29.999999999'):
            self.assertIn(text, r.out)
        used = {p["name"]: (p["used"], p["remaining"]) for p in r.json()["profiles"]}
        self.assertEqual(used, {"alice": (15.75, 14.25), "work": (1e-9, 29.999999999)})

    def test_human_table(self):
        self.fake.set_billing("alice", [usage_row("a", "27.5")])
        r = self.account("list")
        self.assertExit(r, 0)
        for header in ("Profile", "Active", "Used (month)", "Remaining", "Note"):
            self.assertIn(header, r.out)
        self.assertRegex(r.out, r"alice\s+yes\s+\$27\.50\s+\$2\.50\s+under \$5 left")
        self.assertRegex(r.out, r"work\s+\$0\.00\s+\$30\.00\s+AUTO pick")
        self.assertIn("Total remaining over 2 profile(s): $32.50", r.out)
        self.assertIn("$30", r.out)

    def test_failing_profile_is_reported_in_its_row(self):
        self.fake.set_billing("alice", [usage_row("a", "1")])
        self.fake.set_scenario([{"match": ["billing", "report"], "env": {"MODAL_PROFILE": "work"},
                                 "exit": 1, "stderr": "AuthError: token rejected\n"}])
        r = self.account("list", "--json")
        self.assertExit(r, 1)
        doc = r.json()
        work = doc["profiles"][1]
        self.assertIsNone(work["used"])
        self.assertIsNone(work["remaining"])
        self.assertIn("token rejected", work["error"])
        self.assertEqual(doc["profiles"][0]["used"], 1)
        self.assertIn("1 of 2 profiles (work)", r.err)
        r = self.account("list")
        self.assertExit(r, 1)
        self.assertRegex(r.out, r"alice\s+yes\s+\$1\.00\s+\$29\.00")
        self.assertRegex(r.out, r"work\s+\?\s+\?\s+error: .*token rejected")
        self.assertIn("Total remaining over 1 profile(s): $29.00", r.out)
        self.assertIn("could not fetch this month's usage for 1 of 2 profiles (work)", r.err)

    def test_no_usage_makes_no_modal_call(self):
        doc = self.account_json("list", "--no-usage")
        self.assertEqual([(p["name"], p["used"], p["error"]) for p in doc["profiles"]],
                         [("alice", None, None), ("work", None, None)])
        r = self.account("list", "--no-usage")
        self.assertExit(r, 0)
        self.assertIn("alice", r.out)
        self.assertEqual(self.fake.calls(), [])

    def test_profile_without_token_is_not_queried(self):
        self.fake.write_modal_toml(self.toml, {
            "alice": {"token_id": "ak-alice", "token_secret": ALICE_SECRET},
            "bare": {"environment": "dev"},
        }, active="alice")
        doc = self.account_json("list")
        self.assertEqual(doc["profiles"][1]["has_token"], False)
        self.assertIsNone(doc["profiles"][1]["used"])
        self.assertEqual([c["env"]["MODAL_PROFILE"] for c in self.fake.calls_of("billing", "report")], ["alice"])
        r = self.account("list")
        self.assertRegex(r.out, r"bare\s+N/A\s+N/A\s+no token")

    def test_no_profiles_hints_account_add(self):
        self.toml.unlink()
        r = self.account("list")
        self.assertExit(r, 0)
        self.assertIn("m-gpux account add", r.err)
        self.assertEqual(self.account_json("list"), {"profiles": [], "path": str(self.toml), "auto_pick": None,
                                                     "env_tokens_override": False})
        self.assertEqual(self.fake.calls(), [])

    def test_modal_missing_is_exit_4(self):
        r = self.account("list", env={"PATH": "/usr/bin:/bin"})
        self.assertExit(r, 4)
        self.assertIn("modal", r.err)
        # without usage nothing needs modal
        self.assertExit(self.account("list", "--no-usage", env={"PATH": "/usr/bin:/bin"}), 0)

    def test_corrupt_config_is_exit_3_and_untouched(self):
        bad = b"[alice\ntoken_id = 'x'\n"
        self.toml.write_bytes(bad)
        for args in (("list",), ("add", "--name", "n", "--token-id", "ak-n", "--token-secret", "as-n"),
                     ("switch", "alice"), ("remove", "alice", "--yes"), ("current",)):
            r = self.account(*args)
            self.assertExit(r, 3)
            self.assertIn(str(self.toml), r.err)
            self.assertEqual(self.toml.read_bytes(), bad)
        self.assertEqual(self.fake.calls(), [])


    def test_deeply_nested_config_is_exit_3_not_a_crash(self):
        for deep in (b"[" * 20000, b"[alice]\nx = " + b"[" * 20000, b"[alice]\nx = " + b"{b=" * 20000):
            self.toml.write_bytes(deep)
            for args in (("list",), ("current",), ("switch", "alice"),
                         ("add", "--name", "n", "--token-id", "ak-n", "--token-secret", "as-n")):
                r = self.account(*args)
                self.assertExit(r, 3)
                self.assertIn(str(self.toml), r.err)
                self.assertIn("nested more than 64 levels deep", r.err)
                self.assertEqual(self.toml.read_bytes(), deep)
        self.assertEqual(self.fake.calls(), [])


    def test_profile_written_with_dotted_keys_is_exit_3_naming_file_and_key(self):
        text = b'# hand written\nalice.token_id = "ak-a"\nalice.token_secret = "as-a"\nalice.active = true\n'
        self.toml.write_bytes(text)
        for args in (("add", "--name", "alice", "--token-id", "ak-n", "--token-secret", "as-n"),
                     ("switch", "alice"), ("remove", "alice", "--yes")):
            r = self.account(*args)
            self.assertExit(r, 3)
            self.assertIn(str(self.toml), r.err)
            self.assertIn("alice.token_id", r.err)
            self.assertEqual(self.toml.read_bytes(), text)


class AddTests(AccountTestCase):
    def test_pasted_token_line_on_stdin(self):
        paste = "modal token set --token-id ak-new --token-secret as-new-SECRET --profile=team\n"
        r = self.account("add", "--json", stdin_text=paste)
        self.assertExit(r, 0)
        self.assertEqual(r.json(), {"profile": "team", "created": True, "active": False,
                                    "path": str(self.toml), "dry_run": False})
        self.assertEqual(self.profile_table("team"), {"token_id": '"ak-new"', "token_secret": '"as-new-SECRET"'})
        self.assertEqual(self.profile_table("alice")["active"], "true")
        self.assertEqual(stat.S_IMODE(self.toml.stat().st_mode), 0o600)
        self.assertNoSecretLeaked(r.out, r.err, secrets=("as-new-SECRET",))
        self.assertEqual(self.fake.calls(), [], "tokens are not sent to modal")

    def test_name_option_wins_over_pasted_profile(self):
        paste = "modal token set --token-id ak-new --token-secret as-new --profile team"
        self.assertExit(self.account("add", "--name", "mine", stdin_text=paste), 0)
        self.assertEqual(self.profile_table("mine")["token_id"], '"ak-new"')
        self.assertNotIn("[team]", self.toml.read_text())

    def test_secret_dash_reads_stdin(self):
        r = self.account("add", "--name", "piped", "--token-id", "ak-p", "--token-secret", "-",
                         stdin_text="as-piped-SECRET\n")
        self.assertExit(r, 0)
        self.assertEqual(self.profile_table("piped")["token_secret"], '"as-piped-SECRET"')
        self.assertNotIn("command line", r.err)
        self.assertNoSecretLeaked(r.out, r.err, secrets=("as-piped-SECRET",))

    def test_plain_stdin_is_the_secret(self):
        r = self.account("add", "--name", "plain", "--token-id", "ak-p", stdin_text="as-plain-SECRET\n")
        self.assertExit(r, 0)
        self.assertEqual(self.profile_table("plain")["token_secret"], '"as-plain-SECRET"')

    def test_secret_on_argv_is_accepted_with_a_warning(self):
        r = self.account("add", "--name", "argv", "--token-id", "ak-a", "--token-secret", "as-argv-SECRET")
        self.assertExit(r, 0)
        self.assertIn("shell history", r.err)
        self.assertEqual(self.profile_table("argv")["token_secret"], '"as-argv-SECRET"')
        self.assertNoSecretLeaked(r.out, r.err, secrets=("as-argv-SECRET",))

    def test_first_profile_becomes_active(self):
        self.toml.unlink()
        doc = self.account_json("add", "--name", "first", "--token-id", "ak-1", "--token-secret", "-",
                                stdin_text="as-1")
        self.assertTrue(doc["created"])
        self.assertTrue(doc["active"])
        self.assertEqual(self.profile_table("first")["active"], "true")
        r = self.account("add", "--name", "second", "--token-id", "ak-2", "--token-secret", "-", stdin_text="as-2")
        self.assertExit(r, 0)
        self.assertIn("m-gpux account switch second", r.out)
        self.assertNotIn("active", self.profile_table("second"))

    def test_update_replaces_tokens_and_keeps_other_lines(self):
        original = "# my accounts\n" + self.toml.read_text() + "\n[other]\nserver_url = \"https://x\"  # keep\n"
        self.toml.write_text(original)
        doc = self.account_json("add", "--name", "work", "--token-id", "ak-work2", "--token-secret", "-",
                                stdin_text="as-work2")
        self.assertFalse(doc["created"])
        text = self.toml.read_text()
        self.assertIn("# my accounts\n", text)
        self.assertIn('server_url = "https://x"  # keep', text)
        self.assertEqual(self.profile_table("work")["token_secret"], '"as-work2"')
        r = self.account("add", "--name", "work", "--token-id", "ak-work3", "--token-secret", "-", stdin_text="as-3")
        self.assertIn("Updated the tokens of profile 'work'", r.out)

    def test_missing_values_without_a_terminal_name_the_flag(self):
        r = self.account("add", "--name", "x")  # stdin is /dev/null
        self.assertExit(r, 2)
        self.assertIn("--token-id", r.err)
        r = self.account("add", "--name", "x", "--token-id", "ak-x")
        self.assertExit(r, 2)
        self.assertIn("--token-secret", r.err)
        r = self.account("add", stdin_text="modal token set --token-id ak-1 --token-secret as-1\n")
        self.assertExit(r, 2)
        self.assertIn("--name", r.err)
        self.assertNotIn("[x]", self.toml.read_text())

    def test_invalid_profile_name_is_refused_with_the_rule(self):
        before = self.toml.read_bytes()
        for name in ("bad name", "", "-x", "a" * 65):
            for extra in ((), ("--dry-run",)):
                r = self.account("add", "--name", name, "--token-id", "ak-1", "--token-secret", "-", *extra,
                                 stdin_text="as-2\n")
                self.assertExit(r, 2)
                self.assertIn(f"invalid profile name '{name}'", r.err)
                self.assertIn("letters, digits, '.', '_' and '-'", r.err)
                self.assertEqual(self.toml.read_bytes(), before)
        # A pasted --profile is held to the same rule.
        r = self.account("add", stdin_text="modal token set --token-id ak-1 --token-secret as-2 --profile=a/b\n")
        self.assertExit(r, 2)
        self.assertIn("invalid profile name 'a/b'", r.err)
        self.assertEqual(self.toml.read_bytes(), before)

    def test_paste_with_an_unbalanced_quote_is_refused(self):
        before = self.toml.read_bytes()
        r = self.account("add", "--name", "q", stdin_text="modal token set --token-id ak-1 --token-secret 'as-q-SECRET\n")
        self.assertExit(r, 2)
        self.assertIn("quote", r.err)
        self.assertNotIn("as-q-SECRET", r.err + r.out)
        self.assertEqual(self.toml.read_bytes(), before)

    def test_garbage_on_stdin_is_a_usage_error(self):
        r = self.account("add", "--name", "x", "--token-id", "ak-x", stdin_text="hello there world\n")
        self.assertExit(r, 2)
        self.assertNotIn("[x]", self.toml.read_text())

    def test_token_dash_with_empty_stdin(self):
        r = self.account("add", "--name", "x", "--token-id", "ak-x", "--token-secret", "-", stdin_text="")
        self.assertExit(r, 2)

    def test_dry_run_writes_nothing(self):
        before = self.toml.read_bytes()
        r = self.account("add", "--name", "dry", "--token-id", "ak-d", "--token-secret", "-", "--dry-run",
                         stdin_text="as-d")
        self.assertExit(r, 0)
        self.assertEqual(self.toml.read_bytes(), before)
        self.assertIn("dry run", r.err)

    def test_odd_tokens_warn_without_quoting_the_secret(self):
        r = self.account("add", "--name", "odd", "--token-id", "as-swapped", "--token-secret", "-",
                         stdin_text="ak-SECRETISH")
        self.assertExit(r, 0)
        self.assertIn("swapped", r.err)
        self.assertNotIn("ak-SECRETISH", r.err + r.out)

    def test_interactive_prompts_hide_the_secret(self):
        code, out = self.run_on_pty(["account", "add", "--name", "pty"], [b"\r", b"ak-pty\r", b"as-pty-SECRET\r"])
        self.assertEqual(code, 0, out)
        self.assertIn("Modal token secret", out)
        self.assertNotIn("as-pty-SECRET", out)
        self.assertEqual(self.profile_table("pty"), {"token_id": '"ak-pty"', "token_secret": '"as-pty-SECRET"'})

    def test_interactive_paste_is_hidden_and_fills_everything(self):
        paste = b"modal token set --token-id ak-pp --token-secret as-pp-SECRET --profile=pasted\r"
        code, out = self.run_on_pty(["account", "add"], [paste])
        self.assertEqual(code, 0, out)
        self.assertIn("Parsed the token command", out)
        self.assertNotIn("as-pp-SECRET", out)
        self.assertEqual(self.profile_table("pasted")["token_secret"], '"as-pp-SECRET"')


class SwitchRemoveCurrentTests(AccountTestCase):
    def test_switch_moves_the_active_line(self):
        doc = self.account_json("switch", "work")
        self.assertEqual(doc, {"active": "work", "changed": True, "env_tokens_override": False})
        self.assertEqual(self.profile_table("work").get("active"), "true")
        self.assertNotIn("active", self.profile_table("alice"))
        r = self.account("switch", "work")
        self.assertExit(r, 0)
        self.assertIn("already", r.out)

    def test_switch_unknown_lists_known_names(self):
        before = self.toml.read_bytes()
        r = self.account("switch", "ghost")
        self.assertExit(r, 2)
        self.assertIn("ghost", r.err)
        self.assertIn("alice", r.err)
        self.assertIn("work", r.err)
        self.assertEqual(self.toml.read_bytes(), before)

    def test_remove_active_promotes_the_first_remaining(self):
        doc = self.account_json("remove", "alice", "--yes")
        self.assertEqual(doc, {"removed": "alice", "new_active": "work", "dry_run": False})
        self.assertNotIn("[alice]", self.toml.read_text())
        self.assertEqual(self.profile_table("work").get("active"), "true")
        r = self.account("remove", "work", "--yes")
        self.assertExit(r, 0)
        self.assertIn("Removed profile 'work'", r.out)
        self.assertIn("m-gpux account add", r.err)

    def test_remove_needs_confirmation(self):
        before = self.toml.read_bytes()
        r = self.account("remove", "work")  # stdin is not a terminal
        self.assertExit(r, 2)
        self.assertIn("--yes", r.err)
        self.assertEqual(self.toml.read_bytes(), before)
        r = self.account("remove", "ghost", "--yes")
        self.assertExit(r, 2)
        self.assertIn("alice", r.err)
        self.assertEqual(self.toml.read_bytes(), before)

    def test_remove_declined_on_a_terminal_keeps_the_profile(self):
        before = self.toml.read_bytes()
        code, out = self.run_on_pty(["account", "remove", "work"], [b"n\r"])
        self.assertEqual(code, 130, out)
        self.assertIn("kept", out)
        self.assertEqual(self.toml.read_bytes(), before)
        code, out = self.run_on_pty(["account", "remove", "work"], [b"y\r"])
        self.assertEqual(code, 0, out)
        self.assertNotIn("[work]", self.toml.read_text())

    def test_current(self):
        r = self.account("current")
        self.assertExit(r, 0)
        self.assertEqual(r.out, "alice\n")
        self.assertEqual(self.account_json("current", "--profile", "work"),
                         {"profile": "work", "source": "--profile", "env_tokens_override": False})
        self.assertExit(self.account("current", "--profile", "ghost"), 2)

    def test_current_without_an_active_profile_is_exit_1(self):
        self.fake.write_modal_toml(self.toml, {"a": {"token_id": "ak-a", "token_secret": "as-a"},
                                               "b": {"token_id": "ak-b", "token_secret": "as-b"}})
        r = self.account("current", "--json")
        self.assertExit(r, 1)
        self.assertEqual(r.json(), {"profile": None, "source": None, "env_tokens_override": False})
        self.assertIn("m-gpux account switch", r.err)
        self.toml.unlink()
        self.assertExit(self.account("current"), 1)

    def test_current_json_says_whether_token_variables_win(self):
        self.assertEqual(self.account_json("current"),
                         {"profile": "alice", "source": "active", "env_tokens_override": False})

    def test_help_has_examples(self):
        r = self.run_mgpux("account", "--help")
        self.assertExit(r, 0)
        self.assertIn("Example:", r.out)
        for sub in ("list", "add", "switch", "remove", "current"):
            self.assertIn(sub, r.out)
            h = self.run_mgpux("account", sub, "--help")
            self.assertExit(h, 0)
            self.assertIn("Example:", h.out)
            self.assertTrue(re.search(r"m-gpux account " + sub, h.out), h.out)


ENV_TOKENS = {"MODAL_TOKEN_ID": "ak-env", "MODAL_TOKEN_SECRET": "as-env"}
ENV_NOTE = "MODAL_TOKEN_ID / MODAL_TOKEN_SECRET are set in the environment"


class EnvTokenTests(AccountTestCase):
    """Token variables override every profile inside `modal`: wherever a
    profile is shown or pinned, m-gpux says so while they are set."""

    def assertNote(self, err, profile):
        self.assertIn(ENV_NOTE, err)
        self.assertIn(f"not profile '{profile}'", err)
        self.assertIn("while they are set", err)
        self.assertNotIn("as-env", err)

    def test_current_text_and_json(self):
        r = self.account("current", env=ENV_TOKENS)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "alice\n")
        self.assertNote(r.err, "alice")
        self.assertEqual(r.err.count(ENV_NOTE), 1)
        r = self.account("current", "--json", env=ENV_TOKENS)
        self.assertExit(r, 0)
        self.assertEqual(r.json(), {"profile": "alice", "source": "active", "env_tokens_override": True})
        self.assertNote(r.err, "alice")
        # Either variable alone wins for its key.
        self.assertNote(self.account("current", env={"MODAL_TOKEN_SECRET": "as-env"}).err, "alice")
        self.assertNotIn(ENV_NOTE, self.account("current").err)

    def test_list_says_so_in_text_and_json(self):
        r = self.account("list", "--no-usage", env=ENV_TOKENS)
        self.assertExit(r, 0)
        self.assertNote(r.err, "alice")
        doc = self.account_json("list", "--no-usage", env=ENV_TOKENS)
        self.assertTrue(doc["env_tokens_override"])
        self.assertFalse(self.account_json("list", "--no-usage")["env_tokens_override"])
        r = self.account("list", env=ENV_TOKENS)  # with usage: the rows are the tokens' workspace
        self.assertExit(r, 0)
        self.assertIn("every row", r.err)

    def test_switch_says_so(self):
        r = self.account("switch", "work", env=ENV_TOKENS)
        self.assertExit(r, 0)
        self.assertNote(r.err, "work")
        self.assertEqual(self.profile_table("work").get("active"), "true")
        doc = self.account_json("switch", "alice", env=ENV_TOKENS)
        self.assertEqual(doc, {"active": "alice", "changed": True, "env_tokens_override": True})
        self.assertNotIn(ENV_NOTE, self.account("switch", "work").err)


if __name__ == "__main__":
    main()
