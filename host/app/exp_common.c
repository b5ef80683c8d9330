/*
 * Steps shared by the experiment protocols (see exp.h): progress, training a fresh net for a
 * trial, evaluation into the results, sleep with diagnostics, fine-tuning, the summary and the
 * plots. The summary is recomputed from results.csv at the end of every invocation, so it always
 * covers every trial on disk, including those of earlier, interrupted invocations.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exp.h"

void scl_exp_progress(struct scl_exp_env *env, const char *label, const char *phase)
{
    double el = scl_app_now() - env->t0;
    int done = env->trials_run, left = env->trials_total - env->trials_skipped - done;
    char eta[32] = "?";
    if (done > 0)
        snprintf(eta, sizeof(eta), "%.0f s", el / done * left);
    bool tty = isatty(STDERR_FILENO);
    fprintf(stderr, "%ssleepcl: run: trial %d/%d [%s] %s, %.0f s elapsed, ETA %s%s",
            tty ? "\r\033[K" : "", env->trials_skipped + done + 1, env->trials_total, label, phase,
            el, eta, tty ? "" : "\n");
    fflush(stderr);
}

static int fail(struct scl_exp_env *env, scl_status st)
{
    return scl_app_fail(env->ctx, st, NULL);
}

int scl_exp_net_train(struct scl_exp_env *env, struct scl_exp_net *n, scl_dataset *train,
                      uint32_t seed)
{
    memset(n, 0, sizeof(*n));
    n->train = train;
    scl_status st = scl_ddata_create(env->ctx, train, &n->dtrain);
    if (st != SCL_OK)
        return fail(env, st);
    return scl_app_train_new(env->ctx, &env->cfg, seed, n->dtrain, NULL, NULL, &n->model,
                             &n->trainer);
}

void scl_exp_net_free(struct scl_exp_net *n)
{
    scl_trainer_destroy(n->trainer);
    scl_ddata_destroy(n->dtrain);
    scl_dataset_destroy(n->train);
    scl_model_destroy(n->model);
    memset(n, 0, sizeof(*n));
}

int scl_exp_eval(struct scl_exp_env *env, const scl_model *m, const char *stage,
                 struct scl_eval *keep)
{
    struct scl_eval e;
    scl_status st = scl_evaluate(env->ctx, m, env->dtest, env->cfg.train.gemm, &e);
    if (st != SCL_OK)
        return fail(env, st);
    scl_res_eval(&env->res, stage, &e);
    int rc = scl_exp_analyze(env, m, stage);
    if (keep && rc == SCL_EXIT_OK)
        *keep = e;
    else
        scl_eval_free(&e);
    return rc;
}

/* The spike rates of a sleep into the results, one row per layer. */
static void record_rates(struct scl_exp_env *env, const double *rates, int32_t n_layers,
                         const char *stage)
{
    for (int32_t l = 0; l <= n_layers; l++) {
        char name[32];
        snprintf(name, sizeof(name), "layer%d", l);
        scl_res_row(&env->res, stage, name, "spike_rate", rates[l]);
    }
}

int scl_exp_sleep(struct scl_exp_env *env, struct scl_exp_net *n, const scl_dataset *inputs,
                  uint32_t seed, int task, const char *stage)
{
    char prefix[700];
    double rates[SCL_MAX_LAYERS + 1];
    const struct scl_sleep_params p = scl_app_sleep_params(&env->cfg, seed, task);
    /* Named by the trial, not by the sleep's seed: a trial's later tasks sleep with seeds of
     * their own (exp_tasks.c), which must not read as another trial's. */
    snprintf(prefix, sizeof(prefix), "%s/diag/%s_trial%u_%s", env->out, env->res.condition,
             env->res.trial, stage);
    struct scl_exp_specific spec;
    struct scl_sleep_stats stats;
    memset(&stats, 0, sizeof(stats));
    int rc = scl_exp_specific_find(env, n->model, inputs, &spec);
    stats.record_raster = spec.layers > 0; /* each unit's spikes, for the analysis */
    if (rc == SCL_EXIT_OK)
        rc =
            scl_app_sleep_on_data(env->ctx, &env->cfg, n->model, &p, inputs, prefix, rates, &stats);
    if (rc == SCL_EXIT_OK && scl_trainer_set_model(n->trainer, n->model) != SCL_OK)
        rc = fail(env, SCL_ERR_OPENCL);
    if (rc == SCL_EXIT_OK) {
        record_rates(env, rates, n->model->n_layers, stage);
        scl_exp_specific_rows(env, &spec, &stats, n->model, stage);
    }
    scl_sleep_stats_free(&stats);
    scl_exp_specific_free(&spec);
    return rc;
}

int scl_exp_finetune(struct scl_exp_env *env, struct scl_exp_net *n)
{
    scl_status st = scl_trainer_finetune(n->trainer, n->dtrain, NULL, NULL);
    if (st == SCL_OK)
        st = scl_trainer_get_model(n->trainer, n->model);
    return st == SCL_OK ? SCL_EXIT_OK : fail(env, st);
}

/* ------------------------------------------------------------------ summary */

struct scl_exp_group {
    char key[200]; /* condition,stage,task,metric */
    int n;
    double mean, m2; /* Welford */
};

static struct scl_exp_group *find_group(struct scl_exp_group **g, int *n, const char *key)
{
    for (int i = 0; i < *n; i++)
        if (strcmp((*g)[i].key, key) == 0)
            return &(*g)[i];
    struct scl_exp_group *grown = realloc(*g, sizeof(**g) * (size_t)(*n + 1));
    if (!grown)
        return NULL;
    *g = grown;
    memset(&(*g)[*n], 0, sizeof(**g));
    snprintf((*g)[*n].key, sizeof((*g)[*n].key), "%s", key);
    return &(*g)[(*n)++];
}

static void add_line(struct scl_exp_group **g, int *n, char *line)
{
    char *first = strchr(line, ',');
    char *last = strrchr(line, ',');
    if (!first || last == first)
        return;
    *last = '\0';
    double v = strtod(last + 1, NULL);
    struct scl_exp_group *gr = isfinite(v) ? find_group(g, n, first + 1) : NULL;
    if (!gr)
        return;
    gr->n++;
    double d = v - gr->mean;
    gr->mean += d / gr->n;
    gr->m2 += d * (v - gr->mean);
}

int scl_exp_write_summary(struct scl_exp_env *env)
{
    char path[700], line[512];
    struct scl_exp_group *g = NULL;
    int n = 0;
    struct scl_res_buf out = {0};
    free(env->summary); /* recomputed from everything on disk */
    env->summary = NULL;
    env->n_summary = 0;
    snprintf(path, sizeof(path), "%s/results.csv", env->out);
    FILE *f = fopen(path, "r");
    if (!f)
        return SCL_EXIT_OK;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "trial,", 6) != 0)
            add_line(&g, &n, line);
    }
    fclose(f);
    scl_res_printf(&out, "condition,stage,task,metric,n,mean,std\n");
    for (int i = 0; i < n; i++)
        scl_res_printf(&out, "%s,%d,%.6g,%.6g\n", g[i].key, g[i].n, g[i].mean,
                       g[i].n > 1 ? sqrt(g[i].m2 / (g[i].n - 1)) : 0.0);
    env->summary = g; /* kept for scl_exp_summary_get: the plots read it many times */
    env->n_summary = n;
    snprintf(path, sizeof(path), "%s/summary.csv", env->out);
    int rc = scl_app_write_atomic(path, out.text ? out.text : "", out.len);
    free(out.text);
    return rc;
}

/* Mean and std of one summary entry, or NAN (from the groups scl_exp_write_summary kept). */
int scl_exp_summary_get(struct scl_exp_env *env, const char *key, double *mean, double *std)
{
    *mean = *std = (double)NAN;
    for (int i = 0; i < env->n_summary; i++) {
        const struct scl_exp_group *g = &env->summary[i];
        if (strcmp(g->key, key) == 0) {
            *mean = g->mean;
            *std = g->n > 1 ? sqrt(g->m2 / (g->n - 1)) : 0.0;
            break;
        }
    }
    return SCL_EXIT_OK;
}

int scl_exp_plot(struct scl_exp_env *env, const char *name, const char *script)
{
    char gp[800], cmd[1800];
    snprintf(gp, sizeof(gp), "%s/%s.gp", env->out, name);
    int rc = scl_app_write_atomic(gp, script, strlen(script));
    if (rc != SCL_EXIT_OK)
        return rc;
    snprintf(cmd, sizeof(cmd), "cd '%s' && gnuplot '%s.gp' 2>&1", env->out, name);
    FILE *p = popen(cmd, "r");
    char buf[256];
    bool noisy = false;
    while (p && fgets(buf, sizeof(buf), p))
        noisy = true;
    int status = p ? pclose(p) : -1;
    if (status != 0 || noisy)
        fprintf(stderr,
                "sleepcl: run: warning: gnuplot could not draw %s/%s.png (is gnuplot "
                "installed?)\n",
                env->out, name);
    else
        printf("plot: %s/%s.png\n", env->out, name);
    return SCL_EXIT_OK;
}
