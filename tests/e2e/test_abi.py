# SPDX-License-Identifier: MIT
"""ABI fixture plugins: each has an expected host reaction."""
import os
import shutil

from harness import MgpuxTestCase, PLUGIN_DIR, main


class AbiFixtures(MgpuxTestCase):
    def use(self, *names, extra=()):
        dirs = [str(self.fixture_dir(n)) for n in names] + [str(d) for d in extra]
        self.env["MGPUX_PLUGIN_PATH"] = ":".join(dirs)

    def listing(self):
        r = self.run_mgpux("plugins", "list", "--json")
        self.assertExit(r, 0)
        return {os.path.basename(p["path"]): p for p in r.json()["plugins"]}

    def test_good_c_plugin_loads_and_runs_with_typed_values(self):
        self.use("good")
        r = self.run_mgpux("abigood", "greet", "-n", "Ada", "--count", "3", "--mode", "slow")
        self.assertExit(r, 0)
        payload = r.out.split(" ran with ", 1)[1]
        import json
        args = json.loads(payload)
        self.assertEqual(args["command"], "abigood greet")
        self.assertEqual(args["values"], {"name": "Ada", "mode": "slow", "count": 3})
        self.assertFalse(args["global"]["json"])
        self.assertTrue(args["global"]["no_input"])  # stdin is not a terminal

    def greet_values(self, plugin, *args):
        r = self.run_mgpux(plugin, "greet", *args)
        self.assertExit(r, 0)
        import json
        return json.loads(r.out.split(" ran with ", 1)[1])["values"]

    def test_negatable_flag_is_absent_unless_given(self):
        self.use("good")
        self.assertNotIn("loud", self.greet_values("abigood"))
        self.assertIs(self.greet_values("abigood", "--loud")["loud"], True)
        self.assertIs(self.greet_values("abigood", "--no-loud")["loud"], False)

    def test_plugin_built_against_sdk_1_0_loads_and_runs(self):
        self.use("abi_1_0")
        entry = self.listing()["mgpux-abiten.so"]
        self.assertEqual(entry["status"], "loaded")
        r = self.run_mgpux("abiten", "greet", "-n", "Ada", "-t", "a", "-t", "b")
        self.assertExit(r, 0)
        self.assertEqual(r.err, "")
        import json
        args = json.loads(r.out.split(" ran with ", 1)[1])
        self.assertEqual(args["command"], "abiten greet")
        # Built expecting 1.0's promise: an unset on/off flag arrives as false.
        self.assertEqual(args["values"], {"name": "Ada", "tag": ["a", "b"], "loud": False})
        self.assertIs(self.greet_values("abiten", "--loud")["loud"], True)
        self.assertIs(self.greet_values("abiten", "--no-loud")["loud"], False)

    def read_by_accessors(self, *args):
        self.use("args_reader")
        r = self.run_mgpux("abiargs", "show", *args)
        self.assertExit(r, 0)
        return dict(line.split("=", 1) for line in r.out.splitlines() if not line.startswith(("has ", "item ")))

    def test_c_plugin_reads_arguments_through_the_accessors(self):
        self.use("args_reader")
        r = self.run_mgpux("abiargs", "show", "-n", "Ada", "--count", "7", "--ratio", "0.5", "--no-loud",
                           "--plain", "-t", "a", "-t", "b c", "--port", "8000", "--port", "9000", "there",
                           "--", "x", "--y")
        self.assertExit(r, 0)
        lines = r.out.splitlines()
        self.assertEqual(lines[:11], [
            "name=Ada", "target=there", "count=7", "ratio=0.5", "loud=false", "plain=true",
            "tag[2]=a,b c", "port[2]=8000,9000", "rest[2]=x,--y", "count[1]=7", "has name=1 missing=0"])
        self.assertEqual(lines[11:15], ["missing=(null)", "count=(null)", "global.dry_run=false",
                                        "item past end=(null)"])
        self.assertTrue(lines[15].startswith("malformed=(null) error="), lines[15])
        self.assertIn("not valid JSON", lines[15])
        self.assertEqual(r.err, "")

    def test_c_plugin_sees_absent_arguments_as_absent(self):
        got = self.read_by_accessors("--loud", "--dry-run")
        self.assertEqual(got["name"], "(null)")
        self.assertEqual(got["target"], "(null)")
        self.assertEqual(got["count"], "(null)")  # the second "count=" line: an int is not a string
        self.assertEqual(got["ratio"], "-1")  # the fallback
        self.assertEqual(got["loud"], "true")
        self.assertEqual(got["plain"], "false")
        self.assertEqual(got["tag[0]"], "")
        self.assertEqual(got["rest[0]"], "")
        self.assertEqual(got["count[1]"], "2")  # the declared default
        self.assertEqual(got["global.dry_run"], "true")
        self.assertEqual(self.read_by_accessors()["loud"], "absent")

    def test_wrong_major_is_skipped_with_a_diagnostic(self):
        self.use("wrong_major", "good")
        r = self.run_mgpux("abigood", "greet")
        self.assertExit(r, 0)  # the bad plugin changes no exit code
        self.assertIn("mgpux-abimajor.so", r.err)
        self.assertIn("built for plugin ABI 2.0, this host provides 1.1", r.err)
        self.assertEqual(self.listing()["mgpux-abimajor.so"]["status"], "skipped")
        self.assertExit(self.run_mgpux("abimajor", "greet"), 2)

    def test_newer_minor_is_skipped(self):
        self.use("newer_minor")
        entry = self.listing()["mgpux-abiminor.so"]
        self.assertEqual(entry["status"], "skipped")
        self.assertIn("plugin ABI 1.2, this host provides 1.1", entry["reason"])

    def test_older_shorter_descriptor_loads_and_runs(self):
        self.use("old_short")
        r = self.run_mgpux("abiold", "run")
        self.assertExit(r, 0)
        self.assertEqual(r.out, "old plugin ran\n")
        self.assertEqual(r.err, "")

    def test_library_without_entry_symbol_is_not_a_plugin(self):
        self.use("no_symbol", "good")
        r = self.run_mgpux("abigood", "greet")
        self.assertExit(r, 0)
        self.assertIn("not an m-gpux plugin", r.err)

    def test_unresolved_symbol_is_refused_at_load_time(self):
        self.use("unresolved")
        r = self.run_mgpux("--help")
        self.assertExit(r, 0)
        self.assertIn("mgpux-abiunres.so", r.err)
        self.assertIn("mgpux_fixture_symbol_that_does_not_exist", r.err)
        self.assertNotIn("abiunres", r.out)

    def test_failing_init_fails_only_its_command(self):
        self.use("init_fail", "good")
        r = self.run_mgpux("abiinit", "run")
        self.assertExit(r, 3)
        self.assertIn("failed to initialise: fixture config is broken", r.err)
        self.assertNotIn("run after failed init", r.out)
        self.assertExit(self.run_mgpux("abigood", "greet"), 0)

    def test_exception_across_the_abi_is_caught(self):
        self.use("throwing_raw")
        r = self.run_mgpux("abithrow", "run")
        self.assertExit(r, 1)
        self.assertIn("threw an exception across the C ABI: fixture exploded", r.err)

    def test_helper_turns_exceptions_into_statuses(self):
        self.use("throwing_helper")
        r = self.run_mgpux("abihelper", "run")
        self.assertExit(r, 1)
        self.assertIn("helper caught this", r.err)
        r = self.run_mgpux("abihelper", "run", "--usage")
        self.assertExit(r, 2)
        self.assertIn("helper usage error", r.err)

    def test_duplicate_id_first_wins_and_second_is_shadowed(self):
        self.use("good", "duplicate")
        listing = self.run_mgpux("plugins", "list", "--json").json()["plugins"]
        self.assertEqual([p["status"] for p in listing], ["loaded", "shadowed"])
        self.assertIn(str(self.fixture_dir("good")), listing[1]["reason"])
        r = self.run_mgpux("abigood", "greet")
        self.assertExit(r, 0)
        self.assertIn("shadowed", r.err)

    def test_unsafe_permissions_are_refused(self):
        unsafe = self.tmp / "unsafe"
        unsafe.mkdir()
        shutil.copy(self.fixture_dir("good") / "mgpux-abigood.so", unsafe)
        os.chmod(unsafe, 0o777)
        self.use(extra=[unsafe])
        r = self.run_mgpux("abigood", "greet")
        self.assertExit(r, 2)
        self.assertIn("writable by group or others", r.err)
        os.chmod(unsafe, 0o755)
        os.chmod(unsafe / "mgpux-abigood.so", 0o666)
        self.assertIn("refused", self.listing()["mgpux-abigood.so"]["reason"])
        os.chmod(unsafe / "mgpux-abigood.so", 0o755)
        self.assertExit(self.run_mgpux("abigood", "greet"), 0)

    def test_global_option_redeclared_is_refused(self):
        self.use("global_clash")
        entry = self.listing()["mgpux-abiglobal.so"]
        self.assertEqual(entry["status"], "skipped")
        self.assertIn("redeclares the global option --json", entry["reason"])

    def test_file_name_must_match_the_id(self):
        self.use("misnamed")
        entry = self.listing()["mgpux-misnamed.so"]
        self.assertEqual(entry["status"], "skipped")
        self.assertIn("does not match the file name", entry["reason"])

    def test_non_elf_file_is_a_warning_not_a_crash(self):
        junk = self.tmp / "junk"
        junk.mkdir()
        (junk / "mgpux-junk.so").write_bytes(b"not a library")
        self.use("good", extra=[junk])
        r = self.run_mgpux("abigood", "greet")
        self.assertExit(r, 0)
        self.assertIn("skipped plugin", r.err)
        self.assertIn("mgpux-junk.so", r.err)

    def test_debug_prints_every_decision(self):
        self.use("good", "wrong_major")
        r = self.run_mgpux("plugins", "list", env={"MGPUX_DEBUG": "plugins"})
        self.assertIn("plugins: plugin dir", r.err)
        self.assertIn("mgpux-abigood.so: loaded", r.err)
        self.assertIn("mgpux-abimajor.so: skipped", r.err)


class Discovery(MgpuxTestCase):
    def test_add_plugin_path_comes_before_the_system_dir(self):
        # Without MGPUX_PLUGIN_PATH the system dir next to the binary is searched,
        # and MGPUX_ADD_PLUGIN_PATH comes first.
        self.env.pop("MGPUX_PLUGIN_PATH")
        self.env["MGPUX_ADD_PLUGIN_PATH"] = str(self.fixture_dir("good"))
        doc = self.run_mgpux("plugins", "list", "--json").json()
        origins = [d["origin"] for d in doc["search_dirs"]]
        self.assertEqual(origins, ["MGPUX_ADD_PLUGIN_PATH", "user", "system"])
        self.assertEqual(doc["search_dirs"][2]["path"], str(PLUGIN_DIR))
        loaded = [p["id"] for p in doc["plugins"] if p["status"] == "loaded"]
        self.assertEqual(loaded[0], "abigood")
        self.assertIn("info", loaded)

    def test_user_dir_is_searched(self):
        self.env.pop("MGPUX_PLUGIN_PATH")
        user = self.home / ".local" / "share" / "m-gpux" / "plugins"
        user.mkdir(parents=True)
        shutil.copy(self.fixture_dir("good") / "mgpux-abigood.so", user)
        self.assertExit(self.run_mgpux("abigood", "greet"), 0)


class Validate(MgpuxTestCase):
    def test_validate_reports_descriptor_and_commands(self):
        r = self.run_mgpux("plugins", "validate", self.fixture_dir("good") / "mgpux-abigood.so", "--json")
        self.assertExit(r, 0)
        doc = r.json()
        self.assertTrue(doc["usable"])
        self.assertEqual(doc["id"], "abigood")
        self.assertEqual(doc["version"], "1.2.3")
        self.assertEqual([c["path"] for c in doc["commands"]], ["abigood", "abigood greet"])

    def test_validate_survives_a_crashing_plugin(self):
        lib = self.fixture_dir("crashing") / "mgpux-abicrash.so"
        r = self.run_mgpux("plugins", "validate", lib, "--json")
        self.assertExit(r, 1)
        doc = r.json()
        self.assertFalse(doc["usable"])
        # "(SIGSEGV)" in a plain build; a sanitizer build reports its own exit instead.
        self.assertRegex(doc["reason"], r"crashed while loading \((SIGSEGV|exit \d+)\)")
        # Listing does not call init, so the host itself is unaffected.
        self.env["MGPUX_PLUGIN_PATH"] = str(self.fixture_dir("crashing"))
        self.assertExit(self.run_mgpux("plugins", "list"), 0)

    def test_validate_fails_on_unusable_plugins(self):
        cases = {"wrong_major": "plugin ABI 2.0", "init_fail": "fixture config is broken",
                 "no_symbol": "not an m-gpux plugin", "unresolved": "does_not_exist"}
        for name, why in cases.items():
            lib = next(self.fixture_dir(name).glob("*.so"))
            r = self.run_mgpux("plugins", "validate", lib)
            self.assertExit(r, 1)
            self.assertIn(why, r.err)


class LoadIsolation(MgpuxTestCase):
    """A plugin file the host has not loaded before is loaded in a child
    process first, and only regular files are considered: a library that
    crashes or hangs while it loads costs one warning, not every command."""

    def setUp(self):
        super().setUp()
        self.plugins = self.tmp / "plugins"
        self.plugins.mkdir(mode=0o755)
        shutil.copy(self.fixture_dir("good") / "mgpux-abigood.so", self.plugins)
        self.env["MGPUX_PLUGIN_PATH"] = str(self.plugins)

    def assertSkippedAndOthersWork(self, bad, why):
        for _ in range(2):  # the cold start, then one with the good plugin cached
            r = self.run_mgpux("plugins", "list", "--json", timeout=20)
            self.assertExit(r, 0)
            entries = {os.path.basename(p["path"]): p for p in r.json()["plugins"]}
            self.assertEqual(entries["mgpux-abigood.so"]["status"], "loaded")
            self.assertEqual(entries[bad]["status"], "skipped")
            self.assertRegex(entries[bad]["reason"], why)
            warnings = [line for line in r.err.splitlines() if bad in line]
            self.assertEqual(len(warnings), 1, r.err)
            self.assertRegex(warnings[0], "skipped plugin .*" + why)
            r = self.run_mgpux("abigood", "greet", "-n", "Ada", timeout=20)
            self.assertExit(r, 0)
            self.assertIn("abigood ran with", r.out)
            self.assertEqual(len([line for line in r.err.splitlines() if bad in line]), 1, r.err)

    def test_truncated_library(self):
        data = (self.fixture_dir("good") / "mgpux-abigood.so").read_bytes()
        (self.plugins / "mgpux-abitrunc.so").write_bytes(data[: len(data) // 2])
        self.assertSkippedAndOthersWork("mgpux-abitrunc.so", r"crashed while loading \(SIGBUS\)")

    def test_constructor_that_crashes(self):
        shutil.copy(self.fixture_dir("ctor_crash") / "mgpux-abictor.so", self.plugins)
        self.assertSkippedAndOthersWork("mgpux-abictor.so", r"crashed while loading \(SIGSEGV\)")

    def test_fifo_and_directory_named_like_plugins(self):
        os.mkfifo(self.plugins / "mgpux-fifo.so")
        self.assertSkippedAndOthersWork("mgpux-fifo.so", r"not a regular file \(a FIFO\)")
        (self.plugins / "mgpux-fifo.so").unlink()
        (self.plugins / "mgpux-dir.so").mkdir()
        self.assertSkippedAndOthersWork("mgpux-dir.so", r"not a regular file \(a directory\)")

    def test_validate_does_not_hang_on_a_fifo(self):
        os.mkfifo(self.plugins / "mgpux-fifo.so")
        r = self.run_mgpux("plugins", "validate", self.plugins / "mgpux-fifo.so", timeout=20)
        self.assertExit(r, 1)
        self.assertIn("not a regular file (a FIFO)", r.err)

    def test_new_files_are_checked_in_a_child_once(self):
        debug = {"MGPUX_DEBUG": "plugins"}
        first = self.run_mgpux("--help", env=debug)
        self.assertExit(first, 0)
        self.assertIn("loading 1 new plugin file(s) in a child process first", first.err)
        second = self.run_mgpux("--help", env=debug)
        self.assertExit(second, 0)
        self.assertNotIn("in a child process", second.err)
        self.assertIn("mgpux-abigood.so: loaded from cache", second.err)


if __name__ == "__main__":
    main()
