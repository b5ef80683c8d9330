/*
 * What the experiment subcommands share: options parsed once (every flag becomes a config
 * override, as Redis turns --port into a config line, so flags and files meet in one validated
 * parser), the configuration, the device, the datasets, and the mapping from config to the
 * library's parameter structs.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "internal.h"

/* Flags that are shorthand for a config key. */
static const struct {
    const char *flag, *key;
} flag_keys[] = {
    {"device", "device.device"},   {"seed", "run.seed"},        {"epochs", "train.epochs"},
    {"fraction", "data.fraction"}, {"dataset", "data.dataset"}, {"data-dir", "data.dir"},
    {"gemm", "train.gemm"},
};

static int add_set(struct cli_opts *o, const char *text)
{
    if (o->n_sets == CLI_MAX_SETS) {
        cli_error("too many --set options (at most %d)", CLI_MAX_SETS);
        return CLI_EXIT_USAGE;
    }
    if (strlen(text) >= sizeof(o->set_buf[0])) {
        cli_error("override too long: %.40s...", text);
        return CLI_EXIT_USAGE;
    }
    memcpy(o->set_buf[o->n_sets], text, strlen(text) + 1);
    o->sets[o->n_sets] = o->set_buf[o->n_sets];
    o->n_sets++;
    return CLI_EXIT_OK;
}

static int flag_to_set(struct cli_opts *o, const char *flag, const char *value)
{
    char buf[256];
    for (size_t i = 0; i < sizeof(flag_keys) / sizeof(flag_keys[0]); i++) {
        if (strcmp(flag, flag_keys[i].flag) == 0) {
            int n = snprintf(buf, sizeof(buf), "%s=%s", flag_keys[i].key, value);
            if (n < 0 || (size_t)n >= sizeof(buf)) {
                cli_error("--%s value too long", flag);
                return CLI_EXIT_USAGE;
            }
            return add_set(o, buf);
        }
    }
    return CLI_EXIT_USAGE;
}

static int take_option(struct cli_opts *o, const char *name, const char *arg)
{
    if (strcmp(name, "config") == 0)
        o->config = arg;
    else if (strcmp(name, "set") == 0)
        return add_set(o, arg);
    else if (strcmp(name, "model") == 0 && o->n_models < CLI_MAX_MODELS)
        o->models[o->n_models++] = arg;
    else if (strcmp(name, "output") == 0)
        o->output = arg;
    else if (strcmp(name, "split") == 0)
        o->split = arg;
    else if (strcmp(name, "mean-input") == 0)
        o->mean_input = arg;
    else if (strcmp(name, "quiet") == 0)
        o->quiet = 1;
    else
        return flag_to_set(o, name, arg);
    return CLI_EXIT_OK;
}

int cli_parse(int argc, char **argv, const char *usage, struct cli_opts *o)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, 's'},
        {"model", required_argument, NULL, 'm'},  {"output", required_argument, NULL, 'o'},
        {"split", required_argument, NULL, 0},    {"mean-input", required_argument, NULL, 0},
        {"device", required_argument, NULL, 'd'}, {"seed", required_argument, NULL, 0},
        {"epochs", required_argument, NULL, 0},   {"fraction", required_argument, NULL, 0},
        {"dataset", required_argument, NULL, 0},  {"data-dir", required_argument, NULL, 0},
        {"gemm", required_argument, NULL, 0},     {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    int c, idx = 0;
    memset(o, 0, sizeof(*o));
    o->split = "test";
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:s:m:o:d:qh", opts, &idx)) != -1) {
        if (c == 'h' || c == '?') {
            fprintf(c == 'h' ? stdout : stderr, "%s", usage);
            return c == 'h' ? CLI_EXIT_HELP : CLI_EXIT_USAGE;
        }
        const char *name = c ? NULL : opts[idx].name;
        for (int i = 0; !name && opts[i].name; i++)
            if (opts[i].val == c)
                name = opts[i].name;
        if (take_option(o, name, optarg) != CLI_EXIT_OK)
            return CLI_EXIT_USAGE;
    }
    /* One positional argument may name the config (sleepcl run CONFIG). */
    if (optind < argc && !o->config)
        o->config = argv[optind++];
    if (optind < argc) {
        cli_error("unexpected argument '%s'", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_config(const struct cli_opts *o, struct scl_config *cfg)
{
    char msg[512];
    if (scl_cfg_build(cfg, o->config, (const char *const *)o->sets, o->n_sets, msg, sizeof(msg)) !=
        SCL_OK) {
        cli_error("%s", msg);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

scl_ctx *cli_open_cfg_ctx(const struct scl_config *cfg)
{
    return cli_open_ctx(cfg->device.device[0] ? cfg->device.device : NULL);
}

scl_dataset *cli_load_split(const struct scl_config *cfg, const char *split)
{
    char dir[512], msg[512];
    scl_dataset *ds = NULL;
    scl_cfg_data_dir(cfg, dir, sizeof(dir));
    scl_status st = scl_dataset_load_dir(dir, split, &ds, msg, sizeof(msg));
    if (st != SCL_OK)
        cli_error("%s (run tools/setup.sh to fetch the datasets)", msg);
    return ds;
}

scl_dataset *cli_train_subset(const struct scl_config *cfg, const scl_dataset *full, uint32_t seed)
{
    scl_dataset *ds = NULL;
    if (scl_dataset_balanced(full, cfg->data.fraction, cfg->data.classes.v, cfg->data.classes.n,
                             seed, &ds) != SCL_OK)
        cli_error("cannot draw a %g subset of the training data (classes out of range?)",
                  cfg->data.fraction);
    return ds;
}

struct scl_train_params cli_train_params(const struct scl_config *cfg, uint32_t seed)
{
    const struct scl_cfg_train *t = &cfg->train;
    struct scl_train_params p = scl_train_default_params();
    p.output = (scl_output)t->output;
    p.loss = (scl_loss)t->loss;
    p.lr = (float)t->lr;
    p.momentum = (float)t->momentum;
    p.batch = t->batch;
    p.epochs = t->epochs;
    p.dropout = (float)t->dropout;
    p.dropout_mode = (scl_dropout_mode)t->dropout_mode;
    p.init = (scl_init)t->init;
    p.init_a = (float)t->init_a;
    p.gemm = (int32_t)t->gemm;
    p.seed = seed;
    return p;
}

void cli_print_eval(FILE *f, const char *title, const struct scl_eval *e)
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

void cli_epoch_progress(const struct scl_epoch_report *r, void *user)
{
    const char *phase = user ? (const char *)user : "train";
    double eta = r->seconds * (r->epochs - r->epoch);
    fprintf(stderr, "sleepcl: %s: epoch %d/%d loss %.5f %.1f s, ETA %.0f s\n", phase, r->epoch,
            r->epochs, r->loss, r->seconds, eta);
}

int cli_write_atomic(const char *path, const char *data, size_t len)
{
    if (!scl_atomic_write(path, data, len)) {
        cli_error("%s: cannot write", path);
        return CLI_EXIT_RUNTIME;
    }
    return CLI_EXIT_OK;
}

int cli_mkdir_p(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s", dir);
    for (char *p = tmp + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
            cli_error("%s: cannot create directory", tmp);
            return CLI_EXIT_RUNTIME;
        }
        *p = c;
        if (!c)
            break;
    }
    return CLI_EXIT_OK;
}
