/*
 * The convolutional feature extractor (public scl_extractor_*; docs/METHOD.md section 9).
 *
 * Layer l turns [rows][side_in^2 cin] into [rows][side_out^2 cout] (each sample's activation in
 * (y, x, channel) order, the GEMM's natural output): im2col of cl/conv.cl builds the column
 * matrix [rows side_out^2][cin 9], one GEMM through host/wake/gemm.h multiplies it by W^T
 * ([cout][cin 9], PyTorch's [cout][cin][3][3] flattened), and scl_bias_act (cl/vae.cl) adds the
 * bias and applies ReLU. The first layer reads the images in their CHW order through im2col's
 * strides, so nothing is transposed. Backward recomputes each layer's column matrix (cheaper
 * than keeping one per layer), takes gW = gout^T col and gb = ones^T gout as GEMMs, and carries
 * the gradient to the layer's input with gcol = gout W and col2im. The head is one linear layer
 * whose softmax cross-entropy gradient is scl_vae_class_grad's; Adam is scl_adam_step.
 */
#include <math.h>
#include <string.h>

#include "extractor.h"
#include "net.h" /* scl_launch, SCL_KARG, scl_adam_launch, struct scl_ddata */
#include "scl_contract.h"

#define KSIDE 3 /* kernel side */
#define PAD   1

struct param {
    int64_t n;
    cl_mem w, g, m, v; /* values, gradient, Adam moments */
};

struct conv {
    int32_t cin, cout, side_in, side_out, stride;
    struct param w, b;
    cl_mem act, gact; /* [rows][side_out^2 cout] after ReLU, and its gradient */
};

struct scl_extractor {
    scl_ctx *ctx;
    struct scl_extractor_params p;
    struct scl_train_params tp;
    enum scl_gemm_engine gemm;
    int32_t classes, dim_in, dim, rows; /* rows: the batch capacity */
    struct conv L[SCL_EXT_MAX_LAYERS];
    struct param hw, hb; /* head [classes][dim], [classes] */
    cl_mem x, labels, col, gcol, ones, logits, glogits, rw, closs;
    int32_t rw_rows; /* rows the weights rw were written for */
    uint32_t adam_t;
};

static size_t fbytes(int64_t n)
{
    return sizeof(float) * (size_t)n;
}

struct scl_extractor_params scl_extractor_default_params(void)
{
    struct scl_extractor_params p = {3, 32, 5, {16, 32, 64, 128, 256}};
    return p;
}

/* ------------------------------------------------------------------ creation */

static scl_status check_params(scl_ctx *ctx, const struct scl_extractor_params *p, int32_t classes,
                               const struct scl_train_params *tp)
{
    if (p->n_layers < 1 || p->n_layers > SCL_EXT_MAX_LAYERS || p->in_channels < 1 || p->side < 1 ||
        classes < 2 || classes > SCL_MAX_CLASSES)
        return scl_ctx_fail(ctx, SCL_ERR_ARG,
                            "extractor: %d layers (1..%d), %d input channels, side %d, %d classes",
                            p->n_layers, SCL_EXT_MAX_LAYERS, p->in_channels, p->side, classes);
    for (int32_t l = 0; l < p->n_layers; l++)
        if (p->channels[l] < 1)
            return scl_ctx_fail(ctx, SCL_ERR_ARG, "extractor: layer %d has %d channels", l + 1,
                                p->channels[l]);
    if (!(tp->lr > 0.0f) || tp->batch < 1 || !(tp->adam_beta1 >= 0.0f && tp->adam_beta1 < 1.0f) ||
        !(tp->adam_beta2 >= 0.0f && tp->adam_beta2 < 1.0f) || !(tp->adam_eps > 0.0f))
        return scl_ctx_fail(ctx, SCL_ERR_ARG,
                            "extractor: lr > 0, batch >= 1, adam betas in [0, 1), eps > 0");
    return SCL_OK;
}

static scl_status zeros(scl_ctx *ctx, int64_t n, cl_mem *out)
{
    scl_status st = scl_buf_create(ctx, fbytes(n), NULL, out);
    if (st == SCL_OK)
        st = scl_buf_fill_zero(ctx, *out, fbytes(n));
    return st;
}

/* U(-1/sqrt(fan_in), 1/sqrt(fan_in)), purpose SCL_RNG_INIT, stream 48 + tensor (the VAE's are
 * 16 + layer), so the extractor's draws are its own. */
static scl_status param_create(scl_extractor *e, struct param *q, int64_t n, int32_t fan_in,
                               uint32_t tensor)
{
    float a = 1.0f / sqrtf((float)fan_in);
    float *v = scl_alloc(fbytes(n));
    if (!v)
        return SCL_ERR_NOMEM;
    for (int64_t i = 0; i < (n + 3) / 4; i++) {
        uint32_t w[4];
        scl_rng_words(e->tp.seed, SCL_RNG_INIT, (uint32_t)i, 0, 48u + tensor, w);
        for (int64_t j = 0; j < 4 && 4 * i + j < n; j++)
            v[4 * i + j] = a * (2.0f * scl_rng_u01(w[j]) - 1.0f);
    }
    q->n = n;
    scl_status st = scl_buf_create(e->ctx, fbytes(n), v, &q->w);
    scl_free(v);
    cl_mem *rest[] = {&q->g, &q->m, &q->v};
    for (int i = 0; st == SCL_OK && i < 3; i++)
        st = zeros(e->ctx, n, rest[i]);
    return st;
}

static void param_release(struct param *q)
{
    scl_buf_release(&q->w);
    scl_buf_release(&q->g);
    scl_buf_release(&q->m);
    scl_buf_release(&q->v);
}

/* The layers' shapes, then every tensor and work buffer for `rows` samples per step. */
static scl_status layers_create(scl_extractor *e)
{
    int32_t c = e->p.in_channels, side = e->p.side;
    int64_t col = 0, pix = 0;
    scl_status st = SCL_OK;
    for (int32_t l = 0; st == SCL_OK && l < e->p.n_layers; l++) {
        struct conv *L = &e->L[l];
        L->cin = c;
        L->cout = e->p.channels[l];
        L->side_in = side;
        L->stride = l ? 2 : 1;
        L->side_out = (side + 2 * PAD - KSIDE) / L->stride + 1;
        int64_t k = (int64_t)c * KSIDE * KSIDE, p = (int64_t)e->rows * L->side_out * L->side_out;
        if (p * k >= INT32_MAX || p * L->cout >= INT32_MAX ||
            (int64_t)e->rows * e->dim_in >= INT32_MAX)
            return scl_ctx_fail(e->ctx, SCL_ERR_ARG,
                                "extractor: batch %d too large for layer %d (indices pass 2^31)",
                                e->rows, l + 1);
        col = col > p * k ? col : p * k;
        pix = pix > p ? pix : p;
        st = param_create(e, &L->w, L->cout * k, (int32_t)k, 2u * (uint32_t)l);
        if (st == SCL_OK)
            st = param_create(e, &L->b, L->cout, (int32_t)k, 2u * (uint32_t)l + 1u);
        if (st == SCL_OK)
            st = zeros(e->ctx, p * L->cout, &L->act);
        if (st == SCL_OK)
            st = zeros(e->ctx, p * L->cout, &L->gact);
        c = L->cout;
        side = L->side_out;
    }
    e->dim = c * side * side;
    uint32_t head = 2u * (uint32_t)e->p.n_layers;
    if (st == SCL_OK)
        st = param_create(e, &e->hw, (int64_t)e->classes * e->dim, e->dim, head);
    if (st == SCL_OK)
        st = param_create(e, &e->hb, e->classes, e->dim, head + 1u);
    int64_t r = e->rows, k = e->classes;
    struct {
        cl_mem *m;
        int64_t n;
    } all[] = {{&e->x, r * e->dim_in}, {&e->labels, r}, {&e->col, col},
               {&e->gcol, col},        {&e->ones, pix}, {&e->logits, r * k},
               {&e->glogits, r * k},   {&e->rw, r},     {&e->closs, r}};
    for (size_t i = 0; st == SCL_OK && i < sizeof(all) / sizeof(all[0]); i++)
        st = zeros(e->ctx, all[i].n, all[i].m);
    float *one = st == SCL_OK ? scl_alloc(fbytes(pix)) : NULL;
    if (st == SCL_OK && !one)
        st = SCL_ERR_NOMEM;
    for (int64_t i = 0; st == SCL_OK && i < pix; i++)
        one[i] = 1.0f;
    if (st == SCL_OK)
        st = scl_buf_write(e->ctx, e->ones, 0, fbytes(pix), one);
    scl_free(one);
    return st;
}

scl_status scl_extractor_create(scl_ctx *ctx, const struct scl_extractor_params *p, int32_t classes,
                                const struct scl_train_params *train, scl_extractor **out)
{
    scl_ctx_clear_error(ctx);
    *out = NULL;
    scl_status st = check_params(ctx, p, classes, train);
    if (st != SCL_OK)
        return st;
    scl_extractor *e = scl_calloc(1, sizeof(*e));
    if (!e)
        return SCL_ERR_NOMEM;
    e->ctx = ctx;
    e->p = *p;
    e->tp = *train;
    e->gemm = scl_gemm_resolve(ctx, train->gemm);
    e->classes = classes;
    e->dim_in = p->in_channels * p->side * p->side;
    e->rows = train->batch;
    st = layers_create(e);
    if (st != SCL_OK) {
        scl_extractor_destroy(e);
        return st;
    }
    *out = e;
    return SCL_OK;
}

void scl_extractor_destroy(scl_extractor *e)
{
    if (!e)
        return;
    for (int32_t l = 0; l < SCL_EXT_MAX_LAYERS; l++) {
        param_release(&e->L[l].w);
        param_release(&e->L[l].b);
        scl_buf_release(&e->L[l].act);
        scl_buf_release(&e->L[l].gact);
    }
    param_release(&e->hw);
    param_release(&e->hb);
    cl_mem *all[] = {&e->x,      &e->labels,  &e->col, &e->gcol, &e->ones,
                     &e->logits, &e->glogits, &e->rw,  &e->closs};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        scl_buf_release(all[i]);
    scl_free(e);
}

int32_t scl_extractor_dim(const scl_extractor *e)
{
    return e->dim;
}

/* ------------------------------------------------------------------ forward and backward */

/* im2col (col2im when `adjoint`) of layer l over `rows` samples: the input is the images in x
 * (CHW) for the first layer, the previous layer's activations (HWC) after it. */
static scl_status conv_move(scl_extractor *e, int32_t l, int32_t rows, bool adjoint, cl_mem from,
                            cl_mem to)
{
    const struct conv *L = &e->L[l];
    int n = rows, c = L->cin, h = L->side_in, w = L->side_in, ho = L->side_out, wo = L->side_out;
    int k = KSIDE, stride = L->stride, pad = PAD, sn = c * h * w;
    int sc = l ? 1 : h * w, sy = l ? w * c : w, sx = l ? c : 1;
    const struct scl_karg a[] = {SCL_KARG(from),   SCL_KARG(n),   SCL_KARG(c),  SCL_KARG(h),
                                 SCL_KARG(w),      SCL_KARG(ho),  SCL_KARG(wo), SCL_KARG(k),
                                 SCL_KARG(stride), SCL_KARG(pad), SCL_KARG(sn), SCL_KARG(sc),
                                 SCL_KARG(sy),     SCL_KARG(sx),  SCL_KARG(to)};
    /* im2col: a work-item per output pixel and channel; col2im: per input pixel */
    size_t items = (size_t)n * (size_t)(adjoint ? h * w : ho * wo * c);
    return scl_launch(e->ctx, adjoint ? "scl_col2im" : "scl_im2col", items, a, 15);
}

/* out [m][n] = in [m][k] W^T + b, then act (SCL_VAE_ACT_*). */
static scl_status linear(scl_extractor *e, cl_mem in, int32_t m, int32_t k, const struct param *w,
                         const struct param *b, int32_t n, cl_mem out, int act)
{
    struct scl_gemm_args g = {0};
    g.trans_b = true;
    g.m = (size_t)m;
    g.n = (size_t)n;
    g.k = (size_t)k;
    g.alpha = 1.0f;
    g.a = in;
    g.lda = (size_t)k;
    g.b = w->w;
    g.ldb = (size_t)k;
    g.c = out;
    g.ldc = (size_t)n;
    scl_status st = scl_gemm(e->ctx, e->gemm, &g);
    int off = 0;
    const struct scl_karg a[] = {SCL_KARG(out), SCL_KARG(off),  SCL_KARG(m),
                                 SCL_KARG(n),   SCL_KARG(b->w), SCL_KARG(act)};
    if (st == SCL_OK)
        st = scl_launch(e->ctx, "scl_bias_act", (size_t)m * (size_t)n, a, 6);
    return st;
}

/* The gradients of out = in W^T + b from gout [m][n]: gW = gout^T in, gb = ones^T gout, and,
 * when gin is set, gin = gout W. */
static scl_status linear_back(scl_extractor *e, cl_mem gout, cl_mem in, int32_t m, int32_t k,
                              const struct param *w, const struct param *b, int32_t n, cl_mem gin)
{
    struct scl_gemm_args g = {0};
    g.trans_a = true;
    g.m = (size_t)n;
    g.n = (size_t)k;
    g.k = (size_t)m;
    g.alpha = 1.0f;
    g.a = gout;
    g.lda = (size_t)n;
    g.b = in;
    g.ldb = (size_t)k;
    g.c = w->g;
    g.ldc = (size_t)k;
    scl_status st = scl_gemm(e->ctx, e->gemm, &g);
    struct scl_gemm_args gb = {0};
    gb.m = 1;
    gb.n = (size_t)n;
    gb.k = (size_t)m;
    gb.alpha = 1.0f;
    gb.a = e->ones;
    gb.lda = (size_t)m;
    gb.b = gout;
    gb.ldb = (size_t)n;
    gb.c = b->g;
    gb.ldc = (size_t)n;
    if (st == SCL_OK)
        st = scl_gemm(e->ctx, e->gemm, &gb);
    if (st != SCL_OK || !gin)
        return st;
    struct scl_gemm_args gi = {0};
    gi.m = (size_t)m;
    gi.n = (size_t)k;
    gi.k = (size_t)n;
    gi.alpha = 1.0f;
    gi.a = gout;
    gi.lda = (size_t)n;
    gi.b = w->w;
    gi.ldb = (size_t)k;
    gi.c = gin;
    gi.ldc = (size_t)k;
    return scl_gemm(e->ctx, e->gemm, &gi);
}

static int32_t pixels(const struct conv *L, int32_t rows)
{
    return rows * L->side_out * L->side_out;
}

/* The conv layers over rows samples in x: features in the last layer's act. */
static scl_status forward(scl_extractor *e, int32_t rows)
{
    scl_status st = SCL_OK;
    for (int32_t l = 0; st == SCL_OK && l < e->p.n_layers; l++) {
        const struct conv *L = &e->L[l];
        st = conv_move(e, l, rows, false, l ? e->L[l - 1].act : e->x, e->col);
        if (st == SCL_OK)
            st = linear(e, e->col, pixels(L, rows), L->cin * KSIDE * KSIDE, &L->w, &L->b, L->cout,
                        L->act, SCL_VAE_ACT_RELU);
    }
    return st;
}

static scl_status relu_back(scl_extractor *e, cl_mem g, cl_mem a, int64_t n64)
{
    int n = (int)n64;
    float one = 1.0f;
    const struct scl_karg args[] = {SCL_KARG(g), SCL_KARG(a), SCL_KARG(n), SCL_KARG(one)};
    return scl_launch(e->ctx, "scl_relu_backward", (size_t)n, args, 4);
}

/* Head logits over rows samples (after forward). */
static scl_status head(scl_extractor *e, int32_t rows)
{
    return linear(e, e->L[e->p.n_layers - 1].act, rows, e->dim, &e->hw, &e->hb, e->classes,
                  e->logits, SCL_VAE_ACT_NONE);
}

/* Forward and backward of rows samples in x with labels: every gradient, row losses in closs. */
static scl_status forward_backward(scl_extractor *e, int32_t rows)
{
    scl_status st = SCL_OK;
    if (e->rw_rows != rows) { /* the mean over the batch */
        float *rw = scl_alloc(fbytes(rows));
        if (!rw)
            return SCL_ERR_NOMEM;
        for (int32_t r = 0; r < rows; r++)
            rw[r] = 1.0f / (float)rows;
        st = scl_buf_write(e->ctx, e->rw, 0, fbytes(rows), rw);
        scl_free(rw);
        e->rw_rows = st == SCL_OK ? rows : 0;
    }
    if (st == SCL_OK)
        st = forward(e, rows);
    if (st == SCL_OK)
        st = head(e, rows);
    int32_t nl = e->p.n_layers, k = e->classes;
    float temp = 1.0f;
    const struct scl_karg cg[] = {SCL_KARG(e->logits), SCL_KARG(rows),       SCL_KARG(k),
                                  SCL_KARG(e->labels), SCL_KARG(e->logits),  SCL_KARG(temp),
                                  SCL_KARG(e->rw),     SCL_KARG(e->glogits), SCL_KARG(e->closs)};
    if (st == SCL_OK) /* every label is >= 0: the targets argument is never read */
        st = scl_launch(e->ctx, "scl_vae_class_grad", (size_t)rows, cg, 9);
    struct conv *top = &e->L[nl - 1];
    if (st == SCL_OK)
        st = linear_back(e, e->glogits, top->act, rows, e->dim, &e->hw, &e->hb, k, top->gact);
    for (int32_t l = nl - 1; st == SCL_OK && l >= 0; l--) {
        struct conv *L = &e->L[l];
        int32_t p = pixels(L, rows), kk = L->cin * KSIDE * KSIDE;
        st = relu_back(e, L->gact, L->act, (int64_t)p * L->cout);
        if (st == SCL_OK) /* the column matrix of this layer again */
            st = conv_move(e, l, rows, false, l ? e->L[l - 1].act : e->x, e->col);
        if (st == SCL_OK)
            st = linear_back(e, L->gact, e->col, p, kk, &L->w, &L->b, L->cout, l ? e->gcol : NULL);
        if (st == SCL_OK && l)
            st = conv_move(e, l, rows, true, e->gcol, e->L[l - 1].gact);
    }
    return st;
}

static scl_status adam_all(scl_extractor *e)
{
    scl_status st = SCL_OK;
    e->adam_t++;
    for (int32_t l = 0; st == SCL_OK && l <= e->p.n_layers; l++) {
        struct param *w = l < e->p.n_layers ? &e->L[l].w : &e->hw;
        struct param *b = l < e->p.n_layers ? &e->L[l].b : &e->hb;
        st =
            scl_adam_launch(e->ctx, w->w, w->g, w->m, w->v, (int)w->n, &e->tp, e->tp.lr, e->adam_t);
        if (st == SCL_OK)
            st = scl_adam_launch(e->ctx, b->w, b->g, b->m, b->v, (int)b->n, &e->tp, e->tp.lr,
                                 e->adam_t);
    }
    return st;
}

/* ------------------------------------------------------------------ training and use */

static scl_status gather(scl_extractor *e, const scl_ddata *d, cl_mem perm, int32_t start)
{
    cl_kernel k;
    scl_status st = scl_kernel_get(e->ctx, "scl_gather_rows", &k);
    int off = 0;
    if (st != SCL_OK)
        return st;
    if (!SCL_ARG(e->ctx, k, 0, d->x) || !SCL_ARG(e->ctx, k, 1, d->y) ||
        !SCL_ARG(e->ctx, k, 2, perm) || !SCL_ARG(e->ctx, k, 3, start) ||
        !SCL_ARG(e->ctx, k, 4, d->dim) || !SCL_ARG(e->ctx, k, 5, e->x) ||
        !SCL_ARG(e->ctx, k, 6, e->labels) || !SCL_ARG(e->ctx, k, 7, off))
        return SCL_ERR_OPENCL;
    const size_t global[2] = {(size_t)d->dim, (size_t)e->rows};
    return scl_kernel_run(e->ctx, k, 2, global, NULL);
}

/* The sum of the row losses of the last step. */
static scl_status step_loss(scl_extractor *e, int32_t rows, double *sum)
{
    float *l = scl_alloc(fbytes(rows));
    if (!l)
        return SCL_ERR_NOMEM;
    scl_status st = scl_buf_read(e->ctx, e->closs, 0, fbytes(rows), l);
    for (int32_t r = 0; st == SCL_OK && r < rows; r++)
        *sum += (double)l[r];
    scl_free(l);
    return st;
}

scl_status scl_extractor_train(scl_extractor *e, const scl_ddata *d, int32_t iterations,
                               double *loss)
{
    scl_ctx_clear_error(e->ctx);
    if (d->dim != e->dim_in || d->n < e->rows || d->n_classes > e->classes || iterations < 0)
        return scl_ctx_fail(e->ctx, SCL_ERR_ARG,
                            "extractor: data of %d values, %d samples, %d classes for a model of "
                            "%d values, batch %d, %d classes (%d iterations)",
                            d->dim, d->n, d->n_classes, e->dim_in, e->rows, e->classes, iterations);
    int32_t *perm = scl_alloc(sizeof(int32_t) * (size_t)d->n), steps = d->n / e->rows;
    cl_mem dperm = NULL;
    scl_status st =
        perm ? scl_buf_create(e->ctx, sizeof(int32_t) * (size_t)d->n, NULL, &dperm) : SCL_ERR_NOMEM;
    double sum = 0.0;
    int32_t counted = 0;
    for (int32_t it = 0; st == SCL_OK && it < iterations; it++) {
        if (it % steps == 0) { /* a new epoch; its last partial batch is left out */
            scl_shuffle_stream(perm, d->n, e->tp.seed, (uint32_t)(it / steps), 48u);
            st = scl_buf_write(e->ctx, dperm, 0, sizeof(int32_t) * (size_t)d->n, perm);
        }
        if (st == SCL_OK)
            st = gather(e, d, dperm, it % steps * e->rows);
        if (st == SCL_OK)
            st = forward_backward(e, e->rows);
        if (st == SCL_OK)
            st = adam_all(e);
        if (st == SCL_OK && loss && it >= iterations - steps) {
            st = step_loss(e, e->rows, &sum);
            counted += e->rows;
        }
    }
    if (loss)
        *loss = counted ? sum / counted : (double)NAN;
    scl_buf_release(&dperm);
    scl_free(perm);
    return st;
}

/* Forward samples [s, s + rows) of ds from the host (the head's logits too when `logits`). */
static scl_status forward_host(scl_extractor *e, const scl_dataset *ds, int32_t s, int32_t rows,
                               bool logits)
{
    scl_status st = scl_buf_write(e->ctx, e->x, 0, fbytes((int64_t)rows * e->dim_in),
                                  ds->x + (size_t)s * (size_t)ds->dim);
    if (st == SCL_OK)
        st = forward(e, rows);
    if (st == SCL_OK && logits)
        st = head(e, rows);
    return st;
}

static scl_status check_images(scl_extractor *e, const scl_dataset *ds)
{
    if (ds->dim != e->dim_in || ds->n < 1)
        return scl_ctx_fail(e->ctx, SCL_ERR_ARG,
                            "extractor: %d images of %d values for a model of %d (%d x %d x %d)",
                            ds->n, ds->dim, e->dim_in, e->p.in_channels, e->p.side, e->p.side);
    return SCL_OK;
}

scl_status scl_extractor_accuracy(scl_extractor *e, const scl_dataset *ds, double *accuracy)
{
    scl_ctx_clear_error(e->ctx);
    scl_status st = check_images(e, ds);
    float *z = st == SCL_OK ? scl_alloc(fbytes((int64_t)e->rows * e->classes)) : NULL;
    if (st == SCL_OK && !z)
        st = SCL_ERR_NOMEM;
    int64_t hits = 0;
    for (int32_t s = 0; st == SCL_OK && s < ds->n; s += e->rows) {
        int32_t rows = ds->n - s < e->rows ? ds->n - s : e->rows;
        st = forward_host(e, ds, s, rows, true);
        if (st == SCL_OK)
            st = scl_buf_read(e->ctx, e->logits, 0, fbytes((int64_t)rows * e->classes), z);
        for (int32_t r = 0; st == SCL_OK && r < rows; r++) {
            const float *row = z + (size_t)r * (size_t)e->classes;
            int32_t best = 0;
            for (int32_t c = 1; c < e->classes; c++)
                best = row[c] > row[best] ? c : best;
            hits += best == ds->y[s + r];
        }
    }
    scl_free(z);
    if (st == SCL_OK)
        *accuracy = (double)hits / ds->n;
    return st;
}

scl_status scl_extractor_features(scl_extractor *e, const scl_dataset *ds, scl_dataset **out)
{
    scl_ctx_clear_error(e->ctx);
    *out = NULL;
    scl_status st = check_images(e, ds);
    if (st != SCL_OK)
        return st;
    scl_dataset *f = scl_calloc(1, sizeof(*f));
    if (!f)
        return SCL_ERR_NOMEM;
    *f = *ds;
    f->dim = e->dim;
    f->rows = 1;
    f->cols = e->dim;
    f->x = scl_alloc(fbytes((int64_t)ds->n * e->dim));
    f->y = scl_alloc((size_t)ds->n);
    st = f->x && f->y ? SCL_OK : SCL_ERR_NOMEM;
    if (st == SCL_OK)
        memcpy(f->y, ds->y, (size_t)ds->n);
    cl_mem top = e->L[e->p.n_layers - 1].act;
    for (int32_t s = 0; st == SCL_OK && s < ds->n; s += e->rows) {
        int32_t rows = ds->n - s < e->rows ? ds->n - s : e->rows;
        st = forward_host(e, ds, s, rows, false);
        if (st == SCL_OK)
            st = scl_buf_read(e->ctx, top, 0, fbytes((int64_t)rows * e->dim),
                              f->x + (size_t)s * (size_t)e->dim);
    }
    if (st != SCL_OK) {
        scl_dataset_destroy(f);
        return st;
    }
    *out = f;
    return SCL_OK;
}

/* ------------------------------------------------------------------ tests' access */

static struct param *tensor(scl_extractor *e, int32_t l, bool bias)
{
    if (l < 0 || l > e->p.n_layers)
        return NULL;
    if (l == e->p.n_layers)
        return bias ? &e->hb : &e->hw;
    return bias ? &e->L[l].b : &e->L[l].w;
}

scl_status scl_extractor_tensor(scl_extractor *e, int32_t l, int which, float *host, bool write)
{
    struct param *q = tensor(e, l, which & SCL_EXT_BIAS);
    if (!q)
        return scl_ctx_fail(e->ctx, SCL_ERR_ARG, "extractor: no tensor %d", l);
    cl_mem m = which & SCL_EXT_GRAD ? q->g : q->w;
    return write ? scl_buf_write(e->ctx, m, 0, fbytes(q->n), host)
                 : scl_buf_read(e->ctx, m, 0, fbytes(q->n), host);
}

int64_t scl_extractor_tensor_size(scl_extractor *e, int32_t l, int which)
{
    struct param *q = tensor(e, l, which & SCL_EXT_BIAS);
    return q ? q->n : 0;
}

scl_status scl_extractor_loss_grad(scl_extractor *e, const float *x, const uint8_t *y, int32_t n,
                                   double *loss)
{
    if (n < 1 || n > e->rows)
        return scl_ctx_fail(e->ctx, SCL_ERR_ARG, "extractor: %d samples, capacity %d", n, e->rows);
    int32_t *lab = scl_alloc(sizeof(int32_t) * (size_t)n);
    if (!lab)
        return SCL_ERR_NOMEM;
    for (int32_t r = 0; r < n; r++)
        lab[r] = y[r];
    scl_status st = scl_buf_write(e->ctx, e->labels, 0, sizeof(int32_t) * (size_t)n, lab);
    scl_free(lab);
    if (st == SCL_OK)
        st = scl_buf_write(e->ctx, e->x, 0, fbytes((int64_t)n * e->dim_in), x);
    if (st == SCL_OK)
        st = forward_backward(e, n);
    double sum = 0.0;
    if (st == SCL_OK)
        st = step_loss(e, n, &sum);
    *loss = sum / n;
    return st;
}

const struct scl_extractor_params *scl_extractor_shape(const scl_extractor *e)
{
    return &e->p;
}

int32_t scl_extractor_classes(const scl_extractor *e)
{
    return e->classes;
}
