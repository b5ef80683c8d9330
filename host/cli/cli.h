/*
 * The sleepcl program: every subcommand is a function `int scl_cmd_x(int argc, char **argv)`
 * returning the process exit code (SCL_EXIT_*, host/app/app.h). A subcommand parses options,
 * builds the config and calls one function of the application layer (host/app: scl_exp_run,
 * scl_search_run, scl_app_train_file, scl_app_sleep_file, ...); it holds no pipeline of its own.
 */
#ifndef SLEEPCL_CLI_H
#define SLEEPCL_CLI_H

#include "app.h"

#define SCL_CLI_MAX_SETS   64
#define SCL_CLI_MAX_MODELS 4

/* Options shared by the experiment subcommands. Flags such as --epochs are kept as config
 * overrides ("train.epochs=3") so that they are validated like any config line. */
struct scl_cli_opts {
    const char *config;                     /* -c FILE */
    const char *models[SCL_CLI_MAX_MODELS]; /* -m FILE, repeatable */
    int n_models;
    const char *output;     /* -o FILE */
    const char *split;      /* --split train|test */
    const char *mean_input; /* --mean-input FILE */
    int quiet;
    char *sets[SCL_CLI_MAX_SETS];
    char set_buf[SCL_CLI_MAX_SETS][256];
    int n_sets;
};

/* Parse argv (argv[0] = the subcommand). Returns SCL_EXIT_OK, SCL_EXIT_HELP or a usage error. */
int scl_cli_parse(int argc, char **argv, const char *usage, struct scl_cli_opts *o);
/* Take every `flag` (a command's own switch, such as --worker) out of argv before the shared
 * options are parsed; returns whether it was there. */
bool scl_cli_take_flag(int *argc, char **argv, const char *flag);
/* Build the effective config from -c and the overrides; prints the error. */
int scl_cli_config(const struct scl_cli_opts *o, struct scl_config *cfg);

/* Options shared by the benchmark sections. */
struct scl_bench_opts {
    int quick;            /* fewer repetitions, for a smoke run */
    double peak_gflops;   /* the device's FP32 peak, measured first (bench_machine.c) */
    double bandwidth_gbs; /* and its memory bandwidth */
};
/* Measure the machine (bench_machine.c) into o and print it: the header of every bench run. */
int scl_bench_machine(scl_ctx *ctx, struct scl_bench_opts *o);
/* gflops as a percentage of o's measured peak (0 when not measured). */
double scl_bench_share(const struct scl_bench_opts *o, double gflops);

/* Benchmark sections (cmd_bench.c's table): return a CLI exit code. */
int scl_bench_gemm(scl_ctx *ctx, const struct scl_bench_opts *o);
int scl_bench_sleep(scl_ctx *ctx, const struct scl_bench_opts *o);
int scl_bench_train(scl_ctx *ctx, const struct scl_bench_opts *o);
/* Section "tripartite" (bench_tri.c): the tripartite VAE step against PyTorch's. */
int scl_bench_tripartite(scl_ctx *ctx, const struct scl_bench_opts *o);
int scl_cmd_bench(int argc, char **argv);
int scl_cmd_config(int argc, char **argv);
int scl_cmd_devices(int argc, char **argv);
int scl_cmd_eval(int argc, char **argv);
int scl_cmd_run(int argc, char **argv);
int scl_cmd_sleep(int argc, char **argv);
int scl_cmd_search(int argc, char **argv);
int scl_cmd_status(int argc, char **argv);
int scl_cmd_submit(int argc, char **argv);
/* Benchmark section "search" (bench_search.c): batched sleep rates, one search generation. */
int scl_bench_search(scl_ctx *ctx, const struct scl_bench_opts *o);
int scl_cmd_train(int argc, char **argv);
int scl_cmd_demo(int argc, char **argv);

#endif
