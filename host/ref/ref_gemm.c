/*
 * Reference GEMM: the obvious triple loop with the semantics of host/gemm.h, accumulated in
 * double so that its own rounding error is far below the float engines' it is compared with.
 * beta == 0 assigns instead of scaling, so NaN garbage in C is overwritten, as in BLAS.
 */
#include "ref.h"

static float op_at(const float *x, size_t ld, int trans, size_t r, size_t c)
{
    return trans ? x[c * ld + r] : x[r * ld + c];
}

void scl_ref_gemm(const struct scl_ref_gemm_args *g)
{
    for (size_t i = 0; i < g->m; i++) {
        for (size_t j = 0; j < g->n; j++) {
            double s = 0.0;
            for (size_t p = 0; p < g->k; p++)
                s += (double)op_at(g->a, g->lda, g->trans_a, i, p) *
                     (double)op_at(g->b, g->ldb, g->trans_b, p, j);
            float *c = &g->c[i * g->ldc + j];
            double prev = g->beta != 0.0f ? (double)g->beta * (double)*c : 0.0;
            *c = (float)((double)g->alpha * s + prev);
        }
    }
}
