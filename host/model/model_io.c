/*
 * Models on disk in the safetensors format, so NumPy and PyTorch users can read and write them:
 * an 8-byte little-endian header length N, N bytes of JSON (padded with spaces to a multiple of
 * 8), then the raw little-endian float32 tensors back to back. Tensor "wl" is the weight matrix
 * W_l of shape [n_l, n_{l-1}] (PyTorch's nn.Linear layout). Metadata (all strings, as the
 * format requires) carries sizes, profile, seed, config hash, output and act_scale.
 *
 * Loading trusts nothing: header length against the file size, JSON syntax, dtype, 2-D shapes
 * chaining layer to layer, offsets covering the data region exactly, and finite values. Every
 * problem is one message naming the file. Writing goes through scl_atomic_open (host/core/file.c).
 * Byte order: the host is assumed little-endian (checked at run time), as on every platform
 * OpenCL runs on today.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const output_names[] = {"softmax", "sigmoid", "relu"};

static size_t tensor_bytes(const scl_model *m, int32_t l)
{
    return sizeof(float) * (size_t)m->sizes[l + 1] * (size_t)m->sizes[l];
}

static void add_meta(cJSON *meta, const scl_model *m)
{
    char buf[64], sizes[256] = "";
    for (int32_t l = 0; l <= m->n_layers; l++) {
        snprintf(buf, sizeof(buf), "%s%d", l ? "," : "", m->sizes[l]);
        strncat(sizes, buf, sizeof(sizes) - strlen(sizes) - 1);
    }
    cJSON_AddStringToObject(meta, "format", "sleepcl");
    cJSON_AddStringToObject(meta, "sizes", sizes);
    cJSON_AddStringToObject(meta, "profile", m->profile);
    snprintf(buf, sizeof(buf), "%u", m->seed);
    cJSON_AddStringToObject(meta, "seed", buf);
    cJSON_AddStringToObject(meta, "config_hash", m->config_hash);
    cJSON_AddStringToObject(meta, "output",
                            output_names[m->output >= 0 && m->output < 3 ? m->output : 0]);
    snprintf(buf, sizeof(buf), "%.9g", (double)m->act_scale);
    cJSON_AddStringToObject(meta, "act_scale", buf);
}

/* The JSON header, padded with spaces to a multiple of 8 bytes. Caller frees with free(). */
static char *make_header(const scl_model *m, size_t *len)
{
    cJSON *root = cJSON_CreateObject(), *meta = cJSON_CreateObject();
    size_t off = 0;
    cJSON_AddItemToObject(root, "__metadata__", meta);
    add_meta(meta, m);
    for (int32_t l = 0; l < m->n_layers; l++) {
        char name[16];
        snprintf(name, sizeof(name), "w%d", l + 1);
        cJSON *t = cJSON_AddObjectToObject(root, name);
        const double shape[2] = {m->sizes[l + 1], m->sizes[l]};
        const double offs[2] = {(double)off, (double)(off + tensor_bytes(m, l))};
        cJSON_AddStringToObject(t, "dtype", "F32");
        cJSON_AddItemToObject(t, "shape", cJSON_CreateDoubleArray(shape, 2));
        cJSON_AddItemToObject(t, "data_offsets", cJSON_CreateDoubleArray(offs, 2));
        off += tensor_bytes(m, l);
    }
    return scl_st_header_text(root, len);
}

static bool write_all(FILE *f, const scl_model *m, const char *header, size_t hlen)
{
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    bool ok = fwrite(len8, 1, 8, f) == 8 && fwrite(header, 1, hlen, f) == hlen;
    for (int32_t l = 0; ok && l < m->n_layers; l++)
        ok = fwrite(m->w[l], 1, tensor_bytes(m, l), f) == tensor_bytes(m, l);
    return ok;
}

scl_status scl_model_save(const scl_model *m, const char *path, char *msg, size_t msg_len)
{
    char tmp[1200];
    size_t hlen = 0;
    if (!scl_st_little_endian())
        return scl_msg_fail(msg, msg_len, SCL_ERR_IO, "%s: big-endian hosts unsupported", path);
    char *header = make_header(m, &hlen);
    if (!header)
        return scl_msg_fail(msg, msg_len, SCL_ERR_NOMEM, "%s: out of memory", path);
    FILE *f = scl_atomic_open(path, tmp, sizeof(tmp));
    bool ok = scl_atomic_commit(f, tmp, path, f && write_all(f, m, header, hlen));
    free(header);
    if (!ok)
        return scl_msg_fail(msg, msg_len, SCL_ERR_IO, "%s: cannot write: %s", path,
                            strerror(errno));
    return SCL_OK;
}

/* ------------------------------------------------------------------ loading */

/* Parse "784,1200,10" into sizes; returns the count or -1. */
static int parse_sizes(const char *s, int32_t *sizes)
{
    int n = 0;
    while (s && *s && n <= SCL_MAX_LAYERS) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > (1 << 20))
            return -1;
        sizes[n++] = (int32_t)v;
        s = *end == ',' ? end + 1 : (*end ? NULL : end);
    }
    return (s && *s) || n < 2 ? -1 : n;
}

struct tensor_ref {
    const cJSON *json;
    const char *name;
    size_t begin, end;
    int32_t rows, cols;
};

static scl_status check_tensor(const char *path, struct tensor_ref *t, size_t data_len, char *msg,
                               size_t len)
{
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(t->json, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(t->json, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(t->json, "data_offsets");
    if (!cJSON_IsString(dtype) || strcmp(dtype->valuestring, "F32") != 0)
        return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: tensor '%s': dtype %s, expected F32", path,
                            t->name, cJSON_IsString(dtype) ? dtype->valuestring : "missing");
    if (!cJSON_IsArray(shape) || cJSON_GetArraySize(shape) != 2 || !cJSON_IsArray(offs) ||
        cJSON_GetArraySize(offs) != 2)
        return scl_msg_fail(msg, len, SCL_ERR_DATA,
                            "%s: tensor '%s': needs a 2-D shape and two data_offsets", path,
                            t->name);
    double r = cJSON_GetArrayItem(shape, 0)->valuedouble;
    double c = cJSON_GetArrayItem(shape, 1)->valuedouble;
    double b = cJSON_GetArrayItem(offs, 0)->valuedouble;
    double e = cJSON_GetArrayItem(offs, 1)->valuedouble;
    if (!(r >= 1 && c >= 1 && r <= (1 << 20) && c <= (1 << 20)) || !(b >= 0 && e >= b) ||
        r != floor(r) || c != floor(c) || b != floor(b) || e != floor(e) || e > (double)data_len ||
        e - b != r * c * 4.0)
        return scl_msg_fail(msg, len, SCL_ERR_DATA,
                            "%s: tensor '%s': offsets [%.0f, %.0f] do not fit shape [%.0f, %.0f] "
                            "in %zu data bytes",
                            path, t->name, b, e, r, c, data_len);
    t->rows = (int32_t)r;
    t->cols = (int32_t)c;
    t->begin = (size_t)b;
    t->end = (size_t)e;
    return SCL_OK;
}

/* Collect the tensors: w1..wL when present, otherwise every tensor in file order. */
static int collect_tensors(const cJSON *root, struct tensor_ref *t)
{
    int n = 0;
    for (int l = 1; l <= SCL_MAX_LAYERS; l++) {
        char name[16];
        snprintf(name, sizeof(name), "w%d", l);
        const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, name);
        if (!j)
            break;
        t[n].json = j;
        t[n++].name = j->string;
    }
    int total = 0;
    for (const cJSON *j = root->child; j; j = j->next)
        total += strcmp(j->string, "__metadata__") != 0;
    if (n == total)
        return n;
    n = 0;
    for (const cJSON *j = root->child; j && n <= SCL_MAX_LAYERS; j = j->next) {
        if (strcmp(j->string, "__metadata__") == 0)
            continue;
        t[n].json = j;
        t[n++].name = j->string;
    }
    return n;
}

/* The metadata the format leaves free; values that would silently corrupt a run (a NaN test-time
 * scale, an unknown output) are refused, not defaulted. */
static scl_status read_meta(const char *path, const cJSON *root, scl_model *m, char *msg,
                            size_t len)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
    const cJSON *v;
    m->act_scale = 1.0f;
    if ((v = cJSON_GetObjectItemCaseSensitive(meta, "profile")) && cJSON_IsString(v))
        snprintf(m->profile, sizeof(m->profile), "%s", v->valuestring);
    if ((v = cJSON_GetObjectItemCaseSensitive(meta, "config_hash")) && cJSON_IsString(v))
        snprintf(m->config_hash, sizeof(m->config_hash), "%s", v->valuestring);
    if ((v = cJSON_GetObjectItemCaseSensitive(meta, "seed")) && cJSON_IsString(v))
        m->seed = (uint32_t)strtoul(v->valuestring, NULL, 10);
    if ((v = cJSON_GetObjectItemCaseSensitive(meta, "act_scale")) && cJSON_IsString(v)) {
        char *end = NULL;
        m->act_scale = strtof(v->valuestring, &end);
        if (end == v->valuestring || *end || !isfinite(m->act_scale) || m->act_scale <= 0.0f)
            return scl_msg_fail(msg, len, SCL_ERR_DATA,
                                "%s: metadata act_scale '%s' is not a finite number > 0", path,
                                v->valuestring);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(meta, "output")) && cJSON_IsString(v)) {
        int32_t found = -1;
        for (int32_t i = 0; i < 3; i++)
            if (strcmp(v->valuestring, output_names[i]) == 0)
                found = i;
        if (found < 0)
            return scl_msg_fail(msg, len, SCL_ERR_DATA,
                                "%s: metadata output '%s' is none of softmax, sigmoid, relu", path,
                                v->valuestring);
        m->output = found;
    }
    return SCL_OK;
}

/* True when tensor l's bytes overlap another tensor's: offsets must not alias one another. */
static bool overlaps(const struct tensor_ref *t, int n, int l)
{
    for (int k = 0; k < n; k++)
        if (k != l && t[k].begin < t[l].end && t[l].begin < t[k].end)
            return true;
    return false;
}

/* Shapes must chain, agree with the metadata sizes if any, and the data be contiguous. */
static scl_status check_chain(const char *path, const cJSON *root, struct tensor_ref *t, int n,
                              size_t data_len, int32_t *sizes, char *msg, size_t len)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(meta, "sizes");
    size_t covered = 0;
    if (n < 1 || n > SCL_MAX_LAYERS)
        return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: %d weight tensors (1..%d allowed)", path,
                            n, SCL_MAX_LAYERS);
    sizes[0] = t[0].cols;
    for (int l = 0; l < n; l++) {
        if (t[l].cols != sizes[l])
            return scl_msg_fail(msg, len, SCL_ERR_DATA,
                                "%s: tensor '%s' has %d inputs, the layer below has %d units", path,
                                t[l].name, t[l].cols, sizes[l]);
        sizes[l + 1] = t[l].rows;
        covered += t[l].end - t[l].begin;
        if (overlaps(t, n, l))
            return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: tensor '%s' overlaps another tensor",
                                path, t[l].name);
    }
    if (covered != data_len)
        return scl_msg_fail(msg, len, SCL_ERR_DATA,
                            "%s: tensors cover %zu bytes, the data region has %zu", path, covered,
                            data_len);
    int32_t want[SCL_MAX_LAYERS + 2];
    if (cJSON_IsString(ms) && (parse_sizes(ms->valuestring, want) != n + 1 ||
                               memcmp(want, sizes, sizeof(*sizes) * (size_t)(n + 1)) != 0))
        return scl_msg_fail(msg, len, SCL_ERR_DATA,
                            "%s: metadata sizes '%s' disagree with the tensor shapes", path,
                            ms->valuestring);
    return SCL_OK;
}

static scl_status fill_weights(const char *path, scl_model *m, const struct tensor_ref *t,
                               const unsigned char *data, char *msg, size_t len)
{
    for (int32_t l = 0; l < m->n_layers; l++) {
        memcpy(m->w[l], data + t[l].begin, t[l].end - t[l].begin);
        size_t count = (t[l].end - t[l].begin) / 4;
        for (size_t i = 0; i < count; i++)
            if (!isfinite(m->w[l][i]))
                return scl_msg_fail(msg, len, SCL_ERR_NUMERIC,
                                    "%s: tensor '%s' holds a non-finite value at index %zu", path,
                                    t[l].name, i);
    }
    return SCL_OK;
}

static scl_status parse_model(const char *path, const struct scl_st_file *f, scl_model **out,
                              char *msg, size_t len)
{
    struct tensor_ref t[SCL_MAX_LAYERS + 1];
    int32_t sizes[SCL_MAX_LAYERS + 2];
    int n = collect_tensors(f->root, t);
    scl_status st = SCL_OK;
    for (int l = 0; st == SCL_OK && l < n && l < SCL_MAX_LAYERS; l++)
        st = check_tensor(path, &t[l], f->body_len, msg, len);
    if (st == SCL_OK)
        st = check_chain(path, f->root, t, n, f->body_len, sizes, msg, len);
    if (st == SCL_OK && scl_model_create(n, sizes, out) != SCL_OK)
        st = scl_msg_fail(msg, len, SCL_ERR_NOMEM, "%s: out of memory", path);
    if (st == SCL_OK)
        st = read_meta(path, f->root, *out, msg, len);
    if (st == SCL_OK)
        st = fill_weights(path, *out, t, f->body, msg, len);
    return st;
}

scl_status scl_model_load(const char *path, scl_model **out, char *msg, size_t msg_len)
{
    struct scl_st_file f;
    *out = NULL;
    scl_status st = scl_st_open(path, &f, msg, msg_len);
    if (st == SCL_OK)
        st = parse_model(path, &f, out, msg, msg_len);
    scl_st_close(&f);
    if (st != SCL_OK) {
        scl_model_destroy(*out);
        *out = NULL;
    }
    return st;
}
