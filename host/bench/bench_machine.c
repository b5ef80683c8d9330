/*
 * What the machine can do, measured in the same run as every other figure of `sleepcl bench`:
 * the device's FP32 multiply-add peak and its memory bandwidth (cl/bench.cl), with the CPU's
 * vector width and the device's preferred and native float vector widths. The other sections
 * print their throughput also as a share of these, so that figures from different machines
 * can be set side by side (a Zen 3 with AVX2 and a Zen 5 with AVX-512 differ 2.8x in peak).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "internal.h"
#include "net.h"
#include "scl_contract.h"

#define PEAK_S       0.3 /* seconds per timed launch */
#define PEAK_QUICK_S 0.05
#define REPEATS      3          /* timed launches; the best counts (the machine is shared) */
#define TRIAD_N      (32 << 20) /* floats per triad buffer: 128 MiB, past every cache */

/* The widest x86 vector unit the running CPU has, as text. */
static const char *cpu_vectors(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return "512-bit (AVX-512)";
    if (__builtin_cpu_supports("avx2") || __builtin_cpu_supports("avx"))
        return "256-bit (AVX2/AVX)";
    if (__builtin_cpu_supports("sse2"))
        return "128-bit (SSE2)";
#endif
    return "unknown";
}

static cl_uint device_uint(scl_ctx *ctx, cl_device_info what)
{
    cl_uint v = 0;
    if (clGetDeviceInfo(ctx->device, what, sizeof(v), &v, NULL) != CL_SUCCESS)
        return 0;
    return v;
}

/* Seconds of one launch of `name` over n work-items, finished. Negative on failure. */
static double time_launch(scl_ctx *ctx, const char *name, size_t n, const struct scl_karg *args,
                          int nargs)
{
    double t0 = scl_app_now();
    if (scl_launch(ctx, name, n, args, nargs) != SCL_OK || clFinish(ctx->queue) != CL_SUCCESS)
        return -1.0;
    return scl_app_now() - t0;
}

/* GFLOP/s of scl_bench_fma<W>, W the GEMM engine's vector width: rounds sized from a first
 * launch to take about `target` s. */
static double measure_peak(scl_ctx *ctx, double target)
{
    const cl_uint width = scl_gemm_vector_width(ctx);
    const char *kernel = width == 16 ? "scl_bench_fma16" : "scl_bench_fma8";
    size_t n = (size_t)(device_uint(ctx, CL_DEVICE_MAX_COMPUTE_UNITS) + 1) * 16384;
    cl_mem out = NULL;
    int rounds = 64;
    float a = 0.9999f, b = 1e-4f;
    double best = -1.0;
    if (scl_buf_create(ctx, sizeof(float) * n, NULL, &out) != SCL_OK)
        return -1.0;
    const struct scl_karg args[] = {SCL_KARG(out), SCL_KARG(rounds), SCL_KARG(a), SCL_KARG(b)};
    double t = time_launch(ctx, kernel, n, args, 4); /* also compiles, warms */
    if (t > 0 && (t = time_launch(ctx, kernel, n, args, 4)) > 0) {
        double scale = target / t;
        rounds = scale > 1 ? (int)(rounds * (scale < 1e5 ? scale : 1e5)) : rounds;
        for (int r = 0; r < REPEATS; r++) {
            double s = time_launch(ctx, kernel, n, args, 4);
            double gflops = 2e-9 * SCL_BENCH_ACCUMULATORS * width * (double)rounds * (double)n / s;
            best = s > 0 && gflops > best ? gflops : best;
        }
    }
    scl_buf_release(&out);
    return best;
}

/* GB/s of the triad over TRIAD_N floats (12 bytes per element). */
static double measure_bandwidth(scl_ctx *ctx, int repeats)
{
    cl_mem buf[3] = {NULL, NULL, NULL};
    int n = TRIAD_N;
    float s = 3.0f;
    double best = -1.0;
    scl_status st = SCL_OK;
    for (int i = 0; i < 3 && st == SCL_OK; i++) {
        st = scl_buf_create(ctx, sizeof(float) * (size_t)n, NULL, &buf[i]);
        if (st == SCL_OK) /* zeros: no denormals or NaNs to slow a CPU down */
            st = scl_buf_fill_zero(ctx, buf[i], sizeof(float) * (size_t)n);
    }
    const struct scl_karg args[] = {SCL_KARG(buf[0]), SCL_KARG(buf[1]), SCL_KARG(buf[2]),
                                    SCL_KARG(s), SCL_KARG(n)};
    for (int r = 0; st == SCL_OK && r <= repeats; r++) { /* launch 0 warms */
        double t = time_launch(ctx, "scl_bench_triad", (size_t)n, args, 5);
        if (t <= 0)
            st = SCL_ERR_OPENCL;
        else if (r > 0 && 12e-9 * n / t > best)
            best = 12e-9 * n / t;
    }
    for (int i = 0; i < 3; i++)
        scl_buf_release(&buf[i]);
    return st == SCL_OK ? best : -1.0;
}

int scl_bench_machine(scl_ctx *ctx, struct scl_bench_opts *o)
{
    printf("machine: CPU vectors %s; device %s: %u compute units, %u MHz, float vectors "
           "preferred %u native %u\n",
           cpu_vectors(), scl_ctx_device_desc(ctx), device_uint(ctx, CL_DEVICE_MAX_COMPUTE_UNITS),
           device_uint(ctx, CL_DEVICE_MAX_CLOCK_FREQUENCY),
           device_uint(ctx, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT),
           device_uint(ctx, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT));
    o->peak_gflops = measure_peak(ctx, o->quick ? PEAK_QUICK_S : PEAK_S);
    o->bandwidth_gbs = measure_bandwidth(ctx, o->quick ? 1 : REPEATS);
    if (o->peak_gflops <= 0 || o->bandwidth_gbs <= 0) {
        scl_app_error("bench machine: %s", scl_ctx_last_error(ctx));
        return SCL_EXIT_RUNTIME;
    }
    printf("machine: FP32 peak %.1f GFLOP/s (%d independent float%u fma chains per work-item), "
           "memory "
           "bandwidth %.1f GB/s (triad); the figures below are also given as shares of these\n",
           o->peak_gflops, SCL_BENCH_ACCUMULATORS, scl_gemm_vector_width(ctx), o->bandwidth_gbs);
    return SCL_EXIT_OK;
}

double scl_bench_share(const struct scl_bench_opts *o, double gflops)
{
    return o->peak_gflops > 0 ? 100.0 * gflops / o->peak_gflops : 0.0;
}
