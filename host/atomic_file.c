/*
 * Files that are never seen half-written: write to PATH.tmp, then rename() over PATH, which POSIX
 * makes atomic. A crash leaves either the old file or the new one (and perhaps a stale .tmp that
 * the next write replaces). Every file the library and the program write goes through here:
 * models, caches, diagnostics, results, manifests.
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

bool scl_atomic_commit(FILE *f, const char *tmp, const char *path, bool ok)
{
    if (!f)
        return false;
    ok = ok && !ferror(f);
    if (fclose(f) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return false;
    }
    return true;
}

bool scl_atomic_write(const char *path, const void *data, size_t len)
{
    char tmp[1200];
    FILE *f = scl_atomic_open(path, tmp, sizeof(tmp));
    return scl_atomic_commit(f, tmp, path, f && (len == 0 || fwrite(data, 1, len, f) == len));
}
