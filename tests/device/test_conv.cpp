// The convolution kernels of cl/conv.cl against their plain C twins (host/ref/ref_conv.c) on odd
// shapes and both input layouts, col2im as im2col's adjoint, and the feature extractor
// (host/vae/extractor.c): its loss and conv-weight gradients against finite differences of a
// double-precision reference, training on a toy set, and a save/load round trip.
//
// Tolerances: im2col copies and col2im sums in the reference's order, so both compare exactly.
// The gradients are float GEMMs against central differences in double: 1e-3 absolute plus 2%
// relative (a ReLU kink crossed by the difference step would show as a larger error).
#include <cmath>
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "device_util.h"
#include "test_dir.h"
extern "C" {
#include "extractor.h"
#include "net.h"
#include "ref_conv.h"
}

using scl_test::DevBuf;
using scl_test::noise;

namespace
{

// im2col or col2im on the device with geometry g.
void run_conv(const char *name, cl_mem from, const scl_ref_conv_geom &g, cl_mem to, size_t items)
{
    const scl_karg a[] = {SCL_KARG(from),     SCL_KARG(g.n),   SCL_KARG(g.c),  SCL_KARG(g.h),
                          SCL_KARG(g.w),      SCL_KARG(g.ho),  SCL_KARG(g.wo), SCL_KARG(g.k),
                          SCL_KARG(g.stride), SCL_KARG(g.pad), SCL_KARG(g.sn), SCL_KARG(g.sc),
                          SCL_KARG(g.sy),     SCL_KARG(g.sx),  SCL_KARG(to)};
    ASSERT_EQ(scl_launch(test_ctx(), name, items, a, 15), SCL_OK) << name;
}

// Odd shapes: n x c x h x w in, stride, and CHW (hwc false) or HWC sample layout.
std::vector<scl_ref_conv_geom> shapes()
{
    std::vector<scl_ref_conv_geom> out;
    for (int n : {1, 3})
        for (int c : {1, 3})
            for (int h : {1, 5, 7})
                for (int stride : {1, 2})
                    for (bool hwc : {false, true}) {
                        int w = h == 7 ? 6 : h; // one non-square shape
                        scl_ref_conv_geom g = {n,
                                               c,
                                               h,
                                               w,
                                               (h - 1) / stride + 1,
                                               (w - 1) / stride + 1,
                                               3,
                                               stride,
                                               1,
                                               c * h * w,
                                               hwc ? 1 : h * w,
                                               hwc ? w * c : w,
                                               hwc ? c : 1};
                        out.push_back(g);
                    }
    return out;
}

std::string name_of(const scl_ref_conv_geom &g)
{
    return std::to_string(g.n) + "x" + std::to_string(g.c) + "x" + std::to_string(g.h) + "x" +
           std::to_string(g.w) + " s" + std::to_string(g.stride) + (g.sx == 1 ? " chw" : " hwc");
}

TEST(ConvKernels, Im2colAndCol2imMatchReferenceExactly)
{
    SCL_REQUIRE_DEVICE();
    for (const scl_ref_conv_geom &g : shapes()) {
        size_t in_n = (size_t)g.n * g.c * g.h * g.w;
        size_t col_n = (size_t)g.n * g.ho * g.wo * g.c * g.k * g.k;
        std::vector<float> x = noise(in_n, (uint32_t)in_n, -1, 1);
        std::vector<float> ref(col_n);
        scl_ref_im2col(x.data(), &g, ref.data());
        DevBuf dx(x), dcol(nullptr, col_n * 4);
        run_conv("scl_im2col", dx.mem, g, dcol.mem, (size_t)g.n * g.ho * g.wo * g.c);
        std::vector<float> got = dcol.read(col_n);
        for (size_t i = 0; i < col_n; i++)
            ASSERT_EQ(got[i], ref[i]) << "im2col " << name_of(g) << " at " << i;

        std::vector<float> c = noise(col_n, (uint32_t)col_n, -1, 1, 1), gref(in_n, 7.0f);
        scl_ref_col2im(c.data(), &g, gref.data());
        DevBuf dc(c), dg(std::vector<float>(in_n, 7.0f));
        run_conv("scl_col2im", dc.mem, g, dg.mem, (size_t)g.n * g.h * g.w);
        std::vector<float> gg = dg.read(in_n);
        for (size_t i = 0; i < in_n; i++)
            ASSERT_EQ(gg[i], gref[i]) << "col2im " << name_of(g) << " at " << i;
    }
}

// <im2col(x), c> = <x, col2im(c)>: col2im is the adjoint, so it is the input's gradient.
TEST(ConvKernels, Col2imIsTheAdjointOfIm2col)
{
    for (const scl_ref_conv_geom &g : shapes()) {
        size_t in_n = (size_t)g.n * g.c * g.h * g.w;
        size_t col_n = (size_t)g.n * g.ho * g.wo * g.c * g.k * g.k;
        std::vector<float> x = noise(in_n, 3, -1, 1), c = noise(col_n, 4, -1, 1);
        std::vector<float> col(col_n), gin(in_n);
        scl_ref_im2col(x.data(), &g, col.data());
        scl_ref_col2im(c.data(), &g, gin.data());
        double a = 0, b = 0;
        for (size_t i = 0; i < col_n; i++)
            a += (double)col[i] * c[i];
        for (size_t i = 0; i < in_n; i++)
            b += (double)x[i] * gin[i];
        EXPECT_NEAR(a, b, 1e-4 * (1 + std::fabs(a))) << name_of(g);
    }
}

struct Toy {
    scl_extractor_params p = {2, 5, 2, {3, 4}};
    int classes = 3, n = 4;
    scl_train_params tp = scl_train_default_params();
    Toy()
    {
        tp.optimizer = SCL_OPTIMIZER_ADAM;
        tp.batch = n;
        tp.lr = 1e-3f;
        tp.seed = 5;
    }
};

// The reference loss of e's current weights on (x, y).
double ref_loss(scl_extractor *e, const Toy &t, const std::vector<float> &x,
                const std::vector<uint8_t> &y)
{
    std::vector<std::vector<float>> w(t.p.n_layers + 1), b(t.p.n_layers + 1);
    std::vector<const float *> wp, bp;
    for (int l = 0; l <= t.p.n_layers; l++) {
        w[l].resize((size_t)scl_extractor_tensor_size(e, l, SCL_EXT_WEIGHT));
        b[l].resize((size_t)scl_extractor_tensor_size(e, l, SCL_EXT_BIAS));
        EXPECT_EQ(scl_extractor_tensor(e, l, SCL_EXT_WEIGHT, w[l].data(), false), SCL_OK);
        EXPECT_EQ(scl_extractor_tensor(e, l, SCL_EXT_BIAS, b[l].data(), false), SCL_OK);
        wp.push_back(w[l].data());
        bp.push_back(b[l].data());
    }
    return scl_ref_extractor_loss_d(x.data(), y.data(), t.n, t.p.in_channels, t.p.side,
                                    t.p.n_layers, t.p.channels, wp.data(), bp.data(),
                                    w[t.p.n_layers].data(), b[t.p.n_layers].data(), t.classes);
}

// Every weight of layer l (conv or head) against central differences of the reference loss.
void check_gradient(scl_extractor *e, const Toy &t, int l, const std::vector<float> &x,
                    const std::vector<uint8_t> &y)
{
    size_t n = (size_t)scl_extractor_tensor_size(e, l, SCL_EXT_WEIGHT);
    std::vector<float> w(n), g(n);
    ASSERT_EQ(scl_extractor_tensor(e, l, SCL_EXT_WEIGHT, w.data(), false), SCL_OK);
    ASSERT_EQ(scl_extractor_tensor(e, l, SCL_EXT_GRAD, g.data(), false), SCL_OK);
    for (size_t i = 0; i < n; i++) {
        std::vector<float> wp = w;
        float h = 1e-3f;
        wp[i] = w[i] + h;
        float up = wp[i];
        ASSERT_EQ(scl_extractor_tensor(e, l, SCL_EXT_WEIGHT, wp.data(), true), SCL_OK);
        double lp = ref_loss(e, t, x, y);
        wp[i] = w[i] - h;
        float down = wp[i];
        ASSERT_EQ(scl_extractor_tensor(e, l, SCL_EXT_WEIGHT, wp.data(), true), SCL_OK);
        double lm = ref_loss(e, t, x, y);
        double fd = (lp - lm) / ((double)up - (double)down);
        EXPECT_NEAR(g[i], fd, 1e-3 + 0.02 * std::fabs(fd)) << "layer " << l << " weight " << i;
    }
    ASSERT_EQ(scl_extractor_tensor(e, l, SCL_EXT_WEIGHT, w.data(), true), SCL_OK);
}

TEST(Extractor, LossAndWeightGradientsMatchFiniteDifferences)
{
    SCL_REQUIRE_DEVICE();
    Toy t;
    scl_extractor *e = nullptr;
    ASSERT_EQ(scl_extractor_create(test_ctx(), &t.p, t.classes, &t.tp, &e), SCL_OK)
        << scl_ctx_last_error(test_ctx());
    EXPECT_EQ(scl_extractor_dim(e), 4 * 3 * 3); // 5x5 -> 5x5 (stride 1) -> 3x3 (stride 2)
    std::vector<float> x = noise((size_t)t.n * 2 * 25, 21, 0, 1);
    std::vector<uint8_t> y = {0, 2, 1, 2};
    double loss = 0;
    ASSERT_EQ(scl_extractor_loss_grad(e, x.data(), y.data(), t.n, &loss), SCL_OK)
        << scl_ctx_last_error(test_ctx());
    double ref = ref_loss(e, t, x, y);
    EXPECT_NEAR(loss, ref, 1e-5 * (1 + ref));
    for (int l = 0; l <= t.p.n_layers; l++) // both convolutions (the first through col2im), head
        check_gradient(e, t, l, x, y);
    scl_extractor_destroy(e);
}

// 3 classes told apart by which colour plane is bright: the extractor learns them, and a saved
// copy gives the same features bit for bit.
TEST(Extractor, LearnsToyColoursAndRoundTripsThroughAFile)
{
    SCL_REQUIRE_DEVICE();
    Toy t;
    t.p = {3, 6, 3, {4, 5, 6}};
    t.tp.batch = 16;
    t.tp.lr = 1e-2f;
    int n = 96, dim = 3 * 36;
    scl_dataset ds = {n, dim, 18, 6, nullptr, nullptr, 3};
    std::vector<float> x = noise((size_t)n * dim, 8, 0, 0.5f);
    std::vector<uint8_t> y((size_t)n);
    for (int i = 0; i < n; i++) {
        y[(size_t)i] = (uint8_t)(i % 3);
        for (int j = 0; j < 36; j++)
            x[(size_t)i * dim + (size_t)y[(size_t)i] * 36 + (size_t)j] += 0.5f;
    }
    ds.x = x.data();
    ds.y = y.data();
    scl_extractor *e = nullptr;
    scl_ddata *dd = nullptr;
    ASSERT_EQ(scl_extractor_create(test_ctx(), &t.p, 3, &t.tp, &e), SCL_OK);
    ASSERT_EQ(scl_ddata_create(test_ctx(), &ds, &dd), SCL_OK);
    double before = 0, after = 0, loss = 0;
    ASSERT_EQ(scl_extractor_accuracy(e, &ds, &before), SCL_OK);
    ASSERT_EQ(scl_extractor_train(e, dd, 60, &loss), SCL_OK) << scl_ctx_last_error(test_ctx());
    ASSERT_EQ(scl_extractor_accuracy(e, &ds, &after), SCL_OK);
    EXPECT_GE(after, 0.95) << "before " << before << ", loss " << loss;
    EXPECT_LT(loss, 0.5);

    std::string path = scl_test_dir() + "/extractor.safetensors";
    char msg[512] = "";
    ASSERT_EQ(scl_extractor_save(e, path.c_str(), msg, sizeof(msg)), SCL_OK) << msg;
    scl_extractor *back = nullptr;
    ASSERT_EQ(scl_extractor_load(test_ctx(), path.c_str(), &t.tp, &back, msg, sizeof(msg)), SCL_OK)
        << msg;
    scl_dataset *f1 = nullptr, *f2 = nullptr;
    ASSERT_EQ(scl_extractor_features(e, &ds, &f1), SCL_OK);
    ASSERT_EQ(scl_extractor_features(back, &ds, &f2), SCL_OK);
    ASSERT_EQ(f1->dim, 6 * 2 * 2);
    EXPECT_EQ(std::memcmp(f1->x, f2->x, sizeof(float) * (size_t)n * f1->dim), 0);
    EXPECT_EQ(std::memcmp(f1->y, y.data(), (size_t)n), 0);

    FILE *f = std::fopen(path.c_str(), "r+b"); // a header that lies about a shape is refused
    ASSERT_NE(f, nullptr);
    std::vector<char> blob(4096);
    size_t len = std::fread(blob.data(), 1, blob.size(), f);
    std::string text(blob.data(), len);
    const std::string key = "\"conv2.weight\":{\"dtype\":\"F32\",\"shape\":[";
    size_t at = text.find(key + "5,4");
    ASSERT_NE(at, std::string::npos);
    std::fseek(f, (long)(at + key.size()), SEEK_SET);
    std::fputc('6', f);
    std::fclose(f);
    scl_extractor *bad = nullptr;
    EXPECT_EQ(scl_extractor_load(test_ctx(), path.c_str(), &t.tp, &bad, msg, sizeof(msg)),
              SCL_ERR_DATA);
    EXPECT_NE(std::string(msg).find("conv2.weight"), std::string::npos) << msg;
    std::string cut = "head -c 200 '" + path + "' > '" + path + ".cut'"; // truncated: refused
    ASSERT_EQ(std::system(cut.c_str()), 0);
    EXPECT_NE(
        scl_extractor_load(test_ctx(), (path + ".cut").c_str(), &t.tp, &bad, msg, sizeof(msg)),
        SCL_OK);
    EXPECT_NE(std::string(msg).find(".cut"), std::string::npos) << msg;
    EXPECT_EQ(bad, nullptr);

    scl_dataset_destroy(f1);
    scl_dataset_destroy(f2);
    scl_extractor_destroy(back);
    scl_ddata_destroy(dd);
    scl_extractor_destroy(e);
}

} // namespace
