# SPDX-License-Identifier: MIT
"""`plugins install FILE` copies a checked plugin into the user plugin
directory ($XDG_DATA_HOME/m-gpux/plugins) and `plugins remove ID` takes one
out again; neither touches a system plugin, and the plugin cache follows."""
import json
import os
import shutil
import stat

from harness import PLUGIN_DIR, MgpuxTestCase, main


class PluginFilesCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        # The user directory is searched only without MGPUX_PLUGIN_PATH; the
        # system directory is then the build's plugin directory, beside the binary.
        del self.env["MGPUX_PLUGIN_PATH"]
        self.user_dir = self.home / ".local" / "share" / "m-gpux" / "plugins"
        self.cache = self.home / ".cache" / "m-gpux" / "plugins.json"
        self.src = self.tmp / "src"
        self.src.mkdir(mode=0o755)
        self.good = self.src / "mgpux-abigood.so"
        shutil.copy(self.fixture_dir("good") / "mgpux-abigood.so", self.good)
        os.chmod(self.good, 0o755)

    def patched(self, old, new, name=None):
        """The good fixture with `old` bytes replaced by `new` (same length), in src/."""
        data = self.good.read_bytes()
        self.assertIn(old, data)
        path = self.src / (name or self.good.name)
        path.write_bytes(data.replace(old, new))
        os.chmod(path, 0o755)
        return path

    def listing(self):
        r = self.run_mgpux("plugins", "list", "--json")
        self.assertExit(r, 0)
        return r.json()["plugins"]

    def loaded(self, plugin_id):
        return [p for p in self.listing() if p["id"] == plugin_id and p["status"] == "loaded"]

    def user_files(self):
        return sorted(p.name for p in self.user_dir.iterdir()) if self.user_dir.is_dir() else []

    def staging_left(self):
        parent = self.user_dir.parent
        return sorted(p.name for p in parent.iterdir() if p.name != "plugins") if parent.is_dir() else []


class PluginsInstall(PluginFilesCase):
    def test_installed_plugin_is_listed_loaded_and_runs(self):
        self.assertEqual(self.loaded("abigood"), [])
        r = self.run_mgpux("plugins", "install", self.good, "--json")
        self.assertExit(r, 0)
        doc = r.json()
        target = self.user_dir / "mgpux-abigood.so"
        self.assertEqual(doc["id"], "abigood")
        self.assertEqual(doc["version"], "1.2.3")
        self.assertEqual(doc["path"], str(target))
        self.assertTrue(doc["installed"])
        self.assertFalse(doc["replaced"])
        self.assertEqual([c["path"] for c in doc["commands"]], ["abigood", "abigood greet"])
        self.assertEqual(target.read_bytes(), self.good.read_bytes())
        self.assertEqual(stat.S_IMODE(target.stat().st_mode), 0o644)
        self.assertEqual(self.user_files(), ["mgpux-abigood.so"])
        self.assertEqual(self.staging_left(), [])
        [entry] = self.loaded("abigood")
        self.assertEqual(entry["origin"], "user")
        # The install itself put it in the plugin cache: the first listing read no library.
        self.assertTrue(entry["cached"])
        self.assertIn(str(target), [p["path"] for p in json.loads(self.cache.read_text())["plugins"]])
        run = self.run_mgpux("abigood", "greet", "-n", "Ada")
        self.assertExit(run, 0)
        self.assertIn("abigood ran with", run.out)

    def test_a_plugin_brings_its_own_templates(self):
        shutil.copytree(self.fixture_dir("templated"), self.src / "templated")
        plugin = self.src / "templated" / "mgpux-abitpl.so"
        r = self.run_mgpux("plugins", "install", plugin, "--json")
        self.assertExit(r, 0)
        own = self.user_dir / "abitpl" / "templates"
        self.assertEqual(r.json()["templates"], str(own))
        self.assertEqual((own / "abitpl" / "hello.py").read_bytes(),
                         (self.src / "templated" / "abitpl" / "templates" / "abitpl" / "hello.py").read_bytes())
        shutil.rmtree(self.src / "templated")  # the installed copy stands alone
        r = self.run_mgpux("abitpl", "render", "--who", "ada")
        self.assertExit(r, 0)
        self.assertIn('WHO = "ada"', r.out)
        # Installed again without templates: the old ones do not linger.
        bare = self.src / "mgpux-abitpl.so"
        shutil.copy(self.fixture_dir("templated") / "mgpux-abitpl.so", bare)
        r = self.run_mgpux("plugins", "install", bare, "--json")
        self.assertExit(r, 0)
        self.assertIsNone(r.json()["templates"])
        self.assertFalse((self.user_dir / "abitpl").exists())
        self.assertEqual(self.staging_left(), [])

    def test_text_output_names_the_commands(self):
        r = self.run_mgpux("plugins", "install", self.good)
        self.assertExit(r, 0)
        self.assertIn("Installed plugin 'abigood' 1.2.3 as " + str(self.user_dir / "mgpux-abigood.so"), r.out)
        self.assertIn("m-gpux abigood greet", r.out)

    def test_unusable_plugins_are_refused_and_nothing_is_copied(self):
        for fixture, name, why in (("wrong_major", "mgpux-abimajor.so", "ABI"),
                                   ("no_symbol", "mgpux-abinosym.so", "mgpux_plugin_entry"),
                                   ("ctor_crash", "mgpux-abictor.so", "crashed while loading"),
                                   ("init_fail", "mgpux-abiinit.so", "init failed")):
            path = self.src / name
            shutil.copy(self.fixture_dir(fixture) / name, path)
            r = self.run_mgpux("plugins", "install", path)
            self.assertExit(r, 1)
            self.assertIn("refusing to install " + str(path), r.err)
            self.assertIn(why, r.err, fixture)
            self.assertEqual(self.user_files(), [], fixture)
            self.assertEqual(self.staging_left(), [], fixture)

    def test_unsafe_files_are_refused(self):
        link = self.src / "mgpux-abilink.so"
        link.symlink_to(self.good)
        r = self.run_mgpux("plugins", "install", link)
        self.assertExit(r, 1)
        self.assertIn("symbolic link", r.err)
        writable = self.tmp / "mgpux-abigood.so"
        shutil.copy(self.good, writable)
        os.chmod(writable, 0o666)
        r = self.run_mgpux("plugins", "install", writable)
        self.assertExit(r, 1)
        self.assertIn("writable by group or others", r.err)
        fifo = self.src / "mgpux-abififo.so"
        os.mkfifo(fifo)
        r = self.run_mgpux("plugins", "install", fifo, timeout=20)
        self.assertExit(r, 1)
        self.assertIn("not a regular file", r.err)
        (self.src / "mgpux-abidir.so").mkdir()
        r = self.run_mgpux("plugins", "install", self.src / "mgpux-abidir.so")
        self.assertExit(r, 1)
        self.assertIn("not a regular file", r.err)
        self.assertEqual(self.user_files(), [])

    def test_missing_or_misnamed_file_is_a_usage_error(self):
        r = self.run_mgpux("plugins", "install", self.src / "mgpux-nothere.so")
        self.assertExit(r, 2)
        self.assertIn("no such file", r.err)
        other = self.src / "greeter.so"
        shutil.copy(self.good, other)
        r = self.run_mgpux("plugins", "install", other)
        self.assertExit(r, 2)
        self.assertIn("mgpux-<id>.so", r.err)
        self.assertEqual(self.user_files(), [])

    def test_an_id_of_a_built_in_command_is_refused(self):
        path = self.patched(b"abigood", b"plugins", "mgpux-plugins.so")
        r = self.run_mgpux("plugins", "install", path)
        self.assertExit(r, 1)
        self.assertIn("belongs to a built-in command", r.err)
        self.assertEqual(self.user_files(), [])

    def test_shadowing_a_system_plugin_needs_force(self):
        self.assertTrue((PLUGIN_DIR / "mgpux-account.so").is_file())
        path = self.patched(b"abigood", b"account", "mgpux-account.so")
        r = self.run_mgpux("plugins", "install", path)
        self.assertExit(r, 1)
        self.assertIn("would shadow the system plugin 'account'", r.err)
        self.assertIn("--force", r.err)
        self.assertEqual(self.user_files(), [])
        r = self.run_mgpux("plugins", "install", path, "--force")
        self.assertExit(r, 0)
        self.assertEqual(self.user_files(), ["mgpux-account.so"])
        by_origin = {p["origin"]: p for p in self.listing() if p["id"] == "account"}
        self.assertEqual(by_origin["user"]["status"], "loaded")
        self.assertEqual(by_origin["system"]["status"], "shadowed")

    def test_installing_again_replaces_the_earlier_copy(self):
        self.assertExit(self.run_mgpux("plugins", "install", self.good), 0)
        self.assertEqual(self.loaded("abigood")[0]["version"], "1.2.3")
        newer = self.patched(b"1.2.3\0", b"4.5.6\0")
        r = self.run_mgpux("plugins", "install", newer, "--json")
        self.assertExit(r, 0)
        self.assertTrue(r.json()["replaced"])
        self.assertEqual(self.loaded("abigood")[0]["version"], "4.5.6")
        self.assertEqual(self.user_files(), ["mgpux-abigood.so"])

    def test_dry_run_checks_and_copies_nothing(self):
        r = self.run_mgpux("--dry-run", "plugins", "install", self.good, "--json")
        self.assertExit(r, 0)
        self.assertFalse(r.json()["installed"])
        self.assertEqual(self.user_files(), [])
        self.assertEqual(self.staging_left(), [])
        bad = self.src / "mgpux-abimajor.so"
        shutil.copy(self.fixture_dir("wrong_major") / "mgpux-abimajor.so", bad)
        self.assertExit(self.run_mgpux("--dry-run", "plugins", "install", bad), 1)

    def test_install_warns_when_the_user_directory_is_not_searched(self):
        r = self.run_mgpux("plugins", "install", self.good, env={"MGPUX_PLUGIN_PATH": str(PLUGIN_DIR)})
        self.assertExit(r, 0)
        self.assertIn("MGPUX_PLUGIN_PATH is set", r.err)
        self.assertEqual(self.user_files(), ["mgpux-abigood.so"])


class PluginsRemove(PluginFilesCase):
    def setUp(self):
        super().setUp()
        self.assertExit(self.run_mgpux("plugins", "install", self.good), 0)
        self.target = self.user_dir / "mgpux-abigood.so"

    def test_remove_asks_and_needs_yes_without_a_terminal(self):
        r = self.run_mgpux("plugins", "remove", "abigood")
        self.assertExit(r, 2)
        self.assertIn("--yes", r.err)
        self.assertTrue(self.target.exists())
        r = self.run_mgpux("--no-input", "plugins", "remove", "abigood")
        self.assertExit(r, 2)
        self.assertTrue(self.target.exists())

    def test_remove_with_yes_deletes_it_and_drops_it_from_the_cache(self):
        self.assertEqual(len(self.loaded("abigood")), 1)
        r = self.run_mgpux("--yes", "plugins", "remove", "abigood", "--json")
        self.assertExit(r, 0)
        self.assertEqual(r.json(), {"id": "abigood", "path": str(self.target), "removed": True})
        self.assertFalse(self.target.exists())
        self.assertEqual(self.loaded("abigood"), [])
        self.assertNotIn(str(self.target), [p["path"] for p in json.loads(self.cache.read_text())["plugins"]])
        self.assertExit(self.run_mgpux("abigood", "greet"), 2)

    def test_remove_answered_on_a_terminal(self):
        code, out = self.run_on_pty(["plugins", "remove", "abigood"], [b"n\n"])
        self.assertEqual(code, 130, out)
        self.assertTrue(self.target.exists())
        code, out = self.run_on_pty(["plugins", "remove", "abigood"], [b"y\n"])
        self.assertEqual(code, 0, out)
        self.assertFalse(self.target.exists())

    def test_remove_takes_the_plugins_templates_too(self):
        shutil.copytree(self.fixture_dir("templated"), self.src / "templated")
        self.assertExit(self.run_mgpux("plugins", "install", self.src / "templated" / "mgpux-abitpl.so"), 0)
        self.assertTrue((self.user_dir / "abitpl" / "templates").is_dir())
        r = self.run_mgpux("--yes", "plugins", "remove", "abitpl")
        self.assertExit(r, 0)
        self.assertIn(str(self.user_dir / "abitpl"), r.out)
        self.assertEqual(self.user_files(), ["mgpux-abigood.so"])

    def test_dry_run_removes_nothing(self):
        r = self.run_mgpux("--dry-run", "plugins", "remove", "abigood")
        self.assertExit(r, 0)
        self.assertIn("Would remove", r.out)
        self.assertTrue(self.target.exists())

    def test_a_system_plugin_is_never_removed(self):
        r = self.run_mgpux("--yes", "plugins", "remove", "info")
        self.assertExit(r, 2)
        self.assertIn("system plugin", r.err)
        self.assertIn(str(PLUGIN_DIR / "mgpux-info.so"), r.err)
        self.assertTrue((PLUGIN_DIR / "mgpux-info.so").is_file())

    def test_a_plugin_from_an_added_directory_is_not_removed(self):
        added = self.tmp / "added"
        added.mkdir(mode=0o755)
        shutil.copy(self.fixture_dir("old_short") / "mgpux-abiold.so", added)
        r = self.run_mgpux("--yes", "plugins", "remove", "abiold", env={"MGPUX_ADD_PLUGIN_PATH": str(added)})
        self.assertExit(r, 2)
        self.assertIn("MGPUX_ADD_PLUGIN_PATH", r.err)
        self.assertTrue((added / "mgpux-abiold.so").is_file())

    def test_unknown_or_invalid_id_is_a_usage_error(self):
        r = self.run_mgpux("--yes", "plugins", "remove", "nosuch")
        self.assertExit(r, 2)
        self.assertIn("no plugin 'nosuch'", r.err)
        r = self.run_mgpux("--yes", "plugins", "remove", "../abigood")
        self.assertExit(r, 2)
        self.assertIn("invalid plugin id", r.err)
        self.assertTrue(self.target.exists())


if __name__ == "__main__":
    main()
