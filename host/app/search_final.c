/*
 * The final test of a search: search.trials fresh nets (seeds run.seed + 1000 + k, none of them
 * a scoring net), each trained on the whole class-balanced subset as `sleepcl run` trains it,
 * then slept with the config's own [sleep] set ("published") and with the best set found
 * ("searched"), from the same trained weights and the same spike seed, and evaluated on the
 * test split, which only this file reads. Rows go to OUT/final/results.csv through the
 * resumable results store (a trial is appended whole or not at all); the table of means, gains
 * and the paired difference goes to stdout and OUT/final/summary.txt. Searches spread over
 * workers (search_work.c) run each trial under a claim into final/trials/K.*.csv; the last of
 * them merges these in trial order into the same two files, then writes the table.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "search.h"

static const char *const sets[] = {"published", "searched"};

struct final_env {
    struct scl_search_env *env;
    scl_dataset *test;
    scl_ddata *dtest;
    struct scl_res_store res;
    const struct scl_sleep_params *best;
};

static int fail(struct final_env *f, scl_status st)
{
    return scl_app_fail(f->env->ctx, st, "search: final");
}

/* Evaluate m on the test split under the current set and `stage`. */
static int eval_stage(struct final_env *f, const scl_model *m, const char *stage)
{
    struct scl_eval e;
    scl_status st = scl_evaluate(f->env->ctx, m, f->dtest, f->env->cfg.train.gemm, &e);
    if (st != SCL_OK)
        return fail(f, st);
    scl_res_eval(&f->res, stage, &e);
    scl_eval_free(&e);
    return SCL_EXIT_OK;
}

/* The fine-tune of `sleepcl run`, from a fresh trainer so both sets are treated alike. */
static int finetune(struct final_env *f, scl_model *m, const scl_ddata *d, uint32_t seed)
{
    struct scl_train_params tp = scl_app_train_params(&f->env->cfg, seed);
    scl_trainer *tr = NULL;
    scl_status st = scl_trainer_create(f->env->ctx, m, &tp, &tr);
    if (st == SCL_OK)
        st = scl_trainer_finetune(tr, d, NULL, NULL);
    if (st == SCL_OK)
        st = scl_trainer_get_model(tr, m);
    scl_trainer_destroy(tr);
    return st == SCL_OK ? SCL_EXIT_OK : fail(f, st);
}

/* Jobs 0 (published) and 1 (searched) on clones of m, with the net's layer factors. */
static int sleep_both(struct final_env *f, const scl_model *m, const scl_dataset *sub,
                      uint32_t seed, struct scl_sleep_job *jobs, struct scl_input_stats *in)
{
    float factors[SCL_MAX_LAYERS];
    const struct scl_config *cfg = &f->env->cfg;
    scl_status st = scl_input_stats_compute(f->env->ctx, m, sub, cfg->train.gemm, in);
    int rc = st == SCL_OK ? SCL_EXIT_OK : fail(f, st);
    if (rc == SCL_EXIT_OK &&
        scl_sleep_factors(m, in->act_max, cfg->sleep.norm, factors) != SCL_OK) {
        scl_app_error("search: final: the net of seed %u has a dead layer", seed);
        return SCL_EXIT_RUNTIME;
    }
    for (int i = 0; i < 2 && rc == SCL_EXIT_OK; i++) {
        jobs[i].params = i ? *f->best : scl_app_sleep_params(cfg, seed, scl_search_sleep_task(cfg));
        jobs[i].params.seed = seed;
        jobs[i].mean_input = in->mean;
        memcpy(jobs[i].factors, factors, sizeof(float) * (size_t)m->n_layers);
        if (scl_model_clone(m, &jobs[i].model) != SCL_OK)
            rc = SCL_EXIT_RUNTIME;
    }
    if (rc == SCL_EXIT_OK && (st = scl_sleep_run_batch(f->env->ctx, jobs, 2)) != SCL_OK)
        rc = fail(f, st);
    return rc;
}

/* After the sleeps: each set's test accuracy after sleep and after sleep + fine-tune. */
static int eval_sets(struct final_env *f, struct scl_sleep_job *jobs, const scl_ddata *d,
                     uint32_t seed)
{
    int rc = SCL_EXIT_OK;
    for (int i = 0; i < 2 && rc == SCL_EXIT_OK; i++) {
        snprintf(f->res.condition, sizeof(f->res.condition), "%s", sets[i]);
        rc = eval_stage(f, jobs[i].model, "sleep");
        if (rc == SCL_EXIT_OK && f->env->cfg.train.finetune_epochs > 0) {
            rc = finetune(f, jobs[i].model, d, seed);
            if (rc == SCL_EXIT_OK)
                rc = eval_stage(f, jobs[i].model, "sleep_finetune");
        }
    }
    return rc;
}

static int trial(struct final_env *f, uint32_t seed)
{
    struct scl_search_env *env = f->env;
    struct scl_sleep_job jobs[2];
    struct scl_input_stats in;
    scl_model *m = NULL;
    scl_ddata *d = NULL;
    memset(jobs, 0, sizeof(jobs));
    memset(&in, 0, sizeof(in));
    scl_dataset *sub = scl_app_train_subset(&env->cfg, env->train_full, seed);
    if (!sub)
        return SCL_EXIT_RUNTIME;
    scl_status st = scl_ddata_create(env->ctx, sub, &d);
    int rc = st == SCL_OK ? SCL_EXIT_OK : fail(f, st);
    if (rc == SCL_EXIT_OK)
        rc = scl_search_train_net(env, seed, sub, d, &m, NULL);
    for (int i = 0; i < 2 && rc == SCL_EXIT_OK; i++) {
        snprintf(f->res.condition, sizeof(f->res.condition), "%s", sets[i]);
        rc = eval_stage(f, m, "baseline");
    }
    if (rc == SCL_EXIT_OK)
        rc = sleep_both(f, m, sub, seed, jobs, &in);
    if (rc == SCL_EXIT_OK)
        rc = eval_sets(f, jobs, d, seed);
    if (rc == SCL_EXIT_OK)
        rc = scl_res_commit(&f->res);
    for (int i = 0; i < 2; i++)
        scl_model_destroy(jobs[i].model);
    scl_input_stats_free(&in);
    scl_ddata_destroy(d);
    scl_model_destroy(m);
    scl_dataset_destroy(sub);
    return rc;
}

/* ---------------------------------------------------------------- the table */

struct stage_stats {
    double sum, sum2;
    int n;
};

/* acc[set][stage][trial] from results.csv: stages baseline, sleep, sleep_finetune. */
static int read_final(const char *dir, double acc[2][3][1000], int *n_trials)
{
    static const char *const stages[] = {"baseline", "sleep", "sleep_finetune"};
    char path[700], line[512], set[64], stage[64], task[64];
    unsigned trial, last = 0;
    double v;
    int n = -1;
    snprintf(path, sizeof(path), "%s/results.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return SCL_EXIT_RUNTIME;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%u,%63[^,],%63[^,],%63[^,],accuracy,%lf", &trial, set, stage, task, &v) !=
                5 ||
            strcmp(task, "all") != 0)
            continue;
        if (n < 0 || trial != last)
            n++;
        last = trial;
        for (int s = 0; s < 2 && n < 1000; s++)
            for (int g = 0; g < 3; g++)
                if (strcmp(set, sets[s]) == 0 && strcmp(stage, stages[g]) == 0)
                    acc[s][g][n] = v;
    }
    fclose(f);
    *n_trials = n + 1;
    return SCL_EXIT_OK;
}

static void mean_std(const double *x, int n, double *mean, double *std)
{
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++)
        s += x[i];
    *mean = n ? s / n : (double)NAN;
    for (int i = 0; i < n; i++)
        s2 += (x[i] - *mean) * (x[i] - *mean);
    *std = n > 1 ? sqrt(s2 / (n - 1)) : 0.0;
}

static void print_table(FILE *out, double acc[2][3][1000], int n, int finetune)
{
    double m, s, d[1000];
    fprintf(out,
            "%d test trials (mean +- std)\nset        baseline         sleep            gain"
            "             sleep+ft\n",
            n);
    for (int k = 0; k < 2; k++) {
        fprintf(out, "%-10s", sets[k]);
        for (int g = 0; g < 2; g++) {
            mean_std(acc[k][g], n, &m, &s);
            fprintf(out, " %.4f +- %.4f", m, s);
        }
        for (int i = 0; i < n; i++)
            d[i] = acc[k][1][i] - acc[k][0][i];
        mean_std(d, n, &m, &s);
        fprintf(out, " %+.4f +- %.4f", m, s);
        mean_std(acc[k][2], n, &m, &s);
        if (finetune)
            fprintf(out, " %.4f +- %.4f", m, s);
        fputc('\n', out);
    }
    for (int i = 0; i < n; i++)
        d[i] = acc[1][1][i] - acc[0][1][i];
    mean_std(d, n, &m, &s);
    fprintf(out, "searched - published gain, paired: %+.4f +- %.4f (%d trials)\n", m, s, n);
}

static int write_summary(struct final_env *f)
{
    static double acc[2][3][1000];
    char path[700];
    int n = 0;
    memset(acc, 0, sizeof(acc));
    if (read_final(f->res.dir, acc, &n) != SCL_EXIT_OK || n < 1)
        return SCL_EXIT_OK;
    const int ft = f->env->cfg.train.finetune_epochs > 0;
    print_table(stdout, acc, n, ft);
    snprintf(path, sizeof(path), "%s/summary.txt", f->res.dir);
    char tmp[1200];
    FILE *out = scl_atomic_open(path, tmp, sizeof(tmp));
    if (out)
        print_table(out, acc, n, ft);
    if (!scl_atomic_commit(out, tmp, path, out != NULL)) {
        scl_app_error("%s: cannot write: %s", path, strerror(errno));
        return SCL_EXIT_RUNTIME;
    }
    return SCL_EXIT_OK;
}

/* A worker's trial k is done: its own results file, or its rows merged. */
static bool slot_done(const struct final_env *f, int k)
{
    char path[800];
    snprintf(path, sizeof(path), "%s/trials/%d.results.csv", f->res.dir, k);
    return access(path, F_OK) == 0;
}

/* The test split, once, for the first trial this process runs. */
static int open_test(struct final_env *f)
{
    if (f->dtest)
        return SCL_EXIT_OK;
    if (!(f->test = scl_app_load_split(&f->env->cfg, "test")))
        return SCL_EXIT_RUNTIME;
    return scl_ddata_create(f->env->ctx, f->test, &f->dtest) == SCL_OK ? SCL_EXIT_OK
                                                                       : fail(f, SCL_ERR_OPENCL);
}

/* Trial k by this process: always alone; with claims, when its claim is taken (else it is
 * counted in *left). */
static int run_one(struct final_env *f, int k, const struct scl_search_final_claims *w, int *left)
{
    const uint32_t seed = f->env->cfg.run.seed + 1000u + (uint32_t)k;
    f->res.trial = seed;
    if (scl_res_is_done(&f->res, seed, sets[1]) || (w && slot_done(f, k)))
        return SCL_EXIT_OK;
    int took = w ? w->take(w->user, k) : 1;
    if (took <= 0) {
        *left += took == 0;
        return took == 0 ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
    }
    f->res.slot = w ? k : -1;
    fprintf(stderr, "sleepcl: search: test trial %d/%d (seed %u), %.0f s elapsed\n", k + 1,
            f->env->cfg.search.trials, seed, scl_app_now() - f->env->t0);
    int rc = open_test(f);
    if (rc == SCL_EXIT_OK)
        rc = trial(f, seed);
    if (w)
        w->release(w->user);
    f->res.slot = -1;
    return rc;
}

int scl_search_final_trials(struct scl_search_env *env, const struct scl_sleep_params *best,
                            const struct scl_search_final_claims *w, int *left)
{
    struct final_env f;
    char dir[600];
    memset(&f, 0, sizeof(f));
    f.env = env;
    f.best = best;
    *left = 0;
    snprintf(dir, sizeof(dir), "%s/final", env->out);
    scl_res_init(&f.res, dir);
    f.res.shared = w != NULL;
    int rc = scl_app_mkdir_p(dir);
    if (rc == SCL_EXIT_OK)
        rc = scl_res_load(&f.res);
    for (int k = 0; k < env->cfg.search.trials && rc == SCL_EXIT_OK; k++)
        rc = run_one(&f, k, w, left);
    if (rc == SCL_EXIT_OK && !w)
        rc = write_summary(&f);
    scl_res_free(&f.res);
    scl_ddata_destroy(f.dtest);
    scl_dataset_destroy(f.test);
    return rc;
}

/* Rows of old (a whole file, header first) whose trial is `seed`. */
static void rows_of(struct scl_res_buf *b, const char *old, size_t n, uint32_t seed)
{
    char key[16];
    int len = snprintf(key, sizeof(key), "%u,", seed);
    for (const char *p = old, *end = old + n; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *next = nl ? nl + 1 : end;
        if (nl && next - p > len && memcmp(p, key, (size_t)len) == 0)
            scl_res_printf(b, "%.*s", (int)(next - p), p);
        p = next;
    }
}

/* dir/name: head, then every trial in order: trials/K.what.csv where trials/K.results.csv
 * exists (a worker's trial), else the trial's rows already in dir/name (merged before, or
 * run by a one-process search). */
static int merge_file(struct scl_search_env *env, const char *dir, const char *name,
                      const char *head, const char *what)
{
    struct scl_res_buf b = {0};
    char path[800], *old = NULL;
    size_t n_old = 0;
    int rc = SCL_EXIT_OK;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (scl_read_file(path, &old, &n_old) != SCL_OK)
        n_old = 0;
    scl_res_printf(&b, "%s", head);
    for (int k = 0; k < env->cfg.search.trials && rc == SCL_EXIT_OK; k++) {
        char *text = NULL;
        size_t n = 0;
        snprintf(path, sizeof(path), "%s/trials/%d.results.csv", dir, k);
        if (access(path, F_OK) != 0) {
            rows_of(&b, old ? old : "", n_old, env->cfg.run.seed + 1000u + (uint32_t)k);
            continue;
        }
        snprintf(path, sizeof(path), "%s/trials/%d.%s.csv", dir, k, what);
        if (scl_read_file(path, &text, &n) != SCL_OK) {
            scl_app_error("%s: cannot read: %s", path, strerror(errno));
            rc = SCL_EXIT_RUNTIME;
        } else if (n) {
            scl_res_printf(&b, "%.*s", (int)n, text);
        }
        scl_free(text);
    }
    scl_free(old);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (rc == SCL_EXIT_OK)
        rc = b.text ? scl_app_write_atomic(path, b.text, b.len) : SCL_EXIT_RUNTIME;
    free(b.text);
    return rc;
}

int scl_search_final_merge(struct scl_search_env *env)
{
    struct final_env f;
    char dir[600], path[800];
    const int n = env->cfg.search.trials;
    memset(&f, 0, sizeof(f));
    f.env = env;
    snprintf(dir, sizeof(dir), "%s/final", env->out);
    scl_res_init(&f.res, dir);
    bool any = false; /* none: merged before, by a finisher that died after it */
    for (int k = 0; k < n && !any; k++) {
        snprintf(path, sizeof(path), "%s/trials/%d.results.csv", dir, k);
        any = access(path, F_OK) == 0;
    }
    /* confusion first, as scl_res_commit: results.csv is the mark of done trials */
    int rc = any ? merge_file(env, dir, "confusion.csv", "trial,condition,stage,true,pred,count\n",
                              "confusion")
                 : SCL_EXIT_OK;
    if (rc == SCL_EXIT_OK && any)
        rc = merge_file(env, dir, "results.csv", "trial,condition,stage,task,metric,value\n",
                        "results");
    for (int k = 0; rc == SCL_EXIT_OK && any && k < n; k++) {
        static const char *const what[] = {"results", "confusion"};
        for (int i = 0; i < 2; i++) { /* results first: a confusion file alone is no trial */
            snprintf(path, sizeof(path), "%s/trials/%d.%s.csv", dir, k, what[i]);
            remove(path);
        }
    }
    if (rc == SCL_EXIT_OK && n > 0)
        rc = write_summary(&f);
    scl_res_free(&f.res);
    return rc;
}
