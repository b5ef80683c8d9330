/*
 * sleepcl run CONFIG: the options of an experiment run; the run itself (protocols, manifest,
 * resumable results, summary and plots) is the application's scl_exp_run (host/app/exp_run.c).
 */

#include "cli.h"
#include "exp.h"

static const char usage[] =
    "usage: sleepcl run CONFIG [--worker] [--set section.key=value ...] [--seed S]\n"
    "                  [--device I|NAME]\n"
    "Runs the experiment of CONFIG ([experiment] kind = limited | imbalance | tasks |\n"
    "incremental | tripartite) over run.seeds (or run.seed) and writes results,\n"
    "summary and plots to run.out/experiment.name. Interrupted runs continue where they\n"
    "stopped.\n"
    "--worker: one of any number of processes sharing the sweep (on one machine or many over a\n"
    "shared filesystem): each takes trials no other holds; the last writes the summary and\n"
    "plots. Results equal a one-process run's. SCL_CLAIM_LEASE: seconds without a heartbeat\n"
    "after which another machine's trials are taken again (default 60). See docs/CLUSTER.md.\n";

int scl_cmd_run(int argc, char **argv)
{
    struct scl_cli_opts o;
    struct scl_config cfg;
    bool worker = scl_cli_take_flag(&argc, argv, "--worker");
    int rc = scl_cli_parse(argc, argv, usage, &o);
    if (rc != SCL_EXIT_OK)
        return rc == SCL_EXIT_HELP ? SCL_EXIT_OK : rc;
    if (!o.config) {
        scl_app_error(
            "run needs a config file (sleepcl run configs/experiments/limited_mnist.ini)");
        return SCL_EXIT_USAGE;
    }
    rc = scl_cli_config(&o, &cfg);
    if (rc != SCL_EXIT_OK)
        return rc;
    return worker ? scl_exp_run_worker(&cfg, o.config) : scl_exp_run(&cfg, o.config);
}
