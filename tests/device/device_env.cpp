// The shared device context of a device-test binary; see device_env.h.
#include "device_env.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace
{
scl_ctx *g_ctx = nullptr;
std::string g_error = "not opened";

class DeviceEnv : public ::testing::Environment
{
  public:
    void SetUp() override
    {
        struct scl_ctx_params p = scl_ctx_default_params();
        p.quiet = 1;
        scl_ctx *ctx = nullptr;
        scl_status st = scl_ctx_create(&p, &ctx);
        if (st == SCL_OK) {
            g_ctx = ctx;
            return;
        }
        g_error = ctx && scl_ctx_last_error(ctx)[0] ? scl_ctx_last_error(ctx) : scl_status_str(st);
        scl_ctx_destroy(ctx);
    }
    void TearDown() override
    {
        scl_ctx_destroy(g_ctx);
        g_ctx = nullptr;
    }
};

const ::testing::Environment *const g_env = ::testing::AddGlobalTestEnvironment(new DeviceEnv);
} // namespace

scl_ctx *test_ctx()
{
    return g_ctx;
}

const char *test_ctx_error()
{
    return g_error.c_str();
}

bool test_allow_no_device()
{
    const char *v = std::getenv("SCL_TEST_ALLOW_NO_DEVICE");
    return v && std::string(v) == "1";
}

std::string test_profile_text(scl_ctx *ctx)
{
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    EXPECT_NE(f, nullptr);
    if (!f)
        return "";
    EXPECT_EQ(scl_ctx_profile_print(ctx, f), SCL_OK) << scl_ctx_last_error(ctx);
    fclose(f);
    std::string s(buf, len);
    free(buf);
    return s;
}
