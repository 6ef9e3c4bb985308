# SPDX-License-Identifier: MIT
"""`cmake --install` gives a relocatable tree with the SDK; a plugin built
out of tree with find_package(MGpuxSDK) runs in the installed host."""
import ast
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from harness import MgpuxTestCase, SOURCE_DIR, main, run_checked

CMAKE = os.environ.get("MGPUX_TEST_CMAKE", "cmake")
BUILD_DIR = Path(os.environ.get("MGPUX_TEST_BUILD_DIR", "build/release"))
CXX = os.environ.get("MGPUX_TEST_CXX", "g++")


run = run_checked  # a failing build step fails the test with all it printed


class InstalledTree(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        staged = self.tmp / "staged"
        run(CMAKE, "--install", BUILD_DIR, "--prefix", staged)
        # Relocate: the tree must work from wherever it is moved to.
        self.prefix = self.tmp / "moved" / "m-gpux"
        self.prefix.parent.mkdir()
        shutil.move(str(staged), str(self.prefix))
        self.bin = self.prefix / "bin" / "m-gpux"
        del self.env["MGPUX_PLUGIN_PATH"]

    def libdir(self):
        return next(p for p in (self.prefix / "lib", self.prefix / "lib64") if (p / "m-gpux").is_dir())

    def test_layout(self):
        self.assertTrue(self.bin.is_file())
        self.assertTrue((self.libdir() / "m-gpux" / "plugins" / "mgpux-info.so").is_file())
        self.assertTrue((self.prefix / "share" / "m-gpux" / "templates" / "common" / "generated_header.py").is_file())
        self.assertTrue((self.prefix / "include" / "mgpux" / "plugin.h").is_file())
        self.assertTrue((self.prefix / "include" / "mgpux" / "plugin.hpp").is_file())
        # One header per concept, the service headers in their own folder.
        include = self.prefix / "include" / "mgpux"
        for name in ("version.h", "status.h", "command.h", "host.h", "entry.h"):
            self.assertTrue((include / name).is_file(), name)
        self.assertEqual(sorted(p.name for p in (include / "service").iterdir()),
                         ["catalog.h", "http.h", "modal.h", "process.h", "profiles.h", "runner.h",
                          "service.h", "state.h"])
        for name in ("json.hpp", "error.hpp", "command.hpp", "args.hpp", "host.hpp", "entry.hpp"):
            self.assertTrue((include / name).is_file(), name)
        self.assertEqual(sorted(p.name for p in (include / "services").iterdir()),
                         ["catalog.hpp", "http.hpp", "modal.hpp", "process.hpp", "profiles.hpp", "runner.hpp",
                          "service.hpp", "state.hpp"])
        self.assertTrue((self.libdir() / "cmake" / "MGpuxSDK" / "MGpuxSDKConfig.cmake").is_file())
        self.assertTrue((self.libdir() / "pkgconfig" / "mgpux-sdk.pc").is_file())
        # The native serve proxy, and its sources for `serve deploy` to compile in the image.
        self.assertTrue((self.prefix / "share" / "m-gpux" / "proxy" / "main.cpp").is_file())
        self.assertTrue((self.prefix / "share" / "m-gpux" / "proxy" / "proxy_server.cpp").is_file())
        # The SDK's JSON codec travels with them, where the image build's -I finds it.
        self.assertTrue((self.prefix / "share" / "m-gpux" / "proxy" / "mgpux" / "json.hpp").is_file())
        self.assertEqual((self.prefix / "share" / "m-gpux" / "proxy" / "mgpux" / "json.hpp").read_bytes(),
                         (SOURCE_DIR / "sdk" / "include" / "mgpux" / "json.hpp").read_bytes())
        # The plugin author's docs and the example, beside the SDK.
        doc = self.prefix / "share" / "doc" / "m-gpux"
        for name in ("README.md", "architecture.md", "plugins.md"):
            self.assertTrue((doc / name).is_file(), name)
        self.assertEqual(sorted(p.name for p in (doc / "examples" / "hello-plugin").iterdir()),
                         ["CMakeLists.txt", "hello.cpp"])
        # No test fixtures or test binaries are installed.
        self.assertEqual(sorted(p.name for p in (self.prefix / "bin").iterdir()), ["m-gpux", "mgpux-proxy"])
        self.assertFalse(any(p.name.endswith("_test.cpp") for p in (self.prefix / "share" / "m-gpux" / "proxy").iterdir()))

    def test_relocated_serve_uses_the_installed_proxy_and_sources(self):
        keys = self.tmp / "keys.json"
        keys.write_text('[{"name": "a", "key": "sk-x", "created": "x"}]')
        r = self.run_mgpux("--dry-run", "serve", "proxy", "--upstream", "http://127.0.0.1:9", "--keys-file", keys,
                           binary=self.bin)
        self.assertExit(r, 0)
        self.assertIn(str(self.prefix / "bin" / "mgpux-proxy"), r.out)
        out = self.tmp / "deploy.py"
        r = self.run_mgpux("--yes", "--dry-run", "--script-out", out, "serve", "deploy", "--upstream",
                           "http://10.0.0.1:8000", binary=self.bin)
        self.assertExit(r, 0)
        self.assertIn("PROXY_SOURCES = \"%s\"" % (self.prefix / "share" / "m-gpux" / "proxy"), out.read_text())

    def test_relocated_host_finds_its_plugins_and_templates(self):
        r = self.run_mgpux("info", "--json", binary=self.bin)
        self.assertExit(r, 0)
        doc = r.json()
        system = [d for d in doc["plugin_dirs"] if d["origin"] == "system"][0]
        self.assertEqual(Path(system["path"]), self.libdir() / "m-gpux" / "plugins")
        self.assertIn("mgpux-info.so", system["files"])
        self.assertEqual(Path(doc["directories"]["template_dirs"][1]), self.prefix / "share" / "m-gpux" / "templates")

    def test_pkg_config_exposes_plugindir(self):
        if not shutil.which("pkg-config"):
            self.skipTest("pkg-config is not installed")
        env = dict(os.environ, PKG_CONFIG_PATH=str(self.libdir() / "pkgconfig"))
        plugindir = run("pkg-config", "--variable=plugindir", "mgpux-sdk", env=env).strip()
        self.assertEqual(Path(plugindir).resolve(), (self.libdir() / "m-gpux" / "plugins").resolve())
        cflags = run("pkg-config", "--cflags", "mgpux-sdk", env=env)
        self.assertIn("-I", cflags)

    def installed_example(self):
        return self.prefix / "share" / "doc" / "m-gpux" / "examples" / "hello-plugin"

    def assert_exports_only_the_entry(self, plugin):
        # Every defined dynamic symbol, of any kind (code, data, weak, unique).
        symbols = run("nm", "-D", "--defined-only", plugin)
        exported = [l.split()[-1] for l in symbols.splitlines() if l.strip()]
        self.assertEqual(exported, ["mgpux_plugin_entry"])

    def test_installed_example_builds_with_pkg_config_alone(self):
        if not shutil.which("pkg-config"):
            self.skipTest("pkg-config is not installed")
        env = dict(os.environ, PKG_CONFIG_PATH=str(self.libdir() / "pkgconfig"))
        cflags = run("pkg-config", "--cflags", "mgpux-sdk", env=env).split()
        plugindir = run("pkg-config", "--variable=plugindir", "mgpux-sdk", env=env).strip()
        build = self.tmp / "hello-pc"
        build.mkdir()
        plugin = build / "mgpux-hello.so"
        script = build / "exports.map"
        script.write_text("{ global: mgpux_plugin_entry; local: *; };\n")
        run(CXX, "-std=c++17", "-shared", "-fPIC", *cflags, "-o", plugin, self.installed_example() / "hello.cpp",
            f"-Wl,--version-script={script}", "-Wl,-z,defs")
        self.assert_exports_only_the_entry(plugin)
        # Installed where pkg-config says, the installed host finds it with no variable set.
        shutil.copy(plugin, Path(plugindir) / "mgpux-hello.so")
        r = self.run_mgpux("hello", "--name", "Pkg", binary=self.bin)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "Hello, Pkg!\n")

    def doc_block(self, text, caption):
        """The fenced block that follows the line `caption` in the installed plugin guide."""
        m = re.search(re.escape(caption) + r"\n\n```\w*\n(.*?)\n```", text, re.S)
        self.assertIsNotNone(m, f"plugins.md has no block after {caption!r}")
        return m.group(1) + "\n"

    def test_guide_plugin_with_its_own_template_builds_and_renders(self):
        guide = (self.prefix / "share" / "doc" / "m-gpux" / "plugins.md").read_text()
        src = self.tmp / "greet"
        (src / "templates" / "greet").mkdir(parents=True)
        (src / "greet.cpp").write_text(self.doc_block(guide, "`greet.cpp`:"))
        (src / "CMakeLists.txt").write_text(self.doc_block(guide, "`CMakeLists.txt` installs the templates beside the library:"))
        template = self.doc_block(guide, "`templates/greet/app.py`:")
        (src / "templates" / "greet" / "app.py").write_text(template)
        build = self.tmp / "greet-build"
        run(CMAKE, "-S", src, "-B", build, "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={self.prefix}",
            f"-DCMAKE_CXX_COMPILER={CXX}")
        run(CMAKE, "--build", build)
        self.assert_exports_only_the_entry(build / "mgpux-greet.so")
        # Installed as the guide says: the library, and its templates in <its directory>/greet/templates.
        run(CMAKE, "--install", build, "--prefix", self.tmp / "greet-install")
        libs = list((self.tmp / "greet-install").rglob("mgpux-greet.so")) or list(self.prefix.rglob("mgpux-greet.so"))
        self.assertEqual(len(libs), 1)
        plugin_dir = libs[0].parent
        self.assertTrue((plugin_dir / "greet" / "templates" / "greet" / "app.py").is_file())
        env = {"MGPUX_ADD_PLUGIN_PATH": str(plugin_dir)}
        out = self.tmp / "greet.py"
        r = self.run_mgpux("--dry-run", "--script-out", out, "greet", "--gpu", "h100:2", "-m", "hi", env=env,
                           binary=self.bin)
        self.assertExit(r, 0)
        self.assertEqual(self.fake.calls(), [])
        script = out.read_text()
        ast.parse(script)
        self.assertIn('gpu="H100:2"', script)
        self.assertIn('print("hi")', script)
        self.assertIn('from the template "greet/app.py"', script)
        # A user's copy in the override directory wins over the plugin's own.
        override = self.home / ".config" / "m-gpux" / "templates" / "greet"
        override.mkdir(parents=True)
        (override / "app.py").write_text("# the user's own version\n" + template)
        r = self.run_mgpux("--dry-run", "--script-out", out, "greet", "-m", "hi", env=env, binary=self.bin)
        self.assertExit(r, 0)
        self.assertTrue(out.read_text().startswith("# the user's own version\n"))
        r = self.run_mgpux("greet", "--gpu", "nope", env=env, binary=self.bin)
        self.assertExit(r, 2)

    def test_guide_c_plugin_builds_with_pkg_config_and_gets_its_arguments(self):
        if not shutil.which("pkg-config") or not shutil.which("cc"):
            self.skipTest("pkg-config or cc is not installed")
        guide = (self.prefix / "share" / "doc" / "m-gpux" / "plugins.md").read_text()
        build = self.tmp / "c-plugin"
        build.mkdir()
        (build / "echo.c").write_text(self.doc_block(guide, "### Without the helper: a plugin in C"))
        (build / "exports.map").write_text("{ global: mgpux_plugin_entry; local: *; };\n")
        env = dict(os.environ, PKG_CONFIG_PATH=str(self.libdir() / "pkgconfig"))
        cflags = run("pkg-config", "--cflags", "mgpux-sdk", env=env).split()
        run("cc", "-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror", "-shared", "-fPIC", *cflags,
            "-Wl,--version-script=" + str(build / "exports.map"), "-o", build / "mgpux-echo-args.so", build / "echo.c")
        env = {"MGPUX_ADD_PLUGIN_PATH": str(build)}
        r = self.run_mgpux("echo-args", "-l", "a", "b", env=env, binary=self.bin)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "loud: yes\nword: a\nword: b\n")
        r = self.run_mgpux("echo-args", "--no-loud", env=env, binary=self.bin)
        self.assertEqual((r.code, r.out), (0, "loud: no\n"))
        r = self.run_mgpux("echo-args", "c", env=env, binary=self.bin)
        self.assertEqual((r.code, r.out), (0, "loud: not given\nword: c\n"))

    def test_example_plugin_builds_against_the_installed_sdk_and_runs(self):
        build = self.tmp / "hello-build"
        run(CMAKE, "-S", self.installed_example(), "-B", build, "-G", "Ninja",
            f"-DCMAKE_PREFIX_PATH={self.prefix}", f"-DCMAKE_CXX_COMPILER={CXX}")
        run(CMAKE, "--build", build)
        plugin = build / "mgpux-hello.so"
        self.assertTrue(plugin.is_file())
        self.assert_exports_only_the_entry(plugin)

        env = {"MGPUX_ADD_PLUGIN_PATH": str(build)}
        r = self.run_mgpux("hello", "--name", "Ada", "--times", "2", env=env, binary=self.bin)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "Hello, Ada!\nHello, Ada!\n")
        r = self.run_mgpux("--json", "hello", "-n", "Bo", "--shout", env=env, binary=self.bin)
        self.assertExit(r, 0)
        self.assertEqual(r.json(), {"greetings": ["HELLO, BO!"]})
        r = self.run_mgpux("hello", "--times", "0", env=env, binary=self.bin)
        self.assertExit(r, 2)
        self.assertIn("--times must be between 1 and 100", r.err)
        listing = self.run_mgpux("plugins", "list", "--json", env=env, binary=self.bin).json()["plugins"]
        # the added directory comes first, then every installed plugin from the system directory
        self.assertEqual(listing[0]["id"], "hello")
        self.assertEqual(listing[0]["origin"], "MGPUX_ADD_PLUGIN_PATH")
        self.assertIn(("info", "system"), [(p["id"], p["origin"]) for p in listing])
        self.assertEqual({p["origin"] for p in listing[1:]}, {"system"})


if __name__ == "__main__":
    main()
