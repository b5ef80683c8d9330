/*
 * Limited data (docs/METHOD.md sections 6.1 and 6.2): for every fraction of the training set and
 * every trial seed, train on a class-balanced subset, then sleep (input statistics from the same
 * subset), then fine-tune; test accuracy, per-class accuracy and the confusion matrix at each of
 * the three stages. The plots: accuracy against fraction on a log axis with error bars, and the
 * confusion matrices before and after sleep at the fraction closest to 3%.
 *
 * The same trial over training lengths instead of fractions (kind = epochs, section 6.13): where
 * does sleep stop helping a net as it trains longer on one task?
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp.h"

static const char *const stages[] = {"baseline", "sleep", "sleep_finetune"};

static void condition_name(double fraction, char *buf, size_t n)
{
    snprintf(buf, n, "%g", fraction);
}

static int limited_trial(struct scl_exp_env *env, double fraction, uint32_t seed)
{
    struct scl_exp_net net;
    char label[64];
    if (env->cfg.experiment.kind == SCL_CFG_KIND_EPOCHS)
        snprintf(label, sizeof(label), "epochs %d seed %u", env->cfg.train.epochs, seed);
    else
        snprintf(label, sizeof(label), "fraction %g seed %u", fraction, seed);
    scl_exp_progress(env, label, "train");
    scl_dataset *sub = scl_app_train_subset(&env->cfg, env->train_full, seed);
    if (!sub)
        return SCL_EXIT_RUNTIME;
    int rc = scl_exp_net_train(env, &net, sub, seed);
    if (rc == SCL_EXIT_OK)
        rc = scl_exp_eval(env, net.model, stages[0], NULL);
    if (rc == SCL_EXIT_OK) {
        scl_exp_progress(env, label, "sleep");
        rc = scl_exp_sleep(env, &net, net.train, seed, 1, stages[1]);
    }
    if (rc == SCL_EXIT_OK)
        rc = scl_exp_eval(env, net.model, stages[1], NULL);
    if (rc == SCL_EXIT_OK && env->cfg.train.finetune_epochs > 0) {
        scl_exp_progress(env, label, "fine-tune");
        rc = scl_exp_finetune(env, &net);
        if (rc == SCL_EXIT_OK)
            rc = scl_exp_eval(env, net.model, stages[2], NULL);
    }
    scl_exp_net_free(&net);
    return rc == SCL_EXIT_OK ? scl_res_commit(&env->res) : rc;
}

int scl_exp_limited(struct scl_exp_env *env)
{
    const struct scl_cfg_floats *fr = &env->cfg.experiment.fractions;
    env->trials_total = fr->n * (int)env->n_seeds;
    for (int32_t i = 0; i < fr->n; i++) {
        for (size_t s = 0; s < env->n_seeds; s++) {
            condition_name(fr->v[i], env->res.condition, sizeof(env->res.condition));
            env->res.trial = env->seeds[s];
            if (!scl_exp_take(env)) /* done, or (a worker) another has it */
                continue;
            env->cfg.data.fraction = fr->v[i];
            int rc = limited_trial(env, fr->v[i], env->seeds[s]);
            if (rc != SCL_EXIT_OK)
                return rc;
            env->trials_run++;
        }
    }
    return SCL_EXIT_OK;
}

/* accuracy.dat: fraction, then mean and std of each stage. */
static int write_accuracy_table(struct scl_exp_env *env)
{
    const struct scl_cfg_floats *fr = &env->cfg.experiment.fractions;
    struct scl_res_buf out = {0};
    char path[700], key[200], cond[64];
    scl_res_printf(&out, "# fraction baseline std sleep std sleep_finetune std\n");
    for (int32_t i = 0; i < fr->n; i++) {
        condition_name(fr->v[i], cond, sizeof(cond));
        scl_res_printf(&out, "%g", fr->v[i]);
        for (int s = 0; s < 3; s++) {
            double mean, std;
            snprintf(key, sizeof(key), "%s,%s,all,accuracy", cond, stages[s]);
            scl_exp_summary_get(env, key, &mean, &std);
            scl_res_printf(&out, " %.6g %.6g", mean, std);
        }
        scl_res_printf(&out, "\n");
    }
    snprintf(path, sizeof(path), "%s/accuracy_vs_fraction.dat", env->out);
    int rc = scl_app_write_atomic(path, out.text, out.len);
    free(out.text);
    return rc;
}

static const char accuracy_gp[] =
    "set terminal pngcairo noenhanced size 900,560 font ',11'\n"
    "set output 'accuracy_vs_fraction.png'\n"
    "set title 'Limited data: test accuracy (mean +- std over trials)'\n"
    "set logscale x\nset xlabel 'fraction of the training set'\nset ylabel 'test accuracy'\n"
    "set key bottom right\nset grid\nset yrange [0:1]\n"
    "plot 'accuracy_vs_fraction.dat' using 1:2:3 with yerrorlines lw 2 title 'baseline', \\\n"
    "     '' using 1:4:5 with yerrorlines lw 2 title '+ sleep', \\\n"
    "     '' using 1:6:7 with yerrorlines lw 2 title '+ sleep + fine-tune'\n";

/* The mean confusion matrix of one condition and stage, rows normalised to 1, as a matrix. */
static int write_confusion(struct scl_exp_env *env, const char *cond, const char *stage,
                           const char *name)
{
    char path[700], line[256], prefix[128];
    int k = env->test->n_classes;
    double(*m)[SCL_MAX_CLASSES] = calloc((size_t)k, sizeof(*m)); /* 2 KB a row: on the heap */
    if (!m)
        return SCL_EXIT_RUNTIME;
    snprintf(path, sizeof(path), "%s/confusion.csv", env->out);
    snprintf(prefix, sizeof(prefix), ",%s,%s,", cond, stage);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f)) {
        char *p = strstr(line, prefix);
        int t, q, c;
        if (p && sscanf(p + strlen(prefix), "%d,%d,%d", &t, &q, &c) == 3 && t < k && q < k)
            m[t][q] += c;
    }
    if (f)
        fclose(f);
    struct scl_res_buf out = {0};
    for (int t = 0; t < k; t++) {
        double row = 0;
        for (int q = 0; q < k; q++)
            row += m[t][q];
        for (int q = 0; q < k; q++)
            scl_res_printf(&out, "%s%.4f", q ? " " : "", row > 0 ? m[t][q] / row : 0.0);
        scl_res_printf(&out, "\n");
    }
    free(m);
    snprintf(path, sizeof(path), "%s/%s.dat", env->out, name);
    int rc = scl_app_write_atomic(path, out.text, out.len);
    free(out.text);
    return rc;
}

static int plot_confusions(struct scl_exp_env *env)
{
    const struct scl_cfg_floats *fr = &env->cfg.experiment.fractions;
    char cond[64], script[2048];
    int best = 0;
    for (int32_t i = 1; i < fr->n; i++)
        if (fabs(log(fr->v[i] / 0.03)) < fabs(log(fr->v[best] / 0.03)))
            best = i;
    condition_name(fr->v[best], cond, sizeof(cond));
    int rc = write_confusion(env, cond, "baseline", "confusion_before");
    if (rc == SCL_EXIT_OK)
        rc = write_confusion(env, cond, "sleep", "confusion_after");
    snprintf(script, sizeof(script),
             "set terminal pngcairo noenhanced size 1100,500 font ',10'\n"
             "set output 'confusion.png'\nset multiplot layout 1,2 title 'Confusion at fraction "
             "%s (rows: true class, row-normalised, mean over trials)'\n"
             "set xlabel 'predicted'\nset ylabel 'true'\nset cbrange [0:1]\nset yrange [9.5:-0.5]\n"
             "set xrange [-0.5:9.5]\nset palette defined (0 'white', 1 'dark-blue')\n"
             "set title 'before sleep'\nplot 'confusion_before.dat' matrix with image notitle\n"
             "set title 'after sleep'\nplot 'confusion_after.dat' matrix with image notitle\n"
             "unset multiplot\n",
             cond);
    return rc == SCL_EXIT_OK ? scl_exp_plot(env, "confusion", script) : rc;
}

int scl_exp_limited_finish(struct scl_exp_env *env)
{
    int rc = scl_exp_write_summary(env);
    if (rc == SCL_EXIT_OK)
        rc = write_accuracy_table(env);
    if (rc == SCL_EXIT_OK)
        rc = scl_exp_plot(env, "accuracy_vs_fraction", accuracy_gp);
    if (rc == SCL_EXIT_OK)
        rc = plot_confusions(env);
    return rc;
}

/* ------------------------------------------------------------------ epochs swept */

int scl_exp_epochs(struct scl_exp_env *env)
{
    const struct scl_cfg_ints *ep = &env->cfg.experiment.train_epochs;
    env->trials_total = ep->n * (int)env->n_seeds;
    for (int32_t i = 0; i < ep->n; i++) {
        for (size_t s = 0; s < env->n_seeds; s++) {
            snprintf(env->res.condition, sizeof(env->res.condition), "e%d", ep->v[i]);
            env->res.trial = env->seeds[s];
            if (!scl_exp_take(env)) /* done, or (a worker) another has it */
                continue;
            env->cfg.train.epochs = ep->v[i];
            int rc = limited_trial(env, env->cfg.data.fraction, env->seeds[s]);
            if (rc != SCL_EXIT_OK)
                return rc;
            env->trials_run++;
        }
    }
    return SCL_EXIT_OK;
}

static const char epochs_gp[] =
    "set terminal pngcairo noenhanced size 900,560 font ',11'\n"
    "set output 'accuracy_vs_epochs.png'\n"
    "set title 'One task: test accuracy against training epochs (mean +- std over trials)'\n"
    "set logscale x\nset xlabel 'training epochs'\nset ylabel 'test accuracy'\n"
    "set key bottom right\nset grid\n"
    "plot 'accuracy_vs_epochs.dat' using 1:2:3 with yerrorlines lw 2 title 'trained', \\\n"
    "     '' using 1:4:5 with yerrorlines lw 2 title '+ sleep', \\\n"
    "     '' using 1:6:7 with yerrorlines lw 2 title '+ sleep + fine-tune'\n";

int scl_exp_epochs_finish(struct scl_exp_env *env)
{
    const struct scl_cfg_ints *ep = &env->cfg.experiment.train_epochs;
    struct scl_res_buf out = {0};
    char path[700], key[200];
    int rc = scl_exp_write_summary(env);
    scl_res_printf(&out, "# epochs baseline std sleep std sleep_finetune std\n");
    for (int32_t i = 0; i < ep->n; i++) {
        scl_res_printf(&out, "%d", ep->v[i]);
        for (int s = 0; s < 3; s++) {
            double mean, std;
            snprintf(key, sizeof(key), "e%d,%s,all,accuracy", ep->v[i], stages[s]);
            scl_exp_summary_get(env, key, &mean, &std);
            scl_res_printf(&out, " %.6g %.6g", mean, std);
        }
        scl_res_printf(&out, "\n");
    }
    snprintf(path, sizeof(path), "%s/accuracy_vs_epochs.dat", env->out);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_write_atomic(path, out.text, out.len);
    free(out.text);
    return rc == SCL_EXIT_OK ? scl_exp_plot(env, "accuracy_vs_epochs", epochs_gp) : rc;
}
