/*
 * Claims on shared work (claim.h). A claim is a small file DIR/NAME.G holding its owner
 * "host pid start wall" (wall: when it was taken) and a heartbeat count that a thread of the owner
 * rewrites SCL_CLAIM_BEATS times per lease. Generations instead of removal: a stale claim is never
 * deleted or renamed (which would race with a process that just took it again); the next generation
 * is created by link(2), which fails when the name exists, so exactly one of the processes that
 * saw it stale wins. Heartbeats are
 * seen through the file's text, read after open(): over NFS open() revalidates the file
 * (close-to-open consistency), where a cached stat() could show an old time.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "claim.h"

#define SCL_CLAIM_MAX_GEN  100000
#define SCL_CLAIM_TEXT_LEN 160 /* the text is rewritten in place at this fixed length */

double scl_claim_lease(void)
{
    const char *v = getenv("SCL_CLAIM_LEASE");
    if (!v || !v[0])
        return SCL_CLAIM_LEASE_DEFAULT;
    char *end;
    double s = strtod(v, &end);
    if (*end || !(s >= 1.0 && s <= 86400.0)) {
        scl_app_error("SCL_CLAIM_LEASE: '%s' is not a number of seconds in [1, 86400]", v);
        return -1.0;
    }
    return s;
}

void scl_claim_host(char *buf, size_t n)
{
    if (gethostname(buf, n) != 0 || !buf[0])
        snprintf(buf, n, "unknown");
    buf[n - 1] = '\0';
    for (char *p = buf; *p; p++) /* the text is space-separated */
        if (*p == ' ')
            *p = '_';
}

/* Field 22 of /proc/PID/stat: the start time in clock ticks since boot, which tells a process
 * from a later one that got the same pid. 0 when unknown. */
static unsigned long long proc_start(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long start = 0;
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (p)
        start = strtoull(p + 1, NULL, 10);
    return start;
}

static double now_mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The whole text of a claim file ("" when unreadable); false when it does not exist. */
static bool read_claim(const char *path, char *text, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t k = pread(fd, text, n - 1, 0);
    close(fd);
    text[k > 0 ? k : 0] = '\0';
    return true;
}

bool scl_claim_parse(const char *text, struct scl_claim_owner *o)
{
    return sscanf(text, "%127s %ld %llu %lld", o->host, &o->pid, &o->start, &o->wall) == 4;
}

/* On this machine: whether the process the text names is gone. -1 when the text is of another
 * machine (or unreadable), 1 gone, 0 alive. */
static int local_gone(const char *text)
{
    char me[128];
    struct scl_claim_owner o;
    if (!scl_claim_parse(text, &o))
        return -1;
    scl_claim_host(me, sizeof(me));
    if (strcmp(o.host, me) != 0)
        return -1;
    if (kill((pid_t)o.pid, 0) != 0 && errno == ESRCH)
        return 1;
    unsigned long long now = proc_start(o.pid);
    return now != 0 && o.start != 0 && now != o.start;
}

/* The highest generation of dir/name (-1 when none) and its path. */
static int last_gen(const char *dir, const char *name, char *path, size_t n)
{
    int g = 0;
    for (; g < SCL_CLAIM_MAX_GEN; g++) {
        snprintf(path, n, "%s/%s.%d", dir, name, g);
        if (access(path, F_OK) != 0)
            break;
    }
    if (g > 0)
        snprintf(path, n, "%s/%s.%d", dir, name, g - 1);
    return g - 1;
}

/* Whether another process's claim (at path, with this text) has gone stale. */
static bool is_stale(struct scl_claim_watch *w, const char *path, const char *text)
{
    int gone = local_gone(text);
    if (gone >= 0)
        return gone == 1;
    double t = now_mono();
    for (int i = 0; i < w->n; i++) {
        struct scl_claim_seen *s = &w->v[i];
        if (strcmp(s->path, path) != 0)
            continue;
        if (strncmp(s->text, text, sizeof(s->text) - 1) != 0) { /* a heartbeat since */
            snprintf(s->text, sizeof(s->text), "%s", text);
            s->since = t;
            return false;
        }
        return t - s->since >= w->lease;
    }
    struct scl_claim_seen *v = realloc(w->v, sizeof(*v) * (size_t)(w->n + 1));
    if (!v)
        return false;
    w->v = v;
    snprintf(v[w->n].path, sizeof(v[w->n].path), "%s", path);
    snprintf(v[w->n].text, sizeof(v[w->n].text), "%s", text);
    v[w->n++].since = t;
    return false;
}

static int write_text(struct scl_claim *c)
{
    char text[SCL_CLAIM_TEXT_LEN + 1];
    int len = snprintf(text, sizeof(text), "%s %llu %lld", c->owner, (unsigned long long)c->beat,
                       (long long)time(NULL));
    if (len < 0 || len >= SCL_CLAIM_TEXT_LEN)
        len = SCL_CLAIM_TEXT_LEN - 1;
    memset(text + len, ' ', (size_t)(SCL_CLAIM_TEXT_LEN - 1 - len)); /* fixed length */
    text[SCL_CLAIM_TEXT_LEN - 1] = '\n';
    if (pwrite(c->fd, text, SCL_CLAIM_TEXT_LEN, 0) != SCL_CLAIM_TEXT_LEN || fsync(c->fd) != 0)
        return -1;
    return 0;
}

static void *heartbeat(void *arg)
{
    struct scl_claim *c = arg;
    double lease = scl_claim_lease();
    double period = (lease > 0 ? lease : SCL_CLAIM_LEASE_DEFAULT) / SCL_CLAIM_BEATS;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double s = (double)until.tv_sec + 1e-9 * (double)until.tv_nsec + period;
        until.tv_sec = (time_t)s;
        until.tv_nsec = (long)((s - (double)until.tv_sec) * 1e9);
        if (pthread_cond_timedwait(&c->cv, &c->mu, &until) == ETIMEDOUT && !c->stop) {
            c->beat++;
            if (write_text(c) != 0) /* the claim goes stale; another process redoes the work */
                scl_app_error("warning: %s: heartbeat not written: %s", c->path, strerror(errno));
        }
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* Create generation g of dir/name, text included, and start its heartbeat. The text is written
 * to a file of this process first and linked to the claim's name: link(2) fails if the name
 * exists, atomically on NFS too, so a claim never exists without its owner's text (a process
 * killed between an O_EXCL create and its first write would leave a claim no one can read). On
 * NFS a link can succeed and still report an error (a lost reply); the link count tells. */
static enum scl_claim_result create_gen(const char *dir, const char *name, int g,
                                        struct scl_claim *c)
{
    char host[128], tmp[1200];
    struct stat st;
    memset(c, 0, sizeof(*c));
    snprintf(c->path, sizeof(c->path), "%s/%s.%d", dir, name, g);
    snprintf(c->next, sizeof(c->next), "%s/%s.%d", dir, name, g + 1);
    scl_claim_host(host, sizeof(host));
    snprintf(tmp, sizeof(tmp), "%s.%s.%ld.tmp", c->path, host, (long)getpid());
    snprintf(c->owner, sizeof(c->owner), "%s %ld %llu %lld", host, (long)getpid(),
             proc_start((long)getpid()), (long long)time(NULL));
    c->fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (c->fd < 0 || write_text(c) != 0) {
        scl_app_error("%s: cannot write the claim: %s", tmp, strerror(errno));
        if (c->fd >= 0)
            close(c->fd);
        remove(tmp);
        return SCL_CLAIM_ERROR;
    }
    int linked = link(tmp, c->path), err = errno;
    if (linked != 0 && fstat(c->fd, &st) == 0 && st.st_nlink == 2)
        linked = 0;
    remove(tmp);
    if (linked != 0) {
        close(c->fd);
        if (err == EEXIST) /* another process took it first */
            return SCL_CLAIM_BUSY;
        scl_app_error("%s: cannot create the claim: %s", c->path, strerror(err));
        return SCL_CLAIM_ERROR;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->thread, NULL, heartbeat, c) != 0) {
        scl_app_error("%s: cannot start the heartbeat thread", c->path);
        close(c->fd);
        return SCL_CLAIM_ERROR;
    }
    c->held = true;
    return SCL_CLAIM_TAKEN;
}

enum scl_claim_result scl_claim_take(const char *dir, const char *name, struct scl_claim_watch *w,
                                     struct scl_claim *c)
{
    char path[1024], text[256];
    int g = last_gen(dir, name, path, sizeof(path));
    if (g >= SCL_CLAIM_MAX_GEN - 1) {
        scl_app_error("%s: too many generations of the claim", path);
        return SCL_CLAIM_ERROR;
    }
    if (g >= 0 && read_claim(path, text, sizeof(text)) && !is_stale(w, path, text))
        return SCL_CLAIM_BUSY;
    return create_gen(dir, name, g + 1, c);
}

bool scl_claim_superseded(const struct scl_claim *c)
{
    return access(c->next, F_OK) == 0;
}

void scl_claim_release(struct scl_claim *c)
{
    if (!c->held)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    close(c->fd);
    c->held = false;
}

bool scl_claim_peek(const char *dir, const char *name, double lease, char *text, size_t n,
                    bool *alive)
{
    char path[1024];
    struct stat st;
    *alive = false;
    if (last_gen(dir, name, path, sizeof(path)) < 0 || !read_claim(path, text, n))
        return false;
    text[strcspn(text, "\n")] = '\0';
    int gone = local_gone(text);
    if (gone >= 0)
        *alive = gone == 0;
    else /* another machine: its file time, against this machine's clock */
        *alive = stat(path, &st) == 0 && difftime(time(NULL), st.st_mtime) < lease;
    return true;
}

void scl_claim_watch_free(struct scl_claim_watch *w)
{
    free(w->v);
    w->v = NULL;
    w->n = 0;
}
