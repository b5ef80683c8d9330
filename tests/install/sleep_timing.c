/*
 * The C side of python/tools/bench_sleep.py: the same sleep the Python package runs, timed
 * through the public API alone (scl_sleep_model on a model and input statistics read from
 * files), so that the two differ only by the binding. Each repetition sleeps a fresh copy of
 * the model (copied outside the timed call); the device is opened once, untimed.
 *
 *   scl_sleep_timing MODEL.safetensors STATS.json SEED REPS  -> one line per sleep: seconds
 *   scl_sleep_timing --make MODEL.safetensors SIZES... -> a model U(+-1/sqrt(fan_in)), seed 1
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sleepcl/sleepcl.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const char *what, const char *detail)
{
    fprintf(stderr, "scl_sleep_timing: %s: %s\n", what, detail);
    return 1;
}

/* --make OUT n0 n1 ...: a freshly initialised model (the library's fan-in init, seed 1). */
static int make_model(int argc, char **argv)
{
    int32_t sizes[SCL_MAX_LAYERS + 1];
    int32_t n = argc - 3;
    char msg[512];
    scl_model *m = NULL;
    if (n < 2 || n > SCL_MAX_LAYERS + 1)
        return fail("--make", "give 2 to 9 layer sizes");
    for (int32_t i = 0; i < n; i++)
        sizes[i] = (int32_t)atoi(argv[3 + i]);
    struct scl_train_params p = scl_train_default_params();
    p.seed = 1;
    if (scl_model_create(n - 1, sizes, &m) != SCL_OK || scl_model_init(m, &p) != SCL_OK)
        return fail("--make", "cannot create the model");
    scl_status st = scl_model_save(m, argv[2], msg, sizeof(msg));
    scl_model_destroy(m);
    return st == SCL_OK ? 0 : fail("--make", msg);
}

/* REPS sleeps of fresh copies of m, each timed alone. */
static int time_sleeps(scl_ctx *ctx, const scl_model *m, const struct scl_input_stats *in,
                       uint32_t seed, int reps)
{
    struct scl_sleep_params p = scl_sleep_default_params();
    p.seed = seed;
    for (int r = 0; r < reps; r++) {
        scl_model *copy = NULL;
        if (scl_model_clone(m, &copy) != SCL_OK)
            return fail("clone", "out of memory");
        double t0 = now();
        scl_status st = scl_sleep_model(ctx, copy, &p, in, NULL);
        double t = now() - t0;
        scl_model_destroy(copy);
        if (st != SCL_OK)
            return fail("sleep", scl_ctx_last_error(ctx));
        printf("%.6f\n", t);
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--make") == 0)
        return make_model(argc, argv);
    if (argc != 5) {
        fprintf(stderr, "usage: scl_sleep_timing MODEL STATS.json SEED REPS\n"
                        "       scl_sleep_timing --make MODEL SIZES...\n");
        return 2;
    }
    char msg[512];
    scl_model *m = NULL;
    struct scl_input_stats in;
    memset(&in, 0, sizeof(in));
    if (scl_model_load(argv[1], &m, msg, sizeof(msg)) != SCL_OK)
        return fail("model", msg);
    if (scl_input_stats_load(argv[2], m, &in, msg, sizeof(msg)) != SCL_OK) {
        scl_model_destroy(m);
        return fail("statistics", msg);
    }
    struct scl_ctx_params cp = scl_ctx_default_params();
    cp.quiet = 1;
    scl_ctx *ctx = NULL;
    int rc = scl_ctx_create(&cp, &ctx) == SCL_OK
                 ? time_sleeps(ctx, m, &in, (uint32_t)strtoul(argv[3], NULL, 10), atoi(argv[4]))
                 : fail("device", scl_ctx_last_error(ctx));
    scl_ctx_destroy(ctx);
    scl_input_stats_free(&in);
    scl_model_destroy(m);
    return rc;
}
