/*
 * Whole files in and out. Writes are never seen half-written: write to PATH.tmp, then rename()
 * over PATH, which POSIX makes atomic. A crash leaves either the old file or the new one (and
 * perhaps a stale .tmp that the next write replaces). Every file the library and the program
 * write goes through here (models, diagnostics, results, manifests; the program cache names its
 * temporary file by pid, since several processes may fill one cache entry at once), and every
 * whole file they read (kernels, cached programs, models, sleep inputs, manifests).
 */
#include <stdio.h>

#include "internal.h"

FILE *scl_atomic_open(const char *path, char *tmp, size_t tmp_len)
{
    int n = snprintf(tmp, tmp_len, "%s.tmp", path);
    if (n < 0 || (size_t)n >= tmp_len)
        return NULL;
    return fopen(tmp, "wb");
}

int scl_atomic_commit(FILE *f, const char *tmp, const char *path, int ok)
{
    if (!f)
        return 0;
    ok = ok && !ferror(f);
    if (fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return 0;
    }
    return 1;
}

int scl_atomic_write(const char *path, const void *data, size_t len)
{
    char tmp[1200];
    FILE *f = scl_atomic_open(path, tmp, sizeof(tmp));
    return scl_atomic_commit(f, tmp, path, f && (len == 0 || fwrite(data, 1, len, f) == len));
}

scl_status scl_read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long n = -1;
    *out = NULL;
    if (!f)
        return SCL_ERR_IO;
    scl_status st = SCL_ERR_IO;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        char *buf = scl_alloc((size_t)n + 1);
        st = buf ? SCL_OK : SCL_ERR_NOMEM;
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n)
            st = SCL_ERR_IO;
        if (st == SCL_OK) {
            buf[n] = '\0';
            *out = buf;
            *len = (size_t)n;
        } else {
            scl_free(buf);
        }
    }
    fclose(f);
    return st;
}
