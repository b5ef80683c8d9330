/*
 * The IDX reader (scl_dataset_load_idx): an image file and a label file, each raw or gzip.
 *
 * Input: a flags byte (bit 0: gzip the image file, bit 1: gzip the label file), a 16-bit
 * little-endian split k, then the bytes: the first k (at most all) are the image file, the rest
 * the label file. Gzipping here gives the fuzzer valid streams of arbitrary content; raw bytes
 * that happen to start with the gzip magic reach the corrupt-stream paths.
 *
 * Property beyond "no crash": a dataset that loads is self-consistent (shape, pixels in [0, 1],
 * labels below n_classes, n_classes = 1 + the largest label) and a refusal says why.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "fuzz_util.h"
#include "sleepcl/sleepcl.h"

static void write_part(const char *path, const uint8_t *data, size_t len, int gzip)
{
    if (!gzip) {
        scl_fuzz_write(path, data, len);
        return;
    }
    gzFile g = gzopen(path, "wb");
    if (!g || (len && gzwrite(g, data, (unsigned)len) != (int)len) || gzclose(g) != Z_OK)
        scl_fuzz_fail("%s: cannot write the gzip file", path);
}

static void check_dataset(const scl_dataset *ds)
{
    if (ds->n < 1 || ds->rows < 1 || ds->cols < 1 || ds->dim != ds->rows * ds->cols)
        scl_fuzz_fail("shape n=%d rows=%d cols=%d dim=%d", ds->n, ds->rows, ds->cols, ds->dim);
    scl_fuzz_check_labels(ds, SCL_MAX_CLASSES);
    size_t total = (size_t)ds->n * (size_t)ds->dim;
    for (size_t i = 0; i < total; i++)
        if (!(ds->x[i] >= 0.0f && ds->x[i] <= 1.0f))
            scl_fuzz_fail("pixel %zu = %g outside [0, 1]", i, (double)ds->x[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char images[512], labels[512], msg[512] = "";
    scl_fuzz_quiet();
    uint32_t flags = scl_fuzz_take_u8(&data, &size);
    size_t k = scl_fuzz_take_u16(&data, &size);
    k = k < size ? k : size;
    scl_fuzz_path("images", images, sizeof(images));
    scl_fuzz_path("labels", labels, sizeof(labels));
    write_part(images, data, k, flags & 1);
    write_part(labels, data + k, size - k, flags & 2);
    scl_dataset *ds = NULL;
    scl_status st = scl_dataset_load_idx(images, labels, &ds, msg, sizeof(msg));
    if (st == SCL_OK)
        check_dataset(ds);
    else if (ds || !msg[0] || (st != SCL_ERR_DATA && st != SCL_ERR_IO && st != SCL_ERR_NOMEM))
        scl_fuzz_fail("refusal %d without a message or with a dataset: '%s'", (int)st, msg);
    scl_dataset_destroy(ds);
    return 0;
}
