// The host side of sleep without a device: layer factors (ref chaining against Diehl) on
// hand-made numbers, alpha, the modulation f(w) against the textbook formula and at extreme
// weights, window corners, a two-step example computed by hand, the fast loop against the
// reference, parameter validation messages, the weight-change histogram bins and the traffic
// model of a step that the benchmark reports.
#include <cfloat>
#include <cmath>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <vector>

extern "C" {
#include "internal.h"
#include "ref.h"
}
#include "sleepcl/sleepcl.h"

namespace
{

struct ModelPtr {
    scl_model *m = nullptr;
    ~ModelPtr()
    {
        scl_model_destroy(m);
    }
};

std::string validate(const struct scl_sleep_params &p, const scl_model *m)
{
    char msg[256] = "";
    scl_status st = scl_sleep_validate(&p, m, msg, sizeof(msg));
    return st == SCL_OK ? "ok" : msg;
}

bool contains(const std::string &s, const char *what)
{
    return s.find(what) != std::string::npos;
}

} // namespace

// s = (2, 3, 5): ref chains c = (2, 3/2, 5/(3/2)), so factor_3 = s_2 / (s_1 s_3) = 0.3;
// Diehl divides consecutive scales: factor_l = s_{l-1} / s_l.
TEST(SleepFactors, RefChainingAgainstDiehl)
{
    const int32_t sizes[] = {2, 2, 2, 1};
    ModelPtr m;
    ASSERT_EQ(scl_model_create(3, sizes, &m.m), SCL_OK);
    // max W: 1.5, -0.5 (all negative: contributes 0), 7 (larger than its activation)
    const float w1[] = {1.5f, -1.0f, 0.25f, 0.0f}, w2[] = {-0.5f, -1.0f, -2.0f, -0.75f},
                w3[] = {7.0f, 1.0f};
    std::memcpy(m.m->w[0], w1, sizeof(w1));
    std::memcpy(m.m->w[1], w2, sizeof(w2));
    std::memcpy(m.m->w[2], w3, sizeof(w3));
    const float act[] = {2.0f, 3.0f, 5.0f}; // s = (max(1.5, 2), max(0, 3), max(7, 5)) = (2, 3, 7)
    float ref[3], diehl[3];
    ASSERT_EQ(scl_sleep_factors(m.m, act, SCL_SLEEP_NORM_REF, ref), SCL_OK);
    ASSERT_EQ(scl_sleep_factors(m.m, act, SCL_SLEEP_NORM_DIEHL, diehl), SCL_OK);
    EXPECT_FLOAT_EQ(ref[0], 1.0f / 2.0f);
    EXPECT_FLOAT_EQ(ref[1], 2.0f / 3.0f);
    EXPECT_FLOAT_EQ(ref[2], 3.0f / (2.0f * 7.0f));
    EXPECT_FLOAT_EQ(diehl[0], 1.0f / 2.0f);
    EXPECT_FLOAT_EQ(diehl[1], 2.0f / 3.0f);
    EXPECT_FLOAT_EQ(diehl[2], 3.0f / 7.0f);

    struct scl_sleep_params p = scl_sleep_default_params();
    float alpha[3];
    scl_sleep_alpha(&p, 3, ref, alpha);
    EXPECT_FLOAT_EQ(alpha[2], 15.5f * ref[2]);
    p.n_alpha = 3;
    p.alpha[0] = 1.0f;
    p.alpha[1] = 2.0f;
    p.alpha[2] = 4.0f;
    scl_sleep_alpha(&p, 3, ref, alpha);
    EXPECT_FLOAT_EQ(alpha[1], 2.0f * ref[1]);
    EXPECT_FLOAT_EQ(alpha[2], 4.0f * ref[2]);

    // a dead layer (no positive weight, no activation) has no scale
    const float dead[] = {2.0f, 0.0f, 5.0f};
    EXPECT_EQ(scl_sleep_factors(m.m, dead, SCL_SLEEP_NORM_REF, ref), SCL_ERR_NUMERIC);
    const float nan_act[] = {2.0f, NAN, 5.0f};
    EXPECT_EQ(scl_sleep_factors(m.m, nan_act, SCL_SLEEP_NORM_REF, ref), SCL_ERR_NUMERIC);
}

// f(w) = 2 / (1 + exp(w / 0.001)) finite everywhere, and within 4 ulp of the double formula
// at the float argument x = w * 1000 (the rounding of x itself moves exp(x) by up to
// |x| * 2^-24 relative, about 5e-6 at the cut-off |x| = 80: that is the conditioning of exp,
// and the same on every device).
TEST(SleepModulation, MatchesFormulaWithoutOverflow)
{
    for (int i = -20000; i <= 20000; i++) {
        const float w = (float)i * 5e-6f; // -0.1 .. 0.1
        const double x = (double)(w * 1000.0f);
        const double want = x >= 80.0 ? 0.0 : 2.0 / (1.0 + std::exp(x));
        const float f = scl_ref_sleep_f(w, SCL_SLEEP_MOD_REF);
        ASSERT_NEAR(f, want, 4.8e-7 * want) << "w = " << w;
        const double exact = 2.0 / (1.0 + std::exp((double)w / 0.001));
        ASSERT_NEAR(f, exact, 6e-6 * exact + 1e-33) << "w = " << w;
    }
    EXPECT_FLOAT_EQ(scl_ref_sleep_f(0.0f, SCL_SLEEP_MOD_REF), 1.0f);
    const float big[] = {1.0f, 1e10f, FLT_MAX, INFINITY};
    for (float w : big) {
        EXPECT_EQ(scl_ref_sleep_f(w, SCL_SLEEP_MOD_REF), 0.0f) << w;
        EXPECT_EQ(scl_ref_sleep_f(-w, SCL_SLEEP_MOD_REF), 2.0f) << -w;
    }
    float prev = 2.0f; // decreasing
    for (int i = -1000; i <= 1000; i++) {
        const float f = scl_ref_sleep_f((float)i * 1e-4f, SCL_SLEEP_MOD_REF);
        ASSERT_LE(f, prev) << i;
        prev = f;
    }
    EXPECT_EQ(scl_ref_sleep_f(-3.0f, SCL_SLEEP_MOD_CONST), 1.0f);
}

TEST(SleepWindow, CornersInRangeAndAllHit)
{
    int hits_r[18] = {0}, hits_c[18] = {0};
    const int n = 3600;
    for (uint32_t t = 0; t < (uint32_t)n; t++) {
        int32_t r0 = -1, c0 = -1;
        scl_ref_sleep_window(17, t, &r0, &c0);
        ASSERT_GE(r0, 0);
        ASSERT_LE(r0, 17);
        ASSERT_GE(c0, 0);
        ASSERT_LE(c0, 17);
        hits_r[r0]++;
        hits_c[c0]++;
    }
    for (int k = 0; k < 18; k++) { // expected 200 each; 5 sigma is about 70
        EXPECT_NEAR(hits_r[k], n / 18, 70) << "row corner " << k;
        EXPECT_NEAR(hits_c[k], n / 18, 70) << "col corner " << k;
    }
}

// A 2-2-1 net, decay 1, input pixel 0 always on (p = 1) and pixel 1 never (p = 0):
//  step 0: v1 = (0.5, 0.1), nothing crosses beta1 = 0.8; layer 2 has no input.
//  step 1: v1 = (1.0, 0.2): unit 0 fires, W1 row 0 gets +inc on column 0 (pre fired) and
//          -dec on column 1; v2 = 1.0 * W2[0][0] = 1.0 >= 0.5 fires, W2 row 0 likewise.
// With f = ref: f(0.5) is 0 to float precision (no move), f(-0.3) = 2 (twice the step).
TEST(SleepReference, TwoStepsByHand)
{
    const int32_t sizes[] = {2, 2, 1};
    for (int mod = 0; mod < 2; mod++) {
        SCOPED_TRACE(mod ? "f = const" : "f = ref");
        ModelPtr m;
        ASSERT_EQ(scl_model_create(2, sizes, &m.m), SCL_OK);
        const float w1[] = {0.5f, -0.3f, 0.1f, 0.2f}, w2[] = {1.0f, 0.4f};
        std::memcpy(m.m->w[0], w1, sizeof(w1));
        std::memcpy(m.m->w[1], w2, sizeof(w2));
        struct scl_sleep_params p = scl_sleep_default_params();
        p.steps = 2;
        p.dt = 1.0f;
        p.max_rate = 1.0f;
        p.gain = 1.0f;
        p.decay = 1.0f;
        p.n_beta = 2;
        p.beta[0] = 0.8f;
        p.beta[1] = 0.5f;
        p.inc = 0.01f;
        p.dec = 0.001f;
        p.modulation = mod ? SCL_SLEEP_MOD_CONST : SCL_SLEEP_MOD_REF;
        const float mean[] = {1.0f, 0.0f}, alpha[] = {1.0f, 1.0f};
        int32_t spikes[2 * 3];
        uint8_t raster[2 * 5];
        struct scl_ref_sleep_out out = {spikes, raster, 5};
        ASSERT_EQ(scl_ref_sleep_run(m.m, &p, mean, alpha, &out), SCL_OK);
        const uint8_t want[] = {1, 0, 0, 0, 0, /* step 1 */ 1, 0, 1, 0, 1};
        for (int i = 0; i < 10; i++)
            EXPECT_EQ(raster[i], want[i]) << "raster entry " << i;
        const int32_t want_spikes[] = {1, 0, 0, 1, 1, 1};
        for (int i = 0; i < 6; i++)
            EXPECT_EQ(spikes[i], want_spikes[i]) << "count " << i;
        const float f_pos = mod ? 1.0f : 0.0f, f_neg = mod ? 1.0f : 2.0f;
        EXPECT_EQ(m.m->w[0][0], 0.5f + 0.01f * f_pos);
        EXPECT_EQ(m.m->w[0][1], -0.3f - 0.001f * f_neg);
        EXPECT_EQ(m.m->w[0][2], 0.1f); // unit 1 never fired
        EXPECT_EQ(m.m->w[0][3], 0.2f);
        EXPECT_EQ(m.m->w[1][0], 1.0f + 0.01f * f_pos);
        EXPECT_EQ(m.m->w[1][1], 0.4f - 0.001f * f_pos);
    }
}

// The benchmark's fast loop (W_1 transposed) gives the reference's bits.
TEST(SleepReference, FastLoopSameBits)
{
    const int32_t sizes[] = {784, 50, 20, 10};
    for (int mod = 0; mod < 2; mod++) {
        ModelPtr a, b;
        ASSERT_EQ(scl_model_create(3, sizes, &a.m), SCL_OK);
        for (int32_t l = 0; l < 3; l++)
            for (int32_t i = 0; i < sizes[l] * sizes[l + 1]; i++) {
                uint32_t w[4];
                scl_rng_words(5, SCL_RNG_TEST, (uint32_t)i, 0, (uint32_t)l, w);
                a.m->w[l][i] =
                    (2.0f * scl_rng_u01(w[0]) - 1.0f) / std::sqrt((float)sizes[l]) + 0.01f;
            }
        ASSERT_EQ(scl_model_clone(a.m, &b.m), SCL_OK);
        std::vector<float> mean(784);
        for (int i = 0; i < 784; i++)
            mean[(size_t)i] = 0.3f * (float)((i * 13) % 29) / 29.0f;
        struct scl_sleep_params p = scl_sleep_default_params();
        p.steps = 200;
        p.modulation = mod ? SCL_SLEEP_MOD_CONST : SCL_SLEEP_MOD_REF;
        p.input = mod ? SCL_SLEEP_INPUT_WINDOW : SCL_SLEEP_INPUT_MEAN;
        const float alpha[] = {mod ? 12.0f : 3.0f, 8.0f, 8.0f}; // a window carries less
        std::vector<int32_t> sa(200 * 4), sb(200 * 4);
        struct scl_ref_sleep_out oa = {sa.data(), nullptr, 0}, ob = {sb.data(), nullptr, 0};
        ASSERT_EQ(scl_ref_sleep_run(a.m, &p, mean.data(), alpha, &oa), SCL_OK);
        ASSERT_EQ(scl_ref_sleep_run_fast(b.m, &p, mean.data(), alpha, &ob), SCL_OK);
        EXPECT_EQ(sa, sb);
        int64_t hidden = 0;
        for (int t = 0; t < 200; t++)
            hidden += sa[(size_t)t * 4 + 1];
        EXPECT_GT(hidden, 0);
        for (int32_t l = 0; l < 3; l++)
            EXPECT_EQ(std::memcmp(a.m->w[l], b.m->w[l],
                                  sizeof(float) * (size_t)sizes[l] * (size_t)sizes[l + 1]),
                      0)
                << "W_" << l + 1;
    }
}

TEST(SleepParams, ValidationNamesTheKey)
{
    const int32_t sizes[] = {784, 30, 20, 10}, small[] = {49, 10};
    ModelPtr m, s;
    ASSERT_EQ(scl_model_create(3, sizes, &m.m), SCL_OK);
    ASSERT_EQ(scl_model_create(1, small, &s.m), SCL_OK);
    const struct scl_sleep_params d = scl_sleep_default_params();
    EXPECT_EQ(validate(d, m.m), "ok");
    EXPECT_EQ(validate(d, nullptr), "ok");
    struct scl_sleep_params p = d;
    p.dt = 0.0f;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.dt must be")) << validate(p, m.m);
    p = d;
    p.dt = -1.0f;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.dt"));
    p = d;
    p.max_rate = NAN;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.max_rate"));
    p = d;
    p.gain = 0.0f;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.gain"));
    p = d;
    p.alpha_scale = -2.0f;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.alpha"));
    p = d;
    p.steps = 0;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.steps"));
    p = d;
    p.decay = 1.5f;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.decay must be in (0, 1]"));
    p = d;
    p.decay = 0.0f;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.decay"));
    p.decay = 1.0f;
    EXPECT_EQ(validate(p, m.m), "ok");
    p = d;
    p.inc = -1e-3f;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.inc"));
    p = d;
    p.dec = INFINITY;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.dec"));
    p = d;
    p.n_beta = 2;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.beta has 2 values, the model has 3 layers"))
        << validate(p, m.m);
    p = d;
    p.beta[1] = 0.0f;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.beta value 2"));
    p = d;
    p.beta[2] = NAN;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.beta value 3"));
    p = d;
    p.n_alpha = 2;
    p.alpha[0] = p.alpha[1] = 1.0f;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.alpha_vector has 2 values"));
    p.n_alpha = 3;
    p.alpha[2] = 1.0f;
    EXPECT_EQ(validate(p, m.m), "ok");
    p = d;
    p.modulation = (scl_sleep_mod)7;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.modulation"));
    p = d;
    p.norm = (scl_sleep_norm)-1;
    EXPECT_TRUE(contains(validate(p, m.m), "sleep.norm"));
    p = d;
    p.input = SCL_SLEEP_INPUT_WINDOW;
    p.n_beta = 1;
    EXPECT_TRUE(contains(validate(p, s.m), "sleep.input = window needs a 28x28 input"));
    p.input = SCL_SLEEP_INPUT_MEAN;
    EXPECT_EQ(validate(p, s.m), "ok");
}

TEST(SleepParams, DefaultsAreThe2024MnistSet)
{
    const struct scl_sleep_params p = scl_sleep_default_params();
    EXPECT_EQ(p.steps, 365);
    EXPECT_FLOAT_EQ(p.dt, 0.001f);
    EXPECT_FLOAT_EQ(p.max_rate, 211.9f);
    EXPECT_FLOAT_EQ(p.gain, 2.0f);
    EXPECT_FLOAT_EQ(p.alpha_scale, 15.5f);
    EXPECT_EQ(p.n_alpha, 0);
    ASSERT_EQ(p.n_beta, 3);
    EXPECT_FLOAT_EQ(p.beta[0], 24.3f);
    EXPECT_FLOAT_EQ(p.beta[1], 5.08f);
    EXPECT_FLOAT_EQ(p.beta[2], 18.42f);
    EXPECT_FLOAT_EQ(p.decay, 0.97f);
    EXPECT_FLOAT_EQ(p.inc, 7.49e-4f);
    EXPECT_FLOAT_EQ(p.dec, 1.87e-4f);
    EXPECT_EQ(p.modulation, SCL_SLEEP_MOD_REF);
    EXPECT_EQ(p.norm, SCL_SLEEP_NORM_REF);
    EXPECT_EQ(p.input, SCL_SLEEP_INPUT_MEAN);
}

TEST(SleepStats, HistogramBinsTileTheLine)
{
    double lo, hi, prev_hi = -INFINITY;
    for (int b = 0; b < SCL_SLEEP_HIST_BINS; b++) {
        scl_sleep_hist_range(b, &lo, &hi);
        if (b == SCL_SLEEP_HIST_ZERO) {
            EXPECT_EQ(lo, 0.0);
            EXPECT_EQ(hi, 0.0);
            continue;
        }
        EXPECT_LT(lo, hi) << b;
        EXPECT_EQ(lo, prev_hi) << b;
        prev_hi = hi;
    }
    EXPECT_EQ(prev_hi, INFINITY);
    scl_sleep_hist_range(SCL_SLEEP_HIST_ZERO + 4, &lo, &hi); // positive, decade 3: [1e-6, 1e-5)
    EXPECT_DOUBLE_EQ(lo, 1e-6);
    EXPECT_DOUBLE_EQ(hi, 1e-5);
    scl_sleep_hist_range(SCL_SLEEP_HIST_ZERO - 1, &lo, &hi); // smallest negative changes
    EXPECT_DOUBLE_EQ(lo, -1e-8);
    EXPECT_EQ(hi, 0.0);
}

TEST(SleepInput, MeanOfDataset)
{
    float x[] = {0.0f, 1.0f, 0.5f, 1.0f, 1.0f, 0.25f};
    uint8_t y[] = {0, 1, 0};
    scl_dataset ds = {3, 2, 1, 2, x, y, 2};
    float mean[2];
    ASSERT_EQ(scl_sleep_mean_input(&ds, mean), SCL_OK);
    EXPECT_FLOAT_EQ(mean[0], 0.5f);
    EXPECT_FLOAT_EQ(mean[1], 0.75f);
    ds.n = 0;
    EXPECT_EQ(scl_sleep_mean_input(&ds, mean), SCL_ERR_ARG);
}

// The weights a step touches, worked by hand on padded sizes (blocks of 16 floats, 64 bytes):
// W_1 (transposed, [20][32 padded]): 1 input spike reads a row of 2 blocks, 1 hidden spike
// writes a column of 20 blocks; W_2 (row-major, [5][32 padded]): 1 hidden spike reads a column
// of 5 blocks, 2 output spikes write rows of 2 blocks each. 2 + 20 + 5 + 4 = 31 blocks.
TEST(SleepTraffic, BlocksOfAStepByHand)
{
    const int32_t sizes[] = {20, 17, 5};
    const double spikes[] = {1.0, 1.0, 2.0};
    EXPECT_DOUBLE_EQ(scl_sleep_step_bytes(sizes, 2, spikes), 31.0 * 64.0);
    const double silent[] = {0.0, 0.0, 0.0};
    EXPECT_DOUBLE_EQ(scl_sleep_step_bytes(sizes, 2, silent), 0.0);
}
