// The gradient of every output/loss pair against central finite differences of the loss, in
// double precision on the host. The MSE profile's gradient deliberately ignores
// the output ReLU's derivative, so it is checked where the ReLU is active (z > 0), where both
// agree, and against o - t where it is not.
#include <cmath>
#include <gtest/gtest.h>

extern "C" {
#include "ref.h"
}

namespace
{

struct Case {
    int output, loss;
    const char *name;
};

const Case kCases[] = {
    {SCL_OUTPUT_SOFTMAX, SCL_LOSS_BCE, "softmax+bce"},
    {SCL_OUTPUT_SIGMOID, SCL_LOSS_BCE, "sigmoid+bce"},
    {SCL_OUTPUT_SOFTMAX, SCL_LOSS_CE, "softmax+ce"},
    {SCL_OUTPUT_RELU, SCL_LOSS_MSE, "relu+mse"},
};

TEST(LossGrad, MatchesFiniteDifferences)
{
    const int k = 10;
    for (const Case &c : kCases) {
        for (int trial = 0; trial < 20; trial++) {
            SCOPED_TRACE(std::string(c.name) + " trial " + std::to_string(trial));
            double z[k], g[k];
            for (int j = 0; j < k; j++) {
                uint32_t w[4];
                scl_rng_words(5, SCL_RNG_TEST, (uint32_t)(trial * k + j), 0, 0, w);
                z[j] = 4.0 * scl_rng_u01(w[0]) - 2.0;
                if (c.output == SCL_OUTPUT_RELU)
                    z[j] = std::fabs(z[j]) + 0.1; // active region: the derivative exists
            }
            int label = trial % k;
            scl_ref_loss_grad_d(z, k, label, c.output, c.loss, g);
            for (int j = 0; j < k; j++) {
                const double h = 1e-6;
                double zp[k], zm[k];
                for (int q = 0; q < k; q++)
                    zp[q] = zm[q] = z[q];
                zp[j] += h;
                zm[j] -= h;
                double fd = (scl_ref_loss_d(zp, k, label, c.output, c.loss) -
                             scl_ref_loss_d(zm, k, label, c.output, c.loss)) /
                            (2 * h);
                EXPECT_NEAR(g[j], fd, 1e-6 * (1.0 + std::fabs(fd))) << "output " << j;
            }
        }
    }
}

// ref2022: the gradient is o - t even where the output ReLU is off (the reference ignores it).
TEST(LossGrad, MseIgnoresOutputRelu)
{
    const int k = 3;
    double z[k] = {-1.0, 0.5, -0.2}, g[k];
    scl_ref_loss_grad_d(z, k, 0, SCL_OUTPUT_RELU, SCL_LOSS_MSE, g);
    EXPECT_DOUBLE_EQ(g[0], 0.0 - 1.0);
    EXPECT_DOUBLE_EQ(g[1], 0.5);
    EXPECT_DOUBLE_EQ(g[2], 0.0);
}

// Saturated softmax-BCE stays finite (the log clamp and the 1e-12 floor).
TEST(LossGrad, SaturatedStaysFinite)
{
    const int k = 10;
    double z[k] = {80, -80, 0, 0, 0, 0, 0, 0, 0, 0}, g[k];
    for (int label : {0, 1}) {
        double l = scl_ref_loss_d(z, k, label, SCL_OUTPUT_SOFTMAX, SCL_LOSS_BCE);
        scl_ref_loss_grad_d(z, k, label, SCL_OUTPUT_SOFTMAX, SCL_LOSS_BCE, g);
        EXPECT_TRUE(std::isfinite(l));
        for (double v : g)
            EXPECT_TRUE(std::isfinite(v));
    }
}

} // namespace
