/*
 * Device copy of a network and its forward pass (see net.h). The first GEMM reads the input
 * straight from wherever it lives (a batch buffer or an uploaded dataset at an offset), so
 * evaluation needs no gather.
 */
#include <string.h>

#include "net.h"
#include "scl_contract.h" /* SCL_K_DROPOUT_ITEM */

scl_status scl_launch(scl_ctx *ctx, const char *name, size_t n, const struct scl_karg *args,
                      int nargs)
{
    const struct scl_kernel_slot *s;
    scl_status st = scl_kernel_slot_get(ctx, name, &s);
    if (st != SCL_OK)
        return st;
    /* Arguments go by position: a count that differs means host and cl/ are out of step. */
    if (s->n_args != (cl_uint)nargs)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "%s: launched with %d arguments, the kernel takes %u",
                            name, nargs, (unsigned)s->n_args);
    cl_kernel k = s->kernel;
    for (int i = 0; i < nargs; i++)
        if (!SCL_CL_OK(ctx, clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].ptr)))
            return SCL_ERR_OPENCL;
    size_t global = n ? n : 1;
    return scl_kernel_run(ctx, k, 1, &global, NULL);
}

scl_status scl_ddata_check(scl_ctx *ctx, const scl_ddata *d, const scl_model *m, const char *what)
{
    int32_t outputs = m->sizes[m->n_layers];
    if (d->dim != m->sizes[0])
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "%s: the data have %d inputs, the model %d", what,
                            d->dim, m->sizes[0]);
    if (d->n_classes > outputs)
        return scl_ctx_fail(ctx, SCL_ERR_ARG,
                            "%s: the data have labels up to %d, the model has %d output%s", what,
                            d->n_classes - 1, outputs, outputs == 1 ? "" : "s");
    return SCL_OK;
}

static size_t wbytes(const struct scl_net *net, int32_t l)
{
    return sizeof(float) * (size_t)net->sizes[l + 1] * (size_t)net->sizes[l];
}

scl_status scl_net_init(struct scl_net *net, scl_ctx *ctx, const scl_model *m, int32_t rows,
                        scl_gemm_engine gemm)
{
    scl_status st = SCL_OK;
    memset(net, 0, sizeof(*net));
    net->ctx = ctx;
    net->n_layers = m->n_layers;
    net->rows = rows;
    net->gemm = scl_gemm_resolve(ctx, gemm);
    memcpy(net->sizes, m->sizes, sizeof(m->sizes));
    for (int32_t l = 0; st == SCL_OK && l < m->n_layers; l++)
        st = scl_buf_create(ctx, wbytes(net, l), m->w[l], &net->w[l]);
    for (int32_t l = 0; st == SCL_OK && l <= m->n_layers; l++)
        st = scl_buf_create(ctx, sizeof(float) * (size_t)rows * (size_t)m->sizes[l], NULL,
                            &net->act[l]);
    if (st != SCL_OK)
        scl_net_release(net);
    return st;
}

void scl_net_release(struct scl_net *net)
{
    for (int32_t l = 0; l < SCL_MAX_LAYERS; l++)
        scl_buf_release(&net->w[l]);
    for (int32_t l = 0; l <= SCL_MAX_LAYERS; l++)
        scl_buf_release(&net->act[l]);
}

scl_status scl_net_upload(struct scl_net *net, const scl_model *m)
{
    scl_status st = SCL_OK;
    for (int32_t l = 0; st == SCL_OK && l < net->n_layers; l++)
        st = scl_buf_write(net->ctx, net->w[l], 0, wbytes(net, l), m->w[l]);
    return st;
}

scl_status scl_net_download(struct scl_net *net, scl_model *m)
{
    scl_status st = SCL_OK;
    for (int32_t l = 0; st == SCL_OK && l < net->n_layers; l++)
        st = scl_buf_read(net->ctx, net->w[l], 0, wbytes(net, l), m->w[l]);
    return st;
}

/* Hidden-layer activation of layer l (1-based) over `rows` samples. */
static scl_status hidden_act(struct scl_net *net, int32_t l, int32_t rows,
                             const struct scl_dropout *drop, float act_scale)
{
    int n = rows * net->sizes[l];
    if (drop && drop->p > 0.0f) {
        uint32_t layer = (uint32_t)l;
        const struct scl_karg a[] = {SCL_KARG(net->act[l]), SCL_KARG(n),
                                     SCL_KARG(drop->p),     SCL_KARG(drop->keep_scale),
                                     SCL_KARG(drop->seed),  SCL_KARG(drop->step),
                                     SCL_KARG(layer)};
        return scl_launch(net->ctx, "scl_relu_dropout",
                          (size_t)(n + SCL_K_DROPOUT_ITEM - 1) / SCL_K_DROPOUT_ITEM, a, 7);
    }
    float scale = drop ? 1.0f : act_scale;
    const struct scl_karg a[] = {SCL_KARG(net->act[l]), SCL_KARG(n), SCL_KARG(scale)};
    return scl_launch(net->ctx, "scl_relu_scale", (size_t)n, a, 3);
}

scl_status scl_net_forward(struct scl_net *net, cl_mem x, size_t x_off, int32_t rows,
                           const struct scl_dropout *drop, float act_scale)
{
    scl_status st = SCL_OK;
    for (int32_t l = 1; st == SCL_OK && l <= net->n_layers; l++) {
        struct scl_gemm_args g = {0};
        g.trans_b = true;
        g.m = (size_t)rows;
        g.n = (size_t)net->sizes[l];
        g.k = (size_t)net->sizes[l - 1];
        g.alpha = 1.0f;
        g.a = (l == 1 && x) ? x : net->act[l - 1];
        g.a_off = (l == 1 && x) ? x_off : 0;
        g.lda = g.k;
        g.b = net->w[l - 1];
        g.ldb = g.k;
        g.c = net->act[l];
        g.ldc = g.n;
        st = scl_gemm(net->ctx, net->gemm, &g);
        if (st == SCL_OK && l < net->n_layers)
            st = hidden_act(net, l, rows, drop, act_scale);
    }
    return st;
}
