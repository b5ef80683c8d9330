/*
 * Sleep phase kernels (docs/METHOD.md sections 3-4); host/sleep/sleep.c drives them, and
 * host/ref/ref_sleep.c is the plain C twin that gives the same bits. Constants and the layout
 * of the tables the host fills come from cl/scl_contract.h.
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
 * One kernel, scl_sleep_steps, runs a range [q0, q1) of launches of a batch of independent runs
 * (a single sleep is a batch of one), with a barrier between launches. Each run has its own
 * work-groups. With one group per run (every CPU, and every batch) a call advances each run by
 * a whole chunk of steps, so that no step pays for a launch or for waking threads (PoCL: about
 * 5 us per launch and a stall whenever a core is busy), and a core keeps one run's state hot.
 * With several groups per run (a lone run on a GPU) the groups share each layer's items and the
 * host passes one launch per call, since groups cannot wait for each other inside a call.
 *
 * A work-item handles a block of SCL_SLEEP_VEC consecutive units or weights as one vector.
 * Layer sizes are padded to the block on the device (pad flags are 0, pad weights never move).
 * W_l is stored row-major [n_l][ld] or transposed [n_{l-1}][ld]: the transposed form makes
 * the integration of a densely spiking pre layer (the input) a few contiguous rows, the
 * row-major form makes the update of a sparsely spiking post layer a few contiguous rows.
 * Items are dealt to a run's work-items round-robin over its work-groups, so groups stay
 * balanced. Barriers are never inside conditional code (PoCL 3.1 miscompiles that); the loop
 * over launches has the same bounds in every work-item of a group.
 *
 * Bit-exactness: FP_CONTRACT OFF, sums in ascending pre index from 0, f(w) with +, -, * and
 * exact power-of-two scaling only (see ref_sleep.c for the formulation).
 */
#pragma OPENCL FP_CONTRACT OFF

/* What the parts of a launch share: one run's part of every buffer, and its constants. */
struct scl_sleep_run {
    __global uchar *flags;      /* [slots][slot units] 0/1 spikes, layers padded to blocks */
    __global uint *list;        /* this work-group's spike list, [list capacity] */
    __global int *counts;       /* [T_max][L+1] spikes per step and layer */
    __global float *v;          /* membrane potentials of layers 1..L, padded */
    __global const float *prob; /* [n_0 padded] input spike probability per step */
    __global float *w;          /* all W_l, each at its lay[l].w offset */
    /* where each layer lives, [L+1]; the run's seed, input mode, T, alpha and beta */
    __global const struct scl_sleep_dev_layer *lay;
    __global const struct scl_sleep_dev_run *run;
    float4 rate;    /* decay, inc, dec, 1 for f = ref else 0 */
    int L, T;       /* layers, steps of this run */
    int slot_units; /* flags per step slot */
    int raster;     /* a slot per step, else two */
    int2 part;      /* this work-item's first item and the stride between items */
};

/* exp(-a) for 0 <= a <= SCL_SLEEP_EXP_CUT; the same operations as ref_sleep.c exp_neg. */
float16 scl_sleep_exp_neg(float16 a)
{
    int16 k = convert_int16(a * SCL_SLEEP_LOG2E + 0.5f);
    float16 kf = convert_float16(k);
    float16 r = (kf * SCL_SLEEP_LN2_HI - a) + kf * SCL_SLEEP_LN2_LO;
    float16 q = SCL_SLEEP_EXP_P0;
    q = q * r + SCL_SLEEP_EXP_P1;
    q = q * r + SCL_SLEEP_EXP_P2;
    q = q * r + SCL_SLEEP_EXP_P3;
    q = q * r + SCL_SLEEP_EXP_P4;
    q = q * r + SCL_SLEEP_EXP_P5;
    float16 e = q * (r * r) + r + 1.0f;
    return e * as_float16((127 - k) << 23);
}

/* 1/d for 1 <= d <= 2 by Newton steps (ref_sleep.c recip_1_2). */
float16 scl_sleep_recip(float16 d)
{
    float16 r = SCL_SLEEP_RECIP_A - SCL_SLEEP_RECIP_B * d;
    r = r + r * (1.0f - d * r);
    r = r + r * (1.0f - d * r);
    r = r + r * (1.0f - d * r);
    return r;
}

/* f(w) = 2 / (1 + exp(w / 0.001)) without overflow (ref_sleep.c mod_ref). */
float16 scl_sleep_mod_ref(float16 w)
{
    float16 a = fabs(w) * SCL_SLEEP_W_SCALE;
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

/* This work-item's first item and the stride between items: a run's items go round-robin over
 * its `groups` work-groups, so that a layer of a few dozen blocks is shared evenly by them. */
int2 scl_sleep_part(int groups)
{
    const int g = (int)(get_group_id(0) % (size_t)groups);
    return (int2)((int)get_local_id(0) * groups + g, groups * SCL_SLEEP_WG);
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

/* Input spikes of step t (16 pixels per block, pads 0): u < p_i with u from the pixel's
 * Philox word 0 (scl_u01's mapping); in window mode p_i counts only inside the step's window,
 * whose corner comes from the SCL_K_RNG_WINDOW words as floor(word * SCL_SLEEP_CORNERS / 2^32). */
void scl_sleep_input(const struct scl_sleep_run *s, __global uchar *f0, uint t)
{
    const uint seed = s->run->seed;
    const int window = s->run->window;
    const int nb = (s->lay[0].n + SCL_SLEEP_VEC - 1) / SCL_SLEEP_VEC;
    const uint4 corner = scl_rng4(seed, SCL_K_RNG_WINDOW, 0u, t, 0u);
    const int r0 = (int)mul_hi(corner.x, (uint)SCL_SLEEP_CORNERS);
    const int c0 = (int)mul_hi(corner.y, (uint)SCL_SLEEP_CORNERS);
    for (int b = s->part.x; b < nb; b += s->part.y) {
        const int16 i = scl_sleep_lanes() + b * SCL_SLEEP_VEC;
        const int16 r = i / SCL_SLEEP_GRID - r0, c = i % SCL_SLEEP_GRID - c0;
        const int16 in = (r >= 0) & (r < SCL_SLEEP_WIN) & (c >= 0) & (c < SCL_SLEEP_WIN);
        const float16 p = select((float16)0.0f, vload16(b, s->prob), in | (int16)(window ? 0 : -1));
        const uint16 word = scl_rng4_x16(seed, SCL_K_RNG_SPIKES, as_uint16(i), t, 0u).x0;
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
    __global const struct scl_sleep_dev_layer *d = s->lay + l;
    __global const float *w = s->w + d->w;
    __global float *v = s->v + d->v;
    const int n = d->n, nb = (n + SCL_SLEEP_VEC - 1) / SCL_SLEEP_VEC;
    const float alpha = s->run->alpha[l - 1], beta = s->run->beta[l - 1];
    for (int b = s->part.x; b < nb; b += s->part.y) {
        float16 cur = d->trans ? scl_sleep_current_cols(w, d->ld, b, s->list, k_n)
                               : scl_sleep_current_rows(w, d->ld, n, b, s->list, k_n);
        float16 x = s->rate.x * vload16(b, v) + alpha * cur;
        int16 spk = (x >= beta) & (scl_sleep_lanes() + b * SCL_SLEEP_VEC < n);
        vstore16(select(x, (float16)0.0f, spk), b, v);
        vstore16(convert_uchar16(-spk), b, fl + d->flags);
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
    __global const struct scl_sleep_dev_layer *d = s->lay + m;
    __global float *w = s->w + d->w;
    const int n_pre = s->lay[m - 1].n, ld = d->ld;
    const int nb = (n_pre + SCL_SLEEP_VEC - 1) / SCL_SLEEP_VEC, items = (int)k_n * nb;
    for (int e = s->part.x; e < items; e += s->part.y) {
        const int k = e / nb, b = e - k * nb, j0 = b * SCL_SLEEP_VEC;
        const size_t i = s->list[k];
        const int16 valid = scl_sleep_lanes() + j0 < n_pre;
        const uchar16 pre = vload16(b, fp);
        if (d->trans) {
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
int scl_sleep_slot(const struct scl_sleep_run *s, int t)
{
    return (s->raster ? t : (t & 1)) * s->slot_units;
}

/* Launch l of step t, as described at the top of this file. */
void scl_sleep_launch(const struct scl_sleep_run *s, int t, int l, __local uint *part,
                      __local uint *total)
{
    const int L = s->L;
    const int c = l > 0 ? l - 1 : (t > 0 ? L : -1), tc = l > 0 ? t : t - 1;
    __global const struct scl_sleep_dev_layer *dc = s->lay + max(c, 0);
    __global uchar *fc = s->flags + scl_sleep_slot(s, max(tc, 0));
    /* unconditional (an empty range when c < 0): barriers stay out of conditional code */
    const uint k_n = scl_sleep_compact(fc + dc->flags, c >= 0 ? dc->n : 0, s->list, part, total);
    if (c >= 0 && s->part.x == 0)
        s->counts[tc * (L + 1) + c] = (int)k_n;
    if (l == 0 && t < s->T)
        scl_sleep_input(s, s->flags + scl_sleep_slot(s, t), (uint)t);
    else if (l > 0)
        scl_sleep_integrate(s, l, fc, k_n);
    if (c >= 1) /* against the flags of layer c - 1 */
        scl_sleep_stdp(s, c, fc + s->lay[c - 1].flags, k_n);
}

/*
 * Launches q0 .. q1-1 (span) of every run of a batch; run b's launches are q = t (L + 1) + l
 * for q = 0 .. T_b (L + 1), the last one only updating W_L, and a run past its end idles.
 * Work-groups g = b G .. b G + G - 1 run run b (G = plan->groups), with a barrier between
 * launches: that orders everything when G = 1; with G > 1 the host passes one launch per call.
 * Every per-run buffer holds its runs at the plan's fixed strides; lists: one per work-group.
 */
__kernel __attribute__((reqd_work_group_size(SCL_SLEEP_WG, 1, 1))) void
scl_sleep_steps(__global uchar *flags, __global uint *lists, __global int *counts,
                __global float *v, __global const float *prob, __global float *w,
                __global const struct scl_sleep_dev_plan *plan,
                __global const struct scl_sleep_dev_run *runs, int2 span)
{
    __local uint part[SCL_SLEEP_WG];
    __local uint total;
    const int groups = plan->groups, L = plan->n_layers;
    const size_t g = get_group_id(0), b = g / (size_t)groups;
    __global const struct scl_sleep_dev_run *run = runs + b;
    const struct scl_sleep_run s = {
        flags + b * (size_t)plan->run_flags,
        lists + g * (size_t)plan->list_cap,
        counts + b * (size_t)plan->run_counts,
        v + b * (size_t)plan->run_v,
        prob + b * (size_t)plan->run_prob,
        w + b * (size_t)plan->run_w,
        plan->lay,
        run,
        (float4)(run->decay, run->inc, run->dec, run->mod_ref ? 1.0f : 0.0f),
        L,
        run->steps,
        plan->slot_units,
        plan->raster,
        scl_sleep_part(groups)};
    const int end = min(span.y, s.T * (L + 1) + 1);
    for (int q = span.x; q < end; q++) {
        scl_sleep_launch(&s, q / (L + 1), q % (L + 1), part, &total);
        barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    }
}
