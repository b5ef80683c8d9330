// Finite-difference checks of the tripartite VAE's loss gradients (host/ref/ref_vae.c): the
// reconstruction BCE, the KL term through the reparameterisation, cross-entropy and the
// temperature-scaled distillation. Central differences in double with step 1e-5; the float
// gradients must agree to 1e-4 relative (plus a 1e-6 floor).
#include <cmath>
#include <gtest/gtest.h>
#include <vector>

extern "C" {
#include "ref_vae.h"
#include "sleepcl/sleepcl.h"
}

namespace
{

std::vector<float> noise(size_t n, uint32_t seed, float lo, float hi)
{
    std::vector<float> v(n);
    for (size_t i = 0; i < n; i++) {
        uint32_t w[4];
        scl_rng_words(seed, SCL_RNG_TEST, (uint32_t)i, 17, 0, w);
        v[i] = lo + (hi - lo) * scl_rng_u01(w[0]);
    }
    return v;
}

const double kH = 1e-5;

void near(double got, double fd, const char *what, size_t i)
{
    EXPECT_NEAR(got, fd, 1e-6 + 1e-4 * std::fabs(fd)) << what << " at " << i;
}

TEST(VaeGrad, ReconstructionBce)
{
    const int rows = 3, d = 11;
    std::vector<float> o = noise(rows * d, 1, -5, 5), x = noise(rows * d, 2, 0, 1);
    std::vector<float> rw = {0.5f, 0.25f, 1.0f}, g(rows * d);
    float norm = 1.0f / d;
    scl_ref_recon_grad(o.data(), x.data(), rw.data(), rows, d, norm, g.data());
    for (int r = 0; r < rows; r++)
        for (int p = 0; p < d; p++) {
            std::vector<double> od(o.begin() + r * d, o.begin() + (r + 1) * d);
            od[p] += kH;
            double up = scl_ref_recon_loss_d(od.data(), x.data() + r * d, d);
            od[p] -= 2 * kH;
            double dn = scl_ref_recon_loss_d(od.data(), x.data() + r * d, d);
            near(g[r * d + p], rw[r] * norm * (up - dn) / (2 * kH), "recon", r * d + p);
        }
}

// L(mu, lv) = s KL(mu, lv) + sum_j c_j z_j with z = mu + exp(lv / 2) eps: the head gradient
// with dz = c must be its derivative.
TEST(VaeGrad, KlThroughReparameterisation)
{
    const int nz = 9;
    std::vector<float> head = noise(2 * nz, 3, -2, 2), eps = noise(nz, 4, -2, 2);
    std::vector<float> c = noise(nz, 5, -1, 1), rw = {0.3f}, dh(2 * nz);
    float norm = 0.7f;
    scl_ref_head_grad(head.data(), eps.data(), c.data(), rw.data(), 1, nz, norm, dh.data());
    auto loss = [&](const std::vector<double> &h) {
        double l = rw[0] * norm * scl_ref_kl_d(h.data(), h.data() + nz, nz);
        for (int j = 0; j < nz; j++)
            l += c[j] * (h[j] + std::exp(0.5 * h[nz + j]) * eps[j]);
        return l;
    };
    for (int i = 0; i < 2 * nz; i++) {
        std::vector<double> h(head.begin(), head.end());
        h[i] += kH;
        double up = loss(h);
        h[i] -= 2 * kH;
        near(dh[i], (up - loss(h)) / (2 * kH), "head", i);
    }
    // KL of N(0, 1) is zero, and positive elsewhere
    std::vector<double> zero(2 * nz, 0.0);
    EXPECT_EQ(scl_ref_kl_d(zero.data(), zero.data() + nz, nz), 0.0);
}

void check_class(int label, float t)
{
    const int k = 7;
    std::vector<float> z = noise(k, 6, -4, 4), q(k, 0.0f), rw = {0.8f}, dl(k), loss(1);
    std::vector<float> tz = noise(5, 7, -3, 3);
    scl_ref_soft_targets(tz.data(), 1, 5, k, t, q.data()); // two classes the teacher never saw
    EXPECT_EQ(q[5], 0.0f);
    EXPECT_EQ(q[6], 0.0f);
    int lab[1] = {label};
    scl_ref_class_grad(z.data(), 1, k, lab, q.data(), t, rw.data(), dl.data(), loss.data());
    std::vector<double> zd(z.begin(), z.end());
    EXPECT_NEAR(loss[0], scl_ref_class_loss_d(zd.data(), k, label, q.data(), t), 1e-5);
    for (int j = 0; j < k; j++) {
        std::vector<double> h = zd;
        h[j] += kH;
        double up = scl_ref_class_loss_d(h.data(), k, label, q.data(), t);
        h[j] -= 2 * kH;
        double dn = scl_ref_class_loss_d(h.data(), k, label, q.data(), t);
        near(dl[j], rw[0] * (up - dn) / (2 * kH), label >= 0 ? "ce" : "distill", (size_t)j);
    }
}

TEST(VaeGrad, CrossEntropy)
{
    check_class(3, 2.0f); // the temperature applies to distilled rows only
}

TEST(VaeGrad, DistillationWithTemperature)
{
    check_class(-1, 2.0f);
    check_class(-1, 1.0f);
    check_class(-1, 5.0f);
}

} // namespace
