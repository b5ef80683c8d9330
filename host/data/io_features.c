/*
 * Feature-vector sets in safetensors files (docs/METHOD.md section 6.10): what a user brings when
 * the inputs come from a backbone trained elsewhere (the 2022 paper's CIFAR-10 and CUB-200 rows).
 * Tensor "x" holds the features, F32 [n, d]; tensor "y" the labels, U8, I32 or I64 [n]. NumPy
 * writes them with safetensors.numpy.save_file({"x": x.astype("float32"), "y": y}).
 *
 * Like the IDX reader, nothing is trusted: each tensor's dtype, rank, extent and offsets (inside
 * the data region, exactly the bytes its shape needs, not overlapping the other), the labels'
 * range and the features' finiteness. Every refusal is one line naming the file.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "internal.h"

#define MAX_SAMPLES  100000000.0
#define MAX_FEATURES 1048576.0

struct feat_tensor {
    const char *name;
    int rank;          /* 2 for x, 1 for y */
    double shape[2];   /* extents */
    size_t begin, end; /* byte range in the data region */
    size_t elem;       /* bytes per value */
    const char *dtype; /* as in the file */
};

static size_t dtype_bytes(const char *dtype, bool labels)
{
    if (!labels)
        return strcmp(dtype, "F32") == 0 ? 4 : 0;
    if (strcmp(dtype, "U8") == 0)
        return 1;
    if (strcmp(dtype, "I32") == 0)
        return 4;
    return strcmp(dtype, "I64") == 0 ? 8 : 0;
}

static bool whole(double v, double hi)
{
    return v >= 0 && v <= hi && v == floor(v);
}

/* Find tensor t->name and check its dtype, rank, shape and offsets against the data region. */
static scl_status find_tensor(const char *path, const struct scl_st_file *f, struct feat_tensor *t,
                              char *msg, size_t len)
{
    const bool labels = t->rank == 1;
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(f->root, t->name);
    if (!cJSON_IsObject(j))
        return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: no tensor '%s'", path, t->name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(j, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(j, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(j, "data_offsets");
    t->dtype = cJSON_IsString(dtype) ? dtype->valuestring : "missing";
    t->elem = cJSON_IsString(dtype) ? dtype_bytes(t->dtype, labels) : 0;
    if (!t->elem)
        return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: tensor '%s': dtype %s, expected %s", path,
                            t->name, t->dtype, labels ? "U8, I32 or I64" : "F32");
    if (!cJSON_IsArray(shape) || cJSON_GetArraySize(shape) != t->rank || !cJSON_IsArray(offs) ||
        cJSON_GetArraySize(offs) != 2)
        return scl_msg_fail(msg, len, SCL_ERR_DATA,
                            "%s: tensor '%s': needs a %d-D shape and two data_offsets", path,
                            t->name, t->rank);
    double count = 1;
    for (int i = 0; i < t->rank; i++) {
        t->shape[i] = cJSON_GetArrayItem(shape, i)->valuedouble;
        if (!cJSON_IsNumber(cJSON_GetArrayItem(shape, i)) ||
            !whole(t->shape[i], i ? MAX_FEATURES : MAX_SAMPLES) || t->shape[i] < 1)
            return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: tensor '%s': implausible extent %.0f",
                                path, t->name, t->shape[i]);
        count *= t->shape[i];
    }
    double b = cJSON_GetArrayItem(offs, 0)->valuedouble,
           e = cJSON_GetArrayItem(offs, 1)->valuedouble;
    if (!cJSON_IsNumber(cJSON_GetArrayItem(offs, 0)) ||
        !cJSON_IsNumber(cJSON_GetArrayItem(offs, 1)) || !whole(b, (double)f->body_len) ||
        !whole(e, (double)f->body_len) || e < b || e - b != count * (double)t->elem)
        return scl_msg_fail(
            msg, len, SCL_ERR_DATA,
            "%s: truncated or inconsistent: tensor '%s' offsets [%.0f, %.0f] do not "
            "hold %.0f values of %zu bytes in %zu data bytes",
            path, t->name, b, e, count, t->elem, f->body_len);
    t->begin = (size_t)b;
    t->end = (size_t)e;
    return SCL_OK;
}

/* Label i of y, whatever its integer dtype (little-endian, checked by scl_st_open). */
static int64_t label_at(const struct feat_tensor *y, const unsigned char *body, size_t i)
{
    const unsigned char *p = body + y->begin + i * y->elem;
    if (y->elem == 1)
        return p[0];
    if (y->elem == 4) {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static scl_status fill(const char *path, const struct scl_st_file *f, const struct feat_tensor *x,
                       const struct feat_tensor *y, scl_dataset *ds, char *msg, size_t len)
{
    size_t total = (size_t)ds->n * (size_t)ds->dim;
    ds->x = scl_alloc(total * sizeof(float));
    ds->y = scl_alloc((size_t)ds->n);
    if (!ds->x || !ds->y)
        return scl_msg_fail(msg, len, SCL_ERR_NOMEM, "%s: out of memory", path);
    memcpy(ds->x, f->body + x->begin, total * sizeof(float));
    for (size_t i = 0; i < total; i++)
        if (!isfinite(ds->x[i]))
            return scl_msg_fail(
                msg, len, SCL_ERR_DATA,
                "%s: tensor 'x' holds a non-finite value at sample %zu, feature %zu", path,
                i / (size_t)ds->dim, i % (size_t)ds->dim);
    for (int32_t i = 0; i < ds->n; i++) {
        int64_t c = label_at(y, f->body, (size_t)i);
        if (c < 0 || c >= SCL_MAX_CLASSES)
            return scl_msg_fail(msg, len, SCL_ERR_DATA,
                                "%s: label %lld at index %d out of range (0..%d)", path,
                                (long long)c, i, SCL_MAX_CLASSES - 1);
        ds->y[i] = (uint8_t)c;
        if (c + 1 > ds->n_classes)
            ds->n_classes = (int32_t)c + 1;
    }
    return SCL_OK;
}

static scl_status parse(const char *path, const struct scl_st_file *f, scl_dataset *ds, char *msg,
                        size_t len)
{
    struct feat_tensor x = {.name = "x", .rank = 2}, y = {.name = "y", .rank = 1};
    scl_status st = find_tensor(path, f, &x, msg, len);
    if (st == SCL_OK)
        st = find_tensor(path, f, &y, msg, len);
    if (st != SCL_OK)
        return st;
    if (x.shape[0] != y.shape[0])
        return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: %.0f labels for %.0f feature vectors",
                            path, y.shape[0], x.shape[0]);
    if (x.begin < y.end && y.begin < x.end)
        return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: tensors 'x' and 'y' overlap", path);
    if ((x.shape[0] * x.shape[1]) > (double)INT32_MAX)
        return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: %.0f x %.0f features: too many", path,
                            x.shape[0], x.shape[1]);
    ds->n = (int32_t)x.shape[0];
    ds->dim = ds->cols = (int32_t)x.shape[1];
    ds->rows = 1;
    return fill(path, f, &x, &y, ds, msg, len);
}

scl_status scl_dataset_load_features(const char *path, scl_dataset **out, char *msg, size_t msg_len)
{
    struct scl_st_file f;
    scl_dataset *ds = scl_calloc(1, sizeof(*ds));
    *out = NULL;
    if (!ds)
        return scl_msg_fail(msg, msg_len, SCL_ERR_NOMEM, "%s: out of memory", path);
    scl_status st = scl_st_open(path, &f, msg, msg_len);
    if (st == SCL_OK)
        st = parse(path, &f, ds, msg, msg_len);
    scl_st_close(&f);
    if (st != SCL_OK) {
        scl_dataset_destroy(ds);
        return st;
    }
    *out = ds;
    return SCL_OK;
}
