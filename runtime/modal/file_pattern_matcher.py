# SPDX-License-Identifier: MIT
"""FilePatternMatcher with dockerignore-style semantics (as Modal uses for `ignore=`).

* `*` matches within one path segment, `?` one character, `[...]` a character class;
* `**` matches any number of segments (`**/x` also matches `x` at the root);
* a pattern that matches a directory also matches everything below it;
* `!pattern` re-includes; the last matching pattern decides;
* patterns are relative to the directory being added: `.venv` matches only at the root,
  `**/.venv` at any depth.
"""
import posixpath
import re
from pathlib import Path, PurePath


def _translate(pattern):
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                    out.append("(?:.*/)?")
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:end]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("^" + "".join(out) + "$")


class _Rule:
    def __init__(self, text):
        text = text.strip()
        self.exclusion = text.startswith("!")
        if self.exclusion:
            text = text[1:].strip()
        text = posixpath.normpath(text.replace("\\", "/")) if text else text
        text = text.lstrip("/")
        self.text = text
        self.regex = _translate(text) if text and text != "." else None

    def matches(self, rel):
        if self.regex is None:
            return False
        candidate = rel
        while candidate:
            if self.regex.match(candidate):
                return True
            candidate = posixpath.dirname(candidate)
        return False


class FilePatternMatcher:
    """Callable `matcher(path) -> bool`: True when `path` is matched (i.e. ignored)."""

    def __init__(self, *pattern, _inverted=False):
        self.patterns = [p for p in pattern if isinstance(p, str) and p.strip() and not p.strip().startswith("#")]
        self._rules = [_Rule(p) for p in self.patterns]
        self._inverted = _inverted

    @classmethod
    def from_file(cls, file_path):
        text = Path(file_path).read_text(encoding="utf-8")
        return cls(*text.splitlines())

    def _matches(self, path):
        rel = PurePath(path).as_posix() if isinstance(path, PurePath) else str(path).replace("\\", "/")
        rel = posixpath.normpath(rel).lstrip("/")
        if rel in ("", "."):
            return False
        matched = False
        for rule in self._rules:
            if rule.matches(rel):
                matched = not rule.exclusion
        return matched

    def __call__(self, file_path):
        result = self._matches(file_path)
        return not result if self._inverted else result

    def __invert__(self):
        return FilePatternMatcher(*self.patterns, _inverted=not self._inverted)

    def can_prune_directories(self):
        return not self._inverted and not any(r.exclusion for r in self._rules)

    def _shim_ref(self):
        return {"$patterns": list(self.patterns), "inverted": self._inverted}

    def __repr__(self):
        prefix = "~" if self._inverted else ""
        return f"{prefix}FilePatternMatcher({', '.join(map(repr, self.patterns))})"


# What add_local_python_source ignores by default: everything except Python files.
NON_PYTHON_FILES = ~FilePatternMatcher("**/*.py", "**/*.pyi")
