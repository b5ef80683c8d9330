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
/* The same step with OWM: each layer's update uses its input batch times the projector proj[l]
 * ([sizes[l]][sizes[l]]), which is then updated from the batch (scl_ref_owm_projector). */
void scl_ref_train_step_owm(scl_model *m, float **momentum, float **proj, const float *x,
                            const int *y, int rows, const struct scl_train_params *p, float lr,
                            uint32_t step);
/* ---- continual-learning methods (ref_train.c): twins of the kernels at the end of
 * cl/train.cl, the same float operations in the same order (so bit for bit, divisions aside) */
/* dst[i] = src[i]^2. */
void scl_ref_square(float *dst, const float *src, int n);
/* One penalised update: s = min(strength imp, cap), g' = g + s (w - anchor); with mu > 0
 * v = lr g' + mu v and dw = -v, else dw = -lr g'; w += dw; with track omega -= g dw. v and
 * omega may be NULL when unused. */
void scl_ref_penalty_step(float *w, float *v, const float *g, const float *imp, const float *anchor,
                          float *omega, int n, float lr, float mu, float strength, float cap,
                          int track);
/* EWC at a task's end with the task's Fisher fk. Online: imp = gamma imp + fk, anchor = w.
 * Plain: imp += fk, the anchor the fk-weighted mean of anchor and w (exactly w where imp was 0,
 * unchanged where fk is 0). */
void scl_ref_ewc_consolidate(float *imp, float *anchor, const float *fk, const float *w, int n,
                             float gamma, int online);
/* SI at a task's end: imp += omega / ((w - anchor)^2 + xi); omega = 0; anchor = w. */
void scl_ref_si_consolidate(float *imp, float *anchor, float *omega, const float *w, int n,
                            float xi);
/* OWM's projector update from a batch in [rows][n]: x = the column means (a float sum in row
 * order, then / rows), px = P x (float sums in column order), d = alpha + x.px (in order), then
 * P -= px px^T / d. The pieces are the kernels' twins one by one. */
void scl_ref_col_mean(const float *x, int rows, int cols, float *out);
void scl_ref_matvec(const float *p, const float *x, int n, float *out);
float scl_ref_owm_denom(const float *x, const float *px, int n, float alpha);
void scl_ref_owm_projector(float *proj, const float *in, int rows, int n, float alpha);
/* The diagonal Fisher of m on x [rows][sizes[0]] as scl_trainer_consolidate computes it, in
 * double: per weight, the mean over samples of the squared gradient of the per-sample loss at
 * the predicted class (test mode: hidden activations scaled by m->act_scale). fisher[l] has
 * the shape of m->w[l]. */
void scl_ref_fisher(const scl_model *m, const struct scl_train_params *p, const float *x, int rows,
                    double **fisher);

/* ---- iCaRL (ref_icarl.c): twin of scl_distill_grad, in double */
/* Loss of one row of logits z (k <= SCL_MAX_CLASSES outputs) with old logits q: BCE on sigmoid
 * outputs summed over the outputs, target sigmoid(q_j) where old[j], else the one-hot label. */
double scl_ref_distill_loss_d(const double *z, const double *q, const int *old, int k, int label);
/* Its gradient with respect to z: sigmoid(z_j) - target_j. */
void scl_ref_distill_grad_d(const double *z, const double *q, const int *old, int k, int label,
                            double *dz);
/* The kernel: dz = norm * the gradient per row, per-row loss to loss_out; q [rows][k] or NULL
 * when no class is old. */
void scl_ref_distill_grad(const float *z, const int *y, const float *q, const int *old, int rows,
                          int k, float norm, float *dz, float *loss_out);

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

/* ---- the machine's peaks (ref_bench.c): twins of cl/bench.cl */
void scl_ref_bench_fma(float *out, int n, int width, int rounds, float a, float b);
void scl_ref_bench_triad(float *a, const float *b, const float *c, float s, int n);

#ifdef __cplusplus
}
#endif
#endif
