/*
 * Evaluation in test mode: a forward pass over a device dataset in chunks (no dropout, hidden
 * activations times the model's act_scale), predictions by argmax on the device and read back
 * once; accuracy, per-class accuracy, confusion matrix and task accuracy are counted on the host.
 * The same chunked pass gives the per-layer activation maxima that the sleep's scale factors
 * need (docs/METHOD.md section 2).
 */
#include <math.h>
#include <string.h>

#include "net.h"

#define EVAL_CHUNK 1000

/* Called after the forward pass of each chunk. */
typedef scl_status (*chunk_fn)(struct scl_net *net, int32_t start, int32_t rows, void *user);

static scl_status for_each_chunk(scl_ctx *ctx, const scl_model *m, const scl_ddata *d,
                                 scl_gemm_engine gemm, chunk_fn fn, void *user)
{
    int32_t n = d->n, dim = d->dim;
    cl_mem x = d->x;
    struct scl_net net;
    if (dim != m->sizes[0])
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "eval: data has %d inputs, the model %d", dim,
                            m->sizes[0]);
    scl_status st = scl_net_init(&net, ctx, m, n < EVAL_CHUNK ? n : EVAL_CHUNK, gemm);
    for (int32_t start = 0; st == SCL_OK && start < n; start += EVAL_CHUNK) {
        int32_t rows = n - start < EVAL_CHUNK ? n - start : EVAL_CHUNK;
        st = scl_net_forward(&net, x, (size_t)start * (size_t)dim, rows, NULL, m->act_scale);
        if (st == SCL_OK)
            st = fn(&net, start, rows, user);
    }
    if (st == SCL_OK)
        st = SCL_CL_OK(ctx, clFinish(ctx->queue)) ? SCL_OK : SCL_ERR_OPENCL;
    scl_net_release(&net);
    return st;
}

struct predict_state {
    cl_mem pred;
    int output;
};

static scl_status predict_chunk(struct scl_net *net, int32_t start, int32_t rows, void *user)
{
    struct predict_state *s = user;
    int32_t L = net->n_layers, k = net->sizes[L];
    const struct scl_karg a[] = {SCL_KARG(net->act[L]), SCL_KARG(rows),    SCL_KARG(k),
                                 SCL_KARG(s->output),   SCL_KARG(s->pred), SCL_KARG(start)};
    return scl_launch(net->ctx, "scl_predict", (size_t)rows, a, 6);
}

static void count_results(struct scl_eval *e, const uint8_t *labels)
{
    int32_t correct = 0, total[SCL_MAX_CLASSES] = {0}, hit[SCL_MAX_CLASSES] = {0};
    for (int32_t i = 0; i < e->n; i++) {
        int32_t t = labels[i], p = e->pred[i];
        correct += t == p;
        total[t]++;
        hit[t] += t == p;
        if (p >= 0 && p < e->n_classes)
            e->confusion[t * e->n_classes + p]++;
    }
    e->accuracy = e->n ? (double)correct / e->n : (double)NAN;
    for (int32_t c = 0; c < e->n_classes; c++)
        e->class_accuracy[c] = total[c] ? (double)hit[c] / total[c] : (double)NAN;
}

scl_status scl_evaluate(scl_ctx *ctx, const scl_model *m, const scl_ddata *d, scl_gemm_engine gemm,
                        struct scl_eval *out)
{
    scl_ctx_clear_error(ctx);
    int32_t n = d->n;
    memset(out, 0, sizeof(*out));
    out->n = n;
    out->n_classes = m->sizes[m->n_layers];
    if (out->n_classes > SCL_MAX_CLASSES)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "eval: more than %d classes", SCL_MAX_CLASSES);
    scl_status checked = scl_ddata_check(ctx, d, m, "eval");
    if (checked != SCL_OK)
        return checked;
    out->pred = scl_calloc((size_t)n, sizeof(*out->pred));
    out->confusion =
        scl_calloc((size_t)out->n_classes * (size_t)out->n_classes, sizeof(*out->confusion));
    struct predict_state s = {NULL, (int)m->output};
    scl_status st = (!out->pred || !out->confusion) ? SCL_ERR_NOMEM : SCL_OK;
    if (st == SCL_OK)
        st = scl_buf_create(ctx, sizeof(cl_int) * (size_t)n, NULL, &s.pred);
    if (st == SCL_OK)
        st = for_each_chunk(ctx, m, d, gemm, predict_chunk, &s);
    if (st == SCL_OK)
        st = scl_buf_read(ctx, s.pred, 0, sizeof(cl_int) * (size_t)n, out->pred);
    scl_buf_release(&s.pred);
    if (st == SCL_OK)
        count_results(out, d->labels);
    else
        scl_eval_free(out);
    return st;
}

void scl_eval_free(struct scl_eval *e)
{
    if (!e)
        return;
    scl_free(e->pred);
    scl_free(e->confusion);
    e->pred = NULL;
    e->confusion = NULL;
}

double scl_eval_task_accuracy(const struct scl_eval *e, const uint8_t *labels,
                              const int32_t *classes, int32_t n)
{
    int32_t total = 0, hit = 0;
    for (int32_t i = 0; i < e->n; i++) {
        bool in = false;
        for (int32_t c = 0; c < n && !in; c++)
            in = labels[i] == classes[c];
        total += in;
        hit += in && e->pred[i] == labels[i];
    }
    return total ? (double)hit / total : (double)NAN;
}

static scl_status max_chunk(struct scl_net *net, int32_t start, int32_t rows, void *user)
{
    cl_mem bits = user;
    scl_status st = SCL_OK;
    (void)start;
    for (int32_t l = 1; st == SCL_OK && l <= net->n_layers; l++) {
        int32_t cols = net->sizes[l], slot = l - 1;
        const struct scl_karg a[] = {SCL_KARG(net->act[l]), SCL_KARG(rows), SCL_KARG(cols),
                                     SCL_KARG(bits), SCL_KARG(slot)};
        st = scl_launch(net->ctx, "scl_row_max", (size_t)rows, a, 5);
    }
    return st;
}

scl_status scl_model_activation_max(scl_ctx *ctx, const scl_model *m, const scl_ddata *d,
                                    scl_gemm_engine gemm, float *act_max)
{
    scl_ctx_clear_error(ctx);
    cl_mem bits = NULL;
    size_t bytes = sizeof(float) * (size_t)m->n_layers;
    scl_status st = scl_buf_create(ctx, bytes, NULL, &bits);
    if (st == SCL_OK)
        st = scl_buf_fill_zero(ctx, bits, bytes);
    if (st == SCL_OK)
        st = for_each_chunk(ctx, m, d, gemm, max_chunk, bits);
    if (st == SCL_OK)
        st = scl_buf_read(ctx, bits, 0, bytes, act_max);
    scl_buf_release(&bits);
    return st;
}

struct features_state {
    int32_t layer;
    float *out;
};

/* Layer `layer` of the chunk to out's rows start.. (a blocking read: out is the host's). */
static scl_status features_chunk(struct scl_net *net, int32_t start, int32_t rows, void *user)
{
    struct features_state *s = user;
    size_t cols = (size_t)net->sizes[s->layer];
    return scl_buf_read(net->ctx, net->act[s->layer], 0, sizeof(float) * (size_t)rows * cols,
                        s->out + (size_t)start * cols);
}

scl_status scl_model_features(scl_ctx *ctx, const scl_model *m, const scl_ddata *d,
                              scl_gemm_engine gemm, int32_t layer, float *out)
{
    scl_ctx_clear_error(ctx);
    if (layer < 1 || layer > m->n_layers)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "features: no layer %d in a %d-layer model", layer,
                            m->n_layers);
    struct features_state s = {layer, out};
    return d->n > 0 ? for_each_chunk(ctx, m, d, gemm, features_chunk, &s) : SCL_OK;
}

scl_status scl_eval_predictions(const int32_t *pred, const uint8_t *labels, int32_t n,
                                int32_t n_classes, struct scl_eval *out)
{
    memset(out, 0, sizeof(*out));
    if (n_classes < 1 || n_classes > SCL_MAX_CLASSES || n < 0)
        return SCL_ERR_ARG;
    for (int32_t i = 0; i < n; i++)
        if (labels[i] >= n_classes)
            return SCL_ERR_ARG;
    out->n = n;
    out->n_classes = n_classes;
    out->pred = scl_calloc(n > 0 ? (size_t)n : 1, sizeof(*out->pred));
    out->confusion = scl_calloc((size_t)n_classes * (size_t)n_classes, sizeof(*out->confusion));
    if (!out->pred || !out->confusion) {
        scl_eval_free(out);
        return SCL_ERR_NOMEM;
    }
    memcpy(out->pred, pred, sizeof(*pred) * (size_t)n);
    count_results(out, labels);
    return SCL_OK;
}
