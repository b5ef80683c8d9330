// The genetic operators of the sleep-parameter search (host/search.c): candidates stay inside
// their bounds, mutation of a log gene is a normal step in log space (symmetric in ratio, scaled
// to the log range), the elite come through unchanged and first, and one seed gives one run.
#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <vector>

#include "sleepcl/sleepcl.h"

namespace
{

const scl_ga_gene kGenes[] = {
    {100, 1000, 1, 1},  // steps: log, integer
    {1e-5, 1e-1, 1, 0}, // inc: log
    {0.8, 1.0, 0, 0},   // decay: linear
};
const int32_t kN = 3;

std::vector<double> random_pop(const scl_ga_params &p)
{
    std::vector<double> pop((size_t)p.population * kN);
    for (int32_t i = 0; i < p.population; i++)
        scl_ga_random(&p, kGenes, kN, 0, i, &pop[(size_t)i * kN]);
    return pop;
}

void expect_in_bounds(const std::vector<double> &pop)
{
    for (size_t i = 0; i < pop.size(); i++) {
        const scl_ga_gene &g = kGenes[i % kN];
        ASSERT_GE(pop[i], g.lo) << "gene " << i % kN;
        ASSERT_LE(pop[i], g.hi) << "gene " << i % kN;
        if (g.integer)
            ASSERT_EQ(pop[i], std::floor(pop[i]));
    }
}

} // namespace

TEST(Search, BoundsHoldOverManyGenerationsWithWildMutation)
{
    scl_ga_params p = scl_ga_default_params();
    p.population = 24;
    p.mutation = 1.0;
    p.sigma = 2.0; // steps far past the range: clamping must catch them
    std::vector<double> pop = random_pop(p), next(pop.size()), fit((size_t)p.population);
    expect_in_bounds(pop);
    for (int32_t g = 1; g <= 30; g++) {
        for (int32_t i = 0; i < p.population; i++)
            fit[(size_t)i] = std::sin(pop[(size_t)i * kN + 1] * 1e3 + g); // any score
        ASSERT_EQ(scl_ga_next(&p, kGenes, kN, pop.data(), fit.data(), g, next.data()), SCL_OK);
        expect_in_bounds(next);
        pop.swap(next);
    }
}

TEST(Search, RandomCandidatesAreLogUniformForLogGenes)
{
    scl_ga_params p = scl_ga_default_params();
    p.population = 2000;
    std::vector<double> pop = random_pop(p);
    int below = 0; // inc below the geometric middle 1e-3 (the arithmetic middle is 0.05)
    for (int32_t i = 0; i < p.population; i++)
        below += pop[(size_t)i * kN + 1] < 1e-3;
    EXPECT_NEAR(below / 2000.0, 0.5, 0.05);
}

TEST(Search, MutationStepsInLogSpace)
{
    scl_ga_params p = scl_ga_default_params();
    p.population = 4000;
    p.elite = 0;
    p.crossover = 0.0;
    p.mutation = 1.0;
    p.sigma = 0.05;
    std::vector<double> pop((size_t)p.population * kN), next(pop.size());
    std::vector<double> fit((size_t)p.population, 0.0);
    for (int32_t i = 0; i < p.population; i++) {
        pop[(size_t)i * kN + 0] = 300;
        pop[(size_t)i * kN + 1] = 1e-3;
        pop[(size_t)i * kN + 2] = 0.9;
    }
    ASSERT_EQ(scl_ga_next(&p, kGenes, kN, pop.data(), fit.data(), 1, next.data()), SCL_OK);
    double sum = 0, sum2 = 0, lin = 0, lin2 = 0;
    for (int32_t i = 0; i < p.population; i++) {
        double r = std::log(next[(size_t)i * kN + 1] / 1e-3);
        double d = next[(size_t)i * kN + 2] - 0.9;
        sum += r;
        sum2 += r * r;
        lin += d;
        lin2 += d * d;
    }
    const double n = p.population;
    // log gene: step std = sigma * (log 1e-1 - log 1e-5) = 0.05 * ln(1e4) = 0.46, mean 0
    EXPECT_NEAR(sum / n, 0.0, 0.03);
    EXPECT_NEAR(std::sqrt(sum2 / n), 0.05 * std::log(1e4), 0.03);
    // linear gene: std = sigma * (1 - 0.8) = 0.01, mean 0
    EXPECT_NEAR(lin / n, 0.0, 0.001);
    EXPECT_NEAR(std::sqrt(lin2 / n), 0.01, 0.001);
}

TEST(Search, EliteComeFirstAndUnchanged)
{
    scl_ga_params p = scl_ga_default_params();
    p.population = 10;
    p.elite = 3;
    p.mutation = 1.0;
    std::vector<double> pop = random_pop(p), next(pop.size());
    std::vector<double> fit = {0.1, 0.9, NAN, 0.5, 0.9, 0.2, 0.3, 0.95, 0.0, -1.0};
    ASSERT_EQ(scl_ga_next(&p, kGenes, kN, pop.data(), fit.data(), 1, next.data()), SCL_OK);
    const int want[] = {7, 1, 4}; // best first; the tie 1 = 4 goes to the lower index
    for (int e = 0; e < 3; e++)
        for (int g = 0; g < kN; g++)
            EXPECT_EQ(next[(size_t)e * kN + g], pop[(size_t)want[e] * kN + g]) << "elite " << e;
}

TEST(Search, OneSeedOneRun)
{
    scl_ga_params p = scl_ga_default_params();
    p.population = 16;
    std::vector<double> pop = random_pop(p), a(pop.size()), b(pop.size()), c(pop.size());
    std::vector<double> fit((size_t)p.population);
    for (int32_t i = 0; i < p.population; i++)
        fit[(size_t)i] = i % 5;
    ASSERT_EQ(scl_ga_next(&p, kGenes, kN, pop.data(), fit.data(), 2, a.data()), SCL_OK);
    ASSERT_EQ(scl_ga_next(&p, kGenes, kN, pop.data(), fit.data(), 2, b.data()), SCL_OK);
    EXPECT_EQ(a, b);
    p.seed = 2;
    ASSERT_EQ(scl_ga_next(&p, kGenes, kN, pop.data(), fit.data(), 2, c.data()), SCL_OK);
    EXPECT_NE(a, c);
}

TEST(Search, BadParametersAreRefused)
{
    scl_ga_params p = scl_ga_default_params();
    std::vector<double> pop((size_t)p.population * kN, 0.5), next(pop.size());
    std::vector<double> fit((size_t)p.population, 0.0);
    p.elite = p.population + 1;
    EXPECT_EQ(scl_ga_next(&p, kGenes, kN, pop.data(), fit.data(), 1, next.data()), SCL_ERR_ARG);
    p = scl_ga_default_params();
    const scl_ga_gene bad[] = {{0.0, 1.0, 1, 0}}; // log gene with lo = 0
    EXPECT_EQ(scl_ga_next(&p, bad, 1, pop.data(), fit.data(), 1, next.data()), SCL_ERR_ARG);
    double x[] = {1e9, NAN, 0.0};
    scl_ga_clamp(kGenes, kN, x);
    EXPECT_EQ(x[0], 1000.0);
    EXPECT_EQ(x[1], 1e-5);
    EXPECT_EQ(x[2], 0.8);
}
