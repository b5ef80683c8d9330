/*
 * Plain C twins of cl/vae.cl (the tripartite sleep's autoencoder), with the kernels' semantics
 * and, for the losses, double-precision loss functions whose finite differences check the
 * gradients (tests/unit/test_vae_grad.cpp).
 */
#ifndef SLEEPCL_REF_VAE_H
#define SLEEPCL_REF_VAE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* n standard normals: Box-Muller on the first two words of the Philox call of pair q, purpose
 * SCL_RNG_LATENT. */
void scl_ref_normal_fill(float *out, int n, uint32_t seed, uint32_t step, uint32_t stream);
/* a = act(a + b) per row ([rows][cols], act a SCL_VAE_ACT_* code). */
void scl_ref_bias_act(float *a, int rows, int cols, const float *b, int act);
/* z = mu + exp(lv / 2) eps from head rows [mu | lv] of 2 nz entries. */
void scl_ref_reparam(const float *head, const float *eps, int rows, int nz, float *z);
/* g = rw[r] norm (sigmoid(o) - x). */
void scl_ref_recon_grad(const float *o, const float *x, const float *rw, int rows, int d,
                        float norm, float *g);
/* Pixel-summed BCE of sigmoid(o) against x over d values, in double. */
double scl_ref_recon_loss_d(const double *o, const float *x, int d);
/* dhead of the KL term (weighted rw[r] norm) plus dz through the reparameterisation. */
void scl_ref_head_grad(const float *head, const float *eps, const float *dz, const float *rw,
                       int rows, int nz, float norm, float *dhead);
/* KL(N(mu, exp(lv)) || N(0, I)) of one row, in double. */
double scl_ref_kl_d(const double *mu, const double *lv, int nz);
/* The classifier's row gradients and unweighted row losses (label >= 0: cross-entropy; -1:
 * distillation to targets with temperature t). */
void scl_ref_class_grad(const float *logits, int rows, int k, const int *labels,
                        const float *targets, float t, const float *rw, float *dl, float *loss);
/* One row's classifier loss in double, as scl_ref_class_grad defines it. */
double scl_ref_class_loss_d(const double *z, int k, int label, const float *q, double t);
/* Soft targets: softmax(logits / t) over prev classes, zero up to seen. */
void scl_ref_soft_targets(const float *logits, int rows, int prev, int seen, float t, float *q);
/* One Adam step over n weights (the kernel's float operations in its order). */
void scl_ref_adam_step(float *w, const float *g, float *m, float *v, int n, float lr, float b1,
                       float b2, float eps, float bc1, float bc2);

#ifdef __cplusplus
}
#endif
#endif
