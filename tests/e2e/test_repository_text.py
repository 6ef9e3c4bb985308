# SPDX-License-Identifier: MIT
"""The repository stands alone: what users, packagers and plugin authors read
(the README, the templates' READMEs, code comments) never sends them to design
notes or specifications they do not have, and the README's status names every
command group that is built."""
import re
import subprocess
import unittest

from harness import SOURCE_DIR, main

# Pointers to documents outside the repository: design sections, the original
# tool's spec sections and its numbered weaknesses, and the work tracker's issues.
OUTSIDE_POINTERS = re.compile(r"DESIGN(\.md| §)|\.\./shared(?![-\w])|shared/reference|spec(-core-ops|-workloads)? ?§|"
                              r"\bW-[A-Z]{4,}\b|modal-platform §|\bissue \d+|\(issue: ")


def tracked_files():
    out = subprocess.run(["git", "-C", str(SOURCE_DIR), "ls-files", "-z"], capture_output=True, check=True).stdout
    return [p for p in out.decode().split("\0") if p and not p.startswith("tests/fuzz/corpus/")]


class RepositoryTextTests(unittest.TestCase):
    def setUp(self):
        if not (SOURCE_DIR / ".git").exists():
            self.skipTest("not a git checkout")

    def test_nothing_points_at_documents_outside_the_repository(self):
        found = []
        for rel in tracked_files():
            if rel == "tests/e2e/test_repository_text.py":
                continue
            try:
                text = (SOURCE_DIR / rel).read_text(encoding="utf-8")
            except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
                continue
            for n, line in enumerate(text.splitlines(), 1):
                if OUTSIDE_POINTERS.search(line):
                    found.append(f"{rel}:{n}: {line.strip()[:120]}")
        self.assertEqual(found, [])

    def test_every_source_file_and_template_names_its_licence(self):
        # Packagers read the licence per file; an SPDX line in the first lines is what tools look for.
        source = re.compile(r"(\.(c|h|cpp|hpp|py|sh|cmake|in|js|css|html|yaml)|(^|/)(CMakeLists\.txt|Dockerfile))$")
        missing = []
        for rel in tracked_files():
            if rel.startswith("tests/e2e/data/") or not source.search(rel):
                continue
            head = (SOURCE_DIR / rel).read_text(encoding="utf-8").splitlines()[:3]
            if not any("SPDX-License-Identifier: MIT" in line for line in head):
                missing.append(rel)
        self.assertEqual(missing, [])
        self.assertIn("MIT License", (SOURCE_DIR / "LICENSE").read_text(encoding="utf-8"))

    def test_sdk_headers_and_docs_cite_no_numbered_rules(self):
        # The headers and docs are installed; a "rule 3" there names nothing an author has.
        found = []
        for rel in tracked_files():
            if not (rel.startswith(("sdk/include/", "docs/")) or rel == "README.md"):
                continue
            for n, line in enumerate((SOURCE_DIR / rel).read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"\brules? \d+\b", line):
                    found.append(f"{rel}:{n}: {line.strip()[:120]}")
        self.assertEqual(found, [])

    def test_plugin_docs_exist_and_link_only_inside_the_repository(self):
        for name in ("architecture.md", "plugins.md"):
            text = (SOURCE_DIR / "docs" / name).read_text(encoding="utf-8")
            for target in re.findall(r"\[[^\]\n]+\]\(([^)#\s]+)", text):
                if target.startswith(("http://", "https://")):
                    continue
                self.assertTrue((SOURCE_DIR / "docs" / target).resolve().exists(), f"docs/{name} links to {target}")
        readme = (SOURCE_DIR / "README.md").read_text(encoding="utf-8")
        self.assertIn("(docs/plugins.md)", readme)
        self.assertIn("(docs/architecture.md)", readme)

    def test_state_modify_header_says_what_dry_run_returns(self):
        header = (SOURCE_DIR / "sdk" / "include" / "mgpux" / "service" / "state.h").read_text(encoding="utf-8")
        comment = header[:header.index("int32_t (*modify)(")].rsplit("/*", 1)[1]
        self.assertIn("--dry-run", comment)
        self.assertIn("would hold", comment)

    def test_readme_status_names_every_command_group_built(self):
        readme = (SOURCE_DIR / "README.md").read_text(encoding="utf-8")
        status = re.search(r"^> Status:(.*?)(?:\n\n|\n[^>])", readme, re.S | re.M)
        self.assertIsNotNone(status, "README has no '> Status:' paragraph")
        text = status.group(1)
        plugins = sorted(p.name for p in (SOURCE_DIR / "plugins").iterdir()
                         if p.is_dir() and (p / "CMakeLists.txt").exists() and p.name != "common")
        self.assertTrue(plugins)
        missing = [name for name in plugins if f"`{name}`" not in text]
        self.assertEqual(missing, [], f"the README status does not name {missing}")
        self.assertNotIn("foundation", text)


if __name__ == "__main__":
    main()
