/*
 * The sleep-input file (`sleepcl sleep --mean-input FILE.json`, read by scl_input_stats_load):
 * {"format": "sleepcl-sleep-input", "mean": [...], "act_max": [...]}.
 *
 * Input: a shape byte, then the JSON. Shape 0 loads without a model (any shape is taken);
 * otherwise the file is checked against a model of 1 + (shape & 15) inputs and
 * 1 + (shape >> 4) % 4 layers.
 *
 * Property beyond "no crash": statistics that load have the model's shape (when one is given)
 * and only finite values, as floats (a double such as 1e300 is finite, its float is not); they
 * save and load back bit for bit.
 */
#include <math.h>
#include <string.h>

#include "fuzz_util.h"
#include "sleepcl/sleepcl.h"

static scl_model *shape_model(uint32_t shape)
{
    int32_t sizes[SCL_MAX_LAYERS + 1];
    int32_t layers = 1 + (int32_t)((shape >> 4) % 4);
    sizes[0] = 1 + (int32_t)(shape & 15);
    for (int32_t l = 1; l <= layers; l++)
        sizes[l] = 2;
    scl_model *m = NULL;
    if (scl_model_create(layers, sizes, &m) != SCL_OK)
        scl_fuzz_fail("cannot make a %d-layer model", layers);
    return m;
}

static void check_stats(const struct scl_input_stats *in, const scl_model *m)
{
    if (in->n_inputs < 1 || in->n_layers < 1 || in->n_layers > SCL_MAX_LAYERS || !in->mean)
        scl_fuzz_fail("shape %d inputs, %d layers accepted", in->n_inputs, in->n_layers);
    if (m && (in->n_inputs != m->sizes[0] || in->n_layers != m->n_layers))
        scl_fuzz_fail("shape %d x %d accepted for a model of %d x %d", in->n_inputs, in->n_layers,
                      m->sizes[0], m->n_layers);
    for (int32_t i = 0; i < in->n_inputs; i++)
        if (!isfinite(in->mean[i]))
            scl_fuzz_fail("mean[%d] = %g accepted", i, (double)in->mean[i]);
    for (int32_t l = 0; l < in->n_layers; l++)
        if (!isfinite(in->act_max[l]))
            scl_fuzz_fail("act_max[%d] = %g accepted", l, (double)in->act_max[l]);
}

static void check_roundtrip(const struct scl_input_stats *in, const scl_model *m)
{
    char path[512], msg[512];
    struct scl_input_stats back;
    scl_fuzz_path("saved.json", path, sizeof(path));
    if (scl_input_stats_save(in, path, msg, sizeof(msg)) != SCL_OK)
        scl_fuzz_fail("loaded statistics do not save: %s", msg);
    if (scl_input_stats_load(path, m, &back, msg, sizeof(msg)) != SCL_OK)
        scl_fuzz_fail("saved statistics do not load back: %s", msg);
    if (back.n_inputs != in->n_inputs || back.n_layers != in->n_layers ||
        memcmp(back.mean, in->mean, sizeof(float) * (size_t)in->n_inputs) != 0 ||
        memcmp(back.act_max, in->act_max, sizeof(float) * (size_t)in->n_layers) != 0)
        scl_fuzz_fail("saved statistics load back different");
    scl_input_stats_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512], msg[512] = "";
    scl_fuzz_quiet();
    uint32_t shape = scl_fuzz_take_u8(&data, &size);
    scl_model *m = shape ? shape_model(shape) : NULL;
    scl_fuzz_path("input.json", path, sizeof(path));
    scl_fuzz_write(path, data, size);
    struct scl_input_stats in;
    scl_status st = scl_input_stats_load(path, m, &in, msg, sizeof(msg));
    if (st == SCL_OK) {
        check_stats(&in, m);
        check_roundtrip(&in, m);
        scl_input_stats_free(&in);
    } else if (!msg[0] || in.mean) {
        scl_fuzz_fail("refusal %d without a message, or with statistics left: '%s'", (int)st, msg);
    }
    scl_model_destroy(m);
    return 0;
}
