/*
 * sleepcl bench sleep: time per sleep step of 784-1200-1200-10 at the 2024 MNIST parameters on
 * the device, next to the single-threaded C loops of host/ref measured in the same run: the
 * fast one (sparse lists, W_1 transposed, vectorized updates) and the plain reference.
 *
 * No trained model is needed: weights are U(-1/sqrt(fan_in), 1/sqrt(fan_in)), which with the
 * MNIST mean input (or a synthetic blob when MNIST is not there) and alpha from the layer
 * factors fires in the sparse regime of the papers' nets (hidden layers well under 2 % per
 * step); the rates are printed with the timings. Each engine is timed at 1 and T steps: the
 * 1-step run gives the fixed cost (uploads, transposes, read-back), the difference the cost
 * per step of this sleep (activity falls as sleep depresses the busiest units, so later steps
 * of a longer run would be cheaper). The engines take turns, best of several runs, because
 * these machines are shared and noisy. The
 * device runs both ways sleep.c knows: one work-group running chunks of steps per kernel call
 * (what a CPU gets) and one launch per call over several work-groups (what a GPU gets).
 *
 * A step does almost no arithmetic; it moves weights. Its figure beside the measured memory
 * bandwidth is the weights it touches (scl_sleep_step_bytes: the rows and columns the device
 * run's mean spike counts select, in whole 64-byte blocks) per second of a step.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "internal.h"
#include "ref.h"

#define N_LAYERS   3
#define ACT_IMAGES 200 /* inputs for the activation maxima of the layer factors */
#define N_ENGINES  4

/* sleep.c's hook: work-groups per kernel call, 0 = what the device gets by default. */
void scl_sleep_test_groups(int groups);

struct sleep_bench {
    scl_model *m;
    float mean[784];
    float factors[N_LAYERS]; /* what the device run takes */
    float alpha[N_LAYERS];   /* what the C loops take: scl_sleep_alpha of p and the factors */
    struct scl_sleep_params p;
    const char *input_desc;
    float *images;               /* [ACT_IMAGES][784] */
    double spikes[N_LAYERS + 1]; /* mean spikes per step of each layer, in the device run */
};

typedef scl_status (*engine_fn)(scl_ctx *ctx, scl_model *m, const struct sleep_bench *b,
                                int32_t *spikes);

static scl_status run_device_groups(scl_ctx *ctx, scl_model *m, const struct sleep_bench *b,
                                    int32_t *spikes, int groups)
{
    struct scl_sleep_stats st;
    memset(&st, 0, sizeof(st));
    scl_sleep_test_groups(groups);
    scl_status s = scl_sleep_run(ctx, m, &b->p, b->mean, b->factors, spikes ? &st : NULL);
    scl_sleep_test_groups(0);
    if (s == SCL_OK && spikes)
        memcpy(spikes, st.spikes, sizeof(*spikes) * (size_t)b->p.steps * (N_LAYERS + 1));
    scl_sleep_stats_free(&st);
    return s;
}

static scl_status run_device_chunked(scl_ctx *ctx, scl_model *m, const struct sleep_bench *b,
                                     int32_t *spikes)
{
    return run_device_groups(ctx, m, b, spikes, 1);
}

static scl_status run_device_launches(scl_ctx *ctx, scl_model *m, const struct sleep_bench *b,
                                      int32_t *spikes)
{
    return run_device_groups(ctx, m, b, spikes, 2);
}

static scl_status run_fast(scl_ctx *ctx, scl_model *m, const struct sleep_bench *b, int32_t *spikes)
{
    const struct scl_ref_sleep_out out = {spikes, NULL, 0};
    (void)ctx;
    return scl_ref_sleep_run_fast(m, &b->p, b->mean, b->alpha, &out);
}

static scl_status run_ref(scl_ctx *ctx, scl_model *m, const struct sleep_bench *b, int32_t *spikes)
{
    const struct scl_ref_sleep_out out = {spikes, NULL, 0};
    (void)ctx;
    return scl_ref_sleep_run(m, &b->p, b->mean, b->alpha, &out);
}

/* The MNIST training mean and its first images, or a blob shaped like that mean (about 0.13 on
 * average) and binary images drawn from it. */
static void scl_bench_input(struct sleep_bench *b)
{
    char dir[1024];
    char path[1100];
    char msg[256];
    scl_dataset *ds = NULL;
    scl_env_data_dir(dir, sizeof(dir));
    (void)snprintf(path, sizeof(path), "%s/mnist", dir);
    if (scl_dataset_load_dir(path, "train", &ds, msg, sizeof(msg)) == SCL_OK && ds->dim == 784 &&
        ds->n >= ACT_IMAGES && scl_sleep_mean_input(ds, b->mean) == SCL_OK) {
        memcpy(b->images, ds->x, sizeof(float) * 784 * ACT_IMAGES);
        b->input_desc = "MNIST training mean";
        scl_dataset_destroy(ds);
        return;
    }
    scl_dataset_destroy(ds);
    for (int i = 0; i < 784; i++) {
        const int row = i / 28;
        const float r = (float)row - 13.5f;
        const float c = (float)(i % 28) - 13.5f;
        b->mean[i] = 0.8f * expf(-(r * r) / 50.0f - (c * c) / 32.0f);
    }
    for (uint32_t i = 0; i < 784 * ACT_IMAGES; i++) {
        uint32_t w[4];
        scl_rng_words(99, SCL_RNG_TEST, i, 1, 0, w);
        b->images[i] = scl_rng_u01(w[0]) < b->mean[i % 784] ? 1.0f : 0.0f;
    }
    b->input_desc = "synthetic blob (MNIST not found)";
}

static scl_status scl_bench_setup(struct sleep_bench *b)
{
    const int32_t sizes[N_LAYERS + 1] = {784, 1200, 1200, 10};
    float act[N_LAYERS];
    scl_status st = scl_model_create(N_LAYERS, sizes, &b->m);
    b->images = malloc(sizeof(float) * 784 * ACT_IMAGES);
    if (st != SCL_OK || !b->images)
        return SCL_ERR_NOMEM;
    for (int32_t l = 0; l < N_LAYERS; l++) {
        const size_t n = (size_t)sizes[l] * (size_t)sizes[l + 1];
        const float a = 1.0f / sqrtf((float)sizes[l]);
        for (size_t i = 0; i < n; i++) {
            uint32_t w[4];
            scl_rng_words(7, SCL_RNG_TEST, (uint32_t)i, 0, (uint32_t)l, w);
            b->m->w[l][i] = (2.0f * scl_rng_u01(w[0]) - 1.0f) * a;
        }
    }
    scl_bench_input(b);
    b->p = scl_sleep_default_params();
    scl_ref_sleep_act_max(b->m, b->images, ACT_IMAGES, act);
    st = scl_sleep_factors(b->m, act, b->p.norm, b->factors);
    if (st == SCL_OK)
        scl_sleep_alpha(&b->p, N_LAYERS, b->factors, b->alpha);
    return st;
}

/* Seconds for one run of `steps` steps from the bench model. */
static double time_engine(scl_ctx *ctx, struct sleep_bench *b, engine_fn fn, int32_t steps,
                          scl_status *st)
{
    scl_model *m = NULL;
    const int32_t keep = b->p.steps;
    double t = INFINITY;
    b->p.steps = steps;
    *st = scl_model_clone(b->m, &m);
    if (*st == SCL_OK) {
        double t0 = scl_app_now();
        *st = fn(ctx, m, b, NULL);
        t = scl_app_now() - t0;
    }
    scl_model_destroy(m);
    b->p.steps = keep;
    return t;
}

/* The mean spikes per step of each layer into b->spikes, printed as rates per unit. */
static void print_rates(struct sleep_bench *b, const int32_t *spikes)
{
    static const char *const names[N_LAYERS + 1] = {"input", "hidden 1", "hidden 2", "output"};
    const int32_t steps = b->p.steps;
    printf("  firing rate per unit per step:");
    for (int32_t l = 0; l <= N_LAYERS; l++) {
        int64_t sum = 0;
        for (int32_t t = 0; t < steps; t++)
            sum += spikes[t * (N_LAYERS + 1) + l];
        b->spikes[l] = (double)sum / steps;
        printf(" %s %.2f%%%s", names[l], 100.0 * b->spikes[l] / b->m->sizes[l],
               l < N_LAYERS ? "," : "\n");
    }
}

/* Rates from the device run, and whether the C loop saw the same spike counts. */
static scl_status check_run(scl_ctx *ctx, struct sleep_bench *b)
{
    const size_t n = (size_t)b->p.steps * (N_LAYERS + 1);
    int32_t *dev = calloc(n, sizeof(*dev));
    int32_t *c = calloc(n, sizeof(*c));
    scl_model *m1 = NULL;
    scl_model *m2 = NULL;
    scl_status st = dev && c ? scl_model_clone(b->m, &m1) : SCL_ERR_NOMEM;
    if (st == SCL_OK)
        st = scl_model_clone(b->m, &m2);
    if (st == SCL_OK)
        st = run_device_groups(ctx, m1, b, dev, 0);
    if (st == SCL_OK)
        st = run_fast(ctx, m2, b, c);
    if (st == SCL_OK) {
        print_rates(b, dev);
        printf("  device and C loop spike counts: %s\n",
               memcmp(dev, c, n * sizeof(*dev)) == 0 ? "identical" : "DIFFERENT");
    }
    scl_model_destroy(m1);
    scl_model_destroy(m2);
    free(dev);
    free(c);
    return st;
}

static const struct {
    const char *name;
    engine_fn fn;
} engines[N_ENGINES] = {{"device, 1 group x 256 steps/call", run_device_chunked},
                        {"device, 2 groups x 1 launch/call", run_device_launches},
                        {"C fast loop (1 thread)", run_fast},
                        {"C reference (1 thread)", run_ref}};

/* best[e][k]: best seconds of engine e at 1 and T steps (k = 0, 1); engines take turns, each
 * after an untimed run, since PoCL reloads a kernel when the launch shape changes. */
static scl_status time_all(scl_ctx *ctx, struct sleep_bench *b, int reps, double best[N_ENGINES][2])
{
    const int32_t steps[2] = {1, b->p.steps};
    scl_status st = SCL_OK;
    for (int e = 0; e < N_ENGINES; e++)
        best[e][0] = best[e][1] = INFINITY;
    for (int r = 0; r < reps && st == SCL_OK; r++)
        for (int e = 0; e < N_ENGINES && st == SCL_OK; e++) {
            time_engine(ctx, b, engines[e].fn, 1, &st);
            for (int k = 0; k < 2 && st == SCL_OK; k++) {
                double t = time_engine(ctx, b, engines[e].fn, steps[k], &st);
                best[e][k] = t < best[e][k] ? t : best[e][k];
            }
        }
    return st;
}

/* One modulation: every engine, printed against the fast C loop and as the weights a step
 * touches per second, also as a share of the measured bandwidth. */
static scl_status scl_bench_modulation(scl_ctx *ctx, struct sleep_bench *b,
                                       const struct scl_bench_opts *o)
{
    const int reps = o->quick ? 1 : 5;
    double best[N_ENGINES][2];
    double step[N_ENGINES];
    const int32_t t = b->p.steps;
    scl_status st = check_run(ctx, b);
    if (st == SCL_OK)
        st = time_all(ctx, b, reps, best);
    if (st != SCL_OK)
        return st;
    for (int e = 0; e < N_ENGINES; e++)
        step[e] = (best[e][1] - best[e][0]) / (t - 1);
    const double bytes = scl_sleep_step_bytes(b->m->sizes, N_LAYERS, b->spikes);
    printf("  weights touched per step: %.0f kB (the rows and columns the spike lists select)\n",
           1e-3 * bytes);
    printf("  %-34s %9s %9s %9s %9s %9s %9s %7s\n", "engine", "ms/step", "vs C fast", "fixed ms",
           "total ms", "vs C fast", "GB/s", "triad%");
    for (int e = 0; e < N_ENGINES; e++) {
        const double gbs = 1e-9 * bytes / step[e];
        printf("  %-34s %9.4f %9.2f %9.2f %9.2f %9.2f %9.1f %6.0f%%\n", engines[e].name,
               1e3 * step[e], step[e] / step[2], 1e3 * best[e][0], 1e3 * best[e][1],
               best[e][1] / best[2][1], gbs,
               o->bandwidth_gbs > 0 ? 100.0 * gbs / o->bandwidth_gbs : 0.0);
    }
    return SCL_OK;
}

int scl_bench_sleep(scl_ctx *ctx, const struct scl_bench_opts *o)
{
    struct sleep_bench b;
    memset(&b, 0, sizeof(b));
    scl_status st = scl_bench_setup(&b);
    printf("sleep: 784-1200-1200-10, random U(+-1/sqrt(fan_in)) weights, 2024 MNIST parameters "
           "(T %d, gain %g, input mean, norm ref), seed %u\n",
           (int)b.p.steps, (double)b.p.gain, (unsigned)b.p.seed);
    printf("  input: %s; alpha %.3g %.3g %.3g\n", b.input_desc ? b.input_desc : "?",
           (double)b.alpha[0], (double)b.alpha[1], (double)b.alpha[2]);
    for (int mod = 0; mod < 2 && st == SCL_OK; mod++) {
        b.p.modulation = mod ? SCL_SLEEP_MOD_CONST : SCL_SLEEP_MOD_REF;
        printf(" f = %s\n", mod ? "const" : "ref");
        st = scl_bench_modulation(ctx, &b, o);
    }
    if (st != SCL_OK)
        scl_app_error("bench sleep: %s (%s)", scl_status_str(st), scl_ctx_last_error(ctx));
    scl_model_destroy(b.m);
    free(b.images);
    return st == SCL_OK ? SCL_EXIT_OK : scl_app_exit_code(st);
}
