# SPDX-License-Identifier: MIT
"""The image step of `serve deploy` that compiles the native proxy, run here.

A deployment builds mgpux-proxy inside the container image from the shipped sources, with the
image's own g++ and Boost: Boost 1.81 on debian_slim (Debian 12), 1.74 on the Ubuntu 22.04 CUDA
image. These tests take the build command out of a rendered deploy script (so they test the
command users get, not a copy of it) and run it against this tree's sources:

* with this machine's Boost 1.81 (Debian 12, as debian_slim);
* with Boost 1.74's headers, which ./setup.sh unpacks into build/deps/boost1.74 without installing
  them (they would replace 1.81's). Missing headers are a failure that says to run ./setup.sh, not
  a skip: the oldest Boost the image step meets must stay proven.

SLOW: each test compiles the whole proxy (Asio/Beast templates) once, tens of seconds per build on
a small machine. Both compile at -O0 (see image_build_command)."""
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness import BIN, SOURCE_DIR, SUPPORT_DIR, MgpuxTestCase, main

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
BUILD_DIR = Path(os.environ.get("MGPUX_TEST_BUILD_DIR", BIN.parent.parent)).resolve()
SOURCES = BUILD_DIR / "share" / "m-gpux" / "proxy"
CXX = os.environ.get("MGPUX_TEST_CXX") or shutil.which("g++-12") or "g++"
BOOST174 = SOURCE_DIR / "build" / "deps" / "boost1.74" / "usr" / "include"
IMAGE_SOURCES = "/opt/m-gpux/proxy"
IMAGE_PROGRAM = "/usr/local/bin/mgpux-proxy"
COMPILE_TIMEOUT_S = 420
VERSION_PROGRAM = "#include <boost/version.hpp>\n#include <cstdio>\nint main() { std::puts(BOOST_LIB_VERSION); }\n"


class ProxyBuildTests(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()
        self.out_dir = Path(tempfile.mkdtemp(prefix="mgpux-proxy-build-"))
        self.addCleanup(shutil.rmtree, self.out_dir, True)
        self.assertTrue((SOURCES / "main.cpp").is_file(), f"no proxy sources at {SOURCES}")

    def rendered_build_command(self):
        """The run_commands step of a rendered proxy-only (debian_slim) deploy script, as the modal
        stand-in records it."""
        script = self.tmp / "deploy.py"
        r = self.run_mgpux("--dry-run", "--yes", "--script-out", script, "serve", "deploy",
                           "--upstream", "http://10.0.0.1:8080")
        self.assertExit(r, 0)
        proc = subprocess.run([PYTHON, "-m", "modal_shim", "inspect", str(script), "--json"], capture_output=True,
                              text=True, env=dict(os.environ, PYTHONPATH=str(SUPPORT_DIR)), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        info = json.loads(proc.stdout)
        self.assertEqual(info["errors"], [])
        image = [i for i in info["images"] if i["used"]][0]
        self.assertEqual(image["base"]["type"], "debian_slim")
        commands = [step["args"] for step in image["steps"] if step["op"] == "run_commands"]
        self.assertEqual(len(commands), 1)
        self.assertEqual(len(commands[0]), 1)
        return commands[0][0]

    def image_build_command(self, output, extra_flags=()):
        """The image's build command pointed at this tree: the real sources instead of
        /opt/m-gpux/proxy, `output` instead of /usr/local/bin/mgpux-proxy, our g++ (MGPUX_TEST_CXX)
        with `extra_flags` after it. -O2 becomes -O0: these tests prove that the sources compile
        and link against a Boost version (headers found, APIs present, templates instantiate),
        which the optimisation level does not change, and -O0 builds several times faster."""
        command = self.rendered_build_command()
        words = shlex.split(command)  # the glob stays a word: the shell expands it, as in the image
        self.assertEqual(words[0], "g++")
        self.assertIn("-O2", words)
        self.assertEqual(words[words.index("-o") + 1], IMAGE_PROGRAM)
        self.assertEqual(words[-3:], [IMAGE_SOURCES + "/*.cpp", "-lssl", "-lcrypto"])  # https:// upstreams
        out = [CXX, *extra_flags]
        for word in words[1:]:
            if word == "-O2":
                out.append("-O0")
            elif word == IMAGE_PROGRAM:
                out.append(shlex.quote(str(output)))
            elif word == "-I" + IMAGE_SOURCES:
                out.append("-I" + shlex.quote(str(SOURCES)))
            elif word.startswith(IMAGE_SOURCES + "/"):
                out.append(shlex.quote(str(SOURCES)) + word[len(IMAGE_SOURCES):])
            else:
                out.append(shlex.quote(word))
        return " ".join(out)

    def run_shell(self, command, timeout=COMPILE_TIMEOUT_S):
        proc = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=timeout)
        self.assertEqual(proc.returncode, 0, f"{command}\nfailed with exit {proc.returncode}:\n{proc.stderr}")
        return proc

    def boost_version(self, extra_flags=()):
        """BOOST_LIB_VERSION as seen by CXX with `extra_flags` (the flags of the proxy build)."""
        source = self.out_dir / "boost_version.cpp"
        source.write_text(VERSION_PROGRAM)
        program = self.out_dir / "boost_version"
        flags = " ".join(shlex.quote(f) for f in extra_flags)
        self.run_shell(f"{shlex.quote(CXX)} -std=c++17 {flags} -o {shlex.quote(str(program))} "
                       f"{shlex.quote(str(source))}", timeout=120)
        return subprocess.run([str(program)], capture_output=True, text=True, timeout=30).stdout.strip()

    def assert_runs_version(self, program):
        proc = subprocess.run([str(program), "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 0, f"{program} --version exited {proc.returncode}:\n{proc.stderr}")
        self.assertNotEqual((proc.stdout + proc.stderr).strip(), "", "--version printed nothing")

    def test_image_build_command_works_with_debian12_boost_181(self):  # SLOW: compiles the proxy
        self.assertEqual(self.boost_version(), "1_81")  # the headers debian_slim's libboost1.81-dev has
        program = self.out_dir / "mgpux-proxy"
        self.run_shell(self.image_build_command(program))
        self.assert_runs_version(program)

    def test_sources_build_with_ubuntu2204_boost_174(self):  # SLOW: compiles the proxy
        self.assertTrue((BOOST174 / "boost" / "version.hpp").is_file(),
                        f"the Boost 1.74 headers are missing ({BOOST174}): run ./setup.sh, which unpacks "
                        "libboost1.74-dev into build/deps/boost1.74")
        flags = ("-isystem", str(BOOST174))
        # Proves the flags make the compiler take 1.74's headers, not the system's 1.81.
        self.assertEqual(self.boost_version(flags), "1_74")
        program = self.out_dir / "mgpux-proxy-boost174"
        # -H lists every header each source includes: a header that 1.74 lacks would otherwise be
        # found silently in the system's 1.81 (/usr/include comes after -isystem in the search).
        proc = self.run_shell(self.image_build_command(program, flags + ("-H",)))
        headers = [line.split(" ", 1)[1] for line in proc.stderr.splitlines() if re.match(r"^\.+ /", line)]
        boost = [h for h in headers if "/boost/" in h]
        self.assertTrue(boost, "the proxy includes no Boost header?")
        from_181 = [h for h in boost if not h.startswith(str(BOOST174) + "/")]
        self.assertEqual(from_181, [], "headers taken from outside Boost 1.74 (the image has no such header)")
        self.assert_runs_version(program)


if __name__ == "__main__":
    main()
