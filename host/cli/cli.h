/*
 * Shared pieces of the sleepcl command-line program: every subcommand is a function
 * `int cmd_x(int argc, char **argv)` returning the process exit code (0 ok, 1 runtime error,
 * 2 usage or config error). Messages go to stderr as "sleepcl: ...".
 */
#ifndef SLEEPCL_CLI_H
#define SLEEPCL_CLI_H

#include "config.h"
#include "sleepcl/sleepcl.h"

#define CLI_EXIT_OK      0
#define CLI_EXIT_RUNTIME 1
#define CLI_EXIT_USAGE   2
#define CLI_EXIT_HELP    -1 /* --help was printed: exit 0 without running */

#define CLI_MAX_SETS   64
#define CLI_MAX_MODELS 4

/* Options shared by the experiment subcommands. Flags such as --epochs are kept as config
 * overrides ("train.epochs=3") so that they are validated like any config line. */
struct cli_opts {
    const char *config;                 /* -c FILE */
    const char *models[CLI_MAX_MODELS]; /* -m FILE, repeatable */
    int n_models;
    const char *output;     /* -o FILE */
    const char *split;      /* --split train|test */
    const char *mean_input; /* --mean-input FILE */
    int quiet;
    char *sets[CLI_MAX_SETS];
    char set_buf[CLI_MAX_SETS][256];
    int n_sets;
};

/* ---- results of a sweep (results.c): whole trials appended atomically, resumable */
struct res_buf {
    char *text;
    size_t len, cap;
};
struct res_store {
    char dir[512];
    uint32_t trial;     /* seed of the trial being recorded */
    char condition[64]; /* e.g. "0.03" */
    struct res_buf rows, confusion;
    char **done; /* "trial,condition" pairs found on disk */
    int n_done;
};
void res_init(struct res_store *r, const char *dir);
/* Read dir/results.csv: which (trial, condition) pairs are done. Drops confusion rows of
 * unfinished trials. */
int res_load(struct res_store *r);
bool res_is_done(const struct res_store *r, uint32_t trial, const char *condition);
/* Buffer one row of the current trial and condition. */
void res_row(struct res_store *r, const char *stage, const char *task, const char *metric,
             double value);
/* Accuracy, per-class accuracy and the confusion matrix of one stage. */
void res_eval(struct res_store *r, const char *stage, const struct scl_eval *e);
void res_printf(struct res_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append the buffered rows of the trial to the files, atomically. */
int res_commit(struct res_store *r);
void res_free(struct res_store *r);

/* Parse argv (argv[0] = the subcommand). Returns CLI_EXIT_OK, CLI_EXIT_HELP or a usage error. */
int cli_parse(int argc, char **argv, const char *usage, struct cli_opts *o);
/* Build the effective config from -c and the overrides; prints the error. */
int cli_config(const struct cli_opts *o, struct scl_config *cfg);
/* Open the config's device; prints the error and returns NULL on failure. */
scl_ctx *cli_open_cfg_ctx(const struct scl_config *cfg);
/* Load split "train" or "test" of the configured dataset; prints the error on failure. */
scl_dataset *cli_load_split(const struct scl_config *cfg, const char *split);
/* The configured class-balanced training subset; prints the error on failure. */
scl_dataset *cli_train_subset(const struct scl_config *cfg, const scl_dataset *full, uint32_t seed);
struct scl_train_params cli_train_params(const struct scl_config *cfg, uint32_t seed);
/* The [sleep] section as library parameters; task k >= 1 adds steps_per_task * (k - 1) steps. */
struct scl_sleep_params cli_sleep_params(const struct scl_config *cfg, uint32_t seed, int task);
/* Mean input (host) and per-layer activation maxima (device, model m) of ds; prints errors. */
int cli_sleep_input_from_data(scl_ctx *ctx, const scl_model *m, const scl_dataset *ds, int32_t gemm,
                              float *mean, float *act_max);
/* The two statistics of the training inputs a sleep needs. */
struct cli_sleep_input {
    float *mean;                   /* [sizes[0]]: per-pixel mean, the input rates */
    float act_max[SCL_MAX_LAYERS]; /* per layer 1..L: largest activation, the scale factors */
};
/* Validate, convert, sleep m in place, warn about silent or saturated layers, write the
 * diagnostics to PREFIX.spikes.csv / PREFIX.dw_hist.csv (none when prefix is NULL), and the mean
 * spikes per unit per step of layers 0..L to rates[L+1] (when not NULL). */
int cli_sleep_model(scl_ctx *ctx, scl_model *m, const struct scl_sleep_params *p,
                    const struct cli_sleep_input *in, const char *prefix, double *rates);
/* Accuracy, per-class accuracy and the confusion matrix. */
void cli_print_eval(FILE *f, const char *title, const struct scl_eval *e);
/* An scl_epoch_fn printing one progress line per epoch; user = phase name or NULL. */
void cli_epoch_progress(const struct scl_epoch_report *r, void *user);

/* "sleepcl: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exit code for a library status: usage/config problems give 2, everything else 1. */
int cli_exit_code(scl_status st);
/* Open the device named by `device` (NULL: SCL_DEVICE or the first). Prints the error and
 * returns NULL on failure. */
scl_ctx *cli_open_ctx(const char *device);
/* mkdir -p; prints the error. */
int cli_mkdir_p(const char *dir);
/* Write len bytes to PATH.tmp and rename it to path; prints the error. */
int cli_write_atomic(const char *path, const char *data, size_t len);
/* Seconds on a monotonic clock. */
double cli_now(void);

/* Options shared by the benchmark sections. */
struct bench_opts {
    int quick; /* fewer repetitions, for a smoke run */
};

/* Benchmark sections (cmd_bench.c's table): return a CLI exit code. */
int bench_gemm(scl_ctx *ctx, const struct bench_opts *o);
int bench_sleep(scl_ctx *ctx, const struct bench_opts *o);
int bench_train(scl_ctx *ctx, const struct bench_opts *o);
int cmd_bench(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_sleep(int argc, char **argv);
int cmd_search(int argc, char **argv);
/* Benchmark section "search" (bench_search.c): batched sleep rates, one search generation. */
int bench_search(scl_ctx *ctx, const struct bench_opts *o);
int cmd_train(int argc, char **argv);
int cmd_demo(int argc, char **argv);

#endif
