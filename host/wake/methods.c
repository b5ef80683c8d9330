/*
 * Continual-learning methods in the trainer (docs/METHOD.md section 6.9): the penalty methods
 * (EWC, online EWC, SI), OWM's projected updates and rehearsal's memory. With p.method = SGD
 * none of this runs.
 *
 * Penalties. All three pull each weight towards an anchor a with a per-weight stiffness s: the
 * loss gains s (w - a)^2 / 2, s = lambda F (EWC: lambda/2 F (w - a)^2) or 2 c Omega (SI: c Omega
 * (w - a)^2). A step computes the task loss's weight gradient by a GEMM into gw, then
 * scl_penalty_step (cl/train.cl) adds the penalty's gradient, applies momentum and, for SI,
 * accumulates the path integral omega -= g dw. At a task's end scl_trainer_consolidate folds the
 * task in: EWC measures the diagonal Fisher of the task's data (per-sample squared gradients,
 * summed as (G o G)^T (A o A): one GEMM per layer and batch, no per-sample loop), SI divides its
 * path integral by the task's squared displacement.
 *
 * OWM (orthogonal weight modification, Zeng et al. 2019). Each layer keeps a projector P onto
 * the complement of the inputs it has seen (from the identity), and its update is lr G P instead
 * of lr G. With G = dZ^T A that is dZ^T (A P): one GEMM of the batch by P and the plain update
 * GEMM, not a product of G with P (12 times cheaper for 1200-unit layers at batch 100). After
 * every step P -= (P x)(P x)^T / (alpha + x.P x), x the batch-mean input of the layer.
 *
 * Rehearsal. Every step of an epoch gets replay_batch samples of the memory after its own, in
 * the order of successive shuffles of the memory (streams 1, 2, ... of the epoch's shuffle), so
 * that every stored sample is replayed equally often.
 */
#include <string.h>

#include "scl_contract.h" /* SCL_K_MAX_OUTPUTS */
#include "trainer.h"

bool scl_method_penalised(const struct scl_train_params *p)
{
    return p->method == SCL_METHOD_EWC || p->method == SCL_METHOD_ONLINE_EWC ||
           p->method == SCL_METHOD_SI;
}

bool scl_method_own_update(const struct scl_train_params *p)
{
    return scl_method_penalised(p) || p->method == SCL_METHOD_OWM;
}

static size_t wcount(const scl_trainer *t, int32_t l)
{
    return (size_t)t->net.sizes[l + 1] * (size_t)t->net.sizes[l];
}

static scl_status zeroed(scl_trainer *t, size_t bytes, cl_mem *out)
{
    scl_status st = scl_buf_create(t->ctx, bytes, NULL, out);
    return st == SCL_OK ? scl_buf_fill_zero(t->ctx, *out, bytes) : st;
}

static int32_t widest_layer(const scl_trainer *t)
{
    int32_t widest = 0;
    for (int32_t l = 0; l <= t->net.n_layers; l++)
        widest = t->net.sizes[l] > widest ? t->net.sizes[l] : widest;
    return widest;
}

/* OWM: identity projectors, the update's vectors, the projected batch (zeroed: a GEMM with
 * beta 0 may still read its output). */
static scl_status owm_buffers(scl_trainer *t)
{
    int32_t widest = widest_layer(t);
    scl_status st = zeroed(t, sizeof(float) * (size_t)t->rows * (size_t)widest, &t->sq[0]);
    for (int32_t l = 0; st == SCL_OK && l < t->net.n_layers; l++) {
        size_t n = (size_t)t->net.sizes[l];
        float *eye = scl_calloc(n * n, sizeof(float));
        for (size_t i = 0; eye && i < n; i++)
            eye[i * n + i] = 1.0f;
        st = eye ? scl_buf_create(t->ctx, sizeof(float) * n * n, eye, &t->proj[l]) : SCL_ERR_NOMEM;
        scl_free(eye);
    }
    if (st == SCL_OK)
        st = scl_buf_create(t->ctx, sizeof(float) * (size_t)widest, NULL, &t->xbar);
    if (st == SCL_OK)
        st = scl_buf_create(t->ctx, sizeof(float) * (size_t)widest, NULL, &t->px);
    if (st == SCL_OK)
        st = scl_buf_create(t->ctx, sizeof(float), NULL, &t->denom);
    return st;
}

/* iCaRL: no class old yet, and the batch's old logits. */
static scl_status icarl_buffers(scl_trainer *t)
{
    size_t k = (size_t)t->net.sizes[t->net.n_layers];
    scl_status st = zeroed(t, sizeof(cl_int) * k, &t->old_mask);
    if (st == SCL_OK)
        st = scl_buf_create(t->ctx, sizeof(float) * (size_t)t->rows * k, NULL, &t->qb);
    return st;
}

/* Stiffness 0, anchors at m's weights, gradient scratch zeroed (a GEMM with beta 0 may still
 * read it), the path integral for SI, and the Fisher's squares for EWC; OWM's projectors. */
scl_status scl_method_buffers(scl_trainer *t, const scl_model *m)
{
    scl_status st = SCL_OK;
    bool si = t->p.method == SCL_METHOD_SI;
    int32_t widest = widest_layer(t);
    if (t->p.method == SCL_METHOD_OWM)
        return owm_buffers(t);
    if (t->p.method == SCL_METHOD_ICARL)
        return icarl_buffers(t);
    if (!scl_method_penalised(&t->p))
        return SCL_OK;
    for (int32_t l = 0; st == SCL_OK && l < t->net.n_layers; l++) {
        size_t bytes = sizeof(float) * wcount(t, l);
        st = zeroed(t, bytes, &t->imp[l]);
        if (st == SCL_OK)
            st = scl_buf_create(t->ctx, bytes, m->w[l], &t->anchor[l]);
        if (st == SCL_OK)
            st = zeroed(t, bytes, &t->gw[l]);
        if (st == SCL_OK && si)
            st = zeroed(t, bytes, &t->omega[l]);
    }
    for (int i = 0; st == SCL_OK && !si && i < 2; i++)
        st = scl_buf_create(t->ctx, sizeof(float) * (size_t)t->rows * (size_t)widest, NULL,
                            &t->sq[i]);
    return st;
}

void scl_method_release(scl_trainer *t)
{
    for (int32_t l = 0; l < SCL_MAX_LAYERS; l++) {
        scl_buf_release(&t->imp[l]);
        scl_buf_release(&t->anchor[l]);
        scl_buf_release(&t->omega[l]);
        scl_buf_release(&t->gw[l]);
        scl_buf_release(&t->proj[l]);
    }
    scl_buf_release(&t->xbar);
    scl_buf_release(&t->px);
    scl_buf_release(&t->denom);
    scl_buf_release(&t->sq[0]);
    scl_buf_release(&t->sq[1]);
    scl_buf_release(&t->mem_pos);
    scl_buf_release(&t->old_mask);
    scl_buf_release(&t->old_logits);
    scl_buf_release(&t->qb);
}

/* gw[l-1] = alpha * A^T B + beta * gw[l-1] over `rows` samples, A [rows][sizes[l]] and
 * B [rows][sizes[l-1]]: the weight gradient (A = grad, B = act), or a Fisher sum (squares). */
static scl_status weight_gemm(scl_trainer *t, int32_t l, int32_t rows, cl_mem a, cl_mem b,
                              float alpha, float beta)
{
    struct scl_gemm_args g = {0};
    g.trans_a = true;
    g.m = (size_t)t->net.sizes[l];
    g.n = (size_t)t->net.sizes[l - 1];
    g.k = (size_t)rows;
    g.alpha = alpha;
    g.beta = beta;
    g.a = a;
    g.lda = g.m;
    g.b = b;
    g.ldb = g.n;
    g.c = t->gw[l - 1];
    g.ldc = g.n;
    return scl_gemm(t->ctx, t->net.gemm, &g);
}

/* P_l -= (P x)(P x)^T / (alpha + x.P x), x the mean of the batch's inputs to layer l. */
static scl_status owm_projector(scl_trainer *t, int32_t l, int32_t rows)
{
    int n = t->net.sizes[l - 1], nn = n * n;
    float alpha = t->p.owm_alpha;
    const struct scl_karg mean[] = {SCL_KARG(t->net.act[l - 1]), SCL_KARG(rows), SCL_KARG(n),
                                    SCL_KARG(t->xbar)};
    const struct scl_karg mv[] = {SCL_KARG(t->proj[l - 1]), SCL_KARG(t->xbar), SCL_KARG(n),
                                  SCL_KARG(t->px)};
    const struct scl_karg den[] = {SCL_KARG(t->xbar), SCL_KARG(t->px), SCL_KARG(n), SCL_KARG(alpha),
                                   SCL_KARG(t->denom)};
    const struct scl_karg r1[] = {SCL_KARG(t->proj[l - 1]), SCL_KARG(t->px), SCL_KARG(t->denom),
                                  SCL_KARG(n)};
    scl_status st = scl_launch(t->ctx, "scl_col_mean", (size_t)n, mean, 4);
    if (st == SCL_OK)
        st = scl_launch(t->ctx, "scl_matvec", (size_t)n, mv, 4);
    if (st == SCL_OK)
        st = scl_launch(t->ctx, "scl_owm_denom", 1, den, 5);
    if (st == SCL_OK)
        st = scl_launch(t->ctx, "scl_owm_rank1", (size_t)nn, r1, 4);
    return st;
}

/* OWM's step of layer l: the plain update with the input batch A replaced by A P, then P. */
static scl_status owm_update(scl_trainer *t, int32_t l, int32_t rows, float lr)
{
    struct scl_gemm_args g = {0};
    g.m = (size_t)rows;
    g.n = g.k = (size_t)t->net.sizes[l - 1];
    g.alpha = 1.0f;
    g.a = t->net.act[l - 1];
    g.lda = g.k;
    g.b = t->proj[l - 1];
    g.ldb = g.n;
    g.c = t->sq[0];
    g.ldc = g.n;
    scl_status st = scl_gemm(t->ctx, t->net.gemm, &g);
    if (st == SCL_OK)
        st = scl_train_update(t, l, rows, lr, t->sq[0]);
    return st == SCL_OK ? owm_projector(t, l, rows) : st;
}

scl_status scl_method_update(scl_trainer *t, int32_t l, int32_t rows, float lr)
{
    if (t->p.method == SCL_METHOD_OWM)
        return owm_update(t, l, rows, lr);
    bool si = t->p.method == SCL_METHOD_SI;
    int n = (int)wcount(t, l - 1), track = si;
    float mu = t->p.momentum, cap = 1.0f / lr;
    float strength = si ? 2.0f * t->p.si_c : t->p.ewc_lambda;
    cl_mem v = mu > 0.0f ? t->v[l - 1] : NULL, omega = si ? t->omega[l - 1] : NULL;
    scl_status st = weight_gemm(t, l, rows, t->grad[l], t->net.act[l - 1], 1.0f, 0.0f);
    const struct scl_karg a[] = {SCL_KARG(t->net.w[l - 1]),
                                 SCL_KARG(v),
                                 SCL_KARG(t->gw[l - 1]),
                                 SCL_KARG(t->imp[l - 1]),
                                 SCL_KARG(t->anchor[l - 1]),
                                 SCL_KARG(omega),
                                 SCL_KARG(n),
                                 SCL_KARG(lr),
                                 SCL_KARG(mu),
                                 SCL_KARG(strength),
                                 SCL_KARG(cap),
                                 SCL_KARG(track)};
    if (st == SCL_OK)
        st = scl_launch(t->ctx, "scl_penalty_step", (size_t)n, a, 12);
    return st;
}

/* ------------------------------------------------------------------ consolidation */

static scl_status square(scl_trainer *t, cl_mem dst, cl_mem src, int n)
{
    const struct scl_karg a[] = {SCL_KARG(dst), SCL_KARG(src), SCL_KARG(n)};
    return scl_launch(t->ctx, "scl_square", (size_t)n, a, 3);
}

/* Add scale * sum over the batch of (dL/dz_l a_{l-1})^2 to gw[l-1]: the per-sample squared
 * gradients of W_l, summed without forming them (grad[l] and act[l-1] squared elementwise). */
static scl_status fisher_layer(scl_trainer *t, int32_t l, int32_t rows, float scale)
{
    scl_status st = square(t, t->sq[0], t->grad[l], rows * t->net.sizes[l]);
    if (st == SCL_OK)
        st = square(t, t->sq[1], t->net.act[l - 1], rows * t->net.sizes[l - 1]);
    if (st == SCL_OK)
        st = weight_gemm(t, l, rows, t->sq[0], t->sq[1], scale, 1.0f);
    return st;
}

/* One batch of the Fisher pass: test-mode forward, the predicted class as the label, the
 * per-sample loss gradient (norm 1), then each layer's squares top-down. */
static scl_status fisher_batch(scl_trainer *t, const scl_ddata *d, int32_t start, int32_t rows)
{
    int32_t L = t->net.n_layers;
    int k = t->net.sizes[L], output = (int)t->p.output, off = 0;
    float act_scale = t->p.dropout_mode == SCL_DROPOUT_TEST_SCALE ? 1.0f - t->p.dropout : 1.0f;
    scl_status st = scl_train_gather(t, d, t->perm, start, rows, 0);
    if (st == SCL_OK)
        st = scl_net_forward(&t->net, NULL, 0, rows, NULL, act_scale);
    const struct scl_karg a[] = {SCL_KARG(t->net.act[L]), SCL_KARG(rows),  SCL_KARG(k),
                                 SCL_KARG(output),        SCL_KARG(t->yb), SCL_KARG(off)};
    if (st == SCL_OK)
        st = scl_launch(t->ctx, "scl_predict", (size_t)rows, a, 6);
    if (st == SCL_OK)
        st = scl_train_loss_grad(t, rows, start, 1.0f);
    for (int32_t l = L; st == SCL_OK && l >= 1; l--) {
        st = fisher_layer(t, l, rows, 1.0f / (float)d->n);
        if (st == SCL_OK && l >= 2)
            st = scl_train_backprop(t, l, rows, act_scale);
    }
    return st;
}

/* The diagonal Fisher of d at the current weights into gw[0..L). */
static scl_status fisher(scl_trainer *t, const scl_ddata *d)
{
    scl_status st = scl_train_capacity(t, d->n);
    int32_t *order = scl_alloc(sizeof(*order) * (size_t)d->n);
    if (!order)
        return SCL_ERR_NOMEM;
    for (int32_t i = 0; i < d->n; i++)
        order[i] = i;
    if (st == SCL_OK)
        st = scl_buf_write(t->ctx, t->perm, 0, sizeof(*order) * (size_t)d->n, order);
    scl_free(order);
    for (int32_t l = 0; st == SCL_OK && l < t->net.n_layers; l++)
        st = scl_buf_fill_zero(t->ctx, t->gw[l], sizeof(float) * wcount(t, l));
    for (int32_t s = 0; st == SCL_OK && s < d->n; s += t->p.batch)
        st = fisher_batch(t, d, s, d->n - s < t->p.batch ? d->n - s : t->p.batch);
    return st;
}

static scl_status ewc_consolidate(scl_trainer *t, const scl_ddata *d)
{
    int online = t->p.method == SCL_METHOD_ONLINE_EWC;
    float gamma = t->p.ewc_gamma;
    if (d->dim != t->net.sizes[0] || d->n_classes > t->net.sizes[t->net.n_layers] || d->n < 1)
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG,
                            "train: the Fisher data (%d samples of %d inputs) do not fit the net",
                            d->n, d->dim);
    scl_status st = fisher(t, d);
    for (int32_t l = 0; st == SCL_OK && l < t->net.n_layers; l++) {
        int n = (int)wcount(t, l);
        const struct scl_karg a[] = {
            SCL_KARG(t->imp[l]), SCL_KARG(t->anchor[l]), SCL_KARG(t->gw[l]), SCL_KARG(t->net.w[l]),
            SCL_KARG(n),         SCL_KARG(gamma),        SCL_KARG(online)};
        st = scl_launch(t->ctx, "scl_ewc_consolidate", (size_t)n, a, 7);
    }
    return st;
}

static scl_status si_consolidate(scl_trainer *t)
{
    scl_status st = SCL_OK;
    float xi = t->p.si_xi;
    for (int32_t l = 0; st == SCL_OK && l < t->net.n_layers; l++) {
        int n = (int)wcount(t, l);
        const struct scl_karg a[] = {SCL_KARG(t->imp[l]),   SCL_KARG(t->anchor[l]),
                                     SCL_KARG(t->omega[l]), SCL_KARG(t->net.w[l]),
                                     SCL_KARG(n),           SCL_KARG(xi)};
        st = scl_launch(t->ctx, "scl_si_consolidate", (size_t)n, a, 6);
    }
    return st;
}

scl_status scl_trainer_consolidate(scl_trainer *t, const scl_ddata *d)
{
    scl_ctx_clear_error(t->ctx);
    if (!scl_method_penalised(&t->p))
        return SCL_OK;
    return t->p.method == SCL_METHOD_SI ? si_consolidate(t) : ewc_consolidate(t, d);
}

scl_status scl_trainer_read_projector(scl_trainer *t, int32_t l, float *proj)
{
    scl_ctx_clear_error(t->ctx);
    if (t->p.method != SCL_METHOD_OWM || l < 0 || l >= t->net.n_layers)
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG, "train: no projector for layer %d", l);
    size_t n = (size_t)t->net.sizes[l];
    return scl_buf_read(t->ctx, t->proj[l], 0, sizeof(float) * n * n, proj);
}

scl_status scl_trainer_read_method(scl_trainer *t, int32_t l, float *imp, float *anchor,
                                   float *omega)
{
    size_t bytes = sizeof(float) * wcount(t, l);
    scl_ctx_clear_error(t->ctx);
    if (!scl_method_penalised(&t->p) || l < 0 || l >= t->net.n_layers)
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG, "train: no penalty state for layer %d", l);
    scl_status st = imp ? scl_buf_read(t->ctx, t->imp[l], 0, bytes, imp) : SCL_OK;
    if (st == SCL_OK && anchor)
        st = scl_buf_read(t->ctx, t->anchor[l], 0, bytes, anchor);
    if (st == SCL_OK && omega && t->omega[l])
        st = scl_buf_read(t->ctx, t->omega[l], 0, bytes, omega);
    return st;
}

/* ------------------------------------------------------------------ rehearsal */

scl_status scl_trainer_set_memory(scl_trainer *t, const scl_ddata *mem)
{
    scl_ctx_clear_error(t->ctx);
    if (mem && t->p.method != SCL_METHOD_REHEARSAL)
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG, "train: a memory needs method = rehearsal");
    if (mem && (mem->dim != t->net.sizes[0] || mem->n_classes > t->net.sizes[t->net.n_layers]))
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG,
                            "train: the memory's samples (%d inputs, labels up to %d) do not fit "
                            "the net",
                            mem->dim, mem->n_classes - 1);
    t->mem = mem && mem->n > 0 ? mem : NULL; /* an empty memory mixes nothing in */
    return SCL_OK;
}

scl_status scl_method_epoch(scl_trainer *t, int32_t n, uint32_t epoch)
{
    int32_t steps = (n + t->p.batch - 1) / t->p.batch, m = t->mem->n;
    int32_t total = steps * t->p.replay_batch;
    scl_status st = SCL_OK;
    if (total > t->mem_capacity) {
        scl_buf_release(&t->mem_pos);
        t->mem_capacity = 0;
        st = scl_buf_create(t->ctx, sizeof(cl_int) * (size_t)total, NULL, &t->mem_pos);
        t->mem_capacity = st == SCL_OK ? total : 0;
    }
    int32_t *pos = scl_alloc(sizeof(*pos) * (size_t)total);
    int32_t *round = scl_alloc(sizeof(*round) * (size_t)m);
    if (!pos || !round)
        st = st == SCL_OK ? SCL_ERR_NOMEM : st;
    for (int32_t done = 0, r = 0; st == SCL_OK && done < total; r++) {
        int32_t take = total - done < m ? total - done : m;
        scl_shuffle_stream(round, m, t->p.seed, epoch, 1u + (uint32_t)r);
        memcpy(pos + done, round, sizeof(*pos) * (size_t)take);
        done += take;
    }
    if (st == SCL_OK)
        st = scl_buf_write(t->ctx, t->mem_pos, 0, sizeof(*pos) * (size_t)total, pos);
    scl_free(pos);
    scl_free(round);
    return st;
}

scl_status scl_method_gather_memory(scl_trainer *t, int32_t index, int32_t off, int32_t *added)
{
    *added = t->mem ? t->p.replay_batch : 0;
    if (!t->mem)
        return SCL_OK;
    return scl_train_gather(t, t->mem, t->mem_pos, index * t->p.replay_batch, *added, off);
}

/* ------------------------------------------------------------------ iCaRL */

scl_status scl_trainer_set_distill(scl_trainer *t, const scl_ddata *d, const float *old_logits,
                                   const int32_t *old_classes, int32_t n_old)
{
    int32_t k = t->net.sizes[t->net.n_layers];
    cl_int mask[SCL_K_MAX_OUTPUTS] = {0};
    scl_ctx_clear_error(t->ctx);
    if (t->p.method != SCL_METHOD_ICARL)
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG, "train: distillation needs method = icarl");
    for (int32_t i = 0; i < n_old; i++) {
        if (old_classes[i] < 0 || old_classes[i] >= k)
            return scl_ctx_fail(t->ctx, SCL_ERR_ARG, "train: no output for old class %d",
                                old_classes[i]);
        mask[old_classes[i]] = 1;
    }
    scl_buf_release(&t->old_logits);
    t->distill = NULL;
    scl_status st = scl_buf_write(t->ctx, t->old_mask, 0, sizeof(cl_int) * (size_t)k, mask);
    if (st != SCL_OK || n_old < 1 || !old_logits || d->n < 1)
        return st;
    st = scl_buf_create(t->ctx, sizeof(float) * (size_t)d->n * (size_t)k, old_logits,
                        &t->old_logits);
    t->distill = st == SCL_OK ? d : NULL;
    return st;
}

scl_status scl_method_distill_grad(scl_trainer *t, const scl_ddata *d, int32_t start, int32_t rows,
                                   float norm)
{
    int32_t L = t->net.n_layers;
    int k = t->net.sizes[L];
    cl_mem q = t->distill ? t->qb : NULL;
    scl_status st = SCL_OK;
    if (t->distill) { /* the old logits travel as the rows of a k-column "dataset" */
        struct scl_ddata old = *d;
        old.x = t->old_logits;
        old.dim = k;
        cl_mem x = t->net.act[0];
        t->net.act[0] = t->qb; /* the gather writes its rows to act[0]: point it at qb */
        st = scl_train_gather(t, &old, t->perm, start, rows, 0);
        t->net.act[0] = x;
    }
    const struct scl_karg a[] = {SCL_KARG(t->net.act[L]), SCL_KARG(t->yb),      SCL_KARG(q),
                                 SCL_KARG(t->old_mask),   SCL_KARG(rows),       SCL_KARG(k),
                                 SCL_KARG(norm),          SCL_KARG(t->grad[L]), SCL_KARG(t->losses),
                                 SCL_KARG(start)};
    if (st == SCL_OK)
        st = scl_launch(t->ctx, "scl_distill_grad", (size_t)rows, a, 10);
    return st;
}
