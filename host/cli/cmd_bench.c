/*
 * sleepcl bench: the benchmark tool. Speed is measured here, never asserted in tests. Each
 * section prints its figures next to a baseline measured in the same run, as ratios, because
 * these machines are noisy and absolute numbers do not travel.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(scl_ctx *, const struct scl_bench_opts *);
} sections[] = {
    {"gemm", scl_bench_gemm},     {"train", scl_bench_train},           {"sleep", scl_bench_sleep},
    {"search", scl_bench_search}, {"tripartite", scl_bench_tripartite},
};

static int run_sections(scl_ctx *ctx, const char *only, const struct scl_bench_opts *o)
{
    int rc = SCL_EXIT_OK, ran = 0;
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        if (!sections[i].fn || (only && strcmp(only, sections[i].name) != 0))
            continue;
        printf("== %s\n", sections[i].name);
        fflush(stdout);
        ran++;
        int r = sections[i].fn(ctx, o);
        if (r != SCL_EXIT_OK)
            rc = r;
    }
    if (!ran) {
        scl_app_error("no benchmark section named '%s'", only ? only : "");
        return SCL_EXIT_USAGE;
    }
    return rc;
}

int scl_cmd_bench(int argc, char **argv)
{
    static const struct option opts[] = {{"device", required_argument, NULL, 'd'},
                                         {"quick", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct scl_bench_opts o = {0};
    const char *device = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "d:qh", opts, NULL)) != -1) {
        if (c == 'd') {
            device = optarg;
        } else if (c == 'q') {
            o.quick = 1;
        } else {
            printf("usage: sleepcl bench [--device I|NAME] [--quick] [SECTION]\n");
            return c == 'h' ? SCL_EXIT_OK : SCL_EXIT_USAGE;
        }
    }
    scl_ctx *ctx = scl_app_open_ctx(device);
    if (!ctx)
        return SCL_EXIT_RUNTIME;
    printf("device: %s\n", scl_ctx_device_desc(ctx));
    int rc = scl_bench_machine(ctx, &o);
    if (rc == SCL_EXIT_OK)
        rc = run_sections(ctx, optind < argc ? argv[optind] : NULL, &o);
    scl_ctx_destroy(ctx);
    return rc;
}
