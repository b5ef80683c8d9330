/*
 * `sleepcl train` and `sleepcl eval` in the application: train a fresh net on the configured
 * class-balanced subset and save it; evaluate saved models on a split and print the change
 * from the first to the others.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"

/* What a command holds open: the device, the data and their device copies. */
struct session {
    const struct scl_config *cfg;
    scl_ctx *ctx;
    scl_dataset *train_full, *train, *test;
    scl_ddata *dtrain, *dtest;
};

static void session_close(struct session *s)
{
    scl_ddata_destroy(s->dtest);
    scl_ddata_destroy(s->dtrain);
    scl_dataset_destroy(s->test);
    scl_dataset_destroy(s->train);
    scl_dataset_destroy(s->train_full);
    scl_ctx_destroy(s->ctx);
}

/* The device, the test split and, with need_train, the training subset of run.seed. */
static int session_open(struct session *s, const struct scl_config *cfg, bool need_train)
{
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    if (!(s->ctx = scl_app_open_cfg_ctx(cfg)) || !(s->test = scl_app_load_split(cfg, "test")))
        return SCL_EXIT_RUNTIME;
    if (need_train) {
        s->train_full = scl_app_load_split(cfg, "train");
        s->train = s->train_full ? scl_app_train_subset(cfg, s->train_full, cfg->run.seed) : NULL;
        if (!s->train)
            return SCL_EXIT_RUNTIME;
        fprintf(stderr, "sleepcl: data: %d training samples (fraction %g), %d test samples\n",
                s->train->n, cfg->data.fraction, s->test->n);
    }
    scl_status st = scl_ddata_create(s->ctx, s->test, &s->dtest);
    if (st == SCL_OK && need_train)
        st = scl_ddata_create(s->ctx, s->train, &s->dtrain);
    return st == SCL_OK ? SCL_EXIT_OK : scl_app_fail(s->ctx, st, NULL);
}

/* Print m's test accuracy and save it with the config's profile and hash. */
static int report_and_save(struct session *s, scl_model *m, const char *out)
{
    struct scl_eval e;
    char msg[512];
    scl_cfg_get(s->cfg, "train.profile", m->profile, sizeof(m->profile));
    scl_cfg_hash(s->cfg, m->config_hash);
    scl_status st = scl_evaluate(s->ctx, m, s->dtest, s->cfg->train.gemm, &e);
    if (st != SCL_OK)
        return scl_app_fail(s->ctx, st, NULL);
    scl_app_print_eval(stdout, "test", &e);
    scl_eval_free(&e);
    st = scl_model_save(m, out, msg, sizeof(msg));
    if (st != SCL_OK) {
        scl_app_error("%s", msg);
        return scl_app_exit_code(st);
    }
    printf("model written to %s\n", out);
    return SCL_EXIT_OK;
}

int scl_app_train_file(const struct scl_config *cfg, const char *out)
{
    struct session s;
    scl_model *m = NULL;
    int rc = session_open(&s, cfg, true);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_train_new(s.ctx, cfg, cfg->run.seed, s.dtrain, scl_app_epoch_progress,
                               (void *)"train", &m, NULL);
    if (rc == SCL_EXIT_OK)
        rc = report_and_save(&s, m, out);
    scl_model_destroy(m);
    session_close(&s);
    return rc;
}

static int eval_one(struct session *s, const char *path, const scl_ddata *d, double *acc)
{
    char msg[512];
    struct scl_eval e;
    scl_model *m = NULL;
    scl_status st = scl_model_load(path, &m, msg, sizeof(msg));
    if (st != SCL_OK) {
        scl_app_error("%s", msg);
        return scl_app_exit_code(st);
    }
    st = scl_evaluate(s->ctx, m, d, s->cfg->train.gemm, &e);
    scl_model_destroy(m);
    if (st != SCL_OK)
        return scl_app_fail(s->ctx, st, NULL);
    scl_app_print_eval(stdout, path, &e);
    *acc = e.accuracy;
    scl_eval_free(&e);
    return SCL_EXIT_OK;
}

/* The whole split (not the subset): eval --split train shows the fit on all training data. */
static int eval_split(struct session *s, const char *split, const scl_ddata **d)
{
    *d = s->dtest;
    if (strcmp(split, "train") == 0) {
        s->train = scl_app_load_split(s->cfg, "train");
        if (!s->train || scl_ddata_create(s->ctx, s->train, &s->dtrain) != SCL_OK)
            return SCL_EXIT_RUNTIME;
        *d = s->dtrain;
    } else if (strcmp(split, "test") != 0) {
        scl_app_error("--split must be train or test, not '%s'", split);
        return SCL_EXIT_USAGE;
    }
    return SCL_EXIT_OK;
}

int scl_app_eval_files(const struct scl_config *cfg, const char *const *paths, int n,
                       const char *split)
{
    struct session s;
    const scl_ddata *d = NULL;
    double acc[16];
    if (n < 1 || n > 16) {
        scl_app_error("eval takes 1 to 16 models");
        return SCL_EXIT_USAGE;
    }
    int rc = session_open(&s, cfg, false);
    if (rc == SCL_EXIT_OK)
        rc = eval_split(&s, split, &d);
    for (int i = 0; i < n && rc == SCL_EXIT_OK; i++)
        rc = eval_one(&s, paths[i], d, &acc[i]);
    for (int i = 1; i < n && rc == SCL_EXIT_OK; i++)
        printf("change %s -> %s: %+.4f\n", paths[0], paths[i], acc[i] - acc[0]);
    session_close(&s);
    return rc;
}
