/*
 * sleepcl bench gemm: GFLOP/s of both GEMM engines (host/gemm.h) on every product that training
 * and evaluation run, next to OpenBLAS's cblas_sgemm measured in the same run on the same host
 * (the ratio is what travels between machines, not the figure).
 *
 * Device engines are timed from clFinish to clFinish around a batch of repetitions, after two
 * warm-up calls (CLBlast compiles its kernels on first use, ~13 s on PoCL unless POCL_CACHE_DIR
 * holds them). Each batch is sized from the second warm-up to last about TARGET_S seconds; the
 * three contenders take turns for ROUNDS batches and each keeps its best, because on a shared
 * 2-core machine a burst of load elsewhere otherwise decides the ratio.
 */
#include <cblas.h>
#include <stdio.h>

#include "cli.h"
#include "gemm.h"

#define TARGET_S       0.2  /* seconds per timed batch */
#define TARGET_QUICK_S 0.05 /* with --quick */
#define ROUNDS         3    /* timed batches per contender (1 with --quick); the best counts */
#define MAX_REPS       200

struct shape {
    const char *name;
    bool ta, tb;
    size_t m, n, k;
};

/* Net 784-1200-1200-10; batches 64 and 100 for training, 1000 for evaluation. */
static const struct shape shapes[] = {
    {"fwd1 b64", false, true, 64, 1200, 784},      {"fwd2 b64", false, true, 64, 1200, 1200},
    {"fwd3 b64", false, true, 64, 10, 1200},       {"wgrad1 b64", true, false, 1200, 784, 64},
    {"wgrad2 b64", true, false, 1200, 1200, 64},   {"wgrad3 b64", true, false, 10, 1200, 64},
    {"igrad3 b64", false, false, 64, 1200, 10},    {"igrad2 b64", false, false, 64, 1200, 1200},
    {"fwd1 b100", false, true, 100, 1200, 784},    {"fwd2 b100", false, true, 100, 1200, 1200},
    {"fwd3 b100", false, true, 100, 10, 1200},     {"wgrad1 b100", true, false, 1200, 784, 100},
    {"wgrad2 b100", true, false, 1200, 1200, 100}, {"wgrad3 b100", true, false, 10, 1200, 100},
    {"igrad3 b100", false, false, 100, 1200, 10},  {"igrad2 b100", false, false, 100, 1200, 1200},
    {"eval1 b1000", false, true, 1000, 1200, 784}, {"eval2 b1000", false, true, 1000, 1200, 1200},
    {"eval3 b1000", false, true, 1000, 10, 1200},
};

/* Host and device copies of one shape's operands, stored densely (ld = stored columns). */
struct operands {
    struct scl_gemm_args g;
    float *host[3]; /* a, b, c */
};

/* One timed contender: a device engine, or OpenBLAS on the host copies when host is true. */
struct job {
    scl_ctx *ctx;
    enum scl_gemm_engine engine;
    bool host;
    const struct operands *o;
};

static void operands_free(struct operands *o)
{
    scl_buf_release(&o->g.a);
    scl_buf_release(&o->g.b);
    scl_buf_release(&o->g.c);
    for (int i = 0; i < 3; i++)
        scl_free(o->host[i]);
}

/* Uniform values in [-0.5, 0.5) from the project generator, so every run times the same data. */
static void fill_random(float *x, size_t n, uint32_t stream)
{
    for (size_t j = 0; j < n; j++) {
        uint32_t w[4];
        scl_rng_words(1, SCL_RNG_TEST, (uint32_t)j, 0, stream, w);
        x[j] = scl_rng_u01(w[0]) - 0.5f;
    }
}

static scl_status operands_init(scl_ctx *ctx, const struct shape *s, struct operands *o)
{
    const size_t len[3] = {s->m * s->k, s->k * s->n, s->m * s->n};
    cl_mem *bufs[3] = {&o->g.a, &o->g.b, &o->g.c};
    scl_status st = SCL_OK;
    o->g = (struct scl_gemm_args){.trans_a = s->ta,
                                  .trans_b = s->tb,
                                  .m = s->m,
                                  .n = s->n,
                                  .k = s->k,
                                  .alpha = 1.0f,
                                  .beta = 0.0f,
                                  .lda = s->ta ? s->m : s->k,
                                  .ldb = s->tb ? s->k : s->n,
                                  .ldc = s->n};
    for (int i = 0; i < 3 && st == SCL_OK; i++) {
        o->host[i] = scl_alloc(len[i] * sizeof(float));
        if (!o->host[i])
            return scl_ctx_fail(ctx, SCL_ERR_NOMEM, "bench gemm: out of host memory");
        fill_random(o->host[i], len[i], (uint32_t)i);
        st = scl_buf_create(ctx, len[i] * sizeof(float), o->host[i], bufs[i]);
    }
    return st;
}

static void openblas_run(const struct operands *o)
{
    const struct scl_gemm_args *g = &o->g;
    cblas_sgemm(CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans,
                g->trans_b ? CblasTrans : CblasNoTrans, (int)g->m, (int)g->n, (int)g->k, g->alpha,
                o->host[0], (int)g->lda, o->host[1], (int)g->ldb, g->beta, o->host[2], (int)g->ldc);
}

/* Seconds for `reps` calls, from an idle queue to an idle queue; negative on failure. */
static double run_batch(const struct job *j, int reps)
{
    double t0 = scl_app_now();
    for (int r = 0; r < reps; r++) {
        if (j->host)
            openblas_run(j->o);
        else if (scl_gemm(j->ctx, j->engine, &j->o->g) != SCL_OK)
            return -1.0;
    }
    if (!j->host && clFinish(j->ctx->queue) != CL_SUCCESS)
        return -1.0;
    return scl_app_now() - t0;
}

/* Calls per timed batch: two warm-ups, the second sizing the batch to `target` seconds. */
static int calibrate(const struct job *j, double target)
{
    double t = run_batch(j, 1);
    if (t >= 0)
        t = run_batch(j, 1);
    if (t < 0)
        return -1;
    int reps = t > 0 ? (int)(target / t) + 1 : MAX_REPS;
    return reps > MAX_REPS ? MAX_REPS : reps;
}

/* Seconds per call of each job: the best of `rounds` batches, the jobs taking turns so that a
 * burst of load from elsewhere hits all of them alike. Negative on failure. */
static void time_jobs(const struct job *jobs, int n, double target, int rounds, double *best)
{
    int reps[3];
    for (int i = 0; i < n; i++) {
        reps[i] = calibrate(&jobs[i], target);
        best[i] = reps[i] < 0 ? -1.0 : 1e30;
    }
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < n; i++) {
            double t = best[i] < 0 ? -1.0 : run_batch(&jobs[i], reps[i]);
            best[i] = t < 0 ? -1.0 : t / reps[i] < best[i] ? t / reps[i] : best[i];
        }
}

static int scl_bench_shape(scl_ctx *ctx, const struct shape *s, const struct scl_bench_opts *opt)
{
    struct operands o = {0};
    double gflop = 2e-9 * (double)s->m * (double)s->n * (double)s->k;
    double t[3];
    int rc = SCL_EXIT_OK;
    if (operands_init(ctx, s, &o) != SCL_OK) {
        scl_app_error("gemm %s: %s", s->name, scl_ctx_last_error(ctx));
        rc = SCL_EXIT_RUNTIME;
        goto out_free;
    }
    const struct job jobs[3] = {{ctx, SCL_GEMM_NATIVE, false, &o},
                                {ctx, SCL_GEMM_CLBLAST, false, &o},
                                {ctx, SCL_GEMM_AUTO, true, &o}};
    time_jobs(jobs, 3, opt->quick ? TARGET_QUICK_S : TARGET_S, opt->quick ? 1 : ROUNDS, t);
    if (t[0] < 0 || t[1] < 0) {
        scl_app_error("gemm %s: %s", s->name, scl_ctx_last_error(ctx));
        rc = SCL_EXIT_RUNTIME;
        goto out_free;
    }
    printf("%-12s %2s %5zu %5zu %5zu %8.1f %8.1f %8.1f %9.2f %9.2f %6.1f%% %6.1f%%\n", s->name,
           s->ta ? (s->tb ? "TT" : "TN") : (s->tb ? "NT" : "NN"), s->m, s->n, s->k, gflop / t[0],
           gflop / t[1], gflop / t[2], t[2] / t[0], t[2] / t[1], scl_bench_share(opt, gflop / t[0]),
           scl_bench_share(opt, gflop / t[1]));
    (void)fflush(stdout);
out_free:
    operands_free(&o);
    return rc;
}

int scl_bench_gemm(scl_ctx *ctx, const struct scl_bench_opts *o)
{
    int rc = SCL_EXIT_OK;
    printf("GFLOP/s; ratios are engine/OpenBLAS (same run, %d host threads); nat%% and clb%% "
           "are the engines' shares of the device's measured peak\n",
           openblas_get_num_threads());
    printf("%-12s %2s %5s %5s %5s %8s %8s %8s %9s %9s %7s %7s\n", "shape", "op", "m", "n", "k",
           "native", "clblast", "openblas", "nat/oblas", "clb/oblas", "nat%", "clb%");
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
        if (scl_bench_shape(ctx, &shapes[i], o) != SCL_EXIT_OK)
            rc = SCL_EXIT_RUNTIME;
    return rc;
}
