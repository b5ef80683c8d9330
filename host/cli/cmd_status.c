/*
 * sleepcl status RUN_DIR: how far a sweep is (host/app/exp_work.c): trials done, running (by
 * which worker) and left, with an ETA from the trials timed so far; or, for a search's
 * directory (search.hash there), its generations and final trials (host/app/search_work.c).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "exp.h"
#include "search.h"

static const char usage[] =
    "usage: sleepcl status RUN_DIR\n"
    "Trials of the sweep in RUN_DIR (run.out/experiment.name) done, running and left, and an\n"
    "ETA; for a search, generations and candidates scored and left, the nets of the current\n"
    "generation and the final trials. Works while workers run, on any machine that sees the\n"
    "directory.\n";

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
    char hash[1024];
    snprintf(hash, sizeof(hash), "%s/search.hash", argv[1]);
    return access(hash, F_OK) == 0 ? scl_search_status(argv[1]) : scl_exp_status(argv[1]);
}
