// The continual-learning methods on the device (host/wake/methods.c, cl/train.cl) against their
// plain C references (host/ref/ref_train.c), on shapes that are not multiples of any work-group
// size:
//   - scl_penalty_step (EWC and SI, with and without momentum) and scl_square: exact, since
//     both sides do the same correctly rounded float operations in the same order;
//   - the two consolidation kernels: 3 ulp relative, since OpenCL allows a division 2.5 ulp;
//   - the Fisher of scl_trainer_consolidate against scl_ref_fisher (double): NMSE <= 1e-8, the
//     per-sample gradients being float and summed by GEMMs in another order;
//   - whole steps through the trainer: a penalty method with nothing consolidated is an SGD
//     step (NMSE <= 1e-7 against scl_ref_train_step, as for plain SGD) and SI's path integral is
//     then dw^2 / lr; rehearsal's step is the reference step on the minibatch followed by the
//     memory samples of that step (NMSE <= 1e-7); OWM's projected steps and its projectors are
//     the reference's (NMSE <= 1e-7 and 1e-10), its kernels exact or within 3 ulp.
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

const int kOdd[] = {1, 3, 10, 67, 1007};

using scl_test::DevBuf;
using scl_test::nmse;
using scl_test::odd_model;
using scl_test::Rig;

// This file's draws: stream 1 of the test generator.
std::vector<float> noise(size_t n, uint32_t seed, float lo, float hi)
{
    return scl_test::noise(n, seed, lo, hi, 1);
}

scl_dataset *odd_data(int n, int dim, uint32_t seed, int label0)
{
    return scl_test::odd_data(n, dim, seed, label0, 1);
}

void expect_ulps(const std::vector<float> &got, const std::vector<float> &want, const char *what)
{
    for (size_t i = 0; i < want.size(); i++)
        ASSERT_NEAR(got[i], want[i], 3 * 1.2e-7 * std::fabs(want[i]) + 1e-30) << what << " " << i;
}

// One penalised update on the device and in the reference; stiffnesses reach past the cap.
void check_penalty_step(int n, float mu, int track)
{
    std::vector<float> w = noise((size_t)n, 1, -1, 1), v = noise((size_t)n, 2, -0.1f, 0.1f);
    std::vector<float> g = noise((size_t)n, 3, -1, 1), imp = noise((size_t)n, 4, 0, 30);
    std::vector<float> a = noise((size_t)n, 5, -1, 1), om = noise((size_t)n, 6, -0.1f, 0.1f);
    std::vector<float> rw = w, rv = v, rom = om;
    float lr = 0.1f, strength = 0.7f, cap = 1.0f / lr;
    DevBuf dw(w), dv(v), dg(g), dimp(imp), da(a), dom(om);
    const scl_karg args[] = {SCL_KARG(dw.mem),   SCL_KARG(dv.mem), SCL_KARG(dg.mem),
                             SCL_KARG(dimp.mem), SCL_KARG(da.mem), SCL_KARG(dom.mem),
                             SCL_KARG(n),        SCL_KARG(lr),     SCL_KARG(mu),
                             SCL_KARG(strength), SCL_KARG(cap),    SCL_KARG(track)};
    ASSERT_EQ(scl_launch(test_ctx(), "scl_penalty_step", (size_t)n, args, 12), SCL_OK);
    scl_ref_penalty_step(rw.data(), rv.data(), g.data(), imp.data(), a.data(), rom.data(), n, lr,
                         mu, strength, cap, track);
    EXPECT_EQ(dw.read((size_t)n), rw);
    EXPECT_EQ(dv.read((size_t)n), rv);
    EXPECT_EQ(dom.read((size_t)n), rom);
}

TEST(MethodKernels, PenaltyStepExact)
{
    SCL_REQUIRE_DEVICE();
    for (int n : kOdd) {
        SCOPED_TRACE("n " + std::to_string(n));
        check_penalty_step(n, 0.0f, 0); // EWC, plain SGD
        check_penalty_step(n, 0.5f, 0); // EWC with momentum
        check_penalty_step(n, 0.0f, 1); // SI
        check_penalty_step(n, 0.9f, 1); // SI with momentum
    }
}

TEST(MethodKernels, SquareExactAndConsolidationWithinUlps)
{
    SCL_REQUIRE_DEVICE();
    for (int n : kOdd) {
        std::vector<float> imp = noise((size_t)n, 7, 0, 2), a = noise((size_t)n, 8, -1, 1);
        std::vector<float> fk = noise((size_t)n, 9, 0, 2), w = noise((size_t)n, 10, -1, 1);
        std::vector<float> om = noise((size_t)n, 11, -0.5f, 0.5f), sq((size_t)n);
        imp[0] = fk[0] = 0.0f; // no stiffness yet: the anchor is the weight
        scl_ref_square(sq.data(), w.data(), n);
        DevBuf dsq(sq), dw(w);
        const scl_karg s[] = {SCL_KARG(dsq.mem), SCL_KARG(dw.mem), SCL_KARG(n)};
        ASSERT_EQ(scl_launch(test_ctx(), "scl_square", (size_t)n, s, 3), SCL_OK);
        EXPECT_EQ(dsq.read((size_t)n), sq);
        for (int online : {0, 1}) {
            std::vector<float> ri = imp, ra = a;
            float gamma = 0.8f;
            DevBuf di(imp), da(a), dfk(fk);
            const scl_karg e[] = {SCL_KARG(di.mem), SCL_KARG(da.mem), SCL_KARG(dfk.mem),
                                  SCL_KARG(dw.mem), SCL_KARG(n),      SCL_KARG(gamma),
                                  SCL_KARG(online)};
            ASSERT_EQ(scl_launch(test_ctx(), "scl_ewc_consolidate", (size_t)n, e, 7), SCL_OK);
            scl_ref_ewc_consolidate(ri.data(), ra.data(), fk.data(), w.data(), n, gamma, online);
            expect_ulps(di.read((size_t)n), ri, "ewc stiffness");
            expect_ulps(da.read((size_t)n), ra, "ewc anchor");
        }
        std::vector<float> ri = imp, ra = a, rom = om;
        float xi = 0.01f;
        DevBuf di(imp), da(a), dom(om);
        const scl_karg c[] = {SCL_KARG(di.mem), SCL_KARG(da.mem), SCL_KARG(dom.mem),
                              SCL_KARG(dw.mem), SCL_KARG(n),      SCL_KARG(xi)};
        ASSERT_EQ(scl_launch(test_ctx(), "scl_si_consolidate", (size_t)n, c, 6), SCL_OK);
        scl_ref_si_consolidate(ri.data(), ra.data(), rom.data(), w.data(), n, xi);
        expect_ulps(di.read((size_t)n), ri, "si importance");
        EXPECT_EQ(da.read((size_t)n), ra);
        EXPECT_EQ(dom.read((size_t)n), rom);
    }
}

void check_fisher(struct scl_train_params p)
{
    p.method = SCL_METHOD_EWC;
    p.batch = 40; // 203 samples: five full batches and a short one
    p.init_a = 0.3f;
    Rig r(p, 203, 31, 1);
    ASSERT_EQ(scl_trainer_consolidate(r.t, r.dd), SCL_OK) << scl_ctx_last_error(test_ctx());
    std::vector<std::vector<double>> ref(3);
    double *f[3];
    for (int l = 0; l < 3; l++) {
        ref[(size_t)l].assign((size_t)(r.m->sizes[l] * r.m->sizes[l + 1]), 0.0);
        f[l] = ref[(size_t)l].data();
    }
    scl_ref_fisher(r.m, &p, r.ds->x, r.ds->n, f);
    for (int l = 0; l < 3; l++) {
        size_t n = ref[(size_t)l].size();
        std::vector<float> imp(n), anchor(n), want(ref[(size_t)l].begin(), ref[(size_t)l].end());
        ASSERT_EQ(scl_trainer_read_method(r.t, l, imp.data(), anchor.data(), nullptr), SCL_OK);
        EXPECT_LE(nmse(imp.data(), want.data(), n), 1e-8) << "layer " << l;
        EXPECT_GT(nmse(want.data(), std::vector<float>(n, 0.0f).data(), n), 0.0) << "layer " << l;
        // the first task's anchor is the weights, bit for bit
        EXPECT_EQ(std::memcmp(anchor.data(), r.m->w[l], n * 4), 0) << "layer " << l;
    }
}

TEST(MethodTrainer, FisherMatchesReference)
{
    SCL_REQUIRE_DEVICE();
    struct scl_train_params p = scl_train_default_params();
    p.loss = SCL_LOSS_CE;
    check_fisher(p);                          // softmax + CE, inverted dropout (test mode unscaled)
    check_fisher(scl_train_ref2022_params()); // ReLU + MSE, hidden x 0.75 at test time
}

// One epoch over one batch: the reference step on the same gathered rows.
void reference_step(scl_model *ref, const scl_dataset *ds, const std::vector<int32_t> &perm,
                    const scl_dataset *mem, const std::vector<int32_t> &mem_perm,
                    const struct scl_train_params &p)
{
    size_t rows = perm.size() + mem_perm.size();
    std::vector<float> xb(rows * 67);
    std::vector<int> yb(rows);
    for (size_t r = 0; r < rows; r++) {
        const scl_dataset *src = r < perm.size() ? ds : mem;
        int32_t i = r < perm.size() ? perm[r] : mem_perm[r - perm.size()];
        std::memcpy(&xb[r * 67], src->x + (size_t)i * 67, 67 * 4);
        yb[r] = src->y[i];
    }
    scl_ref_train_step(ref, nullptr, xb.data(), yb.data(), (int)rows, &p, p.lr, 0);
}

// A penalty method before any consolidation (stiffness 0) takes exactly the SGD step, through
// its own update path; SI's path integral is then -g dw = dw^2 / lr per weight.
TEST(MethodTrainer, PenaltyStepWithoutStiffnessIsSgdAndSiIntegratesThePath)
{
    SCL_REQUIRE_DEVICE();
    for (scl_method method : {SCL_METHOD_EWC, SCL_METHOD_ONLINE_EWC, SCL_METHOD_SI}) {
        struct scl_train_params p = scl_train_default_params();
        p.method = method;
        p.lr = 0.5f; // steps well above the weights' rounding, so that dw is measurable
        p.batch = 37;
        p.epochs = 1;
        p.gemm = SCL_GEMM_NATIVE;
        Rig r(p, 37, 11, 1);
        scl_model *ref = r.fit();
        ASSERT_FALSE(HasFailure());
        std::vector<int32_t> perm(37);
        scl_shuffle(perm.data(), 37, p.seed, 0);
        scl_model *w0 = nullptr;
        ASSERT_EQ(scl_model_clone(ref, &w0), SCL_OK);
        reference_step(ref, r.ds, perm, nullptr, {}, p);
        for (int l = 0; l < 3; l++) {
            size_t n = (size_t)(r.m->sizes[l] * r.m->sizes[l + 1]);
            EXPECT_LE(nmse(r.m->w[l], ref->w[l], n), 1e-7) << "method " << method << " layer " << l;
            if (method != SCL_METHOD_SI)
                continue;
            std::vector<float> omega(n), want(n);
            ASSERT_EQ(scl_trainer_read_method(r.t, l, nullptr, nullptr, omega.data()), SCL_OK);
            for (size_t i = 0; i < n; i++) {
                double dw = (double)r.m->w[l][i] - w0->w[l][i];
                want[i] = (float)(dw * dw / p.lr);
            }
            EXPECT_LE(nmse(omega.data(), want.data(), n), 1e-5) << "layer " << l;
        }
        scl_model_destroy(w0);
    }
}

// Rehearsal: one batch of the task's data and replay_batch memory samples after it, the memory
// positions from the epoch's shuffle stream 1; a memory is refused without method rehearsal.
TEST(MethodTrainer, RehearsalStepIsTheMixedReferenceStep)
{
    SCL_REQUIRE_DEVICE();
    struct scl_train_params p = scl_train_default_params();
    p.method = SCL_METHOD_REHEARSAL;
    p.batch = 37;
    p.replay_batch = 5;
    p.epochs = 1;
    p.gemm = SCL_GEMM_NATIVE;
    Rig r(p, 37, 11, 1);
    scl_dataset *mem = odd_data(7, 67, 12, 1); // more than one step needs: a shuffled prefix
    scl_ddata *dmem = nullptr;
    ASSERT_EQ(scl_ddata_create(test_ctx(), mem, &dmem), SCL_OK);
    ASSERT_EQ(scl_trainer_set_memory(r.t, dmem), SCL_OK) << scl_ctx_last_error(test_ctx());
    scl_model *ref = r.fit();
    ASSERT_FALSE(HasFailure());
    std::vector<int32_t> perm(37), mem_perm(7);
    scl_shuffle(perm.data(), 37, p.seed, 0);
    scl_shuffle_stream(mem_perm.data(), 7, p.seed, 0, 1);
    mem_perm.resize(5);
    reference_step(ref, r.ds, perm, mem, mem_perm, p);
    for (int l = 0; l < 3; l++) {
        size_t n = (size_t)(r.m->sizes[l] * r.m->sizes[l + 1]);
        EXPECT_LE(nmse(r.m->w[l], ref->w[l], n), 1e-7) << "layer " << l;
    }
    ASSERT_EQ(scl_trainer_set_memory(r.t, nullptr), SCL_OK);

    struct scl_train_params q = scl_train_default_params();
    Rig plain(q, 10, 3, 1);
    EXPECT_EQ(scl_trainer_set_memory(plain.t, dmem), SCL_ERR_ARG);
    EXPECT_NE(std::string(scl_ctx_last_error(test_ctx())).find("method = rehearsal"),
              std::string::npos);
    scl_ddata_destroy(dmem);
    scl_dataset_destroy(mem);
}

// OWM's kernels one by one: the matrix-vector product and the denominator exactly (the same
// float sums in the same order), the column mean and the rank-1 update within 3 ulp (division).
TEST(MethodKernels, OwmProjectorPieces)
{
    SCL_REQUIRE_DEVICE();
    for (int n : {1, 3, 67, 301}) {
        int rows = 13, nn = n * n;
        float alpha = 0.5f;
        std::vector<float> in = noise((size_t)(rows * n), 20, 0, 1),
                           p = noise((size_t)nn, 21, -1, 1);
        std::vector<float> x((size_t)n), px((size_t)n);
        scl_ref_col_mean(in.data(), rows, n, x.data());
        scl_ref_matvec(p.data(), x.data(), n, px.data());
        float d = scl_ref_owm_denom(x.data(), px.data(), n, alpha);
        std::vector<float> rp = p;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                rp[(size_t)(i * n + j)] -= px[(size_t)i] * px[(size_t)j] / d;
        DevBuf din(in), dp(p), dx(std::vector<float>((size_t)n)),
            dpx(std::vector<float>((size_t)n));
        DevBuf dd(std::vector<float>(1));
        const scl_karg cm[] = {SCL_KARG(din.mem), SCL_KARG(rows), SCL_KARG(n), SCL_KARG(dx.mem)};
        ASSERT_EQ(scl_launch(test_ctx(), "scl_col_mean", (size_t)n, cm, 4), SCL_OK);
        expect_ulps(dx.read((size_t)n), x, "column mean");
        DevBuf dxr(x); // the reference mean from here on, so the rest compares exactly
        const scl_karg mv[] = {SCL_KARG(dp.mem), SCL_KARG(dxr.mem), SCL_KARG(n), SCL_KARG(dpx.mem)};
        ASSERT_EQ(scl_launch(test_ctx(), "scl_matvec", (size_t)n, mv, 4), SCL_OK);
        EXPECT_EQ(dpx.read((size_t)n), px);
        const scl_karg de[] = {SCL_KARG(dxr.mem), SCL_KARG(dpx.mem), SCL_KARG(n), SCL_KARG(alpha),
                               SCL_KARG(dd.mem)};
        ASSERT_EQ(scl_launch(test_ctx(), "scl_owm_denom", 1, de, 5), SCL_OK);
        EXPECT_EQ(dd.read(1)[0], d);
        const scl_karg r1[] = {SCL_KARG(dp.mem), SCL_KARG(dpx.mem), SCL_KARG(dd.mem), SCL_KARG(n)};
        ASSERT_EQ(scl_launch(test_ctx(), "scl_owm_rank1", (size_t)nn, r1, 4), SCL_OK);
        std::vector<float> got = dp.read((size_t)nn);
        for (size_t k = 0; k < got.size(); k++) // |P| ~ 1: an absolute bound of a few ulp
            ASSERT_NEAR(got[k], rp[k], 4e-7) << "n " << n << " k " << k;
    }
}

// OWM through the trainer: two epochs of one batch each (the second step projected by the
// projectors the first one updated) against the reference steps, weights and projectors.
TEST(MethodTrainer, OwmStepsMatchReference)
{
    SCL_REQUIRE_DEVICE();
    struct scl_train_params p = scl_train_default_params();
    p.method = SCL_METHOD_OWM;
    p.owm_alpha = 0.5f;
    p.momentum = 0.5f;
    p.lr = 0.5f;
    p.batch = 37;
    p.epochs = 2;
    p.gemm = SCL_GEMM_NATIVE;
    Rig r(p, 37, 11, 1);
    scl_model *ref = r.fit();
    ASSERT_FALSE(HasFailure());
    std::vector<std::vector<float>> proj(3), v(3);
    float *pp[3], *vp[3];
    for (int l = 0; l < 3; l++) {
        size_t n = (size_t)ref->sizes[l];
        proj[(size_t)l].assign(n * n, 0.0f);
        for (size_t i = 0; i < n; i++)
            proj[(size_t)l][i * n + i] = 1.0f;
        v[(size_t)l].assign((size_t)(ref->sizes[l] * ref->sizes[l + 1]), 0.0f);
        pp[l] = proj[(size_t)l].data();
        vp[l] = v[(size_t)l].data();
    }
    for (uint32_t e = 0; e < 2; e++) {
        std::vector<int32_t> perm(37);
        scl_shuffle(perm.data(), 37, p.seed, e);
        std::vector<float> xb(37 * 67);
        std::vector<int> yb(37);
        for (size_t i = 0; i < 37; i++) {
            std::memcpy(&xb[i * 67], r.ds->x + (size_t)perm[i] * 67, 67 * 4);
            yb[i] = r.ds->y[perm[i]];
        }
        scl_ref_train_step_owm(ref, vp, pp, xb.data(), yb.data(), 37, &p, p.lr, e);
    }
    for (int l = 0; l < 3; l++) {
        size_t n = (size_t)(r.m->sizes[l] * r.m->sizes[l + 1]), np = proj[(size_t)l].size();
        EXPECT_LE(nmse(r.m->w[l], ref->w[l], n), 1e-7) << "layer " << l;
        std::vector<float> got(np);
        ASSERT_EQ(scl_trainer_read_projector(r.t, l, got.data()), SCL_OK);
        EXPECT_LE(nmse(got.data(), proj[(size_t)l].data(), np), 1e-10) << "layer " << l;
        float off = 0; // the projectors moved off the identity, or the check proves little
        for (size_t i = 0; i < np; i++)
            off = std::max(off,
                           std::fabs(proj[(size_t)l][i] - (i % (size_t)(r.m->sizes[l] + 1) == 0)));
        EXPECT_GT(off, 1e-3f) << "layer " << l;
    }
}

} // namespace
