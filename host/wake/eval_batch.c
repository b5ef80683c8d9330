/*
 * Test-mode accuracy of many nets of one shape on one dataset at once, for the parameter search
 * (B slept copies of a net on its validation split). Layer 1 of all nets is one GEMM, because
 * they share the input: X [rows][n_0] times the stacked W_1 of every net [B n_1][n_0], giving
 * [rows][B n_1], net b's units in columns b n_1 ..; deeper layers are one GEMM per net on its
 * column block (the GEMM interface's offsets and leading dimensions), all through host/gemm.h.
 * Predictions are scl_evaluate's: argmax of the output, a ReLU output clamped at 0 first, ties
 * to the lowest index, computed on the host from the read-back outputs (B x rows x classes
 * floats). The products may round differently from scl_evaluate's (other GEMM shapes), so a
 * prediction at a near-tie can differ; the device test bounds how often.
 */
#include <string.h>

#include "net.h"

#define BATCH_ROWS 512 /* samples per pass: activations are rows x B x n_l floats */

struct eval_batch {
    scl_ctx *ctx;
    const scl_model *m0;
    int32_t n, rows;
    scl_gemm_engine gemm;
    cl_mem w[SCL_MAX_LAYERS];       /* w[l]: every net's W_{l+1}, net after net */
    cl_mem act[SCL_MAX_LAYERS + 1]; /* act[l]: [rows][n sizes[l]], l >= 1 */
    float *out;                     /* [rows][n k] host copy of the output layer */
};

static void batch_release(struct eval_batch *e)
{
    for (int32_t l = 0; l <= SCL_MAX_LAYERS; l++) {
        if (l < SCL_MAX_LAYERS)
            scl_buf_release(&e->w[l]);
        scl_buf_release(&e->act[l]);
    }
    scl_free(e->out);
}

static scl_status batch_check(scl_ctx *ctx, const scl_model *const *models, int32_t n,
                              const scl_ddata *d)
{
    const scl_model *m0 = models[0];
    if (m0->sizes[m0->n_layers] > SCL_MAX_CLASSES)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "eval batch: more than %d classes", SCL_MAX_CLASSES);
    scl_status st = scl_ddata_check(ctx, d, m0, "eval batch");
    if (st != SCL_OK)
        return st;
    for (int32_t b = 1; b < n; b++)
        if (models[b]->n_layers != m0->n_layers ||
            memcmp(models[b]->sizes, m0->sizes, sizeof(int32_t) * (size_t)(m0->n_layers + 1)) ||
            models[b]->output != m0->output || models[b]->act_scale != m0->act_scale)
            return scl_ctx_fail(ctx, SCL_ERR_ARG,
                                "eval batch: model %d differs from model 0 in shape, output or "
                                "act_scale",
                                (int)b);
    return SCL_OK;
}

static scl_status batch_upload(struct eval_batch *e, const scl_model *const *models)
{
    scl_status st = SCL_OK;
    for (int32_t l = 0; l < e->m0->n_layers && st == SCL_OK; l++) {
        const size_t per = sizeof(float) * (size_t)e->m0->sizes[l] * (size_t)e->m0->sizes[l + 1];
        st = scl_buf_create(e->ctx, per * (size_t)e->n, NULL, &e->w[l]);
        for (int32_t b = 0; b < e->n && st == SCL_OK; b++)
            st = scl_buf_write(e->ctx, e->w[l], per * (size_t)b, per, models[b]->w[l]);
        if (st == SCL_OK)
            st = scl_buf_create(e->ctx,
                                sizeof(float) * (size_t)e->rows * (size_t)e->n *
                                    (size_t)e->m0->sizes[l + 1],
                                NULL, &e->act[l + 1]);
    }
    const int32_t k = e->m0->sizes[e->m0->n_layers];
    e->out = scl_calloc((size_t)e->rows * (size_t)e->n * (size_t)k, sizeof(float));
    return st == SCL_OK && !e->out ? SCL_ERR_NOMEM : st;
}

/* Layer l (1-based) of net b, or of every net at once for layer 1 (b < 0). */
static scl_status layer_gemm(struct eval_batch *e, const scl_ddata *d, int32_t start, int32_t rows,
                             int32_t l, int32_t b)
{
    const size_t n_in = (size_t)e->m0->sizes[l - 1], n_out = (size_t)e->m0->sizes[l];
    const size_t nets = (size_t)e->n;
    struct scl_gemm_args g = {0};
    g.trans_b = true;
    g.m = (size_t)rows;
    g.n = b < 0 ? nets * n_out : n_out;
    g.k = n_in;
    g.alpha = 1.0f;
    g.a = l == 1 ? d->x : e->act[l - 1];
    g.a_off = l == 1 ? (size_t)start * n_in : (size_t)b * n_in;
    g.lda = l == 1 ? n_in : nets * n_in;
    g.b = e->w[l - 1];
    g.b_off = b < 0 ? 0 : (size_t)b * n_out * n_in;
    g.ldb = n_in;
    g.c = e->act[l];
    g.c_off = b < 0 ? 0 : (size_t)b * n_out;
    g.ldc = nets * n_out;
    return scl_gemm(e->ctx, e->gemm, &g);
}

static scl_status batch_forward(struct eval_batch *e, const scl_ddata *d, int32_t start,
                                int32_t rows)
{
    const int32_t L = e->m0->n_layers;
    scl_status st = layer_gemm(e, d, start, rows, 1, -1);
    for (int32_t l = 1; l <= L && st == SCL_OK; l++) {
        for (int32_t b = 0; l > 1 && b < e->n && st == SCL_OK; b++)
            st = layer_gemm(e, d, start, rows, l, b);
        if (st == SCL_OK && l < L) { /* test-mode ReLU of every net's block at once */
            int count = rows * e->n * e->m0->sizes[l];
            float scale = e->m0->act_scale;
            const struct scl_karg a[] = {SCL_KARG(e->act[l]), SCL_KARG(count), SCL_KARG(scale)};
            st = scl_launch(e->ctx, "scl_relu_scale", (size_t)count, a, 3);
        }
    }
    return st;
}

/* scl_predict's argmax of net b's output row r, on the host copy. */
static int32_t predict(const struct eval_batch *e, int32_t r, int32_t b)
{
    const int32_t k = e->m0->sizes[e->m0->n_layers];
    const float *z = e->out + ((size_t)r * (size_t)e->n + (size_t)b) * (size_t)k;
    const int relu = e->m0->output == SCL_OUTPUT_RELU;
    int32_t best = 0;
    float bv = relu && z[0] < 0.0f ? 0.0f : z[0];
    for (int32_t j = 1; j < k; j++) {
        float v = relu && z[j] < 0.0f ? 0.0f : z[j];
        if (v > bv) {
            bv = v;
            best = j;
        }
    }
    return best;
}

static scl_status batch_count(struct eval_batch *e, const scl_ddata *d, int32_t start, int32_t rows,
                              int64_t *correct)
{
    const int32_t L = e->m0->n_layers, k = e->m0->sizes[L];
    scl_status st = scl_buf_read(e->ctx, e->act[L], 0,
                                 sizeof(float) * (size_t)rows * (size_t)e->n * (size_t)k, e->out);
    for (int32_t r = 0; r < rows && st == SCL_OK; r++)
        for (int32_t b = 0; b < e->n; b++)
            correct[b] += predict(e, r, b) == d->labels[start + r];
    return st;
}

scl_status scl_evaluate_batch(scl_ctx *ctx, const scl_model *const *models, int32_t n,
                              const scl_ddata *d, scl_gemm_engine gemm, double *accuracy)
{
    scl_ctx_clear_error(ctx);
    struct eval_batch e;
    if (!models || n < 1 || !d || d->n < 1)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "eval batch: no models or no data");
    scl_status st = batch_check(ctx, models, n, d);
    int64_t *correct = scl_calloc((size_t)n, sizeof(*correct));
    memset(&e, 0, sizeof(e));
    e.ctx = ctx;
    e.m0 = models[0];
    e.n = n;
    e.rows = d->n < BATCH_ROWS ? d->n : BATCH_ROWS;
    e.gemm = gemm;
    if (st == SCL_OK)
        st = correct ? batch_upload(&e, models) : SCL_ERR_NOMEM;
    for (int32_t start = 0; st == SCL_OK && start < d->n; start += e.rows) {
        const int32_t rows = d->n - start < e.rows ? d->n - start : e.rows;
        st = batch_forward(&e, d, start, rows);
        if (st == SCL_OK)
            st = batch_count(&e, d, start, rows, correct);
    }
    for (int32_t b = 0; b < n && st == SCL_OK; b++)
        accuracy[b] = (double)correct[b] / d->n;
    if (st == SCL_ERR_NOMEM)
        scl_ctx_fail(ctx, st, "eval batch: no memory for %d nets", (int)n);
    scl_free(correct);
    batch_release(&e);
    return st;
}
