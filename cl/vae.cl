/*
 * Element-wise kernels of the tripartite sleep's variational autoencoder (host/vae/vae.c,
 * docs/METHOD.md section 9). The matrix products are GEMMs (host/wake/gemm.h); everything
 * between them lives here. Each kernel has a plain C twin in host/ref/ref_vae.c with the same
 * semantics, compared by tests/device/test_vae_kernels.cpp.
 *
 * Layouts: activations are row-major [rows][cols], rows = samples. A latent head row holds
 * [mu (nz) | log-variance (nz)]. Every loss gradient is scaled per row by rw[r] (the task
 * weighting 1/N or 1 - 1/N divided by the rows of its part) times a constant `norm`.
 */
#pragma OPENCL FP_CONTRACT OFF

/* Two standard normals per Philox call (Box-Muller on its first two words): elements 2q and
 * 2q + 1 of stream `stream` at generator step `step`, purpose SCL_K_RNG_LATENT. u1 is in
 * (0, 1], so the logarithm is finite. */
__kernel void scl_normal_fill(__global float *out, int n, uint seed, uint step, uint stream)
{
    int q = get_global_id(0);
    if (2 * q >= n)
        return;
    uint4 w = scl_rng4(seed, SCL_K_RNG_LATENT, (uint)q, step, stream);
    float u1 = (float)((w.x >> 8) + 1u) * (1.0f / 16777216.0f);
    float u2 = scl_u01(w.y);
    float r = sqrt(-2.0f * log(u1));
    float a = SCL_VAE_TWO_PI * u2;
    out[2 * q] = r * cos(a);
    if (2 * q + 1 < n)
        out[2 * q + 1] = r * sin(a);
}

/* a[off + r cols + j] = act(a[...] + b[j]): the bias and activation after a layer's GEMM.
 * act: SCL_VAE_ACT_NONE, _RELU or _SIGMOID. */
__kernel void scl_bias_act(__global float *a, int off, int rows, int cols, __global const float *b,
                           int act)
{
    int i = get_global_id(0);
    if (i >= rows * cols)
        return;
    float v = a[off + i] + b[i % cols];
    if (act == SCL_VAE_ACT_RELU)
        v = v > 0.0f ? v : 0.0f;
    else if (act == SCL_VAE_ACT_SIGMOID)
        v = 1.0f / (1.0f + exp(-v));
    a[off + i] = v;
}

/* The reparameterisation: z = mu + exp(lv / 2) eps, one work-item per latent unit. */
__kernel void scl_vae_reparam(__global const float *head, __global const float *eps, int rows,
                              int nz, __global float *z)
{
    int i = get_global_id(0);
    if (i >= rows * nz)
        return;
    int r = i / nz, j = i % nz;
    float mu = head[(size_t)r * 2 * nz + j], lv = head[(size_t)r * 2 * nz + nz + j];
    z[i] = mu + exp(0.5f * lv) * eps[i];
}

/* Gradient of the pixel-summed binary cross-entropy of sigmoid(o) against the target x in
 * [0, 1], with respect to the logit o: rw[r] norm (sigmoid(o) - x). */
__kernel void scl_vae_recon_grad(__global const float *o, __global const float *x,
                                 __global const float *rw, int rows, int d, float norm,
                                 __global float *g)
{
    int i = get_global_id(0);
    if (i >= rows * d)
        return;
    float s = 1.0f / (1.0f + exp(-o[i]));
    g[i] = rw[i / d] * norm * (s - x[i]);
}

/* Gradient at the latent head of the KL term KL = -1/2 sum (1 + lv - mu^2 - exp(lv)), weighted
 * rw[r] norm, plus the decoder's gradient dz carried through z = mu + exp(lv / 2) eps. */
__kernel void scl_vae_head_grad(__global const float *head, __global const float *eps,
                                __global const float *dz, __global const float *rw, int rows,
                                int nz, float norm, __global float *dhead)
{
    int i = get_global_id(0);
    if (i >= rows * nz)
        return;
    int r = i / nz, j = i % nz;
    size_t mu_at = (size_t)r * 2 * nz + j, lv_at = mu_at + (size_t)nz;
    float s = rw[r] * norm, mu = head[mu_at], lv = head[lv_at];
    float sd = exp(0.5f * lv);
    dhead[mu_at] = dz[i] + s * mu;
    dhead[lv_at] = dz[i] * eps[i] * 0.5f * sd + s * 0.5f * (sd * sd - 1.0f);
}

/*
 * The classifier's loss gradient over the k classes seen, one work-item per row. A row with a
 * label >= 0 takes cross-entropy on softmax(logits): p - onehot. A row with label -1 takes the
 * distillation to the soft targets q (targets row, k entries, zero where the teacher had no
 * class): the loss -T^2 sum q log softmax(logits / T), whose gradient is T (p_T - q). Scaled by
 * rw[r]; the unweighted row loss goes to loss[r].
 */
__kernel void scl_vae_class_grad(__global const float *logits, int rows, int k,
                                 __global const int *labels, __global const float *targets, float t,
                                 __global const float *rw, __global float *dl, __global float *loss)
{
    int r = get_global_id(0);
    if (r >= rows)
        return;
    const __global float *z = logits + (size_t)r * k;
    int label = labels[r];
    float temp = label >= 0 ? 1.0f : t;
    float m = z[0], s = 0.0f, l = 0.0f;
    for (int j = 1; j < k; j++)
        m = fmax(m, z[j]);
    for (int j = 0; j < k; j++)
        s += exp((z[j] - m) / temp);
    float log_s = log(s);
    for (int j = 0; j < k; j++) {
        float logp = (z[j] - m) / temp - log_s;
        float q = label >= 0 ? (j == label ? 1.0f : 0.0f) : targets[(size_t)r * k + j];
        l -= q > 0.0f ? q * logp : 0.0f;
        dl[(size_t)r * k + j] = rw[r] * temp * (exp(logp) - q);
    }
    loss[r] = temp * temp * l;
}

/* The teacher's soft targets: q = softmax(logits / T) over its `prev` classes (logits rows of
 * prev entries), written into rows of `seen` entries, zero for the classes it never saw. */
__kernel void scl_soft_targets(__global const float *logits, int rows, int prev, int seen, float t,
                               __global float *q)
{
    int r = get_global_id(0);
    if (r >= rows)
        return;
    const __global float *z = logits + (size_t)r * prev;
    float m = z[0], s = 0.0f;
    for (int j = 1; j < prev; j++)
        m = fmax(m, z[j]);
    for (int j = 0; j < prev; j++)
        s += exp((z[j] - m) / t);
    for (int j = 0; j < seen; j++)
        q[(size_t)r * seen + j] = j < prev ? exp((z[j] - m) / t) / s : 0.0f;
}

/* One Adam step (Kingma and Ba, with the frameworks' placement of eps): m = b1 m + (1 - b1) g,
 * v = b2 v + (1 - b2) g^2, w -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps), where bc1 = 1 - b1^t
 * and bc2 = 1 - b2^t are the bias corrections of step t (computed on the host in double). */
__kernel void scl_adam_step(__global float *w, __global const float *g, __global float *m,
                            __global float *v, int n, float lr, float b1, float b2, float eps,
                            float bc1, float bc2)
{
    int i = get_global_id(0);
    if (i >= n)
        return;
    float gi = g[i];
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] -= (lr / bc1) * mi / (sqrt(vi) / sqrt(bc2) + eps);
}
