/*
 * What the machine can do, measured by `sleepcl bench` (host/bench/bench_machine.c) so that
 * every other figure can be given as a share of it: FP32 multiply-add throughput and memory
 * bandwidth. Twins in host/ref/ref_bench.c; tests/device/test_bench_kernels.cpp compares them.
 */

/* SCL_BENCH_CHAINS independent chains x <- fma(x, a, b) per work-item, `rounds` times each:
 * eight float16 vectors, independent so that the multiply-add units, not their latency, bound
 * the time (a CPU's vector FMA has a latency of about four cycles and two units); chain c is
 * lane c % 16 of vector c / 16. The chains' sum is written so the compiler cannot drop them.
 * 2 * SCL_BENCH_CHAINS * rounds flops per work-item. */
__kernel void scl_bench_fma(__global float *out, int rounds, float a, float b)
{
#pragma OPENCL FP_CONTRACT OFF /* the start values rounded twice, as in the reference */
    size_t i = get_global_id(0);
    const float16 lane = (float16)(0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f, 9.0f,
                                   10.0f, 11.0f, 12.0f, 13.0f, 14.0f, 15.0f);
    const float base = (float)(i % 1024) * 1e-3f;
    float16 x0 = base + lane * 1e-2f, x1 = base + (lane + 16.0f) * 1e-2f;
    float16 x2 = base + (lane + 32.0f) * 1e-2f, x3 = base + (lane + 48.0f) * 1e-2f;
    float16 x4 = base + (lane + 64.0f) * 1e-2f, x5 = base + (lane + 80.0f) * 1e-2f;
    float16 x6 = base + (lane + 96.0f) * 1e-2f, x7 = base + (lane + 112.0f) * 1e-2f;
    const float16 va = (float16)(a), vb = (float16)(b);
    for (int r = 0; r < rounds; r++) {
        x0 = fma(x0, va, vb);
        x1 = fma(x1, va, vb);
        x2 = fma(x2, va, vb);
        x3 = fma(x3, va, vb);
        x4 = fma(x4, va, vb);
        x5 = fma(x5, va, vb);
        x6 = fma(x6, va, vb);
        x7 = fma(x7, va, vb);
    }
    float x[SCL_BENCH_CHAINS], sum = 0.0f;
    vstore16(x0, 0, x);
    vstore16(x1, 1, x);
    vstore16(x2, 2, x);
    vstore16(x3, 3, x);
    vstore16(x4, 4, x);
    vstore16(x5, 5, x);
    vstore16(x6, 6, x);
    vstore16(x7, 7, x);
    for (int c = 0; c < SCL_BENCH_CHAINS; c++)
        sum += x[c];
    out[i] = sum;
}

/* The STREAM triad a = b + s c: 12 bytes moved per element. */
__kernel void scl_bench_triad(__global float *a, __global const float *b, __global const float *c,
                              float s, int n)
{
    int i = (int)get_global_id(0);
    if (i < n)
        a[i] = fma(s, c[i], b[i]);
}
