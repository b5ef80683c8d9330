// Every kernel of cl/vae.cl against its plain C twin (host/ref/ref_vae.c) on odd shapes, Adam
// over several steps, the tripartite model end to end on generated data (it learns, and one
// seed gives the same weights twice), and SRC's sleep on its classifier path.
//
// Tolerances: kernels built from exp/log/sqrt/cos (which OpenCL allows a few ulp) compare with
// relative 1e-5 and a small absolute floor; the bias/ReLU kernel is one rounded add and compares
// exactly; Adam compares to 1e-6 relative after each of 5 steps.
#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "device_util.h"
extern "C" {
#include "net.h"
#include "ref_vae.h"
#include "scl_contract.h"
}

using scl_test::DevBuf;
using scl_test::noise;

namespace
{

const int kRows[] = {1, 3, 67};
const int kCols[] = {1, 7, 101};

void expect_close(const std::vector<float> &got, const std::vector<float> &ref, double rel,
                  double abs_floor, const std::string &what)
{
    ASSERT_EQ(got.size(), ref.size()) << what;
    for (size_t i = 0; i < ref.size(); i++)
        ASSERT_NEAR(got[i], ref[i], abs_floor + rel * std::fabs(ref[i])) << what << " at " << i;
}

TEST(VaeKernels, NormalFillMatchesReferenceAndIsStandard)
{
    SCL_REQUIRE_DEVICE();
    for (int n : {1, 7, 1001, 20001}) {
        uint32_t seed = 11, step = 3, stream = 1;
        std::vector<float> ref((size_t)n);
        scl_ref_normal_fill(ref.data(), n, seed, step, stream);
        DevBuf d(nullptr, (size_t)n * 4);
        const scl_karg a[] = {SCL_KARG(d.mem), SCL_KARG(n), SCL_KARG(seed), SCL_KARG(step),
                              SCL_KARG(stream)};
        ASSERT_EQ(scl_launch(test_ctx(), "scl_normal_fill", (size_t)(n + 1) / 2, a, 5), SCL_OK);
        expect_close(d.read((size_t)n), ref, 1e-5, 1e-5, "normal n=" + std::to_string(n));
        if (n > 10000) { // moments of a standard normal, 20001 draws: 5 standard errors
            double s = 0, s2 = 0;
            for (float v : ref) {
                s += v;
                s2 += (double)v * v;
            }
            EXPECT_NEAR(s / n, 0.0, 5.0 / std::sqrt((double)n));
            EXPECT_NEAR(s2 / n, 1.0, 5.0 * std::sqrt(2.0 / n));
        }
    }
}

TEST(VaeKernels, BiasActExact)
{
    SCL_REQUIRE_DEVICE();
    for (int rows : kRows)
        for (int cols : kCols)
            for (int act : {SCL_VAE_ACT_NONE, SCL_VAE_ACT_RELU, SCL_VAE_ACT_SIGMOID}) {
                int off = 5, n = rows * cols;
                std::vector<float> a = noise((size_t)(off + n), (uint32_t)(rows + cols), -3, 3);
                std::vector<float> b = noise((size_t)cols, 9, -1, 1);
                std::vector<float> ref(a.begin() + off, a.end());
                scl_ref_bias_act(ref.data(), rows, cols, b.data(), act);
                DevBuf da(a), db(b);
                const scl_karg k[] = {SCL_KARG(da.mem), SCL_KARG(off),    SCL_KARG(rows),
                                      SCL_KARG(cols),   SCL_KARG(db.mem), SCL_KARG(act)};
                ASSERT_EQ(scl_launch(test_ctx(), "scl_bias_act", (size_t)n, k, 6), SCL_OK);
                std::vector<float> got = da.read((size_t)(off + n));
                for (int i = 0; i < off; i++) // before the offset: untouched
                    ASSERT_EQ(got[(size_t)i], a[(size_t)i]);
                std::vector<float> tail(got.begin() + off, got.end());
                if (act == SCL_VAE_ACT_SIGMOID)
                    expect_close(tail, ref, 1e-5, 1e-7, "sigmoid");
                else
                    EXPECT_EQ(tail, ref);
            }
}

TEST(VaeKernels, ReparamReconHeadMatchReference)
{
    SCL_REQUIRE_DEVICE();
    for (int rows : kRows)
        for (int nz : kCols) {
            int d = nz + 2, hn = rows * 2 * nz, zn = rows * nz, xn = rows * d;
            std::vector<float> head = noise((size_t)hn, 1, -2, 2),
                               eps = noise((size_t)zn, 2, -2, 2);
            std::vector<float> dz = noise((size_t)zn, 3, -1, 1), rw = noise((size_t)rows, 4, 0, 1);
            std::vector<float> o = noise((size_t)xn, 5, -8, 8), x = noise((size_t)xn, 6, 0, 1);
            float norm = 1.0f / (float)d;
            std::vector<float> rz((size_t)zn), rg((size_t)xn), rh((size_t)hn);
            scl_ref_reparam(head.data(), eps.data(), rows, nz, rz.data());
            scl_ref_recon_grad(o.data(), x.data(), rw.data(), rows, d, norm, rg.data());
            scl_ref_head_grad(head.data(), eps.data(), dz.data(), rw.data(), rows, nz, norm,
                              rh.data());
            DevBuf dhead(head), deps(eps), ddz(dz), drw(rw), dout(o), dx(x);
            DevBuf gz(nullptr, (size_t)zn * 4), gg(nullptr, (size_t)xn * 4),
                gh(nullptr, (size_t)hn * 4);
            const scl_karg a[] = {SCL_KARG(dhead.mem), SCL_KARG(deps.mem), SCL_KARG(rows),
                                  SCL_KARG(nz), SCL_KARG(gz.mem)};
            ASSERT_EQ(scl_launch(test_ctx(), "scl_vae_reparam", (size_t)zn, a, 5), SCL_OK);
            const scl_karg b[] = {SCL_KARG(dout.mem), SCL_KARG(dx.mem), SCL_KARG(drw.mem),
                                  SCL_KARG(rows),     SCL_KARG(d),      SCL_KARG(norm),
                                  SCL_KARG(gg.mem)};
            ASSERT_EQ(scl_launch(test_ctx(), "scl_vae_recon_grad", (size_t)xn, b, 7), SCL_OK);
            const scl_karg c[] = {SCL_KARG(dhead.mem), SCL_KARG(deps.mem), SCL_KARG(ddz.mem),
                                  SCL_KARG(drw.mem),   SCL_KARG(rows),     SCL_KARG(nz),
                                  SCL_KARG(norm),      SCL_KARG(gh.mem)};
            ASSERT_EQ(scl_launch(test_ctx(), "scl_vae_head_grad", (size_t)zn, c, 8), SCL_OK);
            std::string at = " rows " + std::to_string(rows) + " nz " + std::to_string(nz);
            expect_close(gz.read((size_t)zn), rz, 1e-5, 1e-6, "reparam" + at);
            expect_close(gg.read((size_t)xn), rg, 1e-5, 1e-8, "recon" + at);
            expect_close(gh.read((size_t)hn), rh, 1e-5, 1e-6, "head" + at);
        }
}

TEST(VaeKernels, ClassGradAndSoftTargetsMatchReference)
{
    SCL_REQUIRE_DEVICE();
    for (int rows : kRows)
        for (int k : {2, 3, 10, 37}) {
            int prev = k > 2 ? k - 2 : 1;
            float t = 2.0f;
            std::vector<float> z = noise((size_t)(rows * k), (uint32_t)(rows * k), -6, 6);
            std::vector<float> tz = noise((size_t)(rows * prev), 7, -6, 6);
            std::vector<float> rw = noise((size_t)rows, 8, 0, 1);
            std::vector<int> lab((size_t)rows);
            for (int r = 0; r < rows; r++) // every other row distilled
                lab[(size_t)r] = r % 2 ? -1 : (r * 5) % k;
            std::vector<float> rq((size_t)(rows * k)), rdl(rq.size()), rl((size_t)rows);
            scl_ref_soft_targets(tz.data(), rows, prev, k, t, rq.data());
            scl_ref_class_grad(z.data(), rows, k, lab.data(), rq.data(), t, rw.data(), rdl.data(),
                               rl.data());
            DevBuf dtz(tz), dq(nullptr, rq.size() * 4), dz(z), dlab(lab.data(), lab.size() * 4),
                drw(rw), ddl(nullptr, rq.size() * 4), dl(nullptr, (size_t)rows * 4);
            const scl_karg a[] = {SCL_KARG(dtz.mem), SCL_KARG(rows), SCL_KARG(prev),
                                  SCL_KARG(k),       SCL_KARG(t),    SCL_KARG(dq.mem)};
            ASSERT_EQ(scl_launch(test_ctx(), "scl_soft_targets", (size_t)rows, a, 6), SCL_OK);
            std::vector<float> q = dq.read(rq.size());
            std::string at = " rows " + std::to_string(rows) + " k " + std::to_string(k);
            expect_close(q, rq, 1e-5, 1e-7, "soft targets" + at);
            const scl_karg b[] = {SCL_KARG(dz.mem),   SCL_KARG(rows),    SCL_KARG(k),
                                  SCL_KARG(dlab.mem), SCL_KARG(dq.mem),  SCL_KARG(t),
                                  SCL_KARG(drw.mem),  SCL_KARG(ddl.mem), SCL_KARG(dl.mem)};
            ASSERT_EQ(scl_launch(test_ctx(), "scl_vae_class_grad", (size_t)rows, b, 9), SCL_OK);
            expect_close(ddl.read(rq.size()), rdl, 1e-5, 1e-6, "class grad" + at);
            expect_close(dl.read((size_t)rows), rl, 1e-5, 1e-5, "class loss" + at);
        }
}

TEST(VaeKernels, AdamMatchesReferenceOverSteps)
{
    SCL_REQUIRE_DEVICE();
    for (int n : {1, 7, 1001}) {
        std::vector<float> w = noise((size_t)n, 1, -1, 1), m((size_t)n, 0.0f), v((size_t)n, 0.0f);
        DevBuf dw(w), dm(m), dv(v), dg(nullptr, (size_t)n * 4);
        float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        for (int step = 1; step <= 5; step++) {
            std::vector<float> g = noise((size_t)n, 100u + (uint32_t)step, -1, 1);
            ASSERT_EQ(scl_buf_write(test_ctx(), dg.mem, 0, (size_t)n * 4, g.data()), SCL_OK);
            float bc1 = (float)(1.0 - std::pow(0.9, step)),
                  bc2 = (float)(1.0 - std::pow(0.999, step));
            scl_ref_adam_step(w.data(), g.data(), m.data(), v.data(), n, lr, b1, b2, eps, bc1, bc2);
            const scl_karg a[] = {SCL_KARG(dw.mem), SCL_KARG(dg.mem), SCL_KARG(dm.mem),
                                  SCL_KARG(dv.mem), SCL_KARG(n),      SCL_KARG(lr),
                                  SCL_KARG(b1),     SCL_KARG(b2),     SCL_KARG(eps),
                                  SCL_KARG(bc1),    SCL_KARG(bc2)};
            ASSERT_EQ(scl_launch(test_ctx(), "scl_adam_step", (size_t)n, a, 11), SCL_OK);
            std::string at = " n " + std::to_string(n) + " step " + std::to_string(step);
            expect_close(dw.read((size_t)n), w, 1e-6, 1e-7, "w" + at);
            expect_close(dm.read((size_t)n), m, 1e-6, 1e-9, "m" + at);
            expect_close(dv.read((size_t)n), v, 1e-6, 1e-12, "v" + at);
        }
        // the first step moves every weight by about lr against its gradient's sign
    }
}

// The wake trainer with train.optimizer = adam: three full-batch steps against the reference
// Adam fed with the gradients an SGD trainer (lr 1) takes at the same weights. The gradients so
// recovered carry the rounding of w - (w - g), so the tolerance is 5% of the step size lr.
TEST(VaeKernels, TrainerAdamStepsMatchReference)
{
    SCL_REQUIRE_DEVICE();
    const int n = 40;
    struct scl_train_params p = scl_train_default_params();
    p.dropout = 0.0f;
    p.batch = n;
    p.epochs = 1;
    p.seed = 3;
    scl_model *w = scl_test::odd_model(p), *ref = nullptr, *sgd_out = nullptr;
    ASSERT_EQ(scl_model_clone(w, &ref), SCL_OK);
    ASSERT_EQ(scl_model_clone(w, &sgd_out), SCL_OK);
    scl_dataset *ds = scl_test::odd_data(n, 67, 4);
    scl_ddata *d = nullptr;
    ASSERT_EQ(scl_ddata_create(test_ctx(), ds, &d), SCL_OK);
    struct scl_train_params pa = p, ps = p;
    pa.optimizer = SCL_OPTIMIZER_ADAM;
    pa.lr = 1e-3f;
    ps.lr = 1.0f;
    scl_trainer *adam = nullptr, *sgd = nullptr;
    ASSERT_EQ(scl_trainer_create(test_ctx(), w, &pa, &adam), SCL_OK);
    ASSERT_EQ(scl_trainer_create(test_ctx(), w, &ps, &sgd), SCL_OK);
    std::vector<std::vector<float>> m(3), v(3), g(3);
    for (int l = 0; l < 3; l++) {
        size_t k = (size_t)w->sizes[l] * (size_t)w->sizes[l + 1];
        m[l].assign(k, 0.0f);
        v[l].assign(k, 0.0f);
        g[l].resize(k);
    }
    for (int step = 1; step <= 3; step++) {
        ASSERT_EQ(scl_trainer_set_model(sgd, ref), SCL_OK);
        ASSERT_EQ(scl_trainer_fit(sgd, d, nullptr, nullptr), SCL_OK);
        ASSERT_EQ(scl_trainer_get_model(sgd, sgd_out), SCL_OK);
        float bc1 = (float)(1.0 - std::pow(0.9, step)), bc2 = (float)(1.0 - std::pow(0.999, step));
        for (int l = 0; l < 3; l++) {
            for (size_t i = 0; i < g[l].size(); i++)
                g[l][i] = ref->w[l][i] - sgd_out->w[l][i];
            scl_ref_adam_step(ref->w[l], g[l].data(), m[l].data(), v[l].data(), (int)g[l].size(),
                              pa.lr, pa.adam_beta1, pa.adam_beta2, pa.adam_eps, bc1, bc2);
        }
        ASSERT_EQ(scl_trainer_fit(adam, d, nullptr, nullptr), SCL_OK);
        ASSERT_EQ(scl_trainer_get_model(adam, w), SCL_OK);
        for (int l = 0; l < 3; l++)
            for (size_t i = 0; i < g[l].size(); i++)
                ASSERT_NEAR(w->w[l][i], ref->w[l][i], 0.05 * pa.lr)
                    << "step " << step << " layer " << l << " weight " << i;
    }
    struct scl_train_params bad = pa;
    bad.method = SCL_METHOD_OWM;
    scl_trainer *none = nullptr;
    EXPECT_EQ(scl_trainer_create(test_ctx(), w, &bad, &none), SCL_ERR_ARG);
    scl_trainer_destroy(adam);
    scl_trainer_destroy(sgd);
    scl_ddata_destroy(d);
    scl_dataset_destroy(ds);
    scl_model_destroy(w);
    scl_model_destroy(ref);
    scl_model_destroy(sgd_out);
}

TEST(VaeKernels, AdamFirstStepIsLrTimesSign)
{
    std::vector<float> w = {0.5f, -0.5f, 0.0f}, g = {2.0f, -0.01f, 1e-3f}, m(3, 0.0f), v(3, 0.0f);
    scl_ref_adam_step(w.data(), g.data(), m.data(), v.data(), 3, 0.1f, 0.9f, 0.999f, 1e-8f,
                      1.0f - 0.9f, 1.0f - 0.999f);
    EXPECT_NEAR(w[0], 0.4f, 1e-5);
    EXPECT_NEAR(w[1], -0.4f, 1e-5);
    EXPECT_NEAR(w[2], -0.1f, 1e-4);
}

// Three tasks of two classes on generated data: each class a fixed random pattern of bright
// pixels with noise. With REM the model must keep the first task's classes well above chance
// at the end; the run must be reproducible bit for bit.
scl_dataset *pattern_data(int per_class, int classes, int dim, uint32_t stream)
{
    scl_dataset *ds = static_cast<scl_dataset *>(std::calloc(1, sizeof(scl_dataset)));
    ds->n = per_class * classes;
    ds->dim = dim;
    ds->rows = 1;
    ds->cols = dim;
    ds->n_classes = classes;
    ds->x = static_cast<float *>(std::malloc(sizeof(float) * (size_t)(ds->n * dim)));
    ds->y = static_cast<uint8_t *>(std::malloc((size_t)ds->n));
    std::vector<float> proto = noise((size_t)(classes * dim), 77, 0, 1);
    std::vector<float> jitter = noise((size_t)(ds->n * dim), 78, -0.2f, 0.2f, stream);
    for (int i = 0; i < ds->n; i++) {
        int c = i % classes;
        ds->y[i] = (uint8_t)c;
        for (int j = 0; j < dim; j++) {
            float v = (proto[(size_t)(c * dim + j)] > 0.7f ? 0.9f : 0.05f) +
                      jitter[(size_t)(i * dim + j)];
            ds->x[(size_t)i * dim + j] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
    }
    return ds;
}

struct TriRun {
    std::vector<double> first_task; // accuracy on classes 0, 1 after each task
    std::vector<float> weights;     // every layer at the end
};

TriRun run_tri(int rem)
{
    TriRun out;
    const int classes = 6, dim = 49;
    scl_dataset *train = pattern_data(60, classes, dim, 1),
                *test = pattern_data(30, classes, dim, 2);
    struct scl_tri_params p = scl_tri_default_params();
    p.hidden[0] = 33;
    p.hidden[1] = 21;
    p.latent = 5;
    p.iterations = 100;
    p.eval_every = 1000;
    p.rem = rem;
    struct scl_train_params tp = scl_train_default_params();
    tp.optimizer = SCL_OPTIMIZER_ADAM;
    tp.lr = 3e-3f;
    tp.batch = 16;
    tp.seed = 5;
    scl_tri *t = nullptr;
    EXPECT_EQ(scl_tri_create(test_ctx(), dim, classes, &p, &tp, &t), SCL_OK);
    scl_ddata *dtest = nullptr;
    EXPECT_EQ(scl_ddata_create(test_ctx(), test, &dtest), SCL_OK);
    for (int task = 0; task < 3 && t; task++) {
        std::vector<int32_t> idx;
        for (int i = 0; i < train->n; i++)
            if (train->y[i] / 2 == task)
                idx.push_back(i);
        scl_dataset *sub = nullptr;
        EXPECT_EQ(scl_dataset_subset(train, idx.data(), (int32_t)idx.size(), &sub), SCL_OK);
        scl_ddata *d = nullptr;
        EXPECT_EQ(scl_ddata_create(test_ctx(), sub, &d), SCL_OK);
        EXPECT_EQ(scl_tri_task(t, d, 2 * (task + 1), nullptr, nullptr), SCL_OK)
            << scl_ctx_last_error(test_ctx());
        std::vector<int32_t> pred((size_t)test->n);
        EXPECT_EQ(scl_tri_predict(t, dtest, 2 * (task + 1), pred.data()), SCL_OK);
        int hit = 0, n = 0;
        for (int i = 0; i < test->n; i++)
            if (test->y[i] < 2) {
                n++;
                hit += pred[(size_t)i] == test->y[i];
            }
        out.first_task.push_back((double)hit / n);
        scl_ddata_destroy(d);
        scl_dataset_destroy(sub);
    }
    for (int32_t l = 0; t && l < scl_tri_n_layers(t); l++) {
        int32_t n = 0;
        EXPECT_EQ(scl_tri_layer(t, l, nullptr, &n, nullptr), SCL_OK);
        std::vector<float> w((size_t)n);
        EXPECT_EQ(scl_tri_layer(t, l, nullptr, &n, w.data()), SCL_OK);
        out.weights.insert(out.weights.end(), w.begin(), w.end());
    }
    scl_tri_destroy(t);
    scl_ddata_destroy(dtest);
    scl_dataset_destroy(train);
    scl_dataset_destroy(test);
    return out;
}

TEST(Tripartite, RemKeepsTheFirstTaskAndRunsRepeatBitForBit)
{
    SCL_REQUIRE_DEVICE();
    TriRun a = run_tri(1), b = run_tri(1), none = run_tri(0);
    ASSERT_EQ(a.first_task.size(), 3u);
    EXPECT_GT(a.first_task[0], 0.95); // the first task is learnt
    EXPECT_GT(a.first_task[2], 0.5) << "REM should keep task 1 well above chance (1/6)";
    EXPECT_LT(none.first_task[2], 0.2) << "without replay task 1 should be forgotten";
    EXPECT_EQ(a.weights, b.weights);
    EXPECT_EQ(a.first_task, b.first_task);
}

std::vector<float> tri_weights(scl_tri *t, int32_t l)
{
    int32_t n = 0;
    EXPECT_EQ(scl_tri_layer(t, l, nullptr, &n, nullptr), SCL_OK);
    std::vector<float> w((size_t)n);
    EXPECT_EQ(scl_tri_layer(t, l, nullptr, &n, w.data()), SCL_OK);
    return w;
}

std::vector<float> model_weights(const scl_model *m)
{
    std::vector<float> out;
    for (int32_t l = 0; l < m->n_layers; l++)
        out.insert(out.end(), m->w[l], m->w[l] + (size_t)m->sizes[l] * m->sizes[l + 1]);
    return out;
}

struct SrcRun {
    std::vector<float> before, slept, path_after; // the path's weights
    std::vector<float> cls_rows_unseen;           // classifier rows of classes not seen, after
    std::vector<float> cls_rows_unseen_before;
    std::vector<int32_t> pred;
    int32_t layers = 0, last = 0;
};

// One task of classes 0, 1 on the tripartite model, then SRC's sleep on its classifier path
// (the default sleep set, seed 3) written back.
SrcRun run_src()
{
    SrcRun out;
    const int classes = 6, dim = 49;
    scl_dataset *train = pattern_data(60, classes, dim, 1);
    struct scl_tri_params p = scl_tri_default_params();
    p.hidden[0] = 33;
    p.hidden[1] = 21;
    p.latent = 5;
    p.iterations = 60;
    p.eval_every = 1000;
    struct scl_train_params tp = scl_train_default_params();
    tp.optimizer = SCL_OPTIMIZER_ADAM;
    tp.lr = 3e-3f;
    tp.batch = 16;
    tp.seed = 5;
    std::vector<int32_t> idx;
    for (int i = 0; i < train->n; i++)
        if (train->y[i] < 2)
            idx.push_back(i);
    scl_dataset *sub = nullptr;
    EXPECT_EQ(scl_dataset_subset(train, idx.data(), (int32_t)idx.size(), &sub), SCL_OK);
    scl_tri *t = nullptr;
    scl_ddata *d = nullptr;
    scl_model *m = nullptr;
    EXPECT_EQ(scl_tri_create(test_ctx(), dim, classes, &p, &tp, &t), SCL_OK);
    EXPECT_EQ(scl_ddata_create(test_ctx(), sub, &d), SCL_OK);
    EXPECT_EQ(scl_tri_task(t, d, 2, nullptr, nullptr), SCL_OK) << scl_ctx_last_error(test_ctx());
    EXPECT_EQ(scl_tri_classifier_get(t, 2, &m), SCL_OK);
    if (m) {
        out.layers = m->n_layers;
        out.last = m->sizes[m->n_layers];
        out.before = model_weights(m);
        std::vector<float> cls = tri_weights(t, 3); // enc1, enc2, latent, classifier
        out.cls_rows_unseen_before.assign(cls.begin() + 2 * 21, cls.end());
        struct scl_sleep_params sp = scl_sleep_default_params();
        sp.seed = 3;
        EXPECT_EQ(scl_sleep_model_on_data(test_ctx(), m, &sp, sub, SCL_GEMM_AUTO, nullptr), SCL_OK)
            << scl_ctx_last_error(test_ctx());
        out.slept = model_weights(m);
        EXPECT_EQ(scl_tri_classifier_set(t, m), SCL_OK);
        scl_model_destroy(m);
        m = nullptr;
        EXPECT_EQ(scl_tri_classifier_get(t, 2, &m), SCL_OK);
        out.path_after = model_weights(m);
        cls = tri_weights(t, 3);
        out.cls_rows_unseen.assign(cls.begin() + 2 * 21, cls.end());
        out.pred.resize((size_t)sub->n);
        EXPECT_EQ(scl_tri_predict(t, d, 2, out.pred.data()), SCL_OK);
    }
    scl_model_destroy(m);
    scl_tri_destroy(t);
    scl_ddata_destroy(d);
    scl_dataset_destroy(sub);
    scl_dataset_destroy(train);
    return out;
}

// SRC's sleep on the tripartite classifier path: the path comes out as a bias-free model of the
// classes seen, the sleep changes it, it goes back exactly (the unseen classes' rows untouched),
// the model still classifies, and one seed gives the same weights twice.
TEST(Tripartite, SrcSleepOnTheClassifierPath)
{
    SCL_REQUIRE_DEVICE();
    SrcRun a = run_src(), b = run_src();
    ASSERT_EQ(a.layers, 3);
    EXPECT_EQ(a.last, 2);
    ASSERT_EQ(a.before.size(), (size_t)(49 * 33 + 33 * 21 + 21 * 2));
    EXPECT_NE(a.slept, a.before) << "the sleep changed no weight";
    EXPECT_EQ(a.path_after, a.slept);
    EXPECT_EQ(a.cls_rows_unseen, a.cls_rows_unseen_before);
    for (int32_t c : a.pred)
        EXPECT_TRUE(c == 0 || c == 1) << c;
    EXPECT_EQ(a.slept, b.slept);
    EXPECT_EQ(a.pred, b.pred);
}

// A fresh model's layer l bias as scl_tri_create draws it: U(-1/sqrt(in), 1/sqrt(in)) from
// (seed, SCL_RNG_INIT, element / 4, step 1, stream 16 + l).
std::vector<float> fresh_bias(uint32_t seed, uint32_t l, int in, int n)
{
    std::vector<float> b((size_t)n);
    for (int i = 0; i < n; i++) {
        uint32_t w[4];
        scl_rng_words(seed, SCL_RNG_INIT, (uint32_t)i / 4, 1, 16u + l, w);
        b[(size_t)i] = (2.0f * scl_rng_u01(w[i % 4]) - 1.0f) / std::sqrt((float)in);
    }
    return b;
}

// y[r][o] = act(sum_i x[r][i] w[o][i] + b[o]) in double, act 0 = ReLU, 1 = sigmoid.
std::vector<float> ref_layer(const std::vector<float> &x, int rows, int in,
                             const std::vector<float> &w, const std::vector<float> &b, int out,
                             int act)
{
    std::vector<float> y((size_t)rows * out);
    for (int r = 0; r < rows; r++)
        for (int o = 0; o < out; o++) {
            double a = b[(size_t)o];
            for (int i = 0; i < in; i++)
                a += (double)x[(size_t)r * in + i] * w[(size_t)o * in + i];
            y[(size_t)r * out + o] =
                act ? (float)(1.0 / (1.0 + std::exp(-a))) : (float)(a > 0 ? a : 0);
        }
    return y;
}

// scl_tri_sample on a fresh model is its decoder applied to standard normals of streams 2, 3,
// ... (one per chunk of the model's row capacity, here 2 x batch 4 = 8 rows) at step 0: 19
// samples in three chunks against the decoder computed on the host.
TEST(Tripartite, SampleIsTheDecoderOfStandardNormals)
{
    SCL_REQUIRE_DEVICE();
    const int d = 12, h0 = 9, h1 = 7, nz = 3, n = 19, rows = 8;
    struct scl_tri_params p = scl_tri_default_params();
    p.hidden[0] = h0;
    p.hidden[1] = h1;
    p.latent = nz;
    struct scl_train_params tp = scl_train_default_params();
    tp.optimizer = SCL_OPTIMIZER_ADAM;
    tp.batch = rows / 2;
    tp.seed = 11;
    scl_tri *t = nullptr;
    ASSERT_EQ(scl_tri_create(test_ctx(), d, 4, &p, &tp, &t), SCL_OK);
    std::vector<float> got((size_t)n * d), again((size_t)n * d);
    ASSERT_EQ(scl_tri_sample(t, n, got.data()), SCL_OK) << scl_ctx_last_error(test_ctx());
    ASSERT_EQ(scl_tri_sample(t, n, again.data()), SCL_OK);
    EXPECT_EQ(got, again);
    // layers: enc1, enc2, latent, classifier, dec1 (4), dec2 (5), output (6)
    std::vector<float> w1 = tri_weights(t, 4), w2 = tri_weights(t, 5), w3 = tri_weights(t, 6);
    ASSERT_EQ(w3.size(), (size_t)d * h0);
    for (int s = 0, c = 0; s < n; s += rows, c++) {
        int r = std::min(rows, n - s);
        std::vector<float> z((size_t)r * nz);
        scl_ref_normal_fill(z.data(), r * nz, tp.seed, 0, 2 + (uint32_t)c);
        std::vector<float> a = ref_layer(z, r, nz, w1, fresh_bias(tp.seed, 4, nz, h1), h1, 0);
        a = ref_layer(a, r, h1, w2, fresh_bias(tp.seed, 5, h1, h0), h0, 0);
        a = ref_layer(a, r, h0, w3, fresh_bias(tp.seed, 6, h0, d), d, 1);
        for (int i = 0; i < r * d; i++)
            ASSERT_NEAR(got[(size_t)s * d + i], a[(size_t)i], 1e-5) << "sample " << s + i / d;
    }
    std::vector<float> none(1);
    EXPECT_EQ(scl_tri_sample(t, 0, none.data()), SCL_OK);
    EXPECT_EQ(scl_tri_sample(t, -1, none.data()), SCL_ERR_ARG);
    scl_tri_destroy(t);
}

// The path's shape is checked both ways.
TEST(Tripartite, ClassifierPathRefusesWrongShapes)
{
    SCL_REQUIRE_DEVICE();
    struct scl_tri_params p = scl_tri_default_params();
    p.hidden[0] = 9;
    p.hidden[1] = 7;
    p.latent = 3;
    struct scl_train_params tp = scl_train_default_params();
    tp.optimizer = SCL_OPTIMIZER_ADAM;
    scl_tri *t = nullptr;
    ASSERT_EQ(scl_tri_create(test_ctx(), 12, 4, &p, &tp, &t), SCL_OK);
    scl_model *m = nullptr;
    EXPECT_EQ(scl_tri_classifier_get(t, 5, &m), SCL_ERR_ARG);
    EXPECT_EQ(m, nullptr);
    ASSERT_EQ(scl_tri_classifier_get(t, 4, &m), SCL_OK);
    m->sizes[1] = 8; // not the encoder's width
    EXPECT_EQ(scl_tri_classifier_set(t, m), SCL_ERR_ARG);
    scl_model_destroy(m);
    scl_tri_destroy(t);
}

} // namespace
