/*
 * The CIFAR binary reader (scl_dataset_load_cifar) over two files read as one set.
 *
 * Input: a kind byte (modulo 3: CIFAR-10, CIFAR-100 fine, CIFAR-100 coarse), a 16-bit
 * little-endian split k, then the bytes: the first k (at most all) are the first file, the rest
 * the second. Records are 3073 or 3074 bytes, so the corpus seeds are a few kilobytes.
 *
 * Property beyond "no crash": a set that loads is self-consistent (3072 values per sample in
 * [0, 1], labels in range for the kind and below n_classes = 1 + the largest label, the sample
 * count the two sizes imply) and a refusal says why and hands back nothing.
 */
#include <stdio.h>

#include "fuzz_util.h"
#include "sleepcl/sleepcl.h"

static void check_dataset(const scl_dataset *ds, scl_cifar_kind kind, size_t bytes)
{
    const int32_t classes = kind == SCL_CIFAR10 ? 10 : kind == SCL_CIFAR100_FINE ? 100 : 20;
    const size_t record = kind == SCL_CIFAR10 ? 3073 : 3074;
    if (ds->dim != 3072 || ds->rows != 96 || ds->cols != 32 || (size_t)ds->n * record != bytes)
        scl_fuzz_fail("shape n=%d rows=%d cols=%d dim=%d from %zu bytes", ds->n, ds->rows, ds->cols,
                      ds->dim, bytes);
    scl_fuzz_check_labels(ds, classes);
    for (size_t i = 0; i < (size_t)ds->n * 3072; i++)
        if (!(ds->x[i] >= 0.0f && ds->x[i] <= 1.0f))
            scl_fuzz_fail("pixel %zu = %g outside [0, 1]", i, (double)ds->x[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char first[512], second[512], msg[512] = "";
    scl_fuzz_quiet();
    scl_cifar_kind kind = (scl_cifar_kind)(scl_fuzz_take_u8(&data, &size) % 3);
    size_t k = scl_fuzz_take_u16(&data, &size);
    k = k < size ? k : size;
    scl_fuzz_path("cifar_a", first, sizeof(first));
    scl_fuzz_path("cifar_b", second, sizeof(second));
    scl_fuzz_write(first, data, k);
    scl_fuzz_write(second, data + k, size - k);
    const char *paths[2] = {first, second};
    scl_dataset *ds = NULL;
    scl_status st = scl_dataset_load_cifar(paths, 2, kind, &ds, msg, sizeof(msg));
    if (st == SCL_OK)
        check_dataset(ds, kind, size);
    else if (ds || !msg[0] || (st != SCL_ERR_DATA && st != SCL_ERR_IO && st != SCL_ERR_NOMEM))
        scl_fuzz_fail("refusal %d without a message or with a dataset: '%s'", (int)st, msg);
    scl_dataset_destroy(ds);
    return 0;
}
