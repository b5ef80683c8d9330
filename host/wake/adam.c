/*
 * The Adam step of one parameter buffer (cl/vae.cl scl_adam_step), shared by the wake trainer
 * (train.c, train.optimizer = adam) and the tripartite VAE (host/vae/vae.c). The bias
 * corrections 1 - beta^t are computed here in double, once per buffer and step.
 */
#include <math.h>

#include "net.h"

scl_status scl_adam_launch(scl_ctx *ctx, cl_mem w, cl_mem g, cl_mem m, cl_mem v, int n,
                           const struct scl_train_params *p, float lr, uint32_t t)
{
    float b1 = p->adam_beta1, b2 = p->adam_beta2, eps = p->adam_eps;
    float bc1 = (float)(1.0 - pow((double)b1, (double)t));
    float bc2 = (float)(1.0 - pow((double)b2, (double)t));
    const struct scl_karg a[] = {SCL_KARG(w),   SCL_KARG(g),   SCL_KARG(m),  SCL_KARG(v),
                                 SCL_KARG(n),   SCL_KARG(lr),  SCL_KARG(b1), SCL_KARG(b2),
                                 SCL_KARG(eps), SCL_KARG(bc1), SCL_KARG(bc2)};
    return scl_launch(ctx, "scl_adam_step", (size_t)n, a, 11);
}
