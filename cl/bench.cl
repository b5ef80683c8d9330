/*
 * What the machine can do, measured by `sleepcl bench` (host/bench/bench_machine.c) so that
 * every other figure can be given as a share of it: FP32 multiply-add throughput and memory
 * bandwidth. Twins in host/ref/ref_bench.c; tests/device/test_bench_kernels.cpp compares them.
 */

/*
 * scl_bench_fma8 and scl_bench_fma16: SCL_BENCH_ACCUMULATORS (12) independent floatW accumulators
 * per work-item, each stepped x <- fma(x, a, b) `rounds` times, so 12 W chains; chain c is lane
 * c % W of accumulator c / W and starts at (i % 1024) * 1e-3 + c * 1e-2. Twelve of the device's
 * native width because that keeps the multiply-add units busy (a CPU's vector FMA has a latency of
 * about four cycles and two units, so at least eight must be in flight) while the accumulators and
 * the two constants still fit in sixteen vector registers: eight float16 on AVX2 (the first
 * version) need thirty-two and measured the spills. The host launches the width the GEMM engine
 * uses. The chains' sum is written so the compiler cannot drop them: 24 W * rounds flops per
 * work-item. Named accumulators, not an array, for the reason given in cl/gemm.cl.
 */
#define SCL_BENCH_START(W, v) (base + (lane + (float)((v) * (W))) * 1e-2f)
#define SCL_BENCH_SUM(W, x)           \
    do {                              \
        vstore##W((x), 0, lanes);     \
        for (int c = 0; c < (W); c++) \
            sum += lanes[c];          \
    } while (0)
#define SCL_BENCH_FMA_KERNEL(W)                                                           \
    __kernel void scl_bench_fma##W(__global float *out, int rounds, float a, float b)     \
    {                                                                                     \
        size_t i = get_global_id(0);                                                      \
        const float base = (float)(i % 1024) * 1e-3f;                                     \
        float lanes[W], sum = 0.0f;                                                       \
        for (int c = 0; c < (W); c++)                                                     \
            lanes[c] = (float)c;                                                          \
        const float##W lane = vload##W(0, lanes), va = (float##W)(a), vb = (float##W)(b); \
        float##W x0 = SCL_BENCH_START(W, 0), x1 = SCL_BENCH_START(W, 1);                  \
        float##W x2 = SCL_BENCH_START(W, 2), x3 = SCL_BENCH_START(W, 3);                  \
        float##W x4 = SCL_BENCH_START(W, 4), x5 = SCL_BENCH_START(W, 5);                  \
        float##W x6 = SCL_BENCH_START(W, 6), x7 = SCL_BENCH_START(W, 7);                  \
        float##W x8 = SCL_BENCH_START(W, 8), x9 = SCL_BENCH_START(W, 9);                  \
        float##W x10 = SCL_BENCH_START(W, 10), x11 = SCL_BENCH_START(W, 11);              \
        for (int r = 0; r < rounds; r++) {                                                \
            x0 = fma(x0, va, vb), x1 = fma(x1, va, vb), x2 = fma(x2, va, vb);             \
            x3 = fma(x3, va, vb), x4 = fma(x4, va, vb), x5 = fma(x5, va, vb);             \
            x6 = fma(x6, va, vb), x7 = fma(x7, va, vb), x8 = fma(x8, va, vb);             \
            x9 = fma(x9, va, vb), x10 = fma(x10, va, vb), x11 = fma(x11, va, vb);         \
        }                                                                                 \
        SCL_BENCH_SUM(W, x0);                                                             \
        SCL_BENCH_SUM(W, x1);                                                             \
        SCL_BENCH_SUM(W, x2);                                                             \
        SCL_BENCH_SUM(W, x3);                                                             \
        SCL_BENCH_SUM(W, x4);                                                             \
        SCL_BENCH_SUM(W, x5);                                                             \
        SCL_BENCH_SUM(W, x6);                                                             \
        SCL_BENCH_SUM(W, x7);                                                             \
        SCL_BENCH_SUM(W, x8);                                                             \
        SCL_BENCH_SUM(W, x9);                                                             \
        SCL_BENCH_SUM(W, x10);                                                            \
        SCL_BENCH_SUM(W, x11);                                                            \
        out[i] = sum;                                                                     \
    }

#pragma OPENCL FP_CONTRACT OFF /* the start values rounded twice, as in the reference */
SCL_BENCH_FMA_KERNEL(8)
SCL_BENCH_FMA_KERNEL(16)
#pragma OPENCL FP_CONTRACT ON

/* The STREAM triad a = b + s c: 12 bytes moved per element. */
__kernel void scl_bench_triad(__global float *a, __global const float *b, __global const float *c,
                              float s, int n)
{
    int i = (int)get_global_id(0);
    if (i < n)
        a[i] = fma(s, c[i], b[i]);
}
