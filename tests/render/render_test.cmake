# One end-to-end rendering test (kiln_render_test in CMakeLists.txt), run by `cmake -P`:
# `kiln render INPUT -o OUTPUT ARGS... --force` as a user types it, then kiln_compare_image
# judges OUTPUT against BASELINE.
#   -DKILN=, -DCOMPARE=  the two programs
#   -DINPUT=, -DARGS=    what to render (ARGS a ;-list)
#   -DOUTPUT=, -DDIFF=   the actual image and, on failure, the amplified difference
#   -DBASELINE=          the expected image
#   -DEXPECT=match       pass when within the error budget; `mismatch` passes only when the
#                        comparison ran and found the image over the budget (tests the judge)
# KILN_UPDATE_BASELINES=1 in the environment rewrites BASELINE instead, as the in-process tests do.
foreach(_var KILN COMPARE INPUT OUTPUT BASELINE DIFF EXPECT)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "render_test.cmake: -D${_var}= is required")
  endif()
endforeach()

# add_test hands the ;-list over with its separators escaped (see CMakeLists.txt).
string(REPLACE "\\;" ";" ARGS "${ARGS}")

get_filename_component(_dir "${OUTPUT}" DIRECTORY)
file(MAKE_DIRECTORY "${_dir}")
execute_process(COMMAND "${KILN}" render "${INPUT}" -o "${OUTPUT}" ${ARGS} --force
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "kiln render ${INPUT} ${ARGS} failed (${_rc}):\n${_out}${_err}")
endif()

if(EXPECT STREQUAL "match" AND DEFINED ENV{KILN_UPDATE_BASELINES})
  file(COPY_FILE "${OUTPUT}" "${BASELINE}")
  message(STATUS "baseline written: ${BASELINE}")
  return()
endif()

execute_process(COMMAND "${COMPARE}" "${OUTPUT}" "${BASELINE}" "${DIFF}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
message(STATUS "${_out}${_err}")
if(EXPECT STREQUAL "match" AND NOT _rc EQUAL 0)
  message(FATAL_ERROR "${OUTPUT} does not match ${BASELINE} (kiln_compare_image exited ${_rc})")
elseif(EXPECT STREQUAL "mismatch" AND NOT _rc EQUAL 1)
  message(FATAL_ERROR "expected ${OUTPUT} to be over the error budget against ${BASELINE}; kiln_compare_image exited ${_rc}")
endif()
