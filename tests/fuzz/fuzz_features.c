/*
 * The feature-vector reader (scl_dataset_load_features): the input is the safetensors file.
 *
 * Property beyond "no crash": a set that loads is self-consistent (one row of d features per
 * sample, every feature finite, labels below n_classes = 1 + the largest label) and a refusal
 * says why and hands back nothing.
 */
#include <math.h>
#include <stdio.h>

#include "fuzz_util.h"
#include "sleepcl/sleepcl.h"

static void check_dataset(const scl_dataset *ds)
{
    if (ds->n < 1 || ds->rows != 1 || ds->cols < 1 || ds->dim != ds->cols)
        scl_fuzz_fail("shape n=%d rows=%d cols=%d dim=%d", ds->n, ds->rows, ds->cols, ds->dim);
    scl_fuzz_check_labels(ds, SCL_MAX_CLASSES);
    for (size_t i = 0; i < (size_t)ds->n * (size_t)ds->dim; i++)
        if (!isfinite(ds->x[i]))
            scl_fuzz_fail("feature %zu = %g not finite", i, (double)ds->x[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512], msg[512] = "";
    scl_fuzz_quiet();
    scl_fuzz_path("features", path, sizeof(path));
    scl_fuzz_write(path, data, size);
    scl_dataset *ds = NULL;
    scl_status st = scl_dataset_load_features(path, &ds, msg, sizeof(msg));
    if (st == SCL_OK)
        check_dataset(ds);
    else if (ds || !msg[0] || (st != SCL_ERR_DATA && st != SCL_ERR_IO && st != SCL_ERR_NOMEM))
        scl_fuzz_fail("refusal %d without a message or with a dataset: '%s'", (int)st, msg);
    scl_dataset_destroy(ds);
    return 0;
}
