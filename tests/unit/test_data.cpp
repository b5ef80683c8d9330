// Class-balanced subsets: exactly equal counts per class, the same subset for the same seed and
// another for another seed, the class filter, and fraction 1 meaning the whole set.
#include <cmath>
#include <gtest/gtest.h>
#include <map>
#include <vector>

#include "sleepcl/sleepcl.h"

namespace
{

scl_dataset *skewed(int n)
{
    scl_dataset *ds = (scl_dataset *)calloc(1, sizeof(scl_dataset));
    ds->n = n;
    ds->dim = 2;
    ds->n_classes = 10;
    ds->x = (float *)calloc((size_t)n * 2, sizeof(float));
    ds->y = (uint8_t *)malloc((size_t)n);
    for (int i = 0; i < n; i++) {
        ds->y[i] = (uint8_t)(i % 13 < 10 ? i % 13 : 0); // class 0 is over-represented
        ds->x[2 * i] = (float)i;
    }
    return ds;
}

std::map<int, int> counts(const scl_dataset *ds)
{
    std::map<int, int> c;
    for (int i = 0; i < ds->n; i++)
        c[ds->y[i]]++;
    return c;
}

TEST(Data, BalancedExactCounts)
{
    scl_dataset *ds = skewed(13000), *sub = nullptr;
    ASSERT_EQ(scl_dataset_balanced(ds, 0.03, nullptr, 0, 1, &sub), SCL_OK);
    auto c = counts(sub);
    EXPECT_EQ(c.size(), 10u);
    for (auto &kv : c)
        EXPECT_EQ(kv.second, 39) << "class " << kv.first; // round(0.03 * 13000 / 10)
    scl_dataset_destroy(sub);
    scl_dataset_destroy(ds);
}

TEST(Data, SeedFixesSubset)
{
    scl_dataset *ds = skewed(5000), *a = nullptr, *b = nullptr, *c = nullptr;
    ASSERT_EQ(scl_dataset_balanced(ds, 0.1, nullptr, 0, 7, &a), SCL_OK);
    ASSERT_EQ(scl_dataset_balanced(ds, 0.1, nullptr, 0, 7, &b), SCL_OK);
    ASSERT_EQ(scl_dataset_balanced(ds, 0.1, nullptr, 0, 8, &c), SCL_OK);
    ASSERT_EQ(a->n, b->n);
    std::vector<float> xa(a->x, a->x + 2 * a->n), xb(b->x, b->x + 2 * b->n),
        xc(c->x, c->x + 2 * c->n);
    EXPECT_EQ(xa, xb);
    EXPECT_NE(xa, xc);
    scl_dataset_destroy(a);
    scl_dataset_destroy(b);
    scl_dataset_destroy(c);
    scl_dataset_destroy(ds);
}

TEST(Data, ClassFilterAndCap)
{
    scl_dataset *ds = skewed(1300), *sub = nullptr;
    const int32_t classes[] = {3, 5};
    ASSERT_EQ(scl_dataset_balanced(ds, 0.9, classes, 2, 1, &sub), SCL_OK);
    auto c = counts(sub);
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[3], 90); // 0.9 * 200 / 2 = 90, below the class size of 100
    EXPECT_EQ(c[5], 90);
    scl_dataset_destroy(sub);
    ASSERT_EQ(scl_dataset_balanced(ds, 0.95, nullptr, 0, 1, &sub), SCL_OK);
    for (auto &kv : counts(sub))
        EXPECT_EQ(kv.second, 100); // capped by the smallest class
    scl_dataset_destroy(sub);
    scl_dataset_destroy(ds);
}

TEST(Data, FractionOneIsWholeSet)
{
    scl_dataset *ds = skewed(1300), *sub = nullptr;
    ASSERT_EQ(scl_dataset_balanced(ds, 1.0, nullptr, 0, 1, &sub), SCL_OK);
    EXPECT_EQ(sub->n, 1300);
    scl_dataset_destroy(sub);
    EXPECT_EQ(scl_dataset_balanced(ds, 0.0, nullptr, 0, 1, &sub), SCL_ERR_ARG);
    scl_dataset_destroy(ds);
}

} // namespace

namespace
{

TEST(Data, CutClassKeepsShare)
{
    scl_dataset *ds = skewed(2600), *bal = nullptr, *cut = nullptr;
    ASSERT_EQ(scl_dataset_balanced(ds, 0.5, nullptr, 0, 3, &bal), SCL_OK);
    ASSERT_EQ(scl_dataset_cut_class(bal, 4, 0.3, 3, &cut), SCL_OK);
    auto before = counts(bal), after = counts(cut);
    EXPECT_EQ(after[4], (int)std::lround(0.3 * before[4]));
    for (auto &kv : before)
        if (kv.first != 4)
            EXPECT_EQ(after[kv.first], kv.second) << "class " << kv.first;
    scl_dataset_destroy(cut);
    EXPECT_EQ(scl_dataset_cut_class(bal, 4, 0.0, 3, &cut), SCL_ERR_ARG);
    scl_dataset_destroy(bal);
    scl_dataset_destroy(ds);
}

} // namespace
