/*
 * sleepcl submit CONFIG: the options of a Slurm submission; the scripts and sbatch calls are
 * the application's scl_submit (host/app/submit.c).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "submit.h"

static const char usage[] =
    "usage: sleepcl submit CONFIG [--workers N] [--max-running K] [--partition P]\n"
    "                     [--gpus-per-task G] [--cpus-per-task C] [--time T]\n"
    "                     [--sbatch OPTION ...] [--search] [--dry-run]\n"
    "                     [--set section.key=value ...]\n"
    "Submits the sweep of CONFIG to Slurm as an array of N workers (default 4), at most K at\n"
    "a time, each `sleepcl run CONFIG --worker` with the same overrides, and a final pass\n"
    "after them all. --search: CONFIG is a search, its workers `sleepcl search CONFIG\n"
    "--worker`. The scripts go to RUN_DIR/slurm/; --dry-run writes and prints them and\n"
    "submits nothing. --sbatch adds any other #SBATCH option (e.g. --sbatch=--account=A).\n"
    "Needs a filesystem shared by the nodes for the run directory and the data "
    "(docs/CLUSTER.md).\n";

/* A positive integer option value, or a usage error naming the option. */
static int positive(const char *opt, const char *v, int *out)
{
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || n < 0 || n > 100000) {
        scl_app_error("submit: %s needs a number in [0, 100000], not '%s'", opt, v ? v : "");
        return SCL_EXIT_USAGE;
    }
    *out = (int)n;
    return SCL_EXIT_OK;
}

/* One of submit's own options at argv[*i] (--opt V or --opt=V), consumed; 1 when it was one,
 * 0 when not, -1 on a usage error. */
static int submit_option(int argc, char **argv, int *i, struct scl_submit_opts *o)
{
    static const char *const names[] = {"--workers",       "--max-running",   "--partition",
                                        "--gpus-per-task", "--cpus-per-task", "--time",
                                        "--sbatch"};
    if (strcmp(argv[*i], "--dry-run") == 0)
        return o->dry_run = true, 1;
    if (strcmp(argv[*i], "--search") == 0)
        return o->search = true, 1;
    for (int k = 0; k < (int)(sizeof(names) / sizeof(names[0])); k++) {
        size_t len = strlen(names[k]);
        if (strncmp(argv[*i], names[k], len) != 0 || (argv[*i][len] && argv[*i][len] != '='))
            continue;
        const char *v = argv[*i][len] == '=' ? argv[*i] + len + 1
                        : *i + 1 < argc      ? argv[++*i]
                                             : NULL;
        int rc = SCL_EXIT_OK;
        if (!v)
            rc = positive(names[k], NULL, &o->workers);
        else if (k == 0)
            rc = positive(names[k], v, &o->workers);
        else if (k == 1)
            rc = positive(names[k], v, &o->max_running);
        else if (k == 2)
            o->partition = v;
        else if (k == 3)
            rc = positive(names[k], v, &o->gpus_per_task);
        else if (k == 4)
            rc = positive(names[k], v, &o->cpus_per_task);
        else if (k == 5)
            o->time = v;
        else if (o->n_extra < SCL_SUBMIT_MAX_EXTRA)
            o->extra[o->n_extra++] = v;
        else
            rc = (scl_app_error("submit: too many --sbatch options"), SCL_EXIT_USAGE);
        return rc == SCL_EXIT_OK ? 1 : -1;
    }
    return 0;
}

int scl_cmd_submit(int argc, char **argv)
{
    struct scl_submit_opts o = {.workers = 4};
    struct scl_cli_opts co;
    struct scl_config cfg;
    /* argv without submit's options: the subcommand, then what `run` takes */
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    if (!rest)
        return SCL_EXIT_RUNTIME;
    int n = 0, rc = SCL_EXIT_OK;
    rest[n++] = argv[0];
    for (int i = 1; i < argc && rc == SCL_EXIT_OK; i++) {
        int r = submit_option(argc, argv, &i, &o);
        if (r < 0)
            rc = SCL_EXIT_USAGE;
        else if (r == 0)
            rest[n++] = argv[i];
    }
    if (rc == SCL_EXIT_OK && o.workers < 1) {
        scl_app_error("submit: --workers must be at least 1");
        rc = SCL_EXIT_USAGE;
    }
    if (rc == SCL_EXIT_OK) {
        rc = scl_cli_parse(n, rest, usage, &co);
        if (rc == SCL_EXIT_HELP) {
            free(rest);
            return SCL_EXIT_OK;
        }
    }
    if (rc == SCL_EXIT_OK && !co.config) {
        scl_app_error("submit needs a config file (sleepcl submit "
                      "configs/experiments/limited_mnist.ini --workers 8)");
        rc = SCL_EXIT_USAGE;
    }
    if (rc == SCL_EXIT_OK)
        rc = scl_cli_config(&co, &cfg);
    if (rc == SCL_EXIT_OK) { /* the overrides: rest without the subcommand and the config */
        char **args = calloc((size_t)n, sizeof(*args));
        int k = 0;
        for (int i = 1; args && i < n; i++)
            if (strcmp(rest[i], co.config) != 0 && strcmp(rest[i], "-c") != 0)
                args[k++] = rest[i];
        rc = args ? scl_submit(&cfg, co.config, args, k, &o) : SCL_EXIT_RUNTIME;
        free(args);
    }
    free(rest);
    return rc;
}
