/*
 * sleepcl bench tripartite: milliseconds per training step of the tripartite sleep's VAE
 * (784 inputs, 400-400, latent 100, batch 128, Adam; host/vae/vae.c) on split-MNIST task 1
 * (classes 0/1, NREM only) and task 2 (2/3, plus 128 REM rows from the frozen copy), next to
 * the same steps in PyTorch on the CPU (tools/bench_tri_torch.py, run with
 * OMP_WAIT_POLICY=PASSIVE) when Debian's python3-torch is installed. Ratio: PyTorch / sleepcl.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct tri_times {
    double nrem_ms, rem_ms;
};

/* The wall time between the first callback (after iteration 1) and the last, per step. */
struct tri_clock {
    double t_first;
    double per_step_ms;
    int32_t iters;
};

static scl_status tri_tick(scl_tri *t, int32_t task, int32_t it, void *user)
{
    struct tri_clock *c = user;
    (void)t;
    (void)task;
    double now = scl_app_now();
    if (it == 1)
        c->t_first = now;
    else if (it == c->iters)
        c->per_step_ms = (now - c->t_first) / (it - 1) * 1e3;
    return SCL_OK;
}

static scl_status tri_phase(scl_ctx *ctx, scl_tri *t, const scl_dataset *train, int32_t task,
                            int32_t iters, double *ms)
{
    int32_t *idx = malloc(sizeof(int32_t) * (size_t)train->n), n = 0;
    if (!idx)
        return SCL_ERR_NOMEM;
    for (int32_t i = 0; i < train->n; i++)
        if (train->y[i] / 2 == task)
            idx[n++] = i;
    scl_dataset *ds = NULL;
    scl_ddata *dd = NULL;
    struct tri_clock c = {0.0, 0.0, iters};
    scl_status st = scl_dataset_subset(train, idx, n, &ds);
    if (st == SCL_OK)
        st = scl_ddata_create(ctx, ds, &dd);
    if (st == SCL_OK)
        st = scl_tri_task(t, dd, 2 * (task + 1), tri_tick, &c);
    *ms = c.per_step_ms;
    scl_ddata_destroy(dd);
    scl_dataset_destroy(ds);
    free(idx);
    return st;
}

static int time_sleepcl(scl_ctx *ctx, const scl_dataset *train, int32_t iters,
                        struct tri_times *out)
{
    struct scl_tri_params p = scl_tri_default_params();
    struct scl_train_params tp = scl_train_default_params();
    p.iterations = iters;
    p.eval_every = 1; /* the callback only reads the clock */
    tp.optimizer = SCL_OPTIMIZER_ADAM;
    tp.lr = 1e-3f;
    tp.batch = 128;
    scl_tri *t = NULL;
    scl_status st = scl_tri_create(ctx, train->dim, 10, &p, &tp, &t);
    if (st == SCL_OK)
        st = tri_phase(ctx, t, train, 0, iters, &out->nrem_ms);
    if (st == SCL_OK)
        st = tri_phase(ctx, t, train, 1, iters, &out->rem_ms);
    scl_tri_destroy(t);
    if (st != SCL_OK)
        scl_app_error("bench tripartite: %s", scl_ctx_last_error(ctx));
    return st == SCL_OK ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
}

static void time_torch(const char *mnist_dir, int32_t iters, struct tri_times *out)
{
    char cmd[2600], line[256], script[1200];
    out->nrem_ms = out->rem_ms = -1.0;
    if (scl_app_share_path("tools/bench_tri_torch.py", script, sizeof(script)) != SCL_EXIT_OK)
        return;
    snprintf(cmd, sizeof(cmd), "OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 '%s' '%s' %d 2>/dev/null",
             script, mnist_dir, iters);
    FILE *p = popen(cmd, "r");
    while (p && fgets(line, sizeof(line), p))
        if (sscanf(line, "nrem_ms=%lf rem_ms=%lf", &out->nrem_ms, &out->rem_ms) == 2)
            break;
    if (p)
        pclose(p);
}

int scl_bench_tripartite(scl_ctx *ctx, const struct scl_bench_opts *o)
{
    char dir[1024], mnist[1100], msg[512];
    scl_dataset *train = NULL;
    int32_t iters = o->quick ? 20 : 200;
    scl_env_data_dir(dir, sizeof(dir));
    snprintf(mnist, sizeof(mnist), "%s/mnist", dir);
    if (scl_dataset_load_dir(mnist, "train", &train, msg, sizeof(msg)) != SCL_OK) {
        scl_app_error("bench tripartite: %s (run tools/setup.sh)", msg);
        return SCL_EXIT_RUNTIME;
    }
    struct tri_times ours, torch;
    int rc = time_sleepcl(ctx, train, iters, &ours);
    scl_dataset_destroy(train);
    if (rc != SCL_EXIT_OK)
        return rc;
    time_torch(mnist, iters, &torch);
    printf("VAE step: 784-400-400-z100, batch 128, Adam, %d steps per phase\n", iters);
    printf("%-22s %12s %12s\n", "", "NREM ms", "NREM+REM ms");
    printf("%-22s %12.2f %12.2f\n", "sleepcl (device)", ours.nrem_ms, ours.rem_ms);
    if (torch.nrem_ms < 0) {
        printf("PyTorch: not installed (Debian python3-torch) - no baseline\n");
        return SCL_EXIT_OK;
    }
    printf("%-22s %12.2f %12.2f\n", "PyTorch (CPU)", torch.nrem_ms, torch.rem_ms);
    printf("%-22s %11.2fx %11.2fx\n", "PyTorch / sleepcl", torch.nrem_ms / ours.nrem_ms,
           torch.rem_ms / ours.rem_ms);
    return SCL_EXIT_OK;
}
