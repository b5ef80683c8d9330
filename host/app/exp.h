/*
 * The experiment runner's shared state and steps (sleepcl run). A protocol (exp_limited.c, ...)
 * loops over its conditions and the trial seeds, skips the pairs results.csv already holds, and
 * builds each trial from the steps below: train a fresh net, evaluate, sleep, fine-tune.
 */
#ifndef SLEEPCL_EXP_H
#define SLEEPCL_EXP_H

#include "app.h"

struct scl_exp_group;

/* The published figures a methods report sets beside ours (exp_paper.c): per row (a method or
 * "parallel") mean and std without sleep and with SRC, NAN where the paper gives none. */
enum { SCL_EXP_PAPER_FIELDS = 4, SCL_EXP_PAPER_ROWS = 16 };
struct scl_exp_paper_row {
    char name[32];
    double v[SCL_EXP_PAPER_FIELDS]; /* mean, std, sleep_mean, sleep_std */
};
struct scl_exp_paper {
    bool loaded;
    char source[256];
    int n;
    struct scl_exp_paper_row row[SCL_EXP_PAPER_ROWS];
};

struct scl_exp_env {
    struct scl_config cfg;
    scl_ctx *ctx;
    scl_dataset *train_full, *test;
    scl_ddata *dtest;
    struct scl_res_store res;
    char out[512]; /* run directory */
    uint32_t *seeds;
    size_t n_seeds;
    double t0;                     /* start of this invocation */
    struct scl_exp_group *summary; /* [n_summary], filled by scl_exp_write_summary */
    int n_summary;
    int trials_total, trials_run, trials_skipped;
    struct scl_exp_paper paper;          /* experiment.paper, read before the first trial */
    int32_t class_task[SCL_MAX_CLASSES]; /* task (1..) of each class at this sleep; 0 = unknown */
    struct scl_exp_work *work;           /* the plan and this process's share of it (exp_work.c) */
    bool extracted; /* train_full and test hold the extractor's features (exp_extract.c) */
};

/* A net being trained in one trial, with its training data on the device. */
struct scl_exp_net {
    scl_model *model;
    scl_trainer *trainer;
    scl_dataset *train; /* owned */
    scl_ddata *dtrain;
};

/* Progress on stderr: "trial i/n [label] phase, elapsed, ETA"; redrawn in place on a terminal. */
void scl_exp_progress(struct scl_exp_env *env, const char *label, const char *phase);
/* A fresh net for the trial's seed, trained on `train` (ownership passes to n). */
int scl_exp_net_train(struct scl_exp_env *env, struct scl_exp_net *n, scl_dataset *train,
                      uint32_t seed);
void scl_exp_net_free(struct scl_exp_net *n);
/* Evaluate n's model on the test set into the results under `stage`, with the representation
 * analyses when experiment.analyze asks for them; the eval is kept in *e if e is not NULL
 * (caller frees), else released. */
int scl_exp_eval(struct scl_exp_env *env, const scl_model *m, const char *stage,
                 struct scl_eval *e);
/* Sleep n's model (statistics from `inputs`), write diagnostics under diag/, record spike rates
 * under `stage`, and hand the slept weights to the trainer. */
int scl_exp_sleep(struct scl_exp_env *env, struct scl_exp_net *n, const scl_dataset *inputs,
                  uint32_t seed, int task, const char *stage);
/* Fine-tune (scl_trainer_finetune: train.finetune_epochs at train.finetune_lr) on n's data. */
int scl_exp_finetune(struct scl_exp_env *env, struct scl_exp_net *n);
/* summary.csv: mean and std over trials of every (condition, stage, task, metric). */
int scl_exp_write_summary(struct scl_exp_env *env);
/* Mean and std of the summary's row "condition,stage,task,metric" (NAN when absent). */
int scl_exp_summary_get(struct scl_exp_env *env, const char *key, double *mean, double *std);
/* Run gnuplot on OUT/NAME.gp to make OUT/NAME.png; a missing gnuplot is a warning. */
int scl_exp_plot(struct scl_exp_env *env, const char *name, const char *script);

/* ---- continual-learning methods in the task protocols (exp_methods.c) */

/* Rehearsal's memory in one trial: training-set indices kept from the tasks learnt so far, and
 * (replay_mix = batch) their device copy, which the trainer borrows. Zero it before use. */
struct scl_exp_memory {
    int32_t *idx;
    int32_t n;
    scl_dataset *ds;
    scl_ddata *dd;
    /* iCaRL (exp_icarl.c): each learnt class's exemplars, training-set indices in herding
     * order, classes in the order learnt; idx[0..n) is their concatenation */
    int32_t n_cls, cls[SCL_MAX_CLASSES], ex_n[SCL_MAX_CLASSES];
    int32_t *ex[SCL_MAX_CLASSES];
};
/* After task `task` (training-set indices idx[0..n)): keep train.replay_share of them, chosen
 * by the project generator from the trial's seed. Nothing unless train.method is rehearsal. */
int scl_exp_memory_add(struct scl_exp_env *env, struct scl_exp_memory *m, const int32_t *idx,
                       int32_t n, uint32_t seed, int32_t task);
/* The training data of a task with indices idx[0..n): those images, and the memory after them
 * when rehearsal appends it (replay_mix = append) or for iCaRL. Caller owns *ds. */
int scl_exp_memory_task_data(struct scl_exp_env *env, const struct scl_exp_memory *m,
                             const int32_t *idx, int32_t n, scl_dataset **ds);
/* Before a later task's fit (replay_mix = batch): the memory so far to the trainer. */
int scl_exp_memory_attach(struct scl_exp_env *env, struct scl_exp_memory *m, scl_trainer *t);
/* Release the memory; the trainer that borrowed it must be gone or detached. */
void scl_exp_memory_free(struct scl_exp_memory *m);

/* ---- iCaRL (exp_icarl.c): exemplars in the same memory, nearest-mean evaluation */

/* Whether the trial's method is iCaRL. */
bool scl_exp_icarl(const struct scl_exp_env *env);
/* After learning a task whose own training-set indices are idx[0..n) and whose classes are
 * classes[0..n_cls): cut every old class's exemplars to K / classes seen (the first ones in
 * herding order) and herd as many of each new class from the penultimate features of m. */
int scl_exp_icarl_update(struct scl_exp_env *env, struct scl_exp_memory *mem, const scl_model *m,
                         const int32_t *classes, int32_t n_cls, const int32_t *idx, int32_t n);
/* Before fitting a later task on n->dtrain: the current net's logits of it become the old
 * classes' distillation targets (nothing before any class is learnt). */
int scl_exp_icarl_distill(struct scl_exp_env *env, const struct scl_exp_memory *mem,
                          struct scl_exp_net *n);
/* The test set classified by the nearest mean of exemplars, the means from m's features of the
 * exemplars now (after a sleep: the slept net's), recorded under `stage` as scl_exp_eval does;
 * *e (caller frees) as there. */
int scl_exp_icarl_eval(struct scl_exp_env *env, const struct scl_exp_memory *mem,
                       const scl_model *m, const char *stage, struct scl_eval *e);

/* One method of the report: its conditions without and with sleep ("" = not run) and the last
 * stage of each (whose accuracy on all classes is the method's result). */
struct scl_exp_method_row {
    const char *method;
    char cond[2][64];
    char last[2][32];
};
/* methods.csv, methods.md and methods.png: every method's final accuracy on all classes without
 * and with sleep (mean and std over trials) and its seconds of training and of sleep per task,
 * from the summary; `parallel` names the all-at-once condition ("" = none). */
int scl_exp_methods_report(struct scl_exp_env *env, const struct scl_exp_method_row *rows, int n,
                           const char *parallel);

/* experiment.analyze: the representation rows of m's hidden layers under `stage` (exp_analyze.c).
 */
int scl_exp_analyze(struct scl_exp_env *env, const scl_model *m, const char *stage);
/* The units of each hidden layer most active, before a sleep, for each task's images (each
 * class's when the protocol set no env->class_task), and after it their spikes during the
 * sleep against sets of as many units drawn at random (exp_analyze.c, METHOD.md section 6.12). */
struct scl_exp_specific {
    int32_t layers; /* the model's L; 0 = no analysis */
    int32_t n_groups, group[SCL_MAX_CLASSES];
    bool by_task;                   /* groups are tasks (else classes) */
    int32_t k[SCL_MAX_LAYERS];      /* units per set of hidden layer l at [l - 1] */
    int32_t *units[SCL_MAX_LAYERS]; /* [n_groups][k]: the sets */
};
/* Before the sleep on `inputs` (with experiment.analyze): the sets, from m's activations on up
 * to N of the inputs. Nothing (spec zeroed) without the key. */
int scl_exp_specific_find(struct scl_exp_env *env, const scl_model *m, const scl_dataset *inputs,
                          struct scl_exp_specific *spec);
/* After it: rows STAGE,task<g>|class<g>,specific_spikes_l<l>|random_spikes_l<l>|specific_z_l<l>|
 * specific_p_l<l> (spikes per unit over the sleep; p one-sided, Bonferroni over the sleep's
 * tests) from stats->unit_spikes. */
void scl_exp_specific_rows(struct scl_exp_env *env, const struct scl_exp_specific *spec,
                           const struct scl_sleep_stats *stats, const scl_model *m,
                           const char *stage);
void scl_exp_specific_free(struct scl_exp_specific *spec);
/* representation.csv: per condition, task, hidden layer and analysis metric, the change a sleep
 * made (t<k> -> t<k>_sleep) over the trials: means before and after, mean change, its std, the
 * paired t statistic and how many trials rose. Nothing without experiment.analyze. */
int scl_exp_analyze_report(struct scl_exp_env *env);
/* Read and check experiment.paper's file ("" = none: *p empty); errors name the file and key. */
int scl_exp_paper_load(const char *path, struct scl_exp_paper *p);
/* The figures of row `name`, or NULL when the file has none. */
const double *scl_exp_paper_figures(const struct scl_exp_paper *p, const char *name);

/* ---- trials as the unit of work (exp_work.c, docs/CLUSTER.md) */

/* In a protocol's loop over its trials, with env->res.trial and .condition set: whether this
 * process runs that trial now (it is not done and, for a worker, this worker claimed it).
 * The loop's order is the plan's. */
bool scl_exp_take(struct scl_exp_env *env);
/* Plan the trials (plan.csv), then run them: all in this process, or (worker) those this
 * process can claim; the process that finds every trial done merges them in plan order and
 * calls `finish` (summary, plots). */
int scl_exp_work_run(struct scl_exp_env *env, int (*run)(struct scl_exp_env *),
                     int (*finish)(struct scl_exp_env *), bool worker);
/* A worker's device: device.device, else NULL (SCL_DEVICE or the first device) unless Slurm
 * runs several tasks on the node with every GPU visible: then SLURM_LOCALID. */
const char *scl_exp_work_device(const struct scl_config *cfg);
/* sleepcl status: trials of the run directory done, running, left, and an ETA, to stdout. */
int scl_exp_status(const char *dir);

/* sleepcl run: the protocol of cfg's experiment.kind over its seeds, into
 * run.out/experiment.name (scl_app_out_dir), resumable; prints errors and progress. */
int scl_exp_run(const struct scl_config *cfg, const char *config_path);
/* The same as one worker among others (sleepcl run --worker). */
int scl_exp_run_worker(const struct scl_config *cfg, const char *config_path);

int scl_exp_limited(struct scl_exp_env *env);
int scl_exp_limited_finish(struct scl_exp_env *env);
int scl_exp_epochs(struct scl_exp_env *env);
int scl_exp_epochs_finish(struct scl_exp_env *env);
int scl_exp_imbalance(struct scl_exp_env *env);
int scl_exp_imbalance_finish(struct scl_exp_env *env);
int scl_exp_tasks(struct scl_exp_env *env);
int scl_exp_tasks_finish(struct scl_exp_env *env);
/* experiment.kind = tripartite (exp_tripartite.c) */
/* extractor.channels set: pre-train (or load OUT/extractor.safetensors) the conv extractor and
 * replace train_full and test by their scaled features, once per process (exp_extract.c). */
int scl_exp_extract(struct scl_exp_env *env);
int scl_exp_tripartite(struct scl_exp_env *env);
int scl_exp_tripartite_finish(struct scl_exp_env *env);
int scl_exp_patches(struct scl_exp_env *env);
int scl_exp_patches_finish(struct scl_exp_env *env);

#endif
