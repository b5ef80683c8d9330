// The machine-peak kernels of `sleepcl bench` (cl/bench.cl) against their C twins
// (host/ref/ref_bench.c): both use only correctly rounded fma and additions in the same order,
// so they agree exactly, on work sizes that are multiples of no work-group size.
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "device_util.h"
extern "C" {
#include "net.h"
}

namespace
{
const int kOdd[] = {1, 3, 67, 1007, 2053};
} // namespace

TEST(BenchKernels, FmaChainsExact)
{
    SCL_REQUIRE_DEVICE();
    for (int width : {8, 16})
        for (int n : kOdd)
            for (int rounds : {0, 1, 37}) {
                const char *name = width == 8 ? "scl_bench_fma8" : "scl_bench_fma16";
                float a = 0.9999f, b = 1e-4f;
                std::vector<float> want((size_t)n);
                scl_test::DevBuf out(nullptr, want.size() * 4);
                const scl_karg args[] = {SCL_KARG(out.mem), SCL_KARG(rounds), SCL_KARG(a),
                                         SCL_KARG(b)};
                ASSERT_EQ(scl_launch(test_ctx(), name, (size_t)n, args, 4), SCL_OK);
                scl_ref_bench_fma(want.data(), n, width, rounds, a, b);
                EXPECT_EQ(out.read((size_t)n), want) << name << " n " << n << " rounds " << rounds;
            }
}

TEST(BenchKernels, TriadExact)
{
    SCL_REQUIRE_DEVICE();
    for (int n : kOdd) {
        std::vector<float> b = scl_test::noise((size_t)n, 1, -1, 1);
        std::vector<float> c = scl_test::noise((size_t)n, 2, -1, 1), want((size_t)n);
        float s = 3.0f;
        scl_test::DevBuf da(nullptr, want.size() * 4), db(b), dc(c);
        const scl_karg args[] = {SCL_KARG(da.mem), SCL_KARG(db.mem), SCL_KARG(dc.mem), SCL_KARG(s),
                                 SCL_KARG(n)};
        // One work-item past the end: the kernel must not write there.
        ASSERT_EQ(scl_launch(test_ctx(), "scl_bench_triad", (size_t)n + 1, args, 5), SCL_OK);
        scl_ref_bench_triad(want.data(), b.data(), c.data(), s, n);
        EXPECT_EQ(da.read((size_t)n), want) << "n " << n;
    }
}

// Kernel arguments go by position: a launch with another count than the kernel's is refused,
// naming the kernel, before anything runs.
TEST(KernelLaunch, WrongArgumentCountNamesTheKernel)
{
    SCL_REQUIRE_DEVICE();
    std::vector<float> v(4, 1.0f);
    scl_test::DevBuf a(v);
    int n = 4;
    const scl_karg args[] = {SCL_KARG(a.mem), SCL_KARG(a.mem), SCL_KARG(a.mem), SCL_KARG(n)};
    EXPECT_EQ(scl_launch(test_ctx(), "scl_bench_triad", 4, args, 4), SCL_ERR_ARG);
    EXPECT_NE(std::string(scl_ctx_last_error(test_ctx()))
                  .find("scl_bench_triad: launched with 4 "
                        "arguments, the kernel takes 5"),
              std::string::npos)
        << scl_ctx_last_error(test_ctx());
    EXPECT_EQ(a.read(4), v); // nothing ran
}
