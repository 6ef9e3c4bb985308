# SPDX-License-Identifier: MIT
# cmake -DPLUGINS_DIR=<source>/plugins -P check_plugin_independence.cmake
# Fails listing every place where a plugin folder reaches into another folder
# by path: a `../` or `plugins/<folder>/` path in its CMake files, the proxy's
# library or header, or a quoted include that leaves the folder. Shared code
# lives in libraries under plugins/common that a plugin links by target name,
# so any plugin folder can be built, moved or copied on its own.
if(NOT PLUGINS_DIR)
  message(FATAL_ERROR "PLUGINS_DIR is not set")
endif()

set(problems "")
file(GLOB folders LIST_DIRECTORIES true RELATIVE "${PLUGINS_DIR}" "${PLUGINS_DIR}/*")
foreach(folder IN LISTS folders)
  if(NOT IS_DIRECTORY "${PLUGINS_DIR}/${folder}")
    continue()
  endif()
  file(GLOB_RECURSE files RELATIVE "${PLUGINS_DIR}" "${PLUGINS_DIR}/${folder}/CMakeLists.txt"
       "${PLUGINS_DIR}/${folder}/*.cpp" "${PLUGINS_DIR}/${folder}/*.hpp" "${PLUGINS_DIR}/${folder}/*.h"
       "${PLUGINS_DIR}/${folder}/*.c" "${PLUGINS_DIR}/${folder}/*.cmake")
  foreach(file IN LISTS files)
    file(STRINGS "${PLUGINS_DIR}/${file}" lines)
    set(n 0)
    foreach(line IN LISTS lines)
      math(EXPR n "${n} + 1")
      set(bad "")
      if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*\"([^\"]*)\"")
        set(included "${CMAKE_MATCH_1}")
        if(included MATCHES "\\.\\.")
          set(bad "an include that leaves the folder")
        elseif(included MATCHES "proxy")
          set(bad "the proxy's own header")
        endif()
      elseif(NOT file MATCHES "CMakeLists.txt$|\\.cmake$")
        # Other source lines may hold "../" as test data.
      elseif(line MATCHES "\\.\\./")
        set(bad "a path that leaves the folder (../)")
      elseif(line MATCHES "plugins/([A-Za-z0-9_-]+)/")
        set(bad "a path into plugins/${CMAKE_MATCH_1}/")
      elseif(line MATCHES "proxy/|mgpux_proxy")
        set(bad "the proxy's sources or library")
      endif()
      if(bad)
        string(APPEND problems "  plugins/${file}:${n}: ${bad}: ${line}\n")
      endif()
    endforeach()
  endforeach()
endforeach()

if(problems)
  message(FATAL_ERROR "plugin folders must not use another folder's files:\n${problems}"
                      "Move shared code into a library in plugins/common and link it by target name "
                      "(target_link_libraries); its include directory comes with it.")
endif()
message(STATUS "every plugin folder stands alone")
