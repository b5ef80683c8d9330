/*
 * The convolution feature extractor's data movement (host/vae/extractor.c, docs/METHOD.md
 * section 9): im2col turns a square-kernel convolution into one GEMM, col2im is its adjoint and
 * carries the gradient back to the layer's input. Plain C twins in host/ref/ref_conv.c,
 * compared by tests/device/test_conv.cpp.
 *
 * The input is addressed through strides so that one kernel reads both the datasets' images
 * (CHW per sample: sc = h w, sy = w, sx = 1) and the extractor's own activations (HWC per
 * sample, the GEMM's output rows: sc = 1, sy = w c, sx = c). The geometry, in the argument
 * order of both kernels: n, c, h, w (input), ho, wo (output), k (kernel side), stride, pad, and
 * the input strides sn, sc, sy, sx (in floats).
 * The column matrix is [n ho wo][c k k], row (s, oy, ox), column (ci, ky, kx): the row-major
 * flattening of a [cout][c][k][k] weight tensor, so the product is col W^T.
 */
#pragma OPENCL FP_CONTRACT OFF

/* col[row][col] = in at (s, ci, oy stride + ky - pad, ox stride + kx - pad), 0 outside the
 * image (the zero padding). One work-item per (row, ci) writes that channel's k x k window, so
 * the index arithmetic (32-bit: the host keeps every index below 2^31) is paid once per window. */
__kernel void scl_im2col(__global const float *in, int n, int c, int h, int w, int ho, int wo,
                         int k, int stride, int pad, int sn, int sc, int sy, int sx,
                         __global float *col)
{
    int i = get_global_id(0);
    if (i >= n * ho * wo * c)
        return;
    int ci = i % c, row = i / c;
    int ox = row % wo, oy = row / wo % ho, s = row / (wo * ho);
    int y0 = oy * stride - pad, x0 = ox * stride - pad;
    __global const float *src = in + s * sn + ci * sc;
    __global float *dst = col + (row * c + ci) * k * k;
    for (int ky = 0; ky < k; ky++) {
        int y = y0 + ky;
        for (int kx = 0; kx < k; kx++) {
            int x = x0 + kx;
            bool inside = y >= 0 && y < h && x >= 0 && x < w;
            dst[ky * k + kx] = inside ? src[y * sy + x * sx] : 0.0f;
        }
    }
}

/* The adjoint: gin at (s, ci, y, x) = the sum of every column entry im2col copied from there,
 * taken in (ky, kx) order. One work-item per input pixel: it finds the column rows its k x k taps
 * land in once, then sums each channel over them, so the sum needs no atomics and is the same
 * on every run. k is at most SCL_CONV_MAX_K (the host checks). */
#define SCL_CONV_MAX_K 5
__kernel void scl_col2im(__global const float *col, int n, int c, int h, int w, int ho, int wo,
                         int k, int stride, int pad, int sn, int sc, int sy, int sx,
                         __global float *gin)
{
    int i = get_global_id(0);
    if (i >= n * h * w)
        return;
    int x = i % w, y = i / w % h, s = i / (w * h);
    int tap[SCL_CONV_MAX_K * SCL_CONV_MAX_K], row[SCL_CONV_MAX_K * SCL_CONV_MAX_K], taps = 0;
    for (int ky = 0; ky < k; ky++) {
        int ty = y + pad - ky;
        if (ty < 0 || ty % stride != 0 || ty / stride >= ho)
            continue;
        for (int kx = 0; kx < k; kx++) {
            int tx = x + pad - kx;
            if (tx < 0 || tx % stride != 0 || tx / stride >= wo)
                continue;
            tap[taps] = ky * k + kx;
            row[taps++] = (s * ho + ty / stride) * wo + tx / stride;
        }
    }
    int cols = c * k * k;
    __global float *dst = gin + s * sn + y * sy + x * sx;
    for (int ci = 0; ci < c; ci++) {
        float sum = 0.0f;
        for (int t = 0; t < taps; t++)
            sum += col[row[t] * cols + ci * k * k + tap[t]];
        dst[ci * sc] = sum;
    }
}
