/* The kernel sources embedded at build time by tools/embed_cl.cmake (generated cl_sources.c). */
#ifndef SLEEPCL_CL_SOURCES_H
#define SLEEPCL_CL_SOURCES_H

#include <stddef.h>

struct scl_cl_source {
    const char *name; /* file name under cl/, e.g. "sleep.cl" */
    const char *text; /* NUL-terminated */
    size_t len;       /* bytes, without the NUL */
};

/* Random123's philox.h preprocessed for OpenCL C: goes first in every build. */
extern const char *const scl_cl_prelude;
extern const size_t scl_cl_prelude_len;
/* The cl/ kernel files in build order (rng.cl first: the others use its helpers). */
extern const struct scl_cl_source scl_cl_sources[];
extern const int scl_cl_n_sources;

#endif
