/*
 * sleepcl bench train: one training epoch over the 60,000 MNIST training images
 * (784-1200-1200-10, batch 64, the paper2024 profile) and one test-set evaluation on the device,
 * next to the same epoch in PyTorch on the CPU when Debian's python3-torch is installed
 * (tools/bench_torch.py, run with OMP_WAIT_POLICY=PASSIVE so that its threads do not spin
 * against the device's for the cores). Ratios are PyTorch time / sleepcl time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Multiply-adds of one epoch: forward, input and weight gradients (the first layer's input
 * gradient is not computed), 2 flops each, 60,000 images. */
#define EPOCH_GFLOP \
    (2e-9 * 60000.0 * (3.0 * (784.0 * 1200 + 1200.0 * 1200 + 1200.0 * 10) - 784.0 * 1200))

struct epoch_times {
    double epoch_s, eval_s;
};

/* The epoch's own time, as the trainer measured it (scl_epoch_fn). */
static void take_epoch_time(const struct scl_epoch_report *r, void *user)
{
    *(double *)user = r->seconds;
}

static int time_sleepcl(scl_ctx *ctx, const scl_dataset *train, const scl_dataset *test,
                        struct epoch_times *out)
{
    const int32_t sizes[] = {784, 1200, 1200, 10};
    struct scl_train_params p = scl_train_default_params();
    scl_model *m = NULL;
    scl_ddata *dtrain = NULL, *dtest = NULL;
    struct scl_eval e;
    p.epochs = 1;
    scl_status st = scl_ddata_create(ctx, train, &dtrain);
    if (st == SCL_OK)
        st = scl_ddata_create(ctx, test, &dtest);
    if (st == SCL_OK)
        st = scl_model_train_new(ctx, sizes, 3, &p, dtrain, take_epoch_time, &out->epoch_s, &m,
                                 NULL);
    double t0 = scl_app_now();
    if (st == SCL_OK && (st = scl_evaluate(ctx, m, dtest, SCL_GEMM_AUTO, &e)) == SCL_OK)
        scl_eval_free(&e);
    out->eval_s = scl_app_now() - t0;
    scl_ddata_destroy(dtest);
    scl_ddata_destroy(dtrain);
    scl_model_destroy(m);
    if (st != SCL_OK)
        scl_app_error("bench train: %s", scl_ctx_last_error(ctx));
    return st == SCL_OK ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
}

/* PyTorch's times, or a negative epoch time when PyTorch is not there. */
static void time_torch(const char *mnist_dir, struct epoch_times *out)
{
    char cmd[2600], line[256], script[1200];
    out->epoch_s = out->eval_s = -1.0;
    if (scl_app_share_path("tools/bench_torch.py", script, sizeof(script)) != SCL_EXIT_OK)
        return;
    snprintf(cmd, sizeof(cmd), "OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 '%s' '%s' 2>/dev/null",
             script, mnist_dir);
    FILE *p = popen(cmd, "r");
    while (p && fgets(line, sizeof(line), p))
        if (sscanf(line, "epoch_s=%lf eval_s=%lf", &out->epoch_s, &out->eval_s) == 2)
            break;
    if (p)
        pclose(p);
}

int scl_bench_train(scl_ctx *ctx, const struct scl_bench_opts *o)
{
    char dir[1024], mnist[1100], msg[512];
    scl_dataset *train = NULL, *test = NULL;
    struct epoch_times ours, torch;
    scl_env_data_dir(dir, sizeof(dir));
    snprintf(mnist, sizeof(mnist), "%s/mnist", dir);
    if (scl_dataset_load_dir(mnist, "train", &train, msg, sizeof(msg)) != SCL_OK ||
        scl_dataset_load_dir(mnist, "test", &test, msg, sizeof(msg)) != SCL_OK) {
        scl_app_error("bench train: %s (run tools/setup.sh)", msg);
        scl_dataset_destroy(train);
        return SCL_EXIT_RUNTIME;
    }
    int rc = time_sleepcl(ctx, train, test, &ours);
    scl_dataset_destroy(train);
    scl_dataset_destroy(test);
    if (rc != SCL_EXIT_OK)
        return rc;
    time_torch(mnist, &torch);
    printf("MNIST 784-1200-1200-10, batch 64, 60000 images\n");
    printf("%-22s %10s %10s\n", "", "epoch s", "eval s");
    printf("%-22s %10.2f %10.3f   %.0f GFLOP/s, %.1f%% of the measured peak\n", "sleepcl (device)",
           ours.epoch_s, ours.eval_s, EPOCH_GFLOP / ours.epoch_s,
           scl_bench_share(o, EPOCH_GFLOP / ours.epoch_s));
    if (torch.epoch_s < 0) {
        printf("PyTorch: not installed (Debian python3-torch) - no baseline\n");
        return SCL_EXIT_OK;
    }
    printf("%-22s %10.2f %10.3f\n", "PyTorch (CPU)", torch.epoch_s, torch.eval_s);
    printf("%-22s %10.2fx %9.2fx\n", "PyTorch / sleepcl", torch.epoch_s / ours.epoch_s,
           torch.eval_s / ours.eval_s);
    return SCL_EXIT_OK;
}
