// Every wake-phase kernel against its plain C twin (host/ref/ref_train.c) on shapes that are not
// multiples of any work-group size, one whole training step against the reference, and the same
// seed giving bit-identical weights twice.
//
// Tolerances: element-wise kernels that do one correctly rounded operation per element
// (ReLU, dropout, scaling, argmax, max) compare exactly. The loss gradient uses exp/log, which
// OpenCL allows a few ulp of error, against a double-precision reference rounded to float:
// relative 1e-5 with a 1e-7 absolute floor. A whole training step goes through GEMMs whose
// summation order differs from the reference's: NMSE <= 1e-7 on the updated weights.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <gtest/gtest.h>
#include <vector>

#include "device_util.h"
extern "C" {
#include "net.h"
#include "ref.h"
#include "scl_contract.h"
}

namespace
{

const int kOdd[] = {1, 3, 10, 67, 1007};

using scl_test::DevBuf;
using scl_test::nmse;
using scl_test::noise;
using scl_test::odd_data;
using scl_test::odd_model;

TEST(TrainKernels, ReluDropoutExact)
{
    SCL_REQUIRE_DEVICE();
    for (int n : kOdd) {
        for (float p : {0.0f, 0.25f, 0.9f}) {
            std::vector<float> a = noise((size_t)n, (uint32_t)n, -1, 1), ref = a;
            DevBuf d(a.data(), a.size() * 4);
            float keep = 1.0f / (1.0f - p);
            uint32_t seed = 9, step = 123, layer = 2;
            const scl_karg args[] = {SCL_KARG(d.mem), SCL_KARG(n),    SCL_KARG(p),
                                     SCL_KARG(keep),  SCL_KARG(seed), SCL_KARG(step),
                                     SCL_KARG(layer)};
            // one work-item past the last: it must not write
            size_t items = (size_t)(n + SCL_K_DROPOUT_ITEM - 1) / SCL_K_DROPOUT_ITEM + 1;
            ASSERT_EQ(scl_launch(test_ctx(), "scl_relu_dropout", items, args, 7), SCL_OK);
            scl_ref_relu_dropout(ref.data(), n, p, keep, seed, step, layer);
            std::vector<float> got = d.read<float>((size_t)n);
            for (int i = 0; i < n; i++)
                ASSERT_EQ(got[(size_t)i], ref[(size_t)i]) << "n " << n << " p " << p << " i " << i;
        }
    }
}

TEST(TrainKernels, ReluScaleAndBackwardExact)
{
    SCL_REQUIRE_DEVICE();
    for (int n : kOdd) {
        std::vector<float> a = noise((size_t)n, 3, -1, 1), g = noise((size_t)n, 4, -2, 2);
        std::vector<float> ra = a, rg = g;
        DevBuf da(a.data(), a.size() * 4), dg(g.data(), g.size() * 4);
        float scale = 0.75f, keep = 1.0f / 0.75f;
        const scl_karg s[] = {SCL_KARG(da.mem), SCL_KARG(n), SCL_KARG(scale)};
        ASSERT_EQ(scl_launch(test_ctx(), "scl_relu_scale", (size_t)n, s, 3), SCL_OK);
        scl_ref_relu_scale(ra.data(), n, scale);
        const scl_karg b[] = {SCL_KARG(dg.mem), SCL_KARG(da.mem), SCL_KARG(n), SCL_KARG(keep)};
        ASSERT_EQ(scl_launch(test_ctx(), "scl_relu_backward", (size_t)n, b, 4), SCL_OK);
        scl_ref_relu_backward(rg.data(), ra.data(), n, keep);
        EXPECT_EQ(da.read<float>((size_t)n), ra);
        EXPECT_EQ(dg.read<float>((size_t)n), rg);
    }
}

TEST(TrainKernels, LossGradMatchesReference)
{
    SCL_REQUIRE_DEVICE();
    const int pairs[][2] = {{SCL_OUTPUT_SOFTMAX, SCL_LOSS_BCE},
                            {SCL_OUTPUT_SIGMOID, SCL_LOSS_BCE},
                            {SCL_OUTPUT_SOFTMAX, SCL_LOSS_CE},
                            {SCL_OUTPUT_RELU, SCL_LOSS_MSE}};
    for (int rows : kOdd) {
        for (int k : {1, 3, 10, 20, 200}) {
            for (const auto &pr : pairs) {
                int output = pr[0], loss = pr[1], off = 5;
                std::vector<float> z = noise((size_t)(rows * k), (uint32_t)(rows + k), -6, 6);
                std::vector<int> y((size_t)rows);
                for (int r = 0; r < rows; r++)
                    y[(size_t)r] = (r * 7) % k;
                std::vector<float> rdz(z.size()), rloss((size_t)rows);
                float norm = 1.0f / (float)rows;
                scl_ref_loss_grad(z.data(), y.data(), rows, k, output, loss, norm, rdz.data(),
                                  rloss.data());
                DevBuf dz_in(z.data(), z.size() * 4), dy(y.data(), y.size() * 4);
                DevBuf ddz(nullptr, z.size() * 4), dl(nullptr, (size_t)(rows + off) * 4);
                const scl_karg a[] = {SCL_KARG(dz_in.mem), SCL_KARG(dy.mem),  SCL_KARG(rows),
                                      SCL_KARG(k),         SCL_KARG(output),  SCL_KARG(loss),
                                      SCL_KARG(norm),      SCL_KARG(ddz.mem), SCL_KARG(dl.mem),
                                      SCL_KARG(off)};
                ASSERT_EQ(scl_launch(test_ctx(), "scl_loss_grad", (size_t)rows, a, 10), SCL_OK);
                std::vector<float> gdz = ddz.read<float>(z.size());
                std::vector<float> gl = dl.read<float>((size_t)(rows + off));
                SCOPED_TRACE("rows " + std::to_string(rows) + " k " + std::to_string(k) +
                             " output " + std::to_string(output));
                for (size_t i = 0; i < z.size(); i++)
                    ASSERT_NEAR(gdz[i], rdz[i], 1e-7 + 1e-5 * std::fabs(rdz[i])) << i;
                // a float sum of k terms against a double one: the error grows with k
                const double rel = 1e-5 * std::max(1.0, k / 20.0);
                for (int r = 0; r < rows; r++)
                    ASSERT_NEAR(gl[(size_t)(off + r)], rloss[(size_t)r],
                                1e-6 + rel * std::fabs(rloss[(size_t)r]));
            }
        }
    }
}

TEST(TrainKernels, PredictAndRowMaxExact)
{
    SCL_REQUIRE_DEVICE();
    for (int rows : kOdd) {
        for (int output : {SCL_OUTPUT_SOFTMAX, SCL_OUTPUT_RELU}) {
            int k = 10, off = 2, slot = 1;
            std::vector<float> z = noise((size_t)(rows * k), (uint32_t)rows, -1, 0.3f);
            z[0] = z[1]; // a tie: lowest index wins
            std::vector<int> ref((size_t)rows);
            scl_ref_predict(z.data(), rows, k, output, ref.data());
            DevBuf dz(z.data(), z.size() * 4), dp(nullptr, (size_t)(rows + off) * 4);
            const scl_karg a[] = {SCL_KARG(dz.mem), SCL_KARG(rows),   SCL_KARG(k),
                                  SCL_KARG(output), SCL_KARG(dp.mem), SCL_KARG(off)};
            ASSERT_EQ(scl_launch(test_ctx(), "scl_predict", (size_t)rows, a, 6), SCL_OK);
            std::vector<int> got = dp.read<int>((size_t)(rows + off));
            for (int r = 0; r < rows; r++)
                ASSERT_EQ(got[(size_t)(off + r)], ref[(size_t)r]) << "row " << r;
            int zero[3] = {0, 0, 0};
            DevBuf bits(zero, sizeof(zero));
            const scl_karg m[] = {SCL_KARG(dz.mem), SCL_KARG(rows), SCL_KARG(k), SCL_KARG(bits.mem),
                                  SCL_KARG(slot)};
            ASSERT_EQ(scl_launch(test_ctx(), "scl_row_max", (size_t)rows, m, 5), SCL_OK);
            std::vector<float> mx = bits.read<float>(3);
            EXPECT_EQ(mx[1], scl_ref_max_relu(z.data(), rows * k));
            EXPECT_EQ(mx[0], 0.0f);
        }
    }
}

// One epoch over exactly one batch is one step: compare with the plain C step.
void check_one_step(struct scl_train_params p, scl_gemm_engine gemm)
{
    p.gemm = gemm;
    const int batch = 37;
    p.batch = batch;
    p.epochs = 1;
    scl_model *m = odd_model(p), *ref = nullptr;
    ASSERT_EQ(scl_model_clone(m, &ref), SCL_OK);
    scl_dataset *ds = odd_data(batch, 67, 11);
    scl_ddata *dd = nullptr;
    scl_trainer *t = nullptr;
    ASSERT_EQ(scl_ddata_create(test_ctx(), ds, &dd), SCL_OK);
    ASSERT_EQ(scl_trainer_create(test_ctx(), m, &p, &t), SCL_OK) << scl_ctx_last_error(test_ctx());
    ASSERT_EQ(scl_trainer_fit(t, dd, nullptr, nullptr), SCL_OK) << scl_ctx_last_error(test_ctx());
    ASSERT_EQ(scl_trainer_get_model(t, m), SCL_OK);

    std::vector<int32_t> perm(batch);
    scl_shuffle(perm.data(), batch, p.seed, 0);
    std::vector<float> xb((size_t)batch * 67);
    std::vector<int> yb(batch);
    for (int r = 0; r < batch; r++) {
        std::memcpy(&xb[(size_t)r * 67], ds->x + (size_t)perm[(size_t)r] * 67, 67 * 4);
        yb[(size_t)r] = ds->y[perm[(size_t)r]];
    }
    std::vector<std::vector<float>> v(3);
    float *vp[3];
    for (int l = 0; l < 3; l++) {
        v[(size_t)l].assign((size_t)(ref->sizes[l] * ref->sizes[l + 1]), 0.0f);
        vp[l] = v[(size_t)l].data();
    }
    scl_ref_train_step(ref, p.momentum > 0 ? vp : nullptr, xb.data(), yb.data(), batch, &p, p.lr,
                       0);
    for (int l = 0; l < 3; l++) {
        size_t n = (size_t)(m->sizes[l] * m->sizes[l + 1]);
        EXPECT_LE(nmse(m->w[l], ref->w[l], n), 1e-7) << "layer " << l;
        // the step must have changed the weights, or the comparison proves nothing
        scl_model *init = odd_model(p);
        EXPECT_GT(nmse(init->w[l], ref->w[l], n), 1e-9) << "layer " << l;
        scl_model_destroy(init);
    }
    scl_trainer_destroy(t);
    scl_ddata_destroy(dd);
    scl_dataset_destroy(ds);
    scl_model_destroy(ref);
    scl_model_destroy(m);
}

TEST(TrainStep, Paper2024MatchesReferenceNative)
{
    SCL_REQUIRE_DEVICE();
    check_one_step(scl_train_default_params(), SCL_GEMM_NATIVE);
}

TEST(TrainStep, Ref2022MatchesReferenceNative)
{
    SCL_REQUIRE_DEVICE();
    struct scl_train_params p = scl_train_ref2022_params();
    p.lr = 0.5f; // a large step so the update dominates the 0.01-scale weights
    check_one_step(p, SCL_GEMM_NATIVE);
}

TEST(TrainStep, CrossEntropyAndSigmoidMatchReferenceClblast)
{
    SCL_REQUIRE_DEVICE();
    struct scl_train_params p = scl_train_default_params();
    p.loss = SCL_LOSS_CE;
    check_one_step(p, SCL_GEMM_CLBLAST);
    p.loss = SCL_LOSS_BCE;
    p.output = SCL_OUTPUT_SIGMOID;
    p.momentum = 0.9f;
    check_one_step(p, SCL_GEMM_CLBLAST);
}

// Same seed, same data: bit-identical weights after several epochs; another seed differs.
TEST(TrainStep, SameSeedBitIdentical)
{
    SCL_REQUIRE_DEVICE();
    std::vector<float> w[3];
    for (uint32_t run = 0; run < 3; run++) {
        struct scl_train_params p = scl_train_default_params();
        p.seed = run == 2 ? 8 : 7;
        p.epochs = 3;
        scl_model *m = odd_model(p);
        scl_dataset *ds = odd_data(300, 67, 5);
        scl_ddata *dd = nullptr;
        scl_trainer *t = nullptr;
        ASSERT_EQ(scl_ddata_create(test_ctx(), ds, &dd), SCL_OK);
        ASSERT_EQ(scl_trainer_create(test_ctx(), m, &p, &t), SCL_OK);
        ASSERT_EQ(scl_trainer_fit(t, dd, nullptr, nullptr), SCL_OK);
        ASSERT_EQ(scl_trainer_get_model(t, m), SCL_OK);
        w[run].assign(m->w[1], m->w[1] + 31 * 13);
        scl_trainer_destroy(t);
        scl_ddata_destroy(dd);
        scl_dataset_destroy(ds);
        scl_model_destroy(m);
    }
    EXPECT_EQ(std::memcmp(w[0].data(), w[1].data(), w[0].size() * 4), 0);
    EXPECT_NE(std::memcmp(w[0].data(), w[2].data(), w[0].size() * 4), 0);
}

// Evaluation: predictions equal a host forward pass + argmax; the activation maxima equal the
// host's; task accuracy counts only the task's classes.
TEST(Eval, MatchesHostForward)
{
    SCL_REQUIRE_DEVICE();
    struct scl_train_params p = scl_train_ref2022_params();
    p.init_a = 0.3f;
    scl_model *m = odd_model(p);
    scl_dataset *ds = odd_data(1203, 67, 21); // more than one 1000-sample chunk
    scl_ddata *dd = nullptr;
    ASSERT_EQ(scl_ddata_create(test_ctx(), ds, &dd), SCL_OK);
    struct scl_eval e;
    ASSERT_EQ(scl_evaluate(test_ctx(), m, dd, SCL_GEMM_NATIVE, &e), SCL_OK)
        << scl_ctx_last_error(test_ctx());
    float amax[3];
    ASSERT_EQ(scl_model_activation_max(test_ctx(), m, dd, SCL_GEMM_NATIVE, amax), SCL_OK);
    float hmax[3] = {0, 0, 0};
    int agree = 0, correct = 0;
    for (int i = 0; i < ds->n; i++) {
        std::vector<float> a(ds->x + (size_t)i * 67, ds->x + (size_t)(i + 1) * 67);
        for (int l = 0; l < 3; l++) {
            std::vector<float> o((size_t)m->sizes[l + 1]);
            for (int r = 0; r < m->sizes[l + 1]; r++) {
                double s = 0;
                for (int c = 0; c < m->sizes[l]; c++)
                    s += (double)m->w[l][r * m->sizes[l] + c] * a[(size_t)c];
                o[(size_t)r] = (float)s;
            }
            if (l < 2)
                scl_ref_relu_scale(o.data(), (int)o.size(), m->act_scale);
            hmax[l] = std::max(hmax[l], scl_ref_max_relu(o.data(), (int)o.size()));
            a = o;
        }
        int pred;
        scl_ref_predict(a.data(), 1, 10, m->output, &pred);
        agree += pred == e.pred[i];
        correct += pred == ds->y[i];
    }
    EXPECT_GE(agree, ds->n - 2) << "near-ties may flip with summation order";
    EXPECT_NEAR(e.accuracy, (double)correct / ds->n, 2.0 / ds->n);
    for (int l = 0; l < 3; l++)
        EXPECT_NEAR(amax[l], hmax[l], 1e-5 * hmax[l] + 1e-7) << "layer " << l;
    int sum = 0;
    for (int i = 0; i < 100; i++)
        sum += e.confusion[i];
    EXPECT_EQ(sum, ds->n);
    const int32_t task[] = {0, 3};
    double ta = scl_eval_task_accuracy(&e, ds->y, task, 2);
    int tot = 0, hit = 0;
    for (int i = 0; i < ds->n; i++)
        if (ds->y[i] == 0 || ds->y[i] == 3) {
            tot++;
            hit += e.pred[i] == ds->y[i];
        }
    EXPECT_DOUBLE_EQ(ta, (double)hit / tot);
    scl_eval_free(&e);
    scl_ddata_destroy(dd);
    scl_dataset_destroy(ds);
    scl_model_destroy(m);
}

// Labels the model has no output for are refused where data meet the model, with one clear
// message, before anything indexes a one-hot target or a confusion row with them (they used to
// write past the confusion matrix).
TEST(Eval, LabelsPastTheOutputsAreRefused)
{
    SCL_REQUIRE_DEVICE();
    const int32_t sizes[] = {67, 8, 5};
    scl_model *m = nullptr;
    ASSERT_EQ(scl_model_create(2, sizes, &m), SCL_OK);
    scl_dataset *ds = odd_data(40, 67, 5); // labels 0..9
    scl_ddata *dd = nullptr;
    ASSERT_EQ(scl_ddata_create(test_ctx(), ds, &dd), SCL_OK);
    struct scl_eval e;
    EXPECT_EQ(scl_evaluate(test_ctx(), m, dd, SCL_GEMM_NATIVE, &e), SCL_ERR_ARG);
    EXPECT_NE(std::string(scl_ctx_last_error(test_ctx())).find("labels up to 9"), std::string::npos)
        << scl_ctx_last_error(test_ctx());
    struct scl_train_params p = scl_train_default_params();
    scl_trainer *t = nullptr;
    ASSERT_EQ(scl_trainer_create(test_ctx(), m, &p, &t), SCL_OK);
    EXPECT_EQ(scl_trainer_fit(t, dd, nullptr, nullptr), SCL_ERR_ARG);
    EXPECT_NE(std::string(scl_ctx_last_error(test_ctx())).find("5 outputs"), std::string::npos);
    // The next call that succeeds clears the message: it always describes the latest call.
    ASSERT_EQ(scl_trainer_get_model(t, m), SCL_OK);
    EXPECT_STREQ(scl_ctx_last_error(test_ctx()), "");
    scl_trainer_destroy(t);
    scl_ddata_destroy(dd);
    scl_dataset_destroy(ds);
    scl_model_destroy(m);
}

} // namespace
