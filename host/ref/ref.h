/*
 * Plain C references for every device computation: scalar loops that are obviously correct, with
 * the kernels' semantics. Tests compare kernels against these with a stated tolerance.
 */
#ifndef SLEEPCL_REF_H
#define SLEEPCL_REF_H

#include <stddef.h>
#include <stdint.h>

#include "sleepcl/sleepcl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Philox4x32-10 written from the paper's constants. */
void scl_ref_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* ---- wake phase (ref_train.c): twins of cl/train.cl */
void scl_ref_relu_dropout(float *a, int n, float p, float keep_scale, uint32_t seed, uint32_t step,
                          uint32_t layer);
void scl_ref_relu_scale(float *a, int n, float scale);
void scl_ref_relu_backward(float *g, const float *a, int n, float keep_scale);
/* Loss of one row of pre-activations z (k outputs) against class `label`, and its gradient
 * with respect to z, in double (enums scl_output / scl_loss). */
double scl_ref_loss_d(const double *z, int k, int label, int output, int loss);
void scl_ref_loss_grad_d(const double *z, int k, int label, int output, int loss, double *dz);
/* The loss-gradient kernel: dz = norm * dL/dz per row, per-sample loss in loss_out. */
void scl_ref_loss_grad(const float *z, const int *y, int rows, int k, int output, int loss,
                       float norm, float *dz, float *loss_out);
void scl_ref_predict(const float *z, int rows, int k, int output, int *pred);
/* max(0, max a[i]). */
float scl_ref_max_relu(const float *a, int n);
/* One SGD step of the whole network on rows samples (x [rows][n0], labels y), dropout masks at
 * generator step `step`, updating m (and the momentum buffers, one per layer, if non-NULL). */
void scl_ref_train_step(scl_model *m, float **momentum, const float *x, const int *y, int rows,
                        const struct scl_train_params *p, float lr, uint32_t step);

/* C = alpha op(A) op(B) + beta C, row-major, as host/gemm.h, accumulated in double. op(A) is A
 * ([m][k], row stride lda) or A^T (A stored [k][m]); likewise B. beta == 0 never reads C. */
struct scl_ref_gemm_args {
    int trans_a, trans_b;
    size_t m, n, k;
    float alpha, beta;
    const float *a;
    size_t lda;
    const float *b;
    size_t ldb;
    float *c;
    size_t ldc;
};
void scl_ref_gemm(const struct scl_ref_gemm_args *g);

/* ---- sleep (ref_sleep.c): twin of cl/sleep.cl, bit for bit */
/* f(w) of the Hebbian update for modulation `modulation` (enum scl_sleep_mod). */
float scl_ref_sleep_f(float w, int modulation);
/* The window corner (row, col in 0..17) of step t in window mode. */
void scl_ref_sleep_window(uint32_t seed, uint32_t t, int32_t *r0, int32_t *c0);
/* What a reference run records; either pointer may be NULL. */
struct scl_ref_sleep_out {
    int32_t *spikes;      /* [T][L+1] spikes per step and layer (0 = input) */
    uint8_t *raster;      /* [T][raster_units] 0/1, layers 0..L in order */
    int64_t raster_units; /* sizes[0] + ... + sizes[L] */
};
/* Sleep on m in place (parameters assumed valid): the obviously correct sparse loop. */
scl_status scl_ref_sleep_run(scl_model *m, const struct scl_sleep_params *p, const float *mean,
                             const float *alpha, const struct scl_ref_sleep_out *out);
/* The same with W_1 stored transposed during the run: the benchmark's single-threaded
 * baseline. Same bits as scl_ref_sleep_run. */
scl_status scl_ref_sleep_run_fast(scl_model *m, const struct scl_sleep_params *p, const float *mean,
                                  const float *alpha, const struct scl_ref_sleep_out *out);
/* Largest post-ReLU activation of each layer (output included) over n inputs x [n][sizes[0]]. */
void scl_ref_sleep_act_max(const scl_model *m, const float *x, int32_t n, float *act_max);

#ifdef __cplusplus
}
#endif
#endif
