/*
 * sleepcl train: train a network on the configured dataset (a class-balanced fraction of it),
 * print the test accuracy, and save the model in the safetensors format.
 * sleepcl eval: accuracy, per-class accuracy and the confusion matrix of one or more saved models
 * on a split; given two models (before and after a sleep) it prints both, and the change.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char train_usage[] =
    "usage: sleepcl train [-c CONFIG] [--set section.key=value ...] -o MODEL.safetensors\n"
    "                     [--fraction F] [--epochs N] [--seed S] [--dataset mnist|fashion]\n"
    "                     [--device I|NAME] [--gemm auto|clblast|native]\n"
    "Trains model.sizes on data.fraction of the training split (class-balanced, drawn from the\n"
    "seed), evaluates on the test split and writes the model. See sleepcl config --help-keys.\n";

static const char eval_usage[] =
    "usage: sleepcl eval -m MODEL [-m MODEL2] [-c CONFIG] [--split test|train] [--device I|NAME]\n"
    "Prints accuracy, per-class accuracy and the confusion matrix of each model on the split of\n"
    "the configured dataset; with two models, also the change from the first to the second.\n";

struct session {
    struct scl_config cfg;
    scl_ctx *ctx;
    scl_dataset *train_full, *train, *test;
    scl_ddata *dtrain, *dtest;
    scl_model *model;
};

static void session_close(struct session *s)
{
    scl_model_destroy(s->model);
    scl_ddata_destroy(s->dtest);
    scl_ddata_destroy(s->dtrain);
    scl_dataset_destroy(s->test);
    scl_dataset_destroy(s->train);
    scl_dataset_destroy(s->train_full);
    scl_ctx_destroy(s->ctx);
}

static int fail_ctx(scl_ctx *ctx, scl_status st)
{
    scl_app_error("%s", scl_ctx_last_error(ctx)[0] ? scl_ctx_last_error(ctx) : scl_status_str(st));
    return scl_app_exit_code(st);
}

static int train_model(struct session *s, uint32_t seed)
{
    struct scl_train_params p = scl_app_train_params(&s->cfg, seed);
    const struct scl_cfg_ints *sz = &s->cfg.model.sizes;
    scl_trainer *t = NULL;
    if (sz->v[0] != s->train->dim) {
        scl_app_error("model.sizes starts with %d inputs, the data has %d", sz->v[0],
                      s->train->dim);
        return SCL_EXIT_USAGE;
    }
    scl_status st = scl_model_create(sz->n - 1, sz->v, &s->model);
    if (st != SCL_OK)
        return scl_app_exit_code(st);
    scl_model_init(s->model, &p);
    scl_cfg_get(&s->cfg, "train.profile", s->model->profile, sizeof(s->model->profile));
    scl_cfg_hash(&s->cfg, s->model->config_hash);
    st = scl_trainer_create(s->ctx, s->model, &p, &t);
    if (st == SCL_OK)
        st = scl_trainer_fit(t, s->dtrain, p.epochs, p.lr, scl_app_epoch_progress, (void *)"train");
    if (st == SCL_OK)
        st = scl_trainer_get_model(t, s->model);
    scl_trainer_destroy(t);
    return st == SCL_OK ? SCL_EXIT_OK : fail_ctx(s->ctx, st);
}

static int open_data(struct session *s, bool need_train)
{
    s->test = scl_app_load_split(&s->cfg, "test");
    if (!s->test)
        return SCL_EXIT_RUNTIME;
    if (need_train) {
        s->train_full = scl_app_load_split(&s->cfg, "train");
        s->train =
            s->train_full ? scl_app_train_subset(&s->cfg, s->train_full, s->cfg.run.seed) : NULL;
        if (!s->train)
            return SCL_EXIT_RUNTIME;
        fprintf(stderr, "sleepcl: data: %d training samples (fraction %g), %d test samples\n",
                s->train->n, s->cfg.data.fraction, s->test->n);
    }
    scl_status st = scl_ddata_create(s->ctx, s->test, &s->dtest);
    if (st == SCL_OK && need_train)
        st = scl_ddata_create(s->ctx, s->train, &s->dtrain);
    return st == SCL_OK ? SCL_EXIT_OK : fail_ctx(s->ctx, st);
}

static int report_and_save(struct session *s, const char *out)
{
    struct scl_eval e;
    char msg[512];
    scl_status st = scl_evaluate(s->ctx, s->model, s->dtest, s->cfg.train.gemm, &e);
    if (st != SCL_OK)
        return fail_ctx(s->ctx, st);
    scl_app_print_eval(stdout, "test", &e);
    scl_eval_free(&e);
    st = scl_model_save(s->model, out, msg, sizeof(msg));
    if (st != SCL_OK) {
        scl_app_error("%s", msg);
        return scl_app_exit_code(st);
    }
    printf("model written to %s\n", out);
    return SCL_EXIT_OK;
}

int scl_cmd_train(int argc, char **argv)
{
    struct scl_cli_opts o;
    struct session s;
    memset(&s, 0, sizeof(s));
    int rc = scl_cli_parse(argc, argv, train_usage, &o);
    if (rc != SCL_EXIT_OK)
        return rc == SCL_EXIT_HELP ? SCL_EXIT_OK : rc;
    if (!o.output) {
        scl_app_error("train needs -o MODEL.safetensors");
        return SCL_EXIT_USAGE;
    }
    rc = scl_cli_config(&o, &s.cfg);
    if (rc == SCL_EXIT_OK && !(s.ctx = scl_app_open_cfg_ctx(&s.cfg)))
        rc = SCL_EXIT_RUNTIME;
    if (rc == SCL_EXIT_OK)
        rc = open_data(&s, true);
    if (rc == SCL_EXIT_OK)
        rc = train_model(&s, s.cfg.run.seed);
    if (rc == SCL_EXIT_OK)
        rc = report_and_save(&s, o.output);
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
    st = scl_evaluate(s->ctx, m, d, s->cfg.train.gemm, &e);
    scl_model_destroy(m);
    if (st != SCL_OK)
        return fail_ctx(s->ctx, st);
    scl_app_print_eval(stdout, path, &e);
    *acc = e.accuracy;
    scl_eval_free(&e);
    return SCL_EXIT_OK;
}

static int eval_models(struct session *s, const struct scl_cli_opts *o)
{
    const scl_ddata *d = s->dtest;
    double acc[SCL_CLI_MAX_MODELS];
    if (strcmp(o->split, "train") == 0) {
        s->train = scl_app_load_split(&s->cfg, "train");
        if (!s->train || scl_ddata_create(s->ctx, s->train, &s->dtrain) != SCL_OK)
            return SCL_EXIT_RUNTIME;
        d = s->dtrain;
    } else if (strcmp(o->split, "test") != 0) {
        scl_app_error("--split must be train or test, not '%s'", o->split);
        return SCL_EXIT_USAGE;
    }
    for (int i = 0; i < o->n_models; i++) {
        int rc = eval_one(s, o->models[i], d, &acc[i]);
        if (rc != SCL_EXIT_OK)
            return rc;
    }
    for (int i = 1; i < o->n_models; i++)
        printf("change %s -> %s: %+.4f\n", o->models[0], o->models[i], acc[i] - acc[0]);
    return SCL_EXIT_OK;
}

int scl_cmd_eval(int argc, char **argv)
{
    struct scl_cli_opts o;
    struct session s;
    memset(&s, 0, sizeof(s));
    int rc = scl_cli_parse(argc, argv, eval_usage, &o);
    if (rc != SCL_EXIT_OK)
        return rc == SCL_EXIT_HELP ? SCL_EXIT_OK : rc;
    if (o.n_models == 0) {
        scl_app_error("eval needs -m MODEL");
        return SCL_EXIT_USAGE;
    }
    rc = scl_cli_config(&o, &s.cfg);
    if (rc == SCL_EXIT_OK && !(s.ctx = scl_app_open_cfg_ctx(&s.cfg)))
        rc = SCL_EXIT_RUNTIME;
    if (rc == SCL_EXIT_OK)
        rc = open_data(&s, false);
    if (rc == SCL_EXIT_OK)
        rc = eval_models(&s, &o);
    session_close(&s);
    return rc;
}
