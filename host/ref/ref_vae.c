/*
 * Plain C twins of cl/vae.cl (see ref_vae.h). Float kernels are mirrored in float with the same
 * operations; the losses are also given in double for the finite-difference tests.
 */
#include <math.h>

#include "ref_vae.h"
#include "scl_contract.h"
#include "sleepcl/sleepcl.h"

void scl_ref_normal_fill(float *out, int n, uint32_t seed, uint32_t step, uint32_t stream)
{
    for (int q = 0; 2 * q < n; q++) {
        uint32_t w[4];
        scl_rng_words(seed, SCL_RNG_LATENT, (uint32_t)q, step, stream, w);
        float u1 = (float)((w[0] >> 8) + 1u) * (1.0f / 16777216.0f);
        float u2 = scl_rng_u01(w[1]);
        float r = sqrtf(-2.0f * logf(u1));
        float a = SCL_VAE_TWO_PI * u2;
        out[2 * q] = r * cosf(a);
        if (2 * q + 1 < n)
            out[2 * q + 1] = r * sinf(a);
    }
}

void scl_ref_bias_act(float *a, int rows, int cols, const float *b, int act)
{
    for (int i = 0; i < rows * cols; i++) {
        float v = a[i] + b[i % cols];
        if (act == SCL_VAE_ACT_RELU)
            v = v > 0.0f ? v : 0.0f;
        else if (act == SCL_VAE_ACT_SIGMOID)
            v = 1.0f / (1.0f + expf(-v));
        a[i] = v;
    }
}

void scl_ref_reparam(const float *head, const float *eps, int rows, int nz, float *z)
{
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < nz; j++) {
            float mu = head[r * 2 * nz + j], lv = head[r * 2 * nz + nz + j];
            z[r * nz + j] = mu + expf(0.5f * lv) * eps[r * nz + j];
        }
}

void scl_ref_recon_grad(const float *o, const float *x, const float *rw, int rows, int d,
                        float norm, float *g)
{
    for (int i = 0; i < rows * d; i++) {
        float s = 1.0f / (1.0f + expf(-o[i]));
        g[i] = rw[i / d] * norm * (s - x[i]);
    }
}

double scl_ref_recon_loss_d(const double *o, const float *x, int d)
{
    double l = 0.0;
    for (int p = 0; p < d; p++) /* -x log s - (1 - x) log(1 - s), written without overflow */
        l += fmax(o[p], 0.0) - o[p] * (double)x[p] + log1p(exp(-fabs(o[p])));
    return l;
}

void scl_ref_head_grad(const float *head, const float *eps, const float *dz, const float *rw,
                       int rows, int nz, float norm, float *dhead)
{
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < nz; j++) {
            int mu_at = r * 2 * nz + j, lv_at = mu_at + nz, i = r * nz + j;
            float s = rw[r] * norm, mu = head[mu_at], lv = head[lv_at];
            float sd = expf(0.5f * lv);
            dhead[mu_at] = dz[i] + s * mu;
            dhead[lv_at] = dz[i] * eps[i] * 0.5f * sd + s * 0.5f * (sd * sd - 1.0f);
        }
}

double scl_ref_kl_d(const double *mu, const double *lv, int nz)
{
    double kl = 0.0;
    for (int j = 0; j < nz; j++)
        kl -= 0.5 * (1.0 + lv[j] - mu[j] * mu[j] - exp(lv[j]));
    return kl;
}

void scl_ref_class_grad(const float *logits, int rows, int k, const int *labels,
                        const float *targets, float t, const float *rw, float *dl, float *loss)
{
    for (int r = 0; r < rows; r++) {
        const float *z = logits + r * k;
        int label = labels[r];
        float temp = label >= 0 ? 1.0f : t;
        float m = z[0], s = 0.0f, l = 0.0f;
        for (int j = 1; j < k; j++)
            m = fmaxf(m, z[j]);
        for (int j = 0; j < k; j++)
            s += expf((z[j] - m) / temp);
        float log_s = logf(s);
        for (int j = 0; j < k; j++) {
            float logp = (z[j] - m) / temp - log_s;
            float q = label >= 0 ? (j == label ? 1.0f : 0.0f) : targets[r * k + j];
            l -= q > 0.0f ? q * logp : 0.0f;
            dl[r * k + j] = rw[r] * temp * (expf(logp) - q);
        }
        loss[r] = temp * temp * l;
    }
}

double scl_ref_class_loss_d(const double *z, int k, int label, const float *q, double t)
{
    double temp = label >= 0 ? 1.0 : t, m = z[0], s = 0.0, l = 0.0;
    for (int j = 1; j < k; j++)
        m = fmax(m, z[j]);
    for (int j = 0; j < k; j++)
        s += exp((z[j] - m) / temp);
    for (int j = 0; j < k; j++) {
        double target = label >= 0 ? (j == label ? 1.0 : 0.0) : (double)q[j];
        l -= target * ((z[j] - m) / temp - log(s));
    }
    return temp * temp * l;
}

void scl_ref_soft_targets(const float *logits, int rows, int prev, int seen, float t, float *q)
{
    for (int r = 0; r < rows; r++) {
        const float *z = logits + r * prev;
        float m = z[0], s = 0.0f;
        for (int j = 1; j < prev; j++)
            m = fmaxf(m, z[j]);
        for (int j = 0; j < prev; j++)
            s += expf((z[j] - m) / t);
        for (int j = 0; j < seen; j++)
            q[r * seen + j] = j < prev ? expf((z[j] - m) / t) / s : 0.0f;
    }
}

void scl_ref_adam_step(float *w, const float *g, float *m, float *v, int n, float lr, float b1,
                       float b2, float eps, float bc1, float bc2)
{
    for (int i = 0; i < n; i++) {
        float gi = g[i];
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] -= (lr / bc1) * mi / (sqrtf(vi) / sqrtf(bc2) + eps);
    }
}
