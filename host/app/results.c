/*
 * The results of a sweep, kept so that nothing is lost: rows are buffered per trial and appended
 * when the trial ends by rewriting the file to PATH.tmp and renaming it over PATH, so the file on
 * disk always holds whole trials only, even after a SIGKILL. On start the existing file tells
 * which (trial, condition) pairs are done, and the sweep skips them: running the same command
 * again continues where it stopped, with no duplicated and no missing rows.
 *
 * Long form: trial,condition,stage,task,metric,value (results.csv) and
 * trial,condition,stage,true,pred,count (confusion.csv).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"

void scl_res_init(struct scl_res_store *r, const char *dir)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->dir, sizeof(r->dir), "%s", dir);
    r->slot = -1;
}

__attribute__((format(printf, 2, 0))) static int buf_add(struct scl_res_buf *b, const char *fmt,
                                                         va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return -1;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->cap ? 2 * b->cap : 4096) + (size_t)n;
        char *p = realloc(b->text, cap);
        if (!p)
            return -1;
        b->text = p;
        b->cap = cap;
    }
    vsnprintf(b->text + b->len, b->cap - b->len, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

void scl_res_row(struct scl_res_store *r, const char *stage, const char *task, const char *metric,
                 double value)
{
    char line[512];
    snprintf(line, sizeof(line), "%u,%s,%s,%s,%s,%.6g\n", r->trial, r->condition, stage, task,
             metric, value);
    scl_res_printf(&r->rows, "%s", line);
}

void scl_res_printf(struct scl_res_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_add(b, fmt, ap);
    va_end(ap);
}

static void scl_res_confusion(struct scl_res_store *r, const char *stage, const struct scl_eval *e)
{
    for (int32_t t = 0; t < e->n_classes; t++)
        for (int32_t p = 0; p < e->n_classes; p++)
            scl_res_printf(&r->confusion, "%u,%s,%s,%d,%d,%d\n", r->trial, r->condition, stage, t,
                           p, e->confusion[t * e->n_classes + p]);
}

void scl_res_eval(struct scl_res_store *r, const char *stage, const struct scl_eval *e)
{
    char cls[16];
    scl_res_row(r, stage, "all", "accuracy", e->accuracy);
    for (int32_t c = 0; c < e->n_classes; c++) {
        snprintf(cls, sizeof(cls), "class%d", c);
        scl_res_row(r, stage, cls, "accuracy", e->class_accuracy[c]);
    }
    scl_res_confusion(r, stage, e);
}

/* Append `add` to dir/name (creating it with `header`) through a temporary file and rename. */
static int append_atomic(const char *dir, const char *name, const char *header,
                         const struct scl_res_buf *add)
{
    char path[1024], tmp[1200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *in = fopen(path, "rb");
    FILE *out = scl_atomic_open(path, tmp, sizeof(tmp));
    bool ok = out != NULL;
    if (ok && !in)
        ok = fputs(header, out) >= 0;
    char chunk[65536];
    size_t n;
    while (ok && in && (n = fread(chunk, 1, sizeof(chunk), in)) > 0)
        ok = fwrite(chunk, 1, n, out) == n;
    if (in)
        fclose(in);
    if (ok && add->len)
        ok = fwrite(add->text, 1, add->len, out) == add->len;
    if (!scl_atomic_commit(out, tmp, path, ok)) {
        scl_app_error("%s: cannot write: %s", path, strerror(errno));
        return SCL_EXIT_RUNTIME;
    }
    return SCL_EXIT_OK;
}

/* A worker's trial: its own two files, each written whole; results.csv last, as the mark
 * that the trial is done (exp_work.c merges them in plan order). */
static int commit_slot(struct scl_res_store *r)
{
    char dir[600], path[700];
    snprintf(dir, sizeof(dir), "%s/trials", r->dir);
    int rc = scl_app_mkdir_p(dir);
    snprintf(path, sizeof(path), "%s/%d.confusion.csv", dir, r->slot);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_write_atomic(path, r->confusion.text ? r->confusion.text : "",
                                  r->confusion.len);
    snprintf(path, sizeof(path), "%s/%d.results.csv", dir, r->slot);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_write_atomic(path, r->rows.text ? r->rows.text : "", r->rows.len);
    r->rows.len = 0;
    r->confusion.len = 0;
    return rc;
}

int scl_res_commit(struct scl_res_store *r)
{
    if (r->slot >= 0)
        return commit_slot(r);
    /* confusion first: a crash between the two leaves the trial not done in results.csv, and
     * its confusion rows are then dropped on resume (scl_res_load rewrites confusion.csv). */
    int rc = append_atomic(r->dir, "confusion.csv", "trial,condition,stage,true,pred,count\n",
                           &r->confusion);
    if (rc == SCL_EXIT_OK)
        rc = append_atomic(r->dir, "results.csv", "trial,condition,stage,task,metric,value\n",
                           &r->rows);
    r->rows.len = 0;
    r->confusion.len = 0;
    return rc;
}

void scl_res_free(struct scl_res_store *r)
{
    free(r->rows.text);
    free(r->confusion.text);
    for (int i = 0; i < r->n_done; i++)
        free(r->done[i]);
    free(r->done);
    if (r->locked)
        close(r->lock_fd);
    r->locked = false;
    memset(&r->rows, 0, sizeof(r->rows));
}

static void add_done(struct scl_res_store *r, const char *key)
{
    for (int i = 0; i < r->n_done; i++)
        if (strcmp(r->done[i], key) == 0)
            return;
    char **d = realloc(r->done, sizeof(*d) * (size_t)(r->n_done + 1));
    if (!d)
        return;
    r->done = d;
    r->done[r->n_done++] = strdup(key);
}

/* "trial,condition" of a CSV line, or false. */
static bool line_key(const char *line, char *key, size_t n)
{
    const char *c1 = strchr(line, ',');
    const char *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
    if (!c2 || (size_t)(c2 - line) >= n)
        return false;
    memcpy(key, line, (size_t)(c2 - line));
    key[c2 - line] = '\0';
    return true;
}

bool scl_res_is_done(const struct scl_res_store *r, uint32_t trial, const char *condition)
{
    char key[256];
    snprintf(key, sizeof(key), "%u,%s", trial, condition);
    for (int i = 0; i < r->n_done; i++)
        if (strcmp(r->done[i], key) == 0)
            return true;
    return false;
}

/* Keep only confusion rows of trials that results.csv calls done (see scl_res_commit). */
static int prune_confusion(struct scl_res_store *r)
{
    char path[1024], line[512], key[256];
    struct scl_res_buf keep = {0};
    snprintf(path, sizeof(path), "%s/confusion.csv", r->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return SCL_EXIT_OK;
    bool header = true;
    while (fgets(line, sizeof(line), f)) {
        if (header) {
            header = false;
            continue;
        }
        if (line_key(line, key, sizeof(key)))
            for (int i = 0; i < r->n_done; i++)
                if (strcmp(r->done[i], key) == 0) {
                    scl_res_printf(&keep, "%s", line);
                    break;
                }
    }
    fclose(f);
    /* Replaced in one rename: removing it first would lose every kept row to a kill between. */
    const char *head = "trial,condition,stage,true,pred,count\n";
    size_t hlen = strlen(head);
    char *text = malloc(hlen + keep.len + 1);
    int rc = text ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
    if (text) {
        memcpy(text, head, hlen);
        if (keep.len)
            memcpy(text + hlen, keep.text, keep.len);
        rc = scl_app_write_atomic(path, text, hlen + keep.len);
    } else {
        scl_app_error("%s: out of memory", path);
    }
    free(text);
    free(keep.text);
    return rc;
}

/* One writer per run directory: an advisory lock on DIR/.lock, held until the process ends (the
 * descriptor stays open until scl_res_free; the kernel drops the lock when the process dies,
 * however it dies). The file holds the owner's pid so that a refused second writer can say who
 * holds it. Shared: the workers of a sweep (exp_work.c), which coordinate through claims; the
 * lock only keeps a one-process run out while they work, and them out while it does. */
static int lock_dir(const char *dir, int *fd_out, bool shared)
{
    char path[1024], owner[32] = "";
    snprintf(path, sizeof(path), "%s/.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        scl_app_error("%s: cannot open the run directory's lock: %s", path, strerror(errno));
        return SCL_EXIT_RUNTIME;
    }
    struct flock lk = {.l_type = shared ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &lk) != 0) {
        struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_GETLK, &who) == 0 && who.l_type == F_RDLCK) { /* workers hold it */
            scl_app_error("%s is in use by sleepcl workers (pid %ld among them); run one more "
                          "with --worker, or wait for them to finish",
                          dir, (long)who.l_pid);
            close(fd);
            return SCL_EXIT_RUNTIME;
        }
        ssize_t n = pread(fd, owner, sizeof(owner) - 1, 0);
        owner[n > 0 ? n : 0] = '\0';
        owner[strcspn(owner, "\n")] = '\0';
        scl_app_error("%s is in use by another sleepcl process (pid %s); wait for it to finish "
                      "or choose another run.out",
                      dir, owner[0] ? owner : "unknown");
        close(fd);
        return SCL_EXIT_RUNTIME;
    }
    int len = snprintf(owner, sizeof(owner), "%ld\n", (long)getpid());
    if (!shared && (ftruncate(fd, 0) != 0 || pwrite(fd, owner, (size_t)len, 0) != len))
        scl_app_error("warning: %s: cannot record the owner's pid: %s", path, strerror(errno));
    *fd_out = fd; /* kept open: closing it releases the lock */
    return SCL_EXIT_OK;
}

int scl_res_lock_dir(const char *dir, int *fd_out)
{
    return lock_dir(dir, fd_out, false);
}

int scl_res_lock(struct scl_res_store *r)
{
    if (r->locked)
        return SCL_EXIT_OK;
    int rc = lock_dir(r->dir, &r->lock_fd, r->shared);
    r->locked = rc == SCL_EXIT_OK;
    return rc;
}

void scl_res_read_done(struct scl_res_store *r)
{
    char path[1024], line[512], key[256];
    snprintf(path, sizeof(path), "%s/results.csv", r->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    bool header = true;
    while (fgets(line, sizeof(line), f)) {
        if (!header && line_key(line, key, sizeof(key)))
            add_done(r, key);
        header = false;
    }
    fclose(f);
}

int scl_res_load(struct scl_res_store *r)
{
    if (scl_res_lock(r) != SCL_EXIT_OK)
        return SCL_EXIT_RUNTIME;
    scl_res_read_done(r);
    /* A worker leaves confusion.csv alone: only the pass that merges the trials rewrites it. */
    return r->shared ? SCL_EXIT_OK : prune_confusion(r);
}
