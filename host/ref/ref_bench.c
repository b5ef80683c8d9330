/* Twins of cl/bench.cl: the machine-peak kernels of `sleepcl bench`. */
#include <math.h>

#include "ref.h"
#include "scl_contract.h"

void scl_ref_bench_fma(float *out, int n, int rounds, float a, float b)
{
    for (int i = 0; i < n; i++) {
        float x[SCL_BENCH_CHAINS], sum = 0.0f;
        for (int c = 0; c < SCL_BENCH_CHAINS; c++)
            x[c] = (float)(i % 1024) * 1e-3f + (float)c * 1e-2f;
        for (int r = 0; r < rounds; r++)
            for (int c = 0; c < SCL_BENCH_CHAINS; c++)
                x[c] = fmaf(x[c], a, b);
        for (int c = 0; c < SCL_BENCH_CHAINS; c++)
            sum += x[c];
        out[i] = sum;
    }
}

void scl_ref_bench_triad(float *a, const float *b, const float *c, float s, int n)
{
    for (int i = 0; i < n; i++)
        a[i] = fmaf(s, c[i], b[i]);
}
