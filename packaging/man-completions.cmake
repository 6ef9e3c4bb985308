# SPDX-License-Identifier: MIT
# The manual page and the shell completion scripts, written at build time by
# the built m-gpux, and installed with the host.
#
# Included from the top-level CMakeLists.txt after the plugins, this file adds
# the build step; the step runs this same file as a script (cmake -P), which
# does the writing (the script part is at the end).

if(NOT CMAKE_SCRIPT_MODE_FILE)
  if(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
    message(STATUS "Cross-compiling: the manual page and completion scripts are not written")
    return()
  endif()
  # Every plugin module built here: the page lists exactly their commands.
  function(_mgpux_in_tree_plugin_targets out)
    set(found)
    get_property(dirs DIRECTORY "${PROJECT_SOURCE_DIR}/plugins" PROPERTY SUBDIRECTORIES)
    foreach(dir IN LISTS dirs)
      get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
      foreach(t IN LISTS targets)
        get_target_property(type ${t} TYPE)
        if(t MATCHES "^mgpux-" AND type STREQUAL "MODULE_LIBRARY")
          list(APPEND found ${t})
        endif()
      endforeach()
    endforeach()
    set(${out} ${found} PARENT_SCOPE)
  endfunction()

  _mgpux_in_tree_plugin_targets(_mgpux_plugin_targets)
  find_program(MGPUX_GZIP gzip)
  set(_man_dir "${CMAKE_BINARY_DIR}/${CMAKE_INSTALL_MANDIR}/man1")
  set(_share "${CMAKE_BINARY_DIR}/${CMAKE_INSTALL_DATADIR}")
  set(_outputs
    "${_man_dir}/m-gpux.1"
    "${_share}/bash-completion/completions/m-gpux"
    "${_share}/zsh/vendor-completions/_m-gpux"
    "${_share}/fish/vendor_completions.d/m-gpux.fish")
  if(MGPUX_GZIP)
    list(APPEND _outputs "${_man_dir}/m-gpux.1.gz")
  endif()
  add_custom_command(
    OUTPUT ${_outputs}
    COMMAND "${CMAKE_COMMAND}" "-DMGPUX_EXE=$<TARGET_FILE:m-gpux>" "-DPLUGIN_DIR=${MGPUX_PLUGIN_OUTPUT_DIR}"
            "-DMAN_DIR=${_man_dir}" "-DSHARE_DIR=${_share}" "-DGZIP=${MGPUX_GZIP}"
            "-DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/man-completions-home"
            -P "${CMAKE_CURRENT_LIST_FILE}"
    DEPENDS m-gpux ${_mgpux_plugin_targets} "${CMAKE_CURRENT_LIST_FILE}"
    COMMENT "Writing the m-gpux manual page and shell completions"
    VERBATIM)
  add_custom_target(mgpux_man_completions ALL DEPENDS ${_outputs})

  if(MGPUX_GZIP)
    # Debian wants manual pages compressed (gzip -9n, so the file is reproducible).
    install(FILES "${_man_dir}/m-gpux.1.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1" COMPONENT host)
  else()
    install(FILES "${_man_dir}/m-gpux.1" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1" COMPONENT host)
  endif()
  install(FILES "${_share}/bash-completion/completions/m-gpux"
          DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" COMPONENT host)
  install(FILES "${_share}/zsh/vendor-completions/_m-gpux"
          DESTINATION "${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions" COMPONENT host)
  install(FILES "${_share}/fish/vendor_completions.d/m-gpux.fish"
          DESTINATION "${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d" COMPONENT host)
  return()
endif()

# ---- Script part: run by the build step above. ----------------------------
# Only the build's plugins, nothing of the user who builds: an empty HOME,
# MGPUX_PLUGIN_PATH alone, no plugin cache written.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}" "${MAN_DIR}" "${SHARE_DIR}/bash-completion/completions"
     "${SHARE_DIR}/zsh/vendor-completions" "${SHARE_DIR}/fish/vendor_completions.d")
foreach(var MGPUX_ADD_PLUGIN_PATH MGPUX_ALLOW_UNSAFE_PLUGINS MGPUX_DEBUG XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME
            MGPUX_HOME MODAL_CONFIG_PATH)
  unset(ENV{${var}})
endforeach()
set(ENV{HOME} "${WORK_DIR}")
set(ENV{MGPUX_PLUGIN_PATH} "${PLUGIN_DIR}")
set(ENV{MGPUX_NO_PLUGIN_CACHE} "1")
set(ENV{TMPDIR} "${WORK_DIR}")

function(_mgpux_write out)
  execute_process(COMMAND "${MGPUX_EXE}" ${ARGN} OUTPUT_FILE "${out}.tmp" ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    file(REMOVE "${out}.tmp")
    message(FATAL_ERROR "m-gpux ${ARGN} failed (${rc}): ${err}")
  endif()
  file(RENAME "${out}.tmp" "${out}")
endfunction()

_mgpux_write("${MAN_DIR}/m-gpux.1" __man)
_mgpux_write("${SHARE_DIR}/bash-completion/completions/m-gpux" completion bash)
_mgpux_write("${SHARE_DIR}/zsh/vendor-completions/_m-gpux" completion zsh)
_mgpux_write("${SHARE_DIR}/fish/vendor_completions.d/m-gpux.fish" completion fish)
if(GZIP)
  execute_process(COMMAND "${GZIP}" -9n -c "${MAN_DIR}/m-gpux.1" OUTPUT_FILE "${MAN_DIR}/m-gpux.1.gz"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip of the manual page failed (${rc})")
  endif()
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
