// The binary-patches toy's generator: patterns of the asked size, task-1 patterns disjoint,
// each task-2 pattern sharing exactly `overlap` pixels with its task-1 partner and none with
// anything else; samples are their pattern with about `flip` of the pixels flipped; one seed
// gives one set, another seed or set another; parameters out of range are refused.
#include <cstdint>
#include <gtest/gtest.h>
#include <vector>

#include "sleepcl/sleepcl.h"

namespace
{

constexpr int kGrid = SCL_PATCH_SIDE * SCL_PATCH_SIDE;

int shared(const uint8_t *a, const uint8_t *b)
{
    int n = 0;
    for (int j = 0; j < kGrid; j++)
        n += a[j] && b[j];
    return n;
}

TEST(Patches, OverlapsAreExactlyAsAsked)
{
    for (int32_t pixels : {1, 10, 20, 25})
        for (int32_t overlap = 0; overlap <= pixels; overlap += 3) {
            const scl_patches_params p = {pixels, overlap, 0.0f};
            uint8_t m[4][kGrid];
            for (int c = 0; c < 4; c++) {
                ASSERT_EQ(scl_patches_pattern(&p, 9, c, m[c]), SCL_OK);
                EXPECT_EQ(shared(m[c], m[c]), pixels);
            }
            EXPECT_EQ(shared(m[0], m[1]), 0);
            EXPECT_EQ(shared(m[2], m[0]), overlap);
            EXPECT_EQ(shared(m[3], m[1]), overlap);
            EXPECT_EQ(shared(m[2], m[1]), 0);
            EXPECT_EQ(shared(m[3], m[0]), 0);
            EXPECT_EQ(shared(m[2], m[3]), 0);
        }
}

TEST(Patches, SamplesAreTheirPatternWithFlips)
{
    const scl_patches_params p = {20, 8, 0.05f};
    scl_dataset *a = nullptr, *b = nullptr, *c = nullptr;
    ASSERT_EQ(scl_dataset_patches(&p, 3, 0, 500, &a), SCL_OK);
    ASSERT_EQ(scl_dataset_patches(&p, 3, 0, 500, &b), SCL_OK);
    ASSERT_EQ(scl_dataset_patches(&p, 3, 1, 500, &c), SCL_OK);
    ASSERT_EQ(a->n, 2000);
    EXPECT_EQ(a->dim, kGrid);
    EXPECT_EQ(a->n_classes, 4);
    uint8_t m[4][kGrid];
    for (int k = 0; k < 4; k++)
        scl_patches_pattern(&p, 3, k, m[k]);
    long flips = 0, same = 0, differ = 0;
    for (int i = 0; i < a->n; i++) {
        EXPECT_EQ(a->y[i], i % 4);
        for (int j = 0; j < kGrid; j++) {
            float v = a->x[i * kGrid + j];
            ASSERT_TRUE(v == 0.0f || v == 1.0f);
            flips += (v == 1.0f) != (m[a->y[i]][j] == 1);
            same += v == b->x[i * kGrid + j];
            differ += v != c->x[i * kGrid + j];
        }
    }
    double rate = (double)flips / (2000.0 * kGrid);
    EXPECT_NEAR(rate, 0.05, 0.003); // 200,000 pixels: the std of the rate is 0.0005
    EXPECT_EQ(same, 2000L * kGrid); // one seed and set, one data set
    EXPECT_GT(differ, 10000);       // the test set is drawn apart from the training set
    scl_dataset_destroy(a);
    scl_dataset_destroy(b);
    scl_dataset_destroy(c);
}

TEST(Patches, OutOfRangeRefused)
{
    uint8_t m[kGrid];
    scl_dataset *ds = nullptr;
    const scl_patches_params bad[] = {
        {26, 0, 0}, {0, 0, 0}, {10, 11, 0}, {10, -1, 0}, {10, 5, 0.5f}};
    for (const scl_patches_params &p : bad) {
        EXPECT_EQ(scl_patches_pattern(&p, 1, 0, m), SCL_ERR_ARG);
        EXPECT_EQ(scl_dataset_patches(&p, 1, 0, 10, &ds), SCL_ERR_ARG);
        EXPECT_EQ(ds, nullptr);
    }
    const scl_patches_params ok = {10, 5, 0.1f};
    EXPECT_EQ(scl_patches_pattern(&ok, 1, 4, m), SCL_ERR_ARG);
    EXPECT_EQ(scl_dataset_patches(&ok, 1, 0, 0, &ds), SCL_ERR_ARG);
}

} // namespace
