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

/* The four words of eight counters {element[i], step, stream, 0} at once, word j in x<j>: the
 * rounds of scl_rng4 on eight lanes, so that a CPU runs them as vector multiplies (one counter at a
 * time kept dropout at 6% of a training epoch). */
struct scl_rng8 {
    uint8 x0, x1, x2, x3;
};

struct scl_rng8 scl_rng4_x8(uint seed, uint purpose, uint8 element, uint step, uint stream)
{
    uint8 x0 = element, x1 = (uint8)step, x2 = (uint8)stream, x3 = (uint8)0u;
    uint k0 = seed, k1 = purpose;
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        const uint8 hi0 = mul_hi((uint8)0xD2511F53u, x0), lo0 = (uint8)0xD2511F53u * x0;
        const uint8 hi1 = mul_hi((uint8)0xCD9E8D57u, x2), lo1 = (uint8)0xCD9E8D57u * x2;
        x0 = hi1 ^ x1 ^ k0;
        x1 = lo1;
        x2 = hi0 ^ x3 ^ k1;
        x3 = lo0;
    }
    return (struct scl_rng8){x0, x1, x2, x3};
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
