/*
 * Data protocols: class-balanced subsets by fraction, drawn from the project generator so that a
 * seed fixes them (purpose SCL_RNG_SUBSET). Each class contributes exactly the same number of
 * samples, round(fraction * n / classes), capped by the smallest class; samples keep their file
 * order inside the subset (training shuffles anyway). Fraction 1 of all classes is the whole
 * set, unbalanced: MNIST's classes differ in size, and "100%" means all of it.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* The indices of class c in ds, in file order. Returns the count. */
static int32_t class_indices(const scl_dataset *ds, int32_t c, int32_t *out)
{
    int32_t n = 0;
    for (int32_t i = 0; i < ds->n; i++)
        if (ds->y[i] == c)
            out[n++] = i;
    return n;
}

/* Mark `take` indices of idx[0..n) chosen by a seeded partial Fisher-Yates. */
static void pick(int32_t *idx, int32_t n, int32_t take, uint32_t seed, int32_t c,
                 unsigned char *chosen)
{
    for (int32_t i = 0; i < take; i++) {
        uint32_t w[4];
        scl_rng_words(seed, SCL_RNG_SUBSET, (uint32_t)i, (uint32_t)c, 0, w);
        int32_t j = i + (int32_t)(((uint64_t)w[0] << 32 | w[1]) % (uint64_t)(n - i));
        int32_t tmp = idx[i];
        idx[i] = idx[j];
        idx[j] = tmp;
        chosen[idx[i]] = 1;
    }
}

static int32_t per_class_count(const scl_dataset *ds, double fraction, const int32_t *classes,
                               int32_t n_classes, int32_t *scratch)
{
    int32_t smallest = ds->n;
    for (int32_t k = 0; k < n_classes; k++) {
        int32_t cnt = class_indices(ds, classes[k], scratch);
        smallest = cnt < smallest ? cnt : smallest;
    }
    int32_t total = 0;
    for (int32_t k = 0; k < n_classes; k++)
        total += class_indices(ds, classes[k], scratch);
    int32_t want = (int32_t)lround(fraction * total / n_classes);
    want = want < 1 ? 1 : want;
    return want > smallest ? smallest : want;
}

scl_status scl_dataset_balanced_indices(const scl_dataset *src, double fraction,
                                        const int32_t *classes, int32_t n_classes, uint32_t seed,
                                        int32_t *out, int32_t *n_out)
{
    int32_t all[SCL_MAX_CLASSES];
    *n_out = 0;
    if (!(fraction > 0.0 && fraction <= 1.0) || n_classes < 0 || n_classes > SCL_MAX_CLASSES)
        return SCL_ERR_ARG;
    bool whole = n_classes == 0 && fraction == 1.0; /* all of it, not balanced down */
    if (n_classes == 0) {
        n_classes = src->n_classes;
        for (int32_t c = 0; c < n_classes; c++)
            all[c] = c;
        classes = all;
    }
    unsigned char *chosen = scl_calloc((size_t)src->n, 1);
    if (!chosen)
        return SCL_ERR_NOMEM;
    int32_t take = whole ? 0 : per_class_count(src, fraction, classes, n_classes, out);
    for (int32_t k = 0; k < n_classes && !whole; k++)
        pick(out, class_indices(src, classes[k], out), take, seed, classes[k], chosen);
    for (int32_t i = 0; i < src->n; i++)
        if (whole || chosen[i])
            out[(*n_out)++] = i;
    scl_free(chosen);
    return *n_out ? SCL_OK : SCL_ERR_ARG;
}

scl_status scl_dataset_balanced(const scl_dataset *src, double fraction, const int32_t *classes,
                                int32_t n_classes, uint32_t seed, scl_dataset **out)
{
    int32_t n = 0;
    int32_t *idx = scl_alloc(sizeof(*idx) * (size_t)src->n);
    *out = NULL;
    if (!idx)
        return SCL_ERR_NOMEM;
    scl_status st = scl_dataset_balanced_indices(src, fraction, classes, n_classes, seed, idx, &n);
    if (st == SCL_OK)
        st = scl_dataset_subset(src, idx, n, out);
    scl_free(idx);
    return st;
}

scl_status scl_dataset_cut_class(const scl_dataset *src, int32_t cls, double keep, uint32_t seed,
                                 scl_dataset **out)
{
    *out = NULL;
    if (!(keep > 0.0 && keep <= 1.0) || cls < 0 || cls >= src->n_classes)
        return SCL_ERR_ARG;
    int32_t *idx = scl_alloc(sizeof(*idx) * (size_t)src->n);
    unsigned char *chosen = scl_calloc((size_t)src->n, 1);
    scl_status st = (!idx || !chosen) ? SCL_ERR_NOMEM : SCL_OK;
    if (st == SCL_OK) {
        int32_t n = class_indices(src, cls, idx);
        int32_t take = (int32_t)lround(keep * n);
        pick(idx, n, take < 1 ? 1 : take, seed ^ 0x5bd1e995u, cls, chosen);
        int32_t m = 0;
        for (int32_t i = 0; i < src->n; i++)
            if (src->y[i] != cls || chosen[i])
                idx[m++] = i;
        st = scl_dataset_subset(src, idx, m, out);
    }
    scl_free(idx);
    scl_free(chosen);
    return st;
}

scl_status scl_dataset_concat(const scl_dataset *a, const scl_dataset *b, int32_t b_offset,
                              scl_dataset **out)
{
    *out = NULL;
    if (a->dim != b->dim || b_offset < 0 || b->n_classes + b_offset > SCL_MAX_CLASSES)
        return SCL_ERR_ARG;
    scl_dataset *ds = scl_calloc(1, sizeof(*ds));
    if (!ds)
        return SCL_ERR_NOMEM;
    *ds = *a;
    ds->n = a->n + b->n;
    ds->x = scl_alloc(sizeof(float) * (size_t)ds->n * (size_t)a->dim);
    ds->y = scl_alloc((size_t)ds->n);
    if (!ds->x || !ds->y) {
        scl_dataset_destroy(ds);
        return SCL_ERR_NOMEM;
    }
    memcpy(ds->x, a->x, sizeof(float) * (size_t)a->n * (size_t)a->dim);
    memcpy(ds->x + (size_t)a->n * (size_t)a->dim, b->x,
           sizeof(float) * (size_t)b->n * (size_t)b->dim);
    memcpy(ds->y, a->y, (size_t)a->n);
    for (int32_t i = 0; i < b->n; i++)
        ds->y[a->n + i] = (uint8_t)(b->y[i] + b_offset);
    ds->n_classes = b->n_classes + b_offset > a->n_classes ? b->n_classes + b_offset : a->n_classes;
    *out = ds;
    return SCL_OK;
}
