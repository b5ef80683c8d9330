/*
 * Options of the subcommands, parsed once: every flag becomes a config override, as Redis turns
 * --port into a config line, so flags and files meet in one validated parser.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Flags that are shorthand for a config key. */
static const struct {
    const char *flag, *key;
} flag_keys[] = {
    {"device", "device.device"},   {"seed", "run.seed"},        {"epochs", "train.epochs"},
    {"fraction", "data.fraction"}, {"dataset", "data.dataset"}, {"data-dir", "data.dir"},
    {"gemm", "train.gemm"},
};

static int add_set(struct scl_cli_opts *o, const char *text)
{
    if (o->n_sets == SCL_CLI_MAX_SETS) {
        scl_app_error("too many --set options (at most %d)", SCL_CLI_MAX_SETS);
        return SCL_EXIT_USAGE;
    }
    if (strlen(text) >= sizeof(o->set_buf[0])) {
        scl_app_error("override too long: %.40s...", text);
        return SCL_EXIT_USAGE;
    }
    memcpy(o->set_buf[o->n_sets], text, strlen(text) + 1);
    o->sets[o->n_sets] = o->set_buf[o->n_sets];
    o->n_sets++;
    return SCL_EXIT_OK;
}

static int flag_to_set(struct scl_cli_opts *o, const char *flag, const char *value)
{
    char buf[256];
    for (size_t i = 0; i < sizeof(flag_keys) / sizeof(flag_keys[0]); i++) {
        if (strcmp(flag, flag_keys[i].flag) == 0) {
            int n = snprintf(buf, sizeof(buf), "%s=%s", flag_keys[i].key, value);
            if (n < 0 || (size_t)n >= sizeof(buf)) {
                scl_app_error("--%s value too long", flag);
                return SCL_EXIT_USAGE;
            }
            return add_set(o, buf);
        }
    }
    return SCL_EXIT_USAGE;
}

static int take_option(struct scl_cli_opts *o, const char *name, const char *arg)
{
    if (strcmp(name, "config") == 0)
        o->config = arg;
    else if (strcmp(name, "set") == 0)
        return add_set(o, arg);
    else if (strcmp(name, "model") == 0 && o->n_models < SCL_CLI_MAX_MODELS)
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
    return SCL_EXIT_OK;
}

int scl_cli_parse(int argc, char **argv, const char *usage, struct scl_cli_opts *o)
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
            return c == 'h' ? SCL_EXIT_HELP : SCL_EXIT_USAGE;
        }
        const char *name = c ? NULL : opts[idx].name;
        for (int i = 0; !name && opts[i].name; i++)
            if (opts[i].val == c)
                name = opts[i].name;
        if (take_option(o, name, optarg) != SCL_EXIT_OK)
            return SCL_EXIT_USAGE;
    }
    /* One positional argument may name the config (sleepcl run CONFIG). */
    if (optind < argc && !o->config)
        o->config = argv[optind++];
    if (optind < argc) {
        scl_app_error("unexpected argument '%s'", argv[optind]);
        return SCL_EXIT_USAGE;
    }
    return SCL_EXIT_OK;
}

int scl_cli_config(const struct scl_cli_opts *o, struct scl_config *cfg)
{
    char msg[512];
    if (scl_cfg_build(cfg, o->config, (const char *const *)o->sets, o->n_sets, msg, sizeof(msg)) !=
        SCL_OK) {
        scl_app_error("%s", msg);
        return SCL_EXIT_USAGE;
    }
    return SCL_EXIT_OK;
}

bool scl_cli_take_flag(int *argc, char **argv, const char *flag)
{
    bool found = false;
    int k = 0;
    for (int i = 0; i < *argc; i++) {
        if (strcmp(argv[i], flag) == 0)
            found = true;
        else
            argv[k++] = argv[i];
    }
    *argc = k;
    return found;
}
