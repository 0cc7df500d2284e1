# cmake -DCMD=PROG|ARG|... -DOUT=FILE -P capture.cmake: run PROG with the
# arguments ('|'-separated) and write its standard output to FILE, which
# appears only when the command succeeds.
string(REPLACE "|" ";" cmd "${CMD}")
execute_process(COMMAND ${cmd} OUTPUT_FILE ${OUT}.tmp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT}.tmp)
  message(FATAL_ERROR "${cmd}: ${rc}")
endif()
file(RENAME ${OUT}.tmp ${OUT})
