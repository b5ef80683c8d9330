/*
 * Sleep phase kernels (docs/METHOD.md sections 3-4); host/sleep.c drives them, and
 * host/ref/ref_sleep.c is the plain C twin that gives the same bits.
 *
 * Spikes are sparse, so a step is built around lists of the units that spiked. A step of an
 * L-layer net is L + 1 "launches" q = t (L + 1) + l, each doing what depends on one layer c's
 * spike list (c = l - 1, or c = L of the previous step for l = 0):
 *   - compact layer c's 0/1 flags into an ascending list (every work-group for itself: at most
 *     a few thousand flags, cheaper than a global scan and its extra launch);
 *   - task A: for l = 0 draw the input spikes of step t; for l >= 1 integrate layer l:
 *     v = decay v + alpha * (sum over the list, ascending, of W_l[i][j]), spike iff v >= beta,
 *     reset the spiking units;
 *   - task B: the Hebbian update of W_c on the rows of the listed (spiking) units of layer c,
 *     against the 0/1 flags of layer c - 1 (W_c is not read again in this step).
 * The one kernel, scl_sleep_steps, runs a range [q0, q1) of launches with a barrier between
 * them. On a GPU the host runs one launch per call over many work-groups; on a CPU one
 * work-group runs a whole chunk of steps per call, so that no step pays for a launch or for
 * waking threads (PoCL: about 5 us per launch and a stall whenever a core is busy).
 *
 * A work-item handles a block of SCL_SLEEP_VEC consecutive units or weights as one vector.
 * Layer sizes are padded to the block on the device (pad flags are 0, pad weights never move).
 * W_l is stored row-major [n_l][ld] or transposed [n_{l-1}][ld]: the transposed form makes
 * the integration of a densely spiking pre layer (the input) a few contiguous rows, the
 * row-major form makes the update of a sparsely spiking post layer a few contiguous rows.
 * Items are dealt to work-items round-robin over the work-groups, so groups stay balanced.
 * Barriers are never inside conditional code (PoCL 3.1 miscompiles that).
 *
 * Bit-exactness: FP_CONTRACT OFF, sums in ascending pre index from 0, f(w) with +, -, * and
 * exact power-of-two scaling only (see ref_sleep.c for the formulation).
 */
#pragma OPENCL FP_CONTRACT OFF

#define SCL_SLEEP_VEC 16 /* units per work-item block; host/sleep.c pads to it */
#define SCL_SLEEP_WG  64 /* work-group size (host/sleep.c launches with it) */

/* The layer table: SCL_SLEEP_LAY ints per layer 0..L (host/sleep.c fills it). */
#define SCL_SLEEP_LAY 8
#define LAY_N         0 /* units */
#define LAY_FLAGS     1 /* offset of the layer's flags inside a step slot */
#define LAY_V         2 /* offset of the layer's potentials in v */
#define LAY_TRANS     3 /* W_l stored transposed */
#define LAY_LD        4 /* leading dimension of W_l as stored */
#define LAY_W         5 /* offset of W_l in the weight buffer (floats) */

#define SCL_SLEEP_EXP_CUT 80.0f
#define SCL_SLEEP_GRID    28
#define SCL_SLEEP_WIN     11

/* What the parts of a launch share: the kernel's buffers and the run's constants. */
struct scl_sleep_run {
    __global uchar *flags;      /* [slots][slot units] 0/1 spikes, layers padded to blocks */
    __global uint *list;        /* this work-group's spike list, [list capacity] */
    __global int *counts;       /* [T][L+1] spikes per step and layer */
    __global float *v;          /* membrane potentials of layers 1..L, padded */
    __global const float *prob; /* [n_0 padded] input spike probability per step */
    __global const int *lay;    /* [L+1][SCL_SLEEP_LAY] layer table */
    __global const float *layf; /* [L+1][2] alpha, beta of each layer */
    __global float *w;          /* all W_l, each at its LAY_W offset */
    uint4 run;                  /* seed, purpose of input spikes, purpose of window, window */
    float4 rate;                /* decay, inc, dec, 1 for f = ref else 0 */
    int8 geom;                  /* L, T, slot units, raster, list capacity per group */
    int2 part;                  /* this work-item's first item and the stride between items */
};

/* exp(-a) for 0 <= a <= SCL_SLEEP_EXP_CUT; the same operations as ref_sleep.c exp_neg. */
float16 scl_sleep_exp_neg(float16 a)
{
    int16 k = convert_int16(a * 1.44269504f + 0.5f);
    float16 kf = convert_float16(k);
    float16 r = (kf * 0.693359375f - a) + kf * -2.12194440e-4f;
    float16 q = 1.9875691500e-4f;
    q = q * r + 1.3981999507e-3f;
    q = q * r + 8.3334519073e-3f;
    q = q * r + 4.1665795894e-2f;
    q = q * r + 1.6666665459e-1f;
    q = q * r + 5.0000001201e-1f;
    float16 e = q * (r * r) + r + 1.0f;
    return e * as_float16((127 - k) << 23);
}

/* 1/d for 1 <= d <= 2 by Newton steps (ref_sleep.c recip_1_2). */
float16 scl_sleep_recip(float16 d)
{
    float16 r = 1.41176471f - 0.470588235f * d;
    r = r + r * (1.0f - d * r);
    r = r + r * (1.0f - d * r);
    r = r + r * (1.0f - d * r);
    return r;
}

/* f(w) = 2 / (1 + exp(w / 0.001)) without overflow (ref_sleep.c mod_ref). */
float16 scl_sleep_mod_ref(float16 w)
{
    float16 a = fabs(w) * 1000.0f;
    int16 cut = a >= SCL_SLEEP_EXP_CUT;
    float16 e = scl_sleep_exp_neg(select(a, (float16)SCL_SLEEP_EXP_CUT, cut));
    e = select(e, (float16)0.0f, cut);
    float16 num = select((float16)2.0f, 2.0f * e, w > 0.0f);
    return num * scl_sleep_recip(1.0f + e);
}

/* The Hebbian update of one block of weights x of a spiking post unit: + inc f(x) where the
 * pre unit spiked, - dec f(x) where it did not; lanes outside the layer keep their value. */
float16 scl_sleep_hebb(float16 x, uchar16 pre, int16 valid, float4 rate)
{
    float16 f = rate.w != 0.0f ? scl_sleep_mod_ref(x) : (float16)1.0f;
    float16 up = x + rate.y * f;
    float16 dn = x - rate.z * f;
    return select(x, select(dn, up, convert_int16(pre) != 0), valid);
}

int16 scl_sleep_lanes(void)
{
    return (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

/* This work-item's first item; items go round-robin over the work-groups (stride: the global
 * size), so that a layer of a few dozen blocks is shared evenly by the groups. */
int scl_sleep_worker(void)
{
    return (int)(get_local_id(0) * get_num_groups(0) + get_group_id(0));
}

/* Indices of the nonzero flags f[0..n) into list, ascending; returns how many (same value in
 * every work-item). Each work-item counts a segment, one prefix sum over the group places it. */
uint scl_sleep_compact(__global const uchar *f, int n, __global uint *list, __local uint *part,
                       __local uint *total)
{
    const int lid = (int)get_local_id(0);
    const int seg = ((n + SCL_SLEEP_WG - 1) / SCL_SLEEP_WG + 15) & ~15;
    const int lo = min(n, lid * seg), hi = min(n, lo + seg);
    uint cnt = 0;
    for (int j = lo; j < hi; j++)
        cnt += f[j];
    part[lid] = cnt;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == 0) {
        uint s = 0;
        for (int i = 0; i < SCL_SLEEP_WG; i++) {
            uint x = part[i];
            part[i] = s;
            s += x;
        }
        *total = s;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    uint o = part[lid];
    for (int j = lo; j < hi; j++)
        if (f[j])
            list[o++] = (uint)j;
    barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    return *total;
}

/* Word 0 of Philox4x32-10 at counters {c0 (16 lanes), c1, c2, 0} under key {k0, k1}: the
 * rounds of Random123's philox4x32_R (rng.cl scl_rng4) on 16 counters at once, because the
 * scalar generator was a third of a step on a CPU. The raster tests pin it to the host. */
uint16 scl_sleep_philox16(uint16 c0, uint c1, uint c2, uint k0, uint k1)
{
    uint16 x0 = c0, x1 = (uint16)c1, x2 = (uint16)c2, x3 = (uint16)0u;
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        const uint16 hi0 = mul_hi((uint16)0xD2511F53u, x0), lo0 = (uint16)0xD2511F53u * x0;
        const uint16 hi1 = mul_hi((uint16)0xCD9E8D57u, x2), lo1 = (uint16)0xCD9E8D57u * x2;
        x0 = hi1 ^ x1 ^ k0;
        x1 = lo1;
        x2 = hi0 ^ x3 ^ k1;
        x3 = lo0;
    }
    return x0;
}

/* Input spikes of step t (16 pixels per block, pads 0): u < p_i with u from the pixel's
 * Philox word 0 (scl_u01's mapping); in window mode p_i counts only inside the step's 11x11
 * window, whose corner comes from the SCL_RNG_WINDOW words as floor(word * 18 / 2^32). */
void scl_sleep_input(const struct scl_sleep_run *s, __global uchar *f0, uint t)
{
    const uint4 run = s->run;
    const int nb = (s->lay[LAY_N] + SCL_SLEEP_VEC - 1) / SCL_SLEEP_VEC;
    const uint4 corner = scl_rng4(run.x, run.z, 0u, t, 0u);
    const int r0 = (int)mul_hi(corner.x, 18u), c0 = (int)mul_hi(corner.y, 18u);
    for (int b = s->part.x; b < nb; b += s->part.y) {
        const int16 i = scl_sleep_lanes() + b * SCL_SLEEP_VEC;
        const int16 r = i / SCL_SLEEP_GRID - r0, c = i % SCL_SLEEP_GRID - c0;
        const int16 in = (r >= 0) & (r < SCL_SLEEP_WIN) & (c >= 0) & (c < SCL_SLEEP_WIN);
        const float16 p = select((float16)0.0f, vload16(b, s->prob), in | (int16)(run.w ? 0 : -1));
        const uint16 word = scl_sleep_philox16(as_uint16(i), t, 0u, run.x, run.y);
        const float16 u = convert_float16(word >> 8) * (1.0f / 16777216.0f);
        vstore16(convert_uchar16(-(u < p)), b, f0);
    }
}

/* Input current of block b of a row-major W [n][ld]: each row sums its listed columns, 16
 * rows side by side in the lanes (rows past n repeat the last row and are ignored). */
float16 scl_sleep_current_rows(__global const float *w, int ld, int n, int b,
                               __global const uint *list, uint k_n)
{
    const int16 row = min(scl_sleep_lanes() + b * SCL_SLEEP_VEC, (int16)(n - 1)) * ld;
    float16 acc = 0.0f;
    for (uint k = 0; k < k_n; k++) {
        __global const float *col = w + list[k];
        acc +=
            (float16)(col[row.s0], col[row.s1], col[row.s2], col[row.s3], col[row.s4], col[row.s5],
                      col[row.s6], col[row.s7], col[row.s8], col[row.s9], col[row.sa], col[row.sb],
                      col[row.sc], col[row.sd], col[row.se], col[row.sf]);
    }
    return acc;
}

/* Input current of block b of a transposed W [n_pre][ld]: listed rows, added in order. */
float16 scl_sleep_current_cols(__global const float *w, int ld, int b, __global const uint *list,
                               uint k_n)
{
    float16 acc = 0.0f;
    for (uint k = 0; k < k_n; k++)
        acc += vload16(b, w + (size_t)list[k] * (size_t)ld);
    return acc;
}

/* Integrate layer l from the k_n listed spikes of layer l-1, fire, reset; flags of layer l
 * go to the step slot fl. */
void scl_sleep_integrate(const struct scl_sleep_run *s, int l, __global uchar *fl, uint k_n)
{
    __global const int *d = s->lay + l * SCL_SLEEP_LAY;
    __global const float *w = s->w + d[LAY_W];
    __global float *v = s->v + d[LAY_V];
    const int n = d[LAY_N], nb = (n + SCL_SLEEP_VEC - 1) / SCL_SLEEP_VEC;
    const float alpha = s->layf[2 * l], beta = s->layf[2 * l + 1];
    for (int b = s->part.x; b < nb; b += s->part.y) {
        float16 cur = d[LAY_TRANS] ? scl_sleep_current_cols(w, d[LAY_LD], b, s->list, k_n)
                                   : scl_sleep_current_rows(w, d[LAY_LD], n, b, s->list, k_n);
        float16 x = s->rate.x * vload16(b, v) + alpha * cur;
        int16 spk = (x >= beta) & (scl_sleep_lanes() + b * SCL_SLEEP_VEC < n);
        vstore16(select(x, (float16)0.0f, spk), b, v);
        vstore16(convert_uchar16(-spk), b, fl + d[LAY_FLAGS]);
    }
}

/* The update of the block of 16 weights w[0], w[ld], ... (a column block of a transposed W)
 * of one post unit, nq of them inside the layer. */
void scl_sleep_hebb_strided(__global float *w, size_t ld, int nq, uchar16 pre, int16 valid,
                            float4 rate)
{
    float x[SCL_SLEEP_VEC];
    for (int q = 0; q < SCL_SLEEP_VEC; q++)
        x[q] = q < nq ? w[(size_t)q * ld] : 0.0f;
    vstore16(scl_sleep_hebb(vload16(0, x), pre, valid, rate), 0, x);
    for (int q = 0; q < nq; q++)
        w[(size_t)q * ld] = x[q];
}

/* The Hebbian update of W_m (layer m-1 -> m) on the rows of the k_n listed units of layer m,
 * against the flags fp of layer m-1. Items are (row, block of SCL_SLEEP_VEC columns). */
void scl_sleep_stdp(const struct scl_sleep_run *s, int m, __global const uchar *fp, uint k_n)
{
    __global const int *d = s->lay + m * SCL_SLEEP_LAY, *d_pre = d - SCL_SLEEP_LAY;
    __global float *w = s->w + d[LAY_W];
    const int n_pre = d_pre[LAY_N], ld = d[LAY_LD];
    const int nb = (n_pre + SCL_SLEEP_VEC - 1) / SCL_SLEEP_VEC, items = (int)k_n * nb;
    for (int e = s->part.x; e < items; e += s->part.y) {
        const int k = e / nb, b = e - k * nb, j0 = b * SCL_SLEEP_VEC;
        const size_t i = s->list[k];
        const int16 valid = scl_sleep_lanes() + j0 < n_pre;
        const uchar16 pre = vload16(b, fp);
        if (d[LAY_TRANS]) {
            scl_sleep_hebb_strided(w + (size_t)j0 * (size_t)ld + i, (size_t)ld,
                                   min(SCL_SLEEP_VEC, n_pre - j0), pre, valid, s->rate);
        } else {
            __global float *row = w + i * (size_t)ld;
            vstore16(scl_sleep_hebb(vload16(b, row), pre, valid, s->rate), b, row);
        }
    }
}

/* Flags of step t start at this offset: one slot per step with a raster, else two (this
 * step and the last one, which the update of W_L still reads). */
int scl_sleep_slot(int8 geom, int t)
{
    return (geom.s3 ? t : (t & 1)) * geom.s2;
}

/* Launch l of step t, as described at the top of this file. */
void scl_sleep_launch(const struct scl_sleep_run *s, int t, int l, __local uint *part,
                      __local uint *total)
{
    const int L = s->geom.s0, T = s->geom.s1;
    const int c = l > 0 ? l - 1 : (t > 0 ? L : -1), tc = l > 0 ? t : t - 1;
    __global const int *dc = s->lay + max(c, 0) * SCL_SLEEP_LAY;
    __global uchar *fc = s->flags + scl_sleep_slot(s->geom, max(tc, 0));
    /* unconditional (an empty range when c < 0): barriers stay out of conditional code */
    const uint k_n =
        scl_sleep_compact(fc + dc[LAY_FLAGS], c >= 0 ? dc[LAY_N] : 0, s->list, part, total);
    if (c >= 0 && s->part.x == 0)
        s->counts[tc * (L + 1) + c] = (int)k_n;
    if (l == 0 && t < T)
        scl_sleep_input(s, s->flags + scl_sleep_slot(s->geom, t), (uint)t);
    else if (l > 0)
        scl_sleep_integrate(s, l, fc, k_n);
    if (c >= 1) /* against the flags of layer c - 1, the table entry before c's */
        scl_sleep_stdp(s, c, fc + dc[LAY_FLAGS - SCL_SLEEP_LAY], k_n);
}

/*
 * Launches q0 .. q1-1 of a run (q = t (L + 1) + l; the run is q = 0 .. T (L + 1), the last one
 * only updating W_L), with a barrier between them, which orders everything when one
 * work-group runs the range; with several work-groups the host passes one launch at a time.
 * The arguments fill struct scl_sleep_run (lists: one list per work-group); span = (q0, q1).
 */
__kernel __attribute__((reqd_work_group_size(SCL_SLEEP_WG, 1, 1))) void
scl_sleep_steps(__global uchar *flags, __global uint *lists, __global int *counts,
                __global float *v, __global const float *prob, __global const int *lay,
                __global const float *layf, __global float *w, uint4 run, float4 rate, int8 geom,
                int2 span)
{
    __local uint part[SCL_SLEEP_WG];
    __local uint total;
    const struct scl_sleep_run s = {flags,  lists + (size_t)get_group_id(0) * (size_t)geom.s4,
                                    counts, v,
                                    prob,   lay,
                                    layf,   w,
                                    run,    rate,
                                    geom,   (int2)(scl_sleep_worker(), (int)get_global_size(0))};
    for (int q = span.x; q < span.y; q++) {
        scl_sleep_launch(&s, q / (geom.s0 + 1), q % (geom.s0 + 1), part, &total);
        barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    }
}

/*
 * A batch of independent runs of the same layout, one work-group per run (group g runs run
 * batch.z + g): each run has its own weights, potentials, flags, lists, counts, input
 * probabilities, (alpha, beta) table, seed and rates, at a fixed stride per run. A call runs
 * launches [span.x, min(span.y, T_b (L + 1) + 1)) of each run b with barriers between them, so
 * that a run advances many steps per call: on a CPU a core keeps one run's state hot instead
 * of streaming all runs' weights every step; on a GPU the runs advance in lockstep across its
 * compute units. The launches are those of scl_sleep_steps with one group, so every run gives
 * the bits of a single sleep with the same parameters.
 * geom: L, (unused), slot units, raster, list capacity, w floats per run, v units per run,
 * prob units per run; batch: T_max, flag slots per run, first run, 0; runs[b] = seed, purpose
 * of input spikes, purpose of window, window, and runs_t[b] = T_b; rates[b] as `rate` above.
 */
__kernel __attribute__((reqd_work_group_size(SCL_SLEEP_WG, 1, 1))) void
scl_sleep_batch_steps(__global uchar *flags, __global uint *lists, __global int *counts,
                      __global float *v, __global const float *prob, __global const int *lay,
                      __global const float *layf, __global float *w, __global const uint4 *runs,
                      __global const float4 *rates, __global const int *runs_t, int8 geom,
                      int4 batch, int2 span)
{
    __local uint part[SCL_SLEEP_WG];
    __local uint total;
    const size_t b = (size_t)batch.z + get_group_id(0);
    const int L = geom.s0, T = runs_t[b];
    int8 g = geom;
    g.s1 = T;
    const struct scl_sleep_run s = {flags + b * (size_t)batch.y * (size_t)geom.s2,
                                    lists + b * (size_t)geom.s4,
                                    counts + b * (size_t)batch.x * (size_t)(L + 1),
                                    v + b * (size_t)geom.s6,
                                    prob + b * (size_t)geom.s7,
                                    lay,
                                    layf + b * (size_t)(2 * (L + 1)),
                                    w + b * (size_t)geom.s5,
                                    runs[b],
                                    rates[b],
                                    g,
                                    (int2)((int)get_local_id(0), SCL_SLEEP_WG)};
    const int end = min(span.y, T * (L + 1) + 1);
    for (int q = span.x; q < end; q++) {
        scl_sleep_launch(&s, q / (L + 1), q % (L + 1), part, &total);
        barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    }
}
