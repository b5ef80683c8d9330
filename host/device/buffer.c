/*
 * Thin, checked wrappers for device buffers. Reads and writes are blocking: the in-order queue
 * means a read sees everything enqueued before it, which is the only synchronisation the
 * library needs.
 */
#include "internal.h"

scl_status scl_buf_create(scl_ctx *ctx, size_t bytes, const void *host, cl_mem *out)
{
    cl_int err;
    cl_mem_flags flags = CL_MEM_READ_WRITE | (host ? CL_MEM_COPY_HOST_PTR : 0);
    *out = clCreateBuffer(ctx->context, flags, bytes ? bytes : 4, (void *)host, &err);
    if (!SCL_CL_OK(ctx, err))
        return SCL_ERR_OPENCL;
    return SCL_OK;
}

scl_status scl_buf_read(scl_ctx *ctx, cl_mem buf, size_t offset, size_t bytes, void *dst)
{
    if (bytes == 0)
        return SCL_OK;
    if (!SCL_CL_OK(
            ctx, clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, offset, bytes, dst, 0, NULL, NULL)))
        return SCL_ERR_OPENCL;
    return SCL_OK;
}

scl_status scl_buf_write(scl_ctx *ctx, cl_mem buf, size_t offset, size_t bytes, const void *src)
{
    if (bytes == 0)
        return SCL_OK;
    if (!SCL_CL_OK(
            ctx, clEnqueueWriteBuffer(ctx->queue, buf, CL_TRUE, offset, bytes, src, 0, NULL, NULL)))
        return SCL_ERR_OPENCL;
    return SCL_OK;
}

scl_status scl_buf_fill_zero(scl_ctx *ctx, cl_mem buf, size_t bytes)
{
    const cl_uint zero = 0;
    if (bytes == 0)
        return SCL_OK;
    if (!SCL_CL_OK(ctx, clEnqueueFillBuffer(ctx->queue, buf, &zero, sizeof(zero), 0, bytes, 0, NULL,
                                            NULL)))
        return SCL_ERR_OPENCL;
    return SCL_OK;
}

void scl_buf_release(cl_mem *buf)
{
    if (buf && *buf) {
        clReleaseMemObject(*buf);
        *buf = NULL;
    }
}
