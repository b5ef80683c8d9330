/*
 * Sleep a model, one level above the engine of sleep.c: the default parameter set, the two
 * statistics of the training inputs a sleep needs (computed from data, saved, loaded), and the
 * whole pipeline in one call (scale factors, run, spike-rate check), so that the
 * program, the experiments, the search and the benchmarks all sleep a model the same way.
 *
 * The default set's values come from configs/sleep/mnist2024.ini through a header the build
 * generates (tools/gen_sleep_defaults.cmake): that file is the only place they are written.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "internal.h"
#include "sleep_defaults.h"

/* ---------------------------------------------------------------- default parameters */

struct scl_sleep_params scl_sleep_default_params(void)
{
    static const float alpha[] = SCL_SLEEP_DEF_ALPHA_VECTOR;
    static const float beta[] = SCL_SLEEP_DEF_BETA;
    _Static_assert(SCL_SLEEP_DEF_N_BETA <= SCL_MAX_LAYERS, "too many default betas");
    _Static_assert(SCL_SLEEP_DEF_N_ALPHA <= SCL_MAX_LAYERS, "too many default alphas");
    struct scl_sleep_params p;
    memset(&p, 0, sizeof(p));
    p.steps = SCL_SLEEP_DEF_STEPS;
    p.dt = SCL_SLEEP_DEF_DT;
    p.max_rate = SCL_SLEEP_DEF_MAX_RATE;
    p.gain = SCL_SLEEP_DEF_GAIN;
    p.alpha_scale = SCL_SLEEP_DEF_ALPHA;
    p.n_alpha = SCL_SLEEP_DEF_N_ALPHA;
    memcpy(p.alpha, alpha, sizeof(float) * SCL_SLEEP_DEF_N_ALPHA);
    p.n_beta = SCL_SLEEP_DEF_N_BETA;
    memcpy(p.beta, beta, sizeof(float) * SCL_SLEEP_DEF_N_BETA);
    p.decay = SCL_SLEEP_DEF_DECAY;
    p.inc = SCL_SLEEP_DEF_INC;
    p.dec = SCL_SLEEP_DEF_DEC;
    p.norm = SCL_SLEEP_DEF_NORM;
    p.modulation = SCL_SLEEP_DEF_MODULATION;
    p.input = SCL_SLEEP_DEF_INPUT;
    p.seed = 1;
    return p;
}

/* ---------------------------------------------------------------- input statistics */

void scl_input_stats_free(struct scl_input_stats *in)
{
    if (!in)
        return;
    scl_free(in->mean);
    memset(in, 0, sizeof(*in));
}

static scl_status input_alloc(struct scl_input_stats *in, int32_t n_inputs, int32_t n_layers)
{
    memset(in, 0, sizeof(*in));
    in->mean = scl_calloc((size_t)n_inputs, sizeof(float));
    if (!in->mean)
        return SCL_ERR_NOMEM;
    in->n_inputs = n_inputs;
    in->n_layers = n_layers;
    return SCL_OK;
}

scl_status scl_input_stats_compute(scl_ctx *ctx, const scl_model *m, const scl_dataset *ds,
                                   scl_gemm_engine gemm, struct scl_input_stats *out)
{
    scl_ctx_clear_error(ctx);
    scl_ddata *d = NULL;
    memset(out, 0, sizeof(*out));
    if (!ds || ds->n < 1)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "sleep input: no data");
    if (ds->dim != m->sizes[0])
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "sleep input: the model has %d inputs, the data %d",
                            (int)m->sizes[0], (int)ds->dim);
    scl_status st = input_alloc(out, m->sizes[0], m->n_layers);
    if (st == SCL_OK)
        st = scl_sleep_mean_input(ds, out->mean);
    if (st == SCL_OK)
        st = scl_ddata_create(ctx, ds, &d);
    if (st == SCL_OK)
        st = scl_model_activation_max(ctx, m, d, gemm, out->act_max);
    scl_ddata_destroy(d);
    if (st != SCL_OK)
        scl_input_stats_free(out);
    return st;
}

scl_status scl_input_stats_save(const struct scl_input_stats *in, const char *path, char *msg,
                                size_t msg_len)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "sleepcl-sleep-input");
    cJSON *mean = cJSON_AddArrayToObject(root, "mean");
    for (int32_t i = 0; i < in->n_inputs; i++)
        cJSON_AddItemToArray(mean, cJSON_CreateNumber((double)in->mean[i]));
    cJSON *amax = cJSON_AddArrayToObject(root, "act_max");
    for (int32_t l = 0; l < in->n_layers; l++)
        cJSON_AddItemToArray(amax, cJSON_CreateNumber((double)in->act_max[l]));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return scl_msg_fail(msg, msg_len, SCL_ERR_NOMEM, "%s: out of memory", path);
    int ok = scl_atomic_write(path, text, strlen(text));
    cJSON_free(text);
    if (!ok)
        return scl_msg_fail(msg, msg_len, SCL_ERR_IO, "%s: cannot write: %s", path,
                            strerror(errno));
    return SCL_OK;
}

/* n numbers of a JSON array into out, each finite as a float; false for anything else. */
static bool read_floats(const cJSON *arr, float *out, int32_t n)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != n)
        return false;
    int32_t i = 0;
    for (const cJSON *v = arr->child; v; v = v->next, i++) {
        if (!cJSON_IsNumber(v))
            return false;
        out[i] = (float)v->valuedouble; /* 1e300 is a finite double, but not a finite float */
        if (!isfinite(out[i]))
            return false;
    }
    return true;
}

/* The arrays' lengths, checked against m when given. */
static bool input_shape(const cJSON *root, const scl_model *m, int32_t *n_inputs, int32_t *n_layers)
{
    const cJSON *mean = cJSON_GetObjectItemCaseSensitive(root, "mean");
    const cJSON *amax = cJSON_GetObjectItemCaseSensitive(root, "act_max");
    *n_inputs = cJSON_IsArray(mean) ? cJSON_GetArraySize(mean) : 0;
    *n_layers = cJSON_IsArray(amax) ? cJSON_GetArraySize(amax) : 0;
    if (m)
        return *n_inputs == m->sizes[0] && *n_layers == m->n_layers;
    return *n_inputs >= 1 && *n_layers >= 1 && *n_layers <= SCL_MAX_LAYERS;
}

/* Values a sleep can use: means are spike rates' shares in [0, 1], maxima divide into the scale
 * factors and must be > 0. One message naming the first offending value. */
static scl_status check_ranges(const char *path, const struct scl_input_stats *in, char *msg,
                               size_t msg_len)
{
    for (int32_t i = 0; i < in->n_inputs; i++)
        if (!(in->mean[i] >= 0.0f && in->mean[i] <= 1.0f))
            return scl_msg_fail(msg, msg_len, SCL_ERR_DATA, "%s: mean[%d] = %g is outside [0, 1]",
                                path, (int)i, (double)in->mean[i]);
    for (int32_t l = 0; l < in->n_layers; l++)
        if (!(in->act_max[l] > 0.0f))
            return scl_msg_fail(msg, msg_len, SCL_ERR_DATA, "%s: act_max[%d] = %g must be > 0",
                                path, (int)l, (double)in->act_max[l]);
    return SCL_OK;
}

scl_status scl_input_stats_load(const char *path, const scl_model *m, struct scl_input_stats *out,
                                char *msg, size_t msg_len)
{
    char *text = NULL;
    size_t len = 0;
    int32_t n_inputs = 0, n_layers = 0;
    memset(out, 0, sizeof(*out));
    if (scl_read_file(path, &text, &len) != SCL_OK)
        return scl_msg_fail(msg, msg_len, SCL_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    cJSON *root = cJSON_Parse(text);
    scl_free(text);
    bool ok = root && input_shape(root, m, &n_inputs, &n_layers);
    scl_status st = ok ? input_alloc(out, n_inputs, n_layers) : SCL_ERR_DATA;
    if (st == SCL_OK &&
        (!read_floats(cJSON_GetObjectItemCaseSensitive(root, "mean"), out->mean, n_inputs) ||
         !read_floats(cJSON_GetObjectItemCaseSensitive(root, "act_max"), out->act_max, n_layers)))
        st = SCL_ERR_DATA;
    cJSON_Delete(root);
    if (st == SCL_OK && (st = check_ranges(path, out, msg, msg_len)) != SCL_OK) {
        scl_input_stats_free(out);
        return st;
    }
    if (st == SCL_OK)
        return SCL_OK;
    scl_input_stats_free(out);
    if (st == SCL_ERR_NOMEM)
        return scl_msg_fail(msg, msg_len, st, "%s: out of memory", path);
    if (m)
        return scl_msg_fail(msg, msg_len, st,
                            "%s: not a sleep-input file for this model (needs \"mean\" with %d "
                            "finite values and \"act_max\" with %d)",
                            path, (int)m->sizes[0], (int)m->n_layers);
    return scl_msg_fail(msg, msg_len, st,
                        "%s: not a sleep-input file (needs arrays \"mean\" and \"act_max\" of "
                        "finite numbers)",
                        path);
}

/* ---------------------------------------------------------------- the pipeline */

scl_status scl_sleep_model(scl_ctx *ctx, scl_model *m, const struct scl_sleep_params *p,
                           const struct scl_input_stats *in, struct scl_sleep_stats *stats)
{
    scl_ctx_clear_error(ctx);
    float factors[SCL_MAX_LAYERS];
    struct scl_sleep_stats local;
    if (!in->mean || in->n_inputs != m->sizes[0] || in->n_layers != m->n_layers)
        return scl_ctx_fail(ctx, SCL_ERR_ARG,
                            "sleep: the input statistics are for %d inputs and %d layers, the "
                            "model has %d and %d",
                            (int)in->n_inputs, (int)in->n_layers, (int)m->sizes[0],
                            (int)m->n_layers);
    scl_status st = scl_sleep_factors(m, in->act_max, p->norm, factors);
    if (st != SCL_OK)
        return scl_ctx_fail(ctx, st,
                            "sleep: a layer has no positive weight or activation (or a "
                            "non-finite one), so it has no scale factor");
    memset(&local, 0, sizeof(local));
    struct scl_sleep_stats *s = stats ? stats : &local; /* the rate check needs them */
    st = scl_sleep_run(ctx, m, p, in->mean, factors, s);
    if (st == SCL_OK)
        scl_sleep_check_rates(s);
    scl_sleep_stats_free(&local);
    return st;
}

scl_status scl_sleep_model_on_data(scl_ctx *ctx, scl_model *m, const struct scl_sleep_params *p,
                                   const scl_dataset *ds, scl_gemm_engine gemm,
                                   struct scl_sleep_stats *stats)
{
    scl_ctx_clear_error(ctx);
    struct scl_input_stats in;
    scl_status st = scl_input_stats_compute(ctx, m, ds, gemm, &in);
    if (st == SCL_OK)
        st = scl_sleep_model(ctx, m, p, &in, stats);
    scl_input_stats_free(&in);
    return st;
}
