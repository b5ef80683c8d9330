// Every cleanup path of the host-side loaders, exercised by making the n-th allocation fail
// (scl_test_fail_alloc_after) for n = 0, 1, 2, ... until the call succeeds: each
// attempt must fail cleanly with SCL_ERR_NOMEM (or succeed), never crash; the sanitizer pass
// of tools/test.sh runs this tier with LeakSanitizer, which catches what a path forgets to free.
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <string>

#include "test_dir.h"
extern "C" {
#include "internal.h"
}

namespace
{

std::string write_idx(const std::string &dir)
{
    std::ofstream img(dir + "/train-images-idx3-ubyte", std::ios::binary);
    const unsigned char ih[16] = {0, 0, 8, 3, 0, 0, 0, 20, 0, 0, 0, 2, 0, 0, 0, 2};
    img.write((const char *)ih, 16);
    for (int i = 0; i < 80; i++)
        img.put((char)i);
    std::ofstream lab(dir + "/train-labels-idx1-ubyte", std::ios::binary);
    const unsigned char lh[8] = {0, 0, 8, 1, 0, 0, 0, 20};
    lab.write((const char *)lh, 8);
    for (int i = 0; i < 20; i++)
        lab.put((char)(i % 4));
    return dir;
}

// Runs op with the n-th allocation failing, for growing n, until it succeeds.
template <typename Op> void sweep(Op op)
{
    int n = 0;
    for (; n < 1000; n++) {
        scl_test_fail_alloc_after(n);
        scl_status st = op();
        scl_test_fail_alloc_after(-1);
        if (st == SCL_OK)
            break;
        ASSERT_EQ(st, SCL_ERR_NOMEM) << "allocation " << n;
    }
    EXPECT_GT(n, 0) << "no allocation was failed: the sweep tested nothing";
    EXPECT_LT(n, 1000);
}

TEST(AllocFail, DatasetLoadSubsetBalanced)
{
    std::string dir = write_idx(scl_test_dir());
    sweep([&] {
        char msg[256];
        scl_dataset *ds = nullptr, *sub = nullptr;
        scl_status st = scl_dataset_load_dir(dir.c_str(), "train", &ds, msg, sizeof(msg));
        if (st == SCL_OK)
            st = scl_dataset_balanced(ds, 0.5, nullptr, 0, 1, &sub);
        scl_dataset_destroy(sub);
        scl_dataset_destroy(ds);
        return st;
    });
}

TEST(AllocFail, ModelCreateSaveLoadDownscale)
{
    std::string path = scl_test_dir() + "/m.safetensors";
    sweep([&] {
        const int32_t sizes[] = {5, 4, 3};
        scl_model *m = nullptr, *back = nullptr, *copy = nullptr;
        char msg[256];
        scl_status st = scl_model_create(2, sizes, &m);
        if (st == SCL_OK)
            st = scl_model_clone(m, &copy);
        if (st == SCL_OK)
            st = scl_model_downscale(copy, 0.5);
        if (st == SCL_OK)
            st = scl_model_save(m, path.c_str(), msg, sizeof(msg));
        if (st == SCL_OK)
            st = scl_model_load(path.c_str(), &back, msg, sizeof(msg));
        scl_model_destroy(back);
        scl_model_destroy(copy);
        scl_model_destroy(m);
        return st;
    });
}

} // namespace
