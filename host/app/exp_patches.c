/*
 * The binary-patches toy (docs/METHOD.md section 6.11), kind `patches`: for every overlap in
 * experiment.overlaps and every trial seed, the seed draws the four patterns and the samples
 * (scl_dataset_patches, nothing read from disk); a fresh net learns task 1 (classes 0, 1), then
 * task 2 (classes 2, 3) with one 4-way head, then sleeps over both tasks' training data. After
 * task 1, after task 2 and after the sleep: test accuracy on each task, and the weights from the
 * task-1-only pixels (in a task-1 pattern, in no task-2 one) to the task-2 outputs, as their
 * mean, their share below zero and a histogram (rows "t1only_to_t2", metric "binNN"). With
 * hidden layers the weight of a pixel to an output is the product of the weight matrices (the
 * sum over every path, ReLUs ignored); with none, as in the shipped config, it is the weight.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp.h"

#define GRID      (SCL_PATCH_SIDE * SCL_PATCH_SIDE)
#define HIST_BINS 24 /* of 0.05 over [-0.6, 0.6]; the edge bins take the tails */
#define HIST_LO   (-0.6)
#define HIST_HI   0.6

static const int32_t task_classes[2][2] = {{0, 1}, {2, 3}};

static struct scl_patches_params toy_params(const struct scl_exp_env *env, int32_t overlap)
{
    const struct scl_cfg_experiment *x = &env->cfg.experiment;
    return (struct scl_patches_params){x->patch_pixels, overlap, (float)x->patch_flip};
}

/* eff[k][j]: the weight of input j to output k through every layer (the product W_L ... W_1). */
static float *effective_weights(const scl_model *m)
{
    int32_t rows = m->sizes[1];
    float *eff = malloc(sizeof(float) * (size_t)rows * GRID);
    if (!eff)
        return NULL;
    memcpy(eff, m->w[0], sizeof(float) * (size_t)rows * GRID);
    for (int32_t l = 1; l < m->n_layers; l++) {
        int32_t out = m->sizes[l + 1];
        float *next = calloc((size_t)out * GRID, sizeof(float));
        if (!next) {
            free(eff);
            return NULL;
        }
        for (int32_t k = 0; k < out; k++)
            for (int32_t i = 0; i < rows; i++)
                for (int32_t j = 0; j < GRID; j++)
                    next[k * GRID + j] += m->w[l][k * rows + i] * eff[i * GRID + j];
        free(eff);
        eff = next;
        rows = out;
    }
    return eff;
}

/* The weights from task-1-only pixels to the task-2 outputs into the results under `stage`. */
static int record_weights(struct scl_exp_env *env, const scl_model *m, const uint8_t *t1only,
                          const char *stage)
{
    float *eff = effective_weights(m);
    if (!eff)
        return SCL_EXIT_RUNTIME;
    double sum = 0, count[HIST_BINS] = {0};
    int n = 0, negative = 0;
    for (int32_t t = 0; t < 2; t++)
        for (int32_t j = 0; j < GRID; j++) {
            if (!t1only[j])
                continue;
            double w = eff[task_classes[1][t] * GRID + j];
            int b = (int)floor((w - HIST_LO) / (HIST_HI - HIST_LO) * HIST_BINS);
            count[b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b]++; /* edges take the tails */
            sum += w;
            negative += w < 0;
            n++;
        }
    free(eff);
    scl_res_row(&env->res, stage, "t1only_to_t2", "mean", n ? sum / n : (double)NAN);
    scl_res_row(&env->res, stage, "t1only_to_t2", "share_negative",
                n ? (double)negative / n : (double)NAN);
    for (int b = 0; b < HIST_BINS; b++) {
        char name[16];
        snprintf(name, sizeof(name), "bin%02d", b);
        scl_res_row(&env->res, stage, "t1only_to_t2", name, count[b]);
    }
    return SCL_EXIT_OK;
}

/* Accuracy on each task and both, and the weights, after a stage. */
static int record_stage(struct scl_exp_env *env, const scl_model *m, const uint8_t *t1only,
                        const char *stage)
{
    struct scl_eval e;
    int rc = scl_exp_eval(env, m, stage, &e);
    if (rc != SCL_EXIT_OK)
        return rc;
    for (int32_t t = 0; t < 2; t++)
        scl_res_row(&env->res, stage, t ? "task2" : "task1", "accuracy",
                    scl_eval_task_accuracy(&e, env->test->y, task_classes[t], 2));
    scl_eval_free(&e);
    return record_weights(env, m, t1only, stage);
}

/* The samples of task t (its two classes) of ds. */
static scl_dataset *task_data(const scl_dataset *ds, int32_t t)
{
    int32_t *idx = malloc(sizeof(*idx) * (size_t)ds->n), n = 0;
    scl_dataset *out = NULL;
    for (int32_t i = 0; idx && i < ds->n; i++)
        if (ds->y[i] == task_classes[t][0] || ds->y[i] == task_classes[t][1])
            idx[n++] = i;
    if (idx && scl_dataset_subset(ds, idx, n, &out) != SCL_OK)
        out = NULL;
    free(idx);
    return out;
}

/* Task 2 after task 1 on the same net: its data replace task 1's on the device. */
static int learn_task2(struct scl_exp_env *env, struct scl_exp_net *net, scl_dataset *ds)
{
    scl_ddata_destroy(net->dtrain);
    scl_dataset_destroy(net->train);
    net->dtrain = NULL;
    net->train = ds;
    scl_status st = scl_ddata_create(env->ctx, ds, &net->dtrain);
    if (st == SCL_OK)
        st = scl_trainer_fit(net->trainer, net->dtrain, NULL, NULL);
    if (st == SCL_OK)
        st = scl_trainer_get_model(net->trainer, net->model);
    return st == SCL_OK ? SCL_EXIT_OK : scl_app_fail(env->ctx, st, NULL);
}

/* Pixels of a task-1 pattern that no task-2 pattern uses. */
static void task1_only(const struct scl_patches_params *p, uint32_t seed, uint8_t *t1only)
{
    uint8_t mask[4][GRID];
    for (int32_t c = 0; c < 4; c++)
        scl_patches_pattern(p, seed, c, mask[c]);
    for (int32_t j = 0; j < GRID; j++)
        t1only[j] = (uint8_t)((mask[0][j] | mask[1][j]) & !(mask[2][j] | mask[3][j]));
}

static int trial_on(struct scl_exp_env *env, scl_dataset *train, const uint8_t *t1only,
                    uint32_t seed)
{
    struct scl_exp_net net;
    scl_dataset *t1 = task_data(train, 0), *t2 = task_data(train, 1);
    if (!t1 || !t2) {
        scl_dataset_destroy(t1);
        scl_dataset_destroy(t2);
        return SCL_EXIT_RUNTIME;
    }
    int rc = scl_exp_net_train(env, &net, t1, seed); /* net owns t1 from here */
    if (rc != SCL_EXIT_OK) {
        scl_exp_net_free(&net);
        scl_dataset_destroy(t2);
        return rc;
    }
    rc = record_stage(env, net.model, t1only, "t1");
    if (rc == SCL_EXIT_OK)
        rc = learn_task2(env, &net, t2);
    else
        scl_dataset_destroy(t2);
    if (rc == SCL_EXIT_OK)
        rc = record_stage(env, net.model, t1only, "t2");
    if (rc == SCL_EXIT_OK)
        rc = scl_exp_sleep(env, &net, train, seed, 2, "t2_sleep");
    if (rc == SCL_EXIT_OK)
        rc = record_stage(env, net.model, t1only, "t2_sleep");
    scl_exp_net_free(&net);
    return rc;
}

static int patches_trial(struct scl_exp_env *env, int32_t overlap, uint32_t seed)
{
    const struct scl_patches_params p = toy_params(env, overlap);
    const int32_t n = env->cfg.experiment.patch_samples;
    uint8_t t1only[GRID];
    scl_dataset *train = NULL;
    char label[64];
    snprintf(label, sizeof(label), "overlap %d seed %u", overlap, seed);
    scl_exp_progress(env, label, "train");
    if (scl_dataset_patches(&p, seed, 0, n, &train) != SCL_OK ||
        scl_dataset_patches(&p, seed, 1, n, &env->test) != SCL_OK ||
        scl_ddata_create(env->ctx, env->test, &env->dtest) != SCL_OK) {
        scl_dataset_destroy(train);
        return scl_app_fail(env->ctx, SCL_ERR_NOMEM, "patches");
    }
    task1_only(&p, seed, t1only);
    int rc = trial_on(env, train, t1only, seed);
    scl_dataset_destroy(train);
    scl_ddata_destroy(env->dtest);
    scl_dataset_destroy(env->test);
    env->dtest = NULL;
    env->test = NULL;
    return rc == SCL_EXIT_OK ? scl_res_commit(&env->res) : rc;
}

static int check_config(const struct scl_exp_env *env)
{
    const struct scl_cfg_experiment *x = &env->cfg.experiment;
    const struct scl_cfg_ints *sz = &env->cfg.model.sizes;
    if (sz->v[0] != GRID || sz->v[sz->n - 1] != 4) {
        scl_app_error("model.sizes: the patches toy needs %d inputs and 4 outputs", GRID);
        return SCL_EXIT_USAGE;
    }
    for (int32_t i = 0; i < x->overlaps.n; i++)
        if (x->overlaps.v[i] > x->patch_pixels) {
            scl_app_error("experiment.overlaps: %d is more than experiment.patch_pixels = %d",
                          x->overlaps.v[i], x->patch_pixels);
            return SCL_EXIT_USAGE;
        }
    if (x->overlaps.n == 0) {
        scl_app_error("experiment.overlaps: empty; the patches toy needs at least one overlap");
        return SCL_EXIT_USAGE;
    }
    return SCL_EXIT_OK;
}

int scl_exp_patches(struct scl_exp_env *env)
{
    const struct scl_cfg_ints *ov = &env->cfg.experiment.overlaps;
    int rc = check_config(env);
    if (rc != SCL_EXIT_OK)
        return rc;
    env->trials_total = ov->n * (int)env->n_seeds;
    for (int32_t i = 0; i < ov->n; i++)
        for (size_t s = 0; s < env->n_seeds; s++) {
            snprintf(env->res.condition, sizeof(env->res.condition), "o%d", ov->v[i]);
            env->res.trial = env->seeds[s];
            if (!scl_exp_take(env))
                continue;
            rc = patches_trial(env, ov->v[i], env->seeds[s]);
            if (rc != SCL_EXIT_OK)
                return rc;
            env->trials_run++;
        }
    return SCL_EXIT_OK;
}

/* Mean and std of "oN,stage,task,metric" from the summary, as "mean std". */
static void put_stat(struct scl_exp_env *env, struct scl_res_buf *out, int32_t overlap,
                     const char *stage, const char *task, const char *metric)
{
    char key[160];
    double m = NAN, sd = NAN;
    snprintf(key, sizeof(key), "o%d,%s,%s,%s", overlap, stage, task, metric);
    scl_exp_summary_get(env, key, &m, &sd);
    scl_res_printf(out, " %.4f %.4f", m, sd);
}

/* patches.dat: per overlap, task 1 and task 2 accuracy after task 2 and after sleep, and the
 * mean weight from task-1-only pixels to task-2 outputs before and after sleep. */
static int write_table(struct scl_exp_env *env)
{
    const struct scl_cfg_ints *ov = &env->cfg.experiment.overlaps;
    struct scl_res_buf out = {0};
    char path[700];
    scl_res_printf(&out, "# overlap task1_t2 std task1_sleep std task2_t2 std task2_sleep std "
                         "w_t2 std w_sleep std neg_t2 std neg_sleep std\n");
    for (int32_t i = 0; i < ov->n; i++) {
        scl_res_printf(&out, "%d", ov->v[i]);
        put_stat(env, &out, ov->v[i], "t2", "task1", "accuracy");
        put_stat(env, &out, ov->v[i], "t2_sleep", "task1", "accuracy");
        put_stat(env, &out, ov->v[i], "t2", "task2", "accuracy");
        put_stat(env, &out, ov->v[i], "t2_sleep", "task2", "accuracy");
        put_stat(env, &out, ov->v[i], "t2", "t1only_to_t2", "mean");
        put_stat(env, &out, ov->v[i], "t2_sleep", "t1only_to_t2", "mean");
        put_stat(env, &out, ov->v[i], "t2", "t1only_to_t2", "share_negative");
        put_stat(env, &out, ov->v[i], "t2_sleep", "t1only_to_t2", "share_negative");
        scl_res_printf(&out, "\n");
    }
    snprintf(path, sizeof(path), "%s/patches.dat", env->out);
    int rc = scl_app_write_atomic(path, out.text, out.len);
    free(out.text);
    return rc;
}

/* hist.csv: per overlap, stage and bin, the mean count of task-1-only-pixel weights. */
static int write_hist(struct scl_exp_env *env)
{
    const struct scl_cfg_ints *ov = &env->cfg.experiment.overlaps;
    static const char *const stages[] = {"t1", "t2", "t2_sleep"};
    struct scl_res_buf out = {0};
    char path[700], key[160];
    scl_res_printf(&out, "overlap,stage,bin_lo,bin_hi,mean_count,std\n");
    for (int32_t i = 0; i < ov->n; i++)
        for (int s = 0; s < 3; s++)
            for (int b = 0; b < HIST_BINS; b++) {
                double m = NAN, sd = NAN, w = (HIST_HI - HIST_LO) / HIST_BINS;
                snprintf(key, sizeof(key), "o%d,%s,t1only_to_t2,bin%02d", ov->v[i], stages[s], b);
                scl_exp_summary_get(env, key, &m, &sd);
                scl_res_printf(&out, "%d,%s,%.3f,%.3f,%.4f,%.4f\n", ov->v[i], stages[s],
                               HIST_LO + b * w, HIST_LO + (b + 1) * w, m, sd);
            }
    snprintf(path, sizeof(path), "%s/hist.csv", env->out);
    int rc = scl_app_write_atomic(path, out.text, out.len);
    free(out.text);
    return rc;
}

/* The overlap where sleep raised task 1 the most (the histogram panel's). */
static int best_recovery(struct scl_exp_env *env)
{
    const struct scl_cfg_ints *ov = &env->cfg.experiment.overlaps;
    int best = ov->v[0];
    double gain_best = -INFINITY;
    for (int32_t i = 0; i < ov->n; i++) {
        char key[160];
        double before = NAN, after = NAN, sd;
        snprintf(key, sizeof(key), "o%d,t2,task1,accuracy", ov->v[i]);
        scl_exp_summary_get(env, key, &before, &sd);
        snprintf(key, sizeof(key), "o%d,t2_sleep,task1,accuracy", ov->v[i]);
        scl_exp_summary_get(env, key, &after, &sd);
        if (after - before > gain_best) {
            gain_best = after - before;
            best = ov->v[i];
        }
    }
    return best;
}

int scl_exp_patches_finish(struct scl_exp_env *env)
{
    char script[3072];
    int rc = scl_exp_write_summary(env);
    if (rc == SCL_EXIT_OK)
        rc = write_table(env);
    if (rc == SCL_EXIT_OK)
        rc = write_hist(env);
    int mid = best_recovery(env);
    snprintf(
        script, sizeof(script),
        "set terminal pngcairo noenhanced size 1500,480 font ',10'\nset output 'patches.png'\n"
        "set multiplot layout 1,3 title 'Binary patches: task 2 after task 1, then sleep (mean "
        "+- std over trials)'\n"
        "set title 'test accuracy'\nset xlabel 'overlap (pixels)'\nset ylabel 'accuracy'\n"
        "set yrange [0:1.05]\nset key bottom left\n"
        "plot 'patches.dat' using 1:2:3 with yerrorlines lw 2 title 'task 1 after task 2', \\\n"
        "     '' using 1:4:5 with yerrorlines lw 2 title 'task 1 after sleep', \\\n"
        "     '' using 1:6:7 with yerrorlines lw 2 dt 2 title 'task 2 after task 2', \\\n"
        "     '' using 1:8:9 with yerrorlines lw 2 dt 2 title 'task 2 after sleep'\n"
        "set title 'weights, task-1-only pixels to task-2 outputs'\nset yrange [*:*]\n"
        "set ylabel 'mean weight'\nset key top right\n"
        "plot 'patches.dat' using 1:10:11 with yerrorlines lw 2 title 'after task 2', \\\n"
        "     '' using 1:12:13 with yerrorlines lw 2 title 'after sleep'\n"
        "set title 'their histogram at overlap %d (largest recovery)'\nset xlabel 'weight'\n"
        "set ylabel 'count (mean over trials)'\nset datafile separator ','\n"
        "set style fill transparent solid 0.5\n"
        "plot 'hist.csv' using (($1 == %d && strcol(2) eq 't2') ? ($3 + $4) / 2 : 1/0):5 "
        "with boxes title 'after task 2', \\\n"
        "     '' using (($1 == %d && strcol(2) eq 't2_sleep') ? ($3 + $4) / 2 : 1/0):5 "
        "with boxes title 'after sleep'\nunset multiplot\n",
        mid, mid, mid);
    return rc == SCL_EXIT_OK ? scl_exp_plot(env, "patches", script) : rc;
}
