# SPDX-License-Identifier: MIT
"""The plugin metadata cache ($XDG_CACHE_HOME/m-gpux/plugins.json): a start
after the first opens no plugin library for --help, completion or listing,
running a command opens only its plugin, and anything that changed is read
again from the file."""
import json
import os
import re
import shutil
import stat
import subprocess
import time

from harness import BIN, MgpuxTestCase, main

# A line of LD_DEBUG=files for a plugin library the dynamic loader opened.
OPENED = re.compile(r"file=(\S*mgpux-[a-z0-9-]+\.so)\s")


def opened_plugins(stderr):
    return sorted({os.path.basename(m) for m in OPENED.findall(stderr)})


class PluginCache(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.cache = self.home / ".cache" / "m-gpux" / "plugins.json"
        self.plugins = self.tmp / "plugins"
        self.plugins.mkdir(mode=0o755)
        self.good = self.plugins / "mgpux-abigood.so"
        shutil.copy(self.fixture_dir("good") / "mgpux-abigood.so", self.good)
        shutil.copy(self.fixture_dir("old_short") / "mgpux-abiold.so", self.plugins)
        self.env["MGPUX_PLUGIN_PATH"] = str(self.plugins)

    def listing(self):
        r = self.run_mgpux("plugins", "list", "--json")
        self.assertExit(r, 0)
        return {os.path.basename(p["path"]): p for p in r.json()["plugins"]}

    def cache_doc(self):
        return json.loads(self.cache.read_text())

    def write_version(self, path, old=b"1.2.3\0", new=b"4.5.6\0"):
        """The good fixture with another version string: same size, other content."""
        data = (self.fixture_dir("good") / "mgpux-abigood.so").read_bytes()
        self.assertIn(old, data)
        return data.replace(old, new)

    def test_second_start_opens_no_plugin_for_help_completion_and_listing(self):
        first = self.run_mgpux("--help", env={"LD_DEBUG": "files"})
        self.assertExit(first, 0)
        # The probe sees the libraries when they are opened...
        self.assertEqual(opened_plugins(first.err), ["mgpux-abigood.so", "mgpux-abiold.so"])
        self.assertTrue(self.cache.is_file())
        # ... and none on the next starts.
        complete = ["__complete", "bash", "2", "m-gpux", "abigood", ""]
        for args in (["--help"], ["abigood", "--help"], complete, ["plugins", "list"], ["commands"]):
            r = self.run_mgpux(*args, env={"LD_DEBUG": "files"})
            self.assertExit(r, 0)
            self.assertEqual(opened_plugins(r.err), [], args)
        help_text = self.run_mgpux("--help").out
        self.assertIn("abigood", help_text)
        self.assertIn("abiold", help_text)
        self.assertEqual(self.run_mgpux(*complete).out, "greet\n")

    def test_running_a_command_opens_only_its_plugin(self):
        self.assertExit(self.run_mgpux("--help"), 0)
        r = self.run_mgpux("abigood", "greet", "-n", "Ada", "--count", "3", env={"LD_DEBUG": "files"})
        self.assertExit(r, 0)
        self.assertEqual(opened_plugins(r.err), ["mgpux-abigood.so"])
        args = json.loads(r.out.split(" ran with ", 1)[1])
        self.assertEqual(args["values"], {"name": "Ada", "mode": "fast", "count": 3})
        r = self.run_mgpux("abiold", "run")
        self.assertExit(r, 0)
        self.assertEqual(r.out, "old plugin ran\n")

    def test_listing_says_which_plugins_came_from_the_cache(self):
        first = self.listing()
        self.assertFalse(first["mgpux-abigood.so"]["cached"])
        second = self.listing()
        self.assertTrue(second["mgpux-abigood.so"]["cached"])
        for key in ("id", "version", "abi", "status", "commands", "origin", "reason"):
            self.assertEqual(first["mgpux-abigood.so"][key], second["mgpux-abigood.so"][key], key)
        r = self.run_mgpux("plugins", "list", env={"MGPUX_DEBUG": "plugins"})
        self.assertIn("mgpux-abigood.so: loaded from cache", r.err)

    def test_replaced_plugin_is_read_again_at_the_next_start(self):
        self.assertEqual(self.listing()["mgpux-abigood.so"]["version"], "1.2.3")
        # Installed the usual way: a new file renamed over the old one.
        staged = self.plugins / ".mgpux-abigood.so.new"
        staged.write_bytes(self.write_version(self.good))
        os.chmod(staged, 0o755)
        os.replace(staged, self.good)
        entry = self.listing()["mgpux-abigood.so"]
        self.assertEqual(entry["version"], "4.5.6")
        self.assertFalse(entry["cached"])
        self.assertEqual(self.listing()["mgpux-abigood.so"]["version"], "4.5.6")
        self.assertExit(self.run_mgpux("abigood", "greet"), 0)

    def test_plugin_overwritten_in_place_with_its_mtime_put_back_is_caught(self):
        self.assertExit(self.run_mgpux("--help"), 0)
        before = os.stat(self.good)
        time.sleep(0.05)  # the kernel's file clock is coarse
        with open(self.good, "r+b") as f:  # same inode
            f.write(b"\0" * before.st_size)
        os.utime(self.good, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = os.stat(self.good)
        self.assertEqual((after.st_size, after.st_mtime_ns, after.st_ino),
                         (before.st_size, before.st_mtime_ns, before.st_ino))
        self.assertNotEqual(after.st_ctime_ns, before.st_ctime_ns)
        r = self.run_mgpux("--help")
        self.assertExit(r, 0)
        self.assertIn("skipped plugin " + str(self.good), r.err)
        self.assertNotIn("abigood", r.out)
        # Never cached while it is broken: reported at every start.
        self.assertIn("skipped plugin " + str(self.good), self.run_mgpux("--help").err)
        self.assertNotIn(str(self.good), [p["path"] for p in self.cache_doc()["plugins"]])

    def test_skipped_plugin_is_reported_at_every_start(self):
        shutil.copy(self.fixture_dir("wrong_major") / "mgpux-abimajor.so", self.plugins)
        for _ in range(2):
            r = self.run_mgpux("--help")
            self.assertExit(r, 0)
            self.assertIn("built for plugin ABI 2.0", r.err)
        self.assertEqual(sorted(os.path.basename(p["path"]) for p in self.cache_doc()["plugins"]),
                         ["mgpux-abigood.so", "mgpux-abiold.so"])

    def test_command_of_a_plugin_that_no_longer_matches_its_cache_entry_fails(self):
        self.assertExit(self.run_mgpux("--help"), 0)
        # The cache now says something the library does not: as if the plugin
        # had changed without its stat key changing.
        doc = self.cache_doc()
        for entry in doc["plugins"]:
            if entry["id"] == "abigood":
                entry["version"] = "0.0.1"
        self.cache.write_text(json.dumps(doc))
        r = self.run_mgpux("abigood", "greet")
        self.assertExit(r, 1)
        self.assertIn(str(self.good), r.err)
        self.assertIn("changed since m-gpux cached its commands", r.err)
        self.assertNotIn("ran with", r.out)
        # The entry was dropped, so the next start reads the file again.
        self.assertNotIn("0.0.1", self.cache.read_text())
        entry = self.listing()["mgpux-abigood.so"]
        self.assertEqual(entry["version"], "1.2.3")
        self.assertFalse(entry["cached"])
        self.assertExit(self.run_mgpux("abigood", "greet"), 0)

    def test_corrupt_or_truncated_cache_is_replaced_silently(self):
        self.assertExit(self.run_mgpux("--help"), 0)
        good_text = self.cache.read_text()
        for content in ("not json at all", good_text[: len(good_text) // 2], ""):
            self.cache.write_text(content)
            r = self.run_mgpux("--help")
            self.assertExit(r, 0)
            self.assertIn("abigood", r.out)
            self.assertEqual(r.err, "")  # no warning: the cache is only an optimisation
            doc = self.cache_doc()
            self.assertEqual(sorted(p["id"] for p in doc["plugins"]), ["abigood", "abiold"])
            self.assertEqual(opened_plugins(self.run_mgpux("--help", env={"LD_DEBUG": "files"}).err), [])

    def test_no_plugin_cache_neither_writes_nor_reads(self):
        for args in (["--help"], ["abigood", "greet"], ["plugins", "list"]):
            self.assertExit(self.run_mgpux(*args, env={"MGPUX_NO_PLUGIN_CACHE": "1"}), 0)
        self.assertFalse((self.home / ".cache" / "m-gpux").exists())
        # With a cache present, it is not read (nor rewritten) either.
        self.assertExit(self.run_mgpux("--help"), 0)
        doc = self.cache_doc()
        for entry in doc["plugins"]:
            entry["summary"] = "from the cache"
        self.cache.write_text(json.dumps(doc))
        before = self.cache.read_bytes()
        r = self.run_mgpux("--help", env={"MGPUX_NO_PLUGIN_CACHE": "1", "LD_DEBUG": "files"})
        self.assertEqual(opened_plugins(r.err), ["mgpux-abigood.so", "mgpux-abiold.so"])
        self.assertNotIn("from the cache", r.out)
        self.assertIn("from the cache", self.run_mgpux("--help").out)  # proves the edit was a valid cache
        self.assertEqual(self.cache.read_bytes(), before)

    def test_cache_file_is_private_and_defaults_to_home_cache(self):
        self.env.pop("XDG_CACHE_HOME")
        self.assertExit(self.run_mgpux("--help"), 0)
        self.assertTrue(self.cache.is_file())
        self.assertEqual(stat.S_IMODE(os.stat(self.cache).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(self.cache.parent).st_mode), 0o700)
        self.assertEqual(self.cache_doc()["host"]["abi_major"], 1)

    def test_unchanged_start_does_not_rewrite_the_cache(self):
        self.assertExit(self.run_mgpux("--help"), 0)
        before = os.stat(self.cache)
        time.sleep(0.05)
        self.assertExit(self.run_mgpux("--help"), 0)
        self.assertExit(self.run_mgpux("abigood", "greet"), 0)
        after = os.stat(self.cache)
        self.assertEqual((after.st_ino, after.st_mtime_ns), (before.st_ino, before.st_mtime_ns))

    def test_concurrent_starts_leave_one_whole_cache_file(self):
        env = dict(self.env)
        procs = [subprocess.Popen([str(BIN), "--help"], env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(8)]
        errors = [p.communicate(timeout=60)[1] for p in procs]
        self.assertEqual([p.returncode for p in procs], [0] * 8)
        self.assertEqual(errors, [b""] * 8)
        self.assertEqual(sorted(p["id"] for p in self.cache_doc()["plugins"]), ["abigood", "abiold"])
        self.assertEqual(os.listdir(self.cache.parent), ["plugins.json"])  # no temp file left behind

    def test_unsafe_permissions_are_checked_before_the_cache(self):
        self.assertExit(self.run_mgpux("--help"), 0)
        os.chmod(self.plugins, 0o777)
        try:
            r = self.run_mgpux("abigood", "greet")
            self.assertExit(r, 2)
            self.assertIn("writable by group or others", r.err)
        finally:
            os.chmod(self.plugins, 0o755)
        self.assertExit(self.run_mgpux("abigood", "greet"), 0)


if __name__ == "__main__":
    main()
