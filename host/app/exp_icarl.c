/*
 * iCaRL (Rebuffi et al. 2017) in the sequential-task protocols (docs/METHOD.md section 6.14): the
 * exemplar memory, the distillation targets and the nearest-mean-of-exemplars classifier around
 * the trainer's iCaRL loss (method icarl, host/wake/methods.c).
 *
 * Memory: train.icarl_memory = K exemplars in all. After a task, each class seen keeps
 * K / (classes seen) (at least one): old classes keep the first ones of their herding order,
 * each new class is herded (scl_herding) from the L2-normalised penultimate features of the net
 * just trained, before any sleep. A later task trains on its own images with every exemplar
 * appended. Evaluation: the class means are the normalised means of the exemplars' normalised
 * features under the net being evaluated, recomputed at every stage, so that after a sleep they
 * are the slept net's (the exemplars stay those herded before it). The argmax of the net's own
 * outputs is recorded beside it (task "output"), and the exemplars held (task "memory").
 */
#include <stdlib.h>
#include <string.h>

#include "exp.h"

bool scl_exp_icarl(const struct scl_exp_env *env)
{
    return env->cfg.train.method == SCL_METHOD_ICARL;
}

static int fail(struct scl_exp_env *env, scl_status st)
{
    return scl_app_fail(env->ctx, st, "icarl");
}

/* The penultimate layer: iCaRL's feature extractor is the net below its output layer. */
static int feature_layer(const scl_model *m)
{
    return m->n_layers - 1;
}

/* L2-normalised penultimate features of m on d (n samples) into *out ([n][dim], caller
 * frees). */
static int features(struct scl_exp_env *env, const scl_model *m, const scl_ddata *d, int32_t n,
                    float **out)
{
    int32_t l = feature_layer(m);
    *out = NULL;
    if (l < 1) {
        scl_app_error("icarl: the net needs a hidden layer (its features), [model] sizes has none");
        return SCL_EXIT_USAGE;
    }
    int32_t dim = m->sizes[l];
    float *f = malloc(sizeof(*f) * ((size_t)n * (size_t)dim + 1));
    scl_status st =
        f ? scl_model_features(env->ctx, m, d, env->cfg.train.gemm, l, f) : SCL_ERR_NOMEM;
    if (st != SCL_OK) {
        free(f);
        return fail(env, st);
    }
    scl_l2_normalise_rows(f, n, dim);
    *out = f;
    return SCL_EXIT_OK;
}

/* The same for training-set images idx[0..n). */
static int features_of(struct scl_exp_env *env, const scl_model *m, const int32_t *idx, int32_t n,
                       float **out)
{
    scl_dataset *ds = NULL;
    scl_ddata *dd = NULL;
    scl_status st = scl_dataset_subset(env->train_full, idx, n, &ds);
    if (st == SCL_OK)
        st = scl_ddata_create(env->ctx, ds, &dd);
    int rc = st == SCL_OK ? features(env, m, dd, n, out) : fail(env, st);
    scl_ddata_destroy(dd);
    scl_dataset_destroy(ds);
    return rc;
}

/* Herd `keep` exemplars of class c among the task's images idx[0..n) into mem. */
static int herd_class(struct scl_exp_env *env, struct scl_exp_memory *mem, const scl_model *m,
                      int32_t c, const int32_t *idx, int32_t n, int32_t keep)
{
    int32_t *own = malloc(sizeof(*own) * ((size_t)n + 1)), count = 0;
    int32_t *chosen = malloc(sizeof(*chosen) * ((size_t)keep + 1));
    float *f = NULL;
    if (!own || !chosen) {
        free(own);
        free(chosen);
        return fail(env, SCL_ERR_NOMEM);
    }
    int rc = SCL_EXIT_OK;
    for (int32_t i = 0; i < n; i++)
        if (env->train_full->y[idx[i]] == c)
            own[count++] = idx[i];
    keep = keep < count ? keep : count;
    if (rc == SCL_EXIT_OK && count > 0)
        rc = features_of(env, m, own, count, &f);
    if (rc == SCL_EXIT_OK && count > 0) {
        scl_status st = scl_herding(f, count, m->sizes[feature_layer(m)], keep, chosen);
        rc = st == SCL_OK ? SCL_EXIT_OK : fail(env, st);
    }
    for (int32_t i = 0; rc == SCL_EXIT_OK && i < keep; i++)
        chosen[i] = own[chosen[i]];
    if (rc == SCL_EXIT_OK) {
        mem->cls[mem->n_cls] = c;
        mem->ex_n[mem->n_cls] = keep;
        mem->ex[mem->n_cls++] = chosen;
        chosen = NULL;
    }
    free(own);
    free(chosen);
    free(f);
    return rc;
}

/* mem->idx = every class's exemplars in class order. */
static int flatten(struct scl_exp_env *env, struct scl_exp_memory *mem)
{
    int32_t total = 0;
    for (int32_t c = 0; c < mem->n_cls; c++)
        total += mem->ex_n[c];
    int32_t *flat = realloc(mem->idx, sizeof(*flat) * ((size_t)total + 1));
    if (!flat)
        return fail(env, SCL_ERR_NOMEM);
    mem->idx = flat;
    mem->n = 0;
    for (int32_t c = 0; c < mem->n_cls; c++) {
        memcpy(flat + mem->n, mem->ex[c], sizeof(*flat) * (size_t)mem->ex_n[c]);
        mem->n += mem->ex_n[c];
    }
    return SCL_EXIT_OK;
}

int scl_exp_icarl_update(struct scl_exp_env *env, struct scl_exp_memory *mem, const scl_model *m,
                         const int32_t *classes, int32_t n_cls, const int32_t *idx, int32_t n)
{
    if (!scl_exp_icarl(env))
        return SCL_EXIT_OK;
    int32_t seen = mem->n_cls + n_cls;
    if (seen > SCL_MAX_CLASSES)
        return fail(env, SCL_ERR_ARG);
    int32_t per = env->cfg.icarl_memory / seen;
    per = per < 1 ? 1 : per;
    for (int32_t c = 0; c < mem->n_cls; c++)
        mem->ex_n[c] = mem->ex_n[c] < per ? mem->ex_n[c] : per;
    int rc = SCL_EXIT_OK;
    for (int32_t c = 0; rc == SCL_EXIT_OK && c < n_cls; c++)
        rc = herd_class(env, mem, m, classes[c], idx, n, per);
    return rc == SCL_EXIT_OK ? flatten(env, mem) : rc;
}

int scl_exp_icarl_distill(struct scl_exp_env *env, const struct scl_exp_memory *mem,
                          struct scl_exp_net *n)
{
    if (!scl_exp_icarl(env) || mem->n_cls == 0)
        return SCL_EXIT_OK;
    int32_t L = n->model->n_layers, k = n->model->sizes[L];
    float *logits = malloc(sizeof(*logits) * ((size_t)n->train->n * (size_t)k + 1));
    scl_status st =
        logits ? scl_model_features(env->ctx, n->model, n->dtrain, env->cfg.train.gemm, L, logits)
               : SCL_ERR_NOMEM;
    if (st == SCL_OK)
        st = scl_trainer_set_distill(n->trainer, n->dtrain, logits, mem->cls, mem->n_cls);
    free(logits);
    return st == SCL_OK ? SCL_EXIT_OK : fail(env, st);
}

/* The class means of m's features of the exemplars, in mem's class order. */
static int class_means(struct scl_exp_env *env, const struct scl_exp_memory *mem,
                       const scl_model *m, float *means)
{
    float *f = NULL;
    int32_t dim = m->sizes[feature_layer(m)], *rows = malloc(sizeof(*rows) * ((size_t)mem->n + 1));
    if (!rows)
        return fail(env, SCL_ERR_NOMEM);
    int rc = features_of(env, m, mem->idx, mem->n, &f);
    for (int32_t c = 0, at = 0; rc == SCL_EXIT_OK && c < mem->n_cls; at += mem->ex_n[c++]) {
        for (int32_t i = 0; i < mem->ex_n[c]; i++)
            rows[i] = at + i;
        scl_nme_mean(f, rows, mem->ex_n[c], dim, means + (size_t)c * (size_t)dim);
    }
    free(rows);
    free(f);
    return rc;
}

/* Row (stage, "output", "accuracy"): the test accuracy of the argmax of m's outputs. */
static int output_accuracy(struct scl_exp_env *env, const scl_model *m, const char *stage)
{
    struct scl_eval e;
    scl_status st = scl_evaluate(env->ctx, m, env->dtest, env->cfg.train.gemm, &e);
    if (st != SCL_OK)
        return fail(env, st);
    scl_res_row(&env->res, stage, "output", "accuracy", e.accuracy);
    scl_eval_free(&e);
    return SCL_EXIT_OK;
}

int scl_exp_icarl_eval(struct scl_exp_env *env, const struct scl_exp_memory *mem,
                       const scl_model *m, const char *stage, struct scl_eval *e)
{
    int32_t dim = m->sizes[feature_layer(m)], n = env->dtest ? env->test->n : 0;
    float *means = malloc(sizeof(*means) * ((size_t)mem->n_cls * (size_t)dim + 1)), *f = NULL;
    int32_t *pred = malloc(sizeof(*pred) * ((size_t)n + 1));
    int rc = means && pred ? SCL_EXIT_OK : fail(env, SCL_ERR_NOMEM);
    if (rc == SCL_EXIT_OK && mem->n_cls == 0)
        rc = fail(env, SCL_ERR_ARG); /* evaluated before any class was learnt */
    if (rc == SCL_EXIT_OK)
        rc = class_means(env, mem, m, means);
    if (rc == SCL_EXIT_OK)
        rc = features(env, m, env->dtest, n, &f);
    if (rc == SCL_EXIT_OK) {
        scl_nme_classify(f, n, dim, means, mem->cls, mem->n_cls, pred);
        scl_status st = scl_eval_predictions(pred, env->test->y, n, m->sizes[m->n_layers], e);
        rc = st == SCL_OK ? SCL_EXIT_OK : fail(env, st);
    }
    if (rc == SCL_EXIT_OK) {
        scl_res_eval(&env->res, stage, e);
        scl_res_row(&env->res, stage, "memory", "exemplars", mem->n);
    }
    if (rc == SCL_EXIT_OK) /* beside it, the net's own argmax classifier (iCaRL's "hybrid1") */
        rc = output_accuracy(env, m, stage);
    free(means);
    free(pred);
    free(f);
    return rc;
}
