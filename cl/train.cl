/*
 * Element-wise kernels of the wake phase (training and evaluation). The matrix products are
 * GEMMs (host/gemm.c); everything between them lives here. Each kernel has a plain C twin in
 * host/ref/ref_train.c with the same semantics, and tests/device/test_train_kernels.cpp compares
 * them.
 *
 * Conventions: activations are row-major [rows][cols] with rows = samples; labels are int.
 * Dropout masks come from the project generator (purpose SCL_RNG_DROPOUT): one Philox call
 * gives the four words of elements 4q..4q+3, counter {q, step, layer}.
 */
#pragma OPENCL FP_CONTRACT OFF

/* The generator purpose, output and loss codes and SCL_K_MAX_OUTPUTS come from
 * cl/scl_contract.h, which checks them against the public enums. */

/* Xb[off + r][:] = X[perm[start + r]][:], yb[off + r] = Y[perm[start + r]]. Global size
 * (dim, rows). The row offset puts rehearsal samples after a minibatch's own. */
__kernel void scl_gather_rows(__global const float *x, __global const uchar *y,
                              __global const int *perm, int start, int dim, __global float *xb,
                              __global int *yb, int off)
{
    int c = get_global_id(0), r = get_global_id(1);
    int src = perm[start + r];
    if (c < dim)
        xb[(size_t)(off + r) * dim + c] = x[(size_t)src * dim + c];
    if (c == 0)
        yb[off + r] = (int)y[src];
}

/*
 * Training-mode ReLU with dropout, in place. Element i draws word i % 4 of the generator at counter
 * i / 4; a unit is dropped when its uniform draw is below p; kept units are multiplied by
 * `keep_scale` (1/(1-p) for inverted dropout, 1 for the non-inverted ref2022 variant). Each
 * work-item takes SCL_K_DROPOUT_ITEM = 32 elements: eight counters drawn as vectors
 * (scl_rng4_x8), their words put in element order.
 */
__kernel void scl_relu_dropout(__global float *a, int n, float p, float keep_scale, uint seed,
                               uint step, uint layer)
{
    const int i0 = (int)get_global_id(0) * SCL_K_DROPOUT_ITEM;
    if (i0 >= n)
        return;
    const uint8 ctr = (uint8)(i0 / 4) + (uint8)(0, 1, 2, 3, 4, 5, 6, 7);
    const struct scl_rng8 r = scl_rng4_x8(seed, SCL_K_RNG_DROPOUT, ctr, step, layer);
    uint by_word[4][8], words[SCL_K_DROPOUT_ITEM];
    vstore8(r.x0, 0, by_word[0]);
    vstore8(r.x1, 0, by_word[1]);
    vstore8(r.x2, 0, by_word[2]);
    vstore8(r.x3, 0, by_word[3]);
    for (int e = 0; e < SCL_K_DROPOUT_ITEM; e++)
        words[e] = by_word[e % 4][e / 4];
    const int m = min(SCL_K_DROPOUT_ITEM, n - i0);
    for (int e = 0; e < m; e++) {
        float v = a[i0 + e] > 0.0f ? a[i0 + e] : 0.0f;
        a[i0 + e] = scl_u01(words[e]) < p ? 0.0f : v * keep_scale;
    }
}

/* Test-mode ReLU, in place: a = max(a, 0) * scale (scale = 1 - p for non-inverted dropout). */
__kernel void scl_relu_scale(__global float *a, int n, float scale)
{
    int i = get_global_id(0);
    if (i < n)
        a[i] = a[i] > 0.0f ? a[i] * scale : 0.0f;
}

/* Backward of scl_relu_dropout, in place on the incoming gradient: the unit passed its input
 * iff its output is positive, with slope keep_scale. */
__kernel void scl_relu_backward(__global float *g, __global const float *a, int n, float keep_scale)
{
    int i = get_global_id(0);
    if (i < n)
        g[i] = a[i] > 0.0f ? g[i] * keep_scale : 0.0f;
}

/* The output activation of row z (k values) into o, and 1 - o into om computed without
 * cancellation (the other probabilities for softmax, sigmoid(-z) for sigmoid). */
void scl_output_act(const __global float *z, int k, int output, float *o, float *om)
{
    float m = z[0], s = 0.0f;
    for (int j = 0; j < k; j++) {
        if (output == SCL_K_OUT_SIGMOID) {
            o[j] = 1.0f / (1.0f + exp(-z[j]));
            om[j] = 1.0f / (1.0f + exp(z[j]));
        } else if (output == SCL_K_OUT_RELU) {
            o[j] = z[j] > 0.0f ? z[j] : 0.0f;
            om[j] = 1.0f - o[j];
        }
        m = fmax(m, z[j]);
    }
    if (output != SCL_K_OUT_SOFTMAX)
        return;
    for (int j = 0; j < k; j++) {
        o[j] = exp(z[j] - m);
        s += o[j];
    }
    for (int j = 0; j < k; j++)
        o[j] /= s;
    for (int j = 0; j < k; j++) {
        om[j] = 0.0f;
        for (int i = 0; i < k; i++)
            om[j] += i == j ? 0.0f : o[i];
    }
}

/* Loss of one row given the output activation o (and 1 - o) and the target class `label`. */
float scl_row_loss(const float *o, const float *om, int k, int label, int loss)
{
    float l = 0.0f;
    for (int j = 0; j < k; j++) {
        float t = j == label ? 1.0f : 0.0f;
        if (loss == SCL_K_LOSS_BCE)
            l -= t * fmax(log(o[j]), -100.0f) + (1.0f - t) * fmax(log(om[j]), -100.0f);
        else if (loss == SCL_K_LOSS_CE)
            l -= t * fmax(log(o[j]), -100.0f);
        else
            l += 0.5f * (o[j] - t) * (o[j] - t);
    }
    return l;
}

/*
 * Softmax + BCE gradient, rearranged to avoid cancellation in float (om = 1 - o). With q_k = o_k
 * dL/do_k (dL/do_k = (o_k - t_k) / max(o_k(1 - o_k), 1e-12), the frameworks' BCE backward), dz_j =
 * q_j - o_j sum_k q_k. Where the floor is inactive q_y = -1 for the label y and q_k = o_k / (1 -
 * o_k) = r_k otherwise, so dz_j = 2 o_j - o_j sum_{k != y, j} r_k and dz_y = -(1 - o_y) - o_y
 * sum_{k != y} r_k: sums of same-signed terms. Where the floor is active anywhere, the direct form
 * is used.
 */
void scl_softmax_bce_grad(const float *o, const float *om, int k, int label, float *dz)
{
    float q[SCL_K_MAX_OUTPUTS], sum = 0.0f;
    bool floored = false;
    for (int j = 0; j < k; j++) {
        float rest = om[j], t = j == label ? 1.0f : 0.0f;
        floored = floored || o[j] * rest < 1e-12f;
        q[j] = o[j] * rest >= 1e-12f ? (o[j] - t) / rest : (o[j] - t) * o[j] / 1e-12f;
        sum += q[j];
    }
    for (int j = 0; j < k; j++) {
        float others = 0.0f;
        for (int i = 0; i < k; i++)
            others += (i == j || i == label) ? 0.0f : q[i];
        if (floored)
            dz[j] = q[j] - o[j] * sum;
        else if (j == label)
            dz[j] = -om[j] - o[j] * others;
        else
            dz[j] = 2.0f * o[j] - o[j] * others;
    }
}

/*
 * Gradient of the loss with respect to the output layer's pre-activation z, one work-item per
 * sample, scaled by `norm` (1/(rows*k) for mean-reduced BCE, 1/rows otherwise). Sigmoid+BCE,
 * softmax+CE and MSE (which ignores the output ReLU's derivative, ref2022) all reduce to o - t.
 * The per-sample loss goes to loss_out[loss_off + r].
 */
__kernel void scl_loss_grad(__global const float *z, __global const int *y, int rows, int k,
                            int output, int loss, float norm, __global float *dz,
                            __global float *loss_out, int loss_off)
{
    int r = get_global_id(0);
    float o[SCL_K_MAX_OUTPUTS], om[SCL_K_MAX_OUTPUTS], d[SCL_K_MAX_OUTPUTS];
    if (r >= rows || k > SCL_K_MAX_OUTPUTS)
        return;
    const __global float *zr = z + (size_t)r * k;
    int label = y[r];
    scl_output_act(zr, k, output, o, om);
    loss_out[loss_off + r] = scl_row_loss(o, om, k, label, loss);
    if (loss == SCL_K_LOSS_BCE && output == SCL_K_OUT_SOFTMAX)
        scl_softmax_bce_grad(o, om, k, label, d);
    else
        for (int j = 0; j < k; j++)
            d[j] = o[j] - (j == label ? 1.0f : 0.0f);
    for (int j = 0; j < k; j++)
        dz[(size_t)r * k + j] = d[j] * norm;
}

/* Momentum step, second half: W -= V (V was updated by a GEMM: V = lr*G + mu*V). */
__kernel void scl_sub_inplace(__global float *w, __global const float *v, int n)
{
    int i = get_global_id(0);
    if (i < n)
        w[i] -= v[i];
}

/* pred[off + r] = argmax of row r of the output activation (ties to the lowest index). The
 * softmax and sigmoid are monotone, so their argmax is z's; a ReLU output maps every negative
 * z to 0, which can create ties. */
__kernel void scl_predict(__global const float *z, int rows, int k, int output, __global int *pred,
                          int off)
{
    int r = get_global_id(0);
    if (r >= rows)
        return;
    const __global float *zr = z + (size_t)r * k;
    int best = 0;
    float bv = output == SCL_K_OUT_RELU ? fmax(zr[0], 0.0f) : zr[0];
    for (int j = 1; j < k; j++) {
        float v = output == SCL_K_OUT_RELU ? fmax(zr[j], 0.0f) : zr[j];
        if (v > bv) {
            bv = v;
            best = j;
        }
    }
    pred[off + r] = best;
}

/* amax_bits[slot] = max(amax_bits[slot], max over row r of relu(a)). Non-negative floats order
 * like their bit patterns, so an integer atomic max is a float max. One work-item per row. */
__kernel void scl_row_max(__global const float *a, int rows, int cols,
                          volatile __global int *amax_bits, int slot)
{
    int r = get_global_id(0);
    if (r >= rows)
        return;
    float m = 0.0f;
    for (int j = 0; j < cols; j++)
        m = fmax(m, a[(size_t)r * cols + j]);
    atomic_max(&amax_bits[slot], as_int(m));
}

/* ---------------------------------------------------------------- continual-learning methods
 * (docs/METHOD.md section 6.9; host/wake/methods.c). Penalties are quadratic, s_i (w_i - a_i)^2
 * / 2 with per-weight stiffness s_i, anchor a_i. */

/* dst = src * src: the per-sample squares whose products sum to the diagonal Fisher. */
__kernel void scl_square(__global float *dst, __global const float *src, int n)
{
    int i = get_global_id(0);
    if (i < n)
        dst[i] = src[i] * src[i];
}

/*
 * One update of a penalised method, replacing the GEMM-folded update: g is the task loss's
 * gradient, the penalty adds min(strength * imp, cap) * (w - anchor) (cap = 1/lr: a stiffer
 * weight would step past its anchor and oscillate). With momentum v = lr * g' + mu * v, w -= v;
 * else w -= lr * g'. With `track` (SI) the path integral omega -= g * dw takes the task loss's
 * gradient alone, as Zenke et al. define it.
 */
__kernel void scl_penalty_step(__global float *w, __global float *v, __global const float *g,
                               __global const float *imp, __global const float *anchor,
                               __global float *omega, int n, float lr, float mu, float strength,
                               float cap, int track)
{
    int i = get_global_id(0);
    if (i >= n)
        return;
    float s = fmin(strength * imp[i], cap);
    float gt = g[i] + s * (w[i] - anchor[i]);
    float dw;
    if (mu > 0.0f) {
        float vi = lr * gt + mu * v[i];
        v[i] = vi;
        dw = -vi;
    } else {
        dw = -(lr * gt);
    }
    w[i] += dw;
    if (track)
        omega[i] -= g[i] * dw;
}

/* EWC at a task's end, with the task's Fisher fk. Online: imp = gamma imp + fk, anchor = w.
 * Otherwise the tasks' penalties sum_k F_k (w - a_k)^2 are one quadratic (up to a constant):
 * stiffness sum_k F_k around the Fisher-weighted mean of the anchors, so one pair of buffers
 * holds any number of tasks. */
__kernel void scl_ewc_consolidate(__global float *imp, __global float *anchor,
                                  __global const float *fk, __global const float *w, int n,
                                  float gamma, int online)
{
    int i = get_global_id(0);
    if (i >= n)
        return;
    if (online) {
        imp[i] = gamma * imp[i] + fk[i];
        anchor[i] = w[i];
        return;
    }
    float f = imp[i] + fk[i];
    if (imp[i] == 0.0f) /* the first stiffness: the anchor is exactly the weight */
        anchor[i] = w[i];
    else if (fk[i] > 0.0f) /* else this task adds nothing and the anchor stays exact */
        anchor[i] = (imp[i] * anchor[i] + fk[i] * w[i]) / f;
    imp[i] = f;
}

/* SI at a task's end: imp += omega / ((w - anchor)^2 + xi), then a new path from here. */
__kernel void scl_si_consolidate(__global float *imp, __global float *anchor, __global float *omega,
                                 __global const float *w, int n, float xi)
{
    int i = get_global_id(0);
    if (i >= n)
        return;
    float d = w[i] - anchor[i];
    imp[i] += omega[i] / (d * d + xi);
    omega[i] = 0.0f;
    anchor[i] = w[i];
}

/* ---------------------------------------------------------------- OWM (orthogonal weight
 * modification): each layer's update is G P, P a projector away from the inputs it has seen,
 * updated after every step from the batch-mean input x: P -= (P x)(P x)^T / (alpha + x.P x). */

/* out[j] = the mean over the rows of x[r][j]. One work-item per column. */
__kernel void scl_col_mean(__global const float *x, int rows, int cols, __global float *out)
{
    int j = get_global_id(0);
    if (j >= cols)
        return;
    float s = 0.0f;
    for (int r = 0; r < rows; r++)
        s += x[(size_t)r * cols + j];
    out[j] = s / (float)rows;
}

/* out = P x, P [n][n] row-major. One work-item per row. */
__kernel void scl_matvec(__global const float *p, __global const float *x, int n,
                         __global float *out)
{
    int i = get_global_id(0);
    if (i >= n)
        return;
    float s = 0.0f;
    for (int j = 0; j < n; j++)
        s += p[(size_t)i * n + j] * x[j];
    out[i] = s;
}

/* d[0] = alpha + x . px: one work-item, so the sum has one order everywhere. */
__kernel void scl_owm_denom(__global const float *x, __global const float *px, int n, float alpha,
                            __global float *d)
{
    if (get_global_id(0) != 0)
        return;
    float s = 0.0f;
    for (int j = 0; j < n; j++)
        s += x[j] * px[j];
    d[0] = alpha + s;
}

/* P -= px px^T / d[0], one work-item per element. px[i] px[j] is px[j] px[i] bit for bit, so a
 * symmetric P stays symmetric (the update GEMM multiplies by P from the inputs' side). */
__kernel void scl_owm_rank1(__global float *p, __global const float *px, __global const float *d,
                            int n)
{
    int k = get_global_id(0);
    if (k >= n * n)
        return;
    int i = k / n, j = k % n;
    p[k] -= px[i] * px[j] / d[0];
}

/* ---------------------------------------------------------------- iCaRL (host/wake/methods.c)
 * Binary cross-entropy on sigmoid outputs, summed over the k outputs of a row: the target of an
 * old class (old[j] != 0) is the old net's output sigmoid(q[r][j]) (distillation), of any other
 * class the one-hot label. dz = norm (o - t); the row's loss to loss_out[loss_off + r]. q is
 * read only for old classes (it may be NULL when there are none). One work-item per row. */
__kernel void scl_distill_grad(__global const float *z, __global const int *y,
                               __global const float *q, __global const int *old, int rows, int k,
                               float norm, __global float *dz, __global float *loss_out,
                               int loss_off)
{
    int r = get_global_id(0);
    float o[SCL_K_MAX_OUTPUTS], om[SCL_K_MAX_OUTPUTS];
    if (r >= rows || k > SCL_K_MAX_OUTPUTS)
        return;
    scl_output_act(z + (size_t)r * k, k, SCL_K_OUT_SIGMOID, o, om);
    float l = 0.0f;
    for (int j = 0; j < k; j++) {
        float t = old[j] ? 1.0f / (1.0f + exp(-q[(size_t)r * k + j])) : (j == y[r] ? 1.0f : 0.0f);
        l -= t * fmax(log(o[j]), -100.0f) + (1.0f - t) * fmax(log(om[j]), -100.0f);
        dz[(size_t)r * k + j] = (o[j] - t) * norm;
    }
    loss_out[loss_off + r] = l;
}
