// The project generator on the host: published known answers, agreement with an independent
// plain C Philox, and statistical checks of the uniform and Bernoulli streams.
#include <cmath>
#include <gtest/gtest.h>
#include <vector>

extern "C" {
#include "ref.h"
}
#include "sleepcl/sleepcl.h"

namespace
{

struct Kat {
    uint32_t ctr[4], key[2], out[4];
};

// Known-answer vectors published with Random123 (kat_vectors, philox4x32 with 10 rounds).
const Kat kKats[] = {
    {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
};

TEST(Rng, KnownAnswers)
{
    for (const Kat &k : kKats) {
        uint32_t lib[4], ref[4];
        scl_philox4x32(k.ctr, k.key, lib);
        scl_ref_philox4x32_10(k.ctr, k.key, ref);
        for (int i = 0; i < 4; i++) {
            EXPECT_EQ(lib[i], k.out[i]) << "word " << i;
            EXPECT_EQ(ref[i], k.out[i]) << "word " << i;
        }
    }
}

TEST(Rng, LibraryMatchesPlainReference)
{
    for (uint32_t e = 0; e < 5000; e++) {
        uint32_t lib[4], ref[4];
        scl_rng_words(1234, SCL_RNG_SPIKES, e, e * 7, 3, lib);
        const uint32_t ctr[4] = {e, e * 7, 3, 0}, key[2] = {1234, SCL_RNG_SPIKES};
        scl_ref_philox4x32_10(ctr, key, ref);
        for (int i = 0; i < 4; i++)
            ASSERT_EQ(lib[i], ref[i]);
    }
}

TEST(Rng, UniformRangeAndMapping)
{
    EXPECT_EQ(scl_rng_u01(0), 0.0f);
    EXPECT_LT(scl_rng_u01(0xffffffffu), 1.0f);
    EXPECT_EQ(scl_rng_u01(0x80000000u), 0.5f);
}

// Chi-square over 64 bins of 256k uniforms: the 99.9% point with 63 degrees of freedom is 103.4.
TEST(Rng, UniformChiSquare)
{
    const int bins = 64, n = 1 << 18;
    std::vector<int> count(bins, 0);
    for (int e = 0; e < n / 4; e++) {
        uint32_t w[4];
        scl_rng_words(99, SCL_RNG_TEST, (uint32_t)e, 0, 0, w);
        for (uint32_t x : w)
            count[(int)(scl_rng_u01(x) * bins)]++;
    }
    double expect = (double)n / bins, chi2 = 0;
    for (int c : count)
        chi2 += (c - expect) * (c - expect) / expect;
    EXPECT_LT(chi2, 103.4);
    EXPECT_GT(chi2, 30.0); // far too uniform would be suspicious as well (0.1% point is 35.0)
}

// Bernoulli(p) through u < p, as the sleep input uses it: the count must lie within 5 sigma.
TEST(Rng, BernoulliRates)
{
    const float ps[] = {0.001f, 0.05f, 0.3f, 0.5f, 0.97f};
    const int n = 400000;
    for (float p : ps) {
        int hits = 0;
        for (int e = 0; e < n; e++) {
            uint32_t w[4];
            scl_rng_words(7, SCL_RNG_SPIKES, (uint32_t)e, 11, 0, w);
            hits += scl_rng_u01(w[0]) < p;
        }
        double mean = (double)n * p, sd = std::sqrt(n * p * (1.0 - p));
        EXPECT_NEAR(hits, mean, 5 * sd) << "p = " << p;
    }
}

// Different purposes and seeds must give unrelated streams.
TEST(Rng, StreamsDiffer)
{
    uint32_t a[4], b[4], c[4];
    scl_rng_words(1, SCL_RNG_INIT, 5, 0, 0, a);
    scl_rng_words(1, SCL_RNG_DROPOUT, 5, 0, 0, b);
    scl_rng_words(2, SCL_RNG_INIT, 5, 0, 0, c);
    EXPECT_NE(a[0], b[0]);
    EXPECT_NE(a[0], c[0]);
}

} // namespace
