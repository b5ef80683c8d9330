/*
 * sleepcl sleep: put a saved model to sleep and write the slept model, with its diagnostics next
 * to it (OUT.spikes.csv, OUT.dw_hist.csv, OUT.sleep_input.json). The sleep's input statistics
 * come from the configured training data (the subset `train` drew for the same seed) or from a
 * statistic saved by an earlier sleep (--mean-input), so a model trained elsewhere can sleep
 * without its data. The work is the application's scl_app_sleep_file (host/app/app_sleep.c).
 */
#include <stdio.h>

#include "cli.h"

static const char usage[] =
    "usage: sleepcl sleep -m MODEL -o OUT.safetensors [-c CONFIG] [--set section.key=value ...]\n"
    "                     [--mean-input FILE.json] [--seed S] [--device I|NAME]\n"
    "Converts MODEL to a spiking net, sleeps it with the [sleep] parameters and writes the\n"
    "changed weights to OUT, with OUT.spikes.csv, OUT.dw_hist.csv and OUT.sleep_input.json.\n"
    "The input statistics come from the configured training data, or from --mean-input (a\n"
    "sleep_input.json of an earlier run).\n";

int scl_cmd_sleep(int argc, char **argv)
{
    struct scl_cli_opts o;
    struct scl_config cfg;
    int rc = scl_cli_parse(argc, argv, usage, &o);
    if (rc != SCL_EXIT_OK)
        return rc == SCL_EXIT_HELP ? SCL_EXIT_OK : rc;
    if (o.n_models != 1 || !o.output) {
        scl_app_error("sleep needs one -m MODEL and -o OUT.safetensors");
        return SCL_EXIT_USAGE;
    }
    rc = scl_cli_config(&o, &cfg);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_sleep_file(&cfg, o.models[0], o.mean_input, o.output);
    if (rc == SCL_EXIT_OK)
        printf("slept model written to %s (diagnostics: %s.spikes.csv, %s.dw_hist.csv)\n", o.output,
               o.output, o.output);
    return rc;
}
