/*
 * Sleep phase kernels (ALGORITHM.md sections 3-4); host/sleep.c drives them, and
 * host/ref/ref_sleep.c is the plain C twin that gives the same bits.
 *
 * Spikes are sparse, so a step is built around lists of the units that spiked. One launch,
 * scl_sleep_phase, does everything that depends on one layer c's spike list, so a step of an
 * L-layer net costs L + 1 launches and no host round trip:
 *   - every work-group compacts layer c's 0/1 flags into an ascending list of its own (cheap:
 *     at most a few thousand flags), so no launch is spent on a global scan;
 *   - task A: draw the input spikes (c = L of the previous step, or none), or integrate layer
 *     c + 1: v = decay v + alpha * (sum over the list, ascending, of W_{c+1}[i][j]), spike iff
 *     v >= beta, reset the spiking units;
 *   - task B: the Hebbian update of W_c on the rows of the listed (spiking) units of layer c,
 *     against the 0/1 flags of layer c - 1.
 * A work-item handles a block of SCL_SLEEP_VEC consecutive units or weights as one vector.
 * Layer sizes are padded to the block on the device (pad flags are 0, pad weights never move).
 * W_l is stored row-major [n_l][ld] or transposed [n_{l-1}][ld]: the transposed form makes
 * the integration of a densely spiking pre layer (the input) a few contiguous rows, the
 * row-major form makes the update of a sparsely spiking post layer a few contiguous rows.
 * Items are dealt to work-items round-robin over the work-groups, so groups stay balanced.
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
 * only pixels inside the window (corner >= 0) in window mode; p_i = 0 draws nothing. */
void scl_sleep_input(__global uchar *f0, __global const float *prob, int n0, uint4 run, uint t,
                     int corner)
{
    const int nb = (n0 + SCL_SLEEP_VEC - 1) / SCL_SLEEP_VEC;
    const int r0 = corner >> 8, c0 = corner & 255;
    for (int b = scl_sleep_worker(); b < nb; b += (int)get_global_size(0)) {
        for (int i = b * SCL_SLEEP_VEC; i < (b + 1) * SCL_SLEEP_VEC; i++) {
            uchar s = 0;
            int r = i / SCL_SLEEP_GRID - r0, c = i % SCL_SLEEP_GRID - c0;
            bool in = corner < 0 || (r >= 0 && r < SCL_SLEEP_WIN && c >= 0 && c < SCL_SLEEP_WIN);
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
        float16 cur = d[LAY_TRANS] ? scl_sleep_current_cols(w, d[LAY_LD], b, list, k_n)
                                   : scl_sleep_current_rows(w, d[LAY_LD], n, b, list, k_n);
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

/*
 * One launch of a step: compact layer c (ph.s0, -1: none) of the step slot at ph.s4, record
 * its count at counts[ph.s5] (-1: no), then task A (ph.s1: 0 none, 1 input spikes of step
 * ph.s6 into the slot at ph.s3 with window corner ph.s7 = r0 * 256 + c0 or -1, 2 integrate
 * layer c + 1 into the slot at ph.s3) and task B (ph.s2: the update of W_c).
 * run = (seed, purpose of the input spikes, -, list capacity per group);
 * rate = (decay, inc, dec, 1 for f = ref else 0).
 */
__kernel __attribute__((reqd_work_group_size(SCL_SLEEP_WG, 1, 1))) void
scl_sleep_phase(__global uchar *flags, __global uint *lists, __global int *counts,
                __global float *v, __global const float *prob, __global const int *lay,
                __global const float *layf, __global float *w_a, __global float *w_b, uint4 run,
                float4 rate, int8 ph)
{
    __local uint part[SCL_SLEEP_WG];
    __local uint total;
    __global uint *list = lists + (size_t)get_group_id(0) * run.w;
    const int c = ph.s0, cl = max(c, 0);
    /* unconditional (an empty range when c < 0): barriers stay out of conditional code */
    const uint k_n =
        scl_sleep_compact(flags + ph.s4 + lay[cl * SCL_SLEEP_LAY + LAY_FLAGS],
                          c >= 0 ? lay[cl * SCL_SLEEP_LAY + LAY_N] : 0, list, part, &total);
    if (ph.s5 >= 0 && get_global_id(0) == 0)
        counts[ph.s5] = (int)k_n;
    if (ph.s1 == 1)
        scl_sleep_input(flags + ph.s3, prob, lay[LAY_N], run, (uint)ph.s6, ph.s7);
    else if (ph.s1 == 2)
        scl_sleep_integrate(w_a, lay, layf, c + 1, v, flags + ph.s3, list, k_n, rate.x);
    if (ph.s2)
        scl_sleep_stdp(w_b, lay, c, flags + ph.s4 + lay[(c - 1) * SCL_SLEEP_LAY + LAY_FLAGS], list,
                       k_n, rate);
}
