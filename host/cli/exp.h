/*
 * The experiment runner's shared state and steps (sleepcl run). A protocol (exp_limited.c, ...)
 * loops over its conditions and the trial seeds, skips the pairs results.csv already holds, and
 * builds each trial from the steps below: train a fresh net, evaluate, sleep, fine-tune.
 */
#ifndef SLEEPCL_EXP_H
#define SLEEPCL_EXP_H

#include "cli.h"

struct exp_group;

struct exp_env {
    struct scl_config cfg;
    scl_ctx *ctx;
    scl_dataset *train_full, *test;
    scl_ddata *dtest;
    struct res_store res;
    char out[512]; /* run directory */
    uint32_t *seeds;
    size_t n_seeds;
    double t0;                 /* start of this invocation */
    struct exp_group *summary; /* [n_summary], filled by exp_write_summary */
    int n_summary;
    int trials_total, trials_run, trials_skipped;
};

/* A net being trained in one trial, with its training data on the device. */
struct exp_net {
    scl_model *model;
    scl_trainer *trainer;
    scl_dataset *train; /* owned */
    scl_ddata *dtrain;
    struct scl_train_params params;
};

/* Progress on stderr: "trial i/n [label] phase, elapsed, ETA"; redrawn in place on a terminal. */
void exp_progress(struct exp_env *env, const char *label, const char *phase);
/* A fresh net for the trial's seed, trained on `train` (ownership passes to n). */
int exp_net_train(struct exp_env *env, struct exp_net *n, scl_dataset *train, uint32_t seed);
void exp_net_free(struct exp_net *n);
/* Evaluate n's model on the test set into the results under `stage`; the eval is kept in *e if
 * e is not NULL (caller frees), else released. */
int exp_eval(struct exp_env *env, const scl_model *m, const char *stage, struct scl_eval *e);
/* Sleep n's model (statistics from `inputs`), write diagnostics under diag/, record spike rates
 * under `stage`, and hand the slept weights to the trainer. */
int exp_sleep(struct exp_env *env, struct exp_net *n, const scl_dataset *inputs, uint32_t seed,
              int task, const char *stage);
/* Fine-tune train.finetune_epochs epochs at train.finetune_lr on n's own data. */
int exp_finetune(struct exp_env *env, struct exp_net *n);
/* summary.csv: mean and std over trials of every (condition, stage, task, metric). */
int exp_write_summary(struct exp_env *env);
/* Mean and std of the summary's row "condition,stage,task,metric" (NAN when absent). */
int exp_summary_get(struct exp_env *env, const char *key, double *mean, double *std);
/* Run gnuplot on OUT/NAME.gp to make OUT/NAME.png; a missing gnuplot is a warning. */
int exp_plot(struct exp_env *env, const char *name, const char *script);

int exp_limited(struct exp_env *env);
int exp_limited_finish(struct exp_env *env);
int exp_imbalance(struct exp_env *env);
int exp_imbalance_finish(struct exp_env *env);
int exp_tasks(struct exp_env *env);
int exp_tasks_finish(struct exp_env *env);

#endif
