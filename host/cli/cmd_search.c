/*
 * sleepcl search CONFIG: the options of a sleep-parameter search; the search itself (the
 * generations, scoring, resumable files, best.ini and the final test trials) is the
 * application's scl_search_run (host/app/search_run.c).
 */
#include "cli.h"
#include "search.h"

static const char usage[] =
    "usage: sleepcl search CONFIG [--set section.key=value ...] [--seed S] [--device I|NAME]\n"
    "Searches the [sleep] parameters with a genetic algorithm ([search] keys: population,\n"
    "generations, bounds, ...), scoring each candidate by validation accuracy after sleep on\n"
    "nets trained on the rest of the data.fraction subset (data.val_fraction is held out).\n"
    "Writes candidates.csv, best.ini and final/ (search.trials test trials comparing the\n"
    "config's [sleep] set with the best) to run.out/experiment.name; resumable.\n";

int scl_cmd_search(int argc, char **argv)
{
    struct scl_cli_opts o;
    static struct scl_config cfg;
    int rc = scl_cli_parse(argc, argv, usage, &o);
    if (rc != SCL_EXIT_OK)
        return rc == SCL_EXIT_HELP ? SCL_EXIT_OK : rc;
    if (!o.config) {
        scl_app_error("search needs a config file (sleepcl search configs/search/mnist.ini)");
        return SCL_EXIT_USAGE;
    }
    rc = scl_cli_config(&o, &cfg);
    return rc == SCL_EXIT_OK ? scl_search_run(&cfg, o.config) : rc;
}
