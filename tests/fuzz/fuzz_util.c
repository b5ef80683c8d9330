/* Scratch files and checks for the fuzz targets (fuzz_util.h). */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include "fuzz_util.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sleepcl/sleepcl.h"

static char scratch[256];

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_scratch(void)
{
    if (scratch[0])
        nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* tmpfs when there is one: fsync there costs nothing, and the targets that save files sync. */
static const char *scratch_parent(void)
{
    if (access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    const char *t = getenv("TMPDIR");
    return t && t[0] ? t : "/tmp";
}

static const char *scratch_dir(void)
{
    if (scratch[0])
        return scratch;
    snprintf(scratch, sizeof(scratch), "%s/scl-fuzz-XXXXXX", scratch_parent());
    if (!mkdtemp(scratch)) {
        perror("scl-fuzz: mkdtemp");
        abort();
    }
    atexit(remove_scratch);
    return scratch;
}

void scl_fuzz_path(const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", scratch_dir(), name);
}

void scl_fuzz_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

void scl_fuzz_remove(const char *path)
{
    (void)remove(path);
}

char *scl_fuzz_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *more = realloc(buf, 2 * cap + 1);
            if (!more) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = more;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        abort();
    buf[n] = '\0';
    *len = n;
    return buf;
}

void scl_fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "scl-fuzz: property broken: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

uint32_t scl_fuzz_take_u8(const uint8_t **data, size_t *size)
{
    if (*size < 1)
        return 0;
    uint32_t v = (*data)[0];
    *data += 1;
    *size -= 1;
    return v;
}

uint32_t scl_fuzz_take_u16(const uint8_t **data, size_t *size)
{
    if (*size < 2)
        return 0;
    uint32_t v = (uint32_t)(*data)[0] | (uint32_t)(*data)[1] << 8;
    *data += 2;
    *size -= 2;
    return v;
}

void scl_fuzz_quiet(void)
{
    scl_set_log_callback(NULL, NULL);
}

void scl_fuzz_check_labels(const struct scl_dataset *ds, int32_t limit)
{
    int32_t top = -1;
    for (int32_t i = 0; i < ds->n; i++) {
        if (ds->y[i] >= ds->n_classes || ds->y[i] >= limit || ds->n_classes > SCL_MAX_CLASSES)
            scl_fuzz_fail("label %u at %d, n_classes %d", ds->y[i], i, ds->n_classes);
        top = ds->y[i] > top ? ds->y[i] : top;
    }
    if (top + 1 != ds->n_classes)
        scl_fuzz_fail("n_classes %d, largest label %d", ds->n_classes, top);
}
