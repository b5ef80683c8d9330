/*
 * Sleep diagnostics written next to a result: spikes per layer per step (CSV), the histogram of
 * weight changes per layer (CSV), and warnings when a layer stays silent or fires at almost every
 * step, either of which means the parameters do not fit the model. Files are written to a
 * temporary name and renamed, so a reader never sees half a file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* A unit firing at half the steps or more is saturated: sleep then only depresses. */
#define SATURATED_RATE 0.5

static scl_status finish(FILE *f, const char *tmp, const char *path, char *msg, size_t len)
{
    if (!scl_atomic_commit(f, tmp, path, true))
        return scl_msg_fail(msg, len, SCL_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    return SCL_OK;
}

static scl_status write_spikes(const struct scl_sleep_stats *s, const char *path, char *msg,
                               size_t len)
{
    char tmp[1200];
    FILE *f = scl_atomic_open(path, tmp, sizeof(tmp));
    if (!f)
        return scl_msg_fail(msg, len, SCL_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    fprintf(f, "step");
    for (int32_t l = 0; l <= s->n_layers; l++)
        fprintf(f, ",layer%d", l);
    fputc('\n', f);
    for (int32_t t = 0; t < s->steps; t++) {
        fprintf(f, "%d", t + 1);
        for (int32_t l = 0; l <= s->n_layers; l++)
            fprintf(f, ",%d", s->spikes[(size_t)t * (size_t)(s->n_layers + 1) + (size_t)l]);
        fputc('\n', f);
    }
    return finish(f, tmp, path, msg, len);
}

static scl_status write_hist(const struct scl_sleep_stats *s, const char *path, char *msg,
                             size_t len)
{
    char tmp[1200];
    FILE *f = scl_atomic_open(path, tmp, sizeof(tmp));
    if (!f)
        return scl_msg_fail(msg, len, SCL_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    fprintf(f, "layer,bin,dw_from,dw_to,count\n");
    for (int32_t l = 0; l < s->n_layers; l++) {
        for (int b = 0; b < SCL_SLEEP_HIST_BINS; b++) {
            double lo, hi;
            scl_sleep_hist_range(b, &lo, &hi);
            fprintf(f, "%d,%d,%g,%g,%lld\n", l + 1, b, lo, hi, (long long)s->hist[l][b]);
        }
    }
    return finish(f, tmp, path, msg, len);
}

scl_status scl_sleep_write_diagnostics(const struct scl_sleep_stats *s, const char *prefix,
                                       char *msg, size_t msg_len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s.spikes.csv", prefix);
    scl_status st = write_spikes(s, path, msg, msg_len);
    if (st != SCL_OK)
        return st;
    snprintf(path, sizeof(path), "%s.dw_hist.csv", prefix);
    return write_hist(s, path, msg, msg_len);
}

/* A silent output layer is what the 2024 papers report for their own sleeps (the output weights
 * are then left as they were, the hidden layers do the work), so it is only told when asked (log
 * level debug). A silent input or hidden layer means sleep could not change the weights around
 * it, and a saturated layer means every unit fires on most steps: both are warnings. */
static bool check_layer(const struct scl_sleep_stats *s, int32_t l, int64_t total)
{
    if (total == 0 && l == s->n_layers) {
        SCL_LOG_DEBUG("sleep",
                      "the output layer never fired in %d steps: sleep left the output weights "
                      "as they were (as in the published sleeps)",
                      s->steps);
        return true;
    }
    if (total == 0) {
        SCL_LOG_WARN("sleep",
                     "%s %d never fired in %d steps: sleep could not change the weights around "
                     "it (threshold too high or input too weak for this model?)",
                     l == 0 ? "input layer" : "hidden layer", l, s->steps);
        return false;
    }
    if (s->rate[l] >= SATURATED_RATE) {
        SCL_LOG_WARN("sleep",
                     "layer %d fires at %.0f%% of the steps per unit: saturated, the parameters "
                     "do not fit this model",
                     l, 100.0 * s->rate[l]);
        return false;
    }
    return true;
}

int scl_sleep_check_rates(const struct scl_sleep_stats *s)
{
    int bad = 0;
    for (int32_t l = 0; l <= s->n_layers; l++) {
        int64_t total = 0;
        for (int32_t t = 0; t < s->steps; t++)
            total += s->spikes[(size_t)t * (size_t)(s->n_layers + 1) + (size_t)l];
        bad += !check_layer(s, l, total);
    }
    return bad;
}
