# SPDX-License-Identifier: MIT
"""`cmake --install` puts the completion scripts where bash-completion, zsh
and fish look, and the manual page under <mandir>/man1. The installed scripts
hold no command list: a plugin installed after them completes."""
import gzip
import os
import shutil
import subprocess
from pathlib import Path

from harness import MgpuxTestCase, main

CMAKE = os.environ.get("MGPUX_TEST_CMAKE", "cmake")
BUILD_DIR = Path(os.environ.get("MGPUX_TEST_BUILD_DIR", "build/release"))


class InstalledCompletion(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.prefix = self.tmp / "prefix"
        r = subprocess.run([CMAKE, "--install", str(BUILD_DIR), "--prefix", str(self.prefix)],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.bin = self.prefix / "bin" / "m-gpux"
        share = self.prefix / "share"
        self.bash = share / "bash-completion" / "completions" / "m-gpux"
        self.zsh = share / "zsh" / "vendor-completions" / "_m-gpux"
        self.fish = share / "fish" / "vendor_completions.d" / "m-gpux.fish"
        self.man = share / "man" / "man1"
        # The installed m-gpux, found on PATH as a shell finds it; its own plugins only.
        del self.env["MGPUX_PLUGIN_PATH"]
        self.env["PATH"] = f"{self.bin.parent}:{self.env['PATH']}"
        self.fixture = self.tmp / "mgpux-abigood.so"
        shutil.copy(self.fixture_dir("good") / "mgpux-abigood.so", self.fixture)
        os.chmod(self.fixture, 0o755)

    def install_fixture_plugin(self):
        r = self.run_mgpux("plugins", "install", self.fixture, binary=self.bin)
        self.assertExit(r, 0)

    def bash_complete(self, *words):
        line = " ".join(words)
        probe = (f'source "{self.bash}"; COMP_WORDS=(m-gpux {line}); COMP_CWORD={len(words)}; '
                 '_m_gpux; printf "%s\\n" "${COMPREPLY[@]}"')
        r = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, env=self.env, cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        return sorted(w for w in r.stdout.split("\n") if w)

    def test_scripts_and_page_are_where_the_tools_look(self):
        for shell, path in (("bash", self.bash), ("zsh", self.zsh), ("fish", self.fish)):
            self.assertTrue(path.is_file(), path)
            # The same script `m-gpux completion SHELL` prints for a user install.
            self.assertEqual(path.read_text(), self.run_mgpux("completion", shell, binary=self.bin).out, shell)
        # m-gpux's own page (the proxy's page, mgpux-proxy.1, installs beside it).
        pages = sorted(p.name for p in self.man.iterdir() if p.name.startswith("m-gpux."))
        self.assertIn(pages, (["m-gpux.1.gz"], ["m-gpux.1"]))
        if pages == ["m-gpux.1.gz"]:
            text = gzip.decompress((self.man / "m-gpux.1.gz").read_bytes()).decode("ascii")
            self.assertIn(".SH NAME\nm\\-gpux \\- ", text)
            if shutil.which("man"):
                env = {"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin", "HOME": str(self.home)}
                r = subprocess.run(["man", "--warnings", "-l", str(self.man / "m-gpux.1.gz")], capture_output=True,
                                   text=True, env=env)
                self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_bash_completes_a_plugin_installed_after_the_script(self):
        self.assertEqual(self.bash_complete("abi"), [])
        self.assertIn("info", self.bash_complete("in"))
        self.install_fixture_plugin()
        self.assertEqual(self.bash_complete("abi"), ["abigood"])
        self.assertEqual(self.bash_complete("abigood", "''"), ["greet"])
        self.assertEqual(self.bash_complete("abigood", "greet", "--mode", "''"), ["fast", "slow"])
        self.assertIn("--no-loud", self.bash_complete("abigood", "greet", "--"))
        r = self.run_mgpux("--yes", "plugins", "remove", "abigood", binary=self.bin)
        self.assertExit(r, 0)
        self.assertEqual(self.bash_complete("abi"), [])

    def test_zsh_and_fish_scripts_parse_and_complete_a_later_plugin(self):
        self.install_fixture_plugin()
        for shell, path in (("zsh", self.zsh), ("fish", self.fish)):
            if not shutil.which(shell):
                continue
            r = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
        if shutil.which("fish"):
            r = subprocess.run(["fish", "--no-config", "-c", f"source {self.fish}; complete -C'm-gpux abigood '"],
                               capture_output=True, text=True, env=self.env)
            self.assertEqual(r.stdout.splitlines(), ["greet\tGreet someone"], r.stderr)
        if shutil.which("zsh"):
            # compsys needs a terminal; the two functions the script calls are stood in for.
            probe = ('compdef() { :; }; _describe() { print -rl -- "${(@P)${@[-1]}}"; }; '
                     f'_files() {{ print -r -- FILES; }}; source {self.zsh}; '
                     'words=(m-gpux abigood ""); CURRENT=3; _m-gpux')
            r = subprocess.run(["zsh", "-f", "-c", probe], capture_output=True, text=True, env=self.env)
            self.assertEqual(r.stdout.splitlines(), ["greet:Greet someone"], r.stderr)


if __name__ == "__main__":
    main()
