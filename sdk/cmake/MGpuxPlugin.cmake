# SPDX-License-Identifier: MIT
# mgpux_add_plugin(<name> SOURCES <src>... [OUTPUT_DIRECTORY <dir>])
#
# Builds the m-gpux plugin <name> as a loadable module called mgpux-<name>
# (.so on Linux, .dll on Windows, .dylib on macOS) with hidden visibility and
# only the entry symbol exported. The target is named mgpux-<name>.
# Needs the MGpux::SDK target (from find_package(MGpuxSDK) or the m-gpux tree).
include_guard(GLOBAL)

set(_MGPUX_PLUGIN_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(mgpux_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT name MATCHES "^[a-z][a-z0-9-]*$")
    message(FATAL_ERROR "mgpux_add_plugin: '${name}' is not a valid plugin id ([a-z][a-z0-9-]*)")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "mgpux_add_plugin(${name}): SOURCES is required")
  endif()
  set(target "mgpux-${name}")
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE MGpux::SDK)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "mgpux-${name}"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(APPLE)
    set_target_properties(${target} PROPERTIES SUFFIX ".dylib")
  endif()
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  endif()
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    # Export only the entry symbol.
    set(script "${CMAKE_CURRENT_BINARY_DIR}/${target}.map")
    file(WRITE "${script}" "{ global: mgpux_plugin_entry; local: *; };\n")
    target_link_options(${target} PRIVATE "LINKER:--version-script=${script}")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${script}")
    # Unresolved symbols fail the link, not the user's run. clang's ASan
    # runtime cannot satisfy -z defs in a module, so GCC builds only.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      target_link_options(${target} PRIVATE "LINKER:-z,defs")
    endif()
  endif()
endfunction()
