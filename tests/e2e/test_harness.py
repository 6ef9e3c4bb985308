# SPDX-License-Identifier: MIT
"""The harness itself: a test whose programs leave a file in their temporary
directory fails, and the test's own directory is removed either way."""
import unittest

from harness import MgpuxTestCase, main


def run_case(body):
    """Runs one MgpuxTestCase whose test is `body(case)`; returns (case, result)."""
    class Case(MgpuxTestCase):
        def runTest(self):
            body(self)
    case = Case()
    result = unittest.TestResult()
    case.run(result)
    return case, result


class TempDirectoryCheckTests(unittest.TestCase):
    def test_a_file_left_by_a_child_process_fails_the_test(self):
        def leave_a_file(case):
            r = case.run_mgpux("-c", 'test -n "$TMPDIR" && mkdir "$TMPDIR/made-by-child" && '
                                     'touch "$TMPDIR/made-by-child/left"', binary="/bin/sh")
            case.assertExit(r, 0)
        case, result = run_case(leave_a_file)
        self.assertEqual(len(result.failures), 1, result.errors)
        message = result.failures[0][1]
        self.assertIn("made-by-child/left", message)
        self.assertIn("temporary directory", message)
        self.assertFalse(case.tmp.exists())

    def test_a_child_that_cleans_up_passes(self):
        def clean(case):
            r = case.run_mgpux("-c", 'test -n "$TMPDIR" && f=$(mktemp) && test "${f#$TMPDIR/}" != "$f" && rm "$f"',
                               binary="/bin/sh")
            case.assertExit(r, 0)
        case, result = run_case(clean)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertFalse(case.tmp.exists())


if __name__ == "__main__":
    main()
