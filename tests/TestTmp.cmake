# SPDX-License-Identifier: MIT
# Tests clean up after themselves: every test runs with TMPDIR set to one
# directory of the build tree. A fixture empties it before the first test and
# checks it after the last; test_tmp.check fails, naming what was left, when
# a test (or a program it ran) leaves anything there.
#
#   gtest_discover_tests(<target> ... PROPERTIES ${MGPUX_TEST_TMP_PROPERTIES})
#   add_test(NAME <name> ...)  then  mgpux_test_uses_tmp(<name>...)
# and, once, mgpux_add_test_tmp_fixture().
set(MGPUX_TEST_TMPDIR "${PROJECT_BINARY_DIR}/test-tmp")
set(MGPUX_TEST_TMP_FIXTURE mgpux_test_tmp)
set(MGPUX_TEST_TMP_PROPERTIES
    ENVIRONMENT "TMPDIR=${MGPUX_TEST_TMPDIR}" FIXTURES_REQUIRED ${MGPUX_TEST_TMP_FIXTURE})
set(_mgpux_test_tmp_script "${CMAKE_CURRENT_LIST_DIR}/check_test_tmp.cmake")

# Adds TMPDIR and the fixture to tests added in the calling directory,
# keeping the environment they already have.
function(mgpux_test_uses_tmp)
  set_property(TEST ${ARGN} APPEND PROPERTY ENVIRONMENT "TMPDIR=${MGPUX_TEST_TMPDIR}")
  set_property(TEST ${ARGN} APPEND PROPERTY FIXTURES_REQUIRED ${MGPUX_TEST_TMP_FIXTURE})
endfunction()

function(mgpux_add_test_tmp_fixture)
  add_test(NAME test_tmp.prepare
           COMMAND "${CMAKE_COMMAND}" -DMODE=prepare "-DDIR=${MGPUX_TEST_TMPDIR}" -P "${_mgpux_test_tmp_script}")
  set_tests_properties(test_tmp.prepare PROPERTIES FIXTURES_SETUP ${MGPUX_TEST_TMP_FIXTURE})
  add_test(NAME test_tmp.check
           COMMAND "${CMAKE_COMMAND}" -DMODE=check "-DDIR=${MGPUX_TEST_TMPDIR}" -P "${_mgpux_test_tmp_script}")
  set_tests_properties(test_tmp.check PROPERTIES FIXTURES_CLEANUP ${MGPUX_TEST_TMP_FIXTURE})
endfunction()
