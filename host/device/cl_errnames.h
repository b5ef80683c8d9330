/* The generated table of OpenCL error codes and names (see tools/gen_errnames.cmake). */
#ifndef SLEEPCL_CL_ERRNAMES_H
#define SLEEPCL_CL_ERRNAMES_H

struct scl_cl_errname_entry {
    int code;
    const char *name;
};
extern const struct scl_cl_errname_entry scl_cl_errnames[];
extern const int scl_cl_errnames_len;

#endif
