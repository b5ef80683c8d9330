/*
 * Trials as the unit of work (sleepcl run --worker; docs/CLUSTER.md). A sweep's trials are
 * planned once, in the order the protocol's loops visit them: a planning pass runs the
 * protocol with every trial refused, recording (trial, condition) in order, and writes
 * plan.csv. Then either one process runs them all (as always), or any number of workers, on
 * one machine or many sharing the run directory, each take trials no one else holds through a
 * claim (claim.c) and write each trial to trials/I.{confusion,results}.csv. A worker that finds
 * every trial done takes the claim "finish", merges the trials into results.csv and
 * confusion.csv in plan order, and writes the summary and plots as a one-process run does: the
 * files end byte for byte as that run's, however many workers ran, in whatever order, and
 * whoever of them died. A trial done twice (a worker taken for dead that was not) is written
 * twice with the same bytes under the same name, and merged once.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "claim.h"
#include "exp.h"

enum work_mode {
    WORK_PLAN,   /* record the plan, run nothing */
    WORK_ONE,    /* this process runs every trial not done */
    WORK_WORKER, /* this process runs the trials it can claim */
};

struct scl_exp_work {
    enum work_mode mode;
    char **keys; /* the plan: "trial,condition" in order */
    int n_keys;
    int pos;  /* plan index of the next scl_exp_take */
    int busy; /* trials of this pass held by live workers */
    bool failed;
    struct scl_claim claim; /* the trial this worker runs */
    struct scl_claim_watch watch;
    char claims[600]; /* DIR/claims */
    struct stat results_seen;
};

static const char results_head[] = "trial,condition,stage,task,metric,value\n";
static const char confusion_head[] = "trial,condition,stage,true,pred,count\n";

static void slot_path(const struct scl_exp_env *env, int i, const char *what, char *buf, size_t n)
{
    snprintf(buf, n, "%s/trials/%d.%s.csv", env->out, i, what);
}

static bool slot_done(const struct scl_exp_env *env, int i)
{
    char path[700];
    slot_path(env, i, "results", path, sizeof(path));
    return access(path, F_OK) == 0;
}

/* results.csv again when it changed since last read (the merge of a finishing worker). */
static int reload_results(struct scl_exp_env *env)
{
    char path[700];
    struct stat st;
    snprintf(path, sizeof(path), "%s/results.csv", env->out);
    if (stat(path, &st) != 0)
        return SCL_EXIT_OK;
    struct stat *seen = &env->work->results_seen;
    if (st.st_ino == seen->st_ino && st.st_size == seen->st_size &&
        st.st_mtim.tv_sec == seen->st_mtim.tv_sec && st.st_mtim.tv_nsec == seen->st_mtim.tv_nsec)
        return SCL_EXIT_OK;
    *seen = st;
    return scl_res_load(&env->res);
}

static bool add_key(struct scl_exp_work *w, const char *key)
{
    char **k = realloc(w->keys, sizeof(*k) * (size_t)(w->n_keys + 1));
    if (!k)
        return false;
    w->keys = k;
    return (w->keys[w->n_keys++] = strdup(key)) != NULL;
}

bool scl_exp_take(struct scl_exp_env *env)
{
    struct scl_exp_work *w = env->work;
    int i = w->pos++;
    scl_claim_release(&w->claim); /* the previous trial is committed */
    env->res.slot = -1;
    if (w->mode == WORK_PLAN) {
        char key[256];
        snprintf(key, sizeof(key), "%u,%s", env->res.trial, env->res.condition);
        w->failed |= !add_key(w, key);
        return false;
    }
    bool done = slot_done(env, i);
    if (!done && w->mode == WORK_WORKER && reload_results(env) != SCL_EXIT_OK)
        w->failed = true;
    done = done || scl_res_is_done(&env->res, env->res.trial, env->res.condition);
    if (done || w->failed) {
        env->trials_skipped++;
        return false;
    }
    if (w->mode == WORK_ONE)
        return true;
    char name[32];
    snprintf(name, sizeof(name), "trial%d", i);
    switch (scl_claim_take(w->claims, name, &w->watch, &w->claim)) {
    case SCL_CLAIM_TAKEN:
        env->res.slot = i;
        return true;
    case SCL_CLAIM_BUSY:
        w->busy++;
        return false;
    default:
        w->failed = true;
        return false;
    }
}

/* ------------------------------------------------------------------ the plan */

static int write_plan(struct scl_exp_env *env)
{
    struct scl_res_buf b = {0};
    char path[700];
    scl_res_printf(&b, "index,trial,condition\n");
    for (int i = 0; i < env->work->n_keys; i++)
        scl_res_printf(&b, "%d,%s\n", i, env->work->keys[i]);
    snprintf(path, sizeof(path), "%s/plan.csv", env->out);
    char *old = NULL;
    size_t n = 0;
    bool same =
        scl_read_file(path, &old, &n) == SCL_OK && n == b.len && memcmp(old, b.text, n) == 0;
    scl_free(old);
    int rc = same ? SCL_EXIT_OK : scl_app_write_atomic(path, b.text, b.len);
    free(b.text);
    return rc;
}

/* ------------------------------------------------------------------ the merge */

/* A file cut into runs of lines that share the key "trial,condition" (a trial's rows are
 * written together, so each trial is one run). */
struct block {
    char key[256];
    const char *text;
    size_t len;
    bool used;
};
struct blocks {
    char *text;
    struct block *v;
    int n;
};

static void key_of(const char *line, const char *end, char *key, size_t n)
{
    const char *c1 = memchr(line, ',', (size_t)(end - line));
    const char *c2 = c1 ? memchr(c1 + 1, ',', (size_t)(end - c1 - 1)) : NULL;
    size_t len = c2 ? (size_t)(c2 - line) : 0;
    if (len >= n)
        len = 0;
    memcpy(key, line, len);
    key[len] = '\0';
}

static int read_blocks(const char *path, struct blocks *b)
{
    size_t n = 0;
    memset(b, 0, sizeof(*b));
    if (scl_read_file(path, &b->text, &n) != SCL_OK) {
        if (errno == ENOENT)
            return SCL_EXIT_OK;
        scl_app_error("%s: cannot read: %s", path, strerror(errno));
        return SCL_EXIT_RUNTIME;
    }
    const char *p = b->text, *end = b->text + n;
    const char *nl = memchr(p, '\n', n);
    p = nl ? nl + 1 : end; /* the header */
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        const char *next = nl ? nl + 1 : end;
        char key[256];
        key_of(p, next, key, sizeof(key));
        if (!nl) /* a torn last line cannot come from the atomic writer; leave it out */
            break;
        if (b->n == 0 || strcmp(b->v[b->n - 1].key, key) != 0) {
            struct block *v = realloc(b->v, sizeof(*v) * (size_t)(b->n + 1));
            if (!v)
                return SCL_EXIT_RUNTIME;
            b->v = v;
            memset(&v[b->n], 0, sizeof(*v));
            snprintf(v[b->n].key, sizeof(v[b->n].key), "%s", key);
            v[b->n++].text = p;
        }
        b->v[b->n - 1].len = (size_t)(next - b->v[b->n - 1].text);
        p = next;
    }
    return SCL_EXIT_OK;
}

/* The first run of lines with this key (later ones would be a trial counted twice). */
static struct block *find_block(struct blocks *b, const char *key)
{
    for (int i = 0; i < b->n; i++)
        if (strcmp(b->v[i].key, key) == 0)
            return &b->v[i];
    return NULL;
}

static void free_blocks(struct blocks *b)
{
    scl_free(b->text);
    free(b->v);
}

/* Append the whole file at path to out (nothing when it does not exist). */
static int append_file(struct scl_res_buf *out, const char *path)
{
    char *text = NULL;
    size_t n = 0;
    if (scl_read_file(path, &text, &n) != SCL_OK) {
        if (errno == ENOENT)
            return SCL_EXIT_OK;
        scl_app_error("%s: cannot read: %s", path, strerror(errno));
        return SCL_EXIT_RUNTIME;
    }
    if (n)
        scl_res_printf(out, "%.*s", (int)n, text);
    scl_free(text);
    return SCL_EXIT_OK;
}

/* Write text to dir/name unless it already holds exactly that. */
static int write_if_changed(const char *dir, const char *name, const struct scl_res_buf *b)
{
    char path[700], *old = NULL;
    size_t n = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    bool same =
        scl_read_file(path, &old, &n) == SCL_OK && n == b->len && memcmp(old, b->text, n) == 0;
    scl_free(old);
    return same ? SCL_EXIT_OK : scl_app_write_atomic(path, b->text, b->len);
}

/* results.csv and confusion.csv: every done trial once, in plan order, from the files or the
 * workers' trials; then the trials' own files go. Also drops confusion rows of a trial that
 * results.csv does not hold (a one-process run killed between its two appends). */
static int merge(struct scl_exp_env *env)
{
    struct scl_exp_work *w = env->work;
    struct blocks res, conf;
    struct scl_res_buf r = {0}, c = {0};
    char path[700];
    bool any_slot = false;
    snprintf(path, sizeof(path), "%s/results.csv", env->out);
    int rc = read_blocks(path, &res);
    snprintf(path, sizeof(path), "%s/confusion.csv", env->out);
    if (rc == SCL_EXIT_OK)
        rc = read_blocks(path, &conf);
    scl_res_printf(&r, "%s", results_head);
    scl_res_printf(&c, "%s", confusion_head);
    for (int i = 0; rc == SCL_EXIT_OK && i < w->n_keys; i++) {
        struct block *b = find_block(&res, w->keys[i]);
        if (b) {
            struct block *cb = find_block(&conf, w->keys[i]);
            b->used = true;
            scl_res_printf(&r, "%.*s", (int)b->len, b->text);
            if (cb)
                scl_res_printf(&c, "%.*s", (int)cb->len, cb->text);
        } else if (slot_done(env, i)) {
            any_slot = true;
            slot_path(env, i, "results", path, sizeof(path));
            rc = append_file(&r, path);
            slot_path(env, i, "confusion", path, sizeof(path));
            if (rc == SCL_EXIT_OK)
                rc = append_file(&c, path);
        }
    }
    for (int i = 0; i < res.n; i++) /* not in the plan: kept, never lost */
        if (!res.v[i].used)
            scl_res_printf(&r, "%.*s", (int)res.v[i].len, res.v[i].text);
    free_blocks(&res);
    free_blocks(&conf);
    /* confusion first, as scl_res_commit: a kill between leaves rows results.csv lacks, which
     * the next merge drops. */
    if (rc == SCL_EXIT_OK && (any_slot || res.n))
        rc = write_if_changed(env->out, "confusion.csv", &c);
    if (rc == SCL_EXIT_OK && (any_slot || res.n))
        rc = write_if_changed(env->out, "results.csv", &r);
    for (int i = 0; rc == SCL_EXIT_OK && any_slot && i < w->n_keys; i++) {
        slot_path(env, i, "results", path, sizeof(path));
        remove(path); /* results first: a confusion file alone is not a done trial */
        slot_path(env, i, "confusion", path, sizeof(path));
        remove(path);
    }
    free(r.text);
    free(c.text);
    return rc;
}

/* ------------------------------------------------------------------ running */

static int one_pass(struct scl_exp_env *env, int (*run)(struct scl_exp_env *))
{
    struct scl_exp_work *w = env->work;
    w->pos = 0;
    w->busy = 0;
    env->trials_skipped = 0;
    env->trials_run = 0;
    int rc = run(env);
    scl_claim_release(&w->claim);
    env->res.slot = -1;
    if (rc == SCL_EXIT_OK && w->failed)
        rc = SCL_EXIT_RUNTIME;
    return rc;
}

/* The finish of a worker: merge, summary and plots, once, under the claim "finish"; a marker
 * file tells later workers it is done. */
static int worker_finish(struct scl_exp_env *env, int (*finish)(struct scl_exp_env *), bool *done)
{
    struct scl_exp_work *w = env->work;
    char marker[700];
    snprintf(marker, sizeof(marker), "%s/finished", w->claims);
    *done = access(marker, F_OK) == 0;
    if (*done)
        return SCL_EXIT_OK;
    switch (scl_claim_take(w->claims, "finish", &w->watch, &w->claim)) {
    case SCL_CLAIM_BUSY:
        return SCL_EXIT_OK;
    case SCL_CLAIM_ERROR:
        return SCL_EXIT_RUNTIME;
    default:
        break;
    }
    int rc = merge(env);
    if (rc == SCL_EXIT_OK)
        rc = finish(env);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_write_atomic(marker, "", 0);
    scl_claim_release(&w->claim);
    *done = rc == SCL_EXIT_OK;
    return rc;
}

static int run_worker(struct scl_exp_env *env, int (*run)(struct scl_exp_env *),
                      int (*finish)(struct scl_exp_env *))
{
    struct scl_exp_work *w = env->work;
    double lease = w->watch.lease;
    double poll = fmin(2.0, lease / SCL_CLAIM_BEATS);
    struct timespec nap = {(time_t)poll, (long)((poll - (double)(time_t)poll) * 1e9)};
    int ran = 0;
    for (;;) {
        int rc = one_pass(env, run);
        if (rc != SCL_EXIT_OK)
            return rc;
        ran += env->trials_run;
        if (env->trials_skipped == w->n_keys) { /* every trial done */
            bool done = false;
            rc = worker_finish(env, finish, &done);
            if (rc != SCL_EXIT_OK || done) {
                if (rc == SCL_EXIT_OK)
                    fprintf(stderr,
                            "sleepcl: run: worker done: %d trials run here, sweep of %d "
                            "complete\n",
                            ran, w->n_keys);
                return rc;
            }
        } else if (env->trials_run > 0 || w->busy == 0) {
            continue; /* look again at once: trials may have come free meanwhile */
        }
        nanosleep(&nap, NULL); /* others hold the rest: wait for them to end, or to die */
    }
}

int scl_exp_work_run(struct scl_exp_env *env, int (*run)(struct scl_exp_env *),
                     int (*finish)(struct scl_exp_env *), bool worker)
{
    static struct scl_exp_work w;
    memset(&w, 0, sizeof(w));
    env->work = &w;
    snprintf(w.claims, sizeof(w.claims), "%s/claims", env->out);
    w.watch.lease = scl_claim_lease();
    int rc = w.watch.lease > 0 ? SCL_EXIT_OK : SCL_EXIT_USAGE;
    w.mode = WORK_PLAN;
    if (rc == SCL_EXIT_OK)
        rc = one_pass(env, run);
    if (rc == SCL_EXIT_OK)
        rc = write_plan(env);
    if (rc == SCL_EXIT_OK && worker)
        rc = scl_app_mkdir_p(w.claims);
    w.mode = worker ? WORK_WORKER : WORK_ONE;
    if (rc == SCL_EXIT_OK && worker) {
        rc = run_worker(env, run, finish);
    } else if (rc == SCL_EXIT_OK) {
        rc = one_pass(env, run);
        if (env->trials_skipped)
            fprintf(stderr, "sleepcl: run: %d trials were already done\n", env->trials_skipped);
        if (rc == SCL_EXIT_OK)
            rc = merge(env);
        if (rc == SCL_EXIT_OK)
            rc = finish(env);
    }
    for (int i = 0; i < w.n_keys; i++)
        free(w.keys[i]);
    free(w.keys);
    scl_claim_watch_free(&w.watch);
    env->work = NULL;
    return rc;
}

/* ------------------------------------------------------------------ device and status */

const char *scl_exp_work_device(const struct scl_config *cfg)
{
    static const char *const masks[] = {"CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
                                        "GPU_DEVICE_ORDINAL", "ZE_AFFINITY_MASK"};
    const char *env = getenv("SCL_DEVICE"), *local = getenv("SLURM_LOCALID");
    if (cfg->device.device[0])
        return cfg->device.device;
    if ((env && env[0]) || !local || !local[0])
        return NULL; /* SCL_DEVICE, or the first device */
    for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++)
        if (getenv(masks[i]) && getenv(masks[i])[0])
            return NULL; /* Slurm gave this task its own GPU: the first one it sees */
    return local;        /* several tasks of a step on one node, every GPU visible: one each */
}

/* Numbers of a run directory for sleepcl status. */
struct status {
    int total, done, running, left;
    double busy_s; /* summed seconds of the done trials with a known start */
    int timed;
};

static void count_trial(const char *dir, int i, bool in_results, double lease, struct status *s)
{
    char claims[700], name[32], text[256], path[800];
    struct stat st;
    bool alive = false;
    snprintf(claims, sizeof(claims), "%s/claims", dir);
    snprintf(name, sizeof(name), "trial%d", i);
    snprintf(path, sizeof(path), "%s/trials/%d.results.csv", dir, i);
    bool slot = stat(path, &st) == 0;
    bool claimed = scl_claim_peek(claims, name, lease, text, sizeof(text), &alive);
    struct scl_claim_owner o;
    if (in_results || slot) {
        s->done++;
        if (slot && claimed && scl_claim_parse(text, &o)) {
            s->busy_s += difftime(st.st_mtime, (time_t)o.wall);
            s->timed++;
        }
    } else if (claimed && alive) {
        s->running++;
        if (scl_claim_parse(text, &o))
            printf("  running: trial %d of the plan on %s, pid %ld, for %.0f s\n", i, o.host, o.pid,
                   difftime(time(NULL), (time_t)o.wall));
    } else {
        s->left++;
    }
}

int scl_exp_status(const char *dir)
{
    char path[700];
    struct scl_res_store r;
    struct status s = {0};
    double lease = scl_claim_lease();
    if (lease <= 0)
        return SCL_EXIT_USAGE;
    snprintf(path, sizeof(path), "%s/plan.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        scl_app_error("%s: cannot read: %s (not a sweep's run directory, or never started)", path,
                      strerror(errno));
        return SCL_EXIT_USAGE;
    }
    scl_res_init(&r, dir);
    scl_res_read_done(&r); /* a look from outside: no lock taken */
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        int i;
        unsigned trial;
        char cond[200];
        if (sscanf(line, "%d,%u,%199[^\n]", &i, &trial, cond) != 3)
            continue;
        s.total++;
        count_trial(dir, i, scl_res_is_done(&r, trial, cond), lease, &s);
    }
    fclose(f);
    scl_res_free(&r);
    /* finished: the workers' mark, or (a one-process run) a summary newer than the results */
    struct stat sum, res;
    snprintf(path, sizeof(path), "%s/claims/finished", dir);
    bool finished = access(path, F_OK) == 0;
    snprintf(path, sizeof(path), "%s/summary.csv", dir);
    bool have_sum = stat(path, &sum) == 0;
    snprintf(path, sizeof(path), "%s/results.csv", dir);
    finished = finished || (have_sum && stat(path, &res) == 0 && sum.st_mtime >= res.st_mtime);
    printf("%s: %d trials: %d done, %d running, %d left", dir, s.total, s.done, s.running, s.left);
    if (s.left + s.running == 0)
        printf("%s\n",
               finished ? "; finished (summary and plots written)" : "; summary not written yet");
    else if (s.timed > 0)
        printf("; ETA %.0f s (%.0f s a trial, %d at a time)\n",
               (s.left + 0.5 * s.running) * (s.busy_s / s.timed) / (s.running ? s.running : 1),
               s.busy_s / s.timed, s.running ? s.running : 1);
    else
        printf("; ETA unknown (no trial timed yet)\n");
    return SCL_EXIT_OK;
}
