/*
 * Plain C twins of the wake-phase kernels (cl/train.cl) and of one whole training step, written
 * as the simplest loops with the same semantics. Float versions mirror the kernels operation for
 * operation; the double versions of the loss serve the finite-difference checks.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ref.h"

void scl_ref_relu_dropout(float *a, int n, float p, float keep_scale, uint32_t seed, uint32_t step,
                          uint32_t layer)
{
    for (int i = 0; i < n; i++) {
        uint32_t w[4];
        scl_rng_words(seed, SCL_RNG_DROPOUT, (uint32_t)(i / 4), step, layer, w);
        float v = a[i] > 0.0f ? a[i] : 0.0f;
        a[i] = scl_rng_u01(w[i % 4]) < p ? 0.0f : v * keep_scale;
    }
}

void scl_ref_relu_scale(float *a, int n, float scale)
{
    for (int i = 0; i < n; i++)
        a[i] = a[i] > 0.0f ? a[i] * scale : 0.0f;
}

void scl_ref_relu_backward(float *g, const float *a, int n, float keep_scale)
{
    for (int i = 0; i < n; i++)
        g[i] = a[i] > 0.0f ? g[i] * keep_scale : 0.0f;
}

/* Output activation of one row, in double. */
static void output_act_d(const double *z, int k, int output, double *o)
{
    double m = z[0], s = 0.0;
    for (int j = 0; j < k; j++)
        m = fmax(m, z[j]);
    for (int j = 0; j < k; j++) {
        if (output == SCL_OUTPUT_SIGMOID)
            o[j] = 1.0 / (1.0 + exp(-z[j]));
        else if (output == SCL_OUTPUT_RELU)
            o[j] = z[j] > 0.0 ? z[j] : 0.0;
        else
            s += (o[j] = exp(z[j] - m));
    }
    for (int j = 0; output == SCL_OUTPUT_SOFTMAX && j < k; j++)
        o[j] /= s;
}

double scl_ref_loss_d(const double *z, int k, int label, int output, int loss)
{
    double o[SCL_MAX_CLASSES], l = 0.0;
    assert(label >= 0 && label < k); /* the library refuses such data (scl_ddata_check) */
    output_act_d(z, k, output, o);
    for (int j = 0; j < k; j++) {
        double t = j == label ? 1.0 : 0.0;
        if (loss == SCL_LOSS_BCE)
            l -= t * fmax(log(o[j]), -100.0) + (1.0 - t) * fmax(log(1.0 - o[j]), -100.0);
        else if (loss == SCL_LOSS_CE)
            l -= t * fmax(log(o[j]), -100.0);
        else
            l += 0.5 * (o[j] - t) * (o[j] - t);
    }
    return l;
}

void scl_ref_loss_grad_d(const double *z, int k, int label, int output, int loss, double *dz)
{
    double o[SCL_MAX_CLASSES], q[SCL_MAX_CLASSES], dot = 0.0;
    bool soft_bce = loss == SCL_LOSS_BCE && output == SCL_OUTPUT_SOFTMAX;
    assert(label >= 0 && label < k);
    output_act_d(z, k, output, o);
    /* q_j = o_j dL/do_j for softmax+BCE (see cl/train.cl), else dL/dz_j = o_j - t_j. */
    for (int j = 0; j < k; j++) {
        double t = j == label ? 1.0 : 0.0, den = o[j] * (1.0 - o[j]);
        if (soft_bce)
            q[j] = (o[j] - t) * o[j] / fmax(den, 1e-12);
        else
            q[j] = o[j] - t;
        dot += q[j];
    }
    for (int j = 0; j < k; j++)
        dz[j] = soft_bce ? q[j] - o[j] * dot : q[j];
}

void scl_ref_loss_grad(const float *z, const int *y, int rows, int k, int output, int loss,
                       float norm, float *dz, float *loss_out)
{
    double zd[SCL_MAX_CLASSES], gd[SCL_MAX_CLASSES];
    for (int r = 0; r < rows; r++) {
        for (int j = 0; j < k; j++)
            zd[j] = z[r * k + j];
        loss_out[r] = (float)scl_ref_loss_d(zd, k, y[r], output, loss);
        scl_ref_loss_grad_d(zd, k, y[r], output, loss, gd);
        for (int j = 0; j < k; j++)
            dz[r * k + j] = (float)gd[j] * norm;
    }
}

void scl_ref_predict(const float *z, int rows, int k, int output, int *pred)
{
    for (int r = 0; r < rows; r++) {
        int best = 0;
        for (int j = 1; j < k; j++) {
            float v = z[r * k + j], b = z[r * k + best];
            if (output == SCL_OUTPUT_RELU) {
                v = v > 0.0f ? v : 0.0f;
                b = b > 0.0f ? b : 0.0f;
            }
            if (v > b)
                best = j;
        }
        pred[r] = best;
    }
}

float scl_ref_max_relu(const float *a, int n)
{
    float m = 0.0f;
    for (int i = 0; i < n; i++)
        m = a[i] > m ? a[i] : m;
    return m;
}

/* C[m][n] (+)= A[m][k] B^T with B [n][k], in double accumulation. */
static void matmul_nt(const float *a, const float *b, float *c, int m, int n, int k)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int q = 0; q < k; q++)
                s += (double)a[i * k + q] * (double)b[j * k + q];
            c[i * n + j] = (float)s;
        }
}

static void forward_ref(const scl_model *m, const struct scl_train_params *p, float **act, int rows,
                        uint32_t step)
{
    float keep = p->dropout_mode == SCL_DROPOUT_INVERTED ? 1.0f / (1.0f - p->dropout) : 1.0f;
    for (int l = 1; l <= m->n_layers; l++) {
        matmul_nt(act[l - 1], m->w[l - 1], act[l], rows, m->sizes[l], m->sizes[l - 1]);
        if (l < m->n_layers)
            scl_ref_relu_dropout(act[l], rows * m->sizes[l], p->dropout, keep, p->seed, step,
                                 (uint32_t)l);
    }
}

/* Weight update of layer l (1-based) from the gradient at its output. */
static void update_ref(scl_model *m, float *v, const float *grad, const float *in, int l, int rows,
                       const struct scl_train_params *p, float lr)
{
    int no = m->sizes[l], ni = m->sizes[l - 1];
    for (int i = 0; i < no; i++)
        for (int j = 0; j < ni; j++) {
            double g = 0.0;
            for (int r = 0; r < rows; r++)
                g += (double)grad[r * no + i] * (double)in[r * ni + j];
            float *w = &m->w[l - 1][i * ni + j];
            if (p->momentum > 0.0f) {
                v[i * ni + j] = (float)((double)lr * g) + p->momentum * v[i * ni + j];
                *w -= v[i * ni + j];
            } else {
                *w = (float)((double)*w - (double)lr * g);
            }
        }
}

/* Input gradient grad_in = relu'(act) * (grad W), W of layer l. */
static void backprop_ref(const scl_model *m, const float *grad, const float *act, float *grad_in,
                         int l, int rows, float keep)
{
    int no = m->sizes[l], ni = m->sizes[l - 1];
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < ni; j++) {
            double s = 0.0;
            for (int i = 0; i < no; i++)
                s += (double)grad[r * no + i] * (double)m->w[l - 1][i * ni + j];
            grad_in[r * ni + j] = (float)s;
        }
    scl_ref_relu_backward(grad_in, act, rows * ni, keep);
}

/* ---------------------------------------------------------------- OWM */

void scl_ref_col_mean(const float *x, int rows, int cols, float *out)
{
    for (int j = 0; j < cols; j++) {
        float s = 0.0f;
        for (int r = 0; r < rows; r++)
            s += x[r * cols + j];
        out[j] = s / (float)rows;
    }
}

void scl_ref_matvec(const float *p, const float *x, int n, float *out)
{
    for (int i = 0; i < n; i++) {
        float s = 0.0f;
        for (int j = 0; j < n; j++)
            s += p[i * n + j] * x[j];
        out[i] = s;
    }
}

float scl_ref_owm_denom(const float *x, const float *px, int n, float alpha)
{
    float s = 0.0f;
    for (int j = 0; j < n; j++)
        s += x[j] * px[j];
    return alpha + s;
}

void scl_ref_owm_projector(float *proj, const float *in, int rows, int n, float alpha)
{
    float *x = calloc((size_t)n, sizeof(float)), *px = calloc((size_t)n, sizeof(float));
    scl_ref_col_mean(in, rows, n, x);
    scl_ref_matvec(proj, x, n, px);
    float d = scl_ref_owm_denom(x, px, n, alpha);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            proj[i * n + j] -= px[i] * px[j] / d;
    free(x);
    free(px);
}

/* OWM's update of layer l: the plain update with the input batch A replaced by A P (double
 * sums), then the projector from the batch-mean input. */
static void owm_update_ref(scl_model *m, float *v, const float *grad, const float *in, int l,
                           int rows, const struct scl_train_params *p, float lr, float *proj)
{
    int ni = m->sizes[l - 1];
    float *ap = calloc((size_t)rows * (size_t)ni, sizeof(float));
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < ni; j++) {
            double s = 0.0;
            for (int k = 0; k < ni; k++)
                s += (double)in[r * ni + k] * (double)proj[k * ni + j];
            ap[r * ni + j] = (float)s;
        }
    update_ref(m, v, grad, ap, l, rows, p, lr);
    scl_ref_owm_projector(proj, in, rows, ni, p->owm_alpha);
    free(ap);
}

/* One step; with proj (OWM) each layer's update is projected and its projector updated. */
static void train_step_ref(scl_model *m, float **momentum, float **proj, const float *x,
                           const int *y, int rows, const struct scl_train_params *p, float lr,
                           uint32_t step)
{
    int L = m->n_layers, k = m->sizes[L];
    float keep = p->dropout_mode == SCL_DROPOUT_INVERTED ? 1.0f / (1.0f - p->dropout) : 1.0f;
    float *act[SCL_MAX_LAYERS + 1] = {0}, *grad[SCL_MAX_LAYERS + 1] = {0};
    for (int l = 0; l <= L; l++) {
        act[l] = calloc((size_t)rows * (size_t)m->sizes[l], sizeof(float));
        grad[l] = calloc((size_t)rows * (size_t)m->sizes[l], sizeof(float));
    }
    memcpy(act[0], x, sizeof(float) * (size_t)rows * (size_t)m->sizes[0]);
    forward_ref(m, p, act, rows, step);
    float *losses = calloc((size_t)rows, sizeof(float));
    float norm = 1.0f / (float)rows / (p->loss == SCL_LOSS_BCE ? (float)k : 1.0f);
    scl_ref_loss_grad(act[L], y, rows, k, (int)p->output, (int)p->loss, norm, grad[L], losses);
    for (int l = L; l >= 1; l--) {
        float *v = momentum ? momentum[l - 1] : NULL;
        if (l >= 2)
            backprop_ref(m, grad[l], act[l - 1], grad[l - 1], l, rows, keep);
        if (proj)
            owm_update_ref(m, v, grad[l], act[l - 1], l, rows, p, lr, proj[l - 1]);
        else
            update_ref(m, v, grad[l], act[l - 1], l, rows, p, lr);
    }
    for (int l = 0; l <= L; l++) {
        free(act[l]);
        free(grad[l]);
    }
    free(losses);
}

void scl_ref_train_step(scl_model *m, float **momentum, const float *x, const int *y, int rows,
                        const struct scl_train_params *p, float lr, uint32_t step)
{
    train_step_ref(m, momentum, NULL, x, y, rows, p, lr, step);
}

void scl_ref_train_step_owm(scl_model *m, float **momentum, float **proj, const float *x,
                            const int *y, int rows, const struct scl_train_params *p, float lr,
                            uint32_t step)
{
    train_step_ref(m, momentum, proj, x, y, rows, p, lr, step);
}

/* ---------------------------------------------------------------- continual-learning methods */

void scl_ref_square(float *dst, const float *src, int n)
{
    for (int i = 0; i < n; i++)
        dst[i] = src[i] * src[i];
}

void scl_ref_penalty_step(float *w, float *v, const float *g, const float *imp, const float *anchor,
                          float *omega, int n, float lr, float mu, float strength, float cap,
                          int track)
{
    for (int i = 0; i < n; i++) {
        float s = fminf(strength * imp[i], cap);
        float gt = g[i] + s * (w[i] - anchor[i]);
        float dw;
        if (mu > 0.0f) {
            v[i] = lr * gt + mu * v[i];
            dw = -v[i];
        } else {
            dw = -(lr * gt);
        }
        w[i] += dw;
        if (track)
            omega[i] -= g[i] * dw;
    }
}

void scl_ref_ewc_consolidate(float *imp, float *anchor, const float *fk, const float *w, int n,
                             float gamma, int online)
{
    for (int i = 0; i < n; i++) {
        if (online) {
            imp[i] = gamma * imp[i] + fk[i];
            anchor[i] = w[i];
            continue;
        }
        float f = imp[i] + fk[i];
        if (imp[i] == 0.0f)
            anchor[i] = w[i];
        else if (fk[i] > 0.0f)
            anchor[i] = (imp[i] * anchor[i] + fk[i] * w[i]) / f;
        imp[i] = f;
    }
}

void scl_ref_si_consolidate(float *imp, float *anchor, float *omega, const float *w, int n,
                            float xi)
{
    for (int i = 0; i < n; i++) {
        float d = w[i] - anchor[i];
        imp[i] += omega[i] / (d * d + xi);
        omega[i] = 0.0f;
        anchor[i] = w[i];
    }
}

/* Test-mode forward of one sample in double: act[l][0..sizes[l]), act[L] = z. */
static void forward_one_d(const scl_model *m, const float *x, double **act)
{
    for (int j = 0; j < m->sizes[0]; j++)
        act[0][j] = x[j];
    for (int l = 1; l <= m->n_layers; l++)
        for (int i = 0; i < m->sizes[l]; i++) {
            double s = 0.0;
            for (int j = 0; j < m->sizes[l - 1]; j++)
                s += (double)m->w[l - 1][i * m->sizes[l - 1] + j] * act[l - 1][j];
            act[l][i] = l < m->n_layers ? (s > 0.0 ? s * (double)m->act_scale : 0.0) : s;
        }
}

/* The predicted class of output row z (ReLU outputs compared after the ReLU; lowest index). */
static int predict_d(const double *z, int k, int output)
{
    int best = 0;
    for (int j = 1; j < k; j++) {
        double v = output == SCL_OUTPUT_RELU ? fmax(z[j], 0.0) : z[j];
        double b = output == SCL_OUTPUT_RELU ? fmax(z[best], 0.0) : z[best];
        if (v > b)
            best = j;
    }
    return best;
}

/* Add (1/rows) (dz_l a_{l-1})^2 to fisher for every layer, top-down, for one sample. */
static void fisher_one(const scl_model *m, double **act, double **grad, double **fisher, int rows)
{
    for (int l = m->n_layers; l >= 1; l--) {
        int no = m->sizes[l], ni = m->sizes[l - 1];
        for (int i = 0; i < no; i++)
            for (int j = 0; j < ni; j++) {
                double g = grad[l][i] * act[l - 1][j];
                fisher[l - 1][i * ni + j] += g * g / rows;
            }
        for (int j = 0; l >= 2 && j < ni; j++) {
            double s = 0.0;
            for (int i = 0; i < no; i++)
                s += grad[l][i] * (double)m->w[l - 1][i * ni + j];
            grad[l - 1][j] = act[l - 1][j] > 0.0 ? s * (double)m->act_scale : 0.0;
        }
    }
}

void scl_ref_fisher(const scl_model *m, const struct scl_train_params *p, const float *x, int rows,
                    double **fisher)
{
    int L = m->n_layers, k = m->sizes[L];
    double *act[SCL_MAX_LAYERS + 1], *grad[SCL_MAX_LAYERS + 1];
    for (int l = 0; l <= L; l++) {
        act[l] = calloc((size_t)m->sizes[l], sizeof(double));
        grad[l] = calloc((size_t)m->sizes[l], sizeof(double));
    }
    for (int l = 0; l < L; l++)
        memset(fisher[l], 0, sizeof(double) * (size_t)m->sizes[l] * (size_t)m->sizes[l + 1]);
    for (int r = 0; r < rows; r++) {
        forward_one_d(m, x + (size_t)r * (size_t)m->sizes[0], act);
        int label = predict_d(act[L], k, (int)p->output);
        scl_ref_loss_grad_d(act[L], k, label, (int)p->output, (int)p->loss, grad[L]);
        fisher_one(m, act, grad, fisher, rows);
    }
    for (int l = 0; l <= L; l++) {
        free(act[l]);
        free(grad[l]);
    }
}
