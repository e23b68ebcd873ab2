# What `cmake --install` and the .deb put where, in the GNU layout, and the two files made from
# the built program: the manual page (help2man on `nst --help`) and the bash completion
# (`nst --completion bash`), both from the option table --help is made from, so they cannot
# drift from the program.
include(GNUInstallDirs)

# Running the freshly built nst: sanitizers would report LibTorch's one-time allocations and
# duplicate globals at exit and fail the build (the test scripts set the same options).
set(NST_RUN_BUILT "")
if(NST_SANITIZE)
  set(NST_RUN_BUILT ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_odr_violation=0:detect_leaks=0)
endif()
set(NST_WRITE_OUTPUT ${CMAKE_COMMAND} -P ${CMAKE_CURRENT_LIST_DIR}/WriteOutput.cmake --)

set(NST_COMPLETION ${CMAKE_BINARY_DIR}/completion/nst)
set(NST_GENERATED ${NST_COMPLETION})
add_custom_command(
  OUTPUT ${NST_COMPLETION}
  COMMAND ${NST_RUN_BUILT} ${CMAKE_COMMAND} -DOUTPUT=${NST_COMPLETION} ${NST_WRITE_OUTPUT}
          $<TARGET_FILE:nst> --completion bash
  DEPENDS nst ${CMAKE_CURRENT_LIST_DIR}/WriteOutput.cmake
  COMMENT "Writing the bash completion of nst"
  VERBATIM)

# help2man reads the help through the shell, so its help option can pipe it through the filter
# that turns the footer's headings into manual sections (doc/nst-help.sed says how).
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(NST_MAN_PAGE ${CMAKE_BINARY_DIR}/nst.1)
  add_custom_command(
    OUTPUT ${NST_MAN_PAGE} ${NST_MAN_PAGE}.gz
    COMMAND ${NST_RUN_BUILT} ${CMAKE_COMMAND} -DOUTPUT=${NST_MAN_PAGE} ${NST_WRITE_OUTPUT}
            ${HELP2MAN} --no-info --section 1
            --name "paint photos in the style of artworks by neural style transfer"
            --include ${PROJECT_SOURCE_DIR}/doc/nst.h2m
            "--help-option=--help | sed -f '${PROJECT_SOURCE_DIR}/doc/nst-help.sed'"
            $<TARGET_FILE:nst>
    # Debian's way: compressed with the most effort, without a name or time stamp inside, so
    # that the same page gives the same bytes.
    COMMAND gzip -9 -n -k -f ${NST_MAN_PAGE}
    DEPENDS nst ${PROJECT_SOURCE_DIR}/doc/nst.h2m ${PROJECT_SOURCE_DIR}/doc/nst-help.sed
            ${CMAKE_CURRENT_LIST_DIR}/WriteOutput.cmake
    COMMENT "Writing the manual page of nst with help2man"
    VERBATIM)
  list(APPEND NST_GENERATED ${NST_MAN_PAGE}.gz)
  install(FILES ${NST_MAN_PAGE}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: no manual page (install Debian's help2man for one)")
endif()
add_custom_target(nst_docs ALL DEPENDS ${NST_GENERATED})

# doc/options.md, the reference page of every option, is written into the sources on request
# (it is committed); the test doc.options_current fails when it is stale.
add_custom_target(nst_options_doc
  COMMAND ${NST_RUN_BUILT} ${CMAKE_COMMAND} -DOUTPUT=${PROJECT_SOURCE_DIR}/doc/options.md
          ${NST_WRITE_OUTPUT} $<TARGET_FILE:nst> --options-markdown
  DEPENDS nst ${CMAKE_CURRENT_LIST_DIR}/WriteOutput.cmake
  COMMENT "Writing doc/options.md from nst --options-markdown"
  VERBATIM)

install(TARGETS nst RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${NST_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
# nst finds a model in <prefix>/share/nst/models/vgg19.pt (src/cli/model_lookup.cpp). One
# exported into models/ goes there with `cmake --install`, but in a component of its own that
# the .deb leaves out (DebPackage.cmake): a package ships no weights.
install(FILES ${PROJECT_SOURCE_DIR}/models/vgg19.pt
        DESTINATION ${CMAKE_INSTALL_DATADIR}/nst/models COMPONENT model OPTIONAL)
install(FILES ${PROJECT_SOURCE_DIR}/doc/models-README
        DESTINATION ${CMAKE_INSTALL_DATADIR}/nst/models RENAME README)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/export_vgg19.py
        DESTINATION ${CMAKE_INSTALL_DATADIR}/nst)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME copyright)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
