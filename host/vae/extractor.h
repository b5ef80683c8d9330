/*
 * The feature extractor's inside, for its file format (extractor_io.c) and the tests: its
 * tensors by layer (0..n_layers-1 the convolutions, n_layers the head) and one step's loss and
 * gradients without the optimizer.
 */
#ifndef SLEEPCL_EXTRACTOR_H
#define SLEEPCL_EXTRACTOR_H

#include "internal.h"

/* Which tensor of a layer: flags or'ed together (weights by default). */
enum { SCL_EXT_WEIGHT = 0, SCL_EXT_BIAS = 1, SCL_EXT_GRAD = 2 };

int32_t scl_extractor_classes(const scl_extractor *e);
/* Values of layer l's tensor `which` (0 for a layer that does not exist). */
int64_t scl_extractor_tensor_size(scl_extractor *e, int32_t l, int which);
/* Copy that tensor to host (write false) or from it (write true). */
scl_status scl_extractor_tensor(scl_extractor *e, int32_t l, int which, float *host, bool write);
/* Forward and backward of n <= batch images x [n][dim_in] with labels y: every gradient
 * (SCL_EXT_GRAD tensors) of the mean cross-entropy, which goes to *loss. */
scl_status scl_extractor_loss_grad(scl_extractor *e, const float *x, const uint8_t *y, int32_t n,
                                   double *loss);

#endif
