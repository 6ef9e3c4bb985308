# SPDX-License-Identifier: MIT
# Debian packages, one per install component, made by `cpack -G DEB` in a build directory:
#   m-gpux                  the host, the info plugin, the shared templates, the local runtime, docs
#   m-gpux-plugin-<id>      one plugin: its library and its own template folder
#   m-gpux-proxy            the native serve proxy and its sources (compiled again in images)
#   m-gpux-dev              SDK headers, CMake package, pkg-config file, plugin guide and example
# The host package Provides m-gpux-abi-<major>; every plugin package Depends on it, so a plugin
# built for another ABI major cannot be installed beside this host.
set(MGPUX_PACKAGE_MAINTAINER "m-gpux maintainers <maintainers@m-gpux.org>" CACHE STRING
    "Maintainer field of the Debian packages")
set(MGPUX_PACKAGE_HOMEPAGE "https://github.com/m-gpux/m-gpux" CACHE STRING
    "Homepage field of the Debian packages")

set(CPACK_PACKAGE_NAME m-gpux)
set(CPACK_PACKAGE_VENDOR "m-gpux")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
# Empty, so each package's own summary is the first line of its Description (CPack would put
# the project's description there instead).
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(CPACK_PACKAGE_CONTACT "${MGPUX_PACKAGE_MAINTAINER}")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}/packages")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${MGPUX_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${MGPUX_PACKAGE_HOMEPAGE}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(_abi "m-gpux-abi-${MGPUX_ABI_MAJOR}")
set(_deb_version "${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")

# mgpux_deb_package(<component> <package> <section> <summary> <long description>)
function(mgpux_deb_package component package section summary description)
  string(TOUPPER "${component}" c)
  set(CPACK_DEBIAN_${c}_PACKAGE_NAME "${package}" PARENT_SCOPE)
  set(CPACK_DEBIAN_${c}_PACKAGE_SECTION "${section}" PARENT_SCOPE)
  set(CPACK_DEBIAN_${c}_DESCRIPTION "${summary}\n${description}" PARENT_SCOPE)
  set(CPACK_COMPONENT_${c}_DESCRIPTION "${summary}\n${description}" PARENT_SCOPE)
  mgpux_deb_docs(${component} ${package})
endfunction()

# Debian wants /usr/share/doc/<package>/copyright and changelog.Debian.gz in every package. Only
# the per-component installs CPack runs get them (EXCLUDE_FROM_ALL): a plain install has the
# licence once, under <datadir>/doc/m-gpux.
set(_changelog "${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz")
function(mgpux_deb_docs component package)
  install(FILES "${PROJECT_SOURCE_DIR}/packaging/copyright" "${_changelog}"
          DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/${package}" COMPONENT ${component} EXCLUDE_FROM_ALL)
endfunction()
# The changelog, with a fixed date and compressed without a timestamp (gzip -n): reproducible.
file(WRITE "${PROJECT_BINARY_DIR}/packaging/changelog.Debian"
"m-gpux (${_deb_version}) unstable; urgency=medium

  * Packages built from the m-gpux sources with CPack.

 -- ${MGPUX_PACKAGE_MAINTAINER}  Sun, 06 Dec 2026 00:00:00 +0000
")
execute_process(COMMAND gzip -9 -n -c "${PROJECT_BINARY_DIR}/packaging/changelog.Debian"
                OUTPUT_FILE "${_changelog}" RESULT_VARIABLE _gzip_rc)
if(NOT _gzip_rc EQUAL 0)
  message(WARNING "gzip failed: the Debian packages will lack their changelog")
endif()

# Long descriptions: lines of at most 72 characters, as Debian's tools show them.
set(_about "m-gpux runs GPU work on Modal, the serverless GPU cloud, from the\ncommand line.")

mgpux_deb_package(host m-gpux utils "command-line tool for running GPU work on Modal"
  "${_about}\n.\nThis package has the host program, which finds its commands in\nplugins, the info plugin, the templates the plugins share, the local\nbackend (a stand-in for Modal's runtime that runs scripts on this\nmachine) and the documentation. The commands come from the\nm-gpux-plugin-* packages.")
set(CPACK_DEBIAN_HOST_PACKAGE_PROVIDES "${_abi}")
# libcurl is opened at the first HTTP request (dlopen), so shlibdeps cannot see it.
set(CPACK_DEBIAN_HOST_PACKAGE_DEPENDS "libcurl4 | libcurl4t64")
set(CPACK_DEBIAN_HOST_PACKAGE_RECOMMENDS "python3")

mgpux_deb_package(proxy m-gpux-proxy net "native API-key proxy for m-gpux serve"
  "${_about}\n.\nThis package has mgpux-proxy, the authenticating OpenAI-compatible\nproxy that `m-gpux serve proxy` runs, and its C++ sources, which\n`m-gpux serve deploy` compiles inside the container image.")

mgpux_deb_package(dev m-gpux-dev libdevel "SDK for building m-gpux plugins"
  "${_about}\n.\nThis package has what a plugin author needs: the C ABI and C++ helper\nheaders, the CMake package (find_package(MGpuxSDK)), the pkg-config\nfile (mgpux-sdk), the plugin authoring guide and the hello-plugin\nexample.")
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "m-gpux, pkg-config | cmake")

# One line per plugin: what its commands do.
set(_summary_account "manage Modal profiles and their credit")
set(_summary_billing "Modal spend per profile and the usage dashboard")
set(_summary_budget "monthly spending limits per Modal account")
set(_summary_pricing "the Modal rates behind m-gpux price estimates")
set(_summary_image "build and publish reusable Modal images")
set(_summary_stop "stop running m-gpux apps and release their GPUs")
set(_summary_sessions "list, inspect, stop and pull hub and dev sessions")
set(_summary_preset "saved workload presets for m-gpux")
set(_summary_load "probe a Modal container's GPU, CPU, memory and disk")
set(_summary_host "host ASGI, WSGI and static web apps on Modal")
set(_summary_hub "Jupyter, web terminals, scripts and vLLM on Modal")
set(_summary_dev "dev boxes over SSH and web Bash dev containers on Modal")
set(_summary_serve "deploy LLMs on Modal as OpenAI-compatible APIs")
set(_summary_vision "image classification on Modal")
set(_summary_video "text-to-video on Modal")
set(_summary_compose "Docker Compose stacks on Modal")
foreach(p IN LISTS MGPUX_BUILT_PLUGINS)
  if(p STREQUAL "info")
    continue()
  endif()
  set(_summary "${_summary_${p}}")
  if(NOT _summary)
    set(_summary "m-gpux plugin ${p}")
  endif()
  set(_what "the `m-gpux ${p}` commands")
  if(IS_DIRECTORY "${PROJECT_SOURCE_DIR}/templates/${p}" AND NOT p IN_LIST MGPUX_HOST_TEMPLATE_DIRS)
    set(_what "${_what} and the\ntemplates they render")
  endif()
  mgpux_deb_package(plugin-${p} m-gpux-plugin-${p} utils "m-gpux: ${_summary}"
    "${_about}\n.\nThis package adds ${_what}. `m-gpux ${p} --help`\ndescribes them.")
  string(TOUPPER "plugin-${p}" c)
  set(CPACK_DEBIAN_${c}_PACKAGE_DEPENDS "${_abi}")
endforeach()
if("serve" IN_LIST MGPUX_BUILT_PLUGINS)
  set(CPACK_DEBIAN_PLUGIN-SERVE_PACKAGE_DEPENDS "${_abi}, m-gpux-proxy (= ${_deb_version})")
endif()

set(CPACK_COMPONENTS_ALL host proxy dev)
foreach(p IN LISTS MGPUX_BUILT_PLUGINS)
  if(NOT p STREQUAL "info")
    list(APPEND CPACK_COMPONENTS_ALL plugin-${p})
  endif()
endforeach()

include(CPack)
