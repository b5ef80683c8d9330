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

static const char usage[] =
    "usage: sleepcl sleep -m MODEL -o OUT.safetensors [-c CONFIG] [--set section.key=value ...]\n"
    "                     [--mean-input FILE.json] [--seed S] [--device I|NAME]\n"
    "Converts MODEL to a spiking net, sleeps it with the [sleep] parameters and writes the\n"
    "changed weights to OUT, with OUT.spikes.csv, OUT.dw_hist.csv and OUT.sleep_input.json.\n"
    "The input statistics come from the configured training data, or from --mean-input (a\n"
    "sleep_input.json of an earlier run).\n";

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

static int load_input_file(const char *path, const scl_model *m, struct scl_app_sleep_input *in)
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
        scl_app_error("%s: not a sleep-input file for this model (needs \"mean\" with %d finite "
                      "values and \"act_max\" with %d)",
                      path, m->sizes[0], m->n_layers);
        return SCL_EXIT_USAGE;
    }
    return SCL_EXIT_OK;
}

static int write_input_file(const char *path, const scl_model *m,
                            const struct scl_app_sleep_input *in)
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
    int rc = text ? scl_app_write_atomic(path, text, strlen(text)) : SCL_EXIT_RUNTIME;
    free(text);
    return rc;
}

static int gather_input(scl_ctx *ctx, const struct scl_config *cfg, const struct scl_cli_opts *o,
                        const scl_model *m, struct scl_app_sleep_input *in)
{
    if (o->mean_input)
        return load_input_file(o->mean_input, m, in);
    scl_dataset *full = scl_app_load_split(cfg, "train");
    scl_dataset *ds = full ? scl_app_train_subset(cfg, full, cfg->run.seed) : NULL;
    int rc = ds ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
    if (rc == SCL_EXIT_OK && ds->dim != m->sizes[0]) {
        scl_app_error("the model has %d inputs, the data %d", m->sizes[0], ds->dim);
        rc = SCL_EXIT_USAGE;
    }
    in->mean = ds ? calloc((size_t)ds->dim, sizeof(float)) : NULL;
    if (rc == SCL_EXIT_OK)
        rc = scl_app_sleep_input_from_data(ctx, m, ds, cfg->train.gemm, in->mean, in->act_max);
    scl_dataset_destroy(ds);
    scl_dataset_destroy(full);
    return rc;
}

static int sleep_and_save(scl_ctx *ctx, const struct scl_config *cfg, const struct scl_cli_opts *o,
                          scl_model *m)
{
    struct scl_app_sleep_input in;
    char msg[512], path[1024];
    memset(&in, 0, sizeof(in));
    struct scl_sleep_params p = scl_app_sleep_params(cfg, cfg->run.seed, 1);
    scl_status st = scl_sleep_validate(&p, m, msg, sizeof(msg));
    if (st != SCL_OK) {
        scl_app_error("%s", msg);
        return scl_app_exit_code(st);
    }
    int rc = gather_input(ctx, cfg, o, m, &in);
    snprintf(path, sizeof(path), "%s.sleep_input.json", o->output);
    if (rc == SCL_EXIT_OK && !o->mean_input)
        rc = write_input_file(path, m, &in);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_sleep_model(ctx, m, &p, &in, o->output, NULL);
    scl_app_sleep_input_free(&in);
    if (rc == SCL_EXIT_OK && (st = scl_model_save(m, o->output, msg, sizeof(msg))) != SCL_OK) {
        scl_app_error("%s", msg);
        rc = scl_app_exit_code(st);
    }
    if (rc == SCL_EXIT_OK)
        printf("slept model written to %s (diagnostics: %s.spikes.csv, %s.dw_hist.csv)\n",
               o->output, o->output, o->output);
    return rc;
}

int scl_cmd_sleep(int argc, char **argv)
{
    struct scl_cli_opts o;
    struct scl_config cfg;
    char msg[512];
    scl_model *m = NULL;
    scl_ctx *ctx = NULL;
    int rc = scl_cli_parse(argc, argv, usage, &o);
    if (rc != SCL_EXIT_OK)
        return rc == SCL_EXIT_HELP ? SCL_EXIT_OK : rc;
    if (o.n_models != 1 || !o.output) {
        scl_app_error("sleep needs one -m MODEL and -o OUT.safetensors");
        return SCL_EXIT_USAGE;
    }
    rc = scl_cli_config(&o, &cfg);
    if (rc == SCL_EXIT_OK) {
        scl_status st = scl_model_load(o.models[0], &m, msg, sizeof(msg));
        if (st != SCL_OK) {
            scl_app_error("%s", msg);
            rc = scl_app_exit_code(st);
        }
    }
    if (rc == SCL_EXIT_OK && !(ctx = scl_app_open_cfg_ctx(&cfg)))
        rc = SCL_EXIT_RUNTIME;
    if (rc == SCL_EXIT_OK)
        rc = sleep_and_save(ctx, &cfg, &o, m);
    scl_ctx_destroy(ctx);
    scl_model_destroy(m);
    return rc;
}
