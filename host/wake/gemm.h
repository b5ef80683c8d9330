/*
 * One small GEMM interface for every matrix product of training and evaluation, with two
 * engines: CLBlast (tuned for GPUs) and a CPU-shaped kernel of our own (cl/gemm.cl) for CPU
 * devices such as PoCL, where CLBlast's GPU-shaped kernels reach only a fraction of the machine.
 *
 * Semantics (row-major, like BLAS with CblasRowMajor):
 *   C[m][n] = alpha * op(A)[m][k] * op(B)[k][n] + beta * C
 * op(A) = A ([m][k], row stride lda) or A^T (A stored [k][m], row stride lda); likewise B.
 * Offsets and strides are in floats. All buffers live on the context's device.
 */
#ifndef SLEEPCL_GEMM_H
#define SLEEPCL_GEMM_H

#include "internal.h"

/* The engines are the public scl_gemm_engine (sleepcl.h). */
struct scl_gemm_args {
    bool trans_a, trans_b;
    size_t m, n, k;
    float alpha, beta;
    cl_mem a;
    size_t a_off, lda;
    cl_mem b;
    size_t b_off, ldb;
    cl_mem c;
    size_t c_off, ldc;
};

/* Enqueue C = alpha op(A) op(B) + beta C on ctx's queue with the given engine. */
scl_status scl_gemm(scl_ctx *ctx, enum scl_gemm_engine engine, const struct scl_gemm_args *g);
/* The engine AUTO stands for on this context's device. */
enum scl_gemm_engine scl_gemm_resolve(const scl_ctx *ctx, enum scl_gemm_engine engine);
/* The native engine's vector width W on this device (its kernels are named <name>8 and <name>16):
 * 16 where the device's native float vectors are that wide (AVX-512), else 8. */
cl_uint scl_gemm_vector_width(const scl_ctx *ctx);
/* "auto", "clblast" or "native". */
const char *scl_gemm_engine_name(enum scl_gemm_engine engine);

#endif
