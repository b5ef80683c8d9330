/*
 * The continual-learning methods in the sequential-task protocols (docs/METHOD.md section 6.9):
 * rehearsal's memory of a trial, and the report that sets the methods side by side, without
 * and with sleep (Table 1 of the 2022 paper). The penalty methods need nothing here: the
 * trainer holds their state and exp_tasks.c ends each task with scl_trainer_consolidate.
 *
 * The memory keeps train.replay_share of each learnt task's training images (at least one),
 * drawn by a partial Fisher-Yates shuffle from the trial's seed (purpose SCL_RNG_SUBSET, step =
 * task, a stream of its own), so that a trial's memory is the same whatever else the run holds.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp.h"

#define MEMORY_STREAM 0x4d454du /* "MEM": the memory's draws, apart from class orders (0) */

static bool rehearsal(const struct scl_exp_env *env)
{
    return env->cfg.train.method == SCL_METHOD_REHEARSAL;
}

/* The first k of idx[0..n) after a partial shuffle keyed by (seed, task). */
static void draw_memory(int32_t *idx, int32_t n, int32_t k, uint32_t seed, int32_t task)
{
    for (int32_t i = 0; i < k; i++) {
        uint32_t w[4];
        scl_rng_words(seed, SCL_RNG_SUBSET, (uint32_t)i, (uint32_t)task, MEMORY_STREAM, w);
        uint64_t wide = (uint64_t)w[0] << 32 | w[1];
        int32_t j = i + (int32_t)(wide % (uint64_t)(n - i)), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

int scl_exp_memory_add(struct scl_exp_env *env, struct scl_exp_memory *m, const int32_t *idx,
                       int32_t n, uint32_t seed, int32_t task)
{
    if (!rehearsal(env) || n < 1)
        return SCL_EXIT_OK;
    int32_t k = (int32_t)lround(env->cfg.replay_share * n);
    k = k < 1 ? 1 : k > n ? n : k;
    int32_t *pick = malloc(sizeof(*pick) * (size_t)n);
    int32_t *grown = realloc(m->idx, sizeof(*grown) * (size_t)(m->n + k));
    if (grown)
        m->idx = grown;
    if (!pick || !grown) {
        free(pick);
        return SCL_EXIT_RUNTIME;
    }
    memcpy(pick, idx, sizeof(*pick) * (size_t)n);
    draw_memory(pick, n, k, seed, task);
    memcpy(m->idx + m->n, pick, sizeof(*pick) * (size_t)k);
    m->n += k;
    free(pick);
    return SCL_EXIT_OK;
}

int scl_exp_memory_task_data(struct scl_exp_env *env, const struct scl_exp_memory *m,
                             const int32_t *idx, int32_t n, scl_dataset **ds)
{
    /* iCaRL always trains on its exemplars appended (exp_icarl.c keeps them in m->idx) */
    bool append =
        (scl_exp_icarl(env) || (rehearsal(env) && env->cfg.replay_mix == SCL_CFG_REPLAY_APPEND)) &&
        m->n > 0;
    int32_t *all = append ? malloc(sizeof(*all) * (size_t)(n + m->n)) : NULL;
    scl_status st = SCL_ERR_NOMEM;
    *ds = NULL;
    if (!append) {
        st = scl_dataset_subset(env->train_full, idx, n, ds);
    } else if (all) {
        memcpy(all, idx, sizeof(*all) * (size_t)n);
        memcpy(all + n, m->idx, sizeof(*all) * (size_t)m->n);
        st = scl_dataset_subset(env->train_full, all, n + m->n, ds);
    }
    free(all);
    return st == SCL_OK ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
}

int scl_exp_memory_attach(struct scl_exp_env *env, struct scl_exp_memory *m, scl_trainer *t)
{
    if (!rehearsal(env) || env->cfg.replay_mix != SCL_CFG_REPLAY_BATCH || m->n == 0)
        return SCL_EXIT_OK;
    scl_status st = scl_trainer_set_memory(t, NULL); /* before the old copy goes */
    scl_ddata_destroy(m->dd);
    scl_dataset_destroy(m->ds);
    m->dd = NULL;
    m->ds = NULL;
    if (st == SCL_OK)
        st = scl_dataset_subset(env->train_full, m->idx, m->n, &m->ds);
    if (st == SCL_OK)
        st = scl_ddata_create(env->ctx, m->ds, &m->dd);
    if (st == SCL_OK)
        st = scl_trainer_set_memory(t, m->dd);
    return st == SCL_OK ? SCL_EXIT_OK : scl_app_fail(env->ctx, st, NULL);
}

void scl_exp_memory_free(struct scl_exp_memory *m)
{
    for (int32_t c = 0; c < m->n_cls; c++)
        free(m->ex[c]);
    scl_ddata_destroy(m->dd);
    scl_dataset_destroy(m->ds);
    free(m->idx);
    memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------------ the report */

/* Mean over the tasks of the summary's mean of "cond,t<k><suffix>,all,seconds" (NAN if none). */
static double seconds_per_task(struct scl_exp_env *env, const char *cond, const char *suffix)
{
    double sum = 0.0;
    int n = 0;
    for (int32_t t = 1; cond[0] && t <= env->cfg.experiment.n_tasks; t++) {
        char key[200];
        double m, sd;
        snprintf(key, sizeof(key), "%s,t%d%s,all,seconds", cond, t, suffix);
        scl_exp_summary_get(env, key, &m, &sd);
        if (!isnan(m)) {
            sum += m;
            n++;
        }
    }
    return n ? sum / n : (double)NAN;
}

/* Mean and std of the accuracy on all classes of cond at stage (NAN when not run). */
static void final_accuracy(struct scl_exp_env *env, const char *cond, const char *stage,
                           double *mean, double *sd)
{
    char key[200];
    *mean = *sd = (double)NAN;
    if (!cond[0])
        return;
    snprintf(key, sizeof(key), "%s,%s,all,accuracy", cond, stage);
    scl_exp_summary_get(env, key, mean, sd);
}

static void md_cell(struct scl_res_buf *b, double mean, double sd)
{
    if (isnan(mean))
        scl_res_printf(b, " - |");
    else if (isnan(sd)) /* a published figure without its spread */
        scl_res_printf(b, " %.3f |", mean);
    else
        scl_res_printf(b, " %.3f +- %.3f |", mean, sd);
}

/* The paper's figures for row `name` (all NAN without a paper or without that row). */
static void paper_figures(const struct scl_exp_env *env, const char *name, double v[4])
{
    const double *f = scl_exp_paper_figures(&env->paper, name);
    for (int i = 0; i < SCL_EXP_PAPER_FIELDS; i++)
        v[i] = f ? f[i] : (double)NAN;
}

/* The error bar of methods.dat for a figure: gnuplot drops a whole bar whose error is the
 * missing value, so a figure given without its spread (a published one, or a single trial) gets
 * a bar of zero length. */
static double dat_sd(double mean, double sd)
{
    return !isnan(mean) && isnan(sd) ? 0.0 : sd;
}

/* One method's line of methods.csv, methods.md and methods.dat; the paper's columns when the
 * run has experiment.paper. */
static void report_row(struct scl_exp_env *env, const struct scl_exp_method_row *r,
                       struct scl_res_buf *csv, struct scl_res_buf *md, struct scl_res_buf *dat)
{
    double m[2], sd[2], pf[SCL_EXP_PAPER_FIELDS];
    double train = seconds_per_task(env, r->cond[0][0] ? r->cond[0] : r->cond[1], "");
    double sleep = seconds_per_task(env, r->cond[1], "_sleep");
    final_accuracy(env, r->cond[0], r->last[0], &m[0], &sd[0]);
    final_accuracy(env, r->cond[1], r->last[1], &m[1], &sd[1]);
    paper_figures(env, r->method, pf);
    scl_res_printf(csv, "%s,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g", r->method, m[0], sd[0], m[1], sd[1],
                   train, sleep);
    scl_res_printf(md, "| %s |", r->method);
    md_cell(md, m[0], sd[0]);
    md_cell(md, m[1], sd[1]);
    if (env->paper.loaded) {
        scl_res_printf(csv, ",%.6g,%.6g,%.6g,%.6g", pf[0], pf[1], pf[2], pf[3]);
        md_cell(md, pf[0], pf[1]);
        md_cell(md, pf[2], pf[3]);
    }
    scl_res_printf(csv, "\n");
    scl_res_printf(md, isnan(train) ? " - |" : " %.1f |", train);
    scl_res_printf(md, isnan(sleep) ? " - |\n" : " %.1f |\n", sleep);
    scl_res_printf(dat, "%s %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f\n", r->method, m[0],
                   dat_sd(m[0], sd[0]), m[1], dat_sd(m[1], sd[1]), pf[0], dat_sd(pf[0], pf[1]),
                   pf[2], dat_sd(pf[2], pf[3]));
}

static const char *const methods_plot_head =
    "set terminal pngcairo noenhanced size 900,480 font ',10'\nset output 'methods.png'\n"
    "set title 'Accuracy on all classes after the last task (mean +- std over trials)'\n"
    "set ylabel 'accuracy'\nset yrange [0:1]\nset grid ytics\nset key top left\n"
    "set datafile missing 'nan'\nset style data histograms\n"
    "set style histogram errorbars gap 1 lw 1\nset style fill solid 0.6 border -1\n"
    "plot 'methods.dat' using 2:3:xtic(1) title 'without sleep', '' using 4:5 title 'with sleep "
    "(SRC)'";
/* The paper's bars beside ours: hatched, in the same order. */
static const char *const methods_plot_paper =
    ", '' using 6:7 title 'paper, without sleep' fill pattern 4, '' using 8:9 title 'paper, with "
    "SRC' fill pattern 5";

int scl_exp_methods_report(struct scl_exp_env *env, const struct scl_exp_method_row *rows, int n,
                           const char *parallel)
{
    struct scl_res_buf csv = {0}, md = {0}, dat = {0};
    char path[700];
    bool paper = env->paper.loaded;
    scl_res_printf(&csv,
                   "method,final,final_std,final_sleep,final_sleep_std,train_seconds_per_"
                   "task,sleep_seconds_per_task%s\n",
                   paper ? ",paper,paper_std,paper_sleep,paper_sleep_std" : "");
    if (paper)
        scl_res_printf(&md, "Paper: %s\n\n", env->paper.source);
    scl_res_printf(&md,
                   "| method | final accuracy | with sleep (SRC) |%s train s/task | sleep "
                   "s/task |\n|---|---|---|%s---|---|\n",
                   paper ? " paper | paper with SRC |" : "", paper ? "---|---|" : "");
    for (int i = 0; i < n; i++)
        report_row(env, &rows[i], &csv, &md, &dat);
    if (parallel[0]) {
        double m, sd, pf[SCL_EXP_PAPER_FIELDS];
        final_accuracy(env, parallel, "parallel", &m, &sd);
        paper_figures(env, "parallel", pf);
        scl_res_printf(&md, "| parallel (all tasks at once) |");
        md_cell(&md, m, sd);
        scl_res_printf(&md, " - |");
        if (paper) {
            md_cell(&md, pf[0], pf[1]);
            scl_res_printf(&md, " - |");
        }
        scl_res_printf(&md, " - | - |\n");
    }
    const struct {
        const char *name;
        struct scl_res_buf *b;
    } files[] = {{"methods.csv", &csv}, {"methods.md", &md}, {"methods.dat", &dat}};
    int rc = SCL_EXIT_OK;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", env->out, files[i].name);
        if (rc == SCL_EXIT_OK)
            rc = scl_app_write_atomic(path, files[i].b->text ? files[i].b->text : "",
                                      files[i].b->len);
        free(files[i].b->text);
    }
    printf("methods: %s/methods.md\n", env->out);
    char plot[1024];
    snprintf(plot, sizeof(plot), "%s%s\n", methods_plot_head, paper ? methods_plot_paper : "");
    return rc == SCL_EXIT_OK ? scl_exp_plot(env, "methods", plot) : rc;
}
