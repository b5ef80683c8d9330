/*
 * What sleep does to hidden representations (docs/METHOD.md section 6.10): how alike the
 * representations of two images of the same class and of different classes are, how sparse
 * the activity is, and how strongly each class's images drive a layer. Plain C on the host: the
 * activations come from scl_model_features; n is a few hundred to a few thousand images.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* Each row of h [n][units] centred and scaled to unit length into z; ok[i] = 0 for a row with
 * no variance (a silent or uniform representation has no correlation with anything). */
static void normalise_rows(const float *h, int32_t n, int32_t units, double *z, uint8_t *ok)
{
    for (int32_t i = 0; i < n; i++) {
        const float *row = h + (size_t)i * (size_t)units;
        double *zr = z + (size_t)i * (size_t)units, mean = 0.0, ss = 0.0;
        for (int32_t u = 0; u < units; u++)
            mean += (double)row[u];
        mean /= units;
        for (int32_t u = 0; u < units; u++) {
            zr[u] = (double)row[u] - mean;
            ss += zr[u] * zr[u];
        }
        ok[i] = ss > 0.0;
        double inv = ok[i] ? 1.0 / sqrt(ss) : 0.0;
        for (int32_t u = 0; u < units; u++)
            zr[u] *= inv;
    }
}

/* Mean Pearson correlation over pairs of rows of the same label (within) and of different
 * labels (between); NaN where there is no such pair. */
static void pair_correlations(const double *z, const uint8_t *ok, const uint8_t *labels, int32_t n,
                              int32_t units, double *within, double *between)
{
    double sum[2] = {0.0, 0.0};
    int64_t count[2] = {0, 0};
    for (int32_t i = 0; i < n; i++) {
        if (!ok[i])
            continue;
        const double *zi = z + (size_t)i * (size_t)units;
        for (int32_t j = i + 1; j < n; j++) {
            if (!ok[j])
                continue;
            const double *zj = z + (size_t)j * (size_t)units;
            double dot = 0.0;
            for (int32_t u = 0; u < units; u++)
                dot += zi[u] * zj[u];
            int same = labels[i] == labels[j];
            sum[same] += dot;
            count[same]++;
        }
    }
    *within = count[1] ? sum[1] / (double)count[1] : (double)NAN;
    *between = count[0] ? sum[0] / (double)count[0] : (double)NAN;
}

/* Population sparseness of one row, 1 - (mean h)^2 / mean(h^2) (Treves and Rolls): 0 when all
 * units are equally active, 1 - 1/units when one unit carries it all; NaN for a silent row. */
static double row_sparseness(const float *row, int32_t units, int32_t *active)
{
    double s1 = 0.0, s2 = 0.0;
    *active = 0;
    for (int32_t u = 0; u < units; u++) {
        s1 += (double)row[u];
        s2 += (double)row[u] * (double)row[u];
        *active += row[u] > 0.0f;
    }
    return s2 > 0.0 ? 1.0 - (s1 / units) * (s1 / units) / (s2 / units) : (double)NAN;
}

scl_status scl_repr_stats(const float *h, const uint8_t *labels, int32_t n, int32_t units,
                          struct scl_repr_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!h || !labels || n < 1 || units < 1)
        return SCL_ERR_ARG;
    double *z = scl_alloc(sizeof(*z) * (size_t)n * (size_t)units);
    uint8_t *ok = scl_alloc((size_t)n);
    if (!z || !ok) {
        scl_free(z);
        scl_free(ok);
        return SCL_ERR_NOMEM;
    }
    normalise_rows(h, n, units, z, ok);
    pair_correlations(z, ok, labels, n, units, &out->corr_within, &out->corr_between);
    scl_free(z);
    scl_free(ok);
    double sparse = 0.0;
    int64_t active = 0;
    int32_t rows = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t a;
        double s = row_sparseness(h + (size_t)i * (size_t)units, units, &a);
        active += a;
        if (!isnan(s)) {
            sparse += s;
            rows++;
        }
    }
    out->sparseness = rows ? sparse / rows : (double)NAN;
    out->active = (double)active / ((double)n * units);
    out->silent_rows = n - rows;
    return SCL_OK;
}

scl_status scl_repr_class_drive(const float *h_prev, const uint8_t *labels, int32_t n,
                                int32_t units_prev, const float *w, int32_t units,
                                int32_t n_classes, double *drive)
{
    if (!h_prev || !labels || !w || !drive || n < 1 || units_prev < 1 || units < 1 ||
        n_classes < 1 || n_classes > SCL_MAX_CLASSES)
        return SCL_ERR_ARG;
    /* The drive is linear in the input: the class mean of h_prev through w, then the mean
     * over the units, is the mean pre-activation over the class's images and the units. */
    double *mean = scl_calloc((size_t)n_classes * (size_t)units_prev, sizeof(*mean));
    int32_t count[SCL_MAX_CLASSES] = {0};
    if (!mean)
        return SCL_ERR_NOMEM;
    for (int32_t i = 0; i < n; i++) {
        if (labels[i] >= n_classes) {
            scl_free(mean);
            return SCL_ERR_ARG;
        }
        double *mc = mean + (size_t)labels[i] * (size_t)units_prev;
        for (int32_t k = 0; k < units_prev; k++)
            mc[k] += (double)h_prev[(size_t)i * (size_t)units_prev + (size_t)k];
        count[labels[i]]++;
    }
    for (int32_t c = 0; c < n_classes; c++) {
        const double *mc = mean + (size_t)c * (size_t)units_prev;
        double total = 0.0;
        for (int32_t u = 0; count[c] && u < units; u++)
            for (int32_t k = 0; k < units_prev; k++)
                total += (double)w[(size_t)u * (size_t)units_prev + (size_t)k] * mc[k];
        drive[c] = count[c] ? total / ((double)count[c] * units) : (double)NAN;
    }
    scl_free(mean);
    return SCL_OK;
}
