/*
 * Plain C twins of cl/conv.cl (the feature extractor's im2col and col2im, same geometry and
 * layouts), and a double-precision loss of a small conv stack whose finite differences check
 * the extractor's gradients (tests/device/test_conv.cpp).
 */
#ifndef SLEEPCL_REF_CONV_H
#define SLEEPCL_REF_CONV_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One convolution's shape: n samples of c x h x w in, ho x wo out, a k x k kernel at `stride`
 * with `pad` zeros around, the input read at s sn + ci sc + y sy + x sx (floats). */
struct scl_ref_conv_geom {
    int n, c, h, w, ho, wo, k, stride, pad, sn, sc, sy, sx;
};

/* col [n ho wo][c k k] from in (zero padding). */
void scl_ref_im2col(const float *in, const struct scl_ref_conv_geom *g, float *col);
/* The adjoint: every input element (through the strides) = the sum of the column entries
 * im2col copied from it, in (ky, kx) order; elements of the input no stride reaches stay. */
void scl_ref_col2im(const float *col, const struct scl_ref_conv_geom *g, float *gin);

/* The extractor's mean cross-entropy over n CHW images of c0 x side x side, in double: conv
 * layers l = 0..L-1 (3x3, pad 1, stride 1 for the first and 2 after, ReLU) with weights
 * w[l] [ch[l]][c_prev][3][3] and biases b[l], then logits = W_head f + b_head over `classes`,
 * f the last layer's output flattened as (y, x, c). */
double scl_ref_extractor_loss_d(const float *x, const uint8_t *y, int n, int c0, int side,
                                int layers, const int *ch, const float *const *w,
                                const float *const *b, const float *w_head, const float *b_head,
                                int classes);

#ifdef __cplusplus
}
#endif
#endif
