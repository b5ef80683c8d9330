// The sleep phase on the device against the plain C reference (host/ref/ref_sleep.c): the same
// seed and model must give the same spike raster, step by step, layer by layer, unit by unit,
// and the same weights bit for bit. Both sides use the same formulas with IEEE single
// operations in the same order (FP_CONTRACT OFF on the device, ISO C on the host, sums in
// ascending pre index, f(w) without libm or division), so the tolerance is zero.
// Also: odd shapes, every layer count path, validation errors that name the key, NaN weights,
// and the host/device contract.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "device_env.h"
extern "C" {
#include "ref.h"
// sleep.c's test hook: work-groups per run (0 = automatic: 1 on a CPU).
void scl_sleep_test_groups(int groups);
// host/device/contract.c: the contract as the device compiled it against the host's.
scl_status scl_contract_check(scl_ctx *ctx);
}

namespace
{

struct ModelPtr {
    scl_model *m = nullptr;
    ~ModelPtr()
    {
        scl_model_destroy(m);
    }
};

// W_l ~ U(-scale, scale) / sqrt(fan_in) + bias, from the project generator (purpose TEST).
void fill_model(scl_model *m, uint32_t seed, float scale, const std::vector<float> &bias)
{
    for (int32_t l = 0; l < m->n_layers; l++) {
        size_t n = (size_t)m->sizes[l] * (size_t)m->sizes[l + 1];
        float a = scale / std::sqrt((float)m->sizes[l]);
        for (size_t i = 0; i < n; i++) {
            uint32_t w[4];
            scl_rng_words(seed, SCL_RNG_TEST, (uint32_t)i, 0, (uint32_t)l, w);
            m->w[l][i] = (2.0f * scl_rng_u01(w[0]) - 1.0f) * a + bias[(size_t)l];
        }
    }
}

// A smooth blob like the MNIST mean image on a 28x28 grid (mean about 0.13); other input
// sizes get a ramp of values in [0.05, 0.5].
std::vector<float> blob_mean(int32_t n)
{
    std::vector<float> x((size_t)n);
    for (int32_t i = 0; i < n; i++) {
        if (n == 784) {
            float r = (float)(i / 28) - 13.5f, c = (float)(i % 28) - 13.5f;
            x[(size_t)i] = 0.8f * std::exp(-(r * r) / 50.0f - (c * c) / 32.0f);
        } else {
            x[(size_t)i] = 0.05f + 0.45f * (float)((i * 7) % n) / (float)n;
        }
    }
    return x;
}

// Binary images drawn from the mean (pixel on with probability mean): inputs for act_max.
std::vector<float> bernoulli_images(const std::vector<float> &mean, int32_t count)
{
    std::vector<float> x(mean.size() * (size_t)count);
    for (size_t i = 0; i < x.size(); i++) {
        uint32_t w[4];
        scl_rng_words(99, SCL_RNG_TEST, (uint32_t)i, 1, 0, w);
        x[i] = scl_rng_u01(w[0]) < mean[i % mean.size()] ? 1.0f : 0.0f;
    }
    return x;
}

// The layer factors of act_max over binary images, as a real sleep would have them.
std::vector<float> layer_factors(const scl_model *m, const struct scl_sleep_params &p,
                                 const std::vector<float> &mean)
{
    std::vector<float> act((size_t)m->n_layers), fac((size_t)m->n_layers);
    std::vector<float> imgs = bernoulli_images(mean, 16);
    scl_ref_sleep_act_max(m, imgs.data(), 16, act.data());
    EXPECT_EQ(scl_sleep_factors(m, act.data(), p.norm, fac.data()), SCL_OK);
    return fac;
}

// Parameters whose alpha_l is exactly factor_l (alpha_scale 1), for tests that choose alpha.
struct scl_sleep_params unit_alpha_params()
{
    struct scl_sleep_params p = scl_sleep_default_params();
    p.alpha_scale = 1.0f;
    return p;
}

std::string where(int64_t idx, int64_t units, const scl_model *m)
{
    int64_t t = idx / units, u = idx % units;
    int32_t l = 0;
    while (l < m->n_layers && u >= m->sizes[l])
        u -= m->sizes[l++];
    return "step " + std::to_string(t) + " layer " + std::to_string(l) + " unit " +
           std::to_string(u);
}

// Run device and reference from the same model; expect identical rasters and weights. The
// device takes the factors, the reference the alpha the library derives from p and them.
// Returns the device statistics (spikes per step and layer) through `out`.
void expect_same(const scl_model *m0, const struct scl_sleep_params &p,
                 const std::vector<float> &mean, const std::vector<float> &factors,
                 std::vector<int64_t> *layer_spikes = nullptr)
{
    ModelPtr dev, ref;
    std::vector<float> alpha((size_t)m0->n_layers);
    scl_sleep_alpha(&p, m0->n_layers, factors.data(), alpha.data());
    ASSERT_EQ(scl_model_clone(m0, &dev.m), SCL_OK);
    ASSERT_EQ(scl_model_clone(m0, &ref.m), SCL_OK);
    const int32_t L = m0->n_layers;
    int64_t units = 0;
    for (int32_t l = 0; l <= L; l++)
        units += m0->sizes[l];
    std::vector<uint8_t> raster((size_t)(units * p.steps));
    std::vector<int32_t> spikes((size_t)p.steps * (size_t)(L + 1));
    struct scl_ref_sleep_out out = {spikes.data(), raster.data(), units};
    ASSERT_EQ(scl_ref_sleep_run(ref.m, &p, mean.data(), alpha.data(), &out), SCL_OK);

    struct scl_sleep_stats st;
    std::memset(&st, 0, sizeof(st));
    st.record_raster = 1;
    ASSERT_EQ(scl_sleep_run(test_ctx(), dev.m, &p, mean.data(), factors.data(), &st), SCL_OK)
        << scl_ctx_last_error(test_ctx());
    ASSERT_EQ(st.raster_units, units);
    ASSERT_NE(st.raster, nullptr);
    for (int64_t i = 0; i < units * p.steps; i++)
        ASSERT_EQ(st.raster[i], raster[(size_t)i])
            << "rasters differ first at " << where(i, units, m0);
    for (size_t i = 0; i < spikes.size(); i++)
        ASSERT_EQ(st.spikes[i], spikes[i]) << "spike counts differ at " << i;
    // Each unit's spikes over the sleep: the reference raster's column sums.
    ASSERT_NE(st.unit_spikes, nullptr);
    for (int64_t u = 0; u < units; u++) {
        int32_t sum = 0;
        for (int32_t t = 0; t < p.steps; t++)
            sum += raster[(size_t)(t * units + u)];
        ASSERT_EQ(st.unit_spikes[u], sum) << "unit " << u;
    }
    for (int32_t l = 0; l < L; l++) {
        size_t n = (size_t)m0->sizes[l] * (size_t)m0->sizes[l + 1];
        int64_t moved = 0;
        for (size_t i = 0; i < n; i++) {
            ASSERT_EQ(std::memcmp(&dev.m->w[l][i], &ref.m->w[l][i], sizeof(float)), 0)
                << "W_" << l + 1 << " [" << i / (size_t)m0->sizes[l] << "]["
                << i % (size_t)m0->sizes[l] << "]: device " << dev.m->w[l][i] << " reference "
                << ref.m->w[l][i];
            moved += dev.m->w[l][i] != m0->w[l][i];
        }
        int64_t hist_total = 0;
        for (int b = 0; b < SCL_SLEEP_HIST_BINS; b++)
            hist_total += st.hist[l][b];
        EXPECT_EQ(hist_total, (int64_t)n) << "histogram of W_" << l + 1;
        EXPECT_EQ((int64_t)n - st.hist[l][SCL_SLEEP_HIST_ZERO], moved) << "W_" << l + 1;
    }
    if (layer_spikes) {
        layer_spikes->assign((size_t)L + 1, 0);
        for (int32_t t = 0; t < p.steps; t++)
            for (int32_t l = 0; l <= L; l++)
                (*layer_spikes)[(size_t)l] += spikes[(size_t)t * (size_t)(L + 1) + (size_t)l];
        for (int32_t l = 0; l <= L; l++)
            EXPECT_DOUBLE_EQ(st.rate[l],
                             (double)(*layer_spikes)[(size_t)l] / ((double)p.steps * m0->sizes[l]));
    }
    scl_sleep_stats_free(&st);
}

struct Case {
    scl_sleep_mod mod;
    scl_sleep_input input;
};

const Case kCases[] = {{SCL_SLEEP_MOD_CONST, SCL_SLEEP_INPUT_MEAN},
                       {SCL_SLEEP_MOD_REF, SCL_SLEEP_INPUT_MEAN},
                       {SCL_SLEEP_MOD_CONST, SCL_SLEEP_INPUT_WINDOW},
                       {SCL_SLEEP_MOD_REF, SCL_SLEEP_INPUT_WINDOW}};

std::string case_name(const Case &c)
{
    return std::string(c.mod == SCL_SLEEP_MOD_REF ? "f=ref" : "f=const") +
           (c.input == SCL_SLEEP_INPUT_WINDOW ? " window" : " mean");
}

} // namespace

// The product's net, 784-1200-1200-10, with U(-1/sqrt(fan_in), 1/sqrt(fan_in)) weights and
// the 2024 MNIST parameters: every layer fires (sparsely) and the device matches exactly.
TEST(DeviceSleep, MnistNetMatchesReference)
{
    SCL_REQUIRE_DEVICE();
    const int32_t sizes[] = {784, 1200, 1200, 10};
    ModelPtr m;
    ASSERT_EQ(scl_model_create(3, sizes, &m.m), SCL_OK);
    fill_model(m.m, 7, 1.0f, {0.0f, 0.0f, 0.0f});
    std::vector<float> mean = blob_mean(784);
    for (const Case &c : kCases) {
        SCOPED_TRACE(case_name(c));
        struct scl_sleep_params p = scl_sleep_default_params();
        p.steps = 300;
        p.modulation = c.mod;
        p.input = c.input;
        p.seed = 11;
        if (c.input == SCL_SLEEP_INPUT_WINDOW) // a window carries less input: scale it up
            p.alpha_scale *= 3.0f;
        std::vector<int64_t> spikes;
        expect_same(m.m, p, mean, layer_factors(m.m, p, mean), &spikes);
        for (int32_t l = 0; l <= 3; l++)
            EXPECT_GT(spikes[(size_t)l], 0) << "layer " << l << " was silent";
    }
}

// The path a GPU takes (several work-groups, one launch per kernel call), forced here so that
// a CPU-only machine checks it too; 3 groups do not divide any layer evenly.
TEST(DeviceSleep, MultiGroupPathMatchesReference)
{
    SCL_REQUIRE_DEVICE();
    struct Reset {
        ~Reset()
        {
            scl_sleep_test_groups(0);
        }
    } reset;
    scl_sleep_test_groups(3);
    const int32_t sizes[] = {784, 1200, 1200, 10}, odd[] = {100, 7, 9, 11, 65, 3};
    ModelPtr m, o;
    ASSERT_EQ(scl_model_create(3, sizes, &m.m), SCL_OK);
    fill_model(m.m, 7, 1.0f, {0.0f, 0.0f, 0.0f});
    std::vector<float> mean = blob_mean(784);
    for (const Case &c : kCases) {
        SCOPED_TRACE(case_name(c));
        struct scl_sleep_params p = scl_sleep_default_params();
        p.steps = 200;
        p.modulation = c.mod;
        p.input = c.input;
        p.alpha_scale *= c.input == SCL_SLEEP_INPUT_WINDOW ? 3.0f : 1.0f;
        expect_same(m.m, p, mean, layer_factors(m.m, p, mean));
    }
    ASSERT_EQ(scl_model_create(5, odd, &o.m), SCL_OK);
    fill_model(o.m, 21, 1.0f, {0.05f, 0.2f, 0.2f, 0.2f, 0.1f});
    struct scl_sleep_params p = unit_alpha_params();
    p.steps = 150;
    p.n_beta = 5;
    for (int32_t l = 0; l < 5; l++)
        p.beta[l] = 0.5f;
    expect_same(o.m, p, blob_mean(100), std::vector<float>(5, 2.0f));
}

// The 2022 MNIST set (window input, f = ref, decay 0.999, steps 40x larger than 2024's), where
// weights move far: 600 steps still match exactly.
TEST(DeviceSleep, Mnist2022SetMatchesReference)
{
    SCL_REQUIRE_DEVICE();
    const int32_t sizes[] = {784, 1200, 1200, 10};
    ModelPtr m;
    ASSERT_EQ(scl_model_create(3, sizes, &m.m), SCL_OK);
    fill_model(m.m, 8, 1.0f, {0.0f, 0.0f, 0.0f});
    std::vector<float> mean = blob_mean(784);
    struct scl_sleep_params p = scl_sleep_default_params();
    p.steps = 600;
    p.max_rate = 239.515363f;
    p.alpha_scale = 55.882454f;
    p.beta[0] = 14.548273f;
    p.beta[1] = 44.560317f;
    p.beta[2] = 38.046326f;
    p.decay = 0.999f;
    p.inc = 0.032064f;
    p.dec = 0.003344f;
    p.input = SCL_SLEEP_INPUT_WINDOW;
    p.seed = 2022;
    std::vector<int64_t> spikes;
    expect_same(m.m, p, mean, layer_factors(m.m, p, mean), &spikes);
    for (int32_t l = 0; l < 3; l++) // the output may stay silent with this set on random nets
        EXPECT_GT(spikes[(size_t)l], 0) << "layer " << l << " was silent";
}

// A small net with sizes that are not multiples of anything, firing harder.
TEST(DeviceSleep, SmallNetMatchesReference)
{
    SCL_REQUIRE_DEVICE();
    const int32_t sizes[] = {49, 30, 20, 10};
    ModelPtr m;
    ASSERT_EQ(scl_model_create(3, sizes, &m.m), SCL_OK);
    fill_model(m.m, 3, 1.0f, {0.02f, 0.05f, 0.05f});
    std::vector<float> mean = blob_mean(49);
    for (const Case &c : kCases) {
        if (c.input == SCL_SLEEP_INPUT_WINDOW)
            continue; // window mode needs a 28x28 input
        SCOPED_TRACE(case_name(c));
        struct scl_sleep_params p = unit_alpha_params();
        p.steps = 500;
        p.modulation = c.mod;
        p.seed = 5;
        p.beta[0] = 1.0f;
        p.beta[1] = 1.5f;
        p.beta[2] = 2.0f;
        const std::vector<float> alpha = {1.0f, 1.5f, 1.5f}; // the factors, alpha_scale 1
        std::vector<int64_t> spikes;
        expect_same(m.m, p, mean, alpha, &spikes);
        for (int32_t l = 0; l <= 3; l++)
            EXPECT_GT(spikes[(size_t)l], 0) << "layer " << l << " was silent";
    }
}

// Odd shapes and layer counts: one unit, one layer (the input and the last layer share a
// launch), five layers, sizes just around the device's block of 16.
TEST(DeviceSleep, OddShapesMatchReference)
{
    SCL_REQUIRE_DEVICE();
    const std::vector<std::vector<int32_t>> shapes = {
        {1, 1}, {17, 3}, {784, 37, 5}, {15, 16, 17, 33, 1}, {100, 7, 9, 11, 65, 3}};
    for (const auto &s : shapes) {
        const int32_t L = (int32_t)s.size() - 1;
        SCOPED_TRACE("net of " + std::to_string(L) + " layers, input " + std::to_string(s[0]));
        ModelPtr m;
        ASSERT_EQ(scl_model_create(L, s.data(), &m.m), SCL_OK);
        std::vector<float> bias;
        for (int32_t l = 0; l < L; l++) // mostly positive weights: every layer fires
            bias.push_back(0.5f / std::sqrt((float)s[(size_t)l]));
        fill_model(m.m, 21, 1.0f, bias);
        std::vector<float> mean = blob_mean(s[0]);
        for (const Case &c : kCases) {
            if (c.input == SCL_SLEEP_INPUT_WINDOW && s[0] != 784)
                continue;
            SCOPED_TRACE(case_name(c));
            struct scl_sleep_params p = unit_alpha_params();
            p.steps = 120;
            p.modulation = c.mod;
            p.input = c.input;
            p.n_beta = L;
            for (int32_t l = 0; l < L; l++)
                p.beta[l] = 0.5f;
            std::vector<float> alpha((size_t)L, 2.0f); // the factors, alpha_scale 1
            std::vector<int64_t> spikes;
            expect_same(m.m, p, mean, alpha, &spikes);
            EXPECT_GT(spikes[(size_t)L], 0) << "the last layer was silent";
        }
    }
}

// Without a raster the device keeps two step slots of flags: the same weights come out.
TEST(DeviceSleep, RasterDoesNotChangeTheRun)
{
    SCL_REQUIRE_DEVICE();
    const int32_t sizes[] = {784, 60, 10};
    ModelPtr m, a, b;
    ASSERT_EQ(scl_model_create(2, sizes, &m.m), SCL_OK);
    fill_model(m.m, 4, 1.0f, {0.01f, 0.05f});
    ASSERT_EQ(scl_model_clone(m.m, &a.m), SCL_OK);
    ASSERT_EQ(scl_model_clone(m.m, &b.m), SCL_OK);
    struct scl_sleep_params p = unit_alpha_params();
    p.n_beta = 2;
    p.steps = 200;
    const float factors[] = {4.0f, 4.0f};
    std::vector<float> mean = blob_mean(784);
    struct scl_sleep_stats with, without;
    std::memset(&with, 0, sizeof(with));
    std::memset(&without, 0, sizeof(without));
    with.record_raster = 1;
    ASSERT_EQ(scl_sleep_run(test_ctx(), a.m, &p, mean.data(), factors, &with), SCL_OK);
    ASSERT_EQ(scl_sleep_run(test_ctx(), b.m, &p, mean.data(), factors, &without), SCL_OK);
    EXPECT_EQ(without.raster, nullptr);
    EXPECT_EQ(std::memcmp(with.spikes, without.spikes, sizeof(int32_t) * 200 * 3), 0);
    for (int32_t l = 0; l < 2; l++)
        EXPECT_EQ(std::memcmp(a.m->w[l], b.m->w[l],
                              sizeof(float) * (size_t)sizes[l] * (size_t)sizes[l + 1]),
                  0);
    scl_sleep_stats_free(&with);
    scl_sleep_stats_free(&without);
    // a NULL stats pointer is allowed, and the same seed gives the same weights again
    ModelPtr c;
    ASSERT_EQ(scl_model_clone(m.m, &c.m), SCL_OK);
    ASSERT_EQ(scl_sleep_run(test_ctx(), c.m, &p, mean.data(), factors, nullptr), SCL_OK);
    EXPECT_EQ(std::memcmp(a.m->w[0], c.m->w[0], sizeof(float) * 784 * 60), 0);
}

TEST(DeviceSleep, BadParametersAreNamedAndLeaveTheModel)
{
    SCL_REQUIRE_DEVICE();
    const int32_t sizes[] = {784, 20, 10};
    ModelPtr m;
    ASSERT_EQ(scl_model_create(2, sizes, &m.m), SCL_OK);
    fill_model(m.m, 1, 1.0f, {0.0f, 0.0f});
    std::vector<float> before(m.m->w[0], m.m->w[0] + 784 * 20);
    std::vector<float> mean = blob_mean(784);
    const float factors[] = {1.0f, 1.0f};
    struct scl_sleep_params p = scl_sleep_default_params(); // 3 betas for a 2-layer model
    EXPECT_EQ(scl_sleep_run(test_ctx(), m.m, &p, mean.data(), factors, nullptr), SCL_ERR_CONFIG);
    EXPECT_NE(std::string(scl_ctx_last_error(test_ctx())).find("sleep.beta has 3 values"),
              std::string::npos)
        << scl_ctx_last_error(test_ctx());
    p.n_beta = 2;
    p.dt = 0.0f;
    EXPECT_EQ(scl_sleep_run(test_ctx(), m.m, &p, mean.data(), factors, nullptr), SCL_ERR_CONFIG);
    EXPECT_NE(std::string(scl_ctx_last_error(test_ctx())).find("sleep.dt"), std::string::npos);
    EXPECT_EQ(std::memcmp(before.data(), m.m->w[0], before.size() * sizeof(float)), 0);
}

TEST(DeviceSleep, NonFiniteInputsAreRejectedNamingTheLayer)
{
    SCL_REQUIRE_DEVICE();
    const int32_t sizes[] = {30, 20, 10};
    ModelPtr m;
    ASSERT_EQ(scl_model_create(2, sizes, &m.m), SCL_OK);
    fill_model(m.m, 1, 1.0f, {0.0f, 0.0f});
    m.m->w[1][3 * 20 + 7] = NAN;
    std::vector<float> mean = blob_mean(30);
    float factors[] = {1.0f, 1.0f};
    struct scl_sleep_params p = scl_sleep_default_params();
    p.n_beta = 2;
    EXPECT_EQ(scl_sleep_run(test_ctx(), m.m, &p, mean.data(), factors, nullptr), SCL_ERR_NUMERIC);
    EXPECT_NE(std::string(scl_ctx_last_error(test_ctx())).find("layer 2 weight [3][7]"),
              std::string::npos)
        << scl_ctx_last_error(test_ctx());
    EXPECT_TRUE(std::isnan(m.m->w[1][3 * 20 + 7])); // left as it was
    m.m->w[1][3 * 20 + 7] = 0.0f;
    m.m->w[0][5] = INFINITY;
    EXPECT_EQ(scl_sleep_run(test_ctx(), m.m, &p, mean.data(), factors, nullptr), SCL_ERR_NUMERIC);
    EXPECT_NE(std::string(scl_ctx_last_error(test_ctx())).find("layer 1"), std::string::npos);
    m.m->w[0][5] = 0.0f;
    factors[1] = NAN;
    EXPECT_EQ(scl_sleep_run(test_ctx(), m.m, &p, mean.data(), factors, nullptr), SCL_ERR_NUMERIC);
    EXPECT_NE(std::string(scl_ctx_last_error(test_ctx())).find("alpha of layer 2"),
              std::string::npos);
    factors[1] = 1e38f; // finite, but alpha = 15.5 x 1e38 is not
    EXPECT_EQ(scl_sleep_run(test_ctx(), m.m, &p, mean.data(), factors, nullptr), SCL_ERR_NUMERIC);
    factors[1] = 1.0f;
    mean[4] = NAN;
    EXPECT_EQ(scl_sleep_run(test_ctx(), m.m, &p, mean.data(), factors, nullptr), SCL_ERR_NUMERIC);
    EXPECT_NE(std::string(scl_ctx_last_error(test_ctx())).find("mean input [4]"),
              std::string::npos);
}

// The host/device contract (cl/scl_contract.h): every shared constant, record size and field
// offset as the device compiled them equals the host's.
TEST(DeviceContract, DeviceCompiledTheHostsContract)
{
    SCL_REQUIRE_DEVICE();
    EXPECT_EQ(scl_contract_check(test_ctx()), SCL_OK) << scl_ctx_last_error(test_ctx());
}

// A kernel directory whose contract disagrees with the host's (one output code changed) fails
// at start, naming the value, instead of building a program that would misread the host.
TEST(DeviceContract, DisagreeingKernelDirFailsAtStart)
{
    SCL_REQUIRE_DEVICE();
    const std::string dir = ::testing::TempDir() + "/scl-stale-contract";
    const std::string cmd =
        "rm -rf '" + dir + "' && mkdir -p '" + dir + "' && cp " + std::string(SCL_SOURCE_DIR) +
        "/cl/* '" + dir +
        "'/ && sed -i 's/#define SCL_K_LOSS_MSE    2/#define SCL_K_LOSS_MSE 3/' '" + dir +
        "/scl_contract.h' && grep -q 'SCL_K_LOSS_MSE 3' '" + dir + "/scl_contract.h'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    struct scl_ctx_params p = scl_ctx_default_params();
    p.kernel_dir = dir.c_str();
    p.cache_dir = nullptr;
    p.quiet = 1;
    scl_ctx *ctx = nullptr;
    EXPECT_EQ(scl_ctx_create(&p, &ctx), SCL_ERR_DATA);
    const std::string err = scl_ctx_last_error(ctx);
    EXPECT_NE(err.find("SCL_K_LOSS_MSE is 3 on the device, 2 on the host"), std::string::npos)
        << err;
    scl_ctx_destroy(ctx);
}
