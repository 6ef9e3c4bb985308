# SPDX-License-Identifier: MIT
"""Packaging: `cpack -G DEB` makes one package per install component, and what
they hold works once unpacked; lintian and hardening-check accept them; the
SDK package builds a plugin."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from harness import MgpuxTestCase, SOURCE_DIR, main, run_checked

CMAKE = os.environ.get("MGPUX_TEST_CMAKE", "cmake")
CPACK = str(Path(CMAKE).with_name("cpack")) if os.sep in CMAKE else "cpack"
BUILD_DIR = Path(os.environ.get("MGPUX_TEST_BUILD_DIR", "build/release")).resolve()
CXX = os.environ.get("MGPUX_TEST_CXX", "g++")


run = run_checked  # a failing build step fails the test with all it printed


def abi_major():
    header = (SOURCE_DIR / "sdk" / "include" / "mgpux" / "version.h").read_text()
    return re.search(r"#define MGPUX_ABI_MAJOR (\d+)", header).group(1)


def plugin_files(root):
    return sorted(p.name for p in root.rglob("m-gpux/plugins/*.so"))


def exported_symbols(library):
    # Every defined dynamic symbol, of any kind (code, data, weak, unique).
    return [line.split()[-1] for line in run("nm", "-D", "--defined-only", library).splitlines() if line.strip()]


def need_tools(*tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        raise unittest.SkipTest(f"{', '.join(missing)} not installed (./setup.sh installs them)")


class DebianPackages(MgpuxTestCase):
    """The packages of the build under test, made once for the class."""

    @classmethod
    def setUpClass(cls):
        need_tools("dpkg-deb", "dpkg-shlibdeps")
        cls.work = Path(tempfile.mkdtemp(prefix="mgpux-cpack-"))
        try:
            run(CPACK, "-G", "DEB", "--config", BUILD_DIR / "CPackConfig.cmake", "-B", cls.work / "out")
            cls.debs = {}
            for deb in (cls.work / "out").glob("*.deb"):
                cls.debs[run("dpkg-deb", "-f", deb, "Package").strip()] = deb
        except BaseException:
            shutil.rmtree(cls.work, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def setUp(self):
        super().setUp()
        del self.env["MGPUX_PLUGIN_PATH"]  # the unpacked host finds its own plugins
        self.root = self.tmp / "root"

    def unpack(self, *packages):
        for name in packages:
            run("dpkg-deb", "-x", self.debs[name], self.root)
        return self.root / "usr" / "bin" / "m-gpux"

    def field(self, package, name):
        return run("dpkg-deb", "-f", self.debs[package], name).strip()

    def contents(self, package):
        listing = run("dpkg-deb", "-c", self.debs[package]).splitlines()
        return [line.split()[-1].lstrip(".") for line in listing if not line.startswith("d")]

    def test_one_package_per_component(self):
        plugins = ["account", "billing", "budget", "pricing", "image", "stop", "sessions", "preset", "load", "host",
                   "hub", "dev", "serve", "vision", "video", "compose"]
        self.assertEqual(sorted(self.debs),
                         sorted(["m-gpux", "m-gpux-dev", "m-gpux-proxy"] + [f"m-gpux-plugin-{p}" for p in plugins]))

    def test_no_file_is_in_two_packages(self):
        owner = {}
        clashes = []
        for package in self.debs:
            for path in self.contents(package):
                if path in owner:
                    clashes.append(f"{path}: {owner[path]} and {package}")
                owner[path] = package
        self.assertEqual(clashes, [])
        self.assertEqual(owner["/usr/share/m-gpux/templates/serve/deploy.py"], "m-gpux-plugin-serve")
        self.assertEqual(owner["/usr/share/m-gpux/templates/hub/bash.py"], "m-gpux")  # shared with dev, preset
        self.assertEqual(owner["/usr/share/m-gpux/templates/common/generated_header.py"], "m-gpux")
        self.assertEqual(owner["/usr/share/doc/m-gpux/LICENSE"], "m-gpux")
        self.assertEqual(owner["/usr/share/m-gpux/proxy/main.cpp"], "m-gpux-proxy")
        self.assertEqual(owner["/usr/include/mgpux/plugin.h"], "m-gpux-dev")
        for package in self.debs:
            self.assertIn(f"/usr/share/doc/{package}/copyright", owner, package)
            self.assertIn(f"/usr/share/doc/{package}/changelog.Debian.gz", owner, package)

    def test_control_fields(self):
        abi = f"m-gpux-abi-{abi_major()}"
        self.assertEqual(self.field("m-gpux", "Provides"), abi)
        depends = self.field("m-gpux", "Depends")
        self.assertIn("libcurl4", depends)  # opened at run time, so shlibdeps cannot see it
        self.assertIn("libc6", depends)  # shlibdeps
        self.assertIn("libboost-json", depends)
        self.assertEqual(self.field("m-gpux", "Recommends"), "python3")
        for package in self.debs:
            if package.startswith("m-gpux-plugin-"):
                self.assertIn(abi, self.field(package, "Depends").split(", "), package)
            self.assertTrue(self.field(package, "Maintainer"), package)
            self.assertTrue(self.field(package, "Homepage"), package)
            self.assertTrue(self.field(package, "Section"), package)
            description = self.field(package, "Description").splitlines()
            self.assertGreater(len(description), 2, package)  # a summary and a long description
        self.assertIn("m-gpux-proxy", self.field("m-gpux-plugin-serve", "Depends"))
        self.assertIn("libssl", self.field("m-gpux-proxy", "Depends"))

    def test_unpacked_host_loads_exactly_the_unpacked_plugins(self):
        binary = self.unpack("m-gpux", "m-gpux-plugin-account", "m-gpux-plugin-hub")
        r = self.run_mgpux("plugins", "list", "--json", binary=binary)
        self.assertExit(r, 0)
        plugins = r.json()["plugins"]
        self.assertEqual(sorted(p["id"] for p in plugins), ["account", "hub", "info"])
        self.assertEqual({p["status"] for p in plugins}, {"loaded"})
        self.assertTrue(all(Path(p["path"]).is_relative_to(self.root) for p in plugins), plugins)
        # hub renders from the shared templates the host package carries.
        self.write_two_profiles()
        out = self.tmp / "bash.py"
        r = self.run_mgpux("--yes", "--dry-run", "--script-out", out, "hub", "bash", "--cpu", "2", binary=binary)
        self.assertExit(r, 0)
        self.assertIn('from the template "hub/bash.py"', out.read_text())
        self.assertEqual(self.fake.calls(), [])

    def test_lintian_finds_no_errors(self):
        need_tools("lintian")
        # lintian leaves files in its TMPDIR: give it one that goes with the test's own.
        scratch = self.tmp / "lintian-tmp"
        scratch.mkdir()
        proc = subprocess.run(["lintian", "--no-cfg", *map(str, self.debs.values())], capture_output=True, text=True,
                              env=dict(os.environ, TMPDIR=str(scratch)))
        errors = [line for line in proc.stdout.splitlines() if line.startswith("E:")]
        self.assertEqual(errors, [], proc.stdout)

    def test_hardening_check_passes_on_the_binaries_and_plugins(self):
        need_tools("hardening-check")
        self.unpack(*self.debs)
        files = [self.root / "usr" / "bin" / "m-gpux", self.root / "usr" / "bin" / "mgpux-proxy",
                 *sorted(self.root.rglob("m-gpux/plugins/*.so"))]
        self.assertEqual(len(files), 2 + 17)
        # Control flow protection cannot show: Debian 12's crt1.o lacks the IBT note, so no program
        # linked there has it, though every object of ours is built with -fcf-protection.
        proc = subprocess.run(["hardening-check", "--nocfprotection", *map(str, files)], capture_output=True,
                              text=True)
        failures = {}
        current = None
        for line in proc.stdout.splitlines():
            if not line.startswith(" "):
                current = Path(line.rstrip(":"))
            elif ": no" in line and "(ignored)" not in line:
                failures.setdefault(current.name, []).append(line.strip())
        # A plugin whose every string and memory call the compiler proved in bounds has no checked
        # call to show ("only unprotected functions found"); for those, the build's own record
        # must show that every one of its sources was compiled with _FORTIFY_SOURCE.
        unfortified = self.sources_without_fortify()
        for name, lines in list(failures.items()):
            plugin = re.fullmatch(r"mgpux-([a-z-]+)\.so", name)
            if plugin and lines == ["Fortify Source functions: no, only unprotected functions found!"]:
                self.assertEqual(unfortified.get(plugin.group(1), []), [], name)
                del failures[name]
        self.assertEqual(failures, {}, proc.stdout)  # the programs pass every check, fortify included

    def sources_without_fortify(self):
        """Plugin id -> its sources compiled without _FORTIFY_SOURCE=2 (compile_commands.json)."""
        commands = json.loads((BUILD_DIR / "compile_commands.json").read_text())
        missing = {}
        for entry in commands:
            source = Path(entry["file"])
            if "plugins" not in source.parts or "_FORTIFY_SOURCE=2" in entry["command"]:
                continue
            plugin = source.parts[source.parts.index("plugins") + 1]
            missing.setdefault(plugin, []).append(source.name)
        return missing

    def test_hello_plugin_builds_against_the_dev_package(self):
        binary = self.unpack("m-gpux", "m-gpux-dev")
        usr = self.root / "usr"
        example = usr / "share" / "doc" / "m-gpux" / "examples" / "hello-plugin"
        # find_package(MGpuxSDK), installed to the system plugin directory the package names.
        build = self.tmp / "hello-cmake"
        run(CMAKE, "-S", example, "-B", build, "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={usr}",
            f"-DCMAKE_CXX_COMPILER={CXX}")
        run(CMAKE, "--build", build)
        self.assertEqual(exported_symbols(build / "mgpux-hello.so"), ["mgpux_plugin_entry"])
        run(CMAKE, "--install", build)
        self.assertIn("mgpux-hello.so", plugin_files(usr))
        r = self.run_mgpux("hello", "--name", "Deb", binary=binary)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "Hello, Deb!\n")
        # pkg-config alone: its Libs keep the exports to the entry symbol.
        need_tools("pkg-config")
        env = dict(os.environ, PKG_CONFIG_PATH=str(next(usr.rglob("pkgconfig/mgpux-sdk.pc")).parent))
        flags = run("pkg-config", "--cflags", "--libs", "mgpux-sdk", env=env).split()
        self.assertIn("-Wl,-z,defs", flags)
        pc_build = self.tmp / "hello-pc"
        pc_build.mkdir()
        run(CXX, "-std=c++17", "-shared", "-fPIC", *flags, "-o", pc_build / "mgpux-hello.so", example / "hello.cpp")
        self.assertEqual(exported_symbols(pc_build / "mgpux-hello.so"), ["mgpux_plugin_entry"])
        (next(usr.rglob("m-gpux/plugins")) / "mgpux-hello.so").unlink()
        r = self.run_mgpux("hello", "--name", "Pc", env={"MGPUX_ADD_PLUGIN_PATH": str(pc_build)}, binary=binary)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "Hello, Pc!\n")

    def test_dev_package_names_both_plugin_directories(self):
        self.unpack("m-gpux-dev")
        usr = self.root / "usr"
        pcdir = next(usr.rglob("pkgconfig/mgpux-sdk.pc")).parent
        system_dir = (pcdir.parent / "m-gpux" / "plugins").resolve()  # <libdir>/m-gpux/plugins
        env = dict(os.environ, PKG_CONFIG_PATH=str(pcdir))
        if shutil.which("pkg-config"):
            plugindir = run("pkg-config", "--variable=plugindir", "mgpux-sdk", env=env).strip()
            self.assertEqual(Path(plugindir).resolve(), system_dir)
            self.assertEqual(run("pkg-config", "--variable=userplugindir", "mgpux-sdk", env=env).strip(),
                             "$HOME/.local/share/m-gpux/plugins")
        # The CMake package: configure a project that prints what find_package(MGpuxSDK) gives.
        project = self.tmp / "probe"
        project.mkdir()
        (project / "CMakeLists.txt").write_text(
            "cmake_minimum_required(VERSION 3.20)\nproject(probe LANGUAGES NONE)\n"
            "find_package(MGpuxSDK REQUIRED)\n"
            'message(STATUS "user=${MGPUX_USER_PLUGIN_DIR}|system=${MGPUX_PLUGIN_DIR}|'
            'link=${MGPUX_PLUGIN_LINK_OPTIONS}")\n')
        xdg = self.tmp / "xdg-data"
        out = run(CMAKE, "-S", project, "-B", self.tmp / "probe-build", f"-DCMAKE_PREFIX_PATH={usr}",
                  env=dict(os.environ, XDG_DATA_HOME=str(xdg)))
        values = dict(item.split("=", 1) for item in re.search(r"-- (user=.*)", out).group(1).split("|"))
        self.assertEqual(values["user"], f"{xdg}/m-gpux/plugins")
        self.assertEqual(Path(values["system"]).resolve(), system_dir)
        self.assertIn("LINKER:--version-script=", values["link"])


if __name__ == "__main__":
    main()
