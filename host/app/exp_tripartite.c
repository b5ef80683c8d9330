/*
 * The tripartite-sleep protocol (experiment.kind = tripartite; docs/METHOD.md section 9): the
 * classes split in order into experiment.n_tasks tasks (split MNIST: 0/1, 2/3, ...), one
 * scl_tri model per trial learning them in turn. Conditions: REM on or off (tripartite.rem) x
 * the downscaling share p (experiment.downscale), named "rem_p0.75" / "norem_p0".
 *
 * Every tripartite.eval_every iterations the whole test set is classified over the classes seen
 * so far, and results.csv gets, at stage "tN_iI" (task N, iteration I of it): per task C <= N
 * its accuracy a_N^C ("taskC", accuracy) and, for C < N, the forgetting f_C^m = a_{C+m}^C with
 * m = N - C ("taskC", f_m); on "all": mu_N, the current task's part, the previous tasks' mean
 * and the balance KL_N (scl_cl_balance). After a task's last iteration the stage "tN" repeats
 * the final figures with the largest mu_N seen in the task (max_mu) and, per weight matrix, the
 * histogram of its positive weights in half-decade bins (task = layer name, metric "pos_bK" for
 * the bin [10^(K/2 - 6), 10^(K/2 - 5.5)), "zero" for the share of exact zeros).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp.h"

enum { TRI_MAX_TASKS = SCL_MAX_CLASSES, TRI_BINS = 14 };

struct tri_cond {
    int rem;
    double p;
};

struct tri_trial {
    struct scl_exp_env *env;
    int32_t n_tasks, per_task, seen;
    int32_t *pred; /* [test n] */
    double max_mu; /* within the current task */
    const char *label;
};

static void tri_cond_name(const struct tri_cond *c, char *buf, size_t n)
{
    snprintf(buf, n, "%s_p%g", c->rem ? "rem" : "norem", c->p);
}

static int tri_conditions(const struct scl_exp_env *env, struct tri_cond *out, int cap)
{
    const struct scl_cfg_experiment *x = &env->cfg.experiment;
    int n = 0;
    for (int32_t r = 0; r < env->cfg.tri_rem.n; r++)
        for (int32_t d = 0; d < (x->downscale.n ? x->downscale.n : 1) && n < cap; d++) {
            out[n].rem = env->cfg.tri_rem.v[r];
            out[n].p = x->downscale.n ? x->downscale.v[d] : 0.0;
            n++;
        }
    return n;
}

/* Per-task test accuracies a[0..N) over the classes seen, and the figures of "all". */
static scl_status tri_eval(struct tri_trial *tt, scl_tri *t, int32_t task, const char *stage)
{
    struct scl_exp_env *env = tt->env;
    const scl_dataset *test = env->test;
    scl_status st = scl_tri_predict(t, env->dtest, tt->seen, tt->pred);
    if (st != SCL_OK)
        return st;
    double acc[TRI_MAX_TASKS];
    int32_t hit[TRI_MAX_TASKS] = {0}, cnt[TRI_MAX_TASKS] = {0}, n = task + 1;
    for (int32_t i = 0; i < test->n; i++) {
        int32_t c = test->y[i] / tt->per_task;
        if (c < n) {
            cnt[c]++;
            hit[c] += tt->pred[i] == test->y[i];
        }
    }
    double mu = 0.0, prev = 0.0;
    char name[32];
    for (int32_t c = 0; c < n; c++) {
        acc[c] = cnt[c] ? (double)hit[c] / cnt[c] : 0.0;
        mu += acc[c] / n;
        prev += c < task ? acc[c] / task : 0.0;
        snprintf(name, sizeof(name), "task%d", c + 1);
        scl_res_row(&env->res, stage, name, "accuracy", acc[c]);
        if (c < task) {
            char m[16];
            snprintf(m, sizeof(m), "f_%d", task - c);
            scl_res_row(&env->res, stage, name, m, acc[c]);
        }
    }
    tt->max_mu = mu > tt->max_mu ? mu : tt->max_mu;
    scl_res_row(&env->res, stage, "all", "mu", mu);
    scl_res_row(&env->res, stage, "all", "current", acc[task]);
    if (task > 0)
        scl_res_row(&env->res, stage, "all", "previous", prev);
    scl_res_row(&env->res, stage, "all", "balance", scl_cl_balance(acc, n));
    return SCL_OK;
}

/* The positive weights of every matrix in half-decade bins from 1e-6 (smaller ones in the
 * first bin, larger than the last in the last), and the share of exact zeros. */
static scl_status tri_histograms(struct tri_trial *tt, scl_tri *t, const char *stage)
{
    scl_status st = SCL_OK;
    for (int32_t l = 0; st == SCL_OK && l < scl_tri_n_layers(t); l++) {
        const char *name;
        int32_t n = 0;
        st = scl_tri_layer(t, l, &name, &n, NULL);
        float *w = st == SCL_OK ? malloc(sizeof(float) * (size_t)n) : NULL;
        if (st == SCL_OK && !w)
            st = SCL_ERR_NOMEM;
        if (st == SCL_OK)
            st = scl_tri_layer(t, l, &name, &n, w);
        int64_t bins[TRI_BINS] = {0}, zero = 0;
        for (int32_t i = 0; st == SCL_OK && i < n; i++) {
            zero += w[i] == 0.0f;
            if (w[i] > 0.0f) {
                int b = (int)floor(2.0 * (log10((double)w[i]) + 6.0));
                bins[b < 0 ? 0 : b >= TRI_BINS ? TRI_BINS - 1 : b]++;
            }
        }
        for (int b = 0; st == SCL_OK && b < TRI_BINS; b++) {
            char m[16];
            snprintf(m, sizeof(m), "pos_b%d", b);
            scl_res_row(&tt->env->res, stage, name, m, (double)bins[b]);
        }
        if (st == SCL_OK)
            scl_res_row(&tt->env->res, stage, name, "zero", (double)zero / n);
        free(w);
    }
    return st;
}

static scl_status tri_callback(scl_tri *t, int32_t task, int32_t it, void *user)
{
    struct tri_trial *tt = user;
    char stage[48];
    snprintf(stage, sizeof(stage), "t%d_i%d", task + 1, it);
    scl_status st = tri_eval(tt, t, task, stage);
    if (st != SCL_OK || it < tt->env->cfg.tripartite.iterations)
        return st;
    snprintf(stage, sizeof(stage), "t%d", task + 1);
    st = tri_eval(tt, t, task, stage);
    scl_res_row(&tt->env->res, stage, "all", "max_mu", tt->max_mu);
    if (st == SCL_OK)
        st = tri_histograms(tt, t, stage);
    return st;
}

/* The training data of task k: every training sample of its classes. */
static scl_status tri_task_data(const scl_dataset *full, int32_t k, int32_t per_task,
                                scl_dataset **out)
{
    int32_t *idx = malloc(sizeof(int32_t) * (size_t)full->n), n = 0;
    if (!idx)
        return SCL_ERR_NOMEM;
    for (int32_t i = 0; i < full->n; i++)
        if (full->y[i] / per_task == k)
            idx[n++] = i;
    scl_status st = scl_dataset_subset(full, idx, n, out);
    free(idx);
    return st;
}

static int tri_trial_run(struct scl_exp_env *env, const struct tri_cond *c, uint32_t seed)
{
    struct scl_tri_params p = env->cfg.tripartite;
    struct scl_train_params tp = env->cfg.train;
    p.n_hidden = env->cfg.tri_hidden.n;
    for (int32_t i = 0; i < p.n_hidden; i++)
        p.hidden[i] = env->cfg.tri_hidden.v[i];
    p.rem = c->rem;
    p.downscale = (float)c->p;
    tp.seed = seed;
    int32_t classes = env->train_full->n_classes, n_tasks = env->cfg.experiment.n_tasks;
    if (n_tasks < 1 || classes % n_tasks != 0) {
        scl_app_error("experiment.n_tasks: %d tasks do not split %d classes evenly", n_tasks,
                      classes);
        return SCL_EXIT_USAGE;
    }
    struct tri_trial tt = {env, n_tasks, classes / n_tasks, 0, NULL, 0.0, env->res.condition};
    tt.pred = malloc(sizeof(int32_t) * (size_t)env->test->n);
    scl_tri *t = NULL;
    scl_status st = tt.pred ? SCL_OK : SCL_ERR_NOMEM;
    if (st == SCL_OK)
        st = scl_tri_create(env->ctx, env->train_full->dim, classes, &p, &tp, &t);
    for (int32_t k = 0; st == SCL_OK && k < n_tasks; k++) {
        char phase[64];
        snprintf(phase, sizeof(phase), "task %d/%d", k + 1, n_tasks);
        scl_exp_progress(env, tt.label, phase);
        scl_dataset *ds = NULL;
        scl_ddata *dd = NULL;
        st = tri_task_data(env->train_full, k, tt.per_task, &ds);
        if (st == SCL_OK)
            st = scl_ddata_create(env->ctx, ds, &dd);
        tt.seen = (k + 1) * tt.per_task;
        tt.max_mu = 0.0;
        if (st == SCL_OK)
            st = scl_tri_task(t, dd, tt.seen, tri_callback, &tt);
        scl_ddata_destroy(dd);
        scl_dataset_destroy(ds);
    }
    scl_tri_destroy(t);
    free(tt.pred);
    if (st != SCL_OK)
        return scl_app_fail(env->ctx, st, "tripartite");
    return scl_res_commit(&env->res);
}

int scl_exp_tripartite(struct scl_exp_env *env)
{
    struct tri_cond conds[2 * SCL_CFG_LIST];
    int nc = tri_conditions(env, conds, 2 * SCL_CFG_LIST), rc = SCL_EXIT_OK;
    env->trials_total = nc * (int)env->n_seeds;
    for (int i = 0; rc == SCL_EXIT_OK && i < nc; i++)
        for (size_t s = 0; rc == SCL_EXIT_OK && s < env->n_seeds; s++) {
            tri_cond_name(&conds[i], env->res.condition, sizeof(env->res.condition));
            env->res.trial = env->seeds[s];
            if (!scl_exp_take(env))
                continue;
            rc = tri_trial_run(env, &conds[i], env->seeds[s]);
            env->trials_run += rc == SCL_EXIT_OK;
        }
    return rc;
}

/* ------------------------------------------------------------------ summary plots */

/* curves.dat: one block per condition (gnuplot index), rows of the global iteration and the
 * mean and std of mu, current, previous and balance. */
static int tri_write_curves(struct scl_exp_env *env, const struct tri_cond *conds, int nc)
{
    static const char *const metrics[] = {"mu", "current", "previous", "balance"};
    const struct scl_tri_params *p = &env->cfg.tripartite;
    struct scl_res_buf out = {0};
    char cond[64], key[256], path[700];
    for (int i = 0; i < nc; i++) {
        tri_cond_name(&conds[i], cond, sizeof(cond));
        scl_res_printf(&out, "# %s: iteration mu std current std previous std balance std\n", cond);
        for (int32_t k = 0; k < env->cfg.experiment.n_tasks; k++)
            for (int32_t it = 1; it <= p->iterations; it++) {
                if (it % p->eval_every != 0 && it != p->iterations)
                    continue;
                scl_res_printf(&out, "%d", k * p->iterations + it);
                for (int m = 0; m < 4; m++) {
                    double mean, sd;
                    snprintf(key, sizeof(key), "%s,t%d_i%d,all,%s", cond, k + 1, it, metrics[m]);
                    scl_exp_summary_get(env, key, &mean, &sd);
                    scl_res_printf(&out, " %.5g %.5g", mean, sd);
                }
                scl_res_printf(&out, "\n");
            }
        scl_res_printf(&out, "\n\n");
    }
    snprintf(path, sizeof(path), "%s/curves.dat", env->out);
    int rc = scl_app_write_atomic(path, out.text ? out.text : "", out.len);
    free(out.text);
    return rc;
}

/* max_mu.dat: per condition, the largest mu_N of each task (mean, std). */
static int tri_write_max(struct scl_exp_env *env, const struct tri_cond *conds, int nc)
{
    struct scl_res_buf out = {0};
    char cond[64], key[256], path[700];
    scl_res_printf(&out, "# condition then per task: max mu mean, std; final mu mean, std\n");
    for (int i = 0; i < nc; i++) {
        tri_cond_name(&conds[i], cond, sizeof(cond));
        scl_res_printf(&out, "%s", cond);
        for (int32_t k = 0; k < env->cfg.experiment.n_tasks; k++) {
            double m1, s1, m2, s2;
            snprintf(key, sizeof(key), "%s,t%d,all,max_mu", cond, k + 1);
            scl_exp_summary_get(env, key, &m1, &s1);
            snprintf(key, sizeof(key), "%s,t%d,all,mu", cond, k + 1);
            scl_exp_summary_get(env, key, &m2, &s2);
            scl_res_printf(&out, " %.4f %.4f %.4f %.4f", m1, s1, m2, s2);
        }
        scl_res_printf(&out, "\n");
    }
    snprintf(path, sizeof(path), "%s/max_mu.dat", env->out);
    int rc = scl_app_write_atomic(path, out.text ? out.text : "", out.len);
    free(out.text);
    return rc;
}

/* One panel per metric column of curves.dat, every condition a line. */
static int tri_plot(struct scl_exp_env *env, const struct tri_cond *conds, int nc, const char *name,
                    int column, const char *ylabel)
{
    char script[8192], cond[64];
    int len = snprintf(script, sizeof(script),
                       "set terminal pngcairo noenhanced size 1000,560 font ',11'\n"
                       "set output '%s.png'\nset xlabel 'iteration (all tasks)'\n"
                       "set ylabel '%s'\nset key outside right\nset grid\n"
                       "set xtics %d\nplot ",
                       name, ylabel, env->cfg.tripartite.iterations);
    for (int i = 0; i < nc && len < (int)sizeof(script) - 200; i++) {
        tri_cond_name(&conds[i], cond, sizeof(cond));
        len += snprintf(script + len, sizeof(script) - (size_t)len,
                        "%s'curves.dat' index %d using 1:%d with lines lw 2 title '%s'",
                        i ? ", \\\n     " : "", i, column, cond);
    }
    snprintf(script + len, sizeof(script) - (size_t)len, "\n");
    return scl_exp_plot(env, name, script);
}

int scl_exp_tripartite_finish(struct scl_exp_env *env)
{
    struct tri_cond conds[2 * SCL_CFG_LIST];
    int nc = tri_conditions(env, conds, 2 * SCL_CFG_LIST);
    int rc = scl_exp_write_summary(env);
    if (rc == SCL_EXIT_OK)
        rc = tri_write_curves(env, conds, nc);
    if (rc == SCL_EXIT_OK)
        rc = tri_write_max(env, conds, nc);
    if (rc == SCL_EXIT_OK)
        rc = tri_plot(env, conds, nc, "mu", 2, "mean accuracy over tasks seen (mu_N)");
    if (rc == SCL_EXIT_OK)
        rc = tri_plot(env, conds, nc, "current", 4, "accuracy on the current task");
    if (rc == SCL_EXIT_OK)
        rc = tri_plot(env, conds, nc, "previous", 6, "mean accuracy on previous tasks");
    if (rc == SCL_EXIT_OK)
        rc = tri_plot(env, conds, nc, "balance", 8, "balance KL_N (0 = balanced)");
    return rc;
}
