/*
 * Sleep phase kernels (ALGORITHM.md sections 3-4); host/sleep.c drives them, and
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

/* Worker index and count: items go round-robin over the groups, so that a layer of a few
 * dozen blocks is shared evenly by the groups (one per core on a CPU). */
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

/* Input spikes of step t into f0 (padded): u < p_i with u from the pixel's Philox word 0;
 * in window mode only pixels inside the step's 11x11 window, whose corner comes from the
 * SCL_RNG_WINDOW words as floor(word * 18 / 2^32). p_i = 0 draws nothing. run = (seed, purpose
 * of the input spikes, purpose of the window, window mode). */
void scl_sleep_input(__global uchar *f0, __global const float *prob, int n0, uint4 run, uint t)
{
    const int nb = (n0 + SCL_SLEEP_VEC - 1) / SCL_SLEEP_VEC;
    const uint4 corner = scl_rng4(run.x, run.z, 0u, t, 0u);
    const int r0 = (int)mul_hi(corner.x, 18u), c0 = (int)mul_hi(corner.y, 18u);
    for (int b = scl_sleep_worker(); b < nb; b += (int)get_global_size(0)) {
        for (int i = b * SCL_SLEEP_VEC; i < (b + 1) * SCL_SLEEP_VEC; i++) {
            uchar s = 0;
            int r = i / SCL_SLEEP_GRID - r0, c = i % SCL_SLEEP_GRID - c0;
            bool in = !run.w || (r >= 0 && r < SCL_SLEEP_WIN && c >= 0 && c < SCL_SLEEP_WIN);
            if (i < n0 && in && prob[i] > 0.0f)
                s = scl_u01(scl_rng4(run.x, run.y, (uint)i, t, 0u).x) < prob[i];
            f0[i] = s;
        }
    }
}

/* Input current of block b of a row-major W [n][ld]: each row sums its listed columns. */
float16 scl_sleep_current_rows(__global const float *w, int ld, int n, int b,
                               __global const uint *list, uint k_n)
{
    float acc[SCL_SLEEP_VEC];
    for (int q = 0; q < SCL_SLEEP_VEC; q++) {
        int i = b * SCL_SLEEP_VEC + q;
        float a = 0.0f;
        if (i < n) {
            __global const float *row = w + (size_t)i * (size_t)ld;
            for (uint k = 0; k < k_n; k++)
                a += row[list[k]];
        }
        acc[q] = a;
    }
    return vload16(0, acc);
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

/* Integrate layer l from the list of layer l-1, fire, reset; flags into fl (padded). */
void scl_sleep_integrate(__global const float *w, __global const int *lay,
                         __global const float *layf, int l, __global float *v, __global uchar *fl,
                         __global const uint *list, uint k_n, float decay)
{
    __global const int *d = lay + l * SCL_SLEEP_LAY;
    const int n = d[LAY_N], nb = (n + SCL_SLEEP_VEC - 1) / SCL_SLEEP_VEC;
    const float alpha = layf[2 * l], beta = layf[2 * l + 1];
    for (int b = scl_sleep_worker(); b < nb; b += (int)get_global_size(0)) {
        float16 cur = d[LAY_TRANS]
                          ? scl_sleep_current_cols(w + d[LAY_W], d[LAY_LD], b, list, k_n)
                          : scl_sleep_current_rows(w + d[LAY_W], d[LAY_LD], n, b, list, k_n);
        float16 x = vload16(b, v + d[LAY_V]);
        x = decay * x + alpha * cur;
        int16 spk = (x >= beta) & (scl_sleep_lanes() + b * SCL_SLEEP_VEC < n);
        vstore16(select(x, (float16)0.0f, spk), b, v + d[LAY_V]);
        vstore16(convert_uchar16(-spk), b, fl + d[LAY_FLAGS]);
    }
}

/* The Hebbian update of W_m (layer m-1 -> m) on the rows of the k_n listed units of layer m,
 * against the flags fp of layer m-1. Items are (row, block of SCL_SLEEP_VEC columns). */
void scl_sleep_stdp(__global float *w, __global const int *lay, int m, __global const uchar *fp,
                    __global const uint *list, uint k_n, float4 rate)
{
    const int n_pre = lay[(m - 1) * SCL_SLEEP_LAY + LAY_N];
    const int trans = lay[m * SCL_SLEEP_LAY + LAY_TRANS], ld = lay[m * SCL_SLEEP_LAY + LAY_LD];
    w += lay[m * SCL_SLEEP_LAY + LAY_W];
    const int nb = (n_pre + SCL_SLEEP_VEC - 1) / SCL_SLEEP_VEC, items = (int)k_n * nb;
    for (int e = scl_sleep_worker(); e < items; e += (int)get_global_size(0)) {
        const int k = e / nb, b = e - k * nb;
        const size_t i = list[k];
        const int16 valid = scl_sleep_lanes() + b * SCL_SLEEP_VEC < n_pre;
        const uchar16 pre = vload16(b, fp);
        if (!trans) {
            __global float *row = w + i * (size_t)ld;
            vstore16(scl_sleep_hebb(vload16(b, row), pre, valid, rate), b, row);
            continue;
        }
        float x[SCL_SLEEP_VEC];
        const int j0 = b * SCL_SLEEP_VEC, nq = min(SCL_SLEEP_VEC, n_pre - j0);
        for (int q = 0; q < nq; q++)
            x[q] = w[(size_t)(j0 + q) * (size_t)ld + i];
        vstore16(scl_sleep_hebb(vload16(0, x), pre, valid, rate), 0, x);
        for (int q = 0; q < nq; q++)
            w[(size_t)(j0 + q) * (size_t)ld + i] = x[q];
    }
}

/* Flags of step t start at this offset: one slot per step with a raster, else two (this
 * step and the last one, which the update of W_L still reads). geom = (L, T, slot units,
 * raster, list capacity per group). */
int scl_sleep_slot(int8 geom, int t)
{
    return (geom.s3 ? t : (t & 1)) * geom.s2;
}

/* Launch l of step t, as described at the top of this file. */
void scl_sleep_launch(__global uchar *flags, __global uint *list, __global int *counts,
                      __global float *v, __global const float *prob, __global const int *lay,
                      __global const float *layf, __global float *w, uint4 run, float4 rate,
                      int8 geom, int t, int l, __local uint *part, __local uint *total)
{
    const int L = geom.s0, T = geom.s1;
    const int c = l > 0 ? l - 1 : (t > 0 ? L : -1), tc = l > 0 ? t : t - 1;
    const int cl = max(c, 0);
    __global uchar *fc = flags + scl_sleep_slot(geom, max(tc, 0));
    /* unconditional (an empty range when c < 0): barriers stay out of conditional code */
    const uint k_n =
        scl_sleep_compact(fc + lay[cl * SCL_SLEEP_LAY + LAY_FLAGS],
                          c >= 0 ? lay[cl * SCL_SLEEP_LAY + LAY_N] : 0, list, part, total);
    if (c >= 0 && get_global_id(0) == 0)
        counts[tc * (L + 1) + c] = (int)k_n;
    if (l == 0 && t < T)
        scl_sleep_input(flags + scl_sleep_slot(geom, t), prob, lay[LAY_N], run, (uint)t);
    else if (l > 0)
        scl_sleep_integrate(w, lay, layf, l, v, fc, list, k_n, rate.x);
    if (c >= 1)
        scl_sleep_stdp(w, lay, c, fc + lay[(c - 1) * SCL_SLEEP_LAY + LAY_FLAGS], list, k_n, rate);
}

/*
 * Launches q0 .. q1-1 of a run (q = t (L + 1) + l; the run is q = 0 .. T (L + 1), the last one
 * only updating W_L), with a barrier between them, which orders everything when one
 * work-group runs the range; with several work-groups the host passes one launch at a time.
 * rate = (decay, inc, dec, 1 for f = ref else 0); span = (q0, q1).
 */
__kernel __attribute__((reqd_work_group_size(SCL_SLEEP_WG, 1, 1))) void
scl_sleep_steps(__global uchar *flags, __global uint *lists, __global int *counts,
                __global float *v, __global const float *prob, __global const int *lay,
                __global const float *layf, __global float *w, uint4 run, float4 rate, int8 geom,
                int2 span)
{
    __local uint part[SCL_SLEEP_WG];
    __local uint total;
    __global uint *list = lists + (size_t)get_group_id(0) * (size_t)geom.s4;
    for (int q = span.x; q < span.y; q++) {
        scl_sleep_launch(flags, list, counts, v, prob, lay, layf, w, run, rate, geom,
                         q / (geom.s0 + 1), q % (geom.s0 + 1), part, &total);
        barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    }
}
