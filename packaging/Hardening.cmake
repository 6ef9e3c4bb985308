# SPDX-License-Identifier: MIT
# The hardening flags Debian's dpkg-buildflags gives, on by default (MGPUX_HARDENING). Added after
# the flags from the environment (CFLAGS, CXXFLAGS, LDFLAGS), so a packager's own choices are kept:
# a _FORTIFY_SOURCE level they chose is never redefined.
include(CheckCXXCompilerFlag)
include(CheckPIESupported)

check_pie_supported(LANGUAGES C CXX)  # executables link with -pie (CMAKE_POSITION_INDEPENDENT_CODE)
add_compile_options(-fstack-protector-strong)
foreach(_flag -fstack-clash-protection -fcf-protection)
  string(MAKE_C_IDENTIFIER "MGPUX_HAS${_flag}" _var)
  check_cxx_compiler_flag(${_flag} ${_var})
  if(${_var})
    add_compile_options(${_flag})
  endif()
endforeach()
# Fortify needs the optimiser (glibc warns without it), so only the optimised build types get it.
if(NOT "${CMAKE_C_FLAGS} ${CMAKE_CXX_FLAGS}" MATCHES "_FORTIFY_SOURCE")
  add_compile_definitions($<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:_FORTIFY_SOURCE=2>)
endif()
add_link_options(LINKER:-z,relro LINKER:-z,now)
