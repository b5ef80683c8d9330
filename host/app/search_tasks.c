/*
 * The sequential-task fitness of the sleep-parameter search (search.fitness = sequential;
 * docs/SEARCH.md). A scoring net (and each net of the final trials) learns the classes of its
 * data split in order into experiment.n_tasks tasks, one task after another as `sleepcl run`'s
 * task protocols train (same trainer, momentum kept, the method's consolidation between tasks),
 * without sleeping in between; each candidate then sleeps once, after the last task, with the
 * input statistics of every task (the data seen) and T grown by sleep.steps_per_task per later
 * task, and is scored on the validation part of every class seen: what sequential protocols
 * measure after their sleeps. One sleep stands in for Table 1's sleep after every task, which
 * would need one sequence of trainings per candidate.
 */
#include <stdlib.h>

#include "search.h"

bool scl_search_sequential(const struct scl_config *cfg)
{
    return cfg->search.fitness == SCL_CFG_FITNESS_SEQUENTIAL;
}

int scl_search_sleep_task(const struct scl_config *cfg)
{
    return scl_search_sequential(cfg) ? cfg->experiment.n_tasks : 1;
}

int scl_search_check_fitness(const struct scl_config *cfg)
{
    scl_method m = cfg->train.method;
    if (!scl_search_sequential(cfg))
        return SCL_EXIT_OK;
    if (m == SCL_METHOD_REHEARSAL || m == SCL_METHOD_ICARL) {
        scl_app_error("search: fitness = sequential trains with the trainer's own methods; "
                      "train.method = %s needs a memory of the task protocols",
                      scl_cfg_method_name((int)m));
        return SCL_EXIT_USAGE;
    }
    if (cfg->search.finetune) {
        scl_app_error("search: fitness = sequential scores after the sleep alone; set "
                      "search.finetune = 0");
        return SCL_EXIT_USAGE;
    }
    return SCL_EXIT_OK;
}

/* Indices of d's samples whose class falls in task t of nt (class c in task c * nt / k). */
static int32_t task_rows(const scl_dataset *d, int32_t t, int32_t nt, int32_t *idx)
{
    int32_t n = 0, k = d->n_classes;
    for (int32_t i = 0; i < d->n; i++)
        if ((int32_t)((int64_t)d->y[i] * nt / k) == t)
            idx[n++] = i;
    return n;
}

/* Task t's data on the device (*ds and *dd owned by the caller). */
static scl_status task_data(scl_ctx *ctx, const scl_dataset *d, int32_t t, int32_t nt, int32_t *idx,
                            scl_dataset **ds, scl_ddata **dd)
{
    int32_t n = task_rows(d, t, nt, idx);
    scl_status st = n > 0 ? scl_dataset_subset(d, idx, n, ds) : SCL_ERR_ARG;
    return st == SCL_OK ? scl_ddata_create(ctx, *ds, dd) : st;
}

/* Tasks 2.. of the sequence on trainer tr (task 1's data dd0 consolidated first). */
static scl_status later_tasks(scl_ctx *ctx, scl_trainer *tr, const scl_dataset *d, int32_t nt,
                              int32_t *idx, scl_ddata **prev)
{
    scl_status st = SCL_OK;
    for (int32_t t = 1; st == SCL_OK && t < nt; t++) {
        scl_dataset *ds = NULL;
        scl_ddata *dd = NULL;
        st = scl_trainer_consolidate(tr, *prev);
        if (st == SCL_OK)
            st = task_data(ctx, d, t, nt, idx, &ds, &dd);
        if (st == SCL_OK)
            st = scl_trainer_fit(tr, dd, NULL, NULL);
        scl_ddata_destroy(*prev);
        *prev = dd;
        scl_dataset_destroy(ds);
    }
    return st;
}

static int sequence(struct scl_search_env *env, uint32_t seed, const scl_dataset *d,
                    scl_model **model, scl_trainer **trainer)
{
    int32_t nt = env->cfg.experiment.n_tasks;
    int32_t *idx = malloc(sizeof(*idx) * ((size_t)d->n + 1));
    scl_dataset *ds = NULL;
    scl_ddata *dd = NULL;
    scl_trainer *tr = NULL;
    if (!idx)
        return scl_app_fail(env->ctx, SCL_ERR_NOMEM, "search");
    if (nt > d->n_classes) {
        free(idx);
        scl_app_error("search: experiment.n_tasks = %d tasks of at least one class, the data have "
                      "%d classes",
                      nt, d->n_classes);
        return SCL_EXIT_USAGE;
    }
    scl_status st = task_data(env->ctx, d, 0, nt, idx, &ds, &dd);
    int rc = st == SCL_OK ? scl_app_train_new(env->ctx, &env->cfg, seed, dd, NULL, NULL, model, &tr)
                          : scl_app_fail(env->ctx, st, "search");
    if (rc == SCL_EXIT_OK && (st = later_tasks(env->ctx, tr, d, nt, idx, &dd)) == SCL_OK)
        st = scl_trainer_get_model(tr, *model);
    if (rc == SCL_EXIT_OK && st != SCL_OK)
        rc = scl_app_fail(env->ctx, st, "search");
    if (rc == SCL_EXIT_OK && trainer)
        *trainer = tr;
    else
        scl_trainer_destroy(tr);
    scl_ddata_destroy(dd);
    scl_dataset_destroy(ds);
    free(idx);
    return rc;
}

int scl_search_train_net(struct scl_search_env *env, uint32_t seed, const scl_dataset *d,
                         const scl_ddata *dd, scl_model **model, scl_trainer **trainer)
{
    if (!scl_search_sequential(&env->cfg))
        return scl_app_train_new(env->ctx, &env->cfg, seed, dd, NULL, NULL, model, trainer);
    return sequence(env, seed, d, model, trainer);
}
