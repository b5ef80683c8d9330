// iCaRL on the device against its plain C references, on shapes that are multiples of no
// work-group size:
//   - scl_distill_grad against scl_ref_distill_grad (host/ref/ref_icarl.c, double) for 1..1007
//     rows of 10 and 7 outputs, without old classes (q NULL) and with several: within 1e-5
//     relative plus a few float ulps of o and t (o - t cancels) times norm;
//   - scl_model_features at the output and the penultimate layer against a host forward pass;
//   - the trainer's step: with nothing old it is the reference SGD step of sigmoid + BCE, whose
//     mean over the k outputs makes it the iCaRL step at k times the learning rate (NMSE
//     <= 1e-7); with every class old and the net's own logits as the targets the gradient is
//     zero and the weights stay the same bits, which holds only if each batch row meets its own
//     sample's old logits (the gather by the epoch's permutation);
//   - refusals: distillation for another method, a fit on other data than the targets'.
#include <cmath>
#include <cstring>
#include <gtest/gtest.h>
#include <vector>

#include "device_util.h"
extern "C" {
#include "ref.h"
#include "trainer.h"
}

namespace
{

using scl_test::DevBuf;
using scl_test::nmse;
using scl_test::odd_model;
using scl_test::Rig;

std::vector<float> noise(size_t n, uint32_t seed, float lo, float hi)
{
    return scl_test::noise(n, seed, lo, hi, 5);
}

void check_distill_kernel(int rows, int k, const std::vector<int> &old)
{
    std::vector<float> z = noise((size_t)(rows * k), 1, -6, 6);
    std::vector<float> q = noise((size_t)(rows * k), 2, -6, 6);
    std::vector<int> y((size_t)rows);
    for (int r = 0; r < rows; r++)
        y[(size_t)r] = (r * 7 + 3) % k;
    bool any = false;
    for (int o : old)
        any = any || o;
    std::vector<float> want((size_t)(rows * k)), want_loss((size_t)rows);
    float norm = 1.0f / (float)rows;
    scl_ref_distill_grad(z.data(), y.data(), any ? q.data() : nullptr, old.data(), rows, k, norm,
                         want.data(), want_loss.data());
    DevBuf dz(z), dq(q), dy(y.data(), y.size() * 4), dold(old.data(), old.size() * 4);
    DevBuf dgrad(nullptr, want.size() * 4), dloss(nullptr, (size_t)(rows + 2) * 4);
    cl_mem qm = any ? dq.mem : nullptr;
    int off = 2;
    const scl_karg a[] = {SCL_KARG(dz.mem),   SCL_KARG(dy.mem),    SCL_KARG(qm),
                          SCL_KARG(dold.mem), SCL_KARG(rows),      SCL_KARG(k),
                          SCL_KARG(norm),     SCL_KARG(dgrad.mem), SCL_KARG(dloss.mem),
                          SCL_KARG(off)};
    ASSERT_EQ(scl_launch(test_ctx(), "scl_distill_grad", (size_t)rows, a, 10), SCL_OK);
    std::vector<float> got = dgrad.read(want.size()), loss = dloss.read((size_t)rows + 2);
    for (size_t i = 0; i < want.size(); i++)
        ASSERT_NEAR(got[i], want[i], 1e-5 * std::fabs(want[i]) + 5e-7 * norm) << i; // o - t cancels
    for (int r = 0; r < rows; r++)
        ASSERT_NEAR(loss[(size_t)(r + off)], want_loss[(size_t)r],
                    1e-5 * std::fabs(want_loss[(size_t)r]) + 1e-6)
            << r;
}

TEST(IcarlKernels, DistillGradMatchesReference)
{
    SCL_REQUIRE_DEVICE();
    for (int rows : {1, 3, 67, 1007}) {
        for (int k : {10, 7}) {
            SCOPED_TRACE("rows " + std::to_string(rows) + " k " + std::to_string(k));
            std::vector<int> none((size_t)k, 0), some((size_t)k, 0), all((size_t)k, 1);
            for (int j = 0; j < k; j += 3)
                some[(size_t)j] = 1;
            check_distill_kernel(rows, k, none);
            check_distill_kernel(rows, k, some);
            check_distill_kernel(rows, k, all);
        }
    }
}

// Test-mode forward on the host: hidden ReLU times act_scale, the output's z.
std::vector<float> host_layer(const scl_model *m, const float *x, int n, int layer)
{
    std::vector<float> in(x, x + (size_t)n * m->sizes[0]), out;
    for (int l = 0; l < layer; l++) {
        int a = m->sizes[l], b = m->sizes[l + 1];
        out.assign((size_t)n * b, 0.0f);
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < b; o++) {
                double s = 0;
                for (int j = 0; j < a; j++)
                    s += (double)m->w[l][(size_t)o * a + j] * in[(size_t)i * a + j];
                bool hidden = l + 1 < m->n_layers;
                out[(size_t)i * b + o] =
                    hidden ? (float)(s > 0 ? s * m->act_scale : 0.0) : (float)s;
            }
        }
        in = out;
    }
    return out;
}

TEST(IcarlTrainer, FeaturesAreTheForwardPass)
{
    SCL_REQUIRE_DEVICE();
    for (scl_train_params p : {scl_train_default_params(), scl_train_ref2022_params()}) {
        p.init_a = 0.3f;
        scl_model *m = odd_model(p);
        scl_dataset *ds = scl_test::odd_data(1007, 67, 3, 0, 5); // more than one eval chunk
        scl_ddata *dd = nullptr;
        ASSERT_EQ(scl_ddata_create(test_ctx(), ds, &dd), SCL_OK);
        for (int layer : {2, 3}) {
            std::vector<float> got((size_t)ds->n * m->sizes[layer]);
            ASSERT_EQ(scl_model_features(test_ctx(), m, dd, SCL_GEMM_AUTO, layer, got.data()),
                      SCL_OK);
            std::vector<float> want = host_layer(m, ds->x, ds->n, layer);
            EXPECT_LE(nmse(got.data(), want.data(), want.size()), 1e-10) << "layer " << layer;
        }
        EXPECT_EQ(scl_model_features(test_ctx(), m, dd, SCL_GEMM_AUTO, 0, nullptr), SCL_ERR_ARG);
        scl_ddata_destroy(dd);
        scl_dataset_destroy(ds);
        scl_model_destroy(m);
    }
}

scl_train_params icarl_params()
{
    scl_train_params p = scl_train_default_params();
    p.method = SCL_METHOD_ICARL;
    p.output = SCL_OUTPUT_SIGMOID;
    p.lr = 0.3f;
    p.batch = 41;
    p.epochs = 1;
    p.gemm = SCL_GEMM_NATIVE;
    p.init_a = 0.3f;
    return p;
}

TEST(IcarlTrainer, StepWithoutOldClassesIsTheSigmoidBceStep)
{
    SCL_REQUIRE_DEVICE();
    scl_train_params p = icarl_params();
    Rig r(p, 41, 9, 5);
    scl_model *ref = r.fit();
    ASSERT_FALSE(HasFailure());
    std::vector<int32_t> perm(41);
    scl_shuffle(perm.data(), 41, p.seed, 0);
    std::vector<float> xb(41 * 67);
    std::vector<int> yb(41);
    for (size_t i = 0; i < 41; i++) {
        std::memcpy(&xb[i * 67], r.ds->x + (size_t)perm[i] * 67, 67 * 4);
        yb[i] = r.ds->y[perm[i]];
    }
    scl_train_params bce = p;
    bce.method = SCL_METHOD_SGD;
    bce.loss = SCL_LOSS_BCE;
    scl_ref_train_step(ref, nullptr, xb.data(), yb.data(), 41, &bce, p.lr * 10.0f, 0);
    for (int l = 0; l < 3; l++) {
        size_t n = (size_t)(r.m->sizes[l] * r.m->sizes[l + 1]);
        EXPECT_LE(nmse(r.m->w[l], ref->w[l], n), 1e-7) << "layer " << l;
    }
}

TEST(IcarlTrainer, OwnLogitsAsTargetsLeaveTheWeights)
{
    SCL_REQUIRE_DEVICE();
    scl_train_params p = icarl_params();
    p.dropout = 0.0f; // the training forward is then the test forward
    p.epochs = 2;
    Rig r(p, 203, 9, 5); // four batches and a short one, shuffled
    std::vector<float> logits((size_t)203 * 10);
    ASSERT_EQ(scl_model_features(test_ctx(), r.m, r.dd, p.gemm, 3, logits.data()), SCL_OK);
    const int32_t every[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    ASSERT_EQ(scl_trainer_set_distill(r.t, r.dd, logits.data(), every, 10), SCL_OK);
    ASSERT_EQ(scl_trainer_fit(r.t, r.dd, nullptr, nullptr), SCL_OK)
        << scl_ctx_last_error(test_ctx());
    scl_model *after = nullptr;
    ASSERT_EQ(scl_model_clone(r.m, &after), SCL_OK);
    ASSERT_EQ(scl_trainer_get_model(r.t, after), SCL_OK);
    for (int l = 0; l < 3; l++)
        EXPECT_EQ(std::memcmp(after->w[l], r.m->w[l],
                              sizeof(float) * (size_t)(r.m->sizes[l] * r.m->sizes[l + 1])),
                  0)
            << "layer " << l;
    // half the classes old: the new ones' one-hot targets move the weights
    ASSERT_EQ(scl_trainer_set_distill(r.t, r.dd, logits.data(), every, 5), SCL_OK);
    ASSERT_EQ(scl_trainer_fit(r.t, r.dd, nullptr, nullptr), SCL_OK);
    ASSERT_EQ(scl_trainer_get_model(r.t, after), SCL_OK);
    EXPECT_GT(nmse(after->w[2], r.m->w[2], 13 * 10), 1e-8);
    // targets of other data refuse a fit; an unknown class refuses the targets
    scl_dataset *other = scl_test::odd_data(203, 67, 10, 0, 5);
    scl_ddata *dother = nullptr;
    ASSERT_EQ(scl_ddata_create(test_ctx(), other, &dother), SCL_OK);
    EXPECT_EQ(scl_trainer_fit(r.t, dother, nullptr, nullptr), SCL_ERR_ARG);
    const int32_t bad[] = {10};
    EXPECT_EQ(scl_trainer_set_distill(r.t, r.dd, logits.data(), bad, 1), SCL_ERR_ARG);
    scl_ddata_destroy(dother);
    scl_dataset_destroy(other);
    scl_model_destroy(after);
}

TEST(IcarlTrainer, DistillationNeedsIcarl)
{
    SCL_REQUIRE_DEVICE();
    scl_train_params p = icarl_params();
    p.method = SCL_METHOD_SGD;
    Rig r(p, 41, 9, 5);
    std::vector<float> logits((size_t)41 * 10, 0.0f);
    const int32_t old[] = {0};
    EXPECT_EQ(scl_trainer_set_distill(r.t, r.dd, logits.data(), old, 1), SCL_ERR_ARG);
}

} // namespace
