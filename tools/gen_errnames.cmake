# Generate the table of OpenCL error names from CL/cl.h, so that it can never drift from the
# headers the project is built against.
# Usage: cmake -DHEADER=/usr/include/CL/cl.h -DOUT=build/gen/cl_errnames.c -P gen_errnames.cmake
file(STRINGS "${HEADER}" lines REGEX "^#define CL_[A-Z0-9_]+ +-[0-9]+")
set(body "")
set(seen "")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "^#define (CL_[A-Z0-9_]+) +(-[0-9]+).*" "\\1;\\2" pair "${line}")
  list(GET pair 0 name)
  list(GET pair 1 code)
  list(FIND seen "${code}" dup)
  if(dup EQUAL -1)
    list(APPEND seen "${code}")
    string(APPEND body "    {${code}, \"${name}\"},\n")
  endif()
endforeach()
file(WRITE "${OUT}.tmp"
  "/* Generated from ${HEADER} by tools/gen_errnames.cmake. Do not edit. */\n"
  "#include \"cl_errnames.h\"\n"
  "const struct scl_cl_errname_entry scl_cl_errnames[] = {\n${body}    {0, \"CL_SUCCESS\"},\n};\n"
  "const int scl_cl_errnames_len = (int)(sizeof(scl_cl_errnames) / sizeof(scl_cl_errnames[0]));\n")
file(RENAME "${OUT}.tmp" "${OUT}")
