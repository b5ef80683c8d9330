/*
 * The part of the safetensors format every reader shares (models, host/model/model_io.c, and
 * feature sets, io_features.c): an 8-byte little-endian header length N, N bytes of a JSON
 * object, then the data region. The file is read whole; the length is checked against the file
 * size before anything is parsed, so a lying header costs nothing. The tensors' own checks
 * (dtype, shape, offsets) belong to each reader, which knows what it expects.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_HEADER (64u << 20)

bool scl_st_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

scl_status scl_st_open(const char *path, struct scl_st_file *f, char *msg, size_t len)
{
    char *data = NULL;
    uint64_t hlen = 0;
    memset(f, 0, sizeof(*f));
    if (!scl_st_little_endian())
        return scl_msg_fail(msg, len, SCL_ERR_IO, "%s: big-endian hosts unsupported", path);
    scl_status st = scl_read_file(path, &data, &f->len);
    f->blob = (unsigned char *)data;
    if (st != SCL_OK)
        return scl_msg_fail(msg, len, st, "%s: cannot %s", path,
                            st == SCL_ERR_NOMEM ? "read (out of memory)" : "open or read");
    for (int i = 0; i < 8 && f->len >= 8; i++)
        hlen |= (uint64_t)f->blob[i] << (8 * i);
    if (f->len < 8 || hlen < 2 || hlen > MAX_HEADER || hlen > f->len - 8)
        return scl_msg_fail(msg, len, SCL_ERR_DATA,
                            "%s: not a safetensors file (header length %llu, file %zu bytes)", path,
                            (unsigned long long)hlen, f->len);
    f->root = cJSON_ParseWithLength((const char *)f->blob + 8, (size_t)hlen);
    if (!cJSON_IsObject(f->root))
        return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: header is not a JSON object", path);
    f->body = f->blob + 8 + hlen;
    f->body_len = f->len - 8 - (size_t)hlen;
    return SCL_OK;
}

void scl_st_close(struct scl_st_file *f)
{
    cJSON_Delete(f->root);
    scl_free(f->blob);
    memset(f, 0, sizeof(*f));
}

char *scl_st_header_text(cJSON *root, size_t *len)
{
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json)
        return NULL;
    size_t n = strlen(json), padded = (n + 7) & ~(size_t)7;
    char *out = realloc(json, padded + 1);
    if (!out) {
        free(json);
        return NULL;
    }
    memset(out + n, ' ', padded - n);
    out[padded] = '\0';
    *len = padded;
    return out;
}
