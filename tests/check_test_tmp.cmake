# SPDX-License-Identifier: MIT
# cmake -DMODE=prepare|check -DDIR=<dir> -P check_test_tmp.cmake
#   prepare: DIR exists and is empty (what an earlier run left is dropped);
#   check:   fails listing what the tests left in DIR, then removes it all.
if(NOT DIR)
  message(FATAL_ERROR "DIR is not set")
endif()
if(MODE STREQUAL "prepare")
  file(REMOVE_RECURSE "${DIR}")
  file(MAKE_DIRECTORY "${DIR}")
elseif(MODE STREQUAL "check")
  file(GLOB_RECURSE left LIST_DIRECTORIES true RELATIVE "${DIR}" "${DIR}/*")
  file(REMOVE_RECURSE "${DIR}")
  if(left)
    list(SORT left)
    list(JOIN left "\n  " listing)
    message(FATAL_ERROR "tests left these in their temporary directory ${DIR}:\n  ${listing}\n"
                        "A test must remove what it creates there (the names say which test made them).")
  endif()
else()
  message(FATAL_ERROR "MODE must be prepare or check, not '${MODE}'")
endif()
