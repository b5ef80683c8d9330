/*
 * The GEMM layer behind gemm.h: C = alpha op(A) op(B) + beta C, row-major, enqueued on the
 * context's in-order queue with no host round trip, by CLBlast or by our own CPU-shaped kernel
 * (cl/gemm.cl).
 *
 * The native tile kernel computes one form only, D = alpha P Q + beta D, in which Q must have
 * contiguous rows ([k][n], unit column stride) while P and D take any strides. Every transpose
 * combination maps onto it without copying when it can:
 *   op(B) = B            direct:  D = C,   P = op(A), Q = B;
 *   op(B) = B^T, A^T     swapped: D = C^T, P = B,     Q = A (stored [k][m]);
 *   op(B) = B^T, A       with n <= SCL_GEMM_DOT_MAX_N the dot kernel reads A and B along their
 *                        rows; otherwise the smaller of A and B is transposed into
 *                        ctx->gemm_scratch first.
 * The scratch buffer belongs to the context (freed by scl_ctx_destroy) and only grows. Reusing it
 * across calls is safe because the queue is in order.
 *
 * Arguments are checked against the buffers' real sizes before anything is enqueued, so a bad
 * stride is an SCL_ERR_ARG naming the operand, never an out-of-bounds read on the device.
 */
#include <clblast_c.h>
#include <stdint.h>
#include <stdio.h>

#include "gemm.h"
#include "scl_contract.h" /* SCL_GEMM_MR*: rows of D per work-item; SCL_GEMM_BLOCK: transposes */

/* The native kernel's view of one product: D = alpha P Q + beta D (cl/gemm.cl). */
struct view {
    cl_mem p;
    cl_uint p_off, p_rs, p_ks; /* P[i][kk] at p_off + i * p_rs + kk * p_ks, in floats */
    cl_mem q;
    cl_uint q_off, ldq; /* Q[kk][j] at q_off + kk * ldq + j */
    cl_mem d;
    cl_uint d_off, d_rs, d_cs; /* D[i][j] at d_off + i * d_rs + j * d_cs */
    cl_uint m, n, k;           /* D is [m][n], the inner dimension is k */
    float alpha, beta;
};

/* A stored operand: rows x cols floats at off with row stride ld. */
struct operand {
    char name;
    cl_mem buf;
    size_t off, rows, cols, ld;
};

const char *scl_gemm_engine_name(enum scl_gemm_engine engine)
{
    switch (engine) {
    case SCL_GEMM_AUTO:
        return "auto";
    case SCL_GEMM_CLBLAST:
        return "clblast";
    case SCL_GEMM_NATIVE:
        return "native";
    }
    return "unknown";
}

enum scl_gemm_engine scl_gemm_resolve(const scl_ctx *ctx, enum scl_gemm_engine engine)
{
    if (engine != SCL_GEMM_AUTO)
        return engine;
    return scl_ctx_is_cpu(ctx) ? SCL_GEMM_NATIVE : SCL_GEMM_CLBLAST;
}

/* ---- argument checks */

static scl_status check_operand(scl_ctx *ctx, const struct operand *o)
{
    size_t bytes = 0;
    if (o->rows == 0 || o->cols == 0)
        return SCL_OK; /* an empty operand is never read */
    if (!o->buf)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "gemm: %c is NULL", o->name);
    if (o->ld < o->cols)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "gemm: ld%c = %zu is less than its %zu columns",
                            o->name, o->ld, o->cols);
    size_t need = o->off + (o->rows - 1) * o->ld + o->cols;
    if (!SCL_CL_OK(ctx, clGetMemObjectInfo(o->buf, CL_MEM_SIZE, sizeof(bytes), &bytes, NULL)))
        return SCL_ERR_ARG;
    if (need > bytes / sizeof(float) || need > UINT32_MAX || o->ld > UINT32_MAX)
        return scl_ctx_fail(ctx, SCL_ERR_ARG,
                            "gemm: %c ([%zu][%zu], ld %zu, offset %zu) needs %zu floats; its "
                            "buffer holds %zu",
                            o->name, o->rows, o->cols, o->ld, o->off, need, bytes / sizeof(float));
    return SCL_OK;
}

/* The three operands as stored: A is [k][m] when transposed, B is [n][k]. */
static void stored_operands(const struct scl_gemm_args *g, struct operand o[3])
{
    o[0] = (struct operand){
        'a', g->a, g->a_off, g->trans_a ? g->k : g->m, g->trans_a ? g->m : g->k, g->lda};
    o[1] = (struct operand){
        'b', g->b, g->b_off, g->trans_b ? g->n : g->k, g->trans_b ? g->k : g->n, g->ldb};
    o[2] = (struct operand){'c', g->c, g->c_off, g->m, g->n, g->ldc};
}

static scl_status check_args(scl_ctx *ctx, const struct scl_gemm_args *g)
{
    struct operand o[3];
    stored_operands(g, o);
    for (int i = 0; i < 3; i++) {
        scl_status st = check_operand(ctx, &o[i]);
        if (st != SCL_OK)
            return st;
    }
    return SCL_OK;
}

/* ---- the native engine */

static cl_uint u32(size_t v)
{
    return (cl_uint)v; /* check_args bounded every index by UINT32_MAX */
}

static size_t ceil_div(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

/* Get the kernel `name`, set its n arguments and enqueue it over `global` (local as given). */
static scl_status launch(scl_ctx *ctx, const char *name, const size_t *sizes,
                         const void *const *vals, cl_uint n, const size_t global[2],
                         const size_t *local)
{
    cl_kernel k;
    scl_status st = scl_kernel_get(ctx, name, &k);
    for (cl_uint i = 0; st == SCL_OK && i < n; i++)
        if (!SCL_CL_OK(ctx, clSetKernelArg(k, i, sizes[i], vals[i])))
            st = SCL_ERR_OPENCL;
    return st == SCL_OK ? scl_kernel_run(ctx, k, 2, global, local) : st;
}

/*
 * The tile kernel's vector width W (the tile is MR x 2W): 16 where the device's native float
 * vectors are that wide (AVX-512), else 8 (AVX2); also 8 for narrow products (n <= 16, such as
 * the 10 classes of the output layer), which would leave most of a 32-column tile empty.
 */
static cl_uint tile_width(const scl_ctx *ctx, cl_uint n)
{
    return n <= 16 ? 8 : scl_gemm_vector_width(ctx);
}

/* A native kernel by its vector width W and the rows of the output each work-item computes. */
struct shaped_kernel {
    cl_uint width;
    size_t rows;
    const char *name;
};

/* The tile kernels (cl/gemm.cl, SCL_GEMM_TILE_KERNEL). */
static const struct shaped_kernel tile_kernels[] = {
    {8, SCL_GEMM_MR8, "scl_gemm_tile8_6"},
    {16, SCL_GEMM_MR16, "scl_gemm_tile16_8"},
    {16, SCL_GEMM_MR16_SHORT, "scl_gemm_tile16_6"},
};

/* The dot kernels (cl/gemm.cl, SCL_GEMM_DOT_KERNEL), one per width. */
static const struct shaped_kernel dot_kernels[] = {
    {8, SCL_GEMM_DOT_R8, "scl_gemm_dot8_2"},
    {16, SCL_GEMM_DOT_R16, "scl_gemm_dot16_4"},
};

/*
 * Relative cost of the k loop over m rows in tiles of `rows`: each tile's step is 2 rows FMAs,
 * rows broadcasts of P and two loads of Q, and the last tile computes its padding rows too. The
 * taller tile is cheaper per row (3.25 against 3.33 at 8 and 6 rows), so the shorter one wins
 * only where it pads much less: m = 10 is two tiles either way, 16 rows at 8 and 12 at 6.
 */
static size_t tile_cost(size_t m, size_t rows)
{
    return ceil_div(m, rows) * (3 * rows + 2);
}

/* The cheapest tile kernel of width w for m rows (the first of equal cost). */
static const struct shaped_kernel *tile_pick(cl_uint w, size_t m)
{
    const struct shaped_kernel *best = NULL;
    for (size_t i = 0; i < sizeof tile_kernels / sizeof tile_kernels[0]; i++) {
        const struct shaped_kernel *t = &tile_kernels[i];
        if (t->width == w && (!best || tile_cost(m, t->rows) < tile_cost(m, best->rows)))
            best = t;
    }
    return best;
}

cl_uint scl_gemm_vector_width(const scl_ctx *ctx)
{
    return ctx->vector_width >= 16 ? 16 : 8;
}

/* Argument sizes of scl_gemm_tile<W>_<MR> and scl_gemm_transpose, in the kernels' order. */
#define ARG_MEM sizeof(cl_mem)
#define ARG_U32 sizeof(cl_uint)
static const size_t tile_arg_sizes[16] = {
    ARG_MEM, ARG_U32, ARG_U32, ARG_U32, ARG_MEM, ARG_U32, ARG_U32,       ARG_MEM,
    ARG_U32, ARG_U32, ARG_U32, ARG_U32, ARG_U32, ARG_U32, sizeof(float), sizeof(float)};
static const size_t transpose_arg_sizes[8] = {ARG_MEM, ARG_U32, ARG_U32, ARG_MEM,
                                              ARG_U32, ARG_U32, ARG_U32, ARG_U32};

static scl_status enqueue_tiles(scl_ctx *ctx, const struct view *v)
{
    const cl_uint w = tile_width(ctx, v->n);
    const void *const vals[16] = {&v->p,   &v->p_off, &v->p_rs,  &v->p_ks, &v->q,    &v->q_off,
                                  &v->ldq, &v->d,     &v->d_off, &v->d_rs, &v->d_cs, &v->m,
                                  &v->n,   &v->k,     &v->alpha, &v->beta};
    const struct shaped_kernel *t = tile_pick(w, v->m);
    const size_t global[2] = {ceil_div(v->m, t->rows), ceil_div(v->n, 2 * (size_t)w)};
    const size_t local[2] = {1, 1};
    return launch(ctx, t->name, tile_arg_sizes, vals, 16, global, local);
}

/* Argument sizes of scl_gemm_dot<W>_<R>, in the kernel's order. */
static const size_t dot_arg_sizes[14] = {ARG_MEM, ARG_U32, ARG_U32,       ARG_MEM,      ARG_U32,
                                         ARG_U32, ARG_MEM, ARG_U32,       ARG_U32,      ARG_U32,
                                         ARG_U32, ARG_U32, sizeof(float), sizeof(float)};

/* The dot kernel of width w (one per width). */
static const struct shaped_kernel *dot_pick(cl_uint w)
{
    for (size_t i = 0; i < sizeof dot_kernels / sizeof dot_kernels[0]; i++)
        if (dot_kernels[i].width == w)
            return &dot_kernels[i];
    return NULL;
}

/* A B^T with few rows of B, both read along their rows (cl/gemm.cl, scl_gemm_dot). */
static scl_status enqueue_dot(scl_ctx *ctx, const struct scl_gemm_args *g)
{
    const struct shaped_kernel *t = dot_pick(scl_gemm_vector_width(ctx));
    const cl_uint u[9] = {u32(g->a_off), u32(g->lda), u32(g->b_off), u32(g->ldb), u32(g->c_off),
                          u32(g->ldc),   u32(g->m),   u32(g->n),     u32(g->k)};
    const void *const vals[14] = {&g->a, &u[0], &u[1], &g->b, &u[2], &u[3],     &g->c,
                                  &u[4], &u[5], &u[6], &u[7], &u[8], &g->alpha, &g->beta};
    const size_t global[2] = {ceil_div(g->m, t->rows), ceil_div(g->n, SCL_GEMM_DOT_COLS)};
    const size_t local[2] = {1, 1};
    return launch(ctx, t->name, dot_arg_sizes, vals, 14, global, local);
}

/* The context's scratch buffer, grown to at least `bytes`. */
static scl_status scratch_reserve(scl_ctx *ctx, size_t bytes)
{
    if (ctx->gemm_scratch && ctx->gemm_scratch_bytes >= bytes)
        return SCL_OK;
    /* Commands already enqueued keep the old buffer alive until they finish (OpenCL 1.2 5.4.1). */
    scl_buf_release(&ctx->gemm_scratch);
    ctx->gemm_scratch_bytes = 0;
    scl_status st = scl_buf_create(ctx, bytes, NULL, &ctx->gemm_scratch);
    if (st == SCL_OK)
        ctx->gemm_scratch_bytes = bytes;
    return st;
}

/* Enqueue scratch[c][r] = o[r][c]: the stored operand transposed, with row stride o->rows. */
static scl_status transpose_to_scratch(scl_ctx *ctx, const struct operand *o)
{
    /* src_off, lds, dst_off, ldd = rows, cols */
    const cl_uint u[5] = {u32(o->off), u32(o->ld), 0, u32(o->rows), u32(o->cols)};
    const size_t global[2] = {ceil_div(o->cols, SCL_GEMM_BLOCK), ceil_div(o->rows, SCL_GEMM_BLOCK)};
    scl_status st = scratch_reserve(ctx, o->rows * o->cols * sizeof(float));
    if (st != SCL_OK)
        return st;
    const void *const vals[8] = {&o->buf, &u[0], &u[1], &ctx->gemm_scratch,
                                 &u[2],   &u[3], &u[3], &u[4]};
    return launch(ctx, "scl_gemm_transpose", transpose_arg_sizes, vals, 8, global, NULL);
}

/* D = C, P = op(A) (any strides), Q = B [k][n]. */
static struct view view_direct(const struct scl_gemm_args *g)
{
    return (struct view){.p = g->a,
                         .p_off = u32(g->a_off),
                         .p_rs = g->trans_a ? 1 : u32(g->lda),
                         .p_ks = g->trans_a ? u32(g->lda) : 1,
                         .q = g->b,
                         .q_off = u32(g->b_off),
                         .ldq = u32(g->ldb),
                         .d = g->c,
                         .d_off = u32(g->c_off),
                         .d_rs = u32(g->ldc),
                         .d_cs = 1,
                         .m = u32(g->m),
                         .n = u32(g->n),
                         .k = u32(g->k),
                         .alpha = g->alpha,
                         .beta = g->beta};
}

/* D = C^T = op(B)^T op(A)^T: P = B stored [n][k], Q = A stored [k][m]. */
static struct view view_swapped(const struct scl_gemm_args *g)
{
    return (struct view){.p = g->b,
                         .p_off = u32(g->b_off),
                         .p_rs = u32(g->ldb),
                         .p_ks = 1,
                         .q = g->a,
                         .q_off = u32(g->a_off),
                         .ldq = u32(g->lda),
                         .d = g->c,
                         .d_off = u32(g->c_off),
                         .d_rs = 1,
                         .d_cs = u32(g->ldc),
                         .m = u32(g->n),
                         .n = u32(g->m),
                         .k = u32(g->k),
                         .alpha = g->alpha,
                         .beta = g->beta};
}

/* A op(B) = A B^T: transpose the smaller operand into scratch, which then plays Q. */
static scl_status native_nt(scl_ctx *ctx, const struct scl_gemm_args *g)
{
    struct operand o[3];
    struct scl_gemm_args t = *g;
    stored_operands(g, o);
    bool swap = g->m <= g->n; /* A ([m][k]) is the smaller one */
    scl_status st = transpose_to_scratch(ctx, &o[swap ? 0 : 1]);
    if (st != SCL_OK)
        return st;
    if (swap) {
        t.a = ctx->gemm_scratch, t.a_off = 0, t.lda = g->m, t.trans_a = true;
    } else {
        t.b = ctx->gemm_scratch, t.b_off = 0, t.ldb = g->n, t.trans_b = false;
    }
    struct view v = swap ? view_swapped(&t) : view_direct(&t);
    return enqueue_tiles(ctx, &v);
}

static scl_status run_native(scl_ctx *ctx, const struct scl_gemm_args *g)
{
    struct view v;
    if (!g->trans_b || g->k == 0) /* with k = 0 neither operand is read */
        v = view_direct(g);
    else if (g->trans_a)
        v = view_swapped(g);
    else if (g->n <= SCL_GEMM_DOT_MAX_N)
        return enqueue_dot(ctx, g);
    else
        return native_nt(ctx, g);
    return enqueue_tiles(ctx, &v);
}

/* ---- the CLBlast engine */

/* CLBlast's own codes; the others are OpenCL's and named by scl_cl_errname. */
static const struct {
    int code;
    const char *name;
} clblast_codes[] = {
    {-1024, "CLBlastNotImplemented"},        {-1022, "CLBlastInvalidMatrixA"},
    {-1021, "CLBlastInvalidMatrixB"},        {-1020, "CLBlastInvalidMatrixC"},
    {-1017, "CLBlastInvalidDimension"},      {-1016, "CLBlastInvalidLeadDimA"},
    {-1015, "CLBlastInvalidLeadDimB"},       {-1014, "CLBlastInvalidLeadDimC"},
    {-1011, "CLBlastInsufficientMemoryA"},   {-1010, "CLBlastInsufficientMemoryB"},
    {-1009, "CLBlastInsufficientMemoryC"},   {-2050, "CLBlastInsufficientMemoryTemp"},
    {-2046, "CLBlastInvalidLocalMemUsage"},  {-2041, "CLBlastDatabaseError"},
    {-2040, "CLBlastUnknownError"},          {-2039, "CLBlastUnexpectedError"},
    {-2048, "CLBlastInvalidOverrideKernel"}, {-2047, "CLBlastMissingOverrideParameter"},
    {-2045, "CLBlastNoHalfPrecision"},       {-2044, "CLBlastNoDoublePrecision"},
};

static const char *clblast_code_name(CLBlastStatusCode s)
{
    for (size_t i = 0; i < sizeof(clblast_codes) / sizeof(clblast_codes[0]); i++)
        if (clblast_codes[i].code == (int)s)
            return clblast_codes[i].name;
    return scl_cl_errname((cl_int)s);
}

static CLBlastTranspose clblast_trans(bool t)
{
    return t ? CLBlastTransposeYes : CLBlastTransposeNo;
}

static scl_status run_clblast(scl_ctx *ctx, const struct scl_gemm_args *g)
{
    cl_event *ev = scl_prof_event(ctx, "CLBlastSgemm");
    CLBlastStatusCode s =
        CLBlastSgemm(CLBlastLayoutRowMajor, clblast_trans(g->trans_a), clblast_trans(g->trans_b),
                     g->m, g->n, g->k, g->alpha, g->a, g->a_off, g->lda, g->b, g->b_off, g->ldb,
                     g->beta, g->c, g->c_off, g->ldc, &ctx->queue, ev);
    if (s == CLBlastSuccess)
        scl_prof_enqueued(ctx, ev);
    if (s != CLBlastSuccess)
        return scl_ctx_fail(ctx, SCL_ERR_OPENCL, "CLBlastSgemm(m=%zu, n=%zu, k=%zu) -> %s (%d)",
                            g->m, g->n, g->k, clblast_code_name(s), (int)s);
    return SCL_OK;
}

/* Profile label of a product: its transposes and m x n x k, e.g. "TN 1200x784x64". */
static void profile_label(scl_ctx *ctx, const struct scl_gemm_args *g)
{
    char label[3 * 24 + 8]; /* room for any sizes; scl_prof_label keeps what fits */
    snprintf(label, sizeof label, "%c%c %zux%zux%zu", g->trans_a ? 'T' : 'N',
             g->trans_b ? 'T' : 'N', g->m, g->n, g->k);
    scl_prof_label(ctx, label);
}

scl_status scl_gemm(scl_ctx *ctx, enum scl_gemm_engine engine, const struct scl_gemm_args *g)
{
    scl_status st = check_args(ctx, g);
    if (st != SCL_OK || g->m == 0 || g->n == 0)
        return st;
    if (ctx->profile)
        profile_label(ctx, g);
    /* CLBlast rejects k = 0; the native kernel does C = beta C for it. */
    if (scl_gemm_resolve(ctx, engine) == SCL_GEMM_CLBLAST && g->k > 0)
        st = run_clblast(ctx, g);
    else
        st = run_native(ctx, g);
    if (ctx->profile)
        scl_prof_label(ctx, NULL);
    return st;
}
