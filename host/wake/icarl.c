/*
 * iCaRL's exemplar memory and classifier on the host (docs/METHOD.md section 6.14): herding
 * selection and the nearest-mean-of-exemplars rule, on L2-normalised penultimate features that
 * the device computes (scl_model_features). Both are cheap next to training: herding m of n
 * rows costs m n dim multiply-adds (1000 of 6000 rows of 1200 features, the largest case of the
 * K = 2000 protocol, about 7e9: seconds), classifying n samples n classes dim.
 *
 * Herding. With mu the mean of all rows and S the sum of the k - 1 rows picked so far, the k-th
 * pick minimises |mu - (S + x_i) / k|^2 over the rows not yet picked. Expanded, that is
 * (|x_i|^2 / k - 2 (mu - S/k) . x_i) / k plus a term free of i, so each step is one dot product
 * per row. Sums are in double so that the order does not hinge on float rounding.
 */
#include <math.h>
#include <stdbool.h>

#include "internal.h"

static double dot_fd(const float *a, const double *b, int32_t dim)
{
    double s = 0.0;
    for (int32_t j = 0; j < dim; j++)
        s += (double)a[j] * b[j];
    return s;
}

void scl_l2_normalise_rows(float *x, int32_t n, int32_t dim)
{
    for (int32_t i = 0; i < n; i++) {
        float *row = x + (size_t)i * (size_t)dim;
        double s = 0.0;
        for (int32_t j = 0; j < dim; j++)
            s += (double)row[j] * (double)row[j];
        for (int32_t j = 0; s > 0.0 && j < dim; j++)
            row[j] = (float)((double)row[j] / sqrt(s));
    }
}

/* The row not yet taken that brings the mean of k picks nearest to mu (r = mu - S/k). */
static int32_t herding_pick(const float *feat, const double *norm2, int32_t n, int32_t dim,
                            const bool *taken, const double *r, int32_t k)
{
    int32_t best = -1;
    double best_score = 0.0;
    for (int32_t i = 0; i < n; i++) {
        if (taken[i])
            continue;
        double score = norm2[i] / k - 2.0 * dot_fd(feat + (size_t)i * (size_t)dim, r, dim);
        if (best < 0 || score < best_score) {
            best = i;
            best_score = score;
        }
    }
    return best;
}

scl_status scl_herding(const float *feat, int32_t n, int32_t dim, int32_t m, int32_t *chosen)
{
    if (m < 0 || m > n || dim < 1)
        return SCL_ERR_ARG;
    double *mu = scl_calloc((size_t)dim, sizeof(*mu)), *sum = scl_calloc((size_t)dim, sizeof(*sum));
    double *r = scl_calloc((size_t)dim, sizeof(*r)), *norm2 = scl_calloc((size_t)n, sizeof(*norm2));
    bool *taken = scl_calloc((size_t)n, sizeof(*taken));
    scl_status st = mu && sum && r && norm2 && taken ? SCL_OK : SCL_ERR_NOMEM;
    for (int32_t i = 0; st == SCL_OK && i < n; i++) {
        const float *x = feat + (size_t)i * (size_t)dim;
        for (int32_t j = 0; j < dim; j++) {
            mu[j] += (double)x[j];
            norm2[i] += (double)x[j] * (double)x[j];
        }
    }
    for (int32_t j = 0; st == SCL_OK && j < dim; j++)
        mu[j] /= n;
    for (int32_t k = 1; st == SCL_OK && k <= m; k++) {
        for (int32_t j = 0; j < dim; j++)
            r[j] = mu[j] - sum[j] / k;
        int32_t i = herding_pick(feat, norm2, n, dim, taken, r, k);
        chosen[k - 1] = i;
        taken[i] = true;
        for (int32_t j = 0; j < dim; j++)
            sum[j] += (double)feat[(size_t)i * (size_t)dim + (size_t)j];
    }
    scl_free(mu);
    scl_free(sum);
    scl_free(r);
    scl_free(norm2);
    scl_free(taken);
    return st;
}

void scl_nme_mean(const float *feat, const int32_t *rows, int32_t n, int32_t dim, float *mean)
{
    double s = 0.0;
    for (int32_t j = 0; j < dim; j++) {
        double v = 0.0;
        for (int32_t i = 0; i < n; i++)
            v += (double)feat[(size_t)rows[i] * (size_t)dim + (size_t)j];
        mean[j] = n > 0 ? (float)(v / n) : 0.0f;
        s += (double)mean[j] * (double)mean[j];
    }
    for (int32_t j = 0; s > 0.0 && j < dim; j++)
        mean[j] = (float)((double)mean[j] / sqrt(s));
}

void scl_nme_classify(const float *feat, int32_t n, int32_t dim, const float *means,
                      const int32_t *classes, int32_t n_classes, int32_t *pred)
{
    for (int32_t i = 0; i < n; i++) {
        const float *x = feat + (size_t)i * (size_t)dim;
        int32_t best = 0;
        double best_d = INFINITY;
        for (int32_t c = 0; c < n_classes; c++) {
            const float *mc = means + (size_t)c * (size_t)dim;
            double d = 0.0;
            for (int32_t j = 0; j < dim; j++)
                d += ((double)x[j] - (double)mc[j]) * ((double)x[j] - (double)mc[j]);
            if (d < best_d) {
                best_d = d;
                best = c;
            }
        }
        pred[i] = n_classes > 0 ? classes[best] : -1;
    }
}
