/*
 * sleepcl config: show what a run would use. --dump prints the effective configuration (defaults,
 * then the -c file, then each --set, validated) as INI that `-c` reads back to the same values;
 * --help-keys prints the schema. Both come from the table in host/config.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "config.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: sleepcl config [-c FILE] [--set section.key=value]... --dump\n"
               "       sleepcl config --help-keys\n\n"
               "  -c, --config FILE    read FILE (INI) over the defaults\n"
               "  -s, --set S.K=V      override one key after the file (repeatable)\n"
               "      --dump           print the effective configuration as INI\n"
               "      --help-keys      list every key: type, allowed values, default, meaning\n"
               "  -h, --help           this help, then the keys\n");
}

/* Build, validate and print the configuration. */
static int dump(const char *path, const char *const *sets, int n_sets)
{
    struct scl_config cfg;
    char msg[1024];
    scl_status st = scl_cfg_build(&cfg, path, sets, n_sets, msg, sizeof(msg));
    if (st != SCL_OK) {
        scl_app_error("%s", msg);
        return scl_app_exit_code(st);
    }
    if (scl_cfg_write(&cfg, stdout) != SCL_OK || fflush(stdout) != 0) {
        scl_app_error("cannot write the configuration to stdout");
        return SCL_EXIT_RUNTIME;
    }
    return SCL_EXIT_OK;
}

int scl_cmd_config(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, 's'},
        {"dump", no_argument, NULL, 'd'},         {"help-keys", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char **sets = calloc((size_t)argc, sizeof(*sets));
    const char *path = NULL;
    int c;
    int n_sets = 0;
    int action = 0; /* 'd', 'k', 'h', or '?' for a bad option or two actions */
    int rc = SCL_EXIT_USAGE;
    if (!sets)
        return SCL_EXIT_RUNTIME;
    /* NOLINTNEXTLINE(concurrency-mt-unsafe): the CLI parses options on one thread */
    while ((c = getopt_long(argc, argv, "c:s:h", opts, NULL)) != -1) {
        if (c == 'c')
            path = optarg;
        else if (c == 's')
            sets[n_sets++] = optarg;
        else if (c == 'd' || c == 'k' || c == 'h')
            action = action ? '?' : c;
        else
            action = '?';
    }
    if (action == 'd' && optind == argc)
        rc = dump(path, sets, n_sets);
    else if ((action == 'k' || action == 'h') && optind == argc) {
        if (action == 'h')
            usage(stdout);
        scl_cfg_print_keys(stdout);
        rc = SCL_EXIT_OK;
    } else
        usage(stderr);
    free(sets);
    return rc;
}
