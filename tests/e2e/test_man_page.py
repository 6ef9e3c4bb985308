# SPDX-License-Identifier: MIT
"""The m-gpux(1) manual page the build writes from the command table: valid
roff, every command and option, exit codes, files and the environment the
host reads, and the same page every time."""
import gzip
import re
import shutil
import subprocess

from harness import BIN, SOURCE_DIR, MgpuxTestCase, main

MAN_DIR = BIN.parent.parent / "share" / "man" / "man1"
PAGE = MAN_DIR / "m-gpux.1"


def roff(text):
    """Text as the page spells it (every '-' a minus sign, non-ASCII as glyph names)."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "".join(f"\\[u{ord(ch):04X}]" if ord(ch) > 127 else ch for ch in text)


def sections(page, macro):
    """{title: body} of the page's `.SH`/`.SS` sections."""
    parts = re.split(rf"^\.{macro} (.*)$", page, flags=re.M)
    return {title.strip('"'): body for title, body in zip(parts[1::2], parts[2::2])}


class ManPage(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.assertTrue(PAGE.is_file(), f"the build wrote no {PAGE}")
        self.page = PAGE.read_text(encoding="ascii")  # non-ASCII is escaped

    def test_valid_roff_with_a_name_section(self):
        if not shutil.which("man") or not shutil.which("lexgrog"):
            self.skipTest("man-db is not installed")
        env = {"LC_ALL": "C.UTF-8", "MANWIDTH": "100", "PATH": "/usr/bin:/bin", "HOME": str(self.home)}
        r = subprocess.run(["man", "--warnings", "-l", str(PAGE)], capture_output=True, text=True, env=env)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertIn("m-gpux plugins install", r.stdout)
        r = subprocess.run(["lexgrog", str(PAGE)], capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn('"m-gpux - run GPU work on Modal from the command line"', r.stdout)

    def test_every_command_and_option_is_on_the_page(self):
        commands = self.run_mgpux("commands", "--json").json()["commands"]
        by_title = sections(self.page, "SS")
        self.assertEqual(len(by_title), len(commands))
        for c in commands:
            body = by_title.get(roff("m-gpux " + c["path"]))
            self.assertIsNotNone(body, c["path"])
            # A runnable command's help text; a group's summary.
            text = c["help"] if c["runnable"] and c["help"] else c["summary"]
            self.assertIn(roff(text.split("\n")[0]), body, c["path"])
            for o in c.get("options", []):
                if o["hidden"]:
                    continue
                spelling = "--[no-]" + o["name"] if o["negatable"] else "--" + o["name"]
                self.assertIn(roff(o["metavar"] if o["positional"] else spelling), body,
                              f"{c['path']}: {o['name']}")

    def test_global_options_exit_codes_files_and_environment(self):
        by_title = sections(self.page, "SH")
        for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "GLOBAL OPTIONS", "COMMANDS", "EXIT STATUS", "ENVIRONMENT",
                     "FILES", "SEE ALSO"):
            self.assertIn(name, by_title)
        for flag in ("--profile", "--yes", "--no-input", "--dry-run", "--json", "--script-out", "--backend", "--color"):
            self.assertIn(roff(flag), by_title["GLOBAL OPTIONS"])
        self.assertEqual(re.findall(r"^\.TP\n\\fB(\d+)\\fR$", by_title["EXIT STATUS"], flags=re.M),
                         ["0", "1", "2", "3", "4", "130"])
        for path in ("~/.modal.toml", "~/.m-gpux/", "~/.m-gpux/sessions.json", "~/.local/share/m-gpux/plugins/",
                     "<libdir>/m-gpux/plugins/"):
            self.assertIn(roff(path), by_title["FILES"])
        # Every variable the host reads (not those it only passes on to children).
        read = set()
        for src in (SOURCE_DIR / "host").rglob("*.cpp"):
            read |= set(re.findall(r'(?:getenv|env|xdg_dir)\("([A-Z_]+)"', src.read_text(encoding="utf-8")))
        read |= {"MGPUX_MODAL", "MGPUX_PYTHON"}
        read -= {"PYTHONIOENCODING", "SOURCE_DATE_EPOCH"}  # a child's default; the page's own date
        self.assertTrue({"MGPUX_HOME", "MODAL_CONFIG_PATH", "MGPUX_PLUGIN_PATH", "XDG_DATA_HOME", "NO_COLOR"} <= read)
        for var in sorted(read):
            self.assertIn(roff(var), by_title["ENVIRONMENT"], var)

    def test_same_page_every_time_dated_only_by_source_date_epoch(self):
        env = {"MGPUX_NO_PLUGIN_CACHE": "1"}
        first = self.run_mgpux("__man", env=env)
        self.assertExit(first, 0)
        self.assertEqual(self.run_mgpux("__man", env=env).out, first.out)
        th = re.compile(r'^\.TH M\\-GPUX 1 "([^"]*)" "m\\-gpux ([0-9.]+)" "User Commands"$', re.M)
        self.assertEqual(th.search(first.out).group(1), "")
        dated = self.run_mgpux("__man", env={**env, "SOURCE_DATE_EPOCH": "1700000000"}).out
        self.assertEqual(th.search(dated).group(1), "2023-11-14")
        # The build's page is this one (its date aside), from the in-tree plugins only.
        self.assertEqual(th.sub("", self.page), th.sub("", first.out))

    def test_compressed_copy_for_installing(self):
        if not shutil.which("gzip"):
            self.skipTest("gzip is not installed")
        packed = (MAN_DIR / "m-gpux.1.gz").read_bytes()
        self.assertEqual(gzip.decompress(packed).decode("ascii"), self.page)
        self.assertEqual(packed[4:8], b"\0\0\0\0")  # gzip -n: no timestamp


class ProxyManPage(MgpuxTestCase):
    """mgpux-proxy(1) is written by hand: it must stay in step with the proxy's own --help."""

    PROXY_PAGE = SOURCE_DIR / "proxy" / "mgpux-proxy.1"

    def test_every_option_and_variable_of_the_proxy_is_on_its_page(self):
        proxy = BIN.parent / "mgpux-proxy"
        if not proxy.exists():
            self.skipTest("mgpux-proxy is not built")
        usage = subprocess.run([str(proxy), "--help"], capture_output=True, text=True).stdout
        page = self.PROXY_PAGE.read_text(encoding="ascii")
        options = sorted(set(re.findall(r"--[a-z][a-z-]+", usage)))
        self.assertGreater(len(options), 10)
        missing = [o for o in options if roff(o) not in page]
        sources = "".join(p.read_text(encoding="utf-8") for p in (SOURCE_DIR / "proxy" / "src").glob("*.cpp"))
        variables = set(re.findall(r"getenv\(\"([A-Z_]+)\"\)", sources)) - {"MGPUX_PROXY_VERSION", "PATH"}
        self.assertTrue(variables)
        missing += [v for v in sorted(variables) if roff(v) not in page and v not in page]
        self.assertEqual(missing, [])

    def test_valid_roff_installed_compressed(self):
        if not shutil.which("man"):
            self.skipTest("man-db is not installed")
        env = {"LC_ALL": "C.UTF-8", "MANWIDTH": "100", "PATH": "/usr/bin:/bin", "HOME": str(self.home)}
        r = subprocess.run(["man", "--warnings", "-l", str(self.PROXY_PAGE)], capture_output=True, text=True, env=env)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertIn("mgpux-proxy - authenticating proxy", r.stdout.replace("\u2010", "-"))
        packed = MAN_DIR / "mgpux-proxy.1.gz"
        if shutil.which("gzip"):
            self.assertEqual(gzip.decompress(packed.read_bytes()).decode("ascii"), self.PROXY_PAGE.read_text("ascii"))


if __name__ == "__main__":
    main()
