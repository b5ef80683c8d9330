/*
 * The feature extractor on disk (scl_extractor_save / _load), in the safetensors layout of the
 * models (host/model/model_io.c): an 8-byte little-endian header length, the JSON header padded
 * with spaces to a multiple of 8, then the float32 tensors back to back. Tensors carry
 * PyTorch's names and shapes ("conv1.weight" [out][in][3][3], "conv1.bias", ..., "head.weight"
 * [classes][features], "head.bias"), so a PyTorch user can load them into an nn.Sequential of
 * the same layers (the head's columns follow the (y, x, channel) order of our features). The
 * metadata holds the shape: in_channels, side, channels ("16,32,..."), classes.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extractor.h"

#define EXT_FORMAT "sleepcl-extractor"

/* Name and shape of tensor i (2 per layer, the head's last); returns the number of dims. */
static int tensor_shape(scl_extractor *e, int32_t i, char *name, size_t n, double shape[4])
{
    const struct scl_extractor_params *p = scl_extractor_shape(e);
    int32_t l = i / 2;
    bool bias = i % 2;
    if (l == p->n_layers) {
        snprintf(name, n, "head.%s", bias ? "bias" : "weight");
        shape[0] = scl_extractor_classes(e);
        shape[1] = scl_extractor_dim(e);
        return bias ? 1 : 2;
    }
    snprintf(name, n, "conv%d.%s", l + 1, bias ? "bias" : "weight");
    shape[0] = p->channels[l];
    shape[1] = l ? p->channels[l - 1] : p->in_channels;
    shape[2] = shape[3] = 3;
    return bias ? 1 : 4;
}

static int32_t n_tensors(const scl_extractor *e)
{
    return 2 * (scl_extractor_shape(e)->n_layers + 1);
}

static void add_meta(cJSON *meta, scl_extractor *e)
{
    const struct scl_extractor_params *p = scl_extractor_shape(e);
    char buf[32], ch[SCL_EXT_MAX_LAYERS * 12] = "";
    for (int32_t l = 0; l < p->n_layers; l++) {
        snprintf(buf, sizeof(buf), "%s%d", l ? "," : "", p->channels[l]);
        strncat(ch, buf, sizeof(ch) - strlen(ch) - 1);
    }
    cJSON_AddStringToObject(meta, "format", EXT_FORMAT);
    cJSON_AddStringToObject(meta, "channels", ch);
    snprintf(buf, sizeof(buf), "%d", p->in_channels);
    cJSON_AddStringToObject(meta, "in_channels", buf);
    snprintf(buf, sizeof(buf), "%d", p->side);
    cJSON_AddStringToObject(meta, "side", buf);
    snprintf(buf, sizeof(buf), "%d", scl_extractor_classes(e));
    cJSON_AddStringToObject(meta, "classes", buf);
}

/* The header, padded with spaces to a multiple of 8 bytes; *data = bytes of the tensors. */
static char *make_header(scl_extractor *e, size_t *len, size_t *data)
{
    cJSON *root = cJSON_CreateObject(), *meta = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "__metadata__", meta);
    add_meta(meta, e);
    size_t off = 0;
    for (int32_t i = 0; i < n_tensors(e); i++) {
        char name[32];
        double shape[4];
        int dims = tensor_shape(e, i, name, sizeof(name), shape);
        size_t bytes = sizeof(float) * (size_t)scl_extractor_tensor_size(e, i / 2, i % 2);
        const double offs[2] = {(double)off, (double)(off + bytes)};
        cJSON *t = cJSON_AddObjectToObject(root, name);
        cJSON_AddStringToObject(t, "dtype", "F32");
        cJSON_AddItemToObject(t, "shape", cJSON_CreateDoubleArray(shape, dims));
        cJSON_AddItemToObject(t, "data_offsets", cJSON_CreateDoubleArray(offs, 2));
        off += bytes;
    }
    *data = off;
    return scl_st_header_text(root, len);
}

scl_status scl_extractor_save(scl_extractor *e, const char *path, char *msg, size_t msg_len)
{
    char tmp[1200];
    size_t hlen = 0, data = 0;
    if (!scl_st_little_endian())
        return scl_msg_fail(msg, msg_len, SCL_ERR_IO, "%s: big-endian hosts unsupported", path);
    char *header = make_header(e, &hlen, &data);
    float *body = header ? malloc(data ? data : 1) : NULL;
    if (!body) {
        free(header);
        return scl_msg_fail(msg, msg_len, SCL_ERR_NOMEM, "%s: out of memory", path);
    }
    scl_status st = SCL_OK;
    size_t at = 0;
    for (int32_t i = 0; st == SCL_OK && i < n_tensors(e); i++) {
        st = scl_extractor_tensor(e, i / 2, i % 2, body + at, false);
        at += (size_t)scl_extractor_tensor_size(e, i / 2, i % 2);
    }
    if (st != SCL_OK) {
        free(header);
        free(body);
        return scl_msg_fail(msg, msg_len, st, "%s: cannot read the extractor from the device",
                            path);
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    FILE *f = scl_atomic_open(path, tmp, sizeof(tmp));
    bool ok = f && fwrite(len8, 1, 8, f) == 8 && fwrite(header, 1, hlen, f) == hlen &&
              fwrite(body, 1, data, f) == data;
    ok = scl_atomic_commit(f, tmp, path, ok);
    free(header);
    free(body);
    if (!ok)
        return scl_msg_fail(msg, msg_len, SCL_ERR_IO, "%s: cannot write: %s", path,
                            strerror(errno));
    return SCL_OK;
}

/* ------------------------------------------------------------------ loading */

/* A positive integer of the metadata, or -1. */
static long meta_int(const cJSON *meta, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(meta, key);
    char *end = NULL;
    long v = cJSON_IsString(j) ? strtol(j->valuestring, &end, 10) : -1;
    return end && *end == '\0' && v >= 1 && v <= (1L << 20) ? v : -1;
}

static scl_status read_meta(const char *path, const cJSON *root, struct scl_extractor_params *p,
                            int32_t *classes, char *msg, size_t len)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(meta, "format");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(meta, "channels");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, EXT_FORMAT) != 0 || !cJSON_IsString(ch))
        return scl_msg_fail(msg, len, SCL_ERR_DATA,
                            "%s: not a feature extractor (metadata format '%s' and channels)", path,
                            EXT_FORMAT);
    long in = meta_int(meta, "in_channels"), side = meta_int(meta, "side");
    long k = meta_int(meta, "classes");
    const char *s = ch->valuestring;
    p->n_layers = 0;
    while (*s && p->n_layers < SCL_EXT_MAX_LAYERS) {
        char *end = NULL;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > (1L << 20) || (*end && *end != ','))
            break;
        p->channels[p->n_layers++] = (int32_t)v;
        s = *end ? end + 1 : end;
    }
    if (*s || p->n_layers < 1 || in < 1 || side < 1 || k < 2 || k > SCL_MAX_CLASSES)
        return scl_msg_fail(msg, len, SCL_ERR_DATA,
                            "%s: bad metadata (channels '%s', in_channels, side, classes)", path,
                            ch->valuestring);
    p->in_channels = (int32_t)in;
    p->side = (int32_t)side;
    *classes = (int32_t)k;
    return SCL_OK;
}

/* Tensor i from the file into e, after checking its dtype, shape, extent and values. */
static scl_status load_tensor(const char *path, const struct scl_st_file *f, scl_extractor *e,
                              int32_t i, char *msg, size_t len)
{
    char name[32];
    double shape[4];
    int dims = tensor_shape(e, i, name, sizeof(name), shape);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(f->root, name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(t, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(t, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
    bool ok = cJSON_IsString(dtype) && strcmp(dtype->valuestring, "F32") == 0 &&
              cJSON_IsArray(sh) && cJSON_GetArraySize(sh) == dims && cJSON_IsArray(offs) &&
              cJSON_GetArraySize(offs) == 2;
    for (int d = 0; ok && d < dims; d++)
        ok = cJSON_GetArrayItem(sh, d)->valuedouble == shape[d];
    int64_t n = scl_extractor_tensor_size(e, i / 2, i % 2);
    double b = ok ? cJSON_GetArrayItem(offs, 0)->valuedouble : -1.0;
    double end = ok ? cJSON_GetArrayItem(offs, 1)->valuedouble : -1.0;
    ok = ok && b >= 0 && b == floor(b) && end - b == 4.0 * (double)n && end <= (double)f->body_len;
    float *v = ok ? malloc(sizeof(float) * (size_t)n) : NULL;
    if (v)
        memcpy(v, f->body + (size_t)b, sizeof(float) * (size_t)n);
    for (int64_t j = 0; v && j < n; j++)
        ok = ok && isfinite(v[j]);
    scl_status st = v && ok ? scl_extractor_tensor(e, i / 2, i % 2, v, true) : SCL_ERR_DATA;
    free(v);
    if (st != SCL_OK)
        return scl_msg_fail(msg, len, st,
                            "%s: tensor '%s': missing, not F32 of the metadata's shape, outside "
                            "the data, or not finite",
                            path, name);
    return SCL_OK;
}

scl_status scl_extractor_load(scl_ctx *ctx, const char *path, const struct scl_train_params *train,
                              scl_extractor **out, char *msg, size_t msg_len)
{
    struct scl_st_file f;
    struct scl_extractor_params p = {0};
    int32_t classes = 0;
    *out = NULL;
    scl_status st = scl_st_open(path, &f, msg, msg_len);
    if (st == SCL_OK)
        st = read_meta(path, f.root, &p, &classes, msg, msg_len);
    scl_extractor *e = NULL;
    if (st == SCL_OK && (st = scl_extractor_create(ctx, &p, classes, train, &e)) != SCL_OK)
        scl_msg_fail(msg, msg_len, st, "%s: %s", path, scl_ctx_last_error(ctx));
    for (int32_t i = 0; st == SCL_OK && i < n_tensors(e); i++)
        st = load_tensor(path, &f, e, i, msg, msg_len);
    scl_st_close(&f);
    if (st != SCL_OK) {
        scl_extractor_destroy(e);
        return st;
    }
    *out = e;
    return SCL_OK;
}
