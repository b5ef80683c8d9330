/* Twins of cl/bench.cl: the machine-peak kernels of `sleepcl bench`. */
#include <math.h>

#include "ref.h"
#include "scl_contract.h"

/* scl_bench_fma<width>: width * SCL_BENCH_ACCUMULATORS chains per work-item. */
void scl_ref_bench_fma(float *out, int n, int width, int rounds, float a, float b)
{
    const int chains = width * SCL_BENCH_ACCUMULATORS;
    for (int i = 0; i < n; i++) {
        float x[16 * SCL_BENCH_ACCUMULATORS], sum = 0.0f;
        for (int c = 0; c < chains; c++)
            x[c] = (float)(i % 1024) * 1e-3f + (float)c * 1e-2f;
        for (int r = 0; r < rounds; r++)
            for (int c = 0; c < chains; c++)
                x[c] = fmaf(x[c], a, b);
        for (int c = 0; c < chains; c++)
            sum += x[c];
        out[i] = sum;
    }
}

void scl_ref_bench_triad(float *a, const float *b, const float *c, float s, int n)
{
    for (int i = 0; i < n; i++)
        a[i] = fmaf(s, c[i], b[i]);
}
