/*
 * sleepcl sleep: put a saved model to sleep and write the slept model, with its diagnostics next
 * to it (OUT.spikes.csv, OUT.dw_hist.csv, OUT.sleep_input.json).
 *
 * The sleep needs two statistics of the inputs the model was trained on: the per-pixel mean (the
 * input rates) and the largest activation of each layer (the scale factors). Both come from the
 * configured training data (the same class-balanced subset `train` drew for the same seed), or
 * from a sleep-input file written by an earlier sleep (--mean-input), so a model trained
 * elsewhere can sleep without its data.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "internal.h"

static const char usage[] =
    "usage: sleepcl sleep -m MODEL -o OUT.safetensors [-c CONFIG] [--set section.key=value ...]\n"
    "                     [--mean-input FILE.json] [--seed S] [--device I|NAME]\n"
    "Converts MODEL to a spiking net, sleeps it with the [sleep] parameters and writes the\n"
    "changed weights to OUT, with OUT.spikes.csv, OUT.dw_hist.csv and OUT.sleep_input.json.\n"
    "The input statistics come from the configured training data, or from --mean-input (a\n"
    "sleep_input.json of an earlier run).\n";

struct scl_sleep_params cli_sleep_params(const struct scl_config *cfg, uint32_t seed, int task)
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

static void input_free(struct cli_sleep_input *in)
{
    free(in->mean);
    in->mean = NULL;
}

/* Statistics from the training data, computed with the model on the device. */
int cli_sleep_input_from_data(scl_ctx *ctx, const scl_model *m, const scl_dataset *ds, int32_t gemm,
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
        cli_error("sleep input: %s",
                  scl_ctx_last_error(ctx)[0] ? scl_ctx_last_error(ctx) : scl_status_str(st));
        return cli_exit_code(st);
    }
    return CLI_EXIT_OK;
}

static bool read_floats(const cJSON *arr, float *out, int32_t n)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != n)
        return false;
    int32_t i = 0;
    for (const cJSON *v = arr->child; v; v = v->next, i++) {
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return false;
        out[i] = (float)v->valuedouble;
    }
    return true;
}

static int load_input_file(const char *path, const scl_model *m, struct cli_sleep_input *in)
{
    char *text = NULL;
    size_t n = 0;
    cJSON *root = scl_read_file(path, &text, &n) == SCL_OK ? cJSON_Parse(text) : NULL;
    free(text);
    in->mean = calloc((size_t)m->sizes[0], sizeof(float));
    bool ok =
        root && in->mean &&
        read_floats(cJSON_GetObjectItemCaseSensitive(root, "mean"), in->mean, m->sizes[0]) &&
        read_floats(cJSON_GetObjectItemCaseSensitive(root, "act_max"), in->act_max, m->n_layers);
    cJSON_Delete(root);
    if (!ok) {
        cli_error("%s: not a sleep-input file for this model (needs \"mean\" with %d finite "
                  "values and \"act_max\" with %d)",
                  path, m->sizes[0], m->n_layers);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static int write_input_file(const char *path, const scl_model *m, const struct cli_sleep_input *in)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "sleepcl-sleep-input");
    cJSON *mean = cJSON_AddArrayToObject(root, "mean");
    for (int32_t i = 0; i < m->sizes[0]; i++)
        cJSON_AddItemToArray(mean, cJSON_CreateNumber((double)in->mean[i]));
    cJSON *amax = cJSON_AddArrayToObject(root, "act_max");
    for (int32_t l = 0; l < m->n_layers; l++)
        cJSON_AddItemToArray(amax, cJSON_CreateNumber((double)in->act_max[l]));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    int rc = text ? cli_write_atomic(path, text, strlen(text)) : CLI_EXIT_RUNTIME;
    free(text);
    return rc;
}

static int gather_input(scl_ctx *ctx, const struct scl_config *cfg, const struct cli_opts *o,
                        const scl_model *m, struct cli_sleep_input *in)
{
    if (o->mean_input)
        return load_input_file(o->mean_input, m, in);
    scl_dataset *full = cli_load_split(cfg, "train");
    scl_dataset *ds = full ? cli_train_subset(cfg, full, cfg->run.seed) : NULL;
    int rc = ds ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
    if (rc == CLI_EXIT_OK && ds->dim != m->sizes[0]) {
        cli_error("the model has %d inputs, the data %d", m->sizes[0], ds->dim);
        rc = CLI_EXIT_USAGE;
    }
    in->mean = ds ? calloc((size_t)ds->dim, sizeof(float)) : NULL;
    if (rc == CLI_EXIT_OK)
        rc = cli_sleep_input_from_data(ctx, m, ds, cfg->train.gemm, in->mean, in->act_max);
    scl_dataset_destroy(ds);
    scl_dataset_destroy(full);
    return rc;
}

/* Sleep m in place; diagnostics to PREFIX.*; spike rates per layer to rates if not NULL. */
int cli_sleep_model(scl_ctx *ctx, scl_model *m, const struct scl_sleep_params *p,
                    const struct cli_sleep_input *in, const char *prefix, double *rates)
{
    char msg[512];
    float factors[SCL_MAX_LAYERS], alpha[SCL_MAX_LAYERS];
    struct scl_sleep_stats stats;
    memset(&stats, 0, sizeof(stats));
    scl_status st = scl_sleep_validate(p, m, msg, sizeof(msg));
    if (st != SCL_OK) {
        cli_error("%s", msg);
        return cli_exit_code(st);
    }
    st = scl_sleep_factors(m, in->act_max, p->norm, factors);
    if (st == SCL_OK) {
        scl_sleep_alpha(p, m->n_layers, factors, alpha);
        st = scl_sleep_run(ctx, m, p, in->mean, alpha, &stats);
    }
    if (st != SCL_OK) {
        cli_error("sleep: %s",
                  scl_ctx_last_error(ctx)[0] ? scl_ctx_last_error(ctx) : scl_status_str(st));
        return cli_exit_code(st);
    }
    scl_sleep_check_rates(&stats);
    for (int32_t l = 0; rates && l <= m->n_layers; l++)
        rates[l] = stats.rate[l];
    st = prefix ? scl_sleep_write_diagnostics(&stats, prefix, msg, sizeof(msg)) : SCL_OK;
    scl_sleep_stats_free(&stats);
    if (st != SCL_OK) {
        cli_error("%s", msg);
        return cli_exit_code(st);
    }
    return CLI_EXIT_OK;
}

static int sleep_and_save(scl_ctx *ctx, const struct scl_config *cfg, const struct cli_opts *o,
                          scl_model *m)
{
    struct cli_sleep_input in;
    char msg[512], path[1024];
    memset(&in, 0, sizeof(in));
    struct scl_sleep_params p = cli_sleep_params(cfg, cfg->run.seed, 1);
    scl_status st = scl_sleep_validate(&p, m, msg, sizeof(msg));
    if (st != SCL_OK) {
        cli_error("%s", msg);
        return cli_exit_code(st);
    }
    int rc = gather_input(ctx, cfg, o, m, &in);
    snprintf(path, sizeof(path), "%s.sleep_input.json", o->output);
    if (rc == CLI_EXIT_OK && !o->mean_input)
        rc = write_input_file(path, m, &in);
    if (rc == CLI_EXIT_OK)
        rc = cli_sleep_model(ctx, m, &p, &in, o->output, NULL);
    input_free(&in);
    if (rc == CLI_EXIT_OK && (st = scl_model_save(m, o->output, msg, sizeof(msg))) != SCL_OK) {
        cli_error("%s", msg);
        rc = cli_exit_code(st);
    }
    if (rc == CLI_EXIT_OK)
        printf("slept model written to %s (diagnostics: %s.spikes.csv, %s.dw_hist.csv)\n",
               o->output, o->output, o->output);
    return rc;
}

int cmd_sleep(int argc, char **argv)
{
    struct cli_opts o;
    struct scl_config cfg;
    char msg[512];
    scl_model *m = NULL;
    scl_ctx *ctx = NULL;
    int rc = cli_parse(argc, argv, usage, &o);
    if (rc != CLI_EXIT_OK)
        return rc == CLI_EXIT_HELP ? CLI_EXIT_OK : rc;
    if (o.n_models != 1 || !o.output) {
        cli_error("sleep needs one -m MODEL and -o OUT.safetensors");
        return CLI_EXIT_USAGE;
    }
    rc = cli_config(&o, &cfg);
    if (rc == CLI_EXIT_OK) {
        scl_status st = scl_model_load(o.models[0], &m, msg, sizeof(msg));
        if (st != SCL_OK) {
            cli_error("%s", msg);
            rc = cli_exit_code(st);
        }
    }
    if (rc == CLI_EXIT_OK && !(ctx = cli_open_cfg_ctx(&cfg)))
        rc = CLI_EXIT_RUNTIME;
    if (rc == CLI_EXIT_OK)
        rc = sleep_and_save(ctx, &cfg, &o, m);
    scl_ctx_destroy(ctx);
    scl_model_destroy(m);
    return rc;
}
