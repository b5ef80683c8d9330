/*
 * sleepcl: the command-line program. A table of subcommands, a stderr log printer installed into
 * the library, and the mapping from library statuses to exit codes. Library code never exits;
 * only this file and the subcommands decide the process's fate.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "internal.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"devices", cmd_devices, "list OpenCL platforms and devices"},
    {"bench", cmd_bench, "benchmarks: figures and ratios against same-run baselines"},
    {"config", cmd_config, "print the effective configuration (--dump) or every key"},
    {"run", cmd_run, "run an experiment protocol from a config (resumable sweeps)"},
    {"train", cmd_train, "train a network and save it (safetensors)"},
    {"sleep", cmd_sleep, "put a saved model to sleep (Sleep Replay Consolidation)"},
    {"search", cmd_search, "genetic search of sleep parameters, scored on a validation split"},
    {"eval", cmd_eval, "accuracy, per-class accuracy and confusion of saved models"},
    {"demo", cmd_demo, "open a device, load MNIST, check the generator on the device"},
};

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("sleepcl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_exit_code(scl_status st)
{
    if (st == SCL_OK)
        return CLI_EXIT_OK;
    return (st == SCL_ERR_CONFIG || st == SCL_ERR_ARG) ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

scl_ctx *cli_open_ctx(const char *device)
{
    struct scl_ctx_params p = scl_ctx_default_params();
    scl_ctx *ctx = NULL;
    if (device)
        p.device = device;
    scl_status st = scl_ctx_create(&p, &ctx);
    if (st != SCL_OK) {
        cli_error("%s",
                  ctx && scl_ctx_last_error(ctx)[0] ? scl_ctx_last_error(ctx) : scl_status_str(st));
        scl_ctx_destroy(ctx);
        return NULL;
    }
    return ctx;
}

static void log_to_stderr(scl_log_level level, const char *sub, const char *msg, void *user)
{
    (void)user;
    const char *tag = level >= SCL_LOG_LEVEL_ERROR  ? "error: "
                      : level == SCL_LOG_LEVEL_WARN ? "warning: "
                                                    : "";
    fprintf(stderr, "sleepcl: %s: %s%s\n", sub, tag, msg);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: sleepcl <command> [options]   (sleepcl <command> --help)\n\nCommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fputc('\n', f);
    scl_env_print_help(f);
}

int main(int argc, char **argv)
{
    scl_set_log_callback(log_to_stderr, NULL);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("sleepcl %s\n", SCL_VERSION_STRING);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    cli_error("unknown command '%s' (try sleepcl --help)", argv[1]);
    return CLI_EXIT_USAGE;
}
