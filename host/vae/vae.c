/*
 * The tripartite sleep's model and loop (public scl_tri_*; docs/METHOD.md section 9).
 *
 * The model is a list of linear layers with biases, W [out][in] row-major like scl_model:
 * encoder 0..H-1 (ReLU), the latent head H (2 nz outputs: mu then log-variance), the classifier
 * H+1 (softmax; only the first `seen` rows are computed, so unseen classes take no gradient),
 * decoder H+2..2H+1 (ReLU) and the output layer 2H+2 (sigmoid). Every product is a GEMM through
 * host/wake/gemm.h, bias gradients included (a row of ones times the output gradient); the rest
 * are the kernels of cl/vae.cl and the ReLU backward of cl/train.cl.
 *
 * Rows of a step: with replay, rows [0, br) are replayed samples (label -1, soft targets) and
 * rows [br, br + bc) the current batch, so the frozen copy writes its samples and targets at
 * offset 0 and the batch gather puts the current samples after them.
 */
#include <math.h>
#include <string.h>

#include "net.h" /* scl_launch, SCL_KARG */
#include "scl_contract.h"

#define MAX_LIN (2 * SCL_TRI_MAX_HIDDEN + 3)

struct lin {
    int32_t in, out;
    cl_mem w, b;           /* weights [out][in], biases [out] */
    cl_mem gw, gb;         /* their gradients of the step */
    cl_mem mw, vw, mb, vb; /* Adam moments */
    cl_mem tw, tb;         /* the frozen copy's weights and biases */
};

struct scl_tri {
    scl_ctx *ctx;
    struct scl_tri_params p;
    struct scl_train_params tp;
    enum scl_gemm_engine gemm;
    int32_t d, classes, nh, nz, bc, rows; /* rows: capacity, 2 bc */
    int32_t n_lin;
    struct lin lin[MAX_LIN];
    cl_mem x;                                                 /* [rows][d] */
    cl_mem enc[SCL_TRI_MAX_HIDDEN], genc[SCL_TRI_MAX_HIDDEN]; /* [rows][hidden[i]] */
    cl_mem dec[SCL_TRI_MAX_HIDDEN], gdec[SCL_TRI_MAX_HIDDEN]; /* [rows][hidden[H-1-j]] */
    cl_mem head, ghead;                                       /* [rows][2 nz] */
    cl_mem eps, z, gz;                                        /* [rows][nz] */
    cl_mem logits, glogits, targets;                          /* [rows][classes] */
    cl_mem out, gout;                                         /* [rows][d] */
    cl_mem labels, rw, ones, closs;                           /* [rows] */
    cl_mem perm, pred;
    int32_t perm_cap, pred_cap;
    int32_t task, prev_seen; /* tasks learnt, classes the frozen copy knows */
    uint32_t step;           /* iterations across tasks: the generator's step */
    uint32_t adam_t;         /* Adam's step within the task */
};

struct scl_tri_params scl_tri_default_params(void)
{
    struct scl_tri_params p = {0};
    p.n_hidden = 2;
    p.hidden[0] = p.hidden[1] = 400;
    p.latent = 100;
    p.iterations = 1000;
    p.eval_every = 50;
    p.rem = 1;
    p.downscale_first = 1;
    p.temperature = 2.0f;
    return p;
}

/* Layer indices. */
static int32_t l_head(const scl_tri *t)
{
    return t->nh;
}
static int32_t l_cls(const scl_tri *t)
{
    return t->nh + 1;
}
static int32_t l_dec(const scl_tri *t, int32_t j)
{
    return t->nh + 2 + j;
}
static int32_t l_out(const scl_tri *t)
{
    return 2 * t->nh + 2;
}

static size_t fbytes(int64_t n)
{
    return sizeof(float) * (size_t)n;
}

/* U(-1/sqrt(in), 1/sqrt(in)) for weights (generator step 0) and biases (step 1), stream 16 + l
 * of purpose SCL_RNG_INIT: the frameworks' default for linear layers. */
static void init_values(float *v, size_t n, int32_t in, uint32_t seed, uint32_t step, uint32_t l)
{
    float a = 1.0f / sqrtf((float)in);
    for (size_t q = 0; q < (n + 3) / 4; q++) {
        uint32_t w[4];
        scl_rng_words(seed, SCL_RNG_INIT, (uint32_t)q, step, 16u + l, w);
        for (size_t j = 0; j < 4 && 4 * q + j < n; j++)
            v[4 * q + j] = a * (2.0f * scl_rng_u01(w[j]) - 1.0f);
    }
}

static scl_status zeros(scl_ctx *ctx, int64_t n, cl_mem *out)
{
    scl_status st = scl_buf_create(ctx, fbytes(n), NULL, out);
    if (st == SCL_OK)
        st = scl_buf_fill_zero(ctx, *out, fbytes(n));
    return st;
}

static scl_status lin_create(scl_tri *t, int32_t l, int32_t in, int32_t out)
{
    struct lin *L = &t->lin[l];
    size_t nw = (size_t)in * (size_t)out;
    L->in = in;
    L->out = out;
    float *host = scl_alloc(fbytes((int64_t)nw + out));
    if (!host)
        return SCL_ERR_NOMEM;
    init_values(host, nw, in, t->tp.seed, 0, (uint32_t)l);
    init_values(host + nw, (size_t)out, in, t->tp.seed, 1, (uint32_t)l);
    scl_status st = scl_buf_create(t->ctx, fbytes((int64_t)nw), host, &L->w);
    if (st == SCL_OK)
        st = scl_buf_create(t->ctx, fbytes(out), host + nw, &L->b);
    scl_free(host);
    cl_mem *wide[] = {&L->gw, &L->mw, &L->vw, &L->tw};
    cl_mem *narrow[] = {&L->gb, &L->mb, &L->vb, &L->tb};
    for (int i = 0; st == SCL_OK && i < 4; i++) {
        st = zeros(t->ctx, (int64_t)nw, wide[i]);
        if (st == SCL_OK)
            st = zeros(t->ctx, out, narrow[i]);
    }
    return st;
}

static void lin_release(struct lin *L)
{
    cl_mem *all[] = {&L->w, &L->b, &L->gw, &L->gb, &L->mw, &L->vw, &L->mb, &L->vb, &L->tw, &L->tb};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        scl_buf_release(all[i]);
}

static scl_status check_params(scl_ctx *ctx, int32_t inputs, int32_t classes,
                               const struct scl_tri_params *p, const struct scl_train_params *tp)
{
    if (inputs < 1 || classes < 2 || classes > SCL_MAX_CLASSES)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "tripartite: %d inputs, %d classes", inputs, classes);
    if (p->n_hidden < 1 || p->n_hidden > SCL_TRI_MAX_HIDDEN)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "tripartite: hidden layers must be 1..%d (got %d)",
                            SCL_TRI_MAX_HIDDEN, p->n_hidden);
    for (int32_t i = 0; i < p->n_hidden; i++)
        if (p->hidden[i] < 1)
            return scl_ctx_fail(ctx, SCL_ERR_ARG, "tripartite: hidden layer %d has %d units", i,
                                p->hidden[i]);
    if (p->latent < 1 || p->iterations < 1 || p->eval_every < 1)
        return scl_ctx_fail(ctx, SCL_ERR_ARG,
                            "tripartite: latent, iterations and eval_every must be >= 1");
    if (!(p->downscale >= 0.0f && p->downscale <= 1.0f) || !(p->temperature > 0.0f))
        return scl_ctx_fail(ctx, SCL_ERR_ARG,
                            "tripartite: downscale must be in [0, 1], temperature > 0");
    if (tp->optimizer != SCL_OPTIMIZER_ADAM)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "tripartite: the optimizer must be adam");
    if (!(tp->lr > 0.0f) || tp->batch < 1 || !(tp->adam_beta1 >= 0.0f && tp->adam_beta1 < 1.0f) ||
        !(tp->adam_beta2 >= 0.0f && tp->adam_beta2 < 1.0f) || !(tp->adam_eps > 0.0f))
        return scl_ctx_fail(ctx, SCL_ERR_ARG,
                            "tripartite: lr > 0, batch >= 1, adam betas in [0, 1), eps > 0");
    return SCL_OK;
}

static scl_status buffers(scl_tri *t)
{
    scl_status st = SCL_OK;
    int64_t r = t->rows;
    for (int32_t i = 0; st == SCL_OK && i < t->nh; i++) {
        int32_t he = t->p.hidden[i], hd = t->p.hidden[t->nh - 1 - i];
        st = zeros(t->ctx, r * he, &t->enc[i]);
        if (st == SCL_OK)
            st = zeros(t->ctx, r * he, &t->genc[i]);
        if (st == SCL_OK)
            st = zeros(t->ctx, r * hd, &t->dec[i]);
        if (st == SCL_OK)
            st = zeros(t->ctx, r * hd, &t->gdec[i]);
    }
    struct {
        cl_mem *m;
        int64_t n;
    } all[] = {{&t->x, r * t->d},
               {&t->head, r * 2 * t->nz},
               {&t->ghead, r * 2 * t->nz},
               {&t->eps, r * t->nz},
               {&t->z, r * t->nz},
               {&t->gz, r * t->nz},
               {&t->logits, r * t->classes},
               {&t->glogits, r * t->classes},
               {&t->targets, r * t->classes},
               {&t->out, r * t->d},
               {&t->gout, r * t->d},
               {&t->labels, r},
               {&t->rw, r},
               {&t->ones, r},
               {&t->closs, r}};
    for (size_t i = 0; st == SCL_OK && i < sizeof(all) / sizeof(all[0]); i++)
        st = zeros(t->ctx, all[i].n, all[i].m);
    float *one = scl_alloc(fbytes(r));
    if (!one)
        return SCL_ERR_NOMEM;
    for (int64_t i = 0; i < r; i++)
        one[i] = 1.0f;
    if (st == SCL_OK)
        st = scl_buf_write(t->ctx, t->ones, 0, fbytes(r), one);
    scl_free(one);
    return st;
}

scl_status scl_tri_create(scl_ctx *ctx, int32_t inputs, int32_t classes,
                          const struct scl_tri_params *p, const struct scl_train_params *train,
                          scl_tri **out)
{
    scl_ctx_clear_error(ctx);
    *out = NULL;
    scl_status st = check_params(ctx, inputs, classes, p, train);
    if (st != SCL_OK)
        return st;
    scl_tri *t = scl_calloc(1, sizeof(*t));
    if (!t)
        return SCL_ERR_NOMEM;
    t->ctx = ctx;
    t->p = *p;
    t->tp = *train;
    t->gemm = scl_gemm_resolve(ctx, train->gemm);
    t->d = inputs;
    t->classes = classes;
    t->nh = p->n_hidden;
    t->nz = p->latent;
    t->bc = train->batch;
    t->rows = 2 * train->batch;
    t->n_lin = 2 * t->nh + 3;
    const int32_t *h = p->hidden, top = h[t->nh - 1];
    for (int32_t i = 0; st == SCL_OK && i < t->nh; i++)
        st = lin_create(t, i, i ? h[i - 1] : inputs, h[i]);
    if (st == SCL_OK)
        st = lin_create(t, l_head(t), top, 2 * t->nz);
    if (st == SCL_OK)
        st = lin_create(t, l_cls(t), top, classes);
    for (int32_t j = 0; st == SCL_OK && j < t->nh; j++)
        st = lin_create(t, l_dec(t, j), j ? h[t->nh - j] : t->nz, h[t->nh - 1 - j]);
    if (st == SCL_OK)
        st = lin_create(t, l_out(t), h[0], inputs);
    if (st == SCL_OK)
        st = buffers(t);
    if (st != SCL_OK) {
        scl_tri_destroy(t);
        return st;
    }
    *out = t;
    return SCL_OK;
}

void scl_tri_destroy(scl_tri *t)
{
    if (!t)
        return;
    for (int32_t l = 0; l < MAX_LIN; l++)
        lin_release(&t->lin[l]);
    for (int32_t i = 0; i < SCL_TRI_MAX_HIDDEN; i++) {
        scl_buf_release(&t->enc[i]);
        scl_buf_release(&t->genc[i]);
        scl_buf_release(&t->dec[i]);
        scl_buf_release(&t->gdec[i]);
    }
    cl_mem *all[] = {&t->x,      &t->head,    &t->ghead,   &t->eps,  &t->z,    &t->gz,
                     &t->logits, &t->glogits, &t->targets, &t->out,  &t->gout, &t->labels,
                     &t->rw,     &t->ones,    &t->closs,   &t->perm, &t->pred};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        scl_buf_release(all[i]);
    scl_free(t);
}

/* ------------------------------------------------------------------ layers on the device */

/* out[out_off..][rows][n] = act(in[in_off..][rows][L.in] W[:n]^T + b[:n]), with the frozen
 * copy's weights when `frozen`. n may be below L.out (the classifier's seen classes). */
static scl_status lin_fwd(scl_tri *t, int32_t l, bool frozen, cl_mem in, size_t in_off,
                          int32_t rows, cl_mem out, int32_t out_off, int32_t n, int act)
{
    const struct lin *L = &t->lin[l];
    struct scl_gemm_args g = {0};
    g.trans_b = true;
    g.m = (size_t)rows;
    g.n = (size_t)n;
    g.k = (size_t)L->in;
    g.alpha = 1.0f;
    g.a = in;
    g.a_off = in_off;
    g.lda = g.k;
    g.b = frozen ? L->tw : L->w;
    g.ldb = g.k;
    g.c = out;
    g.c_off = (size_t)out_off;
    g.ldc = g.n;
    scl_status st = scl_gemm(t->ctx, t->gemm, &g);
    cl_mem b = frozen ? L->tb : L->b;
    const struct scl_karg a[] = {SCL_KARG(out), SCL_KARG(out_off), SCL_KARG(rows),
                                 SCL_KARG(n),   SCL_KARG(b),       SCL_KARG(act)};
    if (st == SCL_OK)
        st = scl_launch(t->ctx, "scl_bias_act", (size_t)rows * (size_t)n, a, 6);
    return st;
}

/* Layer l's gradients from its output gradient gout [rows][n] and input in [rows][L.in]:
 * gW[:n] = gout^T in, gb[:n] = ones^T gout, and, when gin is set, gin = gout W[:n] + beta gin. */
static scl_status lin_bwd(scl_tri *t, int32_t l, cl_mem gout, cl_mem in, int32_t rows, int32_t n,
                          cl_mem gin, float beta)
{
    const struct lin *L = &t->lin[l];
    struct scl_gemm_args g = {0};
    g.trans_a = true;
    g.m = (size_t)n;
    g.n = (size_t)L->in;
    g.k = (size_t)rows;
    g.alpha = 1.0f;
    g.a = gout;
    g.lda = (size_t)n;
    g.b = in;
    g.ldb = g.n;
    g.c = L->gw;
    g.ldc = g.n;
    scl_status st = scl_gemm(t->ctx, t->gemm, &g);
    struct scl_gemm_args gb = {0};
    gb.m = 1;
    gb.n = (size_t)n;
    gb.k = (size_t)rows;
    gb.alpha = 1.0f;
    gb.a = t->ones;
    gb.lda = (size_t)rows;
    gb.b = gout;
    gb.ldb = (size_t)n;
    gb.c = L->gb;
    gb.ldc = (size_t)n;
    if (st == SCL_OK)
        st = scl_gemm(t->ctx, t->gemm, &gb);
    if (st != SCL_OK || !gin)
        return st;
    struct scl_gemm_args gi = {0};
    gi.m = (size_t)rows;
    gi.n = (size_t)L->in;
    gi.k = (size_t)n;
    gi.alpha = 1.0f;
    gi.beta = beta;
    gi.a = gout;
    gi.lda = (size_t)n;
    gi.b = L->w;
    gi.ldb = (size_t)L->in;
    gi.c = gin;
    gi.ldc = (size_t)L->in;
    return scl_gemm(t->ctx, t->gemm, &gi);
}

/* g = relu'(a) g over rows x cols (the ReLU's output a is positive where it passed). */
static scl_status relu_bwd(scl_tri *t, cl_mem g, cl_mem a, int32_t rows, int32_t cols)
{
    int n = rows * cols;
    float one = 1.0f;
    const struct scl_karg args[] = {SCL_KARG(g), SCL_KARG(a), SCL_KARG(n), SCL_KARG(one)};
    return scl_launch(t->ctx, "scl_relu_backward", (size_t)n, args, 4);
}

/* The latent generator's streams at one step: the reparameterisation's noise, REM's samples,
 * and scl_tri_sample's chunks (SCL_TRI_STREAM_SAMPLE + chunk), so no two draws share numbers. */
enum { SCL_TRI_STREAM_EPS = 0, SCL_TRI_STREAM_REM = 1, SCL_TRI_STREAM_SAMPLE = 2 };

static scl_status normals(scl_tri *t, cl_mem out, int32_t n, uint32_t stream)
{
    uint32_t seed = t->tp.seed, step = t->step;
    const struct scl_karg a[] = {SCL_KARG(out), SCL_KARG(n), SCL_KARG(seed), SCL_KARG(step),
                                 SCL_KARG(stream)};
    return scl_launch(t->ctx, "scl_normal_fill", (size_t)(n + 1) / 2, a, 5);
}

/* Encoder and classifier of `rows` samples from in (at float offset in_off): logits [rows][k]. */
static scl_status encode_classify(scl_tri *t, bool frozen, cl_mem in, size_t in_off, int32_t rows,
                                  int32_t k)
{
    scl_status st = SCL_OK;
    for (int32_t i = 0; st == SCL_OK && i < t->nh; i++)
        st = lin_fwd(t, i, frozen, i ? t->enc[i - 1] : in, i ? 0 : in_off, rows, t->enc[i], 0,
                     t->p.hidden[i], SCL_VAE_ACT_RELU);
    if (st == SCL_OK)
        st = lin_fwd(t, l_cls(t), frozen, t->enc[t->nh - 1], 0, rows, t->logits, 0, k,
                     SCL_VAE_ACT_NONE);
    return st;
}

/* Decoder from z [rows][nz] to out (at float offset out_off) with output activation act. */
static scl_status decode(scl_tri *t, bool frozen, cl_mem z, int32_t rows, cl_mem out,
                         int32_t out_off, int act)
{
    scl_status st = SCL_OK;
    for (int32_t j = 0; st == SCL_OK && j < t->nh; j++)
        st = lin_fwd(t, l_dec(t, j), frozen, j ? t->dec[j - 1] : z, 0, rows, t->dec[j], 0,
                     t->p.hidden[t->nh - 1 - j], SCL_VAE_ACT_RELU);
    if (st == SCL_OK)
        st = lin_fwd(t, l_out(t), frozen, t->dec[t->nh - 1], 0, rows, out, out_off, t->d, act);
    return st;
}

/* REM: br samples of the frozen copy into rows [0, br) of x, its soft targets over `seen`
 * classes into the same rows of targets. */
static scl_status replay_rows(scl_tri *t, int32_t br, int32_t seen)
{
    scl_status st = normals(t, t->eps, br * t->nz, SCL_TRI_STREAM_REM);
    if (st == SCL_OK)
        st = decode(t, true, t->eps, br, t->x, 0, SCL_VAE_ACT_SIGMOID);
    if (st == SCL_OK)
        st = encode_classify(t, true, t->x, 0, br, t->prev_seen);
    int32_t prev = t->prev_seen;
    float temp = t->p.temperature;
    const struct scl_karg a[] = {SCL_KARG(t->logits), SCL_KARG(br),   SCL_KARG(prev),
                                 SCL_KARG(seen),      SCL_KARG(temp), SCL_KARG(t->targets)};
    if (st == SCL_OK)
        st = scl_launch(t->ctx, "scl_soft_targets", (size_t)br, a, 6);
    return st;
}

/* Forward and backward of the whole model over rows samples in x, gradients into gw/gb. */
static scl_status forward_backward(scl_tri *t, int32_t rows, int32_t seen)
{
    int32_t nh = t->nh, nz = t->nz, d = t->d;
    float norm = 1.0f / (float)d, temp = t->p.temperature;
    scl_status st = encode_classify(t, false, t->x, 0, rows, seen);
    if (st == SCL_OK)
        st = lin_fwd(t, l_head(t), false, t->enc[nh - 1], 0, rows, t->head, 0, 2 * nz,
                     SCL_VAE_ACT_NONE);
    if (st == SCL_OK)
        st = normals(t, t->eps, rows * nz, SCL_TRI_STREAM_EPS);
    const struct scl_karg rp[] = {SCL_KARG(t->head), SCL_KARG(t->eps), SCL_KARG(rows), SCL_KARG(nz),
                                  SCL_KARG(t->z)};
    if (st == SCL_OK)
        st = scl_launch(t->ctx, "scl_vae_reparam", (size_t)(rows * nz), rp, 5);
    if (st == SCL_OK)
        st = decode(t, false, t->z, rows, t->out, 0, SCL_VAE_ACT_NONE);
    /* backward: reconstruction through the decoder to z */
    const struct scl_karg rg[] = {SCL_KARG(t->out), SCL_KARG(t->x), SCL_KARG(t->rw),
                                  SCL_KARG(rows),   SCL_KARG(d),    SCL_KARG(norm),
                                  SCL_KARG(t->gout)};
    if (st == SCL_OK)
        st = scl_launch(t->ctx, "scl_vae_recon_grad", (size_t)rows * (size_t)d, rg, 7);
    int32_t h0 = t->p.hidden[0];
    if (st == SCL_OK)
        st = lin_bwd(t, l_out(t), t->gout, t->dec[nh - 1], rows, d, t->gdec[nh - 1], 0.0f);
    if (st == SCL_OK)
        st = relu_bwd(t, t->gdec[nh - 1], t->dec[nh - 1], rows, h0);
    for (int32_t j = nh - 1; st == SCL_OK && j >= 0; j--) {
        cl_mem in = j ? t->dec[j - 1] : t->z, gin = j ? t->gdec[j - 1] : t->gz;
        st = lin_bwd(t, l_dec(t, j), t->gdec[j], in, rows, t->p.hidden[nh - 1 - j], gin, 0.0f);
        if (st == SCL_OK && j)
            st = relu_bwd(t, gin, in, rows, t->p.hidden[nh - j]);
    }
    /* the latent head (KL and reparameterisation) and the classifier */
    const struct scl_karg hg[] = {SCL_KARG(t->head), SCL_KARG(t->eps),  SCL_KARG(t->gz),
                                  SCL_KARG(t->rw),   SCL_KARG(rows),    SCL_KARG(nz),
                                  SCL_KARG(norm),    SCL_KARG(t->ghead)};
    if (st == SCL_OK)
        st = scl_launch(t->ctx, "scl_vae_head_grad", (size_t)(rows * nz), hg, 8);
    const struct scl_karg cg[] = {SCL_KARG(t->logits), SCL_KARG(rows),       SCL_KARG(seen),
                                  SCL_KARG(t->labels), SCL_KARG(t->targets), SCL_KARG(temp),
                                  SCL_KARG(t->rw),     SCL_KARG(t->glogits), SCL_KARG(t->closs)};
    if (st == SCL_OK)
        st = scl_launch(t->ctx, "scl_vae_class_grad", (size_t)rows, cg, 9);
    int32_t top = t->p.hidden[nh - 1];
    if (st == SCL_OK)
        st = lin_bwd(t, l_cls(t), t->glogits, t->enc[nh - 1], rows, seen, t->genc[nh - 1], 0.0f);
    if (st == SCL_OK)
        st = lin_bwd(t, l_head(t), t->ghead, t->enc[nh - 1], rows, 2 * nz, t->genc[nh - 1], 1.0f);
    if (st == SCL_OK)
        st = relu_bwd(t, t->genc[nh - 1], t->enc[nh - 1], rows, top);
    for (int32_t i = nh - 1; st == SCL_OK && i >= 0; i--) {
        cl_mem in = i ? t->enc[i - 1] : t->x, gin = i ? t->genc[i - 1] : NULL;
        st = lin_bwd(t, i, t->genc[i], in, rows, t->p.hidden[i], gin, 0.0f);
        if (st == SCL_OK && i)
            st = relu_bwd(t, gin, in, rows, t->p.hidden[i - 1]);
    }
    return st;
}

static scl_status adam_all(scl_tri *t)
{
    scl_status st = SCL_OK;
    t->adam_t++;
    for (int32_t l = 0; st == SCL_OK && l < t->n_lin; l++) {
        struct lin *L = &t->lin[l];
        st = scl_adam_launch(t->ctx, L->w, L->gw, L->mw, L->vw, L->in * L->out, &t->tp, t->tp.lr,
                             t->adam_t);
        if (st == SCL_OK)
            st = scl_adam_launch(t->ctx, L->b, L->gb, L->mb, L->vb, L->out, &t->tp, t->tp.lr,
                                 t->adam_t);
    }
    return st;
}

/* ------------------------------------------------------------------ the task loop */

/* Before a task: the frozen copy, downscaling of every weight matrix, Adam afresh. */
static scl_status task_start(scl_tri *t)
{
    scl_status st = SCL_OK;
    bool down = t->p.downscale > 0.0f && (t->task > 0 || t->p.downscale_first);
    for (int32_t l = 0; st == SCL_OK && l < t->n_lin; l++) {
        struct lin *L = &t->lin[l];
        size_t nw = (size_t)L->in * (size_t)L->out;
        float *w = scl_alloc(fbytes((int64_t)nw + L->out));
        if (!w)
            return SCL_ERR_NOMEM;
        st = scl_buf_read(t->ctx, L->w, 0, fbytes((int64_t)nw), w);
        if (st == SCL_OK)
            st = scl_buf_read(t->ctx, L->b, 0, fbytes(L->out), w + nw);
        if (st == SCL_OK)
            st = scl_buf_write(t->ctx, L->tw, 0, fbytes((int64_t)nw), w);
        if (st == SCL_OK)
            st = scl_buf_write(t->ctx, L->tb, 0, fbytes(L->out), w + nw);
        if (st == SCL_OK && down)
            st = scl_weights_downscale(w, nw, (double)t->p.downscale);
        if (st == SCL_OK && down)
            st = scl_buf_write(t->ctx, L->w, 0, fbytes((int64_t)nw), w);
        cl_mem *moments[] = {&L->mw, &L->vw};
        for (int i = 0; st == SCL_OK && i < 2; i++)
            st = scl_buf_fill_zero(t->ctx, *moments[i], fbytes((int64_t)nw));
        if (st == SCL_OK)
            st = scl_buf_fill_zero(t->ctx, L->mb, fbytes(L->out));
        if (st == SCL_OK)
            st = scl_buf_fill_zero(t->ctx, L->vb, fbytes(L->out));
        scl_free(w);
    }
    t->adam_t = 0;
    return st;
}

/* Row weights and labels of a task's steps: replayed rows [0, br) weigh (1 - 1/N) / br and
 * carry label -1; current rows weigh 1/N / bc (1 / bc alone when nothing is replayed). */
static scl_status task_rows(scl_tri *t, int32_t br)
{
    int32_t n = br + t->bc;
    double share = br ? 1.0 / (double)(t->task + 1) : 1.0;
    float *rw = scl_alloc(fbytes(n));
    int32_t *lab = scl_alloc(sizeof(int32_t) * (size_t)n);
    scl_status st = rw && lab ? SCL_OK : SCL_ERR_NOMEM;
    for (int32_t r = 0; st == SCL_OK && r < n; r++) {
        rw[r] = r < br ? (float)((1.0 - share) / br) : (float)(share / t->bc);
        lab[r] = -1;
    }
    if (st == SCL_OK)
        st = scl_buf_write(t->ctx, t->rw, 0, fbytes(n), rw);
    if (st == SCL_OK)
        st = scl_buf_write(t->ctx, t->labels, 0, sizeof(int32_t) * (size_t)n, lab);
    scl_free(rw);
    scl_free(lab);
    return st;
}

/* A new epoch's shuffle of the task's n samples (purpose SCL_RNG_SHUFFLE, stream 16 + task). */
static scl_status shuffle(scl_tri *t, int32_t n, uint32_t epoch, int32_t *perm)
{
    scl_shuffle_stream(perm, n, t->tp.seed, epoch, 16u + (uint32_t)t->task);
    return scl_buf_write(t->ctx, t->perm, 0, sizeof(int32_t) * (size_t)n, perm);
}

static scl_status gather(scl_tri *t, const scl_ddata *d, int32_t start, int32_t off)
{
    cl_kernel k;
    scl_status st = scl_kernel_get(t->ctx, "scl_gather_rows", &k);
    if (st != SCL_OK)
        return st;
    if (!SCL_ARG(t->ctx, k, 0, d->x) || !SCL_ARG(t->ctx, k, 1, d->y) ||
        !SCL_ARG(t->ctx, k, 2, t->perm) || !SCL_ARG(t->ctx, k, 3, start) ||
        !SCL_ARG(t->ctx, k, 4, d->dim) || !SCL_ARG(t->ctx, k, 5, t->x) ||
        !SCL_ARG(t->ctx, k, 6, t->labels) || !SCL_ARG(t->ctx, k, 7, off))
        return SCL_ERR_OPENCL;
    const size_t global[2] = {(size_t)d->dim, (size_t)t->bc};
    return scl_kernel_run(t->ctx, k, 2, global, NULL);
}

static scl_status check_task(scl_tri *t, const scl_ddata *d, int32_t seen)
{
    if (d->dim != t->d)
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG,
                            "tripartite: the data have %d inputs, the model %d", d->dim, t->d);
    if (seen < t->prev_seen || seen > t->classes || d->n_classes > seen)
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG,
                            "tripartite: %d classes seen (before: %d, model: %d, data labels "
                            "up to %d)",
                            seen, t->prev_seen, t->classes, d->n_classes - 1);
    if (d->n < t->bc)
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG, "tripartite: a task of %d samples, batch %d", d->n,
                            t->bc);
    if (t->perm_cap < d->n) {
        scl_buf_release(&t->perm);
        t->perm_cap = 0;
        scl_status st = scl_buf_create(t->ctx, sizeof(int32_t) * (size_t)d->n, NULL, &t->perm);
        if (st != SCL_OK)
            return st;
        t->perm_cap = d->n;
    }
    return SCL_OK;
}

scl_status scl_tri_task(scl_tri *t, const scl_ddata *d, int32_t classes_seen, scl_tri_fn cb,
                        void *user)
{
    scl_ctx_clear_error(t->ctx);
    scl_status st = check_task(t, d, classes_seen);
    if (st != SCL_OK)
        return st;
    int32_t br = t->p.rem && t->task > 0 && t->prev_seen > 0 ? t->bc : 0;
    int32_t *perm = scl_alloc(sizeof(int32_t) * (size_t)d->n);
    if (!perm)
        return SCL_ERR_NOMEM;
    st = task_start(t);
    if (st == SCL_OK)
        st = task_rows(t, br);
    uint32_t epoch = 0;
    int32_t pos = d->n; /* a shuffle at the first step */
    for (int32_t it = 1; st == SCL_OK && it <= t->p.iterations; it++, t->step++) {
        if (pos + t->bc > d->n) { /* the epoch's last partial batch is left out */
            st = shuffle(t, d->n, epoch++, perm);
            pos = 0;
        }
        if (st == SCL_OK)
            st = gather(t, d, pos, br);
        pos += t->bc;
        if (st == SCL_OK && br)
            st = replay_rows(t, br, classes_seen);
        if (st == SCL_OK)
            st = forward_backward(t, br + t->bc, classes_seen);
        if (st == SCL_OK)
            st = adam_all(t);
        if (st == SCL_OK && cb && (it % t->p.eval_every == 0 || it == t->p.iterations))
            st = cb(t, t->task, it, user);
    }
    scl_free(perm);
    if (st == SCL_OK) {
        t->task++;
        t->prev_seen = classes_seen;
    }
    return st;
}

scl_status scl_tri_predict(scl_tri *t, const scl_ddata *d, int32_t classes_seen, int32_t *pred)
{
    scl_ctx_clear_error(t->ctx);
    if (d->dim != t->d || classes_seen < 1 || classes_seen > t->classes)
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG, "tripartite: predict %d inputs over %d classes",
                            d->dim, classes_seen);
    scl_status st = SCL_OK;
    if (t->pred_cap < d->n) {
        scl_buf_release(&t->pred);
        t->pred_cap = 0;
        st = scl_buf_create(t->ctx, sizeof(int32_t) * (size_t)d->n, NULL, &t->pred);
        if (st == SCL_OK)
            t->pred_cap = d->n;
    }
    int output = SCL_OUTPUT_SOFTMAX;
    for (int32_t s = 0; st == SCL_OK && s < d->n; s += t->rows) {
        int32_t rows = d->n - s < t->rows ? d->n - s : t->rows;
        st = encode_classify(t, false, d->x, (size_t)s * (size_t)d->dim, rows, classes_seen);
        const struct scl_karg a[] = {SCL_KARG(t->logits), SCL_KARG(rows),    SCL_KARG(classes_seen),
                                     SCL_KARG(output),    SCL_KARG(t->pred), SCL_KARG(s)};
        if (st == SCL_OK)
            st = scl_launch(t->ctx, "scl_predict", (size_t)rows, a, 6);
    }
    if (st == SCL_OK)
        st = scl_buf_read(t->ctx, t->pred, 0, sizeof(int32_t) * (size_t)d->n, pred);
    return st;
}

scl_status scl_tri_sample(scl_tri *t, int32_t n, float *out)
{
    scl_ctx_clear_error(t->ctx);
    if (n < 0 || (n > 0 && !out))
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG, "tripartite: %d samples asked for", n);
    scl_status st = SCL_OK;
    for (int32_t s = 0, c = 0; st == SCL_OK && s < n; s += t->rows, c++) {
        int32_t rows = n - s < t->rows ? n - s : t->rows;
        st = normals(t, t->eps, rows * t->nz, SCL_TRI_STREAM_SAMPLE + (uint32_t)c);
        if (st == SCL_OK)
            st = decode(t, false, t->eps, rows, t->x, 0, SCL_VAE_ACT_SIGMOID);
        if (st == SCL_OK)
            st = scl_buf_read(t->ctx, t->x, 0, fbytes((int64_t)rows * t->d),
                              out + (size_t)s * (size_t)t->d);
    }
    return st;
}

int32_t scl_tri_n_layers(const scl_tri *t)
{
    return t->n_lin;
}

scl_status scl_tri_layer(scl_tri *t, int32_t l, const char **name, int32_t *n, float *w)
{
    static const char *const enc_names[] = {"enc1", "enc2", "enc3", "enc4"};
    static const char *const dec_names[] = {"dec1", "dec2", "dec3", "dec4"};
    if (l < 0 || l >= t->n_lin)
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG, "tripartite: no layer %d", l);
    const struct lin *L = &t->lin[l];
    if (name)
        *name = l < t->nh        ? enc_names[l]
                : l == l_head(t) ? "latent"
                : l == l_cls(t)  ? "classifier"
                : l == l_out(t)  ? "output"
                                 : dec_names[l - l_dec(t, 0)];
    *n = L->in * L->out;
    return w ? scl_buf_read(t->ctx, L->w, 0, fbytes(*n), w) : SCL_OK;
}

/* ------------------------------------------------------------------ the classifier path as a
 * bias-free scl_model, for SRC's sleep (docs/METHOD.md section 9, "SRC after each task") */

/* Layer l of the path (0..nh): encoder layer l, then the classifier. */
static int32_t path_layer(const scl_tri *t, int32_t l)
{
    return l < t->nh ? l : l_cls(t);
}

scl_status scl_tri_classifier_get(scl_tri *t, int32_t classes_seen, scl_model **out)
{
    scl_ctx_clear_error(t->ctx);
    *out = NULL;
    if (classes_seen < 1 || classes_seen > t->classes)
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG, "tripartite: %d classes seen, the model has %d",
                            classes_seen, t->classes);
    int32_t sizes[SCL_MAX_LAYERS + 1];
    sizes[0] = t->d;
    for (int32_t i = 0; i < t->nh; i++)
        sizes[i + 1] = t->p.hidden[i];
    sizes[t->nh + 1] = classes_seen;
    scl_model *m = NULL;
    scl_status st = scl_model_create(t->nh + 1, sizes, &m);
    /* the classifier's first classes_seen rows lead its [classes][top] matrix */
    for (int32_t l = 0; st == SCL_OK && l <= t->nh; l++)
        st = scl_buf_read(t->ctx, t->lin[path_layer(t, l)].w, 0,
                          fbytes((int64_t)sizes[l] * sizes[l + 1]), m->w[l]);
    if (st != SCL_OK) {
        scl_model_destroy(m);
        return st;
    }
    m->output = SCL_OUTPUT_SOFTMAX;
    m->seed = t->tp.seed;
    *out = m;
    return SCL_OK;
}

scl_status scl_tri_classifier_set(scl_tri *t, const scl_model *m)
{
    scl_ctx_clear_error(t->ctx);
    bool fits = m->n_layers == t->nh + 1 && m->sizes[0] == t->d && m->sizes[t->nh + 1] >= 1 &&
                m->sizes[t->nh + 1] <= t->classes;
    for (int32_t i = 0; fits && i < t->nh; i++)
        fits = m->sizes[i + 1] == t->p.hidden[i];
    if (!fits)
        return scl_ctx_fail(t->ctx, SCL_ERR_ARG,
                            "tripartite: a model of %d layers is not the classifier path's shape",
                            (int)m->n_layers);
    scl_status st = SCL_OK;
    for (int32_t l = 0; st == SCL_OK && l <= t->nh; l++)
        st = scl_buf_write(t->ctx, t->lin[path_layer(t, l)].w, 0,
                           fbytes((int64_t)m->sizes[l] * m->sizes[l + 1]), m->w[l]);
    return st;
}
