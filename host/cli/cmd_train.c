/*
 * sleepcl train: train a network on the configured dataset (a class-balanced fraction of it),
 * print the test accuracy, and save the model in the safetensors format.
 * sleepcl eval: accuracy, per-class accuracy and the confusion matrix of one or more saved models
 * on a split; given two models (before and after a sleep) it prints both, and the change.
 * The work is the application's (host/app/app_train.c); here are the options.
 */
#include "cli.h"

static const char train_usage[] =
    "usage: sleepcl train [-c CONFIG] [--set section.key=value ...] -o MODEL.safetensors\n"
    "                     [--fraction F] [--epochs N] [--seed S] [--dataset mnist|fashion]\n"
    "                     [--device I|NAME] [--gemm auto|clblast|native]\n"
    "Trains model.sizes on data.fraction of the training split (class-balanced, drawn from the\n"
    "seed), evaluates on the test split and writes the model. See sleepcl config --help-keys.\n";

static const char eval_usage[] =
    "usage: sleepcl eval -m MODEL [-m MODEL2] [-c CONFIG] [--split test|train] [--device I|NAME]\n"
    "Prints accuracy, per-class accuracy and the confusion matrix of each model on the split of\n"
    "the configured dataset; with two models, also the change from the first to the second.\n";

int scl_cmd_train(int argc, char **argv)
{
    struct scl_cli_opts o;
    struct scl_config cfg;
    int rc = scl_cli_parse(argc, argv, train_usage, &o);
    if (rc != SCL_EXIT_OK)
        return rc == SCL_EXIT_HELP ? SCL_EXIT_OK : rc;
    if (!o.output) {
        scl_app_error("train needs -o MODEL.safetensors");
        return SCL_EXIT_USAGE;
    }
    rc = scl_cli_config(&o, &cfg);
    return rc == SCL_EXIT_OK ? scl_app_train_file(&cfg, o.output) : rc;
}

int scl_cmd_eval(int argc, char **argv)
{
    struct scl_cli_opts o;
    struct scl_config cfg;
    int rc = scl_cli_parse(argc, argv, eval_usage, &o);
    if (rc != SCL_EXIT_OK)
        return rc == SCL_EXIT_HELP ? SCL_EXIT_OK : rc;
    if (o.n_models == 0) {
        scl_app_error("eval needs -m MODEL");
        return SCL_EXIT_USAGE;
    }
    rc = scl_cli_config(&o, &cfg);
    return rc == SCL_EXIT_OK ? scl_app_eval_files(&cfg, o.models, o.n_models, o.split) : rc;
}
