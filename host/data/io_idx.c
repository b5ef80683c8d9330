/*
 * IDX reader for MNIST-style datasets. zlib's gzread reads gzip and plain files alike, so one path
 * serves both. Every failure names the file and the problem: bad magic, wrong number of
 * dimensions, a count that does not match the other file, or a file shorter than its header
 * says (truncation), or a corrupt gzip stream.
 *
 * Images are unsigned bytes scaled to [0, 1] by /255 (no mean/std normalisation, as the
 * algorithm specifies).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "internal.h"

#define IDX_UBYTE       0x08
#define MAX_IDX_SAMPLES 10000000u
/* deflate cannot compress better than about 1032:1, so a gzip file of s bytes holds at most
 * this many times s bytes: a header asking for more is a lie, refused before any allocation. */
#define MAX_GZIP_RATIO 1100u

struct idx_file {
    gzFile gz;
    const char *path;
    uint64_t file_bytes; /* size on disk */
    uint32_t dims[3];
    int ndims;
};

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/* Read exactly n bytes or explain why not. */
static scl_status read_exact(struct idx_file *f, void *dst, size_t n, const char *what, char *msg,
                             size_t len)
{
    size_t got = 0;
    while (got < n) {
        unsigned chunk = (unsigned)((n - got) > (1u << 30) ? (1u << 30) : (n - got));
        int r = gzread(f->gz, (char *)dst + got, chunk);
        if (r < 0) {
            int zerr;
            const char *e = gzerror(f->gz, &zerr);
            return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: corrupt compressed data (%s)", f->path,
                                e);
        }
        if (r == 0)
            return scl_msg_fail(msg, len, SCL_ERR_DATA,
                                "%s: truncated: %s needs %zu bytes, file ends after %zu", f->path,
                                what, n, got);
        got += (size_t)r;
    }
    return SCL_OK;
}

static scl_status open_idx(struct idx_file *f, const char *path, int want_dims, char *msg,
                           size_t len)
{
    unsigned char hdr[4], d[12];
    struct stat sb;
    memset(f, 0, sizeof(*f));
    f->path = path;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return scl_msg_fail(msg, len, SCL_ERR_IO, "%s: not a regular file", path);
    f->file_bytes = (uint64_t)sb.st_size;
    f->gz = gzopen(path, "rb");
    if (!f->gz)
        return scl_msg_fail(msg, len, SCL_ERR_IO, "%s: cannot open", path);
    scl_status st = read_exact(f, hdr, 4, "the header", msg, len);
    if (st != SCL_OK)
        return st;
    if (hdr[0] != 0 || hdr[1] != 0 || hdr[2] != IDX_UBYTE)
        return scl_msg_fail(msg, len, SCL_ERR_DATA,
                            "%s: bad magic %02x%02x%02x%02x (not an unsigned-byte IDX file)", path,
                            hdr[0], hdr[1], hdr[2], hdr[3]);
    if (hdr[3] != want_dims)
        return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: %d dimensions, expected %d", path, hdr[3],
                            want_dims);
    f->ndims = want_dims;
    st = read_exact(f, d, (size_t)want_dims * 4, "the dimensions", msg, len);
    for (int i = 0; st == SCL_OK && i < want_dims; i++)
        f->dims[i] = be32(d + 4 * i);
    if (st == SCL_OK && (f->dims[0] == 0 || f->dims[0] > MAX_IDX_SAMPLES))
        return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: implausible sample count %u", path,
                            f->dims[0]);
    return st;
}

/* Can the file hold `need` more bytes of content after its header? Checked before allocating
 * what a (possibly corrupt) header asks for. */
static scl_status check_room(struct idx_file *f, uint64_t need, const char *what, char *msg,
                             size_t len)
{
    uint64_t header = 4 + 4 * (uint64_t)f->ndims;
    bool plain = gzdirect(f->gz) != 0;
    uint64_t room = plain ? f->file_bytes - header : f->file_bytes * MAX_GZIP_RATIO;
    if (need <= room)
        return SCL_OK;
    return scl_msg_fail(msg, len, SCL_ERR_DATA,
                        "%s: truncated: %s need %llu bytes, the %s file of %llu bytes cannot "
                        "hold them",
                        f->path, what, (unsigned long long)need, plain ? "raw" : "gzip",
                        (unsigned long long)f->file_bytes);
}

static void close_idx(struct idx_file *f)
{
    if (f->gz)
        gzclose(f->gz);
    f->gz = NULL;
}

/* True when the stream has bytes past the declared content. */
static bool has_trailing(struct idx_file *f)
{
    unsigned char c;
    return gzread(f->gz, &c, 1) > 0;
}

static scl_status read_images(struct idx_file *f, scl_dataset *ds, char *msg, size_t len)
{
    if (f->dims[1] == 0 || f->dims[2] == 0 || f->dims[1] > 4096 || f->dims[2] > 4096)
        return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: implausible image size %ux%u", f->path,
                            f->dims[1], f->dims[2]);
    ds->n = (int32_t)f->dims[0];
    ds->rows = (int32_t)f->dims[1];
    ds->cols = (int32_t)f->dims[2];
    ds->dim = ds->rows * ds->cols;
    size_t total = (size_t)ds->n * (size_t)ds->dim;
    scl_status room = check_room(f, total, "the pixels", msg, len);
    if (room != SCL_OK)
        return room;
    unsigned char *raw = scl_alloc(total);
    ds->x = scl_alloc(total * sizeof(float));
    if (!raw || !ds->x) {
        scl_free(raw);
        return scl_msg_fail(msg, len, SCL_ERR_NOMEM, "%s: out of memory", f->path);
    }
    scl_status st = read_exact(f, raw, total, "the pixels", msg, len);
    for (size_t i = 0; st == SCL_OK && i < total; i++)
        ds->x[i] = (float)raw[i] / 255.0f;
    scl_free(raw);
    if (st == SCL_OK && has_trailing(f))
        st = scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: trailing bytes after %d images", f->path,
                          ds->n);
    return st;
}

static scl_status read_labels(struct idx_file *f, scl_dataset *ds, char *msg, size_t len)
{
    if ((int32_t)f->dims[0] != ds->n)
        return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: %u labels for %d images", f->path,
                            f->dims[0], ds->n);
    scl_status room = check_room(f, (uint64_t)ds->n, "the labels", msg, len);
    if (room != SCL_OK)
        return room;
    ds->y = scl_alloc((size_t)ds->n);
    if (!ds->y)
        return scl_msg_fail(msg, len, SCL_ERR_NOMEM, "%s: out of memory", f->path);
    scl_status st = read_exact(f, ds->y, (size_t)ds->n, "the labels", msg, len);
    for (int32_t i = 0; st == SCL_OK && i < ds->n; i++) {
        if (ds->y[i] > 99)
            return scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: label %u at index %d out of range",
                                f->path, ds->y[i], i);
        if (ds->y[i] + 1 > ds->n_classes)
            ds->n_classes = ds->y[i] + 1;
    }
    if (st == SCL_OK && has_trailing(f))
        st = scl_msg_fail(msg, len, SCL_ERR_DATA, "%s: trailing bytes after %d labels", f->path,
                          ds->n);
    return st;
}

scl_status scl_dataset_load_idx(const char *images_path, const char *labels_path, scl_dataset **out,
                                char *msg, size_t msg_len)
{
    struct idx_file f;
    scl_dataset *ds = scl_calloc(1, sizeof(*ds));
    *out = NULL;
    if (!ds)
        return scl_msg_fail(msg, msg_len, SCL_ERR_NOMEM, "out of memory");
    scl_status st = open_idx(&f, images_path, 3, msg, msg_len);
    if (st == SCL_OK)
        st = read_images(&f, ds, msg, msg_len);
    close_idx(&f);
    if (st == SCL_OK)
        st = open_idx(&f, labels_path, 1, msg, msg_len);
    if (st == SCL_OK)
        st = read_labels(&f, ds, msg, msg_len);
    close_idx(&f);
    if (st != SCL_OK) {
        scl_dataset_destroy(ds);
        return st;
    }
    *out = ds;
    return SCL_OK;
}

static void find_file(const char *dir, const char *base, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", dir, base);
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
        return;
    }
    snprintf(path, len, "%s/%s.gz", dir, base);
}

scl_status scl_dataset_load_dir(const char *dir, const char *split, scl_dataset **out, char *msg,
                                size_t msg_len)
{
    char img[1024], lab[1024], base[64];
    const char *prefix;
    if (strcmp(split, "train") == 0)
        prefix = "train";
    else if (strcmp(split, "test") == 0)
        prefix = "t10k";
    else
        return scl_msg_fail(msg, msg_len, SCL_ERR_ARG, "unknown split '%s' (train or test)", split);
    snprintf(base, sizeof(base), "%s-images-idx3-ubyte", prefix);
    find_file(dir, base, img, sizeof(img));
    snprintf(base, sizeof(base), "%s-labels-idx1-ubyte", prefix);
    find_file(dir, base, lab, sizeof(lab));
    return scl_dataset_load_idx(img, lab, out, msg, msg_len);
}

scl_status scl_dataset_subset(const scl_dataset *src, const int32_t *idx, int32_t n,
                              scl_dataset **out)
{
    scl_dataset *ds = scl_calloc(1, sizeof(*ds));
    *out = NULL;
    if (!ds)
        return SCL_ERR_NOMEM;
    *ds = *src;
    ds->n = n;
    ds->x = scl_alloc((size_t)n * (size_t)src->dim * sizeof(float));
    ds->y = scl_alloc((size_t)n);
    if (!ds->x || !ds->y) {
        scl_dataset_destroy(ds);
        return SCL_ERR_NOMEM;
    }
    for (int32_t i = 0; i < n; i++) {
        if (idx[i] < 0 || idx[i] >= src->n) {
            scl_dataset_destroy(ds);
            return SCL_ERR_ARG;
        }
        memcpy(ds->x + (size_t)i * (size_t)src->dim, src->x + (size_t)idx[i] * (size_t)src->dim,
               (size_t)src->dim * sizeof(float));
        ds->y[i] = src->y[idx[i]];
    }
    *out = ds;
    return SCL_OK;
}

void scl_dataset_destroy(scl_dataset *ds)
{
    if (!ds)
        return;
    scl_free(ds->x);
    scl_free(ds->y);
    scl_free(ds);
}
