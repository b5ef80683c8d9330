/*
 * The project's one random number generator on the host: Random123's Philox4x32-10, addressed by
 * coordinates (counter = {element, step, stream, 0}, key = {seed, purpose}). No state is kept
 * anywhere, so any number can be recomputed anywhere; cl/rng.cl is the same function on the
 * device, compiled from the same Random123 header.
 */
#include <Random123/philox.h>

#include "internal.h"

void scl_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    philox4x32_ctr_t c = {{ctr[0], ctr[1], ctr[2], ctr[3]}};
    philox4x32_key_t k = {{key[0], key[1]}};
    philox4x32_ctr_t r = philox4x32(c, k);
    for (int i = 0; i < 4; i++)
        out[i] = r.v[i];
}

void scl_rng_words(uint32_t seed, scl_rng_purpose purpose, uint32_t element, uint32_t step,
                   uint32_t stream, uint32_t out[4])
{
    const uint32_t ctr[4] = {element, step, stream, 0};
    const uint32_t key[2] = {seed, (uint32_t)purpose};
    scl_philox4x32(ctr, key, out);
}

float scl_rng_u01(uint32_t word)
{
    /* 24 bits fill a float mantissa exactly: the product is exact, so host and device agree. */
    return (float)(word >> 8) * (1.0f / 16777216.0f);
}
