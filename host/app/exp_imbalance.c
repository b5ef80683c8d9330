/*
 * Imbalance (docs/METHOD.md section 6.3): a class-balanced subset of data.fraction of the training
 * set (10% in the paper), then one class cut to each share in experiment.levels of its count,
 * for each class of experiment.targets in turn; train, sleep, fine-tune as in the limited-data
 * protocol. Condition "cC_lL" is class C kept at share L. The plot is the heatmap of the change
 * of the cut class's test accuracy from sleep (class x share), next to its accuracy before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp.h"

static void condition_name(int32_t cls, double level, char *buf, size_t n)
{
    snprintf(buf, n, "c%d_l%g", cls, level);
}

static int imbalance_trial(struct scl_exp_env *env, int32_t cls, double level, uint32_t seed)
{
    struct scl_exp_net net;
    char label[64];
    scl_dataset *bal = scl_app_train_subset(&env->cfg, env->train_full, seed), *cut = NULL;
    snprintf(label, sizeof(label), "class %d at %g seed %u", cls, level, seed);
    scl_exp_progress(env, label, "train");
    if (!bal)
        return SCL_EXIT_RUNTIME;
    scl_status st = scl_dataset_cut_class(bal, cls, level, seed, &cut);
    scl_dataset_destroy(bal);
    if (st != SCL_OK) {
        scl_app_error("experiment.targets: class %d is not in the data", cls);
        return SCL_EXIT_USAGE;
    }
    int rc = scl_exp_net_train(env, &net, cut, seed);
    if (rc == SCL_EXIT_OK)
        rc = scl_exp_eval(env, net.model, "baseline", NULL);
    if (rc == SCL_EXIT_OK) {
        scl_exp_progress(env, label, "sleep");
        rc = scl_exp_sleep(env, &net, net.train, seed, 1, "sleep");
    }
    if (rc == SCL_EXIT_OK)
        rc = scl_exp_eval(env, net.model, "sleep", NULL);
    if (rc == SCL_EXIT_OK && env->cfg.train.finetune_epochs > 0) {
        rc = scl_exp_finetune(env, &net);
        if (rc == SCL_EXIT_OK)
            rc = scl_exp_eval(env, net.model, "sleep_finetune", NULL);
    }
    scl_exp_net_free(&net);
    return rc == SCL_EXIT_OK ? scl_res_commit(&env->res) : rc;
}

/* The classes cut in turn: experiment.targets, or every class of the data. */
static int32_t targets(const struct scl_exp_env *env, int32_t *out)
{
    const struct scl_cfg_ints *t = &env->cfg.experiment.targets;
    int32_t n = t->n ? t->n : env->train_full->n_classes;
    for (int32_t i = 0; i < n; i++)
        out[i] = t->n ? t->v[i] : i;
    return n;
}

int scl_exp_imbalance(struct scl_exp_env *env)
{
    const struct scl_cfg_floats *lv = &env->cfg.experiment.levels;
    int32_t cls[SCL_MAX_CLASSES];
    int32_t nc = targets(env, cls);
    env->trials_total = nc * lv->n * (int)env->n_seeds;
    for (int32_t c = 0; c < nc; c++) {
        for (int32_t i = 0; i < lv->n; i++) {
            for (size_t s = 0; s < env->n_seeds; s++) {
                condition_name(cls[c], lv->v[i], env->res.condition, sizeof(env->res.condition));
                env->res.trial = env->seeds[s];
                if (!scl_exp_take(env)) /* done, or (a worker) another has it */
                    continue;
                int rc = imbalance_trial(env, cls[c], lv->v[i], env->seeds[s]);
                if (rc != SCL_EXIT_OK)
                    return rc;
                env->trials_run++;
            }
        }
    }
    return SCL_EXIT_OK;
}

/* heatmap_<stage>.dat: rows = cut classes, columns = levels; the cut class's mean accuracy. */
static int write_heatmap(struct scl_exp_env *env, const char *stage, const char *minus,
                         const char *name)
{
    const struct scl_cfg_floats *lv = &env->cfg.experiment.levels;
    int32_t cls[SCL_MAX_CLASSES];
    int32_t nc = targets(env, cls);
    char key[200], cond[64], path[700];
    struct scl_res_buf out = {0};
    for (int32_t c = 0; c < nc; c++) {
        for (int32_t i = 0; i < lv->n; i++) {
            double a, b = 0, sd;
            condition_name(cls[c], lv->v[i], cond, sizeof(cond));
            snprintf(key, sizeof(key), "%s,%s,class%d,accuracy", cond, stage, cls[c]);
            scl_exp_summary_get(env, key, &a, &sd);
            if (minus) {
                snprintf(key, sizeof(key), "%s,%s,class%d,accuracy", cond, minus, cls[c]);
                scl_exp_summary_get(env, key, &b, &sd);
            }
            scl_res_printf(&out, "%s%.4f", i ? " " : "", a - b);
        }
        scl_res_printf(&out, "\n");
    }
    snprintf(path, sizeof(path), "%s/%s.dat", env->out, name);
    int rc = scl_app_write_atomic(path, out.text, out.len);
    free(out.text);
    return rc;
}

int scl_exp_imbalance_finish(struct scl_exp_env *env)
{
    const struct scl_cfg_floats *lv = &env->cfg.experiment.levels;
    char script[3072], xtics[1024] = "", ytics[1024] = "";
    int rc = scl_exp_write_summary(env);
    if (rc == SCL_EXIT_OK)
        rc = write_heatmap(env, "baseline", NULL, "imbalance_before");
    if (rc == SCL_EXIT_OK)
        rc = write_heatmap(env, "sleep", "baseline", "imbalance_change");
    int32_t cls[SCL_MAX_CLASSES];
    int32_t nc = targets(env, cls);
    for (int32_t i = 0; i < lv->n; i++) {
        char t[32];
        snprintf(t, sizeof(t), "%s'%g' %d", i ? ", " : "", lv->v[i], i);
        strncat(xtics, t, sizeof(xtics) - strlen(xtics) - 1);
    }
    for (int32_t c = 0; c < nc; c++) {
        char t[32];
        snprintf(t, sizeof(t), "%s'%d' %d", c ? ", " : "", cls[c], c);
        strncat(ytics, t, sizeof(ytics) - strlen(ytics) - 1);
    }
    snprintf(
        script, sizeof(script),
        "set terminal pngcairo noenhanced size 1200,520 font ',10'\nset output 'imbalance.png'\n"
        "set multiplot layout 1,2 title 'Imbalance: accuracy of the cut class (mean over "
        "trials)'\nset xtics (%s)\nset ytics (%s)\nset xlabel 'share of the class kept'\n"
        "set ylabel 'cut class'\nset yrange [] reverse\n"
        "set title 'before sleep'\nset cbrange [0:1]\n"
        "set palette defined (0 'white', 1 'dark-blue')\n"
        "plot 'imbalance_before.dat' matrix with image notitle\n"
        "set title 'change from sleep'\nset cbrange [-0.5:0.5]\n"
        "set palette defined (-1 'red', 0 'white', 1 'dark-green')\n"
        "plot 'imbalance_change.dat' matrix with image notitle\nunset multiplot\n",
        xtics, ytics);
    return rc == SCL_EXIT_OK ? scl_exp_plot(env, "imbalance", script) : rc;
}
