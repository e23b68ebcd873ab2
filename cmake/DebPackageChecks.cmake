# Read by cpack before it packages. Without dpkg-shlibdeps, CPack only prints a note and makes
# a package that depends on nothing but OpenBLAS, which installs and then cannot start.
if(CPACK_GENERATOR STREQUAL "DEB")
  find_program(NST_DPKG_SHLIBDEPS dpkg-shlibdeps)
  if(NOT NST_DPKG_SHLIBDEPS)
    message(FATAL_ERROR "The .deb needs dpkg-shlibdeps to list the libraries' packages: "
                        "install Debian's dpkg-dev (and file)")
  endif()
endif()
