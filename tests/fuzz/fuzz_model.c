/*
 * The safetensors model loader (scl_model_load). Input: the file, as is.
 *
 * Property beyond "no crash": a model that loads is well formed (layer count, chained sizes,
 * finite weights, act_scale finite and > 0) and survives a save and a reload bit for bit:
 * weights, sizes and every metadata field.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_util.h"
#include "sleepcl/sleepcl.h"

static size_t layer_floats(const scl_model *m, int32_t l)
{
    return (size_t)m->sizes[l + 1] * (size_t)m->sizes[l];
}

static void check_model(const scl_model *m)
{
    if (m->n_layers < 1 || m->n_layers > SCL_MAX_LAYERS)
        scl_fuzz_fail("n_layers %d", m->n_layers);
    for (int32_t l = 0; l <= m->n_layers; l++)
        if (m->sizes[l] < 1)
            scl_fuzz_fail("sizes[%d] = %d", l, m->sizes[l]);
    for (int32_t l = 0; l < m->n_layers; l++)
        for (size_t i = 0; i < layer_floats(m, l); i++)
            if (!isfinite(m->w[l][i]))
                scl_fuzz_fail("w%d[%zu] = %g accepted", l + 1, i, (double)m->w[l][i]);
    if (!isfinite(m->act_scale) || m->act_scale <= 0.0f)
        scl_fuzz_fail("act_scale %g accepted", (double)m->act_scale);
    if (m->output < SCL_OUTPUT_SOFTMAX || m->output > SCL_OUTPUT_RELU)
        scl_fuzz_fail("output %d accepted", m->output);
}

static void check_same(const scl_model *a, const scl_model *b)
{
    if (a->n_layers != b->n_layers ||
        memcmp(a->sizes, b->sizes, sizeof(a->sizes[0]) * (size_t)(a->n_layers + 1)) != 0)
        scl_fuzz_fail("reloaded shape differs");
    for (int32_t l = 0; l < a->n_layers; l++)
        if (memcmp(a->w[l], b->w[l], sizeof(float) * layer_floats(a, l)) != 0)
            scl_fuzz_fail("reloaded w%d differs", l + 1);
    if (strcmp(a->profile, b->profile) != 0 || a->seed != b->seed ||
        strcmp(a->config_hash, b->config_hash) != 0 || a->output != b->output ||
        memcmp(&a->act_scale, &b->act_scale, sizeof(float)) != 0)
        scl_fuzz_fail("reloaded metadata differs: profile '%s'/'%s' seed %u/%u hash '%s'/'%s' "
                      "output %d/%d act_scale %.9g/%.9g",
                      a->profile, b->profile, a->seed, b->seed, a->config_hash, b->config_hash,
                      a->output, b->output, (double)a->act_scale, (double)b->act_scale);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512], saved[512], msg[512] = "";
    scl_fuzz_quiet();
    scl_fuzz_path("model.safetensors", path, sizeof(path));
    scl_fuzz_path("saved.safetensors", saved, sizeof(saved));
    scl_fuzz_write(path, data, size);
    scl_model *m = NULL, *back = NULL;
    scl_status st = scl_model_load(path, &m, msg, sizeof(msg));
    if (st != SCL_OK) {
        if (m || !msg[0])
            scl_fuzz_fail("refusal %d without a message or with a model: '%s'", (int)st, msg);
        return 0;
    }
    check_model(m);
    if (scl_model_save(m, saved, msg, sizeof(msg)) != SCL_OK)
        scl_fuzz_fail("a loaded model does not save: %s", msg);
    if (scl_model_load(saved, &back, msg, sizeof(msg)) != SCL_OK)
        scl_fuzz_fail("a saved model does not load back: %s", msg);
    check_same(m, back);
    scl_model_destroy(back);
    scl_model_destroy(m);
    return 0;
}
