/*
 * sleepcl demo: a short tour of the foundation. Opens the device (twice, to show the program
 * cache at work), loads MNIST's training split, and checks that the device generator gives the
 * host generator's words bit for bit.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static int open_twice(const char *device)
{
    for (int round = 0; round < 2; round++) {
        int cached = 0;
        scl_ctx *ctx = scl_app_open_ctx(device);
        if (!ctx)
            return SCL_EXIT_RUNTIME;
        double s = scl_ctx_program_seconds(ctx, &cached);
        printf("start %d: kernels %s in %.3f s\n", round + 1,
               cached ? "loaded from cache" : "compiled", s);
        scl_ctx_destroy(ctx);
    }
    return SCL_EXIT_OK;
}

static int check_rng(const char *device)
{
    enum { N = 100000 };
    uint32_t *dev = malloc(sizeof(*dev) * 4 * N);
    scl_ctx *ctx = scl_app_open_ctx(device);
    int rc = SCL_EXIT_RUNTIME, bad = 0;
    if (!ctx || !dev)
        goto out;
    if (scl_ctx_rng_fill(ctx, 42, SCL_RNG_TEST, 7, 3, N, dev) != SCL_OK) {
        scl_app_error("%s", scl_ctx_last_error(ctx));
        goto out;
    }
    for (uint32_t i = 0; i < N; i++) {
        uint32_t host[4];
        scl_rng_words(42, SCL_RNG_TEST, i, 7, 3, host);
        for (uint32_t j = 0; j < 4; j++)
            bad += host[j] != dev[4 * i + j];
    }
    printf("generator: %d of %d device words differ from the host\n", bad, 4 * N);
    rc = bad ? SCL_EXIT_RUNTIME : SCL_EXIT_OK;
out:
    scl_ctx_destroy(ctx);
    free(dev);
    return rc;
}

static int load_mnist(void)
{
    char dir[1024], path[1100], msg[512];
    scl_dataset *ds = NULL;
    scl_env_data_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/mnist", dir);
    scl_status st = scl_dataset_load_dir(path, "train", &ds, msg, sizeof(msg));
    if (st != SCL_OK) {
        scl_app_error("%s", msg);
        return scl_app_exit_code(st);
    }
    printf("MNIST train: %d images of %dx%d, %d classes\n", ds->n, ds->rows, ds->cols,
           ds->n_classes);
    scl_dataset_destroy(ds);
    return SCL_EXIT_OK;
}

int scl_cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"device", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *device = NULL;
    int c, rc;
    while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
        if (c == 'd') {
            device = optarg;
        } else {
            printf("usage: sleepcl demo [--device I|NAME]\n");
            return c == 'h' ? SCL_EXIT_OK : SCL_EXIT_USAGE;
        }
    }
    rc = open_twice(device);
    if (rc == SCL_EXIT_OK)
        rc = check_rng(device);
    if (rc == SCL_EXIT_OK)
        rc = load_mnist();
    return rc;
}
