/*
 * Device side of the project generator: Philox4x32-10 from Random123 (prepended to every build
 * as a preprocessed prelude), addressed exactly like host/rng.c: counter {element, step, stream,
 * 0}, key {seed, purpose}. Helpers here are used by the other kernel files, which are built after
 * this one in the same program.
 */

uint4 scl_rng4(uint seed, uint purpose, uint element, uint step, uint stream)
{
    philox4x32_ctr_t c = {{element, step, stream, 0u}};
    philox4x32_key_t k = {{seed, purpose}};
    philox4x32_ctr_t r = philox4x32_R(philox4x32_rounds, c, k);
    return (uint4)(r.v[0], r.v[1], r.v[2], r.v[3]);
}

/* Same mapping as scl_rng_u01: 24 random bits, exact in float. */
float scl_u01(uint word)
{
    return (float)(word >> 8) * (1.0f / 16777216.0f);
}

/* out[i] = the four words at element i; used by the host/device equality test. */
__kernel void scl_rng_fill(__global uint4 *out, uint seed, uint purpose, uint step, uint stream,
                           uint n)
{
    uint i = get_global_id(0);
    if (i < n)
        out[i] = scl_rng4(seed, purpose, i, step, stream);
}
