/*
 * What the experiments, the search and the commands share: the configured device and datasets,
 * the mapping from the config to the library's parameter structs, printing, and directories.
 */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"

void scl_app_error(const char *fmt, ...)
{
    va_list ap;
    fputs("sleepcl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int scl_app_exit_code(scl_status st)
{
    if (st == SCL_OK)
        return SCL_EXIT_OK;
    return (st == SCL_ERR_CONFIG || st == SCL_ERR_ARG) ? SCL_EXIT_USAGE : SCL_EXIT_RUNTIME;
}

int scl_app_fail(scl_ctx *ctx, scl_status st, const char *what)
{
    const char *detail =
        ctx && scl_ctx_last_error(ctx)[0] ? scl_ctx_last_error(ctx) : scl_status_str(st);
    if (what)
        scl_app_error("%s: %s", what, detail);
    else
        scl_app_error("%s", detail);
    return scl_app_exit_code(st);
}

double scl_app_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

scl_ctx *scl_app_open_ctx(const char *device)
{
    struct scl_ctx_params p = scl_ctx_default_params();
    scl_ctx *ctx = NULL;
    if (device)
        p.device = device;
    scl_status st = scl_ctx_create(&p, &ctx);
    if (st != SCL_OK) {
        scl_app_error("%s", ctx && scl_ctx_last_error(ctx)[0] ? scl_ctx_last_error(ctx)
                                                              : scl_status_str(st));
        scl_ctx_destroy(ctx);
        return NULL;
    }
    return ctx;
}

scl_ctx *scl_app_open_cfg_ctx(const struct scl_config *cfg)
{
    return scl_app_open_ctx(cfg->device.device[0] ? cfg->device.device : NULL);
}

/* data.train_file or data.test_file: as given when absolute, else inside the dataset directory. */
static void features_path(const struct scl_config *cfg, const char *dir, const char *split,
                          char *buf, size_t n)
{
    const char *file = strcmp(split, "train") == 0 ? cfg->data.train_file : cfg->data.test_file;
    if (file[0] == '/')
        snprintf(buf, n, "%s", file);
    else
        snprintf(buf, n, "%s/%s", dir, file);
}

/* A cross-modal split: DIR/first then DIR/second, the second's labels after the first's ten
 * (docs/METHOD.md section 6.9), whatever classes a split happens to hold. */
#define CROSSMODAL_OFFSET 10
static scl_status load_crossmodal(const char *dir, const char *first, const char *second,
                                  const char *split, scl_dataset **out, char *msg, size_t len)
{
    char path[700];
    scl_dataset *a = NULL, *b = NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, first);
    scl_status st = scl_dataset_load_dir(path, split, &a, msg, len);
    snprintf(path, sizeof(path), "%s/%s", dir, second);
    if (st == SCL_OK)
        st = scl_dataset_load_dir(path, split, &b, msg, len);
    if (st == SCL_OK && (st = scl_dataset_concat(a, b, CROSSMODAL_OFFSET, out)) != SCL_OK)
        snprintf(msg, len, "%s: %s images (%d values) cannot follow %s's (%d)", path, second,
                 (int)b->dim, first, (int)a->dim);
    scl_dataset_destroy(a);
    scl_dataset_destroy(b);
    return st;
}

scl_dataset *scl_app_load_split(const struct scl_config *cfg, const char *split)
{
    char dir[512], path[1024], msg[1200];
    scl_dataset *ds = NULL;
    scl_status st;
    scl_cfg_data_dir(cfg, dir, sizeof(dir));
    switch (cfg->data.dataset) {
    case SCL_CFG_DATASET_FEATURES:
        features_path(cfg, dir, split, path, sizeof(path));
        st = scl_dataset_load_features(path, &ds, msg, sizeof(msg));
        break;
    case SCL_CFG_DATASET_CIFAR10:
    case SCL_CFG_DATASET_CIFAR100: {
        scl_cifar_kind kind = cfg->data.dataset == SCL_CFG_DATASET_CIFAR10    ? SCL_CIFAR10
                              : cfg->data.cifar_label == SCL_CFG_CIFAR_COARSE ? SCL_CIFAR100_COARSE
                                                                              : SCL_CIFAR100_FINE;
        st = scl_dataset_load_cifar_dir(dir, split, kind, &ds, msg, sizeof(msg));
        break;
    }
    case SCL_CFG_DATASET_MNIST_FASHION:
        st = load_crossmodal(dir, "mnist", "fashion-mnist", split, &ds, msg, sizeof(msg));
        break;
    case SCL_CFG_DATASET_FASHION_MNIST:
        st = load_crossmodal(dir, "fashion-mnist", "mnist", split, &ds, msg, sizeof(msg));
        break;
    default:
        st = scl_dataset_load_dir(dir, split, &ds, msg, sizeof(msg));
    }
    if (st != SCL_OK)
        scl_app_error("%s (tools/setup.sh fetches MNIST and Fashion-MNIST, links CIFAR with "
                      "--cifar DIR; features are the user's)",
                      msg);
    return ds;
}

scl_dataset *scl_app_train_subset(const struct scl_config *cfg, const scl_dataset *full,
                                  uint32_t seed)
{
    scl_dataset *ds = NULL;
    if (scl_dataset_balanced(full, cfg->data.fraction, cfg->data.classes.v, cfg->data.classes.n,
                             seed, &ds) != SCL_OK)
        scl_app_error("cannot draw a %g subset of the training data (classes out of range?)",
                      cfg->data.fraction);
    return ds;
}

struct scl_train_params scl_app_train_params(const struct scl_config *cfg, uint32_t seed)
{
    struct scl_train_params p = cfg->train;
    p.seed = seed;
    return p;
}

int scl_app_train_new(scl_ctx *ctx, const struct scl_config *cfg, uint32_t seed, const scl_ddata *d,
                      scl_epoch_fn cb, void *user, scl_model **model, scl_trainer **trainer)
{
    const struct scl_train_params p = scl_app_train_params(cfg, seed);
    const struct scl_cfg_ints *sz = &cfg->model.sizes;
    scl_status st = scl_model_train_new(ctx, sz->v, sz->n - 1, &p, d, cb, user, model, trainer);
    return st == SCL_OK ? SCL_EXIT_OK : scl_app_fail(ctx, st, NULL);
}

void scl_app_out_dir(const struct scl_config *cfg, const char *config_path, char *buf, size_t n)
{
    char name[256];
    char copy[512];
    if (cfg->experiment.name[0]) {
        snprintf(name, sizeof(name), "%s", cfg->experiment.name);
    } else {
        snprintf(copy, sizeof(copy), "%s", config_path ? config_path : "experiment");
        snprintf(name, sizeof(name), "%s", basename(copy));
        char *dot = strrchr(name, '.');
        if (dot)
            *dot = '\0';
    }
    snprintf(buf, n, "%s/%s", cfg->run.out, name);
}

void scl_app_print_eval(FILE *f, const char *title, const struct scl_eval *e)
{
    fprintf(f, "%s: accuracy %.4f on %d samples\n  per class:", title, e->accuracy, e->n);
    for (int32_t c = 0; c < e->n_classes; c++)
        fprintf(f, " %d:%.3f", c, e->class_accuracy[c]);
    fprintf(f, "\n  confusion (rows true, columns predicted):\n");
    for (int32_t r = 0; r < e->n_classes; r++) {
        fprintf(f, "  %2d |", r);
        for (int32_t c = 0; c < e->n_classes; c++)
            fprintf(f, " %5d", e->confusion[r * e->n_classes + c]);
        fputc('\n', f);
    }
}

void scl_app_epoch_progress(const struct scl_epoch_report *r, void *user)
{
    const char *phase = user ? (const char *)user : "train";
    double eta = r->seconds * (r->epochs - r->epoch);
    fprintf(stderr, "sleepcl: %s: epoch %d/%d loss %.5f %.1f s, ETA %.0f s\n", phase, r->epoch,
            r->epochs, r->loss, r->seconds, eta);
}

int scl_app_write_atomic(const char *path, const char *data, size_t len)
{
    if (!scl_atomic_write(path, data, len)) {
        scl_app_error("%s: cannot write: %s", path, strerror(errno));
        return SCL_EXIT_RUNTIME;
    }
    return SCL_EXIT_OK;
}

int scl_app_mkdir_p(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s", dir);
    for (char *p = tmp + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
            scl_app_error("%s: cannot create directory: %s", tmp, strerror(errno));
            return SCL_EXIT_RUNTIME;
        }
        *p = c;
        if (!c)
            break;
    }
    return SCL_EXIT_OK;
}

/* The program's shared files (configs, helper scripts) sit beside it: the build copies them to
 * BUILD/share/sleepcl next to BUILD/sleepcl, an install puts them in PREFIX/share/sleepcl next
 * to PREFIX/bin/sleepcl. Found from the running executable, never from a compiled-in path. */
int scl_app_share_path(const char *rel, char *buf, size_t n)
{
    static const char *const roots[] = {"share/sleepcl", "../share/sleepcl"};
    char exe[1024];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len <= 0) {
        scl_app_error("cannot find the program's own path to locate %s", rel);
        return SCL_EXIT_RUNTIME;
    }
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
        snprintf(buf, n, "%s/%s/%s", exe, roots[i], rel);
        if (access(buf, R_OK) == 0)
            return SCL_EXIT_OK;
    }
    scl_app_error("%s not found in %s/share/sleepcl or %s/../share/sleepcl", rel, exe, exe);
    return SCL_EXIT_RUNTIME;
}
