// Continual-learning metrics on hand-made accuracy matrices, computed by hand in the comments.
#include <cmath>
#include <gtest/gtest.h>

#include "sleepcl/sleepcl.h"

namespace
{

TEST(ClMetrics, ThreeTasksByHand)
{
    // after task 0: 0.9 on task 0; after 1: 0.6, 0.8; after 2: 0.5, 0.7, 0.95
    const double r[9] = {0.9, 0.1, 0.0, 0.6, 0.8, 0.05, 0.5, 0.7, 0.95};
    struct scl_cl_metrics m;
    ASSERT_EQ(scl_cl_metrics(r, 3, &m), SCL_OK);
    EXPECT_NEAR(m.average_accuracy, (0.5 + 0.7 + 0.95) / 3, 1e-12);
    // BWT = ((0.5 - 0.9) + (0.7 - 0.8)) / 2 = -0.25
    EXPECT_NEAR(m.backward_transfer, -0.25, 1e-12);
    // F: task 0 best 0.9 -> 0.5 (0.4); task 1 best 0.8 -> 0.7 (0.1); mean 0.25
    EXPECT_NEAR(m.forgetting, 0.25, 1e-12);
}

TEST(ClMetrics, PositiveTransferIsNegativeForgetting)
{
    // task 0 improves after task 1 (0.5 -> 0.7): BWT +0.2 and forgetting -0.2 (Chaudhry's
    // max runs over the earlier stages only, so an improvement is negative forgetting)
    const double r[4] = {0.5, 0.0, 0.7, 0.9};
    struct scl_cl_metrics m;
    ASSERT_EQ(scl_cl_metrics(r, 2, &m), SCL_OK);
    EXPECT_NEAR(m.backward_transfer, 0.2, 1e-12);
    EXPECT_NEAR(m.forgetting, -0.2, 1e-12);
    EXPECT_NEAR(m.average_accuracy, 0.8, 1e-12);
}

TEST(ClMetrics, OneTaskAndBadArgs)
{
    const double r[1] = {0.42};
    struct scl_cl_metrics m;
    ASSERT_EQ(scl_cl_metrics(r, 1, &m), SCL_OK);
    EXPECT_DOUBLE_EQ(m.average_accuracy, 0.42);
    EXPECT_DOUBLE_EQ(m.backward_transfer, 0.0);
    EXPECT_DOUBLE_EQ(m.forgetting, 0.0);
    EXPECT_EQ(scl_cl_metrics(r, 0, &m), SCL_ERR_ARG);
}

TEST(ClMetrics, BalanceScore)
{
    const double equal[3] = {0.6, 0.6, 0.6};
    EXPECT_NEAR(scl_cl_balance(equal, 3), 0.0, 1e-12);
    // a = (1, 0): mu = 0.5; KL = 1/(2*0.5) * log(1/0.5) + 0 = log 2
    const double skew[2] = {1.0, 0.0};
    EXPECT_NEAR(scl_cl_balance(skew, 2), std::log(2.0), 1e-12);
    const double zero[2] = {0.0, 0.0};
    EXPECT_TRUE(std::isnan(scl_cl_balance(zero, 2)));
}

} // namespace
