# SPDX-License-Identifier: MIT
# mgpux_add_plugin(<name> SOURCES <src>... [OUTPUT_DIRECTORY <dir>])
#
# Builds the m-gpux plugin <name> as a loadable module called mgpux-<name>
# (.so on Linux, .dll on Windows, .dylib on macOS) with hidden visibility and
# only the entry symbol exported. The target is named mgpux-<name>.
# Needs the MGpux::SDK target (from find_package(MGpuxSDK) or the m-gpux tree).
include_guard(GLOBAL)

set(_MGPUX_PLUGIN_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")

# The link options that keep a plugin's exports to the entry symbol, for a target not made by
# mgpux_add_plugin(): target_link_options(<t> PRIVATE ${MGPUX_PLUGIN_LINK_OPTIONS}). Unresolved
# symbols fail the link, not the user's run (-z defs; clang's ASan runtime cannot satisfy it in a
# module, so GCC only).
set(MGPUX_PLUGIN_EXPORT_MAP "${CMAKE_CURRENT_LIST_DIR}/mgpux-plugin.map")
set(MGPUX_PLUGIN_LINK_OPTIONS "")
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  list(APPEND MGPUX_PLUGIN_LINK_OPTIONS "LINKER:--version-script=${MGPUX_PLUGIN_EXPORT_MAP}")
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    list(APPEND MGPUX_PLUGIN_LINK_OPTIONS "LINKER:-z,defs")
  endif()
endif()

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
  target_link_options(${target} PRIVATE ${MGPUX_PLUGIN_LINK_OPTIONS})
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${MGPUX_PLUGIN_EXPORT_MAP}")
  endif()
endfunction()
