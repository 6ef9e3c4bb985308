# SPDX-License-Identifier: MIT
"""-DMGPUX_PLUGINS: a build with a chosen set of plugins builds and installs
only those (and info); an unknown name is a configure error."""
import os
import re
import shutil
import subprocess

from pathlib import Path

from harness import MgpuxTestCase, SOURCE_DIR, main

CMAKE = os.environ.get("MGPUX_TEST_CMAKE", "cmake")
BUILD_DIR = Path(os.environ.get("MGPUX_TEST_BUILD_DIR", "build/release")).resolve()


def run(*cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def plugin_files(root):
    return sorted(p.name for p in root.rglob("m-gpux/plugins/*.so"))


class ChosenPlugins(MgpuxTestCase):
    """A second small build: -DMGPUX_PLUGINS picks what is built and installed."""

    def build_dir(self):
        # Beside the build under test, at the same depth in the tree, so ccache (with its
        # CCACHE_BASEDIR paths relative to the build directory) reuses that build's objects.
        build = BUILD_DIR.parent / f"plugin-selection-{os.getpid()}"
        self.addCleanup(shutil.rmtree, build, ignore_errors=True)
        return build

    def configure(self, build, plugins):
        # The settings of the build under test, so its compile commands are the same.
        cache = (BUILD_DIR / "CMakeCache.txt").read_text()
        same = [f"-D{name}={value}" for name, value in re.findall(
            r"^(CMAKE_BUILD_TYPE|CMAKE_CXX_COMPILER|CMAKE_C_COMPILER|CMAKE_INSTALL_PREFIX|MGPUX_WERROR|MGPUX_HARDENING):\w+=(.*)$",
            cache, re.M)]
        cmd = [CMAKE, "-S", SOURCE_DIR, "-B", build, "-G", "Ninja", *same, "-DMGPUX_BUILD_TESTS=OFF",
               f"-DMGPUX_PLUGINS={plugins}"]
        return subprocess.run(list(map(str, cmd)), capture_output=True, text=True, env=self.build_env())

    def build_env(self):
        return dict(os.environ, CCACHE_BASEDIR=str(SOURCE_DIR))

    def test_unknown_plugin_is_a_configure_error_naming_the_known_ones(self):
        proc = self.configure(self.build_dir(), "account;nope")
        self.assertNotEqual(proc.returncode, 0)
        message = " ".join(proc.stderr.split())  # CMake wraps the message
        self.assertIn("MGPUX_PLUGINS names 'nope'", message)
        self.assertIn("Known plugins: account, billing, budget,", message)

    def test_build_with_account_and_serve_installs_those_and_info(self):
        build = self.build_dir()
        proc = self.configure(build, "account;serve")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        targets = run(CMAKE, "--build", build, "--target", "help")
        self.assertNotIn("mgpux-hub", targets)
        run(CMAKE, "--build", build, env=self.build_env())
        stage = self.tmp / "stage"
        run(CMAKE, "--install", build, "--prefix", "/usr", env=dict(os.environ, DESTDIR=str(stage)))
        self.assertEqual(plugin_files(stage), ["mgpux-account.so", "mgpux-info.so", "mgpux-serve.so"])
        templates = stage / "usr" / "share" / "m-gpux" / "templates"
        self.assertEqual(sorted(p.name for p in templates.iterdir()), ["common", "dev", "hub", "serve"])
        # The staged host, run from where it was staged, loads exactly those.
        del self.env["MGPUX_PLUGIN_PATH"]
        r = self.run_mgpux("plugins", "list", "--json", binary=stage / "usr" / "bin" / "m-gpux")
        self.assertExit(r, 0)
        self.assertEqual(sorted(p["id"] for p in r.json()["plugins"] if p["status"] == "loaded"),
                         ["account", "info", "serve"])


if __name__ == "__main__":
    main()
