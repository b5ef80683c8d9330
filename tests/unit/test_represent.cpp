// The representation analyses (host/analysis/represent.c) against values worked by hand.
#include <cmath>
#include <gtest/gtest.h>
#include <vector>

#include "sleepcl/sleepcl.h"

// Two images of class 0 pointing the same way (correlation 1), two of class 1 on different
// units (-0.5), every cross pair -0.5; one-hot rows have sparseness 1 - (1/3)^2 / (1/3) = 2/3;
// a silent image is left out of both and counted.
TEST(Represent, CorrelationsAndSparsenessByHand)
{
    const std::vector<float> h = {1, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};
    const std::vector<uint8_t> labels = {0, 0, 1, 1, 0};
    struct scl_repr_stats s;
    ASSERT_EQ(scl_repr_stats(h.data(), labels.data(), 5, 3, &s), SCL_OK);
    EXPECT_NEAR(s.corr_within, (1.0 - 0.5) / 2, 1e-12);
    EXPECT_NEAR(s.corr_between, -0.5, 1e-12);
    EXPECT_NEAR(s.sparseness, 2.0 / 3, 1e-12);
    EXPECT_NEAR(s.active, 4.0 / 15, 1e-12);
    EXPECT_EQ(s.silent_rows, 1);
}

TEST(Represent, EquallyActiveUnitsAreNotSparseAndOneLabelHasNoBetween)
{
    const std::vector<float> h = {2, 2, 2, 2, 1, 3, 1, 3};
    const std::vector<uint8_t> labels = {4, 4};
    struct scl_repr_stats s;
    ASSERT_EQ(scl_repr_stats(h.data(), labels.data(), 2, 4, &s), SCL_OK);
    // Row 0 has no variance: no correlation, but its sparseness is 0; row 1: 1 - 4/5.
    EXPECT_TRUE(std::isnan(s.corr_within));
    EXPECT_TRUE(std::isnan(s.corr_between));
    EXPECT_NEAR(s.sparseness, (0.0 + 0.2) / 2, 1e-12);
    EXPECT_EQ(s.silent_rows, 0);
    EXPECT_EQ(scl_repr_stats(h.data(), labels.data(), 0, 4, &s), SCL_ERR_ARG);
}

// Class means [2, 3] and [5, 6] through w = [[1, 1], [0, 2]]: pre-activations [5, 6] and
// [11, 12], so drives 5.5 and 11.5; class 2 has no image.
TEST(Represent, ClassDriveByHand)
{
    const std::vector<float> prev = {1, 2, 3, 4, 5, 6};
    const std::vector<uint8_t> labels = {0, 0, 1};
    const std::vector<float> w = {1, 1, 0, 2};
    double drive[3];
    ASSERT_EQ(scl_repr_class_drive(prev.data(), labels.data(), 3, 2, w.data(), 2, 3, drive),
              SCL_OK);
    EXPECT_DOUBLE_EQ(drive[0], 5.5);
    EXPECT_DOUBLE_EQ(drive[1], 11.5);
    EXPECT_TRUE(std::isnan(drive[2]));
    EXPECT_EQ(scl_repr_class_drive(prev.data(), labels.data(), 3, 2, w.data(), 2, 1, drive),
              SCL_ERR_ARG);
}
