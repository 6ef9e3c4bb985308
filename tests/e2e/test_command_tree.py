# SPDX-License-Identifier: MIT
"""The command tree every in-tree plugin declares (`m-gpux commands --json`:
paths, summaries, help, options with their kinds, flags, defaults and
choices) is pinned: a change of how plugins write their tables (option
builders, bound commands) must leave what the host sees unchanged. A
deliberate change to a command updates data/command_tree.json."""
import json
from pathlib import Path

from harness import MgpuxTestCase, main

PINNED = Path(__file__).resolve().parent / "data" / "command_tree.json"


class CommandTree(MgpuxTestCase):
    def test_tree_is_the_pinned_one(self):
        r = self.run_mgpux("commands", "--json")
        self.assertExit(r, 0)
        tree = r.json()
        del tree["version"]
        pinned = json.loads(PINNED.read_text(encoding="utf-8"))
        self.assertEqual([c["path"] for c in tree["commands"]], [c["path"] for c in pinned["commands"]])
        for got, want in zip(tree["commands"], pinned["commands"]):
            self.assertEqual(got, want, got["path"])
        self.assertEqual(tree, pinned)


if __name__ == "__main__":
    main()
