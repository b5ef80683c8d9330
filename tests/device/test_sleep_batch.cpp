// Batched sleep (scl_sleep_run_batch) against single sleeps (scl_sleep_run): B runs in one pass,
// each with its own parameters, steps and seed, must give every run's spike raster, spike
// counts, weights and weight-change histogram bit for bit as B separate single sleeps do. The
// single sleep is itself pinned to the plain C reference (test_sleep.cpp), so the batch is too.
// Metric: exact equality (spikes are integers, weights come from the same IEEE operations).
#include <cmath>
#include <cstring>
#include <gtest/gtest.h>
#include <vector>

#include "device_env.h"

extern "C" {
// sleep.c's test hook: work-groups per run (0 = automatic: 1 on a CPU and in a batch).
void scl_sleep_test_groups(int groups);
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

// W_l ~ U(-1, 1) / sqrt(fan_in) from the project generator (purpose TEST).
void fill_model(scl_model *m, uint32_t seed)
{
    for (int32_t l = 0; l < m->n_layers; l++) {
        size_t n = (size_t)m->sizes[l] * (size_t)m->sizes[l + 1];
        float a = 1.0f / std::sqrt((float)m->sizes[l]);
        for (size_t i = 0; i < n; i++) {
            uint32_t w[4];
            scl_rng_words(seed, SCL_RNG_TEST, (uint32_t)i, 0, (uint32_t)l, w);
            m->w[l][i] = (2.0f * scl_rng_u01(w[0]) - 1.0f) * a;
        }
    }
}

// A blob on a 28x28 grid for 784 inputs, a ramp in [0.05, 0.5] otherwise.
std::vector<float> blob_mean(int32_t n)
{
    std::vector<float> x((size_t)n);
    for (int32_t i = 0; i < n; i++) {
        float r = (float)(i / 28) - 13.5f, c = (float)(i % 28) - 13.5f;
        x[(size_t)i] = n == 784 ? 0.8f * std::exp(-(r * r) / 50.0f - (c * c) / 32.0f)
                                : 0.05f + 0.45f * (float)((i * 7) % n) / (float)n;
    }
    return x;
}

// Job i: its own seed, steps, rates and thresholds; modulation and input alternate.
struct scl_sleep_params job_params(int i, int32_t layers, bool grid, int32_t steps0 = 40)
{
    struct scl_sleep_params p = scl_sleep_default_params();
    p.alpha_scale = 1.0f; // alpha_l = the job's factor_l
    p.steps = steps0 + 17 * i;
    p.seed = 100u + (uint32_t)i;
    p.modulation = i % 2 ? SCL_SLEEP_MOD_CONST : SCL_SLEEP_MOD_REF;
    p.input = grid && i % 3 == 2 ? SCL_SLEEP_INPUT_WINDOW : SCL_SLEEP_INPUT_MEAN;
    p.n_beta = layers;
    for (int32_t l = 0; l < layers; l++)
        p.beta[l] = 0.4f + 0.15f * (float)((i + l) % 4);
    p.decay = 0.9f + 0.02f * (float)(i % 5);
    p.inc = 1e-3f * (float)(1 + i % 3);
    p.dec = 2e-4f * (float)(1 + i % 4);
    p.max_rate = 150.0f + 40.0f * (float)i;
    return p;
}

void expect_same_stats(const scl_sleep_stats &a, const scl_sleep_stats &b, int64_t cells)
{
    ASSERT_EQ(a.steps, b.steps);
    ASSERT_EQ(a.raster_units, b.raster_units);
    for (int64_t i = 0; i < (int64_t)a.steps * (a.n_layers + 1); i++)
        ASSERT_EQ(a.spikes[i], b.spikes[i]) << "spike count " << i;
    ASSERT_EQ(std::memcmp(a.raster, b.raster, (size_t)cells), 0) << "rasters differ";
    ASSERT_EQ(std::memcmp(a.hist, b.hist, sizeof(a.hist)), 0) << "histograms differ";
    for (int l = 0; l <= a.n_layers; l++)
        EXPECT_EQ(a.rate[l], b.rate[l]);
}

// B jobs on clones of m0, batched (with batch_groups work-groups per run, 0 = automatic) and
// one by one (automatic); returns total spikes of hidden layers.
int64_t expect_batch_equals_singles(const scl_model *m0, int n, float alpha_scale,
                                    int32_t steps0 = 40, int batch_groups = 0)
{
    const int32_t L = m0->n_layers;
    const bool grid = m0->sizes[0] == 784;
    std::vector<float> mean = blob_mean(m0->sizes[0]);
    std::vector<ModelPtr> batch((size_t)n), single((size_t)n);
    std::vector<scl_sleep_job> jobs((size_t)n);
    std::vector<scl_sleep_stats> bs((size_t)n), ss((size_t)n);
    int64_t hidden = 0, units = 0;
    for (int32_t l = 0; l <= L; l++)
        units += m0->sizes[l];
    for (int i = 0; i < n; i++) {
        EXPECT_EQ(scl_model_clone(m0, &batch[(size_t)i].m), SCL_OK);
        EXPECT_EQ(scl_model_clone(m0, &single[(size_t)i].m), SCL_OK);
        std::memset(&bs[(size_t)i], 0, sizeof(scl_sleep_stats));
        std::memset(&ss[(size_t)i], 0, sizeof(scl_sleep_stats));
        bs[(size_t)i].record_raster = ss[(size_t)i].record_raster = 1;
        scl_sleep_job &j = jobs[(size_t)i];
        std::memset(&j, 0, sizeof(j));
        j.model = batch[(size_t)i].m;
        j.params = job_params(i, L, grid, steps0);
        j.mean_input = mean.data();
        for (int32_t l = 0; l < L; l++)
            j.factors[l] = alpha_scale * (1.0f + 0.1f * (float)((i + l) % 3));
        j.stats = &bs[(size_t)i];
    }
    scl_sleep_test_groups(batch_groups);
    EXPECT_EQ(scl_sleep_run_batch(test_ctx(), jobs.data(), n), SCL_OK)
        << scl_ctx_last_error(test_ctx());
    scl_sleep_test_groups(0);
    for (int i = 0; i < n; i++) {
        SCOPED_TRACE("job " + std::to_string(i));
        const scl_sleep_job &j = jobs[(size_t)i];
        EXPECT_EQ(scl_sleep_run(test_ctx(), single[(size_t)i].m, &j.params, mean.data(), j.factors,
                                &ss[(size_t)i]),
                  SCL_OK);
        expect_same_stats(bs[(size_t)i], ss[(size_t)i], units * j.params.steps);
        for (int32_t l = 0; l < L; l++)
            EXPECT_EQ(std::memcmp(batch[(size_t)i].m->w[l], single[(size_t)i].m->w[l],
                                  sizeof(float) * (size_t)m0->sizes[l] * (size_t)m0->sizes[l + 1]),
                      0)
                << "W_" << l + 1;
        for (int32_t l = 1; l <= L; l++)
            hidden += (int64_t)(bs[(size_t)i].rate[l] * j.params.steps * m0->sizes[l] + 0.5);
        scl_sleep_stats_free(&bs[(size_t)i]);
        scl_sleep_stats_free(&ss[(size_t)i]);
    }
    return hidden;
}

} // namespace

// Odd sizes (not multiples of the 16-unit blocks or the 64-item groups), 7 runs that differ
// in every parameter and in their number of steps.
TEST(DeviceSleepBatch, SmallNetEqualsSingleSleeps)
{
    SCL_REQUIRE_DEVICE();
    const int32_t sizes[] = {37, 29, 17, 5};
    ModelPtr m;
    ASSERT_EQ(scl_model_create(3, sizes, &m.m), SCL_OK);
    fill_model(m.m, 3);
    EXPECT_GT(expect_batch_equals_singles(m.m, 7, 4.0f), 0) << "hidden layers were silent";
}

// The product's net, 784-1200-1200-10, with window and mean input among the runs.
TEST(DeviceSleepBatch, MnistNetEqualsSingleSleeps)
{
    SCL_REQUIRE_DEVICE();
    const int32_t sizes[] = {784, 1200, 1200, 10};
    ModelPtr m;
    ASSERT_EQ(scl_model_create(3, sizes, &m.m), SCL_OK);
    fill_model(m.m, 5);
    EXPECT_GT(expect_batch_equals_singles(m.m, 3, 3.0f), 0) << "hidden layers were silent";
}

// Runs longer than one kernel call's chunk of 256 steps, and of different lengths around it.
TEST(DeviceSleepBatch, RunsPastOneChunkEqualSingleSleeps)
{
    SCL_REQUIRE_DEVICE();
    const int32_t sizes[] = {50, 33, 21, 4};
    ModelPtr m;
    ASSERT_EQ(scl_model_create(3, sizes, &m.m), SCL_OK);
    fill_model(m.m, 9);
    EXPECT_GT(expect_batch_equals_singles(m.m, 5, 4.0f, 230), 0) << "hidden layers were silent";
}

// Several work-groups per run in a batch (the path a lone run takes on a GPU, one launch per
// call), forced here: group g must serve run g / G with the items of its share.
TEST(DeviceSleepBatch, SeveralGroupsPerRunEqualSingleSleeps)
{
    SCL_REQUIRE_DEVICE();
    const int32_t sizes[] = {37, 29, 17, 5};
    ModelPtr m;
    ASSERT_EQ(scl_model_create(3, sizes, &m.m), SCL_OK);
    fill_model(m.m, 4);
    EXPECT_GT(expect_batch_equals_singles(m.m, 4, 4.0f, 40, 3), 0) << "hidden layers were silent";
}

// A bad job is named and no model changes.
TEST(DeviceSleepBatch, BadJobIsNamedAndNothingChanges)
{
    SCL_REQUIRE_DEVICE();
    const int32_t sizes[] = {20, 10, 5};
    ModelPtr a, b;
    ASSERT_EQ(scl_model_create(2, sizes, &a.m), SCL_OK);
    ASSERT_EQ(scl_model_create(2, sizes, &b.m), SCL_OK);
    fill_model(a.m, 1);
    fill_model(b.m, 1);
    std::vector<float> mean = blob_mean(20);
    scl_sleep_job jobs[2];
    std::memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < 2; i++) {
        jobs[i].model = i ? b.m : a.m;
        jobs[i].params = job_params(i, 2, false);
        jobs[i].mean_input = mean.data();
        jobs[i].factors[0] = jobs[i].factors[1] = 2.0f;
    }
    jobs[1].params.decay = 1.5f;
    const float w0 = a.m->w[0][0];
    EXPECT_EQ(scl_sleep_run_batch(test_ctx(), jobs, 2), SCL_ERR_CONFIG);
    EXPECT_NE(std::string(scl_ctx_last_error(test_ctx())).find("job 1"), std::string::npos);
    EXPECT_NE(std::string(scl_ctx_last_error(test_ctx())).find("decay"), std::string::npos);
    EXPECT_EQ(a.m->w[0][0], w0);
    EXPECT_EQ(scl_sleep_run_batch(test_ctx(), jobs, 0), SCL_ERR_ARG);
}

// scl_evaluate_batch against scl_evaluate, model by model: the batch computes the same
// products in other GEMM shapes, so accuracies may differ by a near-tie prediction; bound: at
// most 1 sample in 300 per model. Odd sizes, more samples than one 512-row pass, ReLU output.
TEST(DeviceEvalBatch, MatchesEvaluateModelByModel)
{
    SCL_REQUIRE_DEVICE();
    const int32_t sizes[] = {37, 29, 17, 5};
    const int32_t n_samples = 700, n_models = 6;
    std::vector<float> x((size_t)n_samples * 37);
    std::vector<uint8_t> y((size_t)n_samples);
    for (size_t i = 0; i < x.size(); i++) {
        uint32_t w[4];
        scl_rng_words(5, SCL_RNG_TEST, (uint32_t)i, 2, 0, w);
        x[i] = scl_rng_u01(w[0]);
    }
    for (int32_t i = 0; i < n_samples; i++)
        y[(size_t)i] = (uint8_t)(i % 5);
    scl_dataset ds = {n_samples, 37, 1, 37, x.data(), y.data(), 5};
    scl_ddata *d = nullptr;
    ASSERT_EQ(scl_ddata_create(test_ctx(), &ds, &d), SCL_OK);
    for (int output : {(int)SCL_OUTPUT_SOFTMAX, (int)SCL_OUTPUT_RELU}) {
        std::vector<ModelPtr> models((size_t)n_models);
        std::vector<const scl_model *> ptrs;
        for (int b = 0; b < n_models; b++) {
            ASSERT_EQ(scl_model_create(3, sizes, &models[(size_t)b].m), SCL_OK);
            fill_model(models[(size_t)b].m, 20u + (uint32_t)b);
            models[(size_t)b].m->output = output;
            models[(size_t)b].m->act_scale = 0.75f;
            ptrs.push_back(models[(size_t)b].m);
        }
        std::vector<double> acc((size_t)n_models);
        ASSERT_EQ(
            scl_evaluate_batch(test_ctx(), ptrs.data(), n_models, d, SCL_GEMM_AUTO, acc.data()),
            SCL_OK)
            << scl_ctx_last_error(test_ctx());
        for (int b = 0; b < n_models; b++) {
            scl_eval e;
            ASSERT_EQ(scl_evaluate(test_ctx(), ptrs[(size_t)b], d, SCL_GEMM_AUTO, &e), SCL_OK);
            EXPECT_NEAR(acc[(size_t)b], e.accuracy, 1.0 / 300) << "model " << b;
            scl_eval_free(&e);
        }
    }
    ModelPtr other;
    const int32_t other_sizes[] = {37, 28, 17, 5};
    ASSERT_EQ(scl_model_create(3, other_sizes, &other.m), SCL_OK);
    std::vector<double> acc(2);
    const scl_model *bad[] = {other.m, other.m};
    bad[0] = nullptr;
    scl_model *m0 = nullptr;
    ASSERT_EQ(scl_model_create(3, sizes, &m0), SCL_OK);
    bad[0] = m0;
    EXPECT_EQ(scl_evaluate_batch(test_ctx(), bad, 2, d, SCL_GEMM_AUTO, acc.data()), SCL_ERR_ARG);
    scl_model_destroy(m0);
    scl_ddata_destroy(d);
}
