// iCaRL's host pieces (host/wake/icarl.c) and the plain C twin of its loss kernel
// (host/ref/ref_icarl.c) against values worked out by hand: herding's order on three 2-D
// features, the normalised class means and the nearest-mean rule, the distillation loss and
// gradient of a 2-output row; then the gradient against central differences of the loss, and
// herding against a brute-force greedy search written from the definition.
#include <cmath>
#include <gtest/gtest.h>
#include <vector>

extern "C" {
#include "internal.h"
#include "ref.h"
}

namespace
{

// Rows (1, 0), (0, 1), (0.8, 0.6): the mean is (0.6, 0.5333). The first pick is the row nearest
// to it, (0.8, 0.6) at squared distance 0.0444 (against 0.444 and 0.578); with it, the mean of
// two is (0.4, 0.8) with (0, 1) (distance^2 0.111) or (0.9, 0.3) with (1, 0) (0.144): (0, 1).
TEST(Icarl, HerdingByHand)
{
    const std::vector<float> f = {1.0f, 0.0f, 0.0f, 1.0f, 0.8f, 0.6f};
    std::vector<int32_t> chosen(3, -1);
    ASSERT_EQ(scl_herding(f.data(), 3, 2, 3, chosen.data()), SCL_OK);
    EXPECT_EQ(chosen, (std::vector<int32_t>{2, 1, 0}));
    ASSERT_EQ(scl_herding(f.data(), 3, 2, 1, chosen.data()), SCL_OK);
    EXPECT_EQ(chosen[0], 2);
    EXPECT_EQ(scl_herding(f.data(), 3, 2, 4, chosen.data()), SCL_ERR_ARG);
}

TEST(Icarl, NormaliseRowsByHand)
{
    std::vector<float> x = {3.0f, 4.0f, 0.0f, 0.0f};
    scl_l2_normalise_rows(x.data(), 2, 2);
    EXPECT_FLOAT_EQ(x[0], 0.6f);
    EXPECT_FLOAT_EQ(x[1], 0.8f);
    EXPECT_EQ(x[2], 0.0f); // a zero row stays zero
    EXPECT_EQ(x[3], 0.0f);
}

// Class 7's exemplars (1, 0) and (0.6, 0.8): mean (0.8, 0.4), normalised (0.8944, 0.4472);
// class 2's (0, 1). (1, 0) is at squared distance 0.211 from class 7 and 2 from class 2;
// (0, 1) at 1.106 and 0; (0.6, 0.8) at 0.211 and 0.4.
TEST(Icarl, NearestMeanByHand)
{
    const std::vector<float> f = {1.0f, 0.0f, 0.0f, 1.0f, 0.6f, 0.8f};
    const int32_t rows7[] = {0, 2}, rows2[] = {1};
    std::vector<float> means(4);
    scl_nme_mean(f.data(), rows7, 2, 2, means.data());
    scl_nme_mean(f.data(), rows2, 1, 2, means.data() + 2);
    EXPECT_NEAR(means[0], 2.0 / std::sqrt(5.0), 1e-6);
    EXPECT_NEAR(means[1], 1.0 / std::sqrt(5.0), 1e-6);
    EXPECT_EQ(means[2], 0.0f);
    EXPECT_EQ(means[3], 1.0f);
    const int32_t classes[] = {7, 2};
    std::vector<int32_t> pred(3, -1);
    scl_nme_classify(f.data(), 3, 2, means.data(), classes, 2, pred.data());
    EXPECT_EQ(pred, (std::vector<int32_t>{7, 2, 7}));
}

// z = (0, ln 3): outputs (0.5, 0.75). Class 0 is old with old logit -ln 3 (target 0.25), class
// 1 the label (target 1). Loss -(0.25 ln 0.5 + 0.75 ln 0.5) - ln 0.75 = ln(8/3); gradient
// o - t = (0.25, -0.25). Without old classes the target is one-hot (0, 1): (0.5, -0.25).
TEST(Icarl, DistillLossAndGradientByHand)
{
    const double z[] = {0.0, std::log(3.0)}, q[] = {-std::log(3.0), 5.0};
    const int old[] = {1, 0}, none[] = {0, 0};
    double dz[2];
    EXPECT_NEAR(scl_ref_distill_loss_d(z, q, old, 2, 1), std::log(8.0 / 3.0), 1e-12);
    scl_ref_distill_grad_d(z, q, old, 2, 1, dz);
    EXPECT_NEAR(dz[0], 0.25, 1e-12);
    EXPECT_NEAR(dz[1], -0.25, 1e-12);
    scl_ref_distill_grad_d(z, q, none, 2, 1, dz);
    EXPECT_NEAR(dz[0], 0.5, 1e-12);
    EXPECT_NEAR(dz[1], -0.25, 1e-12);
    // the float form scales by norm and reports the row's loss
    const float zf[] = {0.0f, (float)std::log(3.0)}, qf[] = {(float)-std::log(3.0), 5.0f};
    const int y[] = {1};
    float dzf[2], loss;
    scl_ref_distill_grad(zf, y, qf, old, 1, 2, 0.5f, dzf, &loss);
    EXPECT_NEAR(dzf[0], 0.125f, 1e-6);
    EXPECT_NEAR(dzf[1], -0.125f, 1e-6);
    EXPECT_NEAR(loss, std::log(8.0 / 3.0), 1e-6);
}

double uniform(uint32_t seed, uint32_t i, double lo, double hi)
{
    uint32_t w[4];
    scl_rng_words(seed, SCL_RNG_TEST, i, 7, 0, w);
    return lo + (hi - lo) * (double)scl_rng_u01(w[0]);
}

// The analytic gradient against central differences of the loss, 10 outputs, half old.
TEST(Icarl, DistillGradientMatchesFiniteDifferences)
{
    const int k = 10;
    for (uint32_t trial = 0; trial < 20; trial++) {
        double z[k], q[k], dz[k];
        int old[k];
        for (int j = 0; j < k; j++) {
            z[j] = uniform(trial, (uint32_t)j, -4, 4);
            q[j] = uniform(trial, (uint32_t)(100 + j), -4, 4);
            old[j] = (j + (int)trial) % 2;
        }
        int label = (int)(trial % k);
        scl_ref_distill_grad_d(z, q, old, k, label, dz);
        for (int j = 0; j < k; j++) {
            const double h = 1e-6;
            double zp[k], zm[k];
            std::copy(z, z + k, zp);
            std::copy(z, z + k, zm);
            zp[j] += h;
            zm[j] -= h;
            double fd = (scl_ref_distill_loss_d(zp, q, old, k, label) -
                         scl_ref_distill_loss_d(zm, q, old, k, label)) /
                        (2 * h);
            EXPECT_NEAR(dz[j], fd, 1e-7) << "trial " << trial << " output " << j;
        }
    }
}

// Herding against the greedy search of its definition: each pick minimises |mu - mean of the
// picks| directly, over 200 random normalised rows of 13 features; a prefix is the smaller m.
TEST(Icarl, HerdingIsTheGreedyMeanMatch)
{
    const int n = 200, dim = 13, m = 25;
    std::vector<float> f((size_t)n * dim);
    for (size_t i = 0; i < f.size(); i++)
        f[i] = (float)uniform(3, (uint32_t)i, 0, 1);
    scl_l2_normalise_rows(f.data(), n, dim);
    std::vector<double> mu(dim, 0.0), sum(dim, 0.0);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < dim; j++)
            mu[(size_t)j] += f[(size_t)i * dim + j] / (double)n;
    std::vector<int32_t> got(m), small(5);
    std::vector<bool> taken(n, false);
    ASSERT_EQ(scl_herding(f.data(), n, dim, m, got.data()), SCL_OK);
    for (int k = 1; k <= m; k++) {
        int best = -1;
        double best_d = 0;
        for (int i = 0; i < n; i++) {
            if (taken[(size_t)i])
                continue;
            double d = 0;
            for (int j = 0; j < dim; j++) {
                double e = mu[(size_t)j] - (sum[(size_t)j] + f[(size_t)i * dim + j]) / k;
                d += e * e;
            }
            if (best < 0 || d < best_d) {
                best = i;
                best_d = d;
            }
        }
        ASSERT_EQ(got[(size_t)k - 1], best) << "pick " << k;
        taken[(size_t)best] = true;
        for (int j = 0; j < dim; j++)
            sum[(size_t)j] += f[(size_t)best * dim + j];
    }
    ASSERT_EQ(scl_herding(f.data(), n, dim, 5, small.data()), SCL_OK);
    EXPECT_EQ(small, std::vector<int32_t>(got.begin(), got.begin() + 5));
}

// Predictions handed in are counted as scl_evaluate counts its own.
TEST(Icarl, EvalFromPredictions)
{
    const int32_t pred[] = {0, 1, 1, 2};
    const uint8_t labels[] = {0, 1, 2, 2};
    struct scl_eval e;
    ASSERT_EQ(scl_eval_predictions(pred, labels, 4, 3, &e), SCL_OK);
    EXPECT_DOUBLE_EQ(e.accuracy, 0.75);
    EXPECT_DOUBLE_EQ(e.class_accuracy[2], 0.5);
    EXPECT_EQ(e.confusion[2 * 3 + 1], 1);
    scl_eval_free(&e);
    const uint8_t bad[] = {0, 1, 2, 3}; // a label with no class
    EXPECT_EQ(scl_eval_predictions(pred, bad, 4, 3, &e), SCL_ERR_ARG);
}

} // namespace
