/*
 * The one OpenCL check: SCL_CL_OK(ctx, expr) returns true on CL_SUCCESS and otherwise records
 * "file:line: expr -> CL_NAME (code)" in the context. Control flow stays at the call site.
 */
#include <stdio.h>

#include "cl_errnames.h"
#include "internal.h"

const char *scl_cl_errname(cl_int err)
{
    for (int i = 0; i < scl_cl_errnames_len; i++)
        if (scl_cl_errnames[i].code == err)
            return scl_cl_errnames[i].name;
    return "CL_UNKNOWN_ERROR";
}

bool scl_cl_check_(scl_ctx *ctx, cl_int err, const char *expr, const char *file, int line)
{
    if (err == CL_SUCCESS)
        return true;
    scl_ctx_fail(ctx, SCL_ERR_OPENCL, "%s:%d: %.200s -> %s (%d)", file, line, expr,
                 scl_cl_errname(err), (int)err);
    return false;
}
