/*
 * sleepcl bench search: what the sleep-parameter search costs. (1) Sleep steps per second for
 * B = 1, 8, 32, 128 runs of 784-1200-1200-10 at once (scl_sleep_run_batch; every run its own
 * copy of the weights, own seed, the 2024 MNIST parameters), next to B single sleeps one after
 * the other (scl_sleep_run), measured in the same run. Each is timed at T/5 and T steps and the
 * difference gives the cost per step; the weights are U(+-1/sqrt(fan_in)) with
 * the MNIST mean input, which fires sparsely as trained nets do. (2) The wall time of one
 * search generation of 32 candidates on one scoring net at 3% of MNIST (configs/search/
 * mnist.ini): the batched sleep and the 32 validation evaluations, the net trained beforehand.
 * The batches' throughput is also given as the weights their steps touch per second
 * (scl_sleep_step_bytes at the spike counts of one run), beside the measured bandwidth: every
 * run has its own weights, so a batch moves B times the bytes of one run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "internal.h"
#include "ref.h"
#include "search.h"

#define N_LAYERS   3
#define ACT_IMAGES 200
#define MAX_B      128

struct batch_bench {
    scl_model *m0;
    scl_model *runs[MAX_B];
    float mean[784];
    float factors[N_LAYERS];
    struct scl_sleep_job jobs[MAX_B];
};

static scl_status setup_model(struct batch_bench *b)
{
    const int32_t sizes[N_LAYERS + 1] = {784, 1200, 1200, 10};
    float act[N_LAYERS];
    float *img = malloc(sizeof(float) * 784 * ACT_IMAGES);
    scl_status st = img ? scl_model_create(N_LAYERS, sizes, &b->m0) : SCL_ERR_NOMEM;
    for (int32_t l = 0; st == SCL_OK && l < N_LAYERS; l++) {
        const size_t n = (size_t)sizes[l] * (size_t)sizes[l + 1];
        const float a = 1.0f / sqrtf((float)sizes[l]);
        for (size_t i = 0; i < n; i++) {
            uint32_t w[4];
            scl_rng_words(7, SCL_RNG_TEST, (uint32_t)i, 0, (uint32_t)l, w);
            b->m0->w[l][i] = (2.0f * scl_rng_u01(w[0]) - 1.0f) * a;
        }
    }
    for (int i = 0; st == SCL_OK && i < 784; i++) { /* a blob shaped like the MNIST mean */
        const float r = (float)(i / 28) - 13.5f, c = (float)(i % 28) - 13.5f;
        b->mean[i] = 0.8f * expf(-(r * r) / 50.0f - (c * c) / 32.0f);
    }
    for (uint32_t i = 0; st == SCL_OK && i < 784 * ACT_IMAGES; i++) {
        uint32_t w[4];
        scl_rng_words(99, SCL_RNG_TEST, i, 1, 0, w);
        img[i] = scl_rng_u01(w[0]) < b->mean[i % 784] ? 1.0f : 0.0f;
    }
    struct scl_sleep_params p = scl_sleep_default_params();
    if (st == SCL_OK) {
        scl_ref_sleep_act_max(b->m0, img, ACT_IMAGES, act);
        st = scl_sleep_factors(b->m0, act, p.norm, b->factors);
    }
    free(img);
    return st;
}

/* Fresh copies of the weights for runs 0..n-1 (not timed), each run its own seed. */
static scl_status reset_runs(struct batch_bench *b, int n, int32_t steps)
{
    for (int i = 0; i < n; i++) {
        if (!b->runs[i] && scl_model_clone(b->m0, &b->runs[i]) != SCL_OK)
            return SCL_ERR_NOMEM;
        for (int32_t l = 0; l < N_LAYERS; l++)
            memcpy(b->runs[i]->w[l], b->m0->w[l],
                   sizeof(float) * (size_t)b->m0->sizes[l] * (size_t)b->m0->sizes[l + 1]);
        memset(&b->jobs[i], 0, sizeof(b->jobs[i]));
        b->jobs[i].model = b->runs[i];
        b->jobs[i].params = scl_sleep_default_params();
        b->jobs[i].params.steps = steps;
        b->jobs[i].params.seed = 1u + (uint32_t)i;
        b->jobs[i].mean_input = b->mean;
        memcpy(b->jobs[i].factors, b->factors, sizeof(b->factors));
    }
    return SCL_OK;
}

/* Seconds of one pass: the batch, or n single sleeps in sequence. */
static double time_pass(scl_ctx *ctx, struct batch_bench *b, int n, int32_t steps, int batched)
{
    if (reset_runs(b, n, steps) != SCL_OK)
        return -1.0;
    const double t0 = scl_app_now();
    scl_status st = SCL_OK;
    if (batched)
        st = scl_sleep_run_batch(ctx, b->jobs, n);
    for (int i = 0; !batched && i < n && st == SCL_OK; i++)
        st = scl_sleep_run(ctx, b->runs[i], &b->jobs[i].params, b->mean, b->factors, NULL);
    return st == SCL_OK ? scl_app_now() - t0 : -1.0;
}

/* Milliseconds per step (all n runs) into *ms, from the best of reps runs of T/5 and of T steps
 * (both long: the fixed cost of a pass, buffers and page faults, is a few ms and noisy on a
 * shared box). While the difference is not positive (noise larger than the T - T/5 steps) up to
 * reps more pairs are run; NaN if it never is. -1 on a device error. */
static int ms_per_step(scl_ctx *ctx, struct batch_bench *b, int n, int32_t T, int reps, int batched,
                       double *ms)
{
    double best1 = HUGE_VAL, bestT = HUGE_VAL;
    for (int r = 0; r < reps || (bestT <= best1 && r < 2 * reps); r++) {
        const double t1 = time_pass(ctx, b, n, T / 5, batched);
        const double tT = time_pass(ctx, b, n, T, batched);
        if (t1 < 0 || tT < 0)
            return -1;
        best1 = t1 < best1 ? t1 : best1;
        bestT = tT < bestT ? tT : bestT;
    }
    *ms = bestT > best1 ? 1e3 * (bestT - best1) / (T - T / 5) : (double)NAN;
    return 0;
}

/* Bytes of weights one run's step touches (scl_sleep_step_bytes), at the mean spike counts of a
 * single sleep of T steps of run 0; negative on a device error. */
static double step_bytes(scl_ctx *ctx, struct batch_bench *b, int32_t T)
{
    struct scl_sleep_stats st;
    double spikes[N_LAYERS + 1];
    memset(&st, 0, sizeof(st));
    if (reset_runs(b, 1, T) != SCL_OK ||
        scl_sleep_run(ctx, b->runs[0], &b->jobs[0].params, b->mean, b->factors, &st) != SCL_OK) {
        scl_sleep_stats_free(&st);
        return -1.0;
    }
    for (int l = 0; l <= N_LAYERS; l++)
        spikes[l] = st.rate[l] * b->m0->sizes[l];
    scl_sleep_stats_free(&st);
    return scl_sleep_step_bytes(b->m0->sizes, N_LAYERS, spikes);
}

static int scl_bench_batches(scl_ctx *ctx, const struct scl_bench_opts *o)
{
    static const int sizes[] = {1, 8, 32, 128};
    static struct batch_bench b;
    const int32_t T = o->quick ? 100 : 365;
    const int reps = o->quick ? 1 : 3;
    int rc = setup_model(&b) == SCL_OK ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
    /* warm-up: the first launch of each kernel pays for its compilation on PoCL */
    if (rc == SCL_EXIT_OK && (time_pass(ctx, &b, 1, 2, 1) < 0 || time_pass(ctx, &b, 1, 2, 0) < 0))
        rc = SCL_EXIT_RUNTIME;
    const double bytes = rc == SCL_EXIT_OK ? step_bytes(ctx, &b, T) : -1.0;
    if (rc == SCL_EXIT_OK && bytes < 0) {
        scl_app_error("bench search: %s", scl_ctx_last_error(ctx));
        rc = SCL_EXIT_RUNTIME;
    }
    printf("batched sleep, 784-1200-1200-10, 2024 MNIST set, T = %d, every run its own seed; a "
           "run's step touches %.0f kB of its weights\n"
           "%5s %14s %14s %16s %18s %8s %8s %7s\n",
           (int)T, 1e-3 * bytes, "B", "ms/step (all)", "ms/run-step", "run-steps/s",
           "B singles ms/step", "ratio", "GB/s", "triad%");
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]) && rc == SCL_EXIT_OK; k++) {
        const int n = sizes[k];
        if (o->quick && n > 32)
            break;
        double batch = NAN, single = NAN;
        if (ms_per_step(ctx, &b, n, T, reps, 1, &batch) < 0 ||
            (n <= 32 && ms_per_step(ctx, &b, n, T, reps, 0, &single) < 0)) {
            scl_app_error("bench search: %s", scl_ctx_last_error(ctx));
            rc = SCL_EXIT_RUNTIME;
            break;
        }
        const double gbs = 1e-6 * bytes * n / batch;
        printf("%5d %14.3f %14.4f %16.0f %18.3f %8.2f %8.1f %6.0f%%\n", n, batch, batch / n,
               1e3 * n / batch, single, single / batch, gbs,
               o->bandwidth_gbs > 0 ? 100.0 * gbs / o->bandwidth_gbs : 0.0);
        fflush(stdout);
    }
    for (int i = 0; i < MAX_B; i++) {
        scl_model_destroy(b.runs[i]);
        b.runs[i] = NULL;
    }
    scl_model_destroy(b.m0);
    b.m0 = NULL;
    return rc;
}

/* One generation of 32 candidates (the config's set and random ones) on one trained net. */
static int scl_bench_generation(scl_ctx *ctx)
{
    static struct scl_search_env env;
    static struct scl_search_score s[32];
    static double pop[32 * SCL_SEARCH_MAX_GENES];
    const char *sets[] = {"search.nets=1", "search.population=32"};
    char msg[512], path[1200];
    memset(&env, 0, sizeof(env));
    if (scl_app_share_path("configs/search/mnist.ini", path, sizeof(path)) != SCL_EXIT_OK)
        return SCL_EXIT_RUNTIME;
    if (scl_cfg_build(&env.cfg, path, sets, 2, msg, sizeof(msg)) != SCL_OK) {
        scl_app_error("%s", msg);
        return SCL_EXIT_USAGE;
    }
    env.ctx = ctx;
    env.layers = env.cfg.model.sizes.n - 1;
    scl_search_setup_genes(&env);
    struct scl_sleep_params own = scl_app_sleep_params(&env.cfg, 1, 1);
    scl_search_genes_of(&env, &own, pop);
    for (int32_t i = 1; i < 32; i++)
        scl_ga_random(&env.ga, env.genes, env.n_genes, 0, i, pop + (size_t)i * (size_t)env.n_genes);
    env.train_full = scl_app_load_split(&env.cfg, "train");
    int rc = env.train_full ? scl_search_nets_open(&env) : SCL_EXIT_RUNTIME;
    const double t0 = scl_app_now();
    if (rc == SCL_EXIT_OK)
        rc = scl_search_score_population(&env, pop, 32, s);
    const double t = scl_app_now() - t0;
    if (rc == SCL_EXIT_OK)
        printf("one search generation, 32 candidates on 1 net at 3%% of MNIST (%d training, %d "
               "validation images): %.2f s: %.2f s in the batched sleep, %.2f s in the 32 "
               "validation evaluations; search.nets = 3 costs 3x\n",
               env.nets[0].train->n, env.nets[0].val->n, t, env.t_sleep, env.t_score);
    scl_search_nets_close(&env);
    scl_dataset_destroy(env.train_full);
    return rc;
}

int scl_bench_search(scl_ctx *ctx, const struct scl_bench_opts *o)
{
    int rc = scl_bench_batches(ctx, o);
    return rc == SCL_EXIT_OK ? scl_bench_generation(ctx) : rc;
}
