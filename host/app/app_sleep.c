/*
 * The sleep pipeline as the program's commands, experiments and search use it: the [sleep]
 * section as library parameters, the two input statistics a sleep needs, and one call that
 * validates, sleeps, checks the spike rates and writes the diagnostics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

struct scl_sleep_params scl_app_sleep_params(const struct scl_config *cfg, uint32_t seed, int task)
{
    const struct scl_cfg_sleep *c = &cfg->sleep;
    struct scl_sleep_params p = scl_sleep_default_params();
    p.steps = c->steps + c->steps_per_task * (task > 1 ? task - 1 : 0);
    p.dt = (float)c->dt;
    p.max_rate = (float)c->max_rate;
    p.gain = (float)c->gain;
    p.alpha_scale = (float)c->alpha;
    p.n_alpha = c->alpha_vector.n;
    for (int32_t i = 0; i < c->alpha_vector.n && i < SCL_MAX_LAYERS; i++)
        p.alpha[i] = (float)c->alpha_vector.v[i];
    p.n_beta = c->beta.n;
    for (int32_t i = 0; i < c->beta.n && i < SCL_MAX_LAYERS; i++)
        p.beta[i] = (float)c->beta.v[i];
    p.decay = (float)c->decay;
    p.inc = (float)c->inc;
    p.dec = (float)c->dec;
    p.norm = (scl_sleep_norm)c->norm;
    p.modulation = (scl_sleep_mod)c->modulation;
    p.input = (scl_sleep_input)c->input;
    p.seed = seed;
    return p;
}

void scl_app_sleep_input_free(struct scl_app_sleep_input *in)
{
    free(in->mean);
    in->mean = NULL;
}

/* Statistics from the training data, computed with the model on the device. */
int scl_app_sleep_input_from_data(scl_ctx *ctx, const scl_model *m, const scl_dataset *ds, int32_t gemm,
                              float *mean, float *act_max)
{
    scl_ddata *d = NULL;
    scl_status st = scl_sleep_mean_input(ds, mean);
    if (st == SCL_OK)
        st = scl_ddata_create(ctx, ds, &d);
    if (st == SCL_OK)
        st = scl_model_activation_max(ctx, m, d, gemm, act_max);
    scl_ddata_destroy(d);
    if (st != SCL_OK) {
        scl_app_error("sleep input: %s",
                  scl_ctx_last_error(ctx)[0] ? scl_ctx_last_error(ctx) : scl_status_str(st));
        return scl_app_exit_code(st);
    }
    return SCL_EXIT_OK;
}

/* Sleep m in place; diagnostics to PREFIX.*; spike rates per layer to rates if not NULL. */
int scl_app_sleep_model(scl_ctx *ctx, scl_model *m, const struct scl_sleep_params *p,
                    const struct scl_app_sleep_input *in, const char *prefix, double *rates)
{
    char msg[512];
    float factors[SCL_MAX_LAYERS], alpha[SCL_MAX_LAYERS];
    struct scl_sleep_stats stats;
    memset(&stats, 0, sizeof(stats));
    scl_status st = scl_sleep_validate(p, m, msg, sizeof(msg));
    if (st != SCL_OK) {
        scl_app_error("%s", msg);
        return scl_app_exit_code(st);
    }
    st = scl_sleep_factors(m, in->act_max, p->norm, factors);
    if (st == SCL_OK) {
        scl_sleep_alpha(p, m->n_layers, factors, alpha);
        st = scl_sleep_run(ctx, m, p, in->mean, alpha, &stats);
    }
    if (st != SCL_OK) {
        scl_app_error("sleep: %s",
                  scl_ctx_last_error(ctx)[0] ? scl_ctx_last_error(ctx) : scl_status_str(st));
        return scl_app_exit_code(st);
    }
    scl_sleep_check_rates(&stats);
    for (int32_t l = 0; rates && l <= m->n_layers; l++)
        rates[l] = stats.rate[l];
    st = prefix ? scl_sleep_write_diagnostics(&stats, prefix, msg, sizeof(msg)) : SCL_OK;
    scl_sleep_stats_free(&stats);
    if (st != SCL_OK) {
        scl_app_error("%s", msg);
        return scl_app_exit_code(st);
    }
    return SCL_EXIT_OK;
}
