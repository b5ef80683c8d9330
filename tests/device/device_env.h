// One scl_ctx per device-test binary (a ::testing::Environment), so every TEST shares one
// device and one program build. When no device opens, the environment fails the run unless
// SCL_TEST_ALLOW_NO_DEVICE=1, in which case device tests skip: a broken install never goes green.
#ifndef SLEEPCL_TEST_DEVICE_ENV_H
#define SLEEPCL_TEST_DEVICE_ENV_H

#include <gtest/gtest.h>
#include <string>

#include "sleepcl/sleepcl.h"

// The shared context; NULL when no device could be opened.
scl_ctx *test_ctx();

// Use at the top of every device TEST: fails (or skips when explicitly allowed) without a device.
#define SCL_REQUIRE_DEVICE()                                                     \
    do {                                                                         \
        if (!test_ctx()) {                                                       \
            if (test_allow_no_device())                                          \
                GTEST_SKIP() << "no OpenCL device (SCL_TEST_ALLOW_NO_DEVICE=1)"; \
            FAIL() << "no OpenCL device: " << test_ctx_error();                  \
        }                                                                        \
    } while (0)

bool test_allow_no_device();
const char *test_ctx_error();

// What scl_ctx_profile_print writes for ctx (empty without profiling).
std::string test_profile_text(scl_ctx *ctx);

#endif
