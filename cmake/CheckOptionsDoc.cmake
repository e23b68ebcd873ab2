# Fails when doc/options.md differs from what the built nst prints with --options-markdown, so
# that the page cannot drift from --help (both are made from the same option records).
#
#   cmake -DNST=path/to/nst -DDOC=doc/options.md -P CheckOptionsDoc.cmake
execute_process(COMMAND ${NST} --options-markdown OUTPUT_VARIABLE expected
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "'${NST} --options-markdown' failed (status ${status})")
endif()
if(NOT EXISTS "${DOC}")
  message(FATAL_ERROR "${DOC} is missing; write it with: cmake --build <build> --target nst_options_doc")
endif()
file(READ "${DOC}" actual)
if(NOT actual STREQUAL expected)
  message(FATAL_ERROR "${DOC} is stale: it differs from 'nst --options-markdown'. Write it anew "
                      "with: cmake --build <build> --target nst_options_doc")
endif()
message(STATUS "${DOC} matches nst --options-markdown")
