/*
 * Plain C twin of iCaRL's loss kernel (scl_distill_grad, cl/train.cl), in double: binary
 * cross-entropy on sigmoid outputs summed over the outputs, with the old net's sigmoid outputs as
 * the targets of the old classes and the one-hot label elsewhere.
 */
#include <math.h>

#include "ref.h"

static double sigmoid_d(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

/* Target of output j: the old net's output for an old class, else the one-hot label. */
static double target_d(const double *q, const int *old, int j, int label)
{
    return old[j] ? sigmoid_d(q[j]) : (j == label ? 1.0 : 0.0);
}

double scl_ref_distill_loss_d(const double *z, const double *q, const int *old, int k, int label)
{
    double l = 0.0;
    for (int j = 0; j < k; j++) {
        double t = target_d(q, old, j, label), o = sigmoid_d(z[j]), om = sigmoid_d(-z[j]);
        l -= t * fmax(log(o), -100.0) + (1.0 - t) * fmax(log(om), -100.0);
    }
    return l;
}

void scl_ref_distill_grad_d(const double *z, const double *q, const int *old, int k, int label,
                            double *dz)
{
    for (int j = 0; j < k; j++)
        dz[j] = sigmoid_d(z[j]) - target_d(q, old, j, label);
}

void scl_ref_distill_grad(const float *z, const int *y, const float *q, const int *old, int rows,
                          int k, float norm, float *dz, float *loss_out)
{
    double zd[SCL_MAX_CLASSES], qd[SCL_MAX_CLASSES], gd[SCL_MAX_CLASSES];
    for (int r = 0; r < rows; r++) {
        for (int j = 0; j < k; j++) {
            zd[j] = (double)z[r * k + j];
            qd[j] = q ? (double)q[r * k + j] : 0.0;
        }
        loss_out[r] = (float)scl_ref_distill_loss_d(zd, qd, old, k, y[r]);
        scl_ref_distill_grad_d(zd, qd, old, k, y[r], gd);
        for (int j = 0; j < k; j++)
            dz[r * k + j] = (float)gd[j] * norm;
    }
}
