/*
 * sleepcl run CONFIG: the options of an experiment run; the run itself (protocols, manifest,
 * resumable results, summary and plots) is the application's scl_exp_run (host/app/exp_run.c).
 */
#include "cli.h"
#include "exp.h"

static const char usage[] =
    "usage: sleepcl run CONFIG [--set section.key=value ...] [--seed S] [--device I|NAME]\n"
    "Runs the experiment of CONFIG ([experiment] kind = limited | imbalance | tasks |\n"
    "incremental) over run.seeds (or run.seed) and writes results, summary and plots to\n"
    "run.out/experiment.name. Interrupted runs continue where they stopped.\n";

int scl_cmd_run(int argc, char **argv)
{
    struct scl_cli_opts o;
    struct scl_config cfg;
    int rc = scl_cli_parse(argc, argv, usage, &o);
    if (rc != SCL_EXIT_OK)
        return rc == SCL_EXIT_HELP ? SCL_EXIT_OK : rc;
    if (!o.config) {
        scl_app_error(
            "run needs a config file (sleepcl run configs/experiments/limited_mnist.ini)");
        return SCL_EXIT_USAGE;
    }
    rc = scl_cli_config(&o, &cfg);
    return rc == SCL_EXIT_OK ? scl_exp_run(&cfg, o.config) : rc;
}
