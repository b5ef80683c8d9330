/*
 * A network's weights and activation buffers on the device, shared by training (train.c),
 * evaluation and activation statistics (eval.c). The forward pass is here once: GEMM per layer,
 * then the hidden ReLU (with dropout in training, with the test-time scale otherwise).
 */
#ifndef SLEEPCL_NET_H
#define SLEEPCL_NET_H

#include "gemm.h"
#include "internal.h"

struct scl_net {
    scl_ctx *ctx;
    int32_t n_layers;
    int32_t sizes[SCL_MAX_LAYERS + 1];
    int32_t rows; /* capacity: samples per pass */
    enum scl_gemm_engine gemm;
    cl_mem w[SCL_MAX_LAYERS];       /* w[l]: [sizes[l+1]][sizes[l]] */
    cl_mem act[SCL_MAX_LAYERS + 1]; /* act[l]: [rows][sizes[l]]; act[0] is the input batch */
};

/* A dataset uploaded once (the public scl_ddata handle). */
struct scl_ddata {
    scl_ctx *ctx;
    int32_t n, dim;
    cl_mem x;              /* [n][dim] pixels */
    cl_mem y;              /* [n] uchar labels */
    const uint8_t *labels; /* [n], borrowed from the host dataset, which must outlive this */
    int32_t n_classes;     /* 1 + the largest label */
};

/* Where data meet a model: the inputs must match the model's input layer and every label must
 * have an output unit, else the one-hot targets and the confusion counts would index past their
 * rows. SCL_ERR_ARG naming `what` ("eval", "train") otherwise. */
scl_status scl_ddata_check(scl_ctx *ctx, const scl_ddata *d, const scl_model *m, const char *what);

/* Dropout of one forward pass: p = 0 or a NULL pointer means none (test mode). */
struct scl_dropout {
    float p;
    float keep_scale; /* multiplier of kept units in training */
    uint32_t seed, step;
};

/* Allocate weights and activations for `rows` samples of m's shape and upload m's weights. */
scl_status scl_net_init(struct scl_net *net, scl_ctx *ctx, const scl_model *m, int32_t rows,
                        scl_gemm_engine gemm);
void scl_net_release(struct scl_net *net);
scl_status scl_net_upload(struct scl_net *net, const scl_model *m);
scl_status scl_net_download(struct scl_net *net, scl_model *m);
/* Forward `rows` samples from x (at float offset x_off, or act[0] when x is NULL). Training
 * mode applies `drop` to hidden layers; test mode (drop NULL) scales them by act_scale. After
 * the call act[L] holds the output pre-activation z. */
scl_status scl_net_forward(struct scl_net *net, cl_mem x, size_t x_off, int32_t rows,
                           const struct scl_dropout *drop, float act_scale);
/* Enqueue a 1-D kernel over n work-items after setting its arguments from a list of
 * (size, pointer) pairs; the common shape of every element-wise launch. */
struct scl_karg {
    size_t size;
    const void *ptr;
};
scl_status scl_launch(scl_ctx *ctx, const char *name, size_t n, const struct scl_karg *args,
                      int nargs);
/* One Adam step (adam.c) of the n parameters w with gradient g and moments m, v, at step t >= 1
 * (p's adam_beta1, adam_beta2, adam_eps; learning rate lr). */
scl_status scl_adam_launch(scl_ctx *ctx, cl_mem w, cl_mem g, cl_mem m, cl_mem v, int n,
                           const struct scl_train_params *p, float lr, uint32_t t);
#define SCL_KARG(v)     \
    {                   \
        sizeof(v), &(v) \
    }

#endif
