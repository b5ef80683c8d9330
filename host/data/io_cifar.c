/*
 * The CIFAR-10 and CIFAR-100 binary distributions: fixed-size records, no header. A CIFAR-10
 * record is 1 label byte and 3072 pixel bytes; a CIFAR-100 record a coarse and a fine label byte
 * and 3072 pixel bytes. Pixels are 1024 red, 1024 green, 1024 blue, each plane row-major over
 * 32x32 (CHW), kept in that order and scaled by /255 like the IDX reader's.
 *
 * Without a header, the file size is the only check of completeness: it must be a non-zero
 * whole number of records (else the file was truncated or is not CIFAR), and every label must be
 * in range for its kind. Each refusal is one line naming the file.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define CIFAR_SIDE    32
#define CIFAR_PLANES  3
#define CIFAR_PIXELS  (CIFAR_PLANES * CIFAR_SIDE * CIFAR_SIDE)
#define CIFAR10_FILES 5 /* data_batch_1.bin .. data_batch_5.bin */

struct cifar_layout {
    size_t label_bytes;  /* bytes before the pixels */
    size_t label_offset; /* which of them is the class */
    int32_t classes;
};

static struct cifar_layout layout(scl_cifar_kind kind)
{
    if (kind == SCL_CIFAR100_FINE)
        return (struct cifar_layout){2, 1, 100};
    if (kind == SCL_CIFAR100_COARSE)
        return (struct cifar_layout){2, 0, 20};
    return (struct cifar_layout){1, 0, 10};
}

/* The record count of path, checked: a regular, non-empty file of whole records. */
static scl_status count_records(const char *path, size_t record, size_t *n, char *msg, size_t len)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return scl_msg_fail(msg, len, SCL_ERR_IO, "%s: cannot open", path);
    if (!S_ISREG(sb.st_mode))
        return scl_msg_fail(msg, len, SCL_ERR_IO, "%s: not a regular file", path);
    size_t bytes = (size_t)sb.st_size;
    if (bytes == 0 || bytes % record != 0)
        return scl_msg_fail(msg, len, SCL_ERR_DATA,
                            "%s: truncated or not CIFAR: %zu bytes is not a whole number of "
                            "%zu-byte records",
                            path, bytes, record);
    *n = bytes / record;
    return SCL_OK;
}

/* Read path's n records into ds from sample `first` on. */
static scl_status read_records(const char *path, const struct cifar_layout *lay, size_t n,
                               int32_t first, scl_dataset *ds, char *msg, size_t len)
{
    const size_t record = lay->label_bytes + CIFAR_PIXELS;
    unsigned char buf[2 + CIFAR_PIXELS];
    FILE *f = fopen(path, "rb");
    if (!f)
        return scl_msg_fail(msg, len, SCL_ERR_IO, "%s: cannot open", path);
    scl_status st = SCL_OK;
    for (size_t r = 0; st == SCL_OK && r < n; r++) {
        if (fread(buf, 1, record, f) != record) {
            st = scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: truncated: record %zu is incomplete",
                              path, r);
            break;
        }
        int32_t i = first + (int32_t)r, c = buf[lay->label_offset];
        if (c >= lay->classes)
            st = scl_msg_fail(msg, len, SCL_ERR_DATA,
                              "%s: label %d of record %zu out of range (0..%d)", path, c, r,
                              lay->classes - 1);
        ds->y[i] = (uint8_t)c;
        ds->n_classes = c + 1 > ds->n_classes ? c + 1 : ds->n_classes;
        float *x = ds->x + (size_t)i * CIFAR_PIXELS;
        for (size_t p = 0; p < CIFAR_PIXELS; p++)
            x[p] = (float)buf[lay->label_bytes + p] / 255.0f;
    }
    fclose(f);
    return st;
}

scl_status scl_dataset_load_cifar(const char *const *paths, int32_t n_paths, scl_cifar_kind kind,
                                  scl_dataset **out, char *msg, size_t msg_len)
{
    const struct cifar_layout lay = layout(kind);
    size_t counts[16], total = 0;
    *out = NULL;
    if (n_paths < 1 || n_paths > 16 || kind < SCL_CIFAR10 || kind > SCL_CIFAR100_COARSE)
        return scl_msg_fail(msg, msg_len, SCL_ERR_ARG, "cifar: 1..16 files and a known kind");
    for (int32_t k = 0; k < n_paths; k++) {
        scl_status st =
            count_records(paths[k], lay.label_bytes + CIFAR_PIXELS, &counts[k], msg, msg_len);
        if (st != SCL_OK)
            return st;
        total += counts[k];
    }
    if (total > (size_t)INT32_MAX / CIFAR_PIXELS)
        return scl_msg_fail(msg, msg_len, SCL_ERR_DATA, "%s: %zu records: too many", paths[0],
                            total);
    scl_dataset *ds = scl_calloc(1, sizeof(*ds));
    if (ds) {
        ds->x = scl_alloc(total * CIFAR_PIXELS * sizeof(float));
        ds->y = scl_alloc(total);
    }
    if (!ds || !ds->x || !ds->y) {
        scl_dataset_destroy(ds);
        return scl_msg_fail(msg, msg_len, SCL_ERR_NOMEM, "%s: out of memory", paths[0]);
    }
    ds->n = (int32_t)total;
    ds->dim = CIFAR_PIXELS;
    ds->rows = CIFAR_PLANES * CIFAR_SIDE;
    ds->cols = CIFAR_SIDE;
    scl_status st = SCL_OK;
    for (int32_t k = 0, first = 0; st == SCL_OK && k < n_paths; first += (int32_t)counts[k++])
        st = read_records(paths[k], &lay, counts[k], first, ds, msg, msg_len);
    if (st != SCL_OK) {
        scl_dataset_destroy(ds);
        return st;
    }
    *out = ds;
    return SCL_OK;
}

scl_status scl_dataset_load_cifar_dir(const char *dir, const char *split, scl_cifar_kind kind,
                                      scl_dataset **out, char *msg, size_t msg_len)
{
    char names[CIFAR10_FILES][1024];
    const char *paths[CIFAR10_FILES];
    int32_t n = 0;
    bool train = strcmp(split, "train") == 0;
    *out = NULL;
    if (!train && strcmp(split, "test") != 0)
        return scl_msg_fail(msg, msg_len, SCL_ERR_ARG, "unknown split '%s' (train or test)", split);
    if (kind != SCL_CIFAR10)
        snprintf(names[n++], sizeof(names[0]), "%s/%s.bin", dir, split);
    else if (!train)
        snprintf(names[n++], sizeof(names[0]), "%s/test_batch.bin", dir);
    for (; kind == SCL_CIFAR10 && train && n < CIFAR10_FILES; n++)
        snprintf(names[n], sizeof(names[0]), "%s/data_batch_%d.bin", dir, n + 1);
    for (int32_t k = 0; k < n; k++)
        paths[k] = names[k];
    return scl_dataset_load_cifar(paths, n, kind, out, msg, msg_len);
}
