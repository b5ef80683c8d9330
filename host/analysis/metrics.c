/*
 * Continual-learning metrics from an accuracy matrix R (R[i][j] = accuracy on task j after
 * learning task i, tasks 0..T-1):
 *   average accuracy   ACC = 1/T sum_j R[T-1][j]
 *   backward transfer  BWT = 1/(T-1) sum_{j<T-1} (R[T-1][j] - R[j][j])   (Lopez-Paz, Ranzato 2017)
 *   forgetting         F   = 1/(T-1) sum_{j<T-1} max_{l<T-1} R[l][j] - R[T-1][j]
 *                                                                        (Chaudhry et al. 2018)
 * With one task, BWT and F are 0. And the balance score of synaptic downscaling (Robinson et
 * al.): with a_C the accuracies on the N tasks seen and mu their mean,
 *   KL = sum_C a_C / (N mu) * log(a_C / mu),
 * 0 when every task is equally well remembered, growing as accuracy concentrates on few tasks
 * (terms with a_C = 0 contribute 0, their limit).
 */
#include <math.h>

#include "internal.h"

scl_status scl_cl_metrics(const double *r, int32_t t, struct scl_cl_metrics *out)
{
    if (t < 1)
        return SCL_ERR_ARG;
    const double *last = r + (size_t)(t - 1) * (size_t)t;
    double acc = 0.0, bwt = 0.0, forget = 0.0;
    for (int32_t j = 0; j < t; j++)
        acc += last[j];
    for (int32_t j = 0; j < t - 1; j++) {
        double best = r[j];
        for (int32_t l = 0; l < t - 1; l++)
            best = fmax(best, r[(size_t)l * (size_t)t + (size_t)j]);
        bwt += last[j] - r[(size_t)j * (size_t)t + (size_t)j];
        forget += best - last[j];
    }
    out->average_accuracy = acc / t;
    out->backward_transfer = t > 1 ? bwt / (t - 1) : 0.0;
    out->forgetting = t > 1 ? forget / (t - 1) : 0.0;
    return SCL_OK;
}

double scl_cl_balance(const double *acc, int32_t n)
{
    double mu = 0.0, kl = 0.0;
    for (int32_t c = 0; c < n; c++)
        mu += acc[c];
    mu /= n;
    if (n < 1 || !(mu > 0.0))
        return (double)NAN;
    for (int32_t c = 0; c < n; c++)
        if (acc[c] > 0.0)
            kl += acc[c] / (n * mu) * log(acc[c] / mu);
    return kl;
}
