/*
 * The trainer's state (the public scl_trainer handle), shared by the SGD step (train.c) and the
 * continual-learning methods (methods.c), which add per-weight buffers and a second update path
 * but never change the plain step: with p.method = SGD, training is what it was before them.
 */
#ifndef SLEEPCL_TRAINER_H
#define SLEEPCL_TRAINER_H

#include "net.h"

struct scl_trainer {
    scl_ctx *ctx;
    struct scl_train_params p;
    struct scl_net net;
    int32_t rows;             /* samples per step: batch, plus replay_batch (rehearsal) */
    cl_mem v[SCL_MAX_LAYERS]; /* momentum buffers, when p.momentum > 0 */
    /* Adam (p.optimizer = ADAM): each layer's gradient and moments, and the step count */
    cl_mem adam_g[SCL_MAX_LAYERS], adam_m[SCL_MAX_LAYERS], adam_v[SCL_MAX_LAYERS];
    uint32_t adam_t;
    cl_mem grad[SCL_MAX_LAYERS + 1]; /* grad[l]: [rows][sizes[l]], dL/dz of layer l (l >= 1) */
    cl_mem yb;                       /* [rows] labels of the batch */
    cl_mem perm;                     /* [capacity] permutation of the epoch */
    cl_mem losses;                   /* [capacity] per-sample loss of the epoch */
    int32_t capacity;                /* samples perm/losses can hold */
    uint32_t epoch, step;            /* counters across fits: shuffles and masks never repeat */
    /* the penalty methods (EWC, online EWC, SI), allocated only for them */
    cl_mem imp[SCL_MAX_LAYERS];    /* stiffness per weight: the Fisher (EWC) or Omega (SI) */
    cl_mem anchor[SCL_MAX_LAYERS]; /* w*: the weights the penalty pulls towards */
    cl_mem omega[SCL_MAX_LAYERS];  /* SI: path integral since the last consolidation */
    cl_mem gw[SCL_MAX_LAYERS];     /* the task loss's weight gradient of a step; Fisher sums */
    cl_mem sq[2];                  /* Fisher: squared output gradients, squared inputs; OWM:
                                      sq[0] holds the projected inputs of a step */
    /* OWM, allocated only for it */
    cl_mem proj[SCL_MAX_LAYERS]; /* P_l: [sizes[l]][sizes[l]], symmetric, from the identity */
    cl_mem xbar, px, denom;      /* the batch-mean input, P x and alpha + x.P x of an update */
    /* rehearsal */
    const scl_ddata *mem; /* the memory mixed into every step (borrowed), or NULL */
    cl_mem mem_pos;       /* [mem_capacity] memory positions of the epoch's steps */
    int32_t mem_capacity;
    /* iCaRL, allocated only for it */
    cl_mem old_mask;          /* [outputs] int: 1 for the classes whose targets are distilled */
    cl_mem old_logits;        /* [distill_n][outputs]: the old net's logits of the fitted data */
    cl_mem qb;                /* [rows][outputs]: the batch's rows of old_logits */
    const scl_ddata *distill; /* the data old_logits belong to (borrowed), or NULL */
};

/* ---- train.c, for methods.c */
/* Rows [start, start + rows) of perm's order of d into the batch, from batch row `off`. */
scl_status scl_train_gather(scl_trainer *t, const scl_ddata *d, cl_mem perm, int32_t start,
                            int32_t rows, int32_t off);
/* grad[L] = norm * dL/dz for the batch's labels; per-sample losses to losses[loss_off..]. */
scl_status scl_train_loss_grad(scl_trainer *t, int32_t rows, int32_t loss_off, float norm);
/* W_l -= lr grad[l]^T in (or through the momentum buffer): in is the layer's input batch, or
 * for OWM that batch times the projector. */
scl_status scl_train_update(scl_trainer *t, int32_t l, int32_t rows, float lr, cl_mem in);
/* grad[l-1] = slope * relu'(act[l-1]) * (grad[l] W_l), for layer l >= 2. */
scl_status scl_train_backprop(scl_trainer *t, int32_t l, int32_t rows, float slope);
/* perm and losses hold at least n entries. */
scl_status scl_train_capacity(scl_trainer *t, int32_t n);

/* ---- methods.c */
/* Whether p's method is EWC, online EWC or SI. */
bool scl_method_penalised(const struct scl_train_params *p);
/* Whether p's method replaces the plain update by scl_method_update (the penalties, OWM). */
bool scl_method_own_update(const struct scl_train_params *p);
/* The method's buffers (anchors start at m's weights); released by scl_method_release. */
scl_status scl_method_buffers(scl_trainer *t, const scl_model *m);
void scl_method_release(scl_trainer *t);
/* Update of layer l (1-based) from grad[l] and act[l-1]: with the penalty (scl_penalty_step),
 * or projected (OWM, which then updates its projector from the batch). */
scl_status scl_method_update(scl_trainer *t, int32_t l, int32_t rows, float lr);
/* Rehearsal, once per epoch of n samples: upload the memory positions of its steps. */
scl_status scl_method_epoch(scl_trainer *t, int32_t n, uint32_t epoch);
/* Rehearsal: the memory samples of step `index` of the epoch into batch rows off.. (their
 * count, 0 without a memory, into *added). */
scl_status scl_method_gather_memory(scl_trainer *t, int32_t index, int32_t off, int32_t *added);
/* iCaRL: grad[L] and the losses of the batch from scl_distill_grad, after gathering the
 * batch's old logits by the same positions of perm. */
scl_status scl_method_distill_grad(scl_trainer *t, const scl_ddata *d, int32_t start, int32_t rows,
                                   float norm);
/* For tests: layer l's stiffness, anchor and (SI) path integral, each [sizes[l+1]][sizes[l]];
 * any pointer may be NULL. SCL_ERR_ARG for a method without them. */
scl_status scl_trainer_read_method(scl_trainer *t, int32_t l, float *imp, float *anchor,
                                   float *omega);
/* For tests: OWM's projector of layer l, [sizes[l]][sizes[l]]. SCL_ERR_ARG for other methods. */
scl_status scl_trainer_read_projector(scl_trainer *t, int32_t l, float *proj);

#endif
