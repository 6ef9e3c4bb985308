# SPDX-License-Identifier: MIT
# cmake -DCLANG_FORMAT=<clang-format> -DSOURCE_DIR=<source> -P check_format.cmake
# Fails naming every C or C++ file that clang-format (with the checked-in
# .clang-format) would change. The files are the ones git tracks; outside a
# git checkout, the source folders are globbed. Fix with:
#   git ls-files '*.c' '*.h' '*.cpp' '*.hpp' | xargs clang-format -i
if(NOT CLANG_FORMAT OR NOT SOURCE_DIR)
  message(FATAL_ERROR "CLANG_FORMAT and SOURCE_DIR must be set")
endif()

find_program(GIT git)
set(files "")
if(GIT AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT}" -C "${SOURCE_DIR}" ls-files -- "*.c" "*.h" "*.cpp" "*.hpp"
                  OUTPUT_VARIABLE listed RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "git ls-files failed in ${SOURCE_DIR}")
  endif()
  string(REPLACE "\n" ";" files "${listed}")
else()
  foreach(dir IN ITEMS host sdk plugins proxy tests examples)
    file(GLOB_RECURSE found RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/${dir}/*.c" "${SOURCE_DIR}/${dir}/*.h"
         "${SOURCE_DIR}/${dir}/*.cpp" "${SOURCE_DIR}/${dir}/*.hpp")
    list(APPEND files ${found})
  endforeach()
endif()

set(unformatted "")
set(count 0)
foreach(file IN LISTS files)
  if(file STREQUAL "")
    continue()
  endif()
  math(EXPR count "${count} + 1")
  execute_process(COMMAND "${CLANG_FORMAT}" --dry-run -Werror "${file}"
                  WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    list(APPEND unformatted "${file}")
  endif()
endforeach()

if(unformatted)
  list(JOIN unformatted "\n  " shown)
  message(FATAL_ERROR "not formatted with the project's .clang-format:\n  ${shown}\n"
                      "fix: clang-format -i <file> (or the git ls-files line at the top of this script)")
endif()
message(STATUS "${count} files formatted")
