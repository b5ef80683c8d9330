/*
 * sleepcl: the command-line program. A table of subcommands, a stderr log printer installed into
 * the library, and the dispatch. Library code never exits; only the program decides the
 * process's fate (exit codes: app/app.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"devices", scl_cmd_devices, "list OpenCL platforms and devices"},
    {"bench", scl_cmd_bench, "benchmarks: figures and ratios against same-run baselines"},
    {"config", scl_cmd_config, "print the effective configuration (--dump) or every key"},
    {"run", scl_cmd_run, "run an experiment protocol from a config (resumable sweeps)"},
    {"train", scl_cmd_train, "train a network and save it (safetensors)"},
    {"sleep", scl_cmd_sleep, "put a saved model to sleep (Sleep Replay Consolidation)"},
    {"search", scl_cmd_search, "genetic search of sleep parameters, scored on a validation split"},
    {"submit", scl_cmd_submit, "submit a sweep to Slurm: an array of workers and a final pass"},
    {"status", scl_cmd_status, "trials of a sweep done, running and left, with an ETA"},
    {"eval", scl_cmd_eval, "accuracy, per-class accuracy and confusion of saved models"},
    {"demo", scl_cmd_demo, "open a device, load MNIST, check the generator on the device"},
};

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
        return argc < 2 ? SCL_EXIT_USAGE : SCL_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("sleepcl %s\n", SCL_VERSION_STRING);
        return SCL_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    scl_app_error("unknown command '%s' (try sleepcl --help)", argv[1]);
    return SCL_EXIT_USAGE;
}
