# Finds a Python interpreter that can import torch (needed to export the test model and to run
# the PyTorch reference). The first python3 on PATH is not always the
# one Debian's python3-torch is installed for, so candidates are tried in order.
set(NST_PYTHON "" CACHE FILEPATH "Python interpreter that can import torch")
if(NOT NST_PYTHON)
  find_program(_nst_path_python NAMES python3 python)
  foreach(candidate /usr/bin/python3 ${_nst_path_python})
    if(candidate AND EXISTS "${candidate}")
      execute_process(COMMAND "${candidate}" -c "import torch"
                      RESULT_VARIABLE _nst_rc OUTPUT_QUIET ERROR_QUIET)
      if(_nst_rc EQUAL 0)
        set(NST_PYTHON "${candidate}" CACHE FILEPATH
            "Python interpreter that can import torch" FORCE)
        break()
      endif()
    endif()
  endforeach()
endif()
