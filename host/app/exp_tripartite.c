/*
 * The tripartite-sleep protocol (experiment.kind = tripartite; docs/METHOD.md section 9): the
 * classes split in order into experiment.n_tasks tasks (split MNIST: 0/1, 2/3, ...), one
 * scl_tri model per trial learning them in turn. Conditions: REM on or off (tripartite.rem) x
 * SRC's sleep after each task or not (tripartite.src) x the downscaling share p
 * (experiment.downscale), named "rem_p0.75" / "norem_p0" / "rem_p0_src" (the sleep's input from
 * the task's data; "_src_replay" from generated samples, "_src_both": tripartite.src_input).
 *
 * Every tripartite.eval_every iterations the whole test set is classified over the classes seen
 * so far, and results.csv gets, at stage "tN_iI" (task N, iteration I of it): per task C <= N
 * its accuracy a_N^C ("taskC", accuracy) and, for C < N, the forgetting f_C^m = a_{C+m}^C with
 * m = N - C ("taskC", f_m); on "all": mu_N, the current task's part, the previous tasks' mean
 * and the balance KL_N (scl_cl_balance). After a task's last iteration (and its SRC sleep, if
 * any) the stage "tN" repeats the final figures with the largest mu_N seen in the task (max_mu),
 * the sleep's spike rates ("sleep", rate_L: layer L's spikes per unit per step), the accuracy
 * and per-class accuracy over the classes seen ("all"/"classC", accuracy) with their confusion
 * matrix (confusion.csv) and, per weight matrix, the
 * histogram of its positive weights in half-decade bins (task = layer name, metric "pos_bK" for
 * the bin [10^(K/2 - 6), 10^(K/2 - 5.5)), "zero" for the share of exact zeros).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp.h"

enum { TRI_MAX_TASKS = SCL_MAX_CLASSES, TRI_BINS = 14, TRI_MAX_CONDS = 4 * SCL_CFG_LIST };

struct tri_cond {
    int rem;
    int src; /* 0: no SRC sleep; else 1 + the scl_cfg_src_input its statistics come from */
    double p;
};

struct tri_trial {
    struct scl_exp_env *env;
    int32_t n_tasks, per_task, seen;
    int32_t *pred; /* [test n] */
    double max_mu; /* within the current task */
    const char *label;
};

/* The condition names' SRC part: "", "_src" (on the task's data), "_src_replay", "_src_both". */
static const char *tri_src_suffix(int src)
{
    static const char *const suffix[] = {"", "_src", "_src_replay", "_src_both"};
    return suffix[src];
}

static void tri_cond_name(const struct tri_cond *c, char *buf, size_t n)
{
    snprintf(buf, n, "%s_p%g%s", c->rem ? "rem" : "norem", c->p, tri_src_suffix(c->src));
}

static int tri_conditions(const struct scl_exp_env *env, struct tri_cond *out, int cap)
{
    const struct scl_cfg_experiment *x = &env->cfg.experiment;
    int n = 0;
    for (int32_t r = 0; r < env->cfg.tri_rem.n; r++)
        for (int32_t s = 0; s < env->cfg.tri_src.n; s++)
            for (int32_t d = 0; d < (x->downscale.n ? x->downscale.n : 1) && n < cap; d++) {
                out[n].rem = env->cfg.tri_rem.v[r];
                out[n].src = env->cfg.tri_src.v[s] ? 1 + (int)env->cfg.tri_src_input : 0;
                out[n].p = x->downscale.n ? x->downscale.v[d] : 0.0;
                n++;
            }
    return n;
}

/* Hits and images per class over the classes seen, in one walk of the test predictions, and the
 * confusion matrix (rows: true class, columns: predicted) when e is given. */
static void tri_count(const struct tri_trial *tt, int32_t *hit, int32_t *cnt, struct scl_eval *e)
{
    const scl_dataset *test = tt->env->test;
    for (int32_t i = 0; i < test->n; i++) {
        int32_t y = test->y[i], p = tt->pred[i];
        if (y >= tt->seen)
            continue;
        cnt[y]++;
        hit[y] += p == y;
        if (e)
            e->confusion[y * tt->seen + p]++;
    }
}

/* e's per-class accuracies, image count and accuracy from the counts of tri_count. */
static void tri_fill_eval(const struct tri_trial *tt, const int32_t *hit, const int32_t *cnt,
                          struct scl_eval *e)
{
    int32_t hits = 0;
    e->n_classes = tt->seen;
    for (int32_t c = 0; c < tt->seen; c++) {
        e->class_accuracy[c] = cnt[c] ? (double)hit[c] / cnt[c] : (double)NAN;
        e->n += cnt[c];
        hits += hit[c];
    }
    e->accuracy = e->n ? (double)hits / e->n : 0.0;
}

/* Per-task test accuracies a[0..N) over the classes seen, and the figures of "all"; with e (its
 * confusion matrix zeroed, seen x seen), also the per-class figures of the same predictions. */
static scl_status tri_eval(struct tri_trial *tt, scl_tri *t, int32_t task, const char *stage,
                           struct scl_eval *e)
{
    struct scl_exp_env *env = tt->env;
    scl_status st = scl_tri_predict(t, env->dtest, tt->seen, tt->pred);
    if (st != SCL_OK)
        return st;
    int32_t hit[SCL_MAX_CLASSES] = {0}, cnt[SCL_MAX_CLASSES] = {0}, n = task + 1;
    tri_count(tt, hit, cnt, e);
    if (e)
        tri_fill_eval(tt, hit, cnt, e);
    double acc[TRI_MAX_TASKS], mu = 0.0, prev = 0.0;
    char name[32];
    for (int32_t c = 0; c < n; c++) {
        int32_t task_hit = 0, task_cnt = 0;
        for (int32_t y = c * tt->per_task; y < (c + 1) * tt->per_task; y++) {
            task_hit += hit[y];
            task_cnt += cnt[y];
        }
        acc[c] = task_cnt ? (double)task_hit / task_cnt : 0.0;
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
    return tri_eval(tt, t, task, stage, NULL);
}

/* Stage "tN": the figures after task N (and its sleep), the task's largest mu_N, the confusion
 * matrix over the classes seen and each one's accuracy (confusion.csv, "classC", as every
 * protocol writes its evaluations: which old classes the newer ones absorb), histograms. */
static scl_status tri_task_end(struct tri_trial *tt, scl_tri *t, int32_t task)
{
    char stage[48];
    snprintf(stage, sizeof(stage), "t%d", task + 1);
    struct scl_eval e = {0};
    e.confusion = calloc((size_t)tt->seen * (size_t)tt->seen, sizeof(int32_t));
    scl_status st = e.confusion ? tri_eval(tt, t, task, stage, &e) : SCL_ERR_NOMEM;
    scl_res_row(&tt->env->res, stage, "all", "max_mu", tt->max_mu);
    if (st == SCL_OK)
        scl_res_eval(&tt->env->res, stage, &e);
    free(e.confusion);
    if (st == SCL_OK)
        st = tri_histograms(tt, t, stage);
    return st;
}

/* gen: as many samples of the model's generator as ds has rows (every class seen, as REM would
 * replay them), in ds's shape; the labels are zero (the sleep reads the inputs only). The caller
 * frees gen->x and gen->y. */
static scl_status tri_generated(scl_tri *t, const scl_dataset *ds, scl_dataset *gen)
{
    *gen = *ds;
    gen->x = malloc(sizeof(float) * (size_t)ds->n * (size_t)ds->dim);
    gen->y = calloc((size_t)ds->n, 1);
    gen->n_classes = 1;
    return gen->x && gen->y ? scl_tri_sample(t, ds->n, gen->x) : SCL_ERR_NOMEM;
}

/* SRC's sleep on the classifier path (METHOD.md section 9): the encoder and classifier weights
 * as a bias-free scl_model over the classes seen, slept with the [sleep] set on the statistics
 * of the data tripartite.src_input names, written back; the biases stay as they were. Spike rates
 * go to stage "tN". */
static int tri_src_sleep(struct tri_trial *tt, scl_tri *t, int src, const scl_dataset *ds,
                         uint32_t seed, int32_t task)
{
    struct scl_exp_env *env = tt->env;
    uint32_t w[4];
    scl_rng_words(seed, SCL_RNG_SPIKES, (uint32_t)task, 0xfffffffeu, 0, w);
    const struct scl_sleep_params sp = scl_app_sleep_params(&env->cfg, w[0], 1);
    double rates[SCL_MAX_LAYERS + 1];
    /* the input statistics' data: the task's (the only data the protocol keeps), generated
     * samples, or both (src as in struct tri_cond) */
    scl_dataset gen = {0}, *both = NULL;
    const scl_dataset *in = ds;
    scl_status st = SCL_OK;
    if (src != 1 + SCL_CFG_SRC_INPUT_DATA) {
        st = tri_generated(t, ds, &gen);
        in = &gen;
    }
    if (st == SCL_OK && src == 1 + SCL_CFG_SRC_INPUT_BOTH) {
        st = scl_dataset_concat(ds, &gen, 0, &both);
        in = both;
    }
    scl_model *m = NULL;
    if (st == SCL_OK)
        st = scl_tri_classifier_get(t, tt->seen, &m);
    int rc = st == SCL_OK
                 ? scl_app_sleep_on_data(env->ctx, &env->cfg, m, &sp, in, NULL, rates, NULL)
                 : scl_app_fail(env->ctx, st, "tripartite: SRC sleep");
    free(gen.x);
    free(gen.y);
    scl_dataset_destroy(both);
    if (rc == SCL_EXIT_OK && (st = scl_tri_classifier_set(t, m)) != SCL_OK)
        rc = scl_app_fail(env->ctx, st, "tripartite: SRC sleep");
    char stage[48], metric[16];
    snprintf(stage, sizeof(stage), "t%d", task + 1);
    for (int32_t l = 0; rc == SCL_EXIT_OK && l <= m->n_layers; l++) {
        snprintf(metric, sizeof(metric), "rate_%d", l);
        scl_res_row(&env->res, stage, "sleep", metric, rates[l]);
    }
    scl_model_destroy(m);
    return rc;
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
    int rc = SCL_EXIT_OK;
    tt.pred = malloc(sizeof(int32_t) * (size_t)env->test->n);
    scl_tri *t = NULL;
    scl_status st = tt.pred ? SCL_OK : SCL_ERR_NOMEM;
    if (st == SCL_OK)
        st = scl_tri_create(env->ctx, env->train_full->dim, classes, &p, &tp, &t);
    for (int32_t k = 0; st == SCL_OK && rc == SCL_EXIT_OK && k < n_tasks; k++) {
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
        if (st == SCL_OK && c->src) /* its errors are reported there */
            rc = tri_src_sleep(&tt, t, c->src, ds, seed, k);
        if (st == SCL_OK && rc == SCL_EXIT_OK)
            st = tri_task_end(&tt, t, k);
        scl_ddata_destroy(dd);
        scl_dataset_destroy(ds);
    }
    scl_tri_destroy(t);
    free(tt.pred);
    if (rc != SCL_EXIT_OK)
        return rc;
    if (st != SCL_OK)
        return scl_app_fail(env->ctx, st, "tripartite");
    return scl_res_commit(&env->res);
}

/* The [sleep] set against the classifier path (inputs, encoder layers, every class) before any
 * training: a set for another depth fails here, naming the key, not after the first task. */
static int tri_check_sleep(const struct scl_exp_env *env)
{
    char msg[512];
    scl_model shape; /* the check reads the shape only */
    memset(&shape, 0, sizeof(shape));
    shape.n_layers = env->cfg.tri_hidden.n + 1;
    shape.sizes[0] = env->train_full->dim;
    for (int32_t i = 0; i < env->cfg.tri_hidden.n; i++)
        shape.sizes[i + 1] = env->cfg.tri_hidden.v[i];
    shape.sizes[shape.n_layers] = env->train_full->n_classes;
    const struct scl_sleep_params p = scl_app_sleep_params(&env->cfg, 1, 1);
    scl_status st = scl_sleep_validate(&p, &shape, msg, sizeof(msg));
    if (st != SCL_OK)
        scl_app_error("%s (tripartite.src: the classifier path of tripartite.hidden)", msg);
    return scl_app_exit_code(st);
}

int scl_exp_tripartite(struct scl_exp_env *env)
{
    struct tri_cond conds[TRI_MAX_CONDS];
    int nc = tri_conditions(env, conds, TRI_MAX_CONDS);
    int rc = scl_exp_extract(env); /* CIFAR images to the frozen extractor's features */
    for (int i = 0; rc == SCL_EXIT_OK && i < nc; i++)
        if (conds[i].src)
            rc = tri_check_sleep(env);
    env->trials_total = nc * (int)env->n_seeds;
    /* seeds outside: a sweep stopped early still has every condition of its first seeds */
    for (size_t s = 0; rc == SCL_EXIT_OK && s < env->n_seeds; s++)
        for (int i = 0; rc == SCL_EXIT_OK && i < nc; i++) {
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

/* A figure for the .dat files, NaN (gnuplot skips it) where the summary has none. */
static void tri_put(struct scl_res_buf *out, double v)
{
    if (isnan(v))
        scl_res_printf(out, " NaN");
    else
        scl_res_printf(out, " %.5g", v);
}

static int tri_write_file(struct scl_exp_env *env, const char *name, struct scl_res_buf *out)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", env->out, name);
    int rc = scl_app_write_atomic(path, out->text ? out->text : "", out->len);
    free(out->text);
    return rc;
}

/* tasks.dat: per condition (gnuplot index), rows of the global iteration, each task's mean test
 * accuracy (NaN before the task is learnt: the forgetting curves f_C^m) and the running sum over
 * tasks 1..C of their shares acc_C / N of mu_N (the stacked plot). */
static int tri_write_tasks(struct scl_exp_env *env, const struct tri_cond *conds, int nc)
{
    const struct scl_tri_params *p = &env->cfg.tripartite;
    int32_t n_tasks = env->cfg.experiment.n_tasks;
    struct scl_res_buf out = {0};
    char cond[64], key[256];
    for (int i = 0; i < nc; i++) {
        tri_cond_name(&conds[i], cond, sizeof(cond));
        scl_res_printf(&out, "# %s: iteration, accuracy of tasks 1..%d, their stacked shares\n",
                       cond, n_tasks);
        for (int32_t k = 0; k < n_tasks; k++)
            for (int32_t it = 1; it <= p->iterations; it++) {
                if (it % p->eval_every != 0 && it != p->iterations)
                    continue;
                double acc[TRI_MAX_TASKS], sd, cum = 0.0;
                scl_res_printf(&out, "%d", k * p->iterations + it);
                for (int32_t c = 0; c < n_tasks; c++) {
                    snprintf(key, sizeof(key), "%s,t%d_i%d,task%d,accuracy", cond, k + 1, it,
                             c + 1);
                    acc[c] = (double)NAN;
                    if (c <= k)
                        scl_exp_summary_get(env, key, &acc[c], &sd);
                    tri_put(&out, acc[c]);
                }
                for (int32_t c = 0; c < n_tasks; c++) {
                    cum += c <= k && !isnan(acc[c]) ? acc[c] / (k + 1) : 0.0;
                    tri_put(&out, cum);
                }
                scl_res_printf(&out, "\n");
            }
        scl_res_printf(&out, "\n\n");
    }
    return tri_write_file(env, "tasks.dat", &out);
}

/* The names of the weight matrices in scl_tri_layer's order, from the config. */
static int tri_layer_names(const struct scl_exp_env *env, char names[][16])
{
    int32_t h = env->cfg.tri_hidden.n, n = 0;
    for (int32_t i = 0; i < h; i++)
        snprintf(names[n++], 16, "enc%d", i + 1);
    snprintf(names[n++], 16, "latent");
    snprintf(names[n++], 16, "classifier");
    for (int32_t i = 0; i < h; i++)
        snprintf(names[n++], 16, "dec%d", i + 1);
    snprintf(names[n++], 16, "output");
    return n;
}

/* weights.dat: per condition and layer (index = condition x layers + layer), rows of a bin's
 * log10 centre and, per task boundary, the share of the layer's positive weights in the bin. */
static int tri_write_weights(struct scl_exp_env *env, const struct tri_cond *conds, int nc)
{
    char names[2 * SCL_TRI_MAX_HIDDEN + 3][16], cond[64], key[256];
    int nl = tri_layer_names(env, names);
    int32_t n_tasks = env->cfg.experiment.n_tasks;
    struct scl_res_buf out = {0};
    for (int i = 0; i < nc; i++)
        for (int l = 0; l < nl; l++) {
            tri_cond_name(&conds[i], cond, sizeof(cond));
            double count[TRI_MAX_TASKS][TRI_BINS], total[TRI_MAX_TASKS] = {0}, sd;
            for (int32_t k = 0; k < n_tasks; k++)
                for (int b = 0; b < TRI_BINS; b++) {
                    snprintf(key, sizeof(key), "%s,t%d,%s,pos_b%d", cond, k + 1, names[l], b);
                    scl_exp_summary_get(env, key, &count[k][b], &sd);
                    total[k] += isnan(count[k][b]) ? 0.0 : count[k][b];
                }
            scl_res_printf(&out,
                           "# %s %s: log10 bin centre, share of positive weights after "
                           "tasks 1..%d\n",
                           cond, names[l], n_tasks);
            for (int b = 0; b < TRI_BINS; b++) {
                scl_res_printf(&out, "%.2f", 0.5 * b - 5.75);
                for (int32_t k = 0; k < n_tasks; k++)
                    tri_put(&out, total[k] > 0.0 ? count[k][b] / total[k] : (double)NAN);
                scl_res_printf(&out, "\n");
            }
            scl_res_printf(&out, "\n\n");
        }
    return tri_write_file(env, "weights.dat", &out);
}

/* The REM x SRC variants among the conditions, in order (each a run of conditions over p). */
static int tri_variants(const struct tri_cond *conds, int nc, struct tri_cond *v)
{
    int n = 0;
    for (int i = 0; i < nc; i++)
        if (!n || conds[i].rem != v[n - 1].rem || conds[i].src != v[n - 1].src)
            v[n++] = conds[i];
    return n;
}

static void tri_variant_name(const struct tri_cond *c, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s", c->rem ? "rem" : "norem", tri_src_suffix(c->src));
}

/* max_p.dat: per variant (index), rows of p, the largest mu_N of each task (mean, std) and the
 * final mu over every task (mean, std): the downscaling trade-off. */
static int tri_write_max_p(struct scl_exp_env *env, const struct tri_cond *conds, int nc)
{
    struct tri_cond v[4];
    int nv = tri_variants(conds, nc, v);
    int32_t n_tasks = env->cfg.experiment.n_tasks;
    struct scl_res_buf out = {0};
    char cond[64], key[256], name[32];
    for (int j = 0; j < nv; j++) {
        tri_variant_name(&v[j], name, sizeof(name));
        scl_res_printf(&out, "# %s: p, max mu_N of tasks 1..%d (mean, std), final mu (mean, std)\n",
                       name, n_tasks);
        for (int i = 0; i < nc; i++) {
            if (conds[i].rem != v[j].rem || conds[i].src != v[j].src)
                continue;
            tri_cond_name(&conds[i], cond, sizeof(cond));
            scl_res_printf(&out, "%g", conds[i].p);
            double m, sd;
            for (int32_t k = 0; k < n_tasks; k++) {
                snprintf(key, sizeof(key), "%s,t%d,all,max_mu", cond, k + 1);
                scl_exp_summary_get(env, key, &m, &sd);
                tri_put(&out, m);
                tri_put(&out, sd);
            }
            snprintf(key, sizeof(key), "%s,t%d,all,mu", cond, n_tasks);
            scl_exp_summary_get(env, key, &m, &sd);
            tri_put(&out, m);
            tri_put(&out, sd);
            scl_res_printf(&out, "\n");
        }
        scl_res_printf(&out, "\n\n");
    }
    return tri_write_file(env, "max_p.dat", &out);
}

#define TRI_TERM "set terminal pngcairo noenhanced size 1000,560 font ',11'\n"

/* Per condition: forgetting_COND.png (each task's accuracy over the iterations, its fall over
 * the later tasks being f_C^m) and stacked_COND.png (each task's share of mu_N, stacked). */
static int tri_plot_tasks(struct scl_exp_env *env, const struct tri_cond *c, int index)
{
    char script[8192], cond[64], name[96];
    int32_t n_tasks = env->cfg.experiment.n_tasks, iters = env->cfg.tripartite.iterations;
    tri_cond_name(c, cond, sizeof(cond));
    snprintf(name, sizeof(name), "forgetting_%s", cond);
    int len = snprintf(script, sizeof(script),
                       TRI_TERM "set output '%s.png'\nset title '%s'\nset xlabel 'iteration (all "
                                "tasks)'\nset ylabel 'test accuracy on the task (f_C^m after it)'\n"
                                "set yrange [0:1.02]\nset key outside right\nset grid\n"
                                "set xtics %d\nplot ",
                       name, cond, iters);
    for (int32_t k = 0; k < n_tasks; k++)
        len += snprintf(script + len, sizeof(script) - (size_t)len,
                        "%s'tasks.dat' index %d using 1:%d with lines lw 2 title 'task %d'",
                        k ? ", \\\n     " : "", index, k + 2, k + 1);
    snprintf(script + len, sizeof(script) - (size_t)len, "\n");
    int rc = scl_exp_plot(env, name, script);
    snprintf(name, sizeof(name), "stacked_%s", cond);
    len = snprintf(script, sizeof(script),
                   TRI_TERM "set output '%s.png'\nset title '%s'\nset xlabel 'iteration (all "
                            "tasks)'\nset ylabel 'mu_N, stacked by task (acc_C / N)'\n"
                            "set yrange [0:1.02]\nset key outside right\nset grid\n"
                            "set style fill solid 0.75 noborder\nset xtics %d\nplot ",
                   name, cond, iters);
    for (int32_t k = n_tasks - 1; k >= 0; k--) { /* the top band first, so the key reads down */
        char low[16];
        snprintf(low, sizeof(low), k ? "%d" : "(0)", n_tasks + 1 + k);
        len += snprintf(script + len, sizeof(script) - (size_t)len,
                        "%s'tasks.dat' index %d using 1:%s:%d with filledcurves lc %d title "
                        "'task %d'",
                        k < n_tasks - 1 ? ", \\\n     " : "", index, low, n_tasks + 2 + k, k + 1,
                        k + 1);
    }
    snprintf(script + len, sizeof(script) - (size_t)len, "\n");
    return rc == SCL_EXIT_OK ? scl_exp_plot(env, name, script) : rc;
}

/* weights_COND.png: one panel per weight matrix, the distribution of its positive weights after
 * each task, one line per task boundary. */
static int tri_plot_weights(struct scl_exp_env *env, const struct tri_cond *c, int index)
{
    char names[2 * SCL_TRI_MAX_HIDDEN + 3][16], script[16384], cond[64], name[96];
    int nl = tri_layer_names(env, names), cols = (nl + 1) / 2;
    int32_t n_tasks = env->cfg.experiment.n_tasks;
    tri_cond_name(c, cond, sizeof(cond));
    snprintf(name, sizeof(name), "weights_%s", cond);
    int len = snprintf(script, sizeof(script),
                       "set terminal pngcairo noenhanced size %d,640 font ',10'\n"
                       "set output '%s.png'\nset multiplot layout 2,%d title '%s: positive "
                       "weights after each task'\nset xlabel 'log10 weight'\n"
                       "set ylabel 'share of positive weights'\nset grid\nset key top left\n",
                       320 * cols, name, cols, cond);
    for (int l = 0; l < nl && len < (int)sizeof(script) - 600; l++) {
        len +=
            snprintf(script + len, sizeof(script) - (size_t)len, "set title '%s'\nplot ", names[l]);
        for (int32_t k = 0; k < n_tasks; k++)
            len += snprintf(script + len, sizeof(script) - (size_t)len,
                            "%s'weights.dat' index %d using 1:%d with linespoints lw 1.5 pt 7 "
                            "ps 0.5 title 't%d'",
                            k ? ", " : "", index * nl + l, k + 2, k + 1);
        len += snprintf(script + len, sizeof(script) - (size_t)len, "\n");
    }
    snprintf(script + len, sizeof(script) - (size_t)len, "unset multiplot\n");
    return scl_exp_plot(env, name, script);
}

/* max_mu_vs_p.png: left, the largest mu_N of each task against p (colour = task, dash =
 * variant); right, the final mu over every task against p per variant. */
static int tri_plot_max_p(struct scl_exp_env *env, const struct tri_cond *conds, int nc)
{
    struct tri_cond v[4];
    int nv = tri_variants(conds, nc, v);
    int32_t n_tasks = env->cfg.experiment.n_tasks;
    char script[8192], vname[32];
    int len = snprintf(script, sizeof(script),
                       "set terminal pngcairo noenhanced size 1300,520 font ',11'\n"
                       "set output 'max_mu_vs_p.png'\nset multiplot layout 1,2\n"
                       "set xlabel 'downscaling share p'\nset grid\nset key outside right\n"
                       "set yrange [0:1.02]\nset title 'largest mu_N within each task'\n"
                       "set ylabel 'max mu_N'\nplot ");
    for (int j = 0; j < nv; j++) {
        tri_variant_name(&v[j], vname, sizeof(vname));
        for (int32_t k = 0; k < n_tasks && len < (int)sizeof(script) - 300; k++)
            len += snprintf(script + len, sizeof(script) - (size_t)len,
                            "%s'max_p.dat' index %d using 1:%d with linespoints lc %d dt %d pt 7 "
                            "title '%s t%d'",
                            j || k ? ", \\\n     " : "", j, 2 + 2 * k, k + 1, j + 1, vname, k + 1);
    }
    len += snprintf(script + len, sizeof(script) - (size_t)len,
                    "\nset title 'final mu over every task'\nset ylabel 'final accuracy'\n"
                    "set key inside bottom left\nplot ");
    for (int j = 0; j < nv && len < (int)sizeof(script) - 200; j++) {
        tri_variant_name(&v[j], vname, sizeof(vname));
        len += snprintf(script + len, sizeof(script) - (size_t)len,
                        "%s'max_p.dat' index %d using 1:%d:%d with yerrorlines lw 2 title '%s'",
                        j ? ", \\\n     " : "", j, 2 + 2 * n_tasks, 3 + 2 * n_tasks, vname);
    }
    snprintf(script + len, sizeof(script) - (size_t)len, "\nunset multiplot\n");
    return scl_exp_plot(env, "max_mu_vs_p", script);
}

int scl_exp_tripartite_finish(struct scl_exp_env *env)
{
    struct tri_cond conds[TRI_MAX_CONDS];
    int nc = tri_conditions(env, conds, TRI_MAX_CONDS);
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
    if (rc == SCL_EXIT_OK)
        rc = tri_write_tasks(env, conds, nc);
    if (rc == SCL_EXIT_OK)
        rc = tri_write_weights(env, conds, nc);
    if (rc == SCL_EXIT_OK)
        rc = tri_write_max_p(env, conds, nc);
    for (int i = 0; rc == SCL_EXIT_OK && i < nc; i++)
        rc = tri_plot_tasks(env, &conds[i], i);
    for (int i = 0; rc == SCL_EXIT_OK && i < nc; i++)
        rc = tri_plot_weights(env, &conds[i], i);
    if (rc == SCL_EXIT_OK)
        rc = tri_plot_max_p(env, conds, nc);
    return rc;
}
