/*
 * Wake phase: SGD training of a bias-free ReLU network on the device (docs/METHOD.md section 1).
 *
 * One step: gather the shuffled batch, forward (GEMM + ReLU/dropout per layer), loss gradient at
 * the output, then for each layer from the top: the input gradient with the weights before their
 * update (GEMM), the ReLU backward, and the weight update folded into the weight-gradient GEMM
 * (W += -lr * dZ^T A with beta = 1; with momentum V = lr * dZ^T A + mu * V, then W -= V).
 * The dataset stays on the device; per-sample losses accumulate in a device buffer read once per
 * epoch, so no host round trip happens per batch. The shuffle is a Fisher-Yates permutation drawn
 * from the project generator (purpose SCL_RNG_SHUFFLE, step = epoch), uploaded once per epoch.
 * The continual-learning methods (methods.c) hook in at three places: the update of a layer
 * (penalties, OWM), the rows of a step (rehearsal's memory after the batch's own) and the
 * trainer's buffers; with method SGD the step is exactly the plain one.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "scl_contract.h" /* SCL_K_MAX_OUTPUTS: the loss kernel's row arrays */
#include "trainer.h"

_Static_assert(SCL_K_MAX_OUTPUTS >= SCL_MAX_CLASSES, "the loss kernel holds every class's output");

struct scl_train_params scl_train_default_params(void)
{
    struct scl_train_params p = {0};
    p.output = SCL_OUTPUT_SOFTMAX;
    p.loss = SCL_LOSS_BCE;
    p.lr = 0.06f;
    p.batch = 64;
    p.epochs = 5;
    p.dropout = 0.25f;
    p.dropout_mode = SCL_DROPOUT_INVERTED;
    p.init = SCL_INIT_FAN_IN;
    p.init_a = 0.01f;
    p.finetune_lr = 0.02f;
    p.finetune_epochs = 1;
    p.seed = 1;
    p.method = SCL_METHOD_SGD;
    p.ewc_lambda = 100.0f;
    p.ewc_gamma = 1.0f;
    p.si_c = 1.0f;
    p.si_xi = 0.1f;
    p.replay_batch = 10;
    p.owm_alpha = 1.0f;
    p.optimizer = SCL_OPTIMIZER_SGD;
    p.adam_beta1 = 0.9f;
    p.adam_beta2 = 0.999f;
    p.adam_eps = 1e-8f;
    return p;
}

struct scl_train_params scl_train_ref2022_params(void)
{
    struct scl_train_params p = scl_train_default_params();
    p.output = SCL_OUTPUT_RELU;
    p.loss = SCL_LOSS_MSE;
    p.lr = 0.1f;
    p.momentum = 0.5f;
    p.batch = 100;
    p.epochs = 2;
    p.dropout_mode = SCL_DROPOUT_TEST_SCALE;
    p.init = SCL_INIT_UNIFORM;
    p.finetune_epochs = 0; /* the 2022 reference code does not fine-tune */
    return p;
}

scl_status scl_model_init(scl_model *m, const struct scl_train_params *p)
{
    for (int32_t l = 0; l < m->n_layers; l++) {
        float a = p->init == SCL_INIT_UNIFORM ? p->init_a : 1.0f / sqrtf((float)m->sizes[l]);
        size_t n = (size_t)m->sizes[l + 1] * (size_t)m->sizes[l];
        for (size_t q = 0; q < (n + 3) / 4; q++) {
            uint32_t w[4];
            scl_rng_words(p->seed, SCL_RNG_INIT, (uint32_t)q, 0, (uint32_t)l, w);
            for (size_t j = 0; j < 4 && 4 * q + j < n; j++)
                m->w[l][4 * q + j] = a * (2.0f * scl_rng_u01(w[j]) - 1.0f);
        }
    }
    m->output = (int32_t)p->output;
    m->act_scale = p->dropout_mode == SCL_DROPOUT_TEST_SCALE ? 1.0f - p->dropout : 1.0f;
    m->seed = p->seed;
    return SCL_OK;
}

/* ------------------------------------------------------------------ device datasets */

scl_status scl_ddata_create(scl_ctx *ctx, const scl_dataset *ds, scl_ddata **out)
{
    scl_ctx_clear_error(ctx);
    scl_ddata *d = scl_calloc(1, sizeof(*d));
    *out = NULL;
    if (!d)
        return SCL_ERR_NOMEM;
    d->ctx = ctx;
    d->n = ds->n;
    d->dim = ds->dim;
    d->labels = ds->y;
    for (int32_t i = 0; i < ds->n; i++)
        if (ds->y[i] >= d->n_classes)
            d->n_classes = ds->y[i] + 1;
    scl_status st =
        scl_buf_create(ctx, sizeof(float) * (size_t)ds->n * (size_t)ds->dim, ds->x, &d->x);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, (size_t)ds->n, ds->y, &d->y);
    if (st != SCL_OK) {
        scl_ddata_destroy(d);
        return st;
    }
    *out = d;
    return SCL_OK;
}

void scl_ddata_destroy(scl_ddata *d)
{
    if (!d)
        return;
    scl_buf_release(&d->x);
    scl_buf_release(&d->y);
    scl_free(d);
}

/* ------------------------------------------------------------------ trainer */

static scl_status trainer_buffers(scl_trainer *t)
{
    scl_status st = SCL_OK;
    const int32_t *s = t->net.sizes;
    for (int32_t l = 1; st == SCL_OK && l <= t->net.n_layers; l++)
        st = scl_buf_create(t->ctx, sizeof(float) * (size_t)t->rows * (size_t)s[l], NULL,
                            &t->grad[l]);
    for (int32_t l = 0; st == SCL_OK && t->p.momentum > 0.0f && l < t->net.n_layers; l++) {
        size_t bytes = sizeof(float) * (size_t)s[l + 1] * (size_t)s[l];
        st = scl_buf_create(t->ctx, bytes, NULL, &t->v[l]);
        if (st == SCL_OK)
            st = scl_buf_fill_zero(t->ctx, t->v[l], bytes);
    }
    for (int32_t l = 0; st == SCL_OK && t->p.optimizer == SCL_OPTIMIZER_ADAM && l < t->net.n_layers;
         l++) {
        size_t bytes = sizeof(float) * (size_t)s[l + 1] * (size_t)s[l];
        cl_mem *bufs[] = {&t->adam_g[l], &t->adam_m[l], &t->adam_v[l]};
        for (int i = 0; st == SCL_OK && i < 3; i++) {
            st = scl_buf_create(t->ctx, bytes, NULL, bufs[i]);
            if (st == SCL_OK)
                st = scl_buf_fill_zero(t->ctx, *bufs[i], bytes);
        }
    }
    if (st == SCL_OK)
        st = scl_buf_create(t->ctx, sizeof(cl_int) * (size_t)t->rows, NULL, &t->yb);
    return st;
}

/* The chosen method's parameters (and only its: SGD reads none), named as the config keys that
 * set them. */
static scl_status check_method(scl_ctx *ctx, const struct scl_train_params *p)
{
    scl_method m = p->method;
    bool ewc = m == SCL_METHOD_EWC || m == SCL_METHOD_ONLINE_EWC;
    if ((unsigned)m > SCL_METHOD_ICARL)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "train: unknown method %d", (int)m);
    if ((unsigned)p->optimizer > SCL_OPTIMIZER_ADAM)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "train: unknown optimizer %d", (int)p->optimizer);
    if (p->optimizer == SCL_OPTIMIZER_ADAM &&
        (scl_method_own_update(p) || p->momentum > 0.0f || !(p->adam_beta1 >= 0.0f) ||
         !(p->adam_beta1 < 1.0f) || !(p->adam_beta2 >= 0.0f) || !(p->adam_beta2 < 1.0f) ||
         !(p->adam_eps > 0.0f)))
        return scl_ctx_fail(ctx, SCL_ERR_ARG,
                            "train: optimizer adam needs a method without its own update, "
                            "momentum 0, betas in [0, 1) and eps > 0");
    if (ewc && !(p->ewc_lambda >= 0.0f && p->ewc_gamma >= 0.0f && p->ewc_gamma <= 1.0f))
        return scl_ctx_fail(ctx, SCL_ERR_ARG,
                            "train: ewc_lambda must be >= 0, ewc_gamma in [0, 1] (got %g, %g)",
                            (double)p->ewc_lambda, (double)p->ewc_gamma);
    if (m == SCL_METHOD_SI && !(p->si_c >= 0.0f && p->si_xi > 0.0f))
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "train: si_c must be >= 0, si_xi > 0 (got %g, %g)",
                            (double)p->si_c, (double)p->si_xi);
    if (m == SCL_METHOD_OWM && !(p->owm_alpha > 0.0f))
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "train: owm_alpha must be > 0 (got %g)",
                            (double)p->owm_alpha);
    if (m == SCL_METHOD_REHEARSAL && (p->replay_batch < 1 || p->replay_batch > 65536))
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "train: replay_batch must be in 1..65536 (got %d)",
                            p->replay_batch);
    return SCL_OK;
}

scl_status scl_trainer_create(scl_ctx *ctx, const scl_model *m, const struct scl_train_params *p,
                              scl_trainer **out)
{
    scl_ctx_clear_error(ctx);
    *out = NULL;
    if (p->batch < 1 || !(p->lr > 0.0f) || p->dropout < 0.0f || p->dropout >= 1.0f)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "train: batch, lr or dropout out of range");
    if (m->sizes[m->n_layers] > SCL_K_MAX_OUTPUTS)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "train: at most %d output units (got %d)",
                            SCL_K_MAX_OUTPUTS, m->sizes[m->n_layers]);
    scl_status st = check_method(ctx, p);
    if (st != SCL_OK)
        return st;
    scl_trainer *t = scl_calloc(1, sizeof(*t));
    if (!t)
        return SCL_ERR_NOMEM;
    t->ctx = ctx;
    t->p = *p;
    t->rows = p->batch + (p->method == SCL_METHOD_REHEARSAL ? p->replay_batch : 0);
    st = scl_net_init(&t->net, ctx, m, t->rows, p->gemm);
    if (st == SCL_OK)
        st = trainer_buffers(t);
    if (st == SCL_OK)
        st = scl_method_buffers(t, m);
    if (st != SCL_OK) {
        scl_trainer_destroy(t);
        return st;
    }
    *out = t;
    return SCL_OK;
}

void scl_trainer_destroy(scl_trainer *t)
{
    if (!t)
        return;
    scl_method_release(t);
    scl_buf_release(&t->losses);
    scl_buf_release(&t->perm);
    scl_buf_release(&t->yb);
    for (int32_t l = 0; l <= SCL_MAX_LAYERS; l++)
        scl_buf_release(&t->grad[l]);
    for (int32_t l = 0; l < SCL_MAX_LAYERS; l++) {
        scl_buf_release(&t->v[l]);
        scl_buf_release(&t->adam_g[l]);
        scl_buf_release(&t->adam_m[l]);
        scl_buf_release(&t->adam_v[l]);
    }
    scl_net_release(&t->net);
    scl_free(t);
}

scl_status scl_trainer_get_model(scl_trainer *t, scl_model *m)
{
    scl_ctx_clear_error(t->ctx);
    return scl_net_download(&t->net, m);
}

scl_status scl_trainer_set_model(scl_trainer *t, const scl_model *m)
{
    scl_ctx_clear_error(t->ctx);
    return scl_net_upload(&t->net, m);
}

static float keep_scale(const struct scl_train_params *p)
{
    return p->dropout_mode == SCL_DROPOUT_INVERTED ? 1.0f / (1.0f - p->dropout) : 1.0f;
}

void scl_shuffle(int32_t *perm, int32_t n, uint32_t seed, uint32_t epoch)
{
    scl_shuffle_stream(perm, n, seed, epoch, 0);
}

void scl_shuffle_stream(int32_t *perm, int32_t n, uint32_t seed, uint32_t epoch, uint32_t stream)
{
    for (int32_t i = 0; i < n; i++)
        perm[i] = i;
    for (int32_t i = n - 1; i > 0; i--) {
        uint32_t w[4];
        scl_rng_words(seed, SCL_RNG_SHUFFLE, (uint32_t)i, epoch, stream, w);
        uint64_t wide = (uint64_t)w[0] << 32 | w[1];
        int32_t j = (int32_t)(wide % (uint64_t)(i + 1));
        int32_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
}

scl_status scl_train_gather(scl_trainer *t, const scl_ddata *d, cl_mem perm, int32_t start,
                            int32_t rows, int32_t off)
{
    cl_kernel k;
    scl_status st = scl_kernel_get(t->ctx, "scl_gather_rows", &k);
    if (st != SCL_OK)
        return st;
    if (!SCL_ARG(t->ctx, k, 0, d->x) || !SCL_ARG(t->ctx, k, 1, d->y) ||
        !SCL_ARG(t->ctx, k, 2, perm) || !SCL_ARG(t->ctx, k, 3, start) ||
        !SCL_ARG(t->ctx, k, 4, d->dim) || !SCL_ARG(t->ctx, k, 5, t->net.act[0]) ||
        !SCL_ARG(t->ctx, k, 6, t->yb) || !SCL_ARG(t->ctx, k, 7, off))
        return SCL_ERR_OPENCL;
    const size_t global[2] = {(size_t)d->dim, (size_t)rows};
    return scl_kernel_run(t->ctx, k, 2, global, NULL);
}

/* The training loss's normalisation: the mean over the batch (and over the outputs for BCE,
 * the frameworks' default). */
static float loss_norm(const scl_trainer *t, int32_t rows)
{
    float norm = 1.0f / (float)rows;
    if (t->p.loss == SCL_LOSS_BCE)
        norm /= (float)t->net.sizes[t->net.n_layers];
    return norm;
}

scl_status scl_train_loss_grad(scl_trainer *t, int32_t rows, int32_t loss_off, float norm)
{
    int32_t L = t->net.n_layers, k = t->net.sizes[L];
    int output = (int)t->p.output, loss = (int)t->p.loss;
    const struct scl_karg a[] = {
        SCL_KARG(t->net.act[L]), SCL_KARG(t->yb),   SCL_KARG(rows), SCL_KARG(k),
        SCL_KARG(output),        SCL_KARG(loss),    SCL_KARG(norm), SCL_KARG(t->grad[L]),
        SCL_KARG(t->losses),     SCL_KARG(loss_off)};
    return scl_launch(t->ctx, "scl_loss_grad", (size_t)rows, a, 10);
}

/* Input gradient of layer l (1-based, l >= 2): grad[l-1] = relu'(act[l-1]) * (grad[l] W_l),
 * relu' being `slope` where the unit is active (the dropout's keep scale in training). */
scl_status scl_train_backprop(scl_trainer *t, int32_t l, int32_t rows, float slope)
{
    struct scl_gemm_args g = {0};
    g.m = (size_t)rows;
    g.n = (size_t)t->net.sizes[l - 1];
    g.k = (size_t)t->net.sizes[l];
    g.alpha = 1.0f;
    g.a = t->grad[l];
    g.lda = g.k;
    g.b = t->net.w[l - 1];
    g.ldb = g.n;
    g.c = t->grad[l - 1];
    g.ldc = g.n;
    scl_status st = scl_gemm(t->ctx, t->net.gemm, &g);
    int n = rows * t->net.sizes[l - 1];
    const struct scl_karg a[] = {SCL_KARG(t->grad[l - 1]), SCL_KARG(t->net.act[l - 1]), SCL_KARG(n),
                                 SCL_KARG(slope)};
    if (st == SCL_OK)
        st = scl_launch(t->ctx, "scl_relu_backward", (size_t)n, a, 4);
    return st;
}

/* Adam: the weight gradient grad[l]^T in into adam_g, then the step (adam.c). */
static scl_status adam_update(scl_trainer *t, int32_t l, int32_t rows, float lr, cl_mem in)
{
    struct scl_gemm_args g = {0};
    g.trans_a = true;
    g.m = (size_t)t->net.sizes[l];
    g.n = (size_t)t->net.sizes[l - 1];
    g.k = (size_t)rows;
    g.alpha = 1.0f;
    g.a = t->grad[l];
    g.lda = g.m;
    g.b = in;
    g.ldb = g.n;
    g.c = t->adam_g[l - 1];
    g.ldc = g.n;
    scl_status st = scl_gemm(t->ctx, t->net.gemm, &g);
    if (st == SCL_OK)
        st = scl_adam_launch(t->ctx, t->net.w[l - 1], t->adam_g[l - 1], t->adam_m[l - 1],
                             t->adam_v[l - 1], (int)(g.m * g.n), &t->p, lr, t->adam_t);
    return st;
}

scl_status scl_train_update(scl_trainer *t, int32_t l, int32_t rows, float lr, cl_mem in)
{
    if (t->p.optimizer == SCL_OPTIMIZER_ADAM)
        return adam_update(t, l, rows, lr, in);
    bool momentum = t->p.momentum > 0.0f;
    struct scl_gemm_args g = {0};
    g.trans_a = true;
    g.m = (size_t)t->net.sizes[l];
    g.n = (size_t)t->net.sizes[l - 1];
    g.k = (size_t)rows;
    g.alpha = momentum ? lr : -lr;
    g.beta = momentum ? t->p.momentum : 1.0f;
    g.a = t->grad[l];
    g.lda = g.m;
    g.b = in;
    g.ldb = g.n;
    g.c = momentum ? t->v[l - 1] : t->net.w[l - 1];
    g.ldc = g.n;
    scl_status st = scl_gemm(t->ctx, t->net.gemm, &g);
    if (st != SCL_OK || !momentum)
        return st;
    int n = (int)(g.m * g.n);
    const struct scl_karg a[] = {SCL_KARG(t->net.w[l - 1]), SCL_KARG(t->v[l - 1]), SCL_KARG(n)};
    return scl_launch(t->ctx, "scl_sub_inplace", (size_t)n, a, 3);
}

/* W_l update: W -= lr * grad[l]^T act[l-1], or through the momentum buffer; a method may do it
 * its own way. */
static scl_status update_weights(scl_trainer *t, int32_t l, int32_t rows, float lr)
{
    if (scl_method_own_update(&t->p))
        return scl_method_update(t, l, rows, lr);
    return scl_train_update(t, l, rows, lr, t->net.act[l - 1]);
}

/* One SGD step on the batch at positions [start, start + rows) of the epoch's permutation,
 * with the rehearsal memory's samples of this step after them (rows becomes their sum; the
 * memory rows' losses land past the batch's own, where the next batch overwrites them). */
static scl_status train_step(scl_trainer *t, const scl_ddata *d, int32_t start, int32_t rows,
                             float lr)
{
    struct scl_dropout drop = {t->p.dropout, keep_scale(&t->p), t->p.seed, t->step++};
    t->adam_t++; /* Adam's bias corrections count steps across fits */
    int32_t added = 0;
    scl_status st = scl_train_gather(t, d, t->perm, start, rows, 0);
    if (st == SCL_OK && t->mem)
        st = scl_method_gather_memory(t, start / t->p.batch, rows, &added);
    rows += added;
    if (st == SCL_OK)
        st = scl_net_forward(&t->net, NULL, 0, rows, &drop, 1.0f);
    if (st == SCL_OK && t->p.method == SCL_METHOD_ICARL) /* summed over the outputs */
        st = scl_method_distill_grad(t, d, start, rows, 1.0f / (float)rows);
    else if (st == SCL_OK)
        st = scl_train_loss_grad(t, rows, start, loss_norm(t, rows));
    for (int32_t l = t->net.n_layers; st == SCL_OK && l >= 1; l--) {
        if (l >= 2)
            st = scl_train_backprop(t, l, rows, keep_scale(&t->p));
        if (st == SCL_OK)
            st = update_weights(t, l, rows, lr);
    }
    return st;
}

scl_status scl_train_capacity(scl_trainer *t, int32_t n)
{
    if (n <= t->capacity)
        return SCL_OK;
    scl_buf_release(&t->perm);
    scl_buf_release(&t->losses);
    t->capacity = 0;
    scl_status st = scl_buf_create(t->ctx, sizeof(cl_int) * (size_t)n, NULL, &t->perm);
    if (st == SCL_OK)
        st = scl_buf_create(t->ctx, sizeof(float) * (size_t)n, NULL, &t->losses);
    if (st == SCL_OK)
        t->capacity = n;
    return st;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One epoch; the mean loss goes to *loss. perm and losses are host scratch of d->n entries. */
static scl_status run_epoch(scl_trainer *t, const scl_ddata *d, float lr, int32_t *perm,
                            float *losses, double *loss)
{
    if (t->mem) {
        scl_status st = scl_method_epoch(t, d->n, t->epoch);
        if (st != SCL_OK)
            return st;
    }
    scl_shuffle(perm, d->n, t->p.seed, t->epoch++);
    scl_status st = scl_buf_write(t->ctx, t->perm, 0, sizeof(int32_t) * (size_t)d->n, perm);
    for (int32_t start = 0; st == SCL_OK && start < d->n; start += t->p.batch) {
        int32_t rows = d->n - start < t->p.batch ? d->n - start : t->p.batch;
        st = train_step(t, d, start, rows, lr);
    }
    if (st == SCL_OK)
        st = scl_buf_read(t->ctx, t->losses, 0, sizeof(float) * (size_t)d->n, losses);
    double sum = 0.0;
    for (int32_t i = 0; st == SCL_OK && i < d->n; i++)
        sum += (double)losses[i];
    /* Report what the frameworks report: BCE is a mean over the outputs as well. */
    *loss = sum / (double)d->n / (t->p.loss == SCL_LOSS_BCE ? t->net.sizes[t->net.n_layers] : 1);
    if (st == SCL_OK && !isfinite(*loss))
        st = scl_ctx_fail(t->ctx, SCL_ERR_NUMERIC, "train: loss is %g after epoch %u (lr %g)",
                          *loss, t->epoch, (double)lr);
    return st;
}

/* `epochs` epochs at learning rate `lr`: what fit and finetune share. */
static scl_status fit_epochs(scl_trainer *t, const scl_ddata *d, int32_t epochs, float lr,
                             scl_epoch_fn cb, void *user)
{
    int32_t outputs = t->net.sizes[t->net.n_layers];
    if (d->dim != t->net.sizes[0])
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG, "train: data has %d inputs, the model %d", d->dim,
                            t->net.sizes[0]);
    if (d->n_classes > outputs) /* the one-hot target would have no unit for such a label */
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG,
                            "train: the data have labels up to %d, the model has %d outputs",
                            d->n_classes - 1, outputs);
    if (t->distill && t->distill != d)
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG,
                            "train: the distillation targets belong to other data");
    /* the memory's losses of the last batch land past the data's */
    scl_status st = scl_train_capacity(t, d->n + (t->mem ? t->p.replay_batch : 0));
    int32_t *perm = scl_alloc(sizeof(*perm) * (size_t)d->n);
    float *losses = scl_alloc(sizeof(*losses) * (size_t)d->n);
    if (!perm || !losses)
        st = SCL_ERR_NOMEM;
    for (int32_t e = 0; st == SCL_OK && e < epochs; e++) {
        struct scl_epoch_report r = {e + 1, epochs, 0.0, 0.0};
        double t0 = now_s();
        st = run_epoch(t, d, lr, perm, losses, &r.loss);
        r.seconds = now_s() - t0;
        if (st == SCL_OK && cb)
            cb(&r, user);
    }
    scl_free(perm);
    scl_free(losses);
    return st;
}

scl_status scl_trainer_fit(scl_trainer *t, const scl_ddata *d, scl_epoch_fn cb, void *user)
{
    scl_ctx_clear_error(t->ctx);
    return fit_epochs(t, d, t->p.epochs, t->p.lr, cb, user);
}

scl_status scl_trainer_finetune(scl_trainer *t, const scl_ddata *d, scl_epoch_fn cb, void *user)
{
    scl_ctx_clear_error(t->ctx);
    if (t->p.finetune_epochs > 0 && !(t->p.finetune_lr > 0.0f))
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG, "train: finetune_lr must be > 0 (got %g)",
                            (double)t->p.finetune_lr);
    return fit_epochs(t, d, t->p.finetune_epochs, t->p.finetune_lr, cb, user);
}

/* ------------------------------------------------------------------ a fresh net */

scl_status scl_model_train_new(scl_ctx *ctx, const int32_t *sizes, int32_t n_layers,
                               const struct scl_train_params *p, const scl_ddata *d,
                               scl_epoch_fn cb, void *user, scl_model **model,
                               scl_trainer **trainer)
{
    scl_ctx_clear_error(ctx);
    scl_model *m = NULL;
    scl_trainer *t = NULL;
    *model = NULL;
    if (trainer)
        *trainer = NULL;
    if (n_layers >= 1 && sizes[0] != d->dim)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "train: the net has %d inputs, the data %d", sizes[0],
                            d->dim);
    scl_status st = scl_model_create(n_layers, sizes, &m);
    if (st == SCL_OK)
        st = scl_model_init(m, p);
    if (st == SCL_OK)
        st = scl_trainer_create(ctx, m, p, &t);
    if (st == SCL_OK)
        st = scl_trainer_fit(t, d, cb, user);
    if (st == SCL_OK)
        st = scl_trainer_get_model(t, m);
    if (st != SCL_OK || !trainer) {
        scl_trainer_destroy(t);
        t = NULL;
    }
    if (st != SCL_OK) {
        scl_model_destroy(m);
        return st;
    }
    *model = m;
    if (trainer)
        *trainer = t;
    return SCL_OK;
}
