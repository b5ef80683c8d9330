// Both GEMM engines (host/gemm.h) against the double-accumulating reference scl_ref_gemm, on every
// product training and evaluation run, on odd shapes (1, 3, 10, 67, 1000+7 in each dimension) in
// all four transpose combinations with offsets and strides above the minimum, and with alpha != 1,
// beta = 1 and beta = 0 over a NaN-filled C (which must be overwritten, never read). Each of the
// native engine's tile kernels, of which a device uses some only for some shapes (or none, by its
// vector width), is also run directly over every column and row remainder, and so is each of its
// dot kernels (A B^T with at most SCL_GEMM_DOT_MAX_N rows of B) over every k, column and row
// remainder.
//
// Metric: NMSE = sum (C - C_ref)^2 / sum C_ref^2 <= 1e-7 over the m x n result;
// the floats around it (offsets, row padding) must come back bit for bit unchanged.
//
// Tests are TEST_Ps over the engine only, each looping over its case table with SCOPED_TRACE
// naming the failing case: gtest_discover_tests runs each instance in its own process, and CLBlast
// compiles its kernels once per process (POCL_CACHE_DIR, set by ctest, keeps that short).
#include <cmath>
#include <cstring>
#include <gtest/gtest.h>
#include <iterator>
#include <limits>
#include <sstream>
#include <vector>

extern "C" {
#include "gemm.h"
#include "ref.h"
#include "scl_contract.h"
}
#include "device_env.h"

namespace
{

constexpr double kMaxNmse = 1e-7;
constexpr float kPadValue = -12345.0f; // sentinel around every operand

struct Case {
    bool ta, tb;
    size_t m, n, k;
    float alpha, beta;
    size_t pad; // extra offset and extra row stride of every operand, in floats
};

std::string describe(const Case &c)
{
    std::ostringstream s;
    s << (c.ta ? 'T' : 'N') << (c.tb ? 'T' : 'N') << " m=" << c.m << " n=" << c.n << " k=" << c.k
      << " alpha=" << c.alpha << " beta=" << c.beta << " pad=" << c.pad;
    return s.str();
}

// A stored matrix of rows x cols with row stride cols + pad at offset pad; the rest is sentinel.
struct Stored {
    size_t rows, cols, ld, off;
    std::vector<float> host;
    cl_mem buf = nullptr;

    Stored(size_t r, size_t c, size_t pad, uint32_t stream)
        : rows(r), cols(c), ld(c + pad), off(pad), host(pad + r * (c + pad) + 1, kPadValue)
    {
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++) {
                uint32_t w[4];
                scl_rng_words(7, SCL_RNG_TEST, (uint32_t)(i * cols + j), 0, stream, w);
                at(i, j) = scl_rng_u01(w[0]) - 0.5f;
            }
    }
    ~Stored()
    {
        scl_buf_release(&buf);
    }
    Stored(const Stored &) = delete;
    Stored &operator=(const Stored &) = delete;

    float &at(size_t i, size_t j)
    {
        return host[off + i * ld + j];
    }
    bool upload(scl_ctx *ctx)
    {
        return scl_buf_create(ctx, host.size() * sizeof(float), host.data(), &buf) == SCL_OK;
    }
    bool download(scl_ctx *ctx, std::vector<float> &out) const
    {
        out.resize(host.size());
        return scl_buf_read(ctx, buf, 0, host.size() * sizeof(float), out.data()) == SCL_OK;
    }
};

// The m x n result against the reference, and the sentinel floats around it.
void expect_matches(const Case &c, Stored &cref, const std::vector<float> &got)
{
    double err = 0.0, ref = 0.0;
    for (size_t i = 0; i < c.m; i++)
        for (size_t j = 0; j < c.n; j++) {
            double r = cref.at(i, j), d = (double)got[cref.off + i * cref.ld + j] - r;
            err += d * d;
            ref += r * r;
        }
    double nmse = ref > 0.0 ? err / ref : err;
    EXPECT_LE(nmse, kMaxNmse) << "err " << err << " ref " << ref;
    size_t bad = 0;
    for (size_t x = 0; x < got.size(); x++) {
        size_t rel = x - cref.off, i = rel / cref.ld, j = rel % cref.ld;
        bool inside = x >= cref.off && i < c.m && j < c.n;
        if (!inside && std::memcmp(&got[x], &cref.host[x], sizeof(float)) != 0)
            bad++;
    }
    EXPECT_EQ(bad, 0u) << "floats outside the result changed";
}

void run_case(enum scl_gemm_engine engine, const Case &c)
{
    SCOPED_TRACE(describe(c));
    scl_ctx *ctx = test_ctx();
    Stored a(c.ta ? c.k : c.m, c.ta ? c.m : c.k, c.pad, 1);
    Stored b(c.tb ? c.n : c.k, c.tb ? c.k : c.n, c.pad, 2);
    Stored cm(c.m, c.n, c.pad, 3);
    if (c.beta == 0.0f) // must be overwritten, never read
        for (size_t i = 0; i < c.m; i++)
            for (size_t j = 0; j < c.n; j++)
                cm.at(i, j) = std::numeric_limits<float>::quiet_NaN();
    ASSERT_TRUE(a.upload(ctx) && b.upload(ctx) && cm.upload(ctx)) << scl_ctx_last_error(ctx);
    struct scl_gemm_args g = {c.ta,  c.tb, c.m,   c.n,   c.k,  c.alpha, c.beta, a.buf,
                              a.off, a.ld, b.buf, b.off, b.ld, cm.buf,  cm.off, cm.ld};
    ASSERT_EQ(scl_gemm(ctx, engine, &g), SCL_OK) << scl_ctx_last_error(ctx);
    std::vector<float> got;
    ASSERT_TRUE(cm.download(ctx, got)) << scl_ctx_last_error(ctx);
    struct scl_ref_gemm_args r = {c.ta,    c.tb,         c.m,         c.n,  c.k,
                                  c.alpha, c.beta,       &a.at(0, 0), a.ld, &b.at(0, 0),
                                  b.ld,    &cm.at(0, 0), cm.ld};
    if (c.m && c.n)
        scl_ref_gemm(&r);
    expect_matches(c, cm, got);
}

// Net 784-1200-1200-10: forward X W^T, weight gradient dY^T X, input gradient dY W, for the
// training batches 64 and 100, and the evaluation forward pass with batch 1000.
std::vector<Case> training_cases()
{
    std::vector<Case> v;
    const size_t layers[3][2] = {{784, 1200}, {1200, 1200}, {1200, 10}}; // {in, out}
    for (size_t batch : {64, 100, 1000})
        for (int l = 0; l < 3; l++) {
            size_t in = layers[l][0], out = layers[l][1];
            v.push_back({false, true, batch, out, in, 1.0f, 0.0f, 0});
            if (batch == 1000)
                continue; // evaluation runs the forward pass only
            v.push_back({true, false, out, in, batch, 1.0f, 1.0f, 0});
            if (l > 0)
                v.push_back({false, false, batch, in, out, 1.0f, 0.0f, 0});
        }
    return v;
}

// Every transpose combination over sizes from {1, 3, 10, 67} in each dimension, cycling through
// padding and (alpha, beta) pairs, plus 1000+7 in each dimension in turn.
std::vector<Case> odd_cases()
{
    const size_t sizes[] = {1, 3, 10, 67};
    const float ab[4][2] = {{1.0f, 0.0f}, {1.0f, 1.0f}, {-0.75f, 0.5f}, {2.5f, 0.0f}};
    std::vector<Case> v;
    size_t i = 0;
    for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        for (size_t m : sizes)
            for (size_t n : sizes)
                for (size_t k : sizes) {
                    v.push_back({ta, tb, m, n, k, ab[i % 4][0], ab[i % 4][1], (i / 4) % 3 * 5});
                    i++;
                }
        v.push_back({ta, tb, 1007, 67, 10, -0.75f, 0.5f, 3});
        v.push_back({ta, tb, 10, 1007, 67, 2.5f, 0.0f, 1});
        v.push_back({ta, tb, 67, 10, 1007, 1.0f, 1.0f, 2});
        v.push_back({ta, tb, 1007, 1007, 3, 1.0f, 0.0f, 0});
        // remainders of the 32-column tile between 16 and 32, and exact multiples of 16
        v.push_back({ta, tb, 29, 50, 41, -0.75f, 0.5f, 1});
        v.push_back({ta, tb, 50, 29, 17, 1.0f, 0.0f, 0});
        v.push_back({ta, tb, 33, 48, 5, 2.5f, 0.0f, 2});
        v.push_back({ta, tb, 16, 16, 16, 1.0f, 1.0f, 0});
    }
    return v;
}

class Gemm : public ::testing::TestWithParam<enum scl_gemm_engine>
{
};

TEST_P(Gemm, TrainingShapes)
{
    SCL_REQUIRE_DEVICE();
    for (const Case &c : training_cases())
        run_case(GetParam(), c);
}

TEST_P(Gemm, OddShapesAllTransposes)
{
    SCL_REQUIRE_DEVICE();
    for (const Case &c : odd_cases())
        run_case(GetParam(), c);
}

// Empty products: m or n = 0 touches nothing; k = 0 leaves C = beta C (CLBlast itself rejects
// k = 0, so scl_gemm hands that case to the native kernel).
TEST_P(Gemm, EmptyDimensions)
{
    SCL_REQUIRE_DEVICE();
    run_case(GetParam(), {false, false, 0, 5, 3, 1.0f, 0.0f, 1});
    run_case(GetParam(), {false, true, 5, 0, 3, 1.0f, 0.0f, 1});
    run_case(GetParam(), {true, false, 5, 7, 0, 1.0f, 0.5f, 1});
    run_case(GetParam(), {true, true, 5, 7, 0, 1.0f, 0.0f, 2});
    run_case(GetParam(), {false, true, 5, 7, 0, 2.0f, 0.0f, 0});
    run_case(GetParam(), {false, false, 6, 40, 0, 1.0f, -1.0f, 0});
}

// A NaN or an infinity in row i of A reaches exactly row i of C, as in BLAS; the others stay
// finite.
TEST_P(Gemm, NonFiniteInputsPropagateByRow)
{
    SCL_REQUIRE_DEVICE();
    scl_ctx *ctx = test_ctx();
    const size_t m = 7, n = 19, k = 13;
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), INFINITY}) {
        SCOPED_TRACE(bad);
        Stored a(m, k, 0, 1), b(k, n, 0, 2), c(m, n, 0, 3);
        a.at(4, 6) = bad;
        ASSERT_TRUE(a.upload(ctx) && b.upload(ctx) && c.upload(ctx));
        struct scl_gemm_args g = {false, false, m,     n, k, 1.0f,  0.0f, a.buf,
                                  0,     k,     b.buf, 0, n, c.buf, 0,    n};
        ASSERT_EQ(scl_gemm(ctx, GetParam(), &g), SCL_OK) << scl_ctx_last_error(ctx);
        std::vector<float> got;
        ASSERT_TRUE(c.download(ctx, got));
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                EXPECT_EQ(std::isfinite(got[i * n + j]), i != 4) << i << "," << j;
    }
}

std::string engine_name(const ::testing::TestParamInfo<enum scl_gemm_engine> &info)
{
    return scl_gemm_engine_name(info.param);
}

INSTANTIATE_TEST_SUITE_P(Engines, Gemm, ::testing::Values(SCL_GEMM_NATIVE, SCL_GEMM_CLBLAST),
                         engine_name);

// One tile kernel of cl/gemm.cl: its name, vector width and rows per tile.
struct Tile {
    const char *name;
    size_t width, rows;
};
const Tile kTiles[] = {{"scl_gemm_tile8_6", 8, SCL_GEMM_MR8},
                       {"scl_gemm_tile16_8", 16, SCL_GEMM_MR16},
                       {"scl_gemm_tile16_6", 16, SCL_GEMM_MR16_SHORT}};

// Runs kernel `name` on the operands with the arguments `vals` (cl_mem for the three buffers, 4
// bytes for every other) over `global` with local size (1, 1), and checks C against the reference
// of c.
void launch_and_check(const char *name, const Case &c, Stored &a, Stored &b, Stored &cm,
                      const std::vector<const void *> &vals, const size_t global[2])
{
    scl_ctx *ctx = test_ctx();
    ASSERT_TRUE(a.upload(ctx) && b.upload(ctx) && cm.upload(ctx));
    cl_kernel k;
    ASSERT_EQ(scl_kernel_get(ctx, name, &k), SCL_OK) << scl_ctx_last_error(ctx);
    for (cl_uint i = 0; i < vals.size(); i++) {
        bool mem = vals[i] == &a.buf || vals[i] == &b.buf || vals[i] == &cm.buf;
        ASSERT_EQ(clSetKernelArg(k, i, mem ? sizeof(cl_mem) : 4, vals[i]), CL_SUCCESS) << i;
    }
    const size_t local[2] = {1, 1};
    ASSERT_EQ(scl_kernel_run(ctx, k, 2, global, local), SCL_OK) << scl_ctx_last_error(ctx);
    std::vector<float> got;
    ASSERT_TRUE(cm.download(ctx, got));
    struct scl_ref_gemm_args r = {c.ta,    c.tb,         c.m,         c.n,  c.k,
                                  c.alpha, c.beta,       &a.at(0, 0), a.ld, &b.at(0, 0),
                                  b.ld,    &cm.at(0, 0), cm.ld};
    scl_ref_gemm(&r);
    expect_matches(c, cm, got);
}

// Runs one tile kernel itself on C = alpha A B + beta C (the direct mapping of cl/gemm.cl).
void run_tile(const Tile &t, const Case &c)
{
    SCOPED_TRACE(std::string(t.name) + " " + describe(c));
    Stored a(c.m, c.k, c.pad, 1), b(c.k, c.n, c.pad, 2), cm(c.m, c.n, c.pad, 3);
    const cl_uint u[] = {(cl_uint)a.off,  (cl_uint)a.ld,  1, (cl_uint)b.off, (cl_uint)b.ld,
                         (cl_uint)cm.off, (cl_uint)cm.ld, 1, (cl_uint)c.m,   (cl_uint)c.n,
                         (cl_uint)c.k};
    const size_t global[2] = {(c.m + t.rows - 1) / t.rows, (c.n + 2 * t.width - 1) / (2 * t.width)};
    launch_and_check(t.name, c, a, b, cm,
                     {&a.buf, &u[0], &u[1], &u[2], &b.buf, &u[3], &u[4], &cm.buf, &u[5], &u[6],
                      &u[7], &u[8], &u[9], &u[10], &c.alpha, &c.beta},
                     global);
}

// Every tile kernel, whichever this device's engine picks, over every column remainder of its
// 2W-column tile and every row remainder of its rows, and one large odd product.
TEST(GemmNativeKernel, EveryTileEveryRemainder)
{
    SCL_REQUIRE_DEVICE();
    for (const Tile &t : kTiles) {
        for (size_t n = 1; n <= 2 * t.width + 1; n++)
            run_tile(t, {false, false, 7, n, 1 + n % 5 * 7, n % 2 ? -0.75f : 1.0f,
                         n % 3 ? 0.5f : 0.0f, n % 4});
        for (size_t m = 1; m <= 2 * t.rows + 1; m++)
            run_tile(t, {false, false, m, 2 * t.width + 3, 1 + m % 4 * 9, m % 2 ? 1.0f : -0.75f,
                         m % 3 ? 0.0f : 0.5f, m % 3});
        run_tile(t, {false, false, 13, 1007, 67, 1.0f, 0.0f, 0});
    }
}

// The dot kernels for A B^T with few rows of B: name, vector width, rows of A per work-item.
const Tile kDots[] = {{"scl_gemm_dot8_2", 8, SCL_GEMM_DOT_R8},
                      {"scl_gemm_dot16_4", 16, SCL_GEMM_DOT_R16}};

// Runs one dot kernel itself on C = alpha A B^T + beta C.
void run_dot(const Tile &t, const Case &c)
{
    SCOPED_TRACE(std::string(t.name) + " " + describe(c));
    Stored a(c.m, c.k, c.pad, 1), b(c.n, c.k, c.pad, 2), cm(c.m, c.n, c.pad, 3);
    const cl_uint u[] = {(cl_uint)a.off, (cl_uint)a.ld,   (cl_uint)b.off,
                         (cl_uint)b.ld,  (cl_uint)cm.off, (cl_uint)cm.ld,
                         (cl_uint)c.m,   (cl_uint)c.n,    (cl_uint)c.k};
    const size_t global[2] = {(c.m + t.rows - 1) / t.rows,
                              (c.n + SCL_GEMM_DOT_COLS - 1) / SCL_GEMM_DOT_COLS};
    launch_and_check(t.name, c, a, b, cm,
                     {&a.buf, &u[0], &u[1], &b.buf, &u[2], &u[3], &cm.buf, &u[4], &u[5], &u[6],
                      &u[7], &u[8], &c.alpha, &c.beta},
                     global);
}

// Every dot kernel over every k remainder of its vector width, every column remainder up to
// SCL_GEMM_DOT_MAX_N and every row remainder of its rows, and the output layer's forward pass.
TEST(GemmNativeKernel, EveryDotEveryRemainder)
{
    SCL_REQUIRE_DEVICE();
    for (const Tile &t : kDots) {
        for (size_t k = 0; k <= 2 * t.width + 1; k++)
            run_dot(t, {false, true, 5, 7, k, k % 2 ? -0.75f : 1.0f, k % 3 ? 0.5f : 0.0f, k % 4});
        for (size_t n = 1; n <= SCL_GEMM_DOT_MAX_N; n++)
            run_dot(t, {false, true, 3, n, 1 + n % 5 * 7, n % 2 ? 1.0f : 2.5f, n % 3 ? 0.0f : 1.0f,
                        n % 3});
        for (size_t m = 1; m <= 2 * t.rows + 1; m++)
            run_dot(t, {false, true, m, 10, 1 + m % 4 * 9, m % 2 ? 1.0f : -0.75f,
                        m % 3 ? 0.0f : 0.5f, m % 3});
        run_dot(t, {false, true, 64, 10, 1200, 1.0f, 0.0f, 0});
    }
}

// Strides and sizes are checked against the real buffers before anything is enqueued.
TEST(GemmArgs, BadStridesAndShortBuffersAreArgErrors)
{
    SCL_REQUIRE_DEVICE();
    scl_ctx *ctx = test_ctx();
    Stored a(4, 5, 0, 1), b(5, 6, 0, 2), c(4, 6, 0, 3);
    ASSERT_TRUE(a.upload(ctx) && b.upload(ctx) && c.upload(ctx));
    struct scl_gemm_args g = {false, false, 4,     6, 5, 1.0f,  0.0f, a.buf,
                              0,     5,     b.buf, 0, 6, c.buf, 0,    6};
    struct scl_gemm_args bad = g;
    bad.lda = 4; // less than k
    EXPECT_EQ(scl_gemm(ctx, SCL_GEMM_NATIVE, &bad), SCL_ERR_ARG);
    EXPECT_NE(std::string(scl_ctx_last_error(ctx)).find("lda"), std::string::npos);
    bad = g;
    bad.c_off = 2; // runs past the end of C's buffer
    EXPECT_EQ(scl_gemm(ctx, SCL_GEMM_CLBLAST, &bad), SCL_ERR_ARG);
    EXPECT_NE(std::string(scl_ctx_last_error(ctx)).find("c ("), std::string::npos);
    bad = g;
    bad.trans_b = true; // B stored [6][5] with ld 6 needs 35 floats; its buffer holds 31
    EXPECT_EQ(scl_gemm(ctx, SCL_GEMM_NATIVE, &bad), SCL_ERR_ARG);
    EXPECT_NE(std::string(scl_ctx_last_error(ctx)).find("b ("), std::string::npos);
    EXPECT_EQ(scl_gemm(ctx, SCL_GEMM_NATIVE, &g), SCL_OK) << scl_ctx_last_error(ctx);
}

TEST(GemmArgs, AutoIsNativeOnCpuDevices)
{
    SCL_REQUIRE_DEVICE();
    enum scl_gemm_engine want = scl_ctx_is_cpu(test_ctx()) ? SCL_GEMM_NATIVE : SCL_GEMM_CLBLAST;
    EXPECT_EQ(scl_gemm_resolve(test_ctx(), SCL_GEMM_AUTO), want);
    EXPECT_EQ(scl_gemm_resolve(test_ctx(), SCL_GEMM_CLBLAST), SCL_GEMM_CLBLAST);
    EXPECT_STREQ(scl_gemm_engine_name(SCL_GEMM_NATIVE), "native");
}

// A context of its own with profiling on; declared before a test's buffers, it outlives them.
struct ProfiledCtx {
    scl_ctx *ctx = nullptr;
    std::string error;
    ProfiledCtx()
    {
        struct scl_ctx_params p = scl_ctx_default_params();
        p.quiet = 1;
        p.profile = 1;
        if (scl_ctx_create(&p, &ctx) != SCL_OK) {
            error = scl_ctx_last_error(ctx);
            scl_ctx_destroy(ctx);
            ctx = nullptr;
        }
    }
    ~ProfiledCtx()
    {
        scl_ctx_destroy(ctx);
    }
    ProfiledCtx(const ProfiledCtx &) = delete;
    ProfiledCtx &operator=(const ProfiledCtx &) = delete;
};

// SCL_PROFILE: each product is summed on its own line, under its kernel's name and its shape, and
// a command enqueued after the product carries no shape.
TEST(GemmProfile, EachShapeItsOwnLine)
{
    SCL_REQUIRE_DEVICE();
    ProfiledCtx profiled;
    scl_ctx *ctx = profiled.ctx;
    ASSERT_NE(ctx, nullptr) << profiled.error;
    Stored a(3, 7, 0, 1), b(7, 5, 0, 2), cm(7, 7, 0, 3);
    ASSERT_TRUE(a.upload(ctx) && b.upload(ctx) && cm.upload(ctx)) << scl_ctx_last_error(ctx);
    struct scl_gemm_args nn = {false, false, 3,     5, 7, 1.0f,   0.0f, a.buf,
                               0,     7,     b.buf, 0, 5, cm.buf, 0,    7};
    struct scl_gemm_args tn = nn; // A^T B with A stored [3][7] as [k][m]: 7 x 5, k = 3
    tn.trans_a = true, tn.m = 7, tn.k = 3;
    tn.b = a.buf, tn.ldb = 7, tn.n = 5;
    for (int i = 0; i < 2; i++)
        ASSERT_EQ(scl_gemm(ctx, SCL_GEMM_NATIVE, &nn), SCL_OK) << scl_ctx_last_error(ctx);
    ASSERT_EQ(scl_gemm(ctx, SCL_GEMM_NATIVE, &tn), SCL_OK) << scl_ctx_last_error(ctx);
    uint32_t w[4];
    ASSERT_EQ(scl_ctx_rng_fill(ctx, 1, SCL_RNG_TEST, 0, 0, 1, w), SCL_OK);
    const std::string text = test_profile_text(ctx);
    auto calls = [&](const std::string &label) {
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);)
            if (line.find("scl_gemm_") != std::string::npos &&
                line.find(" " + label + " ") != std::string::npos)
                return std::stoull(line.substr(line.find(label) + label.size()));
        return 0ull;
    };
    EXPECT_EQ(calls("NN 3x5x7"), 2u) << text;
    EXPECT_EQ(calls("TN 7x5x3"), 1u) << text;
    EXPECT_NE(text.find("profile: scl_rng_fill "), std::string::npos) << text;
    EXPECT_EQ(text.find("scl_rng_fill NN"), std::string::npos) << text;
}

// More product shapes than the profile's table holds: the ones past its room are summed on one
// line, so that every call is still counted.
TEST(GemmProfile, ShapesPastTheTableStillCounted)
{
    SCL_REQUIRE_DEVICE();
    ProfiledCtx profiled;
    scl_ctx *ctx = profiled.ctx;
    ASSERT_NE(ctx, nullptr) << profiled.error;
    const size_t shapes = 250; // C = A B with A [m][1], B [1][1], m = 1 .. 250
    Stored a(shapes, 1, 0, 1), b(1, 1, 0, 2), cm(shapes, 1, 0, 3);
    ASSERT_TRUE(a.upload(ctx) && b.upload(ctx) && cm.upload(ctx)) << scl_ctx_last_error(ctx);
    for (size_t m = 1; m <= shapes; m++) {
        struct scl_gemm_args g = {false, false, m,     1, 1, 1.0f,   0.0f, a.buf,
                                  0,     1,     b.buf, 0, 1, cm.buf, 0,    1};
        ASSERT_EQ(scl_gemm(ctx, SCL_GEMM_NATIVE, &g), SCL_OK) << scl_ctx_last_error(ctx);
    }
    const std::string text = test_profile_text(ctx);
    unsigned long long total = 0; // calls: the fourth field from the right of every entry line
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
        if (f.size() >= 5 && f[1] != "kernel" && f[1] != "all")
            total += std::stoull(f[f.size() - 4]);
    }
    EXPECT_NE(text.find("(names past the table's room)"), std::string::npos) << text;
    EXPECT_EQ(total, shapes) << text;
}

} // namespace
