/*
 * The binary-patches toy of the 2022 paper (docs/METHOD.md section 6.11), generated from the seed
 * by the project generator (purpose SCL_RNG_TOY), never stored: the patterns from one
 * permutation of the 100 pixels, the samples from per-pixel flips.
 *
 * Layout of the permutation perm[0..100): class 0 takes perm[0..S), class 1 perm[S..2S); class 2
 * takes the first `overlap` pixels of class 0 and then S - overlap fresh ones from perm[2S..),
 * class 3 the first `overlap` of class 1 and then the next fresh ones. 4 S <= 100 leaves enough
 * fresh pixels at every overlap, so the only shared pixels are the ones asked for.
 */
#include <string.h>

#include "internal.h"

#define GRID        (SCL_PATCH_SIDE * SCL_PATCH_SIDE)
#define N_CLASSES   4
#define PERM_SAMPLE 0xffffffffu /* the step of the permutation's draws: no sample uses it */

static bool valid(const struct scl_patches_params *p)
{
    return p->pixels >= 1 && N_CLASSES * p->pixels <= GRID && p->overlap >= 0 &&
           p->overlap <= p->pixels && p->flip >= 0.0f && p->flip < 0.5f;
}

/* A seeded Fisher-Yates shuffle of the grid. */
static void permutation(uint32_t seed, int32_t *perm)
{
    for (int32_t i = 0; i < GRID; i++)
        perm[i] = i;
    for (int32_t i = GRID - 1; i > 0; i--) {
        uint32_t w[4];
        scl_rng_words(seed, SCL_RNG_TOY, (uint32_t)i, PERM_SAMPLE, 0, w);
        int32_t j = (int32_t)(w[0] % (uint32_t)(i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

scl_status scl_patches_pattern(const struct scl_patches_params *p, uint32_t seed, int32_t c,
                               uint8_t *mask)
{
    int32_t perm[GRID];
    if (!valid(p) || c < 0 || c >= N_CLASSES)
        return SCL_ERR_ARG;
    permutation(seed, perm);
    memset(mask, 0, GRID);
    const int32_t s = p->pixels, fresh = s - p->overlap;
    if (c < 2) { /* task 1: disjoint blocks */
        for (int32_t i = 0; i < s; i++)
            mask[perm[c * s + i]] = 1;
        return SCL_OK;
    }
    for (int32_t i = 0; i < p->overlap; i++) /* shared with the task-1 partner c - 2 */
        mask[perm[(c - 2) * s + i]] = 1;
    for (int32_t i = 0; i < fresh; i++)
        mask[perm[2 * s + (c - 2) * fresh + i]] = 1;
    return SCL_OK;
}

scl_status scl_dataset_patches(const struct scl_patches_params *p, uint32_t seed, uint32_t set,
                               int32_t per_class, scl_dataset **out)
{
    uint8_t masks[N_CLASSES][GRID];
    *out = NULL;
    if (!valid(p) || per_class < 1 || per_class > (1 << 20))
        return SCL_ERR_ARG;
    for (int32_t c = 0; c < N_CLASSES; c++)
        scl_patches_pattern(p, seed, c, masks[c]);
    scl_dataset *ds = scl_calloc(1, sizeof(*ds));
    int32_t n = N_CLASSES * per_class;
    if (ds) {
        ds->x = scl_alloc(sizeof(float) * (size_t)n * GRID);
        ds->y = scl_alloc((size_t)n);
    }
    if (!ds || !ds->x || !ds->y) {
        scl_dataset_destroy(ds);
        return SCL_ERR_NOMEM;
    }
    ds->n = n;
    ds->rows = ds->cols = SCL_PATCH_SIDE;
    ds->dim = GRID;
    ds->n_classes = N_CLASSES;
    for (int32_t i = 0; i < n; i++) {
        int32_t c = i % N_CLASSES;
        ds->y[i] = (uint8_t)c;
        for (int32_t j = 0; j < GRID; j++) {
            uint32_t w[4];
            scl_rng_words(seed, SCL_RNG_TOY, (uint32_t)j, (uint32_t)i, set, w);
            bool flip = scl_rng_u01(w[0]) < p->flip;
            ds->x[(size_t)i * GRID + (size_t)j] = (float)(masks[c][j] ^ flip);
        }
    }
    *out = ds;
    return SCL_OK;
}
