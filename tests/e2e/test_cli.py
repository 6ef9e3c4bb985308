# SPDX-License-Identifier: MIT
"""The command line contract: help, version, errors and exit codes, the
command tree, completion, the welcome screen and `info`."""
import json
import os
import re
import shutil
import stat
import subprocess
import unittest

from harness import BIN, PLUGIN_DIR, MgpuxTestCase, main

NOBODY = 65534


class HelpAndVersion(MgpuxTestCase):
    def test_help_lists_loaded_commands_and_globals(self):
        r = self.run_mgpux("--help")
        self.assertExit(r, 0)
        self.assertIn("info", r.out)
        self.assertIn("plugins", r.out)
        for flag in ("--profile", "--yes", "--no-input", "--dry-run", "--json", "--script-out", "--backend",
                     "--color", "--version"):
            self.assertIn(flag, r.out)

    def test_help_says_script_out_is_written_even_under_dry_run(self):
        r = self.run_mgpux("--help")
        self.assertExit(r, 0)
        line = next(l for l in r.out.splitlines() if l.strip().startswith("--script-out"))
        self.assertIn("even under --dry-run", line)
        dry = next(l for l in r.out.splitlines() if l.strip().startswith("--dry-run"))
        self.assertIn("--script-out", dry)

    def test_help_at_every_level(self):
        for args in (["info", "--help"], ["plugins", "--help"], ["plugins", "validate", "-h"], ["--help", "info"]):
            r = self.run_mgpux(*args)
            self.assertExit(r, 0)
            self.assertIn("Usage: m-gpux", r.out)
        self.assertIn("--versions", self.run_mgpux("info", "--help").out)
        self.assertIn("FILE", self.run_mgpux("plugins", "validate", "--help").out)

    def test_version(self):
        r = self.run_mgpux("--version")
        self.assertExit(r, 0)
        self.assertRegex(r.out, r"^m-gpux \d+\.\d+\.\d+")
        self.assertIn("plugin ABI 1.1", r.out)

    def test_group_without_command_prints_its_help(self):
        r = self.run_mgpux("plugins")
        self.assertExit(r, 0)
        self.assertIn("list", r.out)
        self.assertIn("validate", r.out)


    def test_repeatable_is_said_once_per_option(self):
        paths = [c["path"] for c in self.run_mgpux("commands", "--json").json()["commands"]]
        self.assertIn("preset create", paths)
        checked = 0
        for path in paths:
            r = self.run_mgpux(*path.split(), "--help")
            self.assertExit(r, 0)
            for line in r.out.splitlines():
                if "repeatable" in line:
                    checked += 1
                    self.assertEqual(line.count("repeatable"), 1, f"`{path} --help`: {line}")
        self.assertGreater(checked, 5)


class UsageErrors(MgpuxTestCase):
    def test_unknown_command_suggests(self):
        r = self.run_mgpux("infp")
        self.assertExit(r, 2)
        self.assertIn("unknown command 'infp'", r.err)
        self.assertIn("did you mean 'info'", r.err)

    def test_unknown_subcommand_suggests(self):
        r = self.run_mgpux("plugins", "lsit")
        self.assertExit(r, 2)
        self.assertIn("did you mean 'list'", r.err)

    def test_mistyped_subcommand_with_an_argument_suggests_the_subcommand(self):
        for args in (["account", "swich"], ["account", "swich", "p1"]):
            r = self.run_mgpux(*args)
            self.assertExit(r, 2)
            self.assertIn("unknown command 'swich' for 'm-gpux account'", r.err)
            self.assertIn("did you mean 'switch'", r.err)
            self.assertNotIn("'p1'", r.err)

    def test_unknown_option_suggests(self):
        r = self.run_mgpux("info", "--versionz")
        self.assertExit(r, 2)
        self.assertIn("unknown option '--versionz'", r.err)
        self.assertIn("did you mean", r.err)

    def test_abbreviated_option_is_refused(self):
        r = self.run_mgpux("info", "--vers")
        self.assertExit(r, 2)
        self.assertIn("unknown option '--vers'", r.err)
        # --no-i must not be taken for --no-input
        self.assertExit(self.run_mgpux("info", "--no-i"), 2)

    def test_value_outside_choices(self):
        r = self.run_mgpux("completion", "tcsh")
        self.assertExit(r, 2)
        self.assertIn("choose from bash, zsh, fish", r.err)
        r = self.run_mgpux("--color", "sometimes", "info")
        self.assertExit(r, 2)

    def test_missing_argument(self):
        r = self.run_mgpux("plugins", "validate")
        self.assertExit(r, 2)
        self.assertIn("missing argument FILE", r.err)

    def test_json_on_a_command_without_json_output(self):
        r = self.run_mgpux("completion", "bash", "--json")
        self.assertExit(r, 2)
        self.assertEqual(r.out, "")

    def test_trailing_list_refused_where_not_declared(self):
        r = self.run_mgpux("info", "--", "x")
        self.assertExit(r, 2)


class GlobalOptions(MgpuxTestCase):
    def test_globals_before_and_after_command_words(self):
        before = self.run_mgpux("--json", "info")
        after = self.run_mgpux("info", "--json")
        self.assertExit(before, 0)
        self.assertExit(after, 0)
        self.assertEqual(before.json()["version"], after.json()["version"])

    def test_json_mode_keeps_stdout_to_one_document(self):
        r = self.run_mgpux("plugins", "list", "--json", "-v")
        self.assertExit(r, 0)
        doc = r.json()
        loaded = [p["id"] for p in doc["plugins"] if p["status"] == "loaded"]
        built = sorted(f.name[len("mgpux-"):-len(".so")] for f in PLUGIN_DIR.glob("mgpux-*.so"))
        self.assertIn("info", loaded)
        self.assertEqual(sorted(loaded), built)


class CommandTree(MgpuxTestCase):
    def test_commands_json_has_the_whole_tree(self):
        r = self.run_mgpux("commands", "--json")
        self.assertExit(r, 0)
        doc = r.json()
        by_path = {c["path"]: c for c in doc["commands"]}
        self.assertIn("info", by_path)
        self.assertEqual(by_path["info"]["plugin"], "info")
        self.assertEqual([o["name"] for o in by_path["info"]["options"]], ["versions"])
        self.assertEqual(by_path["info"]["options"][0]["type"], "bool")
        self.assertEqual(sorted(by_path["plugins"]["subcommands"]), ["install", "list", "remove", "validate"])
        shell = by_path["completion"]["options"][0]
        self.assertEqual(shell["choices"], ["bash", "zsh", "fish"])
        self.assertTrue(shell["positional"])

    def complete_env(self):
        """The test's environment with this m-gpux first on PATH, as the scripts call it."""
        env = dict(self.env)
        env["PATH"] = f"{BIN.parent}:{env['PATH']}"
        return env

    def test_completion_bash_is_valid_and_completes(self):
        r = self.run_mgpux("completion", "bash")
        self.assertExit(r, 0)
        check = subprocess.run(["bash", "-n"], input=r.out, text=True, capture_output=True)
        self.assertEqual(check.returncode, 0, check.stderr)
        script = self.tmp / "completion.bash"
        script.write_text(r.out)

        def complete(*words):
            line = " ".join(words)
            probe = (f'source "{script}"; COMP_WORDS=(m-gpux {line}); COMP_CWORD={len(words)}; '
                     '_m_gpux; printf "%s\\n" "${COMPREPLY[@]}"')
            out = subprocess.run(["bash", "-c", probe], text=True, capture_output=True, env=self.complete_env(),
                                 cwd=self.tmp)
            return sorted(w for w in out.stdout.split("\n") if w)

        self.assertIn("info", complete("in"))
        self.assertEqual(complete("plugins", "''"), ["install", "list", "remove", "validate"])
        self.assertEqual(complete("completion", "''"), ["bash", "fish", "zsh"])
        self.assertEqual(complete("info", "--vers"), ["--version", "--versions"])
        self.assertEqual(complete("--color", "''"), ["always", "auto", "never"])
        self.assertEqual(complete("--color", "=", "al"), ["always"])  # bash splits --color=al
        (self.tmp / "mgpux-x.so").write_text("")
        self.assertIn("mgpux-x.so", complete("plugins", "validate", "mgpux-"))  # a FILE argument

    def test_complete_reads_the_loaded_tree(self):
        def complete(shell, *words, cword=None):
            cword = len(words) if cword is None else cword
            r = self.run_mgpux("__complete", shell, cword, "m-gpux", *words)
            self.assertExit(r, 0)
            return r.out.splitlines()

        self.assertEqual(complete("bash", "plugins", ""), ["install", "list", "remove", "validate"])
        self.assertIn("info\tShow version, paths, plugins and programs", complete("fish", "i"))
        self.assertEqual(complete("bash", "info", "--", ""), [":files"])  # after --: the command's own arguments
        self.assertIn("--versions:also run modal and python3 to show their versions", complete("zsh", "info", "--v"))
        # Options of the command, its negations and the global options; values of a choice.
        self.assertEqual(complete("bash", "--json", "plugins", "install", "x.so", "--fo"), ["--force"])
        self.assertEqual(complete("bash", "completion", "--json", ""), ["bash", "zsh", "fish"])
        self.assertEqual(complete("fish", "--backend="), ["--backend=modal", "--backend=local"])
        self.assertEqual(complete("bash", "--profile", ""), ["AUTO"])  # no profile file yet
        self.write_two_profiles()
        self.assertEqual(complete("bash", "info", "--profile", ""), ["alice", "work", "AUTO"])
        self.assertIn("alice:active profile", complete("zsh", "--profile", "a"))
        self.assertEqual(complete("bash", "plugins", "remove", ""), [])
        user_dir = self.home / ".local" / "share" / "m-gpux" / "plugins"
        user_dir.mkdir(parents=True)
        shutil.copy(self.fixture_dir("good") / "mgpux-abigood.so", user_dir)
        self.assertEqual(complete("bash", "plugins", "remove", ""), ["abigood"])  # what can be removed
        self.assertEqual(complete("bash", "plugins", "validate", ""), [":files"])
        # Hidden entries are in no listing.
        self.assertNotIn("__complete", complete("bash", ""))
        self.assertNotIn("__complete", self.run_mgpux("--help").out)
        self.assertNotIn("__man", [c["path"] for c in self.run_mgpux("commands", "--json").json()["commands"]])

    def test_completion_zsh_and_fish(self):
        zsh = self.run_mgpux("completion", "zsh")
        self.assertExit(zsh, 0)
        self.assertTrue(zsh.out.startswith("#compdef m-gpux"))
        fish = self.run_mgpux("completion", "fish")
        self.assertExit(fish, 0)
        self.assertIn("__complete fish", fish.out)
        for shell, flag in (("zsh", "-n"), ("fish", "--no-execute")):
            if shutil.which(shell):
                text = zsh.out if shell == "zsh" else fish.out
                check = subprocess.run([shell, flag], input=text, text=True, capture_output=True)
                self.assertEqual(check.returncode, 0, check.stderr)
        if shutil.which("fish"):
            script = self.tmp / "m-gpux.fish"
            script.write_text(fish.out)
            out = subprocess.run(["fish", "--no-config", "-c", f"source {script}; complete -C'm-gpux info --vers'"],
                                 text=True, capture_output=True, env=self.complete_env())
            self.assertIn("--versions\talso run modal and python3 to show their versions", out.stdout.splitlines())
        if shutil.which("zsh"):
            script = self.tmp / "_m-gpux"
            script.write_text(zsh.out)
            # compsys itself needs a terminal; its two functions the script calls are stood in for.
            probe = ('compdef() { :; }; _describe() { print -rl -- "${(@P)${@[-1]}}"; }; '
                     f'_files() {{ print -r -- FILES; }}; source {script}; '
                     'words=(m-gpux plugins ""); CURRENT=3; _m-gpux; '
                     'words=(m-gpux plugins validate ""); CURRENT=4; _m-gpux')
            out = subprocess.run(["zsh", "-f", "-c", probe], text=True, capture_output=True, env=self.complete_env())
            self.assertIn("install:Install a plugin file into your user plugin directory", out.stdout.splitlines())
            self.assertEqual(out.stdout.splitlines()[-1], "FILES")


class StartupWeight(MgpuxTestCase):
    def test_host_does_not_link_libraries_only_some_commands_need(self):
        # libcurl (and the TLS/LDAP/SSH libraries behind it) cost every start
        # about 8 ms when linked; the HTTP service opens it on first use.
        ldd = shutil.which("ldd")
        if not ldd:
            self.skipTest("ldd is not available")
        out = subprocess.run([ldd, str(BIN)], capture_output=True, text=True).stdout
        self.assertNotIn("libcurl", out)
        self.assertNotIn("libssl", out)


class Welcome(MgpuxTestCase):
    def test_welcome_lists_loaded_commands_without_animation(self):
        r = self.run_mgpux()
        self.assertExit(r, 0)
        self.assertIn("Modal GPU Orchestrator", r.out)
        self.assertIn("m-gpux info", r.out)
        self.assertNotIn("\033[", r.out)  # not a terminal: no colour, no animation
        self.assertIn("m-gpux video generate", r.out)
        only_info = self.run_mgpux(env={"MGPUX_PLUGIN_PATH": str(self.fixture_dir("good"))})
        self.assertNotIn("m-gpux info", only_info.out)  # only commands that are loaded
        self.assertNotIn("m-gpux video", only_info.out)


class Info(MgpuxTestCase):
    def test_info_json_reports_locations_and_programs(self):
        r = self.run_mgpux("info", "--json")
        self.assertExit(r, 0)
        doc = r.json()
        self.assertEqual(doc["directories"]["config_file"], self.env["MODAL_CONFIG_PATH"])
        self.assertEqual(doc["directories"]["state_dir"], self.env["MGPUX_HOME"])
        self.assertEqual(doc["directories"]["template_dirs"][0],
                         str(self.home / ".config" / "m-gpux" / "templates"))
        self.assertEqual(doc["programs"]["modal"]["path"], str(self.fake_modal()))
        self.assertEqual([d["origin"] for d in doc["plugin_dirs"]], ["MGPUX_PLUGIN_PATH"])
        self.assertIn("mgpux-info.so", doc["plugin_dirs"][0]["files"])
        self.assertNotIn("version", doc["programs"]["modal"])
        self.assertEqual(self.modal_calls(), [])  # without --versions nothing is run

    def test_info_lists_each_plugins_template_directories(self):
        fixtures = self.fixture_dir("templated")
        env = {"MGPUX_PLUGIN_PATH": os.pathsep.join([str(fixtures), str(PLUGIN_DIR)])}
        override = str(self.home / ".config" / "m-gpux" / "templates")
        r = self.run_mgpux("info", "--json", env=env)
        self.assertExit(r, 0)
        plugins = {p["id"]: p for p in r.json()["plugins"]}
        # A plugin that ships templates beside its file: its own folder, after the user's overrides.
        self.assertEqual(plugins["abitpl"]["templates"],
                         {"override": override, "own": str(fixtures / "abitpl" / "templates")})
        # One that ships none renders from the installed set: no folder of its own.
        self.assertEqual(plugins["info"]["templates"], {"override": override, "own": None})
        text = self.run_mgpux("info", env=env)
        self.assertExit(text, 0)
        self.assertIn("Plugin templates", text.out)
        self.assertRegex(text.out, r"\n  abitpl\s+" + re.escape(str(fixtures / "abitpl" / "templates")) + r"\n")
        self.assertRegex(text.out, r"\n  info\s+\(none of its own\)\n")
        self.assertIn("  overrides " + override + "\n", text.out)

    def test_info_versions_runs_the_programs(self):
        r = self.run_mgpux("info", "--versions", "--json")
        self.assertExit(r, 0)
        self.assertEqual(r.json()["programs"]["modal"]["version"], "modal client version: 1.5.4")
        calls = self.modal_calls()
        self.assertEqual([c["argv"] for c in calls], [["--version"]])

    def test_info_says_when_modal_is_missing(self):
        r = self.run_mgpux("info", env={"PATH": "/usr/bin:/bin"})
        self.assertExit(r, 0)
        self.assertRegex(r.out, r"modal\s+missing")
        doc = self.run_mgpux("info", "--json", env={"PATH": "/usr/bin:/bin"}).json()
        self.assertFalse(doc["programs"]["modal"]["found"])

    def test_modal_override_variable(self):
        r = self.run_mgpux("info", "--json", env={"MGPUX_MODAL": str(self.fake_modal()), "PATH": "/usr/bin:/bin"})
        self.assertEqual(r.json()["programs"]["modal"]["path"], str(self.fake_modal()))

    def fake_modal(self):
        from harness import FAKES_DIR
        return FAKES_DIR / "modal"


KEYS = [{"name": "dev", "key": "sk-mgpux-" + "a" * 48, "created": "2026-01-01T00:00:00", "active": True}]


class StateDirTrust(MgpuxTestCase):
    """The state directory, its runs/ and every state file must be the user's
    own: another user who owns one could hand us their keys or scripts."""

    def setUp(self):
        super().setUp()
        self.write_two_profiles()
        self.state_dir.mkdir()
        self.keys_file = self.state_dir / "api_keys.json"
        self.keys_file.write_text(json.dumps(KEYS))

    def mode(self, path):
        return stat.S_IMODE(path.stat().st_mode)

    def test_open_state_dir_and_file_of_ours_are_tightened_with_one_note(self):
        os.chmod(self.state_dir, 0o777)
        os.chmod(self.keys_file, 0o666)
        r = self.run_mgpux("serve", "keys", "show", "dev")
        self.assertExit(r, 0)
        self.assertIn(KEYS[0]["key"], r.out)
        self.assertEqual(self.mode(self.state_dir), 0o700)
        self.assertEqual(self.mode(self.keys_file), 0o600)
        self.assertIn(f"{self.state_dir} was open to other users (mode 0777); it is now 0700", r.err)
        self.assertIn(f"{self.keys_file} was open to other users (mode 0666); it is now 0600", r.err)
        self.assertEqual(r.err.count("open to other users"), 2)
        again = self.run_mgpux("serve", "keys", "show", "dev")
        self.assertExit(again, 0)
        self.assertNotIn("open to other users", again.err)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to give a file to another user")
    def test_state_of_another_user_is_refused(self):
        os.chmod(self.state_dir, 0o777)
        os.chown(self.state_dir, NOBODY, NOBODY)
        r = self.run_mgpux("serve", "keys", "show", "dev")
        self.assertExit(r, 3)
        self.assertIn(str(self.state_dir), r.err)
        self.assertIn(f"owned by uid {NOBODY}", r.err)
        self.assertIn("chown", r.err)
        self.assertNotIn(KEYS[0]["key"], r.out + r.err)
        self.assertEqual(self.mode(self.state_dir), 0o777, "not ours to change")
        # Our directory, but a key file someone else put there.
        os.chown(self.state_dir, 0, 0)
        os.chown(self.keys_file, NOBODY, NOBODY)
        r = self.run_mgpux("serve", "keys", "show", "dev")
        self.assertExit(r, 3)
        self.assertIn(str(self.keys_file), r.err)
        self.assertNotIn(KEYS[0]["key"], r.out)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to give a file to another user")
    def test_runs_dir_of_another_user_stops_a_launch_before_modal_runs(self):
        self.env["MGPUX_PLUGIN_PATH"] = str(self.fixture_dir("svcprobe"))
        runs = self.state_dir / "runs"
        runs.mkdir(mode=0o777)
        os.chown(runs, NOBODY, NOBODY)
        r = self.run_mgpux("svcprobe", "run", "--yes")
        self.assertExit(r, 3)
        self.assertIn(str(runs), r.err)
        self.assertEqual(self.fake.calls_of("run"), [])
        self.assertEqual(list(runs.iterdir()), [])


if __name__ == "__main__":
    main()
