// Device selection and the program cache: unknown devices give one line listing what exists,
// a substring selects, and a second context loads the compiled program from the cache.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <gtest/gtest.h>
#include <string>

#include "device_env.h"

namespace
{

std::string create_error(const char *device, scl_status *st_out)
{
    struct scl_ctx_params p = scl_ctx_default_params();
    p.device = device;
    p.quiet = 1;
    scl_ctx *ctx = nullptr;
    *st_out = scl_ctx_create(&p, &ctx);
    std::string err = scl_ctx_last_error(ctx);
    scl_ctx_destroy(ctx);
    return err;
}

TEST(DeviceEnv, UnknownNameListsDevices)
{
    SCL_REQUIRE_DEVICE();
    scl_status st;
    std::string err = create_error("no-such-device-xyz", &st);
    EXPECT_EQ(st, SCL_ERR_NODEVICE);
    EXPECT_NE(err.find("no-such-device-xyz"), std::string::npos) << err;
    EXPECT_NE(err.find("available: 0 '"), std::string::npos) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << "one line: " << err;
}

TEST(DeviceEnv, IndexOutOfRange)
{
    SCL_REQUIRE_DEVICE();
    scl_status st;
    std::string err = create_error("63", &st);
    EXPECT_EQ(st, SCL_ERR_NODEVICE);
    EXPECT_NE(err.find("'63'"), std::string::npos) << err;
}

TEST(DeviceEnv, IndexZeroOpens)
{
    SCL_REQUIRE_DEVICE();
    scl_status st;
    create_error("0", &st);
    EXPECT_EQ(st, SCL_OK);
}

TEST(DeviceEnv, SecondStartUsesCache)
{
    SCL_REQUIRE_DEVICE();
    std::string dir = ::testing::TempDir() + "/scl-cache-test";
    std::string cmd = "rm -rf '" + dir + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    double secs[2];
    int cached[2];
    for (int i = 0; i < 2; i++) {
        struct scl_ctx_params p = scl_ctx_default_params();
        p.cache_dir = dir.c_str();
        p.quiet = 1;
        scl_ctx *ctx = nullptr;
        ASSERT_EQ(scl_ctx_create(&p, &ctx), SCL_OK) << scl_ctx_last_error(ctx);
        secs[i] = scl_ctx_program_seconds(ctx, &cached[i]);
        scl_ctx_destroy(ctx);
    }
    EXPECT_EQ(cached[0], 0);
    EXPECT_EQ(cached[1], 1);
    RecordProperty("first_start_s", std::to_string(secs[0]));
    RecordProperty("second_start_s", std::to_string(secs[1]));
}

TEST(DeviceEnv, CorruptCacheIsRebuiltSilently)
{
    SCL_REQUIRE_DEVICE();
    std::string dir = ::testing::TempDir() + "/scl-cache-corrupt";
    std::string cmd = "rm -rf '" + dir + "' && mkdir -p '" + dir + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    struct scl_ctx_params p = scl_ctx_default_params();
    p.cache_dir = dir.c_str();
    p.quiet = 1;
    scl_ctx *ctx = nullptr;
    ASSERT_EQ(scl_ctx_create(&p, &ctx), SCL_OK);
    scl_ctx_destroy(ctx);
    cmd = "for f in '" + dir + "'/*.clbin; do echo garbage > \"$f\"; done";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    ctx = nullptr;
    ASSERT_EQ(scl_ctx_create(&p, &ctx), SCL_OK) << scl_ctx_last_error(ctx);
    int cached = 1;
    scl_ctx_program_seconds(ctx, &cached);
    EXPECT_EQ(cached, 0);
    uint32_t w[4];
    EXPECT_EQ(scl_ctx_rng_fill(ctx, 0, SCL_RNG_TEST, 0, 0, 1, w), SCL_OK);
    scl_ctx_destroy(ctx);
}

TEST(DeviceEnv, BrokenKernelDirReportsFile)
{
    SCL_REQUIRE_DEVICE();
    struct scl_ctx_params p = scl_ctx_default_params();
    std::string dir = ::testing::TempDir() + "/scl-no-kernels";
    p.kernel_dir = dir.c_str();
    p.cache_dir = nullptr;
    p.quiet = 1;
    scl_ctx *ctx = nullptr;
    EXPECT_EQ(scl_ctx_create(&p, &ctx), SCL_ERR_IO);
    EXPECT_NE(std::string(scl_ctx_last_error(ctx)).find("rng.cl"), std::string::npos);
    scl_ctx_destroy(ctx);
}

TEST(DeviceEnv, FailingKernelBuildNamesDeviceAndOptions)
{
    SCL_REQUIRE_DEVICE();
    std::string dir = ::testing::TempDir() + "/scl-bad-kernels";
    std::string cmd = "rm -rf '" + dir + "' && mkdir -p '" + dir + "' && for f in " +
                      std::string(SCL_SOURCE_DIR) + "/cl/*; do cp \"$f\" '" + dir +
                      "'/; done && echo 'this is not OpenCL C' >> '" + dir + "/rng.cl'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    struct scl_ctx_params p = scl_ctx_default_params();
    p.kernel_dir = dir.c_str();
    p.cache_dir = nullptr;
    p.quiet = 1;
    scl_ctx *ctx = nullptr;
    EXPECT_EQ(scl_ctx_create(&p, &ctx), SCL_ERR_OPENCL);
    std::string err = scl_ctx_last_error(ctx);
    EXPECT_NE(err.find("build failed"), std::string::npos) << err;
    EXPECT_NE(err.find("-cl-std=CL1.2"), std::string::npos) << err;
    scl_ctx_destroy(ctx);
}

} // namespace

// SCL_PROFILE: with params.profile every command is timed and summed under its kernel's name;
// without it nothing is printed; a reset starts the sums again.
TEST(DeviceEnv, ProfileCountsEveryLaunchByName)
{
    SCL_REQUIRE_DEVICE();
    for (int profile : {0, 1}) {
        struct scl_ctx_params p = scl_ctx_default_params();
        p.quiet = 1;
        p.profile = profile;
        scl_ctx *ctx = nullptr;
        ASSERT_EQ(scl_ctx_create(&p, &ctx), SCL_OK) << scl_ctx_last_error(ctx);
        uint32_t w[4 * 3];
        for (int i = 0; i < 3; i++)
            ASSERT_EQ(scl_ctx_rng_fill(ctx, 1, SCL_RNG_TEST, (uint32_t)i, 0, 3, w), SCL_OK);
        std::string text = test_profile_text(ctx);
        if (!profile) {
            EXPECT_EQ(text, "");
        } else {
            size_t at = text.find("profile: scl_rng_fill");
            ASSERT_NE(at, std::string::npos) << text;
            unsigned long long calls = 0;
            ASSERT_EQ(sscanf(text.c_str() + at, "profile: scl_rng_fill %llu", &calls), 1) << text;
            EXPECT_EQ(calls, 3u) << text;
            scl_ctx_profile_reset(ctx);
            EXPECT_EQ(test_profile_text(ctx).find("scl_rng_fill"), std::string::npos);
        }
        scl_ctx_destroy(ctx);
    }
}
