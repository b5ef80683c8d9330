/*
 * Sleep in the application: the [sleep] section as library parameters, an early check of the
 * set against the configured net, one call that sleeps a model through the library's pipeline
 * (scl_sleep_model) and writes its diagnostics, and `sleepcl sleep` (a saved model, slept and
 * saved again). A sleep checks its set against the model once, inside the library's run;
 * run and search check the set against model.sizes before they train anything, through the
 * same library check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

struct scl_sleep_params scl_app_sleep_params(const struct scl_config *cfg, uint32_t seed, int task)
{
    struct scl_sleep_params p = cfg->sleep;
    p.steps += cfg->steps_per_task * (task > 1 ? task - 1 : 0);
    p.seed = seed;
    return p;
}

int scl_app_check_sleep(const struct scl_config *cfg)
{
    char msg[512];
    scl_model shape; /* the library reads the shape only */
    memset(&shape, 0, sizeof(shape));
    shape.n_layers = cfg->model.sizes.n - 1;
    memcpy(shape.sizes, cfg->model.sizes.v, sizeof(int32_t) * (size_t)cfg->model.sizes.n);
    const struct scl_sleep_params p = scl_app_sleep_params(cfg, cfg->run.seed, 1);
    scl_status st = scl_sleep_validate(&p, &shape, msg, sizeof(msg));
    if (st != SCL_OK)
        scl_app_error("%s (the net of model.sizes)", msg);
    return scl_app_exit_code(st);
}

/* After a sleep that gave st: its spike rates and diagnostics, or its error; the statistics
 * freed unless the caller keeps them. */
static int sleep_done(scl_ctx *ctx, scl_status st, struct scl_sleep_stats *stats, int32_t layers,
                      const char *prefix, double *rates, bool keep)
{
    char msg[512];
    if (st != SCL_OK) {
        scl_sleep_stats_free(stats);
        return scl_app_fail(ctx, st, NULL);
    }
    for (int32_t l = 0; rates && l <= layers; l++)
        rates[l] = stats->rate[l];
    st = prefix ? scl_sleep_write_diagnostics(stats, prefix, msg, sizeof(msg)) : SCL_OK;
    if (!keep || st != SCL_OK)
        scl_sleep_stats_free(stats);
    if (st != SCL_OK) {
        scl_app_error("%s", msg);
        return scl_app_exit_code(st);
    }
    return SCL_EXIT_OK;
}

int scl_app_sleep(scl_ctx *ctx, scl_model *m, const struct scl_sleep_params *p,
                  const struct scl_input_stats *in, const char *prefix, double *rates)
{
    struct scl_sleep_stats stats;
    memset(&stats, 0, sizeof(stats));
    scl_status st = scl_sleep_model(ctx, m, p, in, &stats);
    return sleep_done(ctx, st, &stats, m->n_layers, prefix, rates, false);
}

int scl_app_sleep_on_data(scl_ctx *ctx, const struct scl_config *cfg, scl_model *m,
                          const struct scl_sleep_params *p, const scl_dataset *ds,
                          const char *prefix, double *rates, struct scl_sleep_stats *keep)
{
    struct scl_sleep_stats own;
    struct scl_sleep_stats *stats = keep ? keep : &own;
    if (!keep)
        memset(&own, 0, sizeof(own));
    scl_status st = scl_sleep_model_on_data(ctx, m, p, ds, cfg->train.gemm, stats);
    return sleep_done(ctx, st, stats, m->n_layers, prefix, rates, keep != NULL);
}

/* The statistics of the training subset `train` drew for run.seed, computed with m. */
static int stats_from_data(scl_ctx *ctx, const struct scl_config *cfg, const scl_model *m,
                           struct scl_input_stats *in)
{
    scl_dataset *full = scl_app_load_split(cfg, "train");
    scl_dataset *ds = full ? scl_app_train_subset(cfg, full, cfg->run.seed) : NULL;
    int rc = ds ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
    if (rc == SCL_EXIT_OK) {
        scl_status st = scl_input_stats_compute(ctx, m, ds, cfg->train.gemm, in);
        if (st != SCL_OK)
            rc = scl_app_fail(ctx, st, NULL);
    }
    scl_dataset_destroy(ds);
    scl_dataset_destroy(full);
    return rc;
}

/* The exit code of st, its one-line message printed on failure. */
static int report(scl_status st, const char *msg)
{
    if (st != SCL_OK)
        scl_app_error("%s", msg);
    return scl_app_exit_code(st);
}

/* A failed `sleepcl sleep` leaves nothing of its own behind: without the model, its
 * diagnostics and statistics would describe a result that does not exist. */
static void remove_outputs(const char *out)
{
    static const char *const suffixes[] = {".spikes.csv", ".dw_hist.csv", ".sleep_input.json"};
    char path[1024];
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", out, suffixes[i]);
        remove(path);
    }
}

/* The statistics, from a saved file or from the data; then sleep, save the statistics (when
 * computed here) and the slept model. */
static int sleep_and_save(scl_ctx *ctx, const struct scl_config *cfg, scl_model *m,
                          const char *input_path, const char *out)
{
    struct scl_input_stats in;
    char msg[512];
    char path[1024];
    memset(&in, 0, sizeof(in));
    const struct scl_sleep_params p = scl_app_sleep_params(cfg, cfg->run.seed, 1);
    int rc = input_path ? report(scl_input_stats_load(input_path, m, &in, msg, sizeof(msg)), msg)
                        : stats_from_data(ctx, cfg, m, &in);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_sleep(ctx, m, &p, &in, out, NULL);
    snprintf(path, sizeof(path), "%s.sleep_input.json", out);
    if (rc == SCL_EXIT_OK && !input_path)
        rc = report(scl_input_stats_save(&in, path, msg, sizeof(msg)), msg);
    if (rc == SCL_EXIT_OK)
        rc = report(scl_model_save(m, out, msg, sizeof(msg)), msg);
    if (rc != SCL_EXIT_OK)
        remove_outputs(out);
    scl_input_stats_free(&in);
    return rc;
}

int scl_app_sleep_file(const struct scl_config *cfg, const char *model_path, const char *input_path,
                       const char *out)
{
    char msg[512];
    scl_model *m = NULL;
    scl_ctx *ctx = NULL;
    int rc = report(scl_model_load(model_path, &m, msg, sizeof(msg)), msg);
    if (rc == SCL_EXIT_OK && !(ctx = scl_app_open_cfg_ctx(cfg)))
        rc = SCL_EXIT_RUNTIME;
    if (rc == SCL_EXIT_OK)
        rc = sleep_and_save(ctx, cfg, m, input_path, out);
    scl_ctx_destroy(ctx);
    scl_model_destroy(m);
    return rc;
}
