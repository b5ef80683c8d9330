/*
 * Sequential tasks (docs/METHOD.md sections 6.4-6.7 and 6.9), kinds `tasks` and `incremental`.
 *
 * The classes are split in order (or in a random order per trial, experiment.shuffle_tasks) into
 * experiment.n_tasks tasks with one shared output head. Each task's training data are a
 * class-balanced share of its classes (`tasks`), or its first experiment.task_samples images in
 * file order (`incremental`, the 2022 protocol). One net learns the tasks in turn, keeping its
 * momentum buffer; before each new task it may be downscaled (experiment.downscale); after each
 * task (or the last, experiment.sleep_after) it sleeps, with input statistics over every task
 * seen so far and T growing by sleep.steps_per_task per task; then it may be fine-tuned on the
 * task's data. After every stage the test accuracy on every task is recorded: the accuracy
 * matrix. Conditions: fraction (or fraction pair with experiment.grid), x downscale, x
 * continual-learning method (experiment.methods, named first: "ewc_f1_d0_sleep"), x sleep or not
 * (experiment.compare_no_sleep), plus the parallel baseline (experiment.parallel). A method's
 * trainer ends each task with scl_trainer_consolidate before the next, after the task's sleep;
 * rehearsal's memory is kept by exp_methods.c, which also writes the methods report.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp.h"

#define MAX_TASKS 16

struct task_plan {
    int32_t n_tasks;
    int32_t classes[MAX_TASKS][SCL_MAX_CLASSES];
    int32_t n_classes[MAX_TASKS];
    double fraction[MAX_TASKS];
    double downscale;
    bool sleep;
};

struct cond {
    double f1, f2, downscale;
    bool sleep, parallel;
    int32_t method; /* 1 + index into experiment.methods; 0 = train.method, unnamed */
    int32_t memory; /* iCaRL's exemplar total K (experiment.memories); 0 = train.icarl_memory */
};

/* Conditions compared by method are named with the method first ("ewc_f1_d0_sleep"). */
static void cond_name(const struct scl_exp_env *env, const struct cond *c, char *buf, size_t n)
{
    char m[40] = "", k[24] = "";
    if (c->memory > 0) /* "icarl_k100_f1_d0_sleep" */
        snprintf(k, sizeof(k), "k%d_", c->memory);
    if (c->method > 0)
        snprintf(m, sizeof(m), "%s_%s",
                 scl_cfg_method_name(env->cfg.experiment.methods.v[c->method - 1]), k);
    else
        snprintf(m, sizeof(m), "%s", k);
    if (c->parallel)
        snprintf(buf, n, "parallel_f%g", c->f1);
    else if (env->cfg.experiment.grid)
        snprintf(buf, n, "%sf%g_%g_d%g_%s", m, c->f1, c->f2, c->downscale,
                 c->sleep ? "sleep" : "nosleep");
    else
        snprintf(buf, n, "%sf%g_d%g_%s", m, c->f1, c->downscale, c->sleep ? "sleep" : "nosleep");
}

/* The class order of a trial: 0..K-1, shuffled by the seed when asked. */
static void class_order(const struct scl_exp_env *env, uint32_t seed, int32_t *order, int32_t k)
{
    for (int32_t i = 0; i < k; i++)
        order[i] = i;
    for (int32_t i = k - 1; env->cfg.experiment.shuffle_tasks && i > 0; i--) {
        uint32_t w[4];
        scl_rng_words(seed, SCL_RNG_SUBSET, (uint32_t)i, 0xffffu, 1, w);
        int32_t j = (int32_t)(w[0] % (uint32_t)(i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

static int make_plan(const struct scl_exp_env *env, const struct cond *c, uint32_t seed,
                     struct task_plan *p)
{
    int32_t k = env->train_full->n_classes, order[SCL_MAX_CLASSES];
    int32_t nt = env->cfg.experiment.n_tasks;
    if (nt > MAX_TASKS || nt > k) {
        scl_app_error("experiment.n_tasks = %d: at most %d tasks of at least one class", nt,
                      k < MAX_TASKS ? k : MAX_TASKS);
        return SCL_EXIT_USAGE;
    }
    memset(p, 0, sizeof(*p));
    p->n_tasks = nt;
    p->downscale = c->downscale;
    p->sleep = c->sleep;
    class_order(env, seed, order, k);
    for (int32_t i = 0; i < k; i++) {
        int32_t t = (int32_t)((int64_t)i * nt / k);
        p->classes[t][p->n_classes[t]++] = order[i];
    }
    for (int32_t t = 0; t < nt; t++)
        p->fraction[t] = (t == 1 && env->cfg.experiment.grid) ? c->f2 : c->f1;
    return SCL_EXIT_OK;
}

/* The seed of one random stream of a trial's task: Philox of (trial seed, purpose) at the task's
 * counter. Trial s's task k+1 and trial s+1's task k draw from unrelated streams (seed + task
 * made them share one). */
static uint32_t task_seed(uint32_t trial, int32_t task, scl_rng_purpose purpose)
{
    uint32_t w[4];
    scl_rng_words(trial, purpose, (uint32_t)task, 0xfffffffeu, 0, w);
    return w[0];
}

/* Training-set indices of task t: a balanced share, or the first N images in file order. */
static int task_indices(const struct scl_exp_env *env, const struct task_plan *p, int32_t t,
                        uint32_t seed, int32_t *idx, int32_t *n)
{
    const scl_dataset *full = env->train_full;
    *n = 0;
    if (env->cfg.experiment.kind == SCL_CFG_KIND_INCREMENTAL) {
        for (int32_t i = 0; i < full->n && *n < env->cfg.experiment.task_samples; i++)
            for (int32_t c = 0; c < p->n_classes[t]; c++)
                if (full->y[i] == p->classes[t][c])
                    idx[(*n)++] = i;
        return SCL_EXIT_OK;
    }
    scl_status st =
        scl_dataset_balanced_indices(full, p->fraction[t], p->classes[t], p->n_classes[t],
                                     task_seed(seed, t, SCL_RNG_SUBSET), idx, n);
    if (st != SCL_OK) /* e.g. a class of the task without training images */
        scl_app_error("task %d: cannot draw %g of its classes' training images: %s", t + 1,
                      p->fraction[t], scl_status_str(st));
    return st == SCL_OK ? SCL_EXIT_OK : scl_app_exit_code(st);
}

/* Accuracy on every task, on all classes, and the mean over the tasks seen (stage row). */
static int record_stage(struct scl_exp_env *env, const struct task_plan *p, const scl_model *m,
                        const struct scl_exp_memory *mem, const char *stage, int32_t seen,
                        double *row)
{
    struct scl_eval e;
    char task[16];
    int rc = mem && scl_exp_icarl(env) ? scl_exp_icarl_eval(env, mem, m, stage, &e)
                                       : scl_exp_eval(env, m, stage, &e);
    if (rc != SCL_EXIT_OK)
        return rc;
    double mean = 0.0;
    for (int32_t t = 0; t < p->n_tasks; t++) {
        row[t] = scl_eval_task_accuracy(&e, env->test->y, p->classes[t], p->n_classes[t]);
        snprintf(task, sizeof(task), "task%d", t + 1);
        scl_res_row(&env->res, stage, task, "accuracy", row[t]);
        mean += t < seen ? row[t] : 0.0;
    }
    scl_res_row(&env->res, stage, "seen", "accuracy", mean / seen);
    if (seen > 1)
        scl_res_row(&env->res, stage, "seen", "balance_kl", scl_cl_balance(row, seen));
    scl_eval_free(&e);
    return SCL_EXIT_OK;
}

/* Train on task t (a fresh net for the first task), downscaling first when asked. A later task
 * starts by consolidating the one before (its data and the weights it left, sleep included) and
 * hands rehearsal's memory to the trainer. */
static int learn_task(struct scl_exp_env *env, struct scl_exp_net *net, scl_dataset *ds, int32_t t,
                      double downscale, uint32_t seed, struct scl_exp_memory *mem)
{
    if (t == 0)
        return scl_exp_net_train(env, net, ds, seed);
    scl_status st = scl_trainer_consolidate(net->trainer, net->dtrain);
    if (st == SCL_OK && downscale > 0.0) {
        st = scl_model_downscale(net->model, downscale);
        if (st == SCL_OK)
            st = scl_trainer_set_model(net->trainer, net->model);
    }
    scl_ddata_destroy(net->dtrain);
    scl_dataset_destroy(net->train);
    net->dtrain = NULL;
    net->train = ds;
    if (st == SCL_OK)
        st = scl_ddata_create(env->ctx, ds, &net->dtrain);
    if (st == SCL_OK && scl_exp_memory_attach(env, mem, net->trainer) != SCL_EXIT_OK)
        return SCL_EXIT_RUNTIME;
    if (st == SCL_OK && scl_exp_icarl_distill(env, mem, net) != SCL_EXIT_OK)
        return SCL_EXIT_RUNTIME;
    if (st == SCL_OK)
        st = scl_trainer_fit(net->trainer, net->dtrain, NULL, NULL);
    if (st == SCL_OK)
        st = scl_trainer_get_model(net->trainer, net->model);
    if (st != SCL_OK) {
        scl_app_error("%s", scl_ctx_last_error(env->ctx));
        return SCL_EXIT_RUNTIME;
    }
    return SCL_EXIT_OK;
}

static bool sleeps_after(const struct scl_exp_env *env, const struct task_plan *p, int32_t t)
{
    return p->sleep &&
           (env->cfg.experiment.sleep_after == SCL_CFG_SLEEP_AFTER_EVERY || t == p->n_tasks - 1);
}

/* Sleep (statistics over the tasks seen: indices seen_idx[0..n_seen)) and fine-tune. */
static int sleep_stage(struct scl_exp_env *env, struct scl_exp_net *net, const struct task_plan *p,
                       const struct scl_exp_memory *mem, int32_t t, const int32_t *seen_idx,
                       int32_t n_seen, uint32_t seed, double *r)
{
    char stage[32];
    scl_dataset *seen = NULL;
    if (scl_dataset_subset(env->train_full, seen_idx, n_seen, &seen) != SCL_OK)
        return SCL_EXIT_RUNTIME;
    snprintf(stage, sizeof(stage), "t%d_sleep", t + 1);
    for (int32_t k = 0; k <= t; k++) /* the analyses group the units by task */
        for (int32_t c = 0; c < p->n_classes[k]; c++)
            env->class_task[p->classes[k][c]] = k + 1;
    double t0 = scl_app_now();
    int rc = scl_exp_sleep(env, net, seen, task_seed(seed, t, SCL_RNG_SPIKES), t + 1, stage);
    memset(env->class_task, 0, sizeof(env->class_task));
    scl_dataset_destroy(seen);
    if (rc == SCL_EXIT_OK) /* wall time: the one row that differs between reruns */
        scl_res_row(&env->res, stage, "all", "seconds", scl_app_now() - t0);
    if (rc == SCL_EXIT_OK)
        rc = record_stage(env, p, net->model, mem, stage, t + 1, r);
    if (rc == SCL_EXIT_OK && env->cfg.train.finetune_epochs > 0) {
        snprintf(stage, sizeof(stage), "t%d_finetune", t + 1);
        rc = scl_exp_finetune(env, net);
        if (rc == SCL_EXIT_OK)
            rc = record_stage(env, p, net->model, mem, stage, t + 1, r);
    }
    return rc;
}

/* The continual-learning metrics of the final row of each task (after its sleep, if any). */
static void record_metrics(struct scl_exp_env *env, const double *r, int32_t nt)
{
    struct scl_cl_metrics m;
    if (scl_cl_metrics(r, nt, &m) != SCL_OK)
        return;
    scl_res_row(&env->res, "final", "all", "average_accuracy", m.average_accuracy);
    scl_res_row(&env->res, "final", "all", "backward_transfer", m.backward_transfer);
    scl_res_row(&env->res, "final", "all", "forgetting", m.forgetting);
}

static int run_sequence(struct scl_exp_env *env, const struct task_plan *p, uint32_t seed,
                        const char *label)
{
    struct scl_exp_net net;
    struct scl_exp_memory mem = {0};
    double r[MAX_TASKS * MAX_TASKS];
    int32_t *seen = malloc(sizeof(*seen) * (size_t)env->train_full->n), n_seen = 0;
    int32_t *idx = malloc(sizeof(*idx) * (size_t)env->train_full->n), n = 0;
    int rc = seen && idx ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
    memset(&net, 0, sizeof(net));
    for (int32_t t = 0; rc == SCL_EXIT_OK && t < p->n_tasks; t++) {
        char stage[32], phase[32];
        scl_dataset *ds = NULL;
        snprintf(phase, sizeof(phase), "task %d", t + 1);
        scl_exp_progress(env, label, phase);
        rc = task_indices(env, p, t, seed, idx, &n);
        if (rc == SCL_EXIT_OK)
            rc = scl_exp_memory_task_data(env, &mem, idx, n, &ds);
        memcpy(seen + n_seen, idx, sizeof(*idx) * (size_t)n);
        n_seen += n;
        double t0 = scl_app_now();
        if (rc == SCL_EXIT_OK)
            rc = learn_task(env, &net, ds, t, p->downscale, seed, &mem);
        snprintf(stage, sizeof(stage), "t%d", t + 1);
        if (rc == SCL_EXIT_OK) /* wall time: the one row that differs between reruns */
            scl_res_row(&env->res, stage, "all", "seconds", scl_app_now() - t0);
        if (rc == SCL_EXIT_OK) /* iCaRL herds the new classes from the net just trained */
            rc = scl_exp_icarl_update(env, &mem, net.model, p->classes[t], p->n_classes[t], idx, n);
        if (rc == SCL_EXIT_OK)
            rc = record_stage(env, p, net.model, &mem, stage, t + 1, r + t * p->n_tasks);
        if (rc == SCL_EXIT_OK && sleeps_after(env, p, t))
            rc = sleep_stage(env, &net, p, &mem, t, seen, n_seen, seed, r + t * p->n_tasks);
        if (rc == SCL_EXIT_OK)
            rc = scl_exp_memory_add(env, &mem, idx, n, seed, t);
    }
    if (rc == SCL_EXIT_OK)
        record_metrics(env, r, p->n_tasks);
    scl_exp_net_free(&net); /* before the memory its trainer borrows */
    scl_exp_memory_free(&mem);
    free(seen);
    free(idx);
    return rc;
}

/* Task t's share of the parallel baseline: what the sequence trains on, except in the 2022
 * protocol, whose upper bound is a net trained on every training image of the tasks' classes
 * (the sequence sees only the first task_samples of each task). */
static int parallel_indices(const struct scl_exp_env *env, const struct task_plan *p, int32_t t,
                            uint32_t seed, int32_t *idx, int32_t *n)
{
    const scl_dataset *full = env->train_full;
    if (env->cfg.experiment.kind != SCL_CFG_KIND_INCREMENTAL)
        return task_indices(env, p, t, seed, idx, n);
    *n = 0;
    for (int32_t i = 0; i < full->n; i++)
        for (int32_t c = 0; c < p->n_classes[t]; c++)
            if (full->y[i] == p->classes[t][c])
                idx[(*n)++] = i;
    return SCL_EXIT_OK;
}

/* The parallel baseline: one net trained on all tasks' data at once. */
static int run_parallel(struct scl_exp_env *env, const struct task_plan *p, uint32_t seed,
                        const char *label)
{
    struct scl_exp_net net;
    double r[MAX_TASKS];
    int32_t *all = malloc(sizeof(*all) * (size_t)env->train_full->n), n_all = 0, n = 0;
    int rc = all ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
    scl_dataset *ds = NULL;
    scl_exp_progress(env, label, "all tasks at once");
    for (int32_t t = 0; rc == SCL_EXIT_OK && t < p->n_tasks; t++) {
        rc = parallel_indices(env, p, t, seed, all + n_all, &n);
        n_all += n;
    }
    if (rc == SCL_EXIT_OK && scl_dataset_subset(env->train_full, all, n_all, &ds) != SCL_OK)
        rc = SCL_EXIT_RUNTIME;
    free(all);
    if (rc != SCL_EXIT_OK)
        return rc;
    rc = scl_exp_net_train(env, &net, ds, seed); /* net owns ds from here */
    if (rc == SCL_EXIT_OK)
        rc = record_stage(env, p, net.model, NULL, "parallel", p->n_tasks, r);
    scl_exp_net_free(&net);
    return rc;
}

static int tasks_trial(struct scl_exp_env *env, const struct cond *c, uint32_t seed)
{
    struct task_plan p;
    char label[96];
    snprintf(label, sizeof(label), "%s seed %u", env->res.condition, seed);
    int rc = make_plan(env, c, seed, &p);
    scl_method keep = env->cfg.train.method; /* the trial's method, for this trial only */
    int32_t keep_k = env->cfg.icarl_memory;
    if (c->memory > 0)
        env->cfg.icarl_memory = c->memory;
    if (c->parallel)
        env->cfg.train.method = SCL_METHOD_SGD; /* one task: nothing to protect */
    else if (c->method > 0)
        env->cfg.train.method = (scl_method)env->cfg.experiment.methods.v[c->method - 1];
    if (rc == SCL_EXIT_OK)
        rc = c->parallel ? run_parallel(env, &p, seed, label) : run_sequence(env, &p, seed, label);
    env->cfg.train.method = keep;
    env->cfg.icarl_memory = keep_k;
    return rc == SCL_EXIT_OK ? scl_res_commit(&env->res) : rc;
}

/* The method x memory x sleep conditions of one point of the sweep, appended to out[n..cap):
 * iCaRL once per exemplar total of experiment.memories, any other method once. */
static int method_conditions(const struct scl_config *cfg, struct cond c, struct cond *out, int n,
                             int cap)
{
    const struct scl_cfg_experiment *x = &cfg->experiment;
    for (int32_t m = 0; m < (x->methods.n ? x->methods.n : 1); m++) {
        int method = x->methods.n ? x->methods.v[m] : (int)cfg->train.method;
        int32_t nk = method == SCL_METHOD_ICARL ? x->memories.n : 0;
        for (int32_t k = 0; k < (nk ? nk : 1); k++) {
            for (int s = x->compare_no_sleep ? 0 : 1; s <= 1 && n < cap; s++) {
                c.method = x->methods.n ? m + 1 : 0;
                c.memory = nk ? x->memories.v[k] : 0;
                c.sleep = s == 1;
                out[n++] = c;
            }
        }
    }
    return n;
}

/* Every condition of the sweep, in order, into out (returns the count). */
static int conditions(const struct scl_exp_env *env, struct cond *out, int cap)
{
    const struct scl_cfg_experiment *x = &env->cfg.experiment;
    int n = 0;
    for (int32_t i = 0; i < x->fractions.n; i++) {
        for (int32_t j = 0; j < (x->grid ? x->fractions.n : 1); j++) {
            for (int32_t d = 0; d < (x->downscale.n ? x->downscale.n : 1); d++) {
                struct cond c = {0};
                c.f1 = x->fractions.v[i];
                c.f2 = x->fractions.v[x->grid ? j : i];
                c.downscale = x->downscale.n ? x->downscale.v[d] : 0.0;
                n = method_conditions(&env->cfg, c, out, n, cap);
            }
        }
        if (x->parallel && n < cap) {
            struct cond c = {x->fractions.v[i], x->fractions.v[i], 0.0, false, true, 0, 0};
            out[n++] = c;
        }
    }
    return n;
}

int scl_exp_tasks(struct scl_exp_env *env)
{
    enum { CAP = 4096 };
    struct cond *conds = malloc(sizeof(*conds) * CAP);
    if (!conds)
        return SCL_EXIT_RUNTIME;
    int nc = conditions(env, conds, CAP);
    int rc = scl_exp_paper_load(env->cfg.experiment.paper, &env->paper);
    env->trials_total = nc * (int)env->n_seeds;
    /* Seeds outermost: a run stopped early holds every condition for its first seeds, so the
     * methods can be compared on the seeds that finished. */
    for (size_t s = 0; rc == SCL_EXIT_OK && s < env->n_seeds; s++) {
        for (int i = 0; rc == SCL_EXIT_OK && i < nc; i++) {
            cond_name(env, &conds[i], env->res.condition, sizeof(env->res.condition));
            env->res.trial = env->seeds[s];
            if (!scl_exp_take(env)) /* done, or (a worker) another has it */
                continue;
            rc = tasks_trial(env, &conds[i], env->seeds[s]);
            env->trials_run += rc == SCL_EXIT_OK;
        }
    }
    free(conds);
    return rc;
}

/* ------------------------------------------------------------------ summary plots */

/* The stages of the sequence in order, as recorded: t1, t1_sleep, t1_finetune, t2, ... */
static int stage_list(struct scl_exp_env *env, const char *cond, char stages[][32], int cap)
{
    static const char *const suffix[] = {"", "_sleep", "_finetune"};
    int n = 0;
    for (int32_t t = 1; t <= env->cfg.experiment.n_tasks; t++) {
        for (int k = 0; k < 3 && n < cap; k++) {
            char key[200];
            double m, sd;
            snprintf(stages[n], 32, "t%d%s", t, suffix[k]);
            snprintf(key, sizeof(key), "%s,%s,task1,accuracy", cond, stages[n]);
            scl_exp_summary_get(env, key, &m, &sd);
            n += !isnan(m);
        }
    }
    return n;
}

/* matrix_<cond>.dat (stage x task mean accuracy) and its heatmap. */
static int plot_matrix(struct scl_exp_env *env, const char *cond)
{
    char stages[3 * MAX_TASKS][32], path[700], key[2048], script[4096], ytics[1024] = "";
    int ns = stage_list(env, cond, stages, 3 * MAX_TASKS);
    struct scl_res_buf out = {0};
    for (int i = 0; i < ns; i++) {
        for (int32_t t = 0; t < env->cfg.experiment.n_tasks; t++) {
            double m, sd;
            snprintf(key, sizeof(key), "%s,%s,task%d,accuracy", cond, stages[i], t + 1);
            scl_exp_summary_get(env, key, &m, &sd);
            scl_res_printf(&out, "%s%.4f", t ? " " : "", m);
        }
        scl_res_printf(&out, "\n");
        char tic[48];
        snprintf(tic, sizeof(tic), "%s'%s' %d", i ? ", " : "", stages[i], i);
        strncat(ytics, tic, sizeof(ytics) - strlen(ytics) - 1);
    }
    snprintf(path, sizeof(path), "%s/matrix_%s.dat", env->out, cond);
    int rc = scl_app_write_atomic(path, out.text ? out.text : "", out.len);
    free(out.text);
    snprintf(script, sizeof(script),
             "set terminal pngcairo noenhanced size 700,%d font ',10'\nset output 'matrix_%s.png'\n"
             "set title 'Accuracy matrix %s (mean over trials)'\nset xlabel 'task'\n"
             "set ylabel 'after stage'\nset xtics 1\nset ytics (%s)\nset yrange [] reverse\n"
             "set cbrange [0:1]\nset palette defined (0 'white', 1 'dark-blue')\n"
             "plot 'matrix_%s.dat' matrix using ($1+1):2:3 with image notitle, \\\n"
             "     '' matrix using ($1+1):2:(sprintf('%%.2f',$3)) with labels notitle\n",
             200 + 28 * ns, cond, cond, ytics, cond);
    snprintf(key, sizeof(key), "matrix_%s", cond);
    return rc == SCL_EXIT_OK ? scl_exp_plot(env, key, script) : rc;
}

/* seen_accuracy.dat: one block per condition, mean accuracy over the tasks seen per stage. */
static int plot_seen(struct scl_exp_env *env, const struct cond *conds, int nc)
{
    char stages[3 * MAX_TASKS][32], cond[64], key[2048], path[700];
    struct scl_res_buf out = {0}, plot = {0};
    scl_res_printf(&plot, "set terminal pngcairo noenhanced size 1000,560 font ',10'\nset output "
                          "'seen_accuracy.png'\nset title 'Mean accuracy over the tasks seen'\n"
                          "set xlabel 'stage'\nset ylabel 'accuracy'\nset yrange [0:1]\nset grid\n"
                          "set key outside right\nplot ");
    int block = 0;
    for (int i = 0; i < nc; i++) {
        if (conds[i].parallel)
            continue;
        cond_name(env, &conds[i], cond, sizeof(cond));
        int ns = stage_list(env, cond, stages, 3 * MAX_TASKS);
        for (int s = 0; s < ns; s++) {
            double m, sd;
            snprintf(key, sizeof(key), "%s,%s,seen,accuracy", cond, stages[s]);
            scl_exp_summary_get(env, key, &m, &sd);
            scl_res_printf(&out, "%d %s %.4f %.4f\n", s, stages[s], m, sd);
        }
        scl_res_printf(&out, "\n\n");
        scl_res_printf(&plot,
                       "%s'seen_accuracy.dat' index %d using 1:3:xtic(2) with linespoints "
                       "title '%s'",
                       block ? ", \\\n     " : "", block, cond);
        block++;
    }
    scl_res_printf(&plot, "\n");
    snprintf(path, sizeof(path), "%s/seen_accuracy.dat", env->out);
    int rc = scl_app_write_atomic(path, out.text ? out.text : "", out.len);
    if (rc == SCL_EXIT_OK && block)
        rc = scl_exp_plot(env, "seen_accuracy", plot.text);
    free(out.text);
    free(plot.text);
    return rc;
}

/* Two tasks on a fraction grid (6.4): heatmaps over (task 1 share, task 2 share) of the
 * accuracy on task 1, task 2 and their mean, after task 1, after task 2 and after sleep. */
static int plot_grid(struct scl_exp_env *env)
{
    static const char *const stages[] = {"t1", "t2", "t2_sleep"};
    static const char *const tasks[] = {"task1", "task2", "seen"};
    const struct scl_cfg_floats *fr = &env->cfg.experiment.fractions;
    struct scl_res_buf plot = {0};
    char path[760], key[300], tics[512] = "";
    int rc = SCL_EXIT_OK;
    for (int32_t i = 0; i < fr->n; i++) {
        char t[32];
        snprintf(t, sizeof(t), "%s'%g' %d", i ? ", " : "", fr->v[i], i);
        strncat(tics, t, sizeof(tics) - strlen(tics) - 1);
    }
    scl_res_printf(&plot,
                   "set terminal pngcairo noenhanced size 1300,1100 font ',9'\n"
                   "set output 'grid.png'\nset multiplot layout 3,3 title 'Two tasks: test "
                   "accuracy (mean over trials); x: task 2 share, y: task 1 share'\n"
                   "set xtics (%s)\nset ytics (%s)\nset cbrange [0:1]\n"
                   "set palette defined (0 'white', 1 'dark-blue')\n",
                   tics, tics);
    for (int s = 0; s < 3 && rc == SCL_EXIT_OK; s++) {
        for (int t = 0; t < 3 && rc == SCL_EXIT_OK; t++) {
            struct scl_res_buf out = {0};
            for (int32_t i = 0; i < fr->n; i++) {
                for (int32_t j = 0; j < fr->n; j++) {
                    struct cond c = {fr->v[i], fr->v[j], 0.0, true, false, 0, 0};
                    char cond[64];
                    double m, sd;
                    cond_name(env, &c, cond, sizeof(cond));
                    snprintf(key, sizeof(key), "%s,%s,%s,accuracy", cond, stages[s], tasks[t]);
                    scl_exp_summary_get(env, key, &m, &sd);
                    scl_res_printf(&out, "%s%.4f", j ? " " : "", m);
                }
                scl_res_printf(&out, "\n");
            }
            snprintf(path, sizeof(path), "%s/grid_%s_%s.dat", env->out, stages[s], tasks[t]);
            rc = scl_app_write_atomic(path, out.text ? out.text : "", out.len);
            free(out.text);
            scl_res_printf(&plot,
                           "set title '%s after %s'\nplot 'grid_%s_%s.dat' matrix with image "
                           "notitle\n",
                           tasks[t], stages[s], stages[s], tasks[t]);
        }
    }
    scl_res_printf(&plot, "unset multiplot\n");
    if (rc == SCL_EXIT_OK)
        rc = scl_exp_plot(env, "grid", plot.text);
    free(plot.text);
    return rc;
}

/* The row of method m (1-based) with exemplar total k among rows[0..*n), added (named "icarl" or
 * "icarl_k100") when new; NULL when the table is full. */
static struct scl_exp_method_row *method_row(struct scl_exp_env *env,
                                             struct scl_exp_method_row *rows, char names[][48],
                                             int32_t *keys, int *n, int32_t m, int32_t k)
{
    for (int i = 0; i < *n; i++)
        if (keys[2 * i] == m && keys[2 * i + 1] == k)
            return &rows[i];
    if (*n >= SCL_CFG_LIST)
        return NULL;
    const char *name = scl_cfg_method_name(env->cfg.experiment.methods.v[m - 1]);
    if (k > 0)
        snprintf(names[*n], 48, "%s_k%d", name, k);
    else
        snprintf(names[*n], 48, "%s", name);
    keys[2 * *n] = m;
    keys[2 * *n + 1] = k;
    rows[*n].method = names[*n];
    return &rows[(*n)++];
}

/* The methods side by side (exp_methods.c): each method's (and iCaRL memory's) first conditions
 * without and with sleep (the first point of the sweep) and their last stages; the first
 * parallel baseline. */
static int report_methods(struct scl_exp_env *env, const struct cond *conds, int nc)
{
    struct scl_exp_method_row rows[SCL_CFG_LIST];
    char stages[3 * MAX_TASKS][32], parallel[64] = "", names[SCL_CFG_LIST][48];
    int32_t keys[2 * SCL_CFG_LIST];
    int nr = 0;
    memset(rows, 0, sizeof(rows));
    for (int i = 0; i < nc; i++) {
        if (conds[i].parallel && !parallel[0])
            cond_name(env, &conds[i], parallel, sizeof(parallel));
        if (conds[i].parallel || conds[i].method < 1)
            continue;
        struct scl_exp_method_row *r =
            method_row(env, rows, names, keys, &nr, conds[i].method, conds[i].memory);
        int s = conds[i].sleep ? 1 : 0;
        if (!r || r->cond[s][0])
            continue;
        cond_name(env, &conds[i], r->cond[s], sizeof(r->cond[s]));
        int ns = stage_list(env, r->cond[s], stages, 3 * MAX_TASKS);
        snprintf(r->last[s], sizeof(r->last[s]), "%s", ns ? stages[ns - 1] : "none");
    }
    return scl_exp_methods_report(env, rows, nr, parallel);
}

int scl_exp_tasks_finish(struct scl_exp_env *env)
{
    enum { CAP = 4096 };
    struct cond *conds = malloc(sizeof(*conds) * CAP);
    char cond[64];
    int rc = conds ? scl_exp_write_summary(env) : SCL_EXIT_RUNTIME;
    int nc = conds ? conditions(env, conds, CAP) : 0;
    for (int i = 0; rc == SCL_EXIT_OK && i < nc && i < 16; i++) {
        if (conds[i].parallel)
            continue;
        cond_name(env, &conds[i], cond, sizeof(cond));
        rc = plot_matrix(env, cond);
    }
    if (rc == SCL_EXIT_OK)
        rc = plot_seen(env, conds, nc);
    if (rc == SCL_EXIT_OK && env->cfg.experiment.grid && env->cfg.experiment.n_tasks == 2)
        rc = plot_grid(env);
    if (rc == SCL_EXIT_OK && env->cfg.experiment.methods.n > 0)
        rc = report_methods(env, conds, nc);
    if (rc == SCL_EXIT_OK)
        rc = scl_exp_analyze_report(env);
    free(conds);
    return rc;
}
