// The plain C references of the continual-learning methods (host/ref/ref_train.c) against
// values worked out by hand on 2x2 examples: the penalised update of EWC and SI (with the
// stiffness cap and with momentum), SI's path integral and importance, EWC's consolidation
// (online, and the merged anchors of plain EWC, which must equal the sum of the per-task
// penalties), the diagonal Fisher of a tiny net, rehearsal's mixed minibatch, and OWM's
// projector and projected step; and rehearsal's memory draw. The device kernels are compared
// with these references in tests/device/test_methods.cpp.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <gtest/gtest.h>
#include <set>
#include <vector>

extern "C" {
#include "exp.h"
#include "ref.h"
}

namespace
{

using V = std::vector<float>;

// The 2x2 weights every example starts from, as a row-major [2][2] matrix.
const V kW = {1.0f, -0.5f, 0.25f, 2.0f};
const V kAnchor = {0.5f, -0.5f, 0.75f, 1.0f}; // w - a = {0.5, 0, -0.5, 1}
const V kG = {0.5f, 1.0f, -1.0f, 0.25f};      // the task loss's gradient

// EWC, plain SGD, lambda 1, lr 0.25 (cap 1/lr = 4), F = {2, 10, 0.5, 0}:
//   s  = min(lambda F, 4)       = {2, 4, 0.5, 0}          (10 is capped at 4)
//   g' = g + s (w - a)          = {1.5, 1, -1.25, 0.25}
//   w  = w - lr g'              = {0.625, -0.75, 0.5625, 1.9375}
TEST(MethodsRef, EwcPenaltyStepByHand)
{
    V w = kW, imp = {2.0f, 10.0f, 0.5f, 0.0f};
    scl_ref_penalty_step(w.data(), nullptr, kG.data(), imp.data(), kAnchor.data(), nullptr, 4,
                         0.25f, 0.0f, 1.0f, 4.0f, 0);
    EXPECT_EQ(w, (V{0.625f, -0.75f, 0.5625f, 1.9375f}));
}

// The same with momentum 0.5 and v = {0.5, -1, 0, 0.25}:
//   v = lr g' + mu v = {0.375 + 0.25, 0.25 - 0.5, -0.3125 + 0, 0.0625 + 0.125}
//                    = {0.625, -0.25, -0.3125, 0.1875}
//   w = w - v        = {0.375, -0.25, 0.5625, 1.8125}
TEST(MethodsRef, EwcPenaltyStepWithMomentumByHand)
{
    V w = kW, imp = {2.0f, 10.0f, 0.5f, 0.0f}, v = {0.5f, -1.0f, 0.0f, 0.25f};
    scl_ref_penalty_step(w.data(), v.data(), kG.data(), imp.data(), kAnchor.data(), nullptr, 4,
                         0.25f, 0.5f, 1.0f, 4.0f, 0);
    EXPECT_EQ(v, (V{0.625f, -0.25f, -0.3125f, 0.1875f}));
    EXPECT_EQ(w, (V{0.375f, -0.25f, 0.5625f, 1.8125f}));
}

// SI, c = 0.5 (strength 2c = 1), Omega = {1, 0, 2, 0.5}, lr 0.25, omega = {0, 0.5, 0, 0}:
//   s (w - a) = {0.5, 0, -1, 0.5};  g' = {1, 1, -2, 0.75}
//   dw = -lr g' = {-0.25, -0.25, 0.5, -0.1875};  w = {0.75, -0.75, 0.75, 1.8125}
//   omega -= g dw  (g dw = {-0.125, -0.25, -0.5, -0.046875})
//         = {0.125, 0.75, 0.5, 0.046875}: the task loss's gradient alone, not g'
// Then the task ends, xi = 0.25: d = w - a = {0.25, -0.25, 0, 0.8125},
//   d^2 + xi = {0.3125, 0.3125, 0.25, 0.91015625}
//   Omega += omega / (d^2 + xi) = {1 + 0.4, 0 + 2.4, 2 + 2, 0.5 + 0.046875 / 0.91015625}
//   omega = 0, anchor = w
TEST(MethodsRef, SiPathIntegralAndImportanceByHand)
{
    V w = kW, a = kAnchor, imp = {1.0f, 0.0f, 2.0f, 0.5f}, omega = {0.0f, 0.5f, 0.0f, 0.0f};
    scl_ref_penalty_step(w.data(), nullptr, kG.data(), imp.data(), a.data(), omega.data(), 4, 0.25f,
                         0.0f, 1.0f, 4.0f, 1);
    EXPECT_EQ(w, (V{0.75f, -0.75f, 0.75f, 1.8125f}));
    EXPECT_EQ(omega, (V{0.125f, 0.75f, 0.5f, 0.046875f}));
    scl_ref_si_consolidate(imp.data(), a.data(), omega.data(), w.data(), 4, 0.25f);
    const double want[] = {1.4, 2.4, 4.0, 0.5 + 0.046875 / 0.91015625};
    for (int i = 0; i < 4; i++)
        EXPECT_NEAR(imp[(size_t)i], want[i], 1e-6) << i;
    EXPECT_EQ(omega, (V{0, 0, 0, 0}));
    EXPECT_EQ(a, w);
}

// EWC's end of task, F_old = {1, 0, 3, 0} around a = {0, 1, 2, 5}, the new task's Fisher
// fk = {1, 2, 1, 0} at w = {2, -1, 6, 7}.
//   plain: F = F_old + fk = {2, 2, 4, 0}; a = (F_old a + fk w) / F where both are > 0, w
//          where F_old is 0 (exactly: fk w / fk would round): {(0 + 2)/2, w, (6 + 6)/4, w}
//          = {1, -1, 3, 7}
//   online, gamma 0.5: F = 0.5 F_old + fk = {1.5, 2, 2.5, 0}; a = w
TEST(MethodsRef, EwcConsolidateByHand)
{
    const V fk = {1, 2, 1, 0}, w = {2, -1, 6, 7};
    V imp = {1, 0, 3, 0}, a = {0, 1, 2, 5};
    scl_ref_ewc_consolidate(imp.data(), a.data(), fk.data(), w.data(), 4, 1.0f, 0);
    EXPECT_EQ(imp, (V{2, 2, 4, 0}));
    EXPECT_EQ(a, (V{1, -1, 3, 7}));
    imp = {1, 0, 3, 0};
    a = {0, 1, 2, 5};
    scl_ref_ewc_consolidate(imp.data(), a.data(), fk.data(), w.data(), 4, 0.5f, 1);
    EXPECT_EQ(imp, (V{1.5f, 2, 2.5f, 0}));
    EXPECT_EQ(a, w);
}

// Plain EWC keeps one stiffness and one (merged) anchor for any number of tasks: its penalty
// gradient equals the sum over the tasks of lambda F_k (w - a_k).
TEST(MethodsRef, EwcMergedAnchorsEqualTheSumOfTaskPenalties)
{
    const V f1 = {0.5f, 2, 0, 1}, a1 = {1, -2, 3, 0.5f}, f2 = {1.5f, 0, 0, 3}, a2 = {-1, 4, 2, 2};
    V imp = {0, 0, 0, 0}, a = {0, 0, 0, 0};
    scl_ref_ewc_consolidate(imp.data(), a.data(), f1.data(), a1.data(), 4, 1.0f, 0);
    scl_ref_ewc_consolidate(imp.data(), a.data(), f2.data(), a2.data(), 4, 1.0f, 0);
    const V w = {0.25f, 1, -3, 1.5f};
    for (size_t i = 0; i < 4; i++) {
        double sum = (double)f1[i] * (w[i] - a1[i]) + (double)f2[i] * (w[i] - a2[i]);
        EXPECT_NEAR((double)imp[i] * (w[i] - a[i]), sum, 1e-6) << i;
    }
}

// The diagonal Fisher of a 2-2-2 net (W1 = I, ReLU, W2 = [[ln 3, 0], [0, 0]], softmax + CE) on
// one sample x = (1, 0): h = (1, 0), z = (ln 3, 0), p = (0.75, 0.25), predicted class 0,
// dL/dz = p - e_0 = (-0.25, 0.25).
//   W2: (dz h^T)^2 = [[0.0625, 0], [0.0625, 0]]
//   dL/dh = W2^T dz = (-0.25 ln 3, 0), through the ReLU (h_1 > 0, h_2 = 0) unchanged
//   W1: (dh x^T)^2 = [[0.0625 ln^2 3, 0], [0, 0]]
TEST(MethodsRef, FisherOfATinyNetByHand)
{
    const int32_t sizes[] = {2, 2, 2};
    scl_model *m = nullptr;
    ASSERT_EQ(scl_model_create(2, sizes, &m), SCL_OK);
    const float w1[] = {1, 0, 0, 1}, w2[] = {std::log(3.0f), 0, 0, 0};
    std::copy(w1, w1 + 4, m->w[0]);
    std::copy(w2, w2 + 4, m->w[1]);
    struct scl_train_params p = scl_train_default_params();
    p.loss = SCL_LOSS_CE;
    const float x[] = {1, 0};
    std::vector<double> f1(4), f2(4);
    double *f[] = {f1.data(), f2.data()};
    scl_ref_fisher(m, &p, x, 1, f);
    double ln3 = std::log(3.0);
    const double want1[] = {0.0625 * ln3 * ln3, 0, 0, 0}, want2[] = {0.0625, 0, 0.0625, 0};
    for (int i = 0; i < 4; i++) {
        EXPECT_NEAR(f1[(size_t)i], want1[i], 1e-7) << "W1 " << i;
        EXPECT_NEAR(f2[(size_t)i], want2[i], 1e-7) << "W2 " << i;
    }
    // A second sample x = (0, 1) reaches nothing through W2 (h = (0, 1), z = 0, a tie: class
    // 0, dz = (-0.5, 0.5)): W2 gains (dz h^T)^2 = [[0, 0.25], [0, 0.25]], W1 nothing (W2's
    // second column is 0); the Fisher is the mean over the two samples.
    const float x2[] = {1, 0, 0, 1};
    scl_ref_fisher(m, &p, x2, 2, f);
    const double mean2[] = {0.03125, 0.125, 0.03125, 0.125};
    for (int i = 0; i < 4; i++) {
        EXPECT_NEAR(f1[(size_t)i], want1[i] / 2, 1e-7) << "W1 " << i;
        EXPECT_NEAR(f2[(size_t)i], mean2[i], 1e-7) << "W2 " << i;
    }
    scl_model_destroy(m);
}

// Rehearsal's update is one step on the minibatch with the memory's samples after it, the
// loss a mean over both. A 2-2 net (ReLU output, MSE: dL/dz = o - t), W = [[1, 0], [0, 1]],
// lr 0.5, no dropout, no momentum; new sample x = (1, 0) of class 1, memory sample x = (0, 1) of
// class 0:
//   new: o = (1, 0), t = (0, 1), dz = (1, -1);  memory: o = (0, 1), t = (1, 0), dz = (-1, 1)
//   G = mean of dz x^T = ([[1, 0], [-1, 0]] + [[0, -1], [0, 1]]) / 2 = [[0.5, -0.5], [-0.5, 0.5]]
//   W - lr G = [[0.75, 0.25], [0.25, 0.75]]
// (the new sample alone would give [[0.5, 0], [0.5, 1]]: it would overwrite class 0).
TEST(MethodsRef, RehearsalMixedMinibatchByHand)
{
    const int32_t sizes[] = {2, 2};
    scl_model *m = nullptr;
    ASSERT_EQ(scl_model_create(1, sizes, &m), SCL_OK);
    const float w[] = {1, 0, 0, 1};
    std::copy(w, w + 4, m->w[0]);
    struct scl_train_params p = scl_train_ref2022_params();
    p.dropout = 0.0f;
    p.momentum = 0.0f;
    const float x[] = {1, 0, 0, 1};
    const int y[] = {1, 0};
    scl_ref_train_step(m, nullptr, x, y, 2, &p, 0.5f, 0);
    EXPECT_EQ(V(m->w[0], m->w[0] + 4), (V{0.75f, 0.25f, 0.25f, 0.75f}));
    std::copy(w, w + 4, m->w[0]);
    scl_ref_train_step(m, nullptr, x, y, 1, &p, 0.5f, 0);
    EXPECT_EQ(V(m->w[0], m->w[0] + 4), (V{0.5f, 0.0f, 0.5f, 1.0f}));
    scl_model_destroy(m);
}

// OWM's projector from the identity, alpha 1, a batch of inputs (1, 0) and (1, 2), whose mean is
// x = (1, 1): P x = (1, 1), d = 1 + x.P x = 3, P = I - (1, 1)(1, 1)^T / 3
//   = [[2/3, -1/3], [-1/3, 2/3]]
// Again with the same mean: P x = (1/3, 1/3), d = 1 + 2/3 = 5/3, P -= (1/9) [[1, 1], [1, 1]] /
// (5/3)
//   = [[0.6, -0.4], [-0.4, 0.6]]   (k updates with x give I - k x x^T / (alpha + k |x|^2))
TEST(MethodsRef, OwmProjectorByHand)
{
    V proj = {1, 0, 0, 1};
    const V batch = {1, 0, 1, 2};
    scl_ref_owm_projector(proj.data(), batch.data(), 2, 2, 1.0f);
    const double once[] = {2.0 / 3, -1.0 / 3, -1.0 / 3, 2.0 / 3};
    for (int i = 0; i < 4; i++)
        EXPECT_NEAR(proj[(size_t)i], once[i], 1e-7) << i;
    scl_ref_owm_projector(proj.data(), batch.data(), 2, 2, 1.0f);
    const double twice[] = {0.6, -0.4, -0.4, 0.6};
    for (int i = 0; i < 4; i++)
        EXPECT_NEAR(proj[(size_t)i], twice[i], 1e-7) << i;
}

// OWM's step: a 2-2 net (ReLU output, MSE), W = 0, lr 1, no momentum, P = [[2/3, -1/3],
// [-1/3, 2/3]] (after inputs of mean (1, 1)). One sample x = (1, 1) of class 0: o = 0,
// dz = (-1, 0), G = dz x^T = [[-1, -1], [0, 0]], G P = [[-1/3, -1/3], [0, 0]] (P x = x / 3: the
// direction already seen is damped to a third), W = -lr G P = [[1/3, 1/3], [0, 0]]; then P is
// updated with x = (1, 1) to [[0.6, -0.4], [-0.4, 0.6]]. An input orthogonal to what was seen,
// x = (1, -1), passes unchanged: P x = x, so G P = G = [[-1, 1], [0, 0]].
TEST(MethodsRef, OwmProjectedStepByHand)
{
    const int32_t sizes[] = {2, 2};
    scl_model *m = nullptr;
    ASSERT_EQ(scl_model_create(1, sizes, &m), SCL_OK);
    struct scl_train_params p = scl_train_ref2022_params();
    p.dropout = 0.0f;
    p.momentum = 0.0f;
    p.method = SCL_METHOD_OWM;
    p.owm_alpha = 1.0f;
    const V seen = {2.0f / 3, -1.0f / 3, -1.0f / 3, 2.0f / 3};
    V proj = seen;
    float *pp[] = {proj.data()};
    const float x[] = {1, 1}, orth[] = {1, -1};
    const int y[] = {0};
    scl_ref_train_step_owm(m, nullptr, pp, x, y, 1, &p, 1.0f, 0);
    const double w[] = {1.0 / 3, 1.0 / 3, 0, 0}, after[] = {0.6, -0.4, -0.4, 0.6};
    for (int i = 0; i < 4; i++) {
        EXPECT_NEAR(m->w[0][i], w[i], 1e-7) << i;
        EXPECT_NEAR(proj[(size_t)i], after[i], 1e-7) << i;
    }
    std::fill(m->w[0], m->w[0] + 4, 0.0f);
    proj = seen;
    scl_ref_train_step_owm(m, nullptr, pp, orth, y, 1, &p, 1.0f, 0);
    const double full[] = {1, -1, 0, 0};
    for (int i = 0; i < 4; i++)
        EXPECT_NEAR(m->w[0][i], full[i], 1e-7) << i;
    scl_model_destroy(m);
}

// Rehearsal's memory (host/app/exp_methods.c): train.replay_share of each task's images, at
// least one, distinct, drawn from that task's indices by the trial's seed (the same seed, the
// same memory), appended task after task; nothing unless the method is rehearsal.
TEST(MethodsRef, RehearsalMemoryDraw)
{
    struct scl_exp_env env;
    memset(&env, 0, sizeof(env));
    scl_cfg_defaults(&env.cfg);
    env.cfg.replay_share = 0.075;
    std::vector<int32_t> task1(120), task2(7);
    for (int32_t i = 0; i < 120; i++)
        task1[(size_t)i] = 1000 + 3 * i;
    for (int32_t i = 0; i < 7; i++)
        task2[(size_t)i] = 5000 + i;
    struct scl_exp_memory m = {}, again = {}, other = {};
    ASSERT_EQ(scl_exp_memory_add(&env, &m, task1.data(), 120, 1, 0), 0);
    EXPECT_EQ(m.n, 0); // method sgd: no memory
    env.cfg.train.method = SCL_METHOD_REHEARSAL;
    ASSERT_EQ(scl_exp_memory_add(&env, &m, task1.data(), 120, 1, 0), 0);
    ASSERT_EQ(m.n, 9); // round(0.075 * 120)
    std::set<int32_t> kept(m.idx, m.idx + m.n);
    EXPECT_EQ(kept.size(), 9u);
    for (int32_t i : kept)
        EXPECT_TRUE(std::find(task1.begin(), task1.end(), i) != task1.end()) << i;
    ASSERT_EQ(scl_exp_memory_add(&env, &m, task2.data(), 7, 1, 1), 0);
    ASSERT_EQ(m.n, 10); // round(0.525) = 1: at least one per task
    EXPECT_GE(m.idx[9], 5000);
    ASSERT_EQ(scl_exp_memory_add(&env, &again, task1.data(), 120, 1, 0), 0);
    ASSERT_EQ(scl_exp_memory_add(&env, &other, task1.data(), 120, 2, 0), 0);
    EXPECT_TRUE(std::equal(again.idx, again.idx + 9, m.idx));
    EXPECT_FALSE(std::equal(other.idx, other.idx + 9, m.idx));
    scl_exp_memory_free(&m);
    scl_exp_memory_free(&again);
    scl_exp_memory_free(&other);
}

} // namespace
