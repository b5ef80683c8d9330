/*
 * Host-side model: layer sizes and weight matrices. Shapes chain layer to layer by construction;
 * the file format (safetensors) lives in model_io.c. Synaptic downscaling (Robinson et al.)
 * zeroes the smallest-magnitude weights of every layer before a new task.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

scl_status scl_model_create(int32_t n_layers, const int32_t *sizes, scl_model **out)
{
    *out = NULL;
    if (n_layers < 1 || n_layers > SCL_MAX_LAYERS)
        return SCL_ERR_ARG;
    for (int32_t l = 0; l <= n_layers; l++)
        if (sizes[l] < 1 || sizes[l] > (1 << 20))
            return SCL_ERR_ARG;
    scl_model *m = scl_calloc(1, sizeof(*m));
    if (!m)
        return SCL_ERR_NOMEM;
    m->act_scale = 1.0f; /* no test-time scaling until a training profile says otherwise */
    m->n_layers = n_layers;
    memcpy(m->sizes, sizes, sizeof(*sizes) * (size_t)(n_layers + 1));
    for (int32_t l = 0; l < n_layers; l++) {
        m->w[l] = scl_calloc((size_t)sizes[l + 1] * (size_t)sizes[l], sizeof(float));
        if (!m->w[l]) {
            scl_model_destroy(m);
            return SCL_ERR_NOMEM;
        }
    }
    *out = m;
    return SCL_OK;
}

scl_status scl_model_clone(const scl_model *src, scl_model **out)
{
    scl_status st = scl_model_create(src->n_layers, src->sizes, out);
    if (st != SCL_OK)
        return st;
    for (int32_t l = 0; l < src->n_layers; l++)
        memcpy((*out)->w[l], src->w[l],
               sizeof(float) * (size_t)src->sizes[l + 1] * (size_t)src->sizes[l]);
    memcpy((*out)->profile, src->profile, sizeof(src->profile));
    memcpy((*out)->config_hash, src->config_hash, sizeof(src->config_hash));
    (*out)->seed = src->seed;
    (*out)->output = src->output;
    (*out)->act_scale = src->act_scale;
    return SCL_OK;
}

void scl_model_destroy(scl_model *m)
{
    if (!m)
        return;
    for (int32_t l = 0; l < m->n_layers; l++)
        scl_free(m->w[l]);
    scl_free(m);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Zero the k smallest-magnitude weights of one matrix: below the k-th magnitude all of them,
 * at it as many as needed in index order (ties are broken deterministically). */
static scl_status zero_smallest(float *w, size_t n, size_t k)
{
    if (k == 0)
        return SCL_OK;
    float *mag = scl_alloc(sizeof(*mag) * n);
    if (!mag)
        return SCL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        mag[i] = fabsf(w[i]);
    qsort(mag, n, sizeof(*mag), cmp_float);
    float t = mag[k - 1];
    size_t below = 0;
    for (size_t i = 0; i < n; i++)
        below += fabsf(w[i]) < t;
    size_t at_budget = k - below;
    for (size_t i = 0; i < n; i++) {
        float a = fabsf(w[i]);
        if (a < t || (a == t && at_budget > 0)) {
            at_budget -= a == t;
            w[i] = 0.0f;
        }
    }
    scl_free(mag);
    return SCL_OK;
}

scl_status scl_weights_downscale(float *w, size_t n, double fraction)
{
    if (!(fraction >= 0.0 && fraction <= 1.0))
        return SCL_ERR_ARG;
    return zero_smallest(w, n, (size_t)floor(fraction * (double)n));
}

scl_status scl_model_downscale(scl_model *m, double fraction)
{
    if (!(fraction >= 0.0 && fraction <= 1.0))
        return SCL_ERR_ARG;
    scl_status st = SCL_OK;
    for (int32_t l = 0; st == SCL_OK && l < m->n_layers; l++)
        st =
            scl_weights_downscale(m->w[l], (size_t)m->sizes[l + 1] * (size_t)m->sizes[l], fraction);
    return st;
}
