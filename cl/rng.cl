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

/*
 * scl_rng4_x8 and scl_rng4_x16: the four words of W counters {element[i], step, stream, 0} under
 * one key at once, word j in x<j>: the rounds of scl_rng4 (Random123's philox4x32_R) on W lanes,
 * so that a CPU runs them as vector multiplies. The scalar generator, one counter at a time, was a
 * third of a sleep step and 6% of a training epoch (dropout). The constants are Philox4x32's
 * multipliers and Weyl increments.
 */
#define SCL_RNG_VEC(W)                                                                    \
    struct scl_rng##W {                                                                   \
        uint##W x0, x1, x2, x3;                                                           \
    };                                                                                    \
    struct scl_rng##W scl_rng4_x##W(uint seed, uint purpose, uint##W element, uint step,  \
                                    uint stream) {                                        \
        uint##W x0 = element, x1 = (uint##W)step, x2 = (uint##W)stream, x3 = (uint##W)0u; \
        uint k0 = seed, k1 = purpose;                                                     \
        for (int r = 0; r < 10; r++) {                                                    \
            if (r > 0) {                                                                  \
                k0 += 0x9E3779B9u;                                                        \
                k1 += 0xBB67AE85u;                                                        \
            }                                                                             \
            const uint##W hi0 = mul_hi((uint##W)0xD2511F53u, x0), lo0 = 0xD2511F53u * x0; \
            const uint##W hi1 = mul_hi((uint##W)0xCD9E8D57u, x2), lo1 = 0xCD9E8D57u * x2; \
            x0 = hi1 ^ x1 ^ k0;                                                           \
            x1 = lo1;                                                                     \
            x2 = hi0 ^ x3 ^ k1;                                                           \
            x3 = lo0;                                                                     \
        }                                                                                 \
        return (struct scl_rng##W){x0, x1, x2, x3};                                       \
    }

SCL_RNG_VEC(8)
SCL_RNG_VEC(16)

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
