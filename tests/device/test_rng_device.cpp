// The generator on the device gives the host's words bit for bit, for several seeds, purposes,
// steps and streams, over counts that are not multiples of any work-group size.
#include <gtest/gtest.h>
#include <vector>

#include "device_env.h"

TEST(DeviceRng, MatchesHostBitForBit)
{
    SCL_REQUIRE_DEVICE();
    const uint32_t counts[] = {1, 3, 67, 1007, 100003};
    for (uint32_t n : counts) {
        std::vector<uint32_t> dev(4 * (size_t)n);
        ASSERT_EQ(
            scl_ctx_rng_fill(test_ctx(), 2024 + n, SCL_RNG_SPIKES, n * 3, n % 5, n, dev.data()),
            SCL_OK)
            << scl_ctx_last_error(test_ctx());
        for (uint32_t i = 0; i < n; i++) {
            uint32_t host[4];
            scl_rng_words(2024 + n, SCL_RNG_SPIKES, i, n * 3, n % 5, host);
            for (int j = 0; j < 4; j++)
                ASSERT_EQ(dev[4 * i + j], host[j]) << "n " << n << " element " << i;
        }
    }
}

TEST(DeviceRng, KnownAnswerOnDevice)
{
    SCL_REQUIRE_DEVICE();
    uint32_t w[4];
    ASSERT_EQ(scl_ctx_rng_fill(test_ctx(), 0, SCL_RNG_TEST, 0, 0, 1, w), SCL_OK);
    EXPECT_EQ(w[0], 0x6627e8d5u);
    EXPECT_EQ(w[1], 0xe169c58du);
    EXPECT_EQ(w[2], 0xbc57ac4cu);
    EXPECT_EQ(w[3], 0x9b00dbd8u);
}
