# One library per source folder (src/<folder>/, public headers in include/nst/<folder>/), linked
# only to the folders below it: engine <- io <- video <- batch <- report <- cli.
#
# Each target sees its own headers and those of the targets it links, nothing else: its include
# directory is a view in the build tree that holds only nst/<folder>/ (a link to the sources).
# A header of a higher folder included in a lower one is therefore "not found" at compile time,
# and the test layout.include_direction shows it.
function(nst_folder_library folder)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES;PUBLIC;PRIVATE")
  set(target nst_${folder})
  add_library(${target} ${ARG_SOURCES})
  set(view ${PROJECT_BINARY_DIR}/include_view/${folder})
  file(MAKE_DIRECTORY ${view}/nst)
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/include/nst/${folder} ${view}/nst/${folder} SYMBOLIC)
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${view}>)
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
  target_compile_options(${target} PRIVATE ${NST_WARNINGS})
  if(NST_FUZZ)
    # Coverage for libFuzzer, in the code the fuzz targets reach.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
  nst_use_precompiled_headers(${target})
endfunction()
