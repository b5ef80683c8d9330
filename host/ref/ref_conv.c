/* Plain C twins of cl/conv.cl and the extractor's loss in double (ref_conv.h). */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ref_conv.h"

static size_t in_at(const struct scl_ref_conv_geom *g, int s, int ci, int y, int x)
{
    return (size_t)s * (size_t)g->sn + (size_t)ci * (size_t)g->sc + (size_t)y * (size_t)g->sy +
           (size_t)x * (size_t)g->sx;
}

void scl_ref_im2col(const float *in, const struct scl_ref_conv_geom *g, float *col)
{
    size_t i = 0;
    for (int s = 0; s < g->n; s++)
        for (int oy = 0; oy < g->ho; oy++)
            for (int ox = 0; ox < g->wo; ox++)
                for (int ci = 0; ci < g->c; ci++)
                    for (int ky = 0; ky < g->k; ky++)
                        for (int kx = 0; kx < g->k; kx++, i++) {
                            int y = oy * g->stride + ky - g->pad, x = ox * g->stride + kx - g->pad;
                            bool inside = y >= 0 && y < g->h && x >= 0 && x < g->w;
                            col[i] = inside ? in[in_at(g, s, ci, y, x)] : 0.0f;
                        }
}

void scl_ref_col2im(const float *col, const struct scl_ref_conv_geom *g, float *gin)
{
    size_t cols = (size_t)g->c * (size_t)g->k * (size_t)g->k;
    for (int s = 0; s < g->n; s++)
        for (int ci = 0; ci < g->c; ci++)
            for (int y = 0; y < g->h; y++)
                for (int x = 0; x < g->w; x++) {
                    float sum = 0.0f;
                    for (int ky = 0; ky < g->k; ky++)
                        for (int kx = 0; kx < g->k; kx++) {
                            int ty = y + g->pad - ky, tx = x + g->pad - kx;
                            if (ty < 0 || tx < 0 || ty % g->stride || tx % g->stride ||
                                ty / g->stride >= g->ho || tx / g->stride >= g->wo)
                                continue;
                            size_t row = ((size_t)s * (size_t)g->ho + (size_t)(ty / g->stride)) *
                                             (size_t)g->wo +
                                         (size_t)(tx / g->stride);
                            sum += col[row * cols + (size_t)((ci * g->k + ky) * g->k + kx)];
                        }
                    gin[in_at(g, s, ci, y, x)] = sum;
                }
}

/* One 3x3 pad-1 convolution with ReLU of a CHW image in double: out [co][ho][wo]. */
static void conv_d(const double *in, int c, int side, int co, int stride, const float *w,
                   const float *b, double *out, int *side_out)
{
    int so = (side - 1) / stride + 1;
    for (int o = 0; o < co; o++)
        for (int oy = 0; oy < so; oy++)
            for (int ox = 0; ox < so; ox++) {
                double a = b[o];
                for (int ci = 0; ci < c; ci++)
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++) {
                            int y = oy * stride + ky - 1, x = ox * stride + kx - 1;
                            if (y >= 0 && y < side && x >= 0 && x < side)
                                a += (double)w[((o * c + ci) * 3 + ky) * 3 + kx] *
                                     in[((size_t)ci * (size_t)side + (size_t)y) * (size_t)side +
                                        (size_t)x];
                        }
                out[((size_t)o * (size_t)so + (size_t)oy) * (size_t)so + (size_t)ox] =
                    a > 0.0 ? a : 0.0;
            }
    *side_out = so;
}

double scl_ref_extractor_loss_d(const float *x, const uint8_t *y, int n, int c0, int side,
                                int layers, const int *ch, const float *const *w,
                                const float *const *b, const float *w_head, const float *b_head,
                                int classes)
{
    size_t cap = (size_t)c0 * (size_t)side * (size_t)side;
    for (int l = 0; l < layers; l++) /* the first layer keeps the side, so it is the largest */
        cap = cap > (size_t)ch[l] * (size_t)side * (size_t)side
                  ? cap
                  : (size_t)ch[l] * (size_t)side * (size_t)side;
    double *a = malloc(sizeof(double) * cap), *t = malloc(sizeof(double) * cap), loss = 0.0;
    double *z = malloc(sizeof(double) * (size_t)classes);
    for (int s = 0; a && t && z && s < n; s++) {
        int c = c0, sd = side;
        for (size_t i = 0; i < (size_t)c0 * (size_t)side * (size_t)side; i++)
            a[i] = x[(size_t)s * (size_t)c0 * (size_t)side * (size_t)side + i];
        for (int l = 0; l < layers; l++) {
            conv_d(a, c, sd, ch[l], l ? 2 : 1, w[l], b[l], t, &sd);
            c = ch[l];
            double *swap = a;
            a = t;
            t = swap;
        }
        int f = c * sd * sd;
        double m = -INFINITY, sum = 0.0;
        for (int k = 0; k < classes; k++) {
            z[k] = b_head[k];
            for (int yy = 0; yy < sd; yy++)
                for (int xx = 0; xx < sd; xx++)
                    for (int ci = 0; ci < c; ci++) /* features in (y, x, c) order */
                        z[k] +=
                            (double)
                                w_head[(size_t)k * (size_t)f + (size_t)((yy * sd + xx) * c + ci)] *
                            a[((size_t)ci * (size_t)sd + (size_t)yy) * (size_t)sd + (size_t)xx];
            m = z[k] > m ? z[k] : m;
        }
        for (int k = 0; k < classes; k++)
            sum += exp(z[k] - m);
        loss += (m + log(sum) - z[y[s]]) / n;
    }
    free(a);
    free(t);
    free(z);
    return loss;
}
