/*
 * Whole files in and out. Writes are never seen half-written: the content goes to a temporary
 * file beside the target (PATH.HOST-PID.tmp: two processes writing one path never share it, also
 * when they run on different machines sharing the directory, as sweep workers on a cluster do), is
 * flushed to the disk with fsync, and is renamed over PATH, which POSIX makes atomic; the
 * directory is then synced too, so a file reported written survives a power loss. A crash leaves
 * either the old file or the new one, and perhaps a stale temporary file. Every file the library
 * and the program write goes through here (models, diagnostics, results, manifests, the compiled
 * program cache), except the search's final/summary.txt (plain fopen) and the plots (gnuplot
 * writes them), and every whole file they read (kernels, cached programs, models, sleep inputs,
 * manifests).
 *
 * The target must be a regular file or not exist yet: a directory, FIFO or device node named as
 * an output is refused (errno EISDIR or ENOTSUP) rather than replaced by a regular file. A
 * symbolic link is written through: the file it points to is replaced and the link kept.
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* The file a write to `path` replaces: path itself, or the end of its symlink chain. Returns
 * false with errno set when that is an existing non-regular file. */
static bool resolve_target(const char *path, char *real, size_t n)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT)
            return false;
        /* A new file, or a dangling link: write at the path as given. */
        return (size_t)snprintf(real, n, "%s", path) < n || (errno = ENAMETOOLONG, false);
    }
    if (!S_ISREG(st.st_mode)) {
        errno = S_ISDIR(st.st_mode) ? EISDIR : ENOTSUP;
        return false;
    }
    char buf[PATH_MAX];
    if (!realpath(path, buf))
        return false;
    return (size_t)snprintf(real, n, "%s", buf) < n || (errno = ENAMETOOLONG, false);
}

/* This machine's name with its dots made underscores (the temporary suffix is one dot-separated
 * field), "host" if it has none. */
static void host_tag(char *out, size_t n)
{
    if (gethostname(out, n) != 0 || out[0] == '\0')
        snprintf(out, n, "host");
    out[n - 1] = '\0';
    for (char *c = out; *c; c++)
        if (*c == '.' || *c == '/')
            *c = '_';
}

FILE *scl_atomic_open(const char *path, char *tmp, size_t tmp_len)
{
    char real[PATH_MAX], host[64];
    if (!resolve_target(path, real, sizeof(real)))
        return NULL;
    host_tag(host, sizeof(host));
    int n = snprintf(tmp, tmp_len, "%s.%s-%ld.tmp", real, host, (long)getpid());
    if (n < 0 || (size_t)n >= tmp_len) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    return fopen(tmp, "wb");
}

/* fsync the directory holding `file`, so that a rename into it is on the disk. */
static bool sync_dir_of(const char *file)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", file);
    int fd = open(dirname(buf), O_RDONLY);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0 || errno == EINVAL; /* some filesystems cannot sync a directory */
    close(fd);
    return ok;
}

/* The target a temporary name was made for: tmp without its ".HOST-PID.tmp" suffix. */
static bool target_of(const char *tmp, char *out, size_t n)
{
    const char *dot = strrchr(tmp, '.');
    while (dot && dot > tmp && *--dot != '.')
        ;
    size_t len = dot ? (size_t)(dot - tmp) : 0;
    if (!dot || len == 0 || len >= n)
        return false;
    memcpy(out, tmp, len);
    out[len] = '\0';
    return true;
}

int scl_atomic_commit(FILE *f, const char *tmp, const char *path, int ok)
{
    char target[PATH_MAX];
    int err = 0;
    if (!f)
        return 0;
    (void)path; /* the temporary name already says where (a symlink's target) */
    if (!ok || ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0)
        err = errno ? errno : EIO;
    if (fclose(f) != 0 && !err)
        err = errno;
    if (!err && !target_of(tmp, target, sizeof(target)))
        err = ENAMETOOLONG;
    if (!err && (rename(tmp, target) != 0 || !sync_dir_of(target)))
        err = errno;
    if (err) {
        remove(tmp);
        errno = err;
        return 0;
    }
    return 1;
}

int scl_atomic_write(const char *path, const void *data, size_t len)
{
    char tmp[PATH_MAX + 32];
    FILE *f = scl_atomic_open(path, tmp, sizeof(tmp));
    if (!f)
        return 0;
    errno = 0;
    return scl_atomic_commit(f, tmp, path, len == 0 || fwrite(data, 1, len, f) == len);
}

scl_status scl_read_file(const char *path, char **out, size_t *len)
{
    struct stat st;
    *out = NULL;
    if (stat(path, &st) != 0)
        return SCL_ERR_IO;
    if (!S_ISREG(st.st_mode)) { /* a directory reads as an empty file through stdio */
        errno = S_ISDIR(st.st_mode) ? EISDIR : ENOTSUP;
        return SCL_ERR_IO;
    }
    FILE *f = fopen(path, "rb");
    long n = -1;
    if (!f)
        return SCL_ERR_IO;
    scl_status st2 = SCL_ERR_IO;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        char *buf = scl_alloc((size_t)n + 1);
        st2 = buf ? SCL_OK : SCL_ERR_NOMEM;
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n)
            st2 = SCL_ERR_IO;
        if (st2 == SCL_OK) {
            buf[n] = '\0';
            *out = buf;
            *len = (size_t)n;
        } else {
            scl_free(buf);
        }
    }
    fclose(f);
    return st2;
}
