/*
 * sleepcl search CONFIG: the options of a sleep-parameter search; the search itself (the
 * generations, scoring, resumable files, best.ini and the final test trials) is the
 * application's scl_search_run (host/app/search_run.c).
 */

#include "cli.h"
#include "search.h"

static const char usage[] =
    "usage: sleepcl search CONFIG [--worker] [--set section.key=value ...] [--seed S]\n"
    "                     [--device I|NAME]\n"
    "Searches the [sleep] parameters with a genetic algorithm ([search] keys: population,\n"
    "generations, bounds, ...), scoring each candidate by validation accuracy after sleep on\n"
    "nets trained on the rest of the data.fraction subset (data.val_fraction is held out).\n"
    "Writes candidates.csv, best.ini and final/ (search.trials test trials comparing the\n"
    "config's [sleep] set with the best) to run.out/experiment.name; resumable.\n"
    "--worker: one of any number of processes sharing the search (on one machine or many over\n"
    "a shared filesystem): each scores the generations on the nets no other holds, and the\n"
    "final trials likewise; the files end as a one-process search's. See docs/CLUSTER.md.\n";

int scl_cmd_search(int argc, char **argv)
{
    struct scl_cli_opts o;
    static struct scl_config cfg;
    bool worker = scl_cli_take_flag(&argc, argv, "--worker");
    int rc = scl_cli_parse(argc, argv, usage, &o);
    if (rc != SCL_EXIT_OK)
        return rc == SCL_EXIT_HELP ? SCL_EXIT_OK : rc;
    if (!o.config) {
        scl_app_error("search needs a config file (sleepcl search configs/search/mnist.ini)");
        return SCL_EXIT_USAGE;
    }
    rc = scl_cli_config(&o, &cfg);
    if (rc != SCL_EXIT_OK)
        return rc;
    return worker ? scl_search_run_worker(&cfg, o.config) : scl_search_run(&cfg, o.config);
}
