/*
 * GEMM for CPU devices (PoCL): D = alpha * P Q + beta * D. host/gemm.c maps every transpose
 * combination of C = alpha op(A) op(B) + beta C onto this one form, either directly (D = C) or
 * swapped (D = C^T, computed as op(B)^T op(A)^T), and transposes an operand into scratch with
 * scl_gemm_transpose only when neither mapping gives a Q with contiguous rows. A B^T with few rows
 * of B (the output layer's forward pass) has its own kernel, scl_gemm_dot, further down.
 *
 * Why this shape: on a CPU one work-item per work-group is one thread running straight C. Each
 * work-item keeps an MR x 2W tile of D in 2 MR floatW accumulators, W being the device's native
 * vector width: scl_gemm_tile16_8 for AVX-512 with MR = 8 (16 FMAs per 10 loads, 19 of its 32
 * registers), scl_gemm_tile8_6 for AVX2 with MR = 6 (12 per 8, 15 of its 16), and
 * scl_gemm_tile16_6 for AVX-512 products with few rows, which 8-row tiles would pad more. Every
 * step of the k loop reads one contiguous 2W-float row of Q and MR scalars of P.
 *
 * Invariants: Q is row-major [k][n] with unit column stride; P and D take any row and column
 * strides. Rows of the tile past m are clamped when read and never stored. Columns past n are
 * never stored; they are read from the next row of Q while one follows; the last few steps of an
 * edge tile, where a whole vector would pass the end of Q, are added element by element after
 * the store (scl_gemm_tail_steps, scl_gemm_tail), so no read leaves the extent host/gemm.c checked.
 * beta == 0 never reads D, so NaN garbage in D is overwritten, as in BLAS.
 */

/* SCL_GEMM_MR<W> (rows of D per work-item) and SCL_GEMM_BLOCK (the transpose's block edge) come
 * from cl/scl_contract.h, which host/gemm.c sizes its launches by. */

/* d[c * cs] = alpha * v[c] (+ beta * d[c * cs]) for the first nv (<= 8) columns. */
void scl_gemm_store8(__global float *d, uint cs, uint nv, float8 v, float alpha, float beta)
{
    v *= alpha;
    if (cs == 1 && nv == 8) {
        if (beta != 0.0f)
            v += beta * vload8(0, d);
        vstore8(v, 0, d);
        return;
    }
    float t[8];
    vstore8(v, 0, t);
    for (uint c = 0; c < nv; c++)
        d[c * cs] = beta != 0.0f ? t[c] + beta * d[c * cs] : t[c];
}

/* Row of a tile with 16 columns, nv of which exist: D[0..nv) from (v0, v1). */
void scl_gemm_store_row8(__global float *d, uint cs, uint nv, float8 v0, float8 v1, float alpha,
                         float beta)
{
    scl_gemm_store8(d, cs, min(nv, 8u), v0, alpha, beta);
    if (nv > 8)
        scl_gemm_store8(d + 8 * cs, cs, nv - 8, v1, alpha, beta);
}

/* Row of a tile with 32 columns, nv of which exist. */
void scl_gemm_store_row16(__global float *d, uint cs, uint nv, float16 v0, float16 v1, float alpha,
                          float beta)
{
    scl_gemm_store_row8(d, cs, min(nv, 16u), v0.lo, v0.hi, alpha, beta);
    if (nv > 16)
        scl_gemm_store_row8(d + 16 * cs, cs, nv - 16, v1.lo, v1.hi, alpha, beta);
}

/* Row i of P clamped to the last row, so that the tile's spare rows read existing memory. */
const __global float *scl_gemm_prow(const __global float *p, uint p_off, uint p_rs, uint i, uint m)
{
    return p + p_off + min(i, m - 1) * p_rs;
}

/*
 * The tile's rows as X-macro lists, one per SCL_GEMM_MR<W> value: each row r has its row pointer
 * p<r> and named accumulators c<r>0, c<r>1. Named variables rather than an array: PoCL puts every
 * address space in one, so an accumulator array passed by pointer may alias the operands and is
 * stored to memory at every step.
 */
#define SCL_GEMM_ROWS6(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define SCL_GEMM_ROWS8(X) SCL_GEMM_ROWS6(X) X(6) X(7)
#define SCL_GEMM_ROWS(MR) SCL_GEMM_ROWS##MR
#define SCL_GEMM_DECL(r)                                                   \
    const __global float *p##r = scl_gemm_prow(p, p_off, p_rs, i0 + r, m); \
    scl_gemm_v c##r##0 = 0.0f, c##r##1 = 0.0f;
#define SCL_GEMM_ACC(r) {c##r##0, c##r##1},
/*
 * One step of the k loop for row r: c<r>0 += P[r][kk] * b0_ and c<r>1 += P[r][kk] * b1_ (b0_ and
 * b1_: the step's row of Q). fma() rather than mad() or a * b + c: PoCL 3.1 turns mad() into a
 * multiply and an add, and contracts a * b + c for float8 but not for float16 (half the speed
 * either way); every device this engine is meant for (x86 since 2013, ARMv8) has the fused
 * instruction.
 */
#define SCL_GEMM_FMA(r)                         \
    {                                           \
        scl_gemm_v a_ = (scl_gemm_v)(p##r[ka]); \
        c##r##0 = fma(a_, b0_, c##r##0);        \
        c##r##1 = fma(a_, b1_, c##r##1);        \
    }

/*
 * How many of the last k steps of a tile with nv of its `width` columns must go element by element
 * instead of loading whole vectors. A whole-vector load reads width - nv floats past the row's last
 * column: in every row but the last few that is the start of a later row of the same operand, so it
 * exists, and those lanes of the accumulators are never stored.
 */
uint scl_gemm_tail_steps(uint nv, uint width, uint ldq, uint k)
{
    uint over = width - nv;
    return over == 0 || k == 0 ? 0 : min(k, 1 + (over - 1) / ldq); /* ldq >= 1 when k > 0 */
}

/*
 * The last steps kk in [k0, k) of a tile whose whole-vector loads would read past its operand:
 * added to D after the vector part is stored, element by element. Apart from the main loop, so that
 * the accumulators are dead here and the loop above keeps every one of them in a register (a
 * gathering loop that shared them made PoCL's allocator spill two accumulators on AVX2 and halved
 * the kernel's speed).
 */
void scl_gemm_tail(const __global float *p, uint p_rs, uint p_ks, const __global float *q, uint ldq,
                   __global float *d, uint d_rs, uint d_cs, uint rows, uint nv, uint k0, uint k,
                   float alpha)
{
    for (uint r = 0; r < rows; r++)
        for (uint c = 0; c < nv; c++) {
            float t = 0.0f;
            for (uint kk = k0; kk < k; kk++)
                t = fma(p[r * p_rs + kk * p_ks], q[kk * ldq + c], t);
            d[r * d_rs + c * d_cs] += alpha * t;
        }
}

/*
 * scl_gemm_tile<W>_<MR>, one body for every vector width W and row count MR:
 * D[i][j] (at d + d_off + i * d_rs + j * d_cs) = alpha * sum_kk P[i][kk] Q[kk][j] + beta * D[i][j],
 * where P[i][kk] is at p + p_off + i * p_rs + kk * p_ks and Q[kk][j] at q + q_off + kk * ldq + j.
 * Global size (ceil(m / MR), ceil(n / 2W)) with local size (1, 1). The k loop loads whole vectors
 * while it can (every step of a full tile) and leaves the rest to scl_gemm_tail.
 */
#define SCL_GEMM_TILE_KERNEL(W, MR)                                                                \
    __kernel void scl_gemm_tile##W##_##MR(                                                         \
        const __global float *p, uint p_off, uint p_rs, uint p_ks, const __global float *q,        \
        uint q_off, uint ldq, __global float *d, uint d_off, uint d_rs, uint d_cs, uint m, uint n, \
        uint k, float alpha, float beta)                                                           \
    {                                                                                              \
        typedef float##W scl_gemm_v;                                                               \
        uint i0 = (uint)get_global_id(0) * MR, j0 = (uint)get_global_id(1) * 2 * W;                \
        uint nv = min(2u * W, n - j0), ka = 0, kk = 0;                                             \
        uint k_vec = k - scl_gemm_tail_steps(nv, 2 * W, ldq, k);                                   \
        SCL_GEMM_ROWS(MR)(SCL_GEMM_DECL) const __global float *qr = q + q_off + j0;                \
        for (; kk < k_vec; kk++, ka += p_ks, qr += ldq) {                                          \
            const scl_gemm_v b0_ = vload##W(0, qr), b1_ = vload##W(1, qr);                         \
            SCL_GEMM_ROWS(MR)(SCL_GEMM_FMA)                                                        \
        }                                                                                          \
        __global float *dr = d + d_off + i0 * d_rs + j0 * d_cs;                                    \
        const scl_gemm_v acc[MR][2] = {SCL_GEMM_ROWS(MR)(SCL_GEMM_ACC)};                           \
        uint rows = min((uint)MR, m - i0);                                                         \
        for (uint r = 0; r < rows; r++)                                                            \
            scl_gemm_store_row##W(dr + r * d_rs, d_cs, nv, acc[r][0], acc[r][1], alpha, beta);     \
        if (k_vec < k)                                                                             \
            scl_gemm_tail(p + p_off + i0 * p_rs, p_rs, p_ks, q + q_off + j0, ldq, dr, d_rs, d_cs,  \
                          rows, nv, k_vec, k, alpha);                                              \
    }

/* The literal row counts (SCL_GEMM_ROWS pastes them) match the contract's, checked here. */
#if SCL_GEMM_MR8 != 6 || SCL_GEMM_MR16 != 8 || SCL_GEMM_MR16_SHORT != 6
#error "SCL_GEMM_MR* changed: give SCL_GEMM_TILE_KERNEL the new counts and their row lists"
#endif
SCL_GEMM_TILE_KERNEL(8, 6)
SCL_GEMM_TILE_KERNEL(16, 8)
SCL_GEMM_TILE_KERNEL(16, 6)

/*
 * scl_gemm_dot<W>_<R>, for A B^T where B has few rows (n <= SCL_GEMM_DOT_MAX_N, such as the
 * output layer's 10 x 1200 weights): D[i][j] = alpha * sum_kk A[i][kk] B[j][kk] + beta * D[i][j],
 * A[i][kk] at a + a_off + i * lda + kk, B[j][kk] at b + b_off + j * ldb + kk. Both operands are
 * read along their contiguous rows, so the product needs no transpose into scratch (a launch of
 * its own) and no 2W-column tile padded from n = 10 to 16. A work-item keeps R rows of A against
 * SCL_GEMM_DOT_COLS rows of B in vector accumulators over k, summed across lanes at the end; the
 * last k % W steps go element by element, so no load passes a row's end. Rows and columns past m
 * and n are clamped when read and never stored. Global size (ceil(m / R), ceil(n / COLS)), local
 * size (1, 1).
 */
#define SCL_GEMM_DOT_ROWS2(X) X(0) X(1)
#define SCL_GEMM_DOT_ROWS4(X) SCL_GEMM_DOT_ROWS2(X) X(2) X(3)
#define SCL_GEMM_DOT_ROWS(R)  SCL_GEMM_DOT_ROWS##R
#define SCL_GEMM_DOT_DECL(r)                                           \
    const __global float *a##r = a + a_off + min(i0 + r, m - 1) * lda; \
    scl_gemm_v s##r##0 = 0.0f, s##r##1 = 0.0f, s##r##2 = 0.0f, s##r##3 = 0.0f;
#define SCL_GEMM_DOT_LOAD8(r)  const float8 x##r = vload8(0, a##r + kk);
#define SCL_GEMM_DOT_LOAD16(r) const float16 x##r = vload16(0, a##r + kk);
#define SCL_GEMM_DOT_FMA0(r)   s##r##0 = fma(x##r, y_, s##r##0);
#define SCL_GEMM_DOT_FMA1(r)   s##r##1 = fma(x##r, y_, s##r##1);
#define SCL_GEMM_DOT_FMA2(r)   s##r##2 = fma(x##r, y_, s##r##2);
#define SCL_GEMM_DOT_FMA3(r)   s##r##3 = fma(x##r, y_, s##r##3);
/* Column c of the step: one vector of B's row c against the R vectors of A loaded. */
#define SCL_GEMM_DOT_COL(W, R, c) \
    y_ = vload##W(0, b##c + kk);  \
    SCL_GEMM_DOT_ROWS(R)(SCL_GEMM_DOT_FMA##c)
#define SCL_GEMM_DOT_ACC(r) {s##r##0, s##r##1, s##r##2, s##r##3},

float scl_gemm_hsum8(float8 v)
{
    float4 t = v.lo + v.hi;
    float2 u = t.lo + t.hi;
    return u.x + u.y;
}

float scl_gemm_hsum16(float16 v)
{
    return scl_gemm_hsum8(v.lo + v.hi);
}

/* One dot product's end: the scalar steps kk in [k0, k) added to the lane sum, then the store. */
void scl_gemm_dot_store(__global float *d, float sum, const __global float *ar,
                        const __global float *br, uint k0, uint k, float alpha, float beta)
{
    for (uint kk = k0; kk < k; kk++)
        sum = fma(ar[kk], br[kk], sum);
    *d = beta != 0.0f ? alpha * sum + beta * *d : alpha * sum;
}

#define SCL_GEMM_DOT_KERNEL(W, R)                                                                  \
    __kernel void scl_gemm_dot##W##_##R(const __global float *a, uint a_off, uint lda,             \
                                        const __global float *b, uint b_off, uint ldb,             \
                                        __global float *d, uint d_off, uint ldd, uint m, uint n,   \
                                        uint k, float alpha, float beta)                           \
    {                                                                                              \
        typedef float##W scl_gemm_v;                                                               \
        uint i0 = (uint)get_global_id(0) * R, j0 = (uint)get_global_id(1) * SCL_GEMM_DOT_COLS;     \
        const __global float *b0 = b + b_off + min(j0, n - 1) * ldb;                               \
        const __global float *b1 = b + b_off + min(j0 + 1, n - 1) * ldb;                           \
        const __global float *b2 = b + b_off + min(j0 + 2, n - 1) * ldb;                           \
        const __global float *b3 = b + b_off + min(j0 + 3, n - 1) * ldb;                           \
        SCL_GEMM_DOT_ROWS(R)(SCL_GEMM_DOT_DECL) uint kv = k - k % W, kk = 0;                       \
        for (; kk < kv; kk += W) {                                                                 \
            scl_gemm_v y_;                                                                         \
            SCL_GEMM_DOT_ROWS(R)                                                                   \
            (SCL_GEMM_DOT_LOAD##W) SCL_GEMM_DOT_COL(W, R, 0) SCL_GEMM_DOT_COL(W, R, 1)             \
                SCL_GEMM_DOT_COL(W, R, 2) SCL_GEMM_DOT_COL(W, R, 3)                                \
        }                                                                                          \
        const scl_gemm_v acc[R][SCL_GEMM_DOT_COLS] = {SCL_GEMM_DOT_ROWS(R)(SCL_GEMM_DOT_ACC)};     \
        const __global float *br[SCL_GEMM_DOT_COLS] = {b0, b1, b2, b3};                            \
        for (uint r = 0; r < R && i0 + r < m; r++)                                                 \
            for (uint c = 0; c < SCL_GEMM_DOT_COLS && j0 + c < n; c++)                             \
                scl_gemm_dot_store(d + d_off + (i0 + r) * ldd + j0 + c,                            \
                                   scl_gemm_hsum##W(acc[r][c]), a + a_off + (i0 + r) * lda, br[c], \
                                   kv, k, alpha, beta);                                            \
    }

#if SCL_GEMM_DOT_COLS != 4 || SCL_GEMM_DOT_R8 != 2 || SCL_GEMM_DOT_R16 != 4
#error "SCL_GEMM_DOT_* changed: give SCL_GEMM_DOT_KERNEL the new counts and their lists"
#endif
SCL_GEMM_DOT_KERNEL(8, 2)
SCL_GEMM_DOT_KERNEL(16, 4)

/*
 * dst[c][r] = src[r][c] for a rows x cols block of src (row stride lds) into dst (row stride ldd).
 * One work-item moves an 8x8 block (SCL_GEMM_BLOCK; its float8 moves are written for 8), so
 * that reads and writes both touch 8 contiguous floats. Global size (ceil(cols / 8),
 * ceil(rows / 8)).
 */
__kernel void scl_gemm_transpose(const __global float *src, uint src_off, uint lds,
                                 __global float *dst, uint dst_off, uint ldd, uint rows, uint cols)
{
    uint c0 = (uint)get_global_id(0) * SCL_GEMM_BLOCK, r0 = (uint)get_global_id(1) * SCL_GEMM_BLOCK;
    const __global float *s = src + src_off + r0 * lds + c0;
    __global float *t = dst + dst_off + c0 * ldd + r0;
    if (r0 + SCL_GEMM_BLOCK <= rows && c0 + SCL_GEMM_BLOCK <= cols) {
        float8 v[8];
#pragma unroll
        for (int i = 0; i < 8; i++)
            v[i] = vload8(0, s + i * lds);
        vstore8((float8)(v[0].s0, v[1].s0, v[2].s0, v[3].s0, v[4].s0, v[5].s0, v[6].s0, v[7].s0), 0,
                t);
        vstore8((float8)(v[0].s1, v[1].s1, v[2].s1, v[3].s1, v[4].s1, v[5].s1, v[6].s1, v[7].s1), 0,
                t + ldd);
        vstore8((float8)(v[0].s2, v[1].s2, v[2].s2, v[3].s2, v[4].s2, v[5].s2, v[6].s2, v[7].s2), 0,
                t + 2 * ldd);
        vstore8((float8)(v[0].s3, v[1].s3, v[2].s3, v[3].s3, v[4].s3, v[5].s3, v[6].s3, v[7].s3), 0,
                t + 3 * ldd);
        vstore8((float8)(v[0].s4, v[1].s4, v[2].s4, v[3].s4, v[4].s4, v[5].s4, v[6].s4, v[7].s4), 0,
                t + 4 * ldd);
        vstore8((float8)(v[0].s5, v[1].s5, v[2].s5, v[3].s5, v[4].s5, v[5].s5, v[6].s5, v[7].s5), 0,
                t + 5 * ldd);
        vstore8((float8)(v[0].s6, v[1].s6, v[2].s6, v[3].s6, v[4].s6, v[5].s6, v[6].s6, v[7].s6), 0,
                t + 6 * ldd);
        vstore8((float8)(v[0].s7, v[1].s7, v[2].s7, v[3].s7, v[4].s7, v[5].s7, v[6].s7, v[7].s7), 0,
                t + 7 * ldd);
        return;
    }
    for (uint i = 0; i < SCL_GEMM_BLOCK && r0 + i < rows; i++)
        for (uint j = 0; j < SCL_GEMM_BLOCK && c0 + j < cols; j++)
            t[j * ldd + i] = s[i * lds + j];
}
