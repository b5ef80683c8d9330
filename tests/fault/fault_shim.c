/*
 * I/O fault injection in the style of SQLite's crash tests: an LD_PRELOAD library that sits
 * between the program and libc's file-mutating calls, counts those that touch files under one
 * directory, and at call number N kills the process or makes that one call fail.
 *
 * Environment (read once, at load):
 *   SCL_FAULT_DIR   only calls on paths under this directory count (required: unset, the shim
 *                   does nothing); the kernel caches, PoCL and the terminal stay out of it
 *   SCL_FAULT_AT    N >= 1: inject at the N-th counted call; 0 or unset: only count
 *   SCL_FAULT_MODE  kill (SIGKILL before the call runs; what a crash or power cut leaves),
 *                   enospc or eio (the call fails with that errno and does nothing, except
 *                   fclose, which still releases the stream as a real failed close does)
 *   SCL_FAULT_LOG   append "N op path" for every counted call (and "N op path FAULT mode" for
 *                   the injected one), for the test to learn K and the write sites
 *
 * Intercepted at the libc API: fopen/fopen64 for writing, open/open64/openat/creat that can
 * create or write, fwrite, fputs, fflush, fclose of a stream open for writing, fsync, fdatasync,
 * ftruncate, write, pwrite, rename, unlink, remove, mkdir. fprintf and friends are not (varargs;
 * what they buffer reaches the file at fflush/fclose, which are). glibc's own internal calls
 * (fclose flushing, remove unlinking) bypass the PLT, so each program call counts once.
 *
 * The shim removes itself from LD_PRELOAD at load, so children (gnuplot) run without it: their
 * calls would start a count of their own.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum fault_mode { MODE_COUNT, MODE_KILL, MODE_ERRNO };

static struct {
    bool on;
    char dir[PATH_MAX];
    size_t dir_len;
    long at;
    enum fault_mode mode;
    int err;
    const char *mode_name;
    int log_fd;
    long count;
} g = {.log_fd = -1};

/* The real functions, found on first use. */
#define REAL(name) ((__typeof__(&name))real_fn(#name))
static void *real_fn(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        fprintf(stderr, "fault_shim: no %s in libc\n", name);
        abort();
    }
    return f;
}

/* Collapse "//" and "/./" so that the paths the program passes compare with the directory. */
static void normalize(const char *in, char *out, size_t n)
{
    char abs[PATH_MAX * 2];
    if (in[0] != '/') {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            cwd[0] = '\0';
        snprintf(abs, sizeof(abs), "%s/%s", cwd, in);
    } else {
        snprintf(abs, sizeof(abs), "%s", in);
    }
    size_t o = 0;
    for (const char *p = abs; *p && o + 1 < n; p++) {
        if (*p == '/' && o > 0 && out[o - 1] == '/')
            continue;
        if (*p == '/' && p[1] == '.' && (p[2] == '/' || p[2] == '\0')) {
            p++;
            continue;
        }
        out[o++] = *p;
    }
    out[o] = '\0';
}

static bool under_dir(const char *path)
{
    return strncmp(path, g.dir, g.dir_len) == 0 &&
           (path[g.dir_len] == '/' || path[g.dir_len] == '\0');
}

static bool fd_path(int fd, char *out, size_t n)
{
    char link[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t len = readlink(link, out, n - 1);
    if (len <= 0)
        return false;
    out[len] = '\0';
    return true;
}

static void log_line(long n, const char *op, const char *path, bool fault)
{
    if (g.log_fd < 0)
        return;
    char line[PATH_MAX + 128];
    int len = snprintf(line, sizeof(line), "%ld %s %s%s%s\n", n, op, path, fault ? " FAULT " : "",
                       fault ? g.mode_name : "");
    if (len > 0)
        (void)REAL(write)(g.log_fd, line, (size_t)len < sizeof(line) ? (size_t)len : sizeof(line));
}

/* Count a call on `path` (already normalized); true when this call must fail (errno set). A
 * kill does not return. */
static bool fault_here(const char *op, const char *path)
{
    if (!g.on || !under_dir(path))
        return false;
    long n = __atomic_add_fetch(&g.count, 1, __ATOMIC_SEQ_CST);
    bool hit = g.mode != MODE_COUNT && n == g.at;
    log_line(n, op, path, hit);
    if (!hit)
        return false;
    if (g.mode == MODE_KILL)
        raise(SIGKILL);
    errno = g.err;
    return true;
}

static bool fault_path(const char *op, const char *path)
{
    if (!g.on || !path)
        return false;
    char norm[PATH_MAX];
    normalize(path, norm, sizeof(norm));
    return fault_here(op, norm);
}

/* Descriptors: only those open for writing, or directories (fsync of a directory commits a
 * rename), are file mutations. */
static bool fault_fd(const char *op, int fd, bool need_write)
{
    if (!g.on || fd < 0)
        return false;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (need_write && (fl & O_ACCMODE) == O_RDONLY))
        return false;
    char path[PATH_MAX];
    return fd_path(fd, path, sizeof(path)) && fault_here(op, path);
}

static bool fault_stream(const char *op, FILE *f)
{
    return g.on && f && fault_fd(op, fileno(f), true);
}

/* A stream whose write failed has its error indicator set, which ferror() reports later, as
 * glibc does when the write underneath fails. */
static void set_stream_error(FILE *f)
{
#ifdef _IO_ERR_SEEN
    f->_flags |= _IO_ERR_SEEN;
#endif
}

__attribute__((constructor)) static void shim_init(void)
{
    const char *dir = getenv("SCL_FAULT_DIR");
    const char *at = getenv("SCL_FAULT_AT");
    const char *mode = getenv("SCL_FAULT_MODE");
    const char *log = getenv("SCL_FAULT_LOG");
    unsetenv("LD_PRELOAD");
    if (!dir || !dir[0])
        return;
    normalize(dir, g.dir, sizeof(g.dir));
    g.dir_len = strlen(g.dir);
    while (g.dir_len > 1 && g.dir[g.dir_len - 1] == '/')
        g.dir[--g.dir_len] = '\0';
    g.at = at ? strtol(at, NULL, 10) : 0;
    g.mode_name = mode && mode[0] ? mode : "count";
    g.mode = MODE_COUNT;
    if (g.at > 0 && strcmp(g.mode_name, "kill") == 0)
        g.mode = MODE_KILL;
    else if (g.at > 0 && (strcmp(g.mode_name, "enospc") == 0 || strcmp(g.mode_name, "eio") == 0))
        g.mode = MODE_ERRNO;
    else if (g.at > 0) {
        fprintf(stderr, "fault_shim: SCL_FAULT_MODE must be kill, enospc or eio\n");
        abort();
    }
    g.err = strcmp(g.mode_name, "eio") == 0 ? EIO : ENOSPC;
    if (log && log[0])
        g.log_fd = REAL(open)(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    g.on = true;
}

/* ---------------------------------------------------------------- paths */

static bool writes(const char *mode)
{
    return mode && (strchr(mode, 'w') || strchr(mode, 'a') || strchr(mode, '+'));
}

FILE *fopen(const char *path, const char *mode)
{
    if (writes(mode) && fault_path("fopen", path))
        return NULL;
    return REAL(fopen)(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
    if (writes(mode) && fault_path("fopen", path))
        return NULL;
    return REAL(fopen64)(path, mode);
}

static bool open_mutates(int flags)
{
    return (flags & (O_CREAT | O_TRUNC)) || (flags & O_ACCMODE) != O_RDONLY;
}

static mode_t open_mode(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = open_mode(flags, ap);
    va_end(ap);
    if (open_mutates(flags) && fault_path("open", path))
        return -1;
    return REAL(open)(path, flags, m);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = open_mode(flags, ap);
    va_end(ap);
    if (open_mutates(flags) && fault_path("open", path))
        return -1;
    return REAL(open64)(path, flags, m);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = open_mode(flags, ap);
    va_end(ap);
    /* Relative to a directory descriptor: only AT_FDCWD and absolute paths are resolved. */
    if (open_mutates(flags) && (dirfd == AT_FDCWD || path[0] == '/') && fault_path("open", path))
        return -1;
    return REAL(openat)(dirfd, path, flags, m);
}

int creat(const char *path, mode_t m)
{
    if (fault_path("open", path))
        return -1;
    return REAL(creat)(path, m);
}

int rename(const char *from, const char *to)
{
    if (fault_path("rename", to))
        return -1;
    return REAL(rename)(from, to);
}

int unlink(const char *path)
{
    if (fault_path("unlink", path))
        return -1;
    return REAL(unlink)(path);
}

int remove(const char *path)
{
    if (fault_path("remove", path))
        return -1;
    return REAL(remove)(path);
}

int mkdir(const char *path, mode_t m)
{
    if (fault_path("mkdir", path))
        return -1;
    return REAL(mkdir)(path, m);
}

/* ---------------------------------------------------------------- streams and descriptors */

size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    if (fault_stream("fwrite", f)) {
        set_stream_error(f);
        return 0;
    }
    return REAL(fwrite)(p, size, n, f);
}

int fputs(const char *s, FILE *f)
{
    if (fault_stream("fputs", f)) {
        set_stream_error(f);
        return EOF;
    }
    return REAL(fputs)(s, f);
}

int fflush(FILE *f)
{
    if (fault_stream("fflush", f)) {
        set_stream_error(f);
        return EOF;
    }
    return REAL(fflush)(f);
}

int fclose(FILE *f)
{
    if (fault_stream("fclose", f)) {
        int err = errno;
        (void)REAL(fclose)(f);
        errno = err;
        return EOF;
    }
    return REAL(fclose)(f);
}

int fsync(int fd)
{
    if (fault_fd("fsync", fd, false))
        return -1;
    return REAL(fsync)(fd);
}

int fdatasync(int fd)
{
    if (fault_fd("fdatasync", fd, false))
        return -1;
    return REAL(fdatasync)(fd);
}

int ftruncate(int fd, off_t len)
{
    if (fault_fd("ftruncate", fd, true))
        return -1;
    return REAL(ftruncate)(fd, len);
}

ssize_t write(int fd, const void *p, size_t n)
{
    if (fd > 2 && fault_fd("write", fd, true))
        return -1;
    return REAL(write)(fd, p, n);
}

ssize_t pwrite(int fd, const void *p, size_t n, off_t off)
{
    if (fault_fd("pwrite", fd, true))
        return -1;
    return REAL(pwrite)(fd, p, n, off);
}
