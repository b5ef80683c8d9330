/*
 * sleepcl status RUN_DIR: how far a sweep is (host/app/exp_work.c): trials done, running (by
 * which worker) and left, with an ETA from the trials timed so far.
 */
#include <string.h>

#include "cli.h"
#include "exp.h"

static const char usage[] =
    "usage: sleepcl status RUN_DIR\n"
    "Trials of the sweep in RUN_DIR (run.out/experiment.name) done, running and left, and an\n"
    "ETA; works while workers run, on any machine that sees the directory.\n";

int scl_cmd_status(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return SCL_EXIT_OK;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fputs(usage, stderr);
        return SCL_EXIT_USAGE;
    }
    return scl_exp_status(argv[1]);
}
