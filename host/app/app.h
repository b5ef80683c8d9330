/*
 * The application layer: what the program, the benchmarks and the tests build on top of the
 * library, using only its public header. Configs (config.h), experiment protocols (exp.h), the
 * parameter search (search.h), resumable results, and the helpers below. Messages go to stderr
 * as "sleepcl: ..."; functions returning int return a process exit code.
 */
#ifndef SLEEPCL_APP_H
#define SLEEPCL_APP_H

#include <stdbool.h>

#include "config.h"
#include "sleepcl/sleepcl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Process exit codes: 0 ok, 1 runtime error, 2 usage or config error. */
#define SCL_EXIT_OK      0
#define SCL_EXIT_RUNTIME 1
#define SCL_EXIT_USAGE   2
#define SCL_EXIT_HELP    -1 /* --help was printed: exit 0 without running */

/* ---- results of a sweep (results.c): whole trials appended atomically, resumable */
struct scl_res_buf {
    char *text;
    size_t len, cap;
};
struct scl_res_store {
    char dir[512];
    uint32_t trial;     /* seed of the trial being recorded */
    char condition[64]; /* e.g. "0.03" */
    struct scl_res_buf rows, confusion;
    char **done; /* "trial,condition" pairs found on disk */
    int n_done;
    bool locked; /* the directory's lock is held through lock_fd (scl_res_lock) */
    int lock_fd;
    bool shared; /* a worker among others (exp_work.c): a shared lock, no pruning at load */
    int slot;    /* >= 0: commit the trial to trials/SLOT.*.csv instead of appending */
};
void scl_res_init(struct scl_res_store *r, const char *dir);
/* Take DIR/.lock, an advisory lock held while *fd stays open (a second process on the same
 * directory gets a one-line refusal naming the holder's pid). */
int scl_res_lock_dir(const char *dir, int *fd);
/* The store's directory locked for the life of the store (scl_res_free releases it); a no-op
 * when already held. Shared (r->shared): any number of workers of a sweep together, but no
 * one-process run (which takes it alone) beside them. */
int scl_res_lock(struct scl_res_store *r);
/* Lock the directory (scl_res_lock), then read dir/results.csv: which (trial, condition) pairs
 * are done. Drops confusion rows of unfinished trials. */
int scl_res_load(struct scl_res_store *r);
bool scl_res_is_done(const struct scl_res_store *r, uint32_t trial, const char *condition);
/* Only the reading of scl_res_load: no lock, no pruning (for a look from outside, e.g. status). */
void scl_res_read_done(struct scl_res_store *r);
/* Buffer one row of the current trial and condition. */
void scl_res_row(struct scl_res_store *r, const char *stage, const char *task, const char *metric,
                 double value);
/* Accuracy, per-class accuracy and the confusion matrix of one stage. */
void scl_res_eval(struct scl_res_store *r, const char *stage, const struct scl_eval *e);
void scl_res_printf(struct scl_res_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append the buffered rows of the trial to the files, atomically (slot >= 0: write them to
 * trials/SLOT.confusion.csv then trials/SLOT.results.csv, merged later by exp_work.c). */
int scl_res_commit(struct scl_res_store *r);
void scl_res_free(struct scl_res_store *r);

/* Open the config's device; prints the error and returns NULL on failure. */
scl_ctx *scl_app_open_cfg_ctx(const struct scl_config *cfg);
/* Load split "train" or "test" of the configured dataset; prints the error on failure. */
scl_dataset *scl_app_load_split(const struct scl_config *cfg, const char *split);
/* The configured class-balanced training subset; prints the error on failure. */
scl_dataset *scl_app_train_subset(const struct scl_config *cfg, const scl_dataset *full,
                                  uint32_t seed);
/* The [train] section as library parameters, with this run's seed. */
struct scl_train_params scl_app_train_params(const struct scl_config *cfg, uint32_t seed);
/* A fresh net of model.sizes for seed `seed`, trained on d (scl_model_train_new); *trainer
 * may be NULL. Prints the error. */
int scl_app_train_new(scl_ctx *ctx, const struct scl_config *cfg, uint32_t seed, const scl_ddata *d,
                      scl_epoch_fn cb, void *user, scl_model **model, scl_trainer **trainer);
/* The [sleep] section as library parameters; task k >= 1 adds steps_per_task * (k - 1) steps. */
struct scl_sleep_params scl_app_sleep_params(const struct scl_config *cfg, uint32_t seed, int task);
/* Check the [sleep] set against the net model.sizes describes (before any training), through
 * the library's own check; prints the error. */
int scl_app_check_sleep(const struct scl_config *cfg);
/* Sleep m in place (scl_sleep_model), write the diagnostics to PREFIX.spikes.csv and
 * PREFIX.dw_hist.csv (none when prefix is NULL) and the mean spikes per unit per step of layers
 * 0..L to rates[L+1] (when not NULL). Prints the error. */
int scl_app_sleep(scl_ctx *ctx, scl_model *m, const struct scl_sleep_params *p,
                  const struct scl_input_stats *in, const char *prefix, double *rates);
/* The same, the statistics computed from ds with model m (scl_sleep_model_on_data). With keep
 * (zeroed, record_raster set as wanted) the sleep's statistics stay there for the caller, who
 * frees them with scl_sleep_stats_free; NULL: freed here. */
int scl_app_sleep_on_data(scl_ctx *ctx, const struct scl_config *cfg, scl_model *m,
                          const struct scl_sleep_params *p, const scl_dataset *ds,
                          const char *prefix, double *rates, struct scl_sleep_stats *keep);
/* sleepcl sleep: the model at model_path slept with the [sleep] set (seed run.seed), its input
 * statistics from input_path (a saved statistic) or, when NULL, from the configured training
 * subset (saved to OUT.sleep_input.json); writes OUT and the diagnostics OUT.*. */
int scl_app_sleep_file(const struct scl_config *cfg, const char *model_path, const char *input_path,
                       const char *out);
/* sleepcl train: a fresh net on the configured subset (seed run.seed), its test accuracy
 * printed, saved to `out` with the profile and config hash in its metadata. */
int scl_app_train_file(const struct scl_config *cfg, const char *out);
/* sleepcl eval: each saved model's accuracy, per-class accuracy and confusion on split "test"
 * or "train", and the change from the first to each other. */
int scl_app_eval_files(const struct scl_config *cfg, const char *const *paths, int n,
                       const char *split);
/* The run directory of a config: run.out/experiment.name, or run.out/<config file name
 * without extension> ("experiment" without a file). */
void scl_app_out_dir(const struct scl_config *cfg, const char *config_path, char *buf, size_t n);
/* Accuracy, per-class accuracy and the confusion matrix. */
void scl_app_print_eval(FILE *f, const char *title, const struct scl_eval *e);
/* An scl_epoch_fn printing one progress line per epoch; user = phase name or NULL. */
void scl_app_epoch_progress(const struct scl_epoch_report *r, void *user);

/* "sleepcl: <message>" on stderr. */
void scl_app_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exit code for a library status: usage/config problems give 2, everything else 1. */
int scl_app_exit_code(scl_status st);
/* Print "WHAT: detail" (the context's last error, else the status's text; WHAT may be NULL)
 * and return the exit code of st. */
int scl_app_fail(scl_ctx *ctx, scl_status st, const char *what);
/* Open the device named by `device` (NULL: SCL_DEVICE or the first). Prints the error and
 * returns NULL on failure. */
scl_ctx *scl_app_open_ctx(const char *device);
/* mkdir -p; prints the error. */
int scl_app_mkdir_p(const char *dir);
/* Write len bytes to PATH.tmp and rename it to path; prints the error. */
int scl_app_write_atomic(const char *path, const char *data, size_t len);
/* Seconds on a monotonic clock. */
double scl_app_now(void);

/* The path of a file the program ships (e.g. "configs/search/mnist.ini",
 * "tools/bench_torch.py"), found beside the built or installed program; prints the error. */
int scl_app_share_path(const char *rel, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
