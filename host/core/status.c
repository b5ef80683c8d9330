/*
 * Status codes: one table of short messages, and the helpers that record the detailed one-line
 * message of a failure in the context (or a caller's buffer), never in a global.
 */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static const char *const status_msgs[SCL_STATUS_COUNT] = {
    [SCL_OK] = "ok",
    [SCL_ERR_NOMEM] = "out of memory",
    [SCL_ERR_OPENCL] = "OpenCL error",
    [SCL_ERR_NODEVICE] = "no such OpenCL device",
    [SCL_ERR_CONFIG] = "bad configuration",
    [SCL_ERR_IO] = "input/output error",
    [SCL_ERR_DATA] = "malformed data",
    [SCL_ERR_NUMERIC] = "non-finite value",
    [SCL_ERR_ARG] = "bad argument",
};

const char *scl_version(void)
{
    return SCL_VERSION_STRING;
}

const char *scl_status_str(scl_status st)
{
    if ((unsigned)st >= SCL_STATUS_COUNT)
        return "unknown status";
    return status_msgs[st];
}

scl_status scl_ctx_fail(scl_ctx *ctx, scl_status st, const char *fmt, ...)
{
    if (!ctx)
        return st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
    va_end(ap);
    return st;
}

scl_status scl_msg_fail(char *msg, size_t len, scl_status st, const char *fmt, ...)
{
    if (!msg || len == 0)
        return st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return st;
}

void scl_ctx_clear_error(scl_ctx *ctx)
{
    if (ctx)
        ctx->err[0] = '\0';
}

const char *scl_ctx_last_error(const scl_ctx *ctx)
{
    return ctx ? ctx->err : "no context";
}
