/*
 * The genetic algorithm of the sleep-parameter search (docs/SEARCH.md): a population of
 * real-valued candidates, elitism, tournament selection, uniform crossover and normal mutation,
 * in log space for the genes that are rates, thresholds or step sizes (they span decades, and a
 * step of +-10 % should mean the same at 1e-4 as at 1e-2).
 *
 * Invariants: every candidate leaves here inside its genes' bounds; one (seed, generation) gives
 * the same generation on every machine, because every random number is a Philox word at counter
 * (element, generation, child) under key (seed, SCL_RNG_SEARCH) and nothing else is random.
 * The search loop itself (training, sleeping and scoring candidates) lives in the CLI.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* Random-number uses within one child: the element word of its Philox counter. */
enum { DRAW_TOURNAMENT = 0, DRAW_CROSS = 64, DRAW_GENE = 128, DRAW_RANDOM = 4096 };

struct scl_ga_params scl_ga_default_params(void)
{
    struct scl_ga_params p;
    memset(&p, 0, sizeof(p));
    p.population = 32;
    p.elite = 2;
    p.tournament = 3;
    p.crossover = 0.7;
    p.mutation = 0.3;
    p.sigma = 0.1;
    p.seed = 1;
    return p;
}

/* A uniform double in [0, 1) from draw `element` of child `child` of `generation`. */
static double draw(const struct scl_ga_params *p, uint32_t element, int32_t generation,
                   int32_t child)
{
    uint32_t w[4];
    scl_rng_words(p->seed, SCL_RNG_SEARCH, element, (uint32_t)generation, (uint32_t)child, w);
    return ((double)(w[0] >> 5) * 67108864.0 + (double)(w[1] >> 6)) / 9007199254740992.0;
}

/* A standard normal (Box-Muller) from two draws. */
static double normal(const struct scl_ga_params *p, uint32_t element, int32_t generation,
                     int32_t child)
{
    const double u = draw(p, element, generation, child);
    const double v = draw(p, element + 1, generation, child);
    return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

void scl_ga_clamp(const struct scl_ga_gene *genes, int32_t n_genes, double *x)
{
    for (int32_t g = 0; g < n_genes; g++) {
        double v = isnan(x[g]) ? genes[g].lo : x[g];
        v = v < genes[g].lo ? genes[g].lo : v > genes[g].hi ? genes[g].hi : v;
        if (genes[g].integer) {
            v = floor(v + 0.5);
            v = v > genes[g].hi ? floor(genes[g].hi) : v < genes[g].lo ? ceil(genes[g].lo) : v;
        }
        x[g] = v;
    }
}

/* The gene's value at position u in [0, 1] of its range (log-uniform for log genes). */
static double at_share(const struct scl_ga_gene *g, double u)
{
    if (g->log)
        return exp(log(g->lo) + u * (log(g->hi) - log(g->lo)));
    return g->lo + u * (g->hi - g->lo);
}

void scl_ga_random(const struct scl_ga_params *p, const struct scl_ga_gene *genes, int32_t n_genes,
                   int32_t generation, int32_t index, double *x)
{
    for (int32_t g = 0; g < n_genes; g++)
        x[g] = at_share(&genes[g], draw(p, DRAW_RANDOM + (uint32_t)g, generation, index));
    scl_ga_clamp(genes, n_genes, x);
}

static int fitter(const double *fit, int32_t a, int32_t b)
{
    const double fa = isnan(fit[a]) ? -HUGE_VAL : fit[a];
    const double fb = isnan(fit[b]) ? -HUGE_VAL : fit[b];
    return fa > fb || (fa == fb && a < b);
}

/* The winner of a tournament of p->tournament candidates drawn with replacement. */
static int32_t tournament(const struct scl_ga_params *p, const double *fit, int32_t generation,
                          int32_t child, uint32_t element)
{
    int32_t best = -1;
    for (int32_t k = 0; k < p->tournament; k++) {
        double u = draw(p, element + (uint32_t)k, generation, child);
        int32_t c = (int32_t)(u * p->population);
        c = c >= p->population ? p->population - 1 : c;
        if (best < 0 || fitter(fit, c, best))
            best = c;
    }
    return best;
}

/* One gene of a child: a normal step, scaled to the gene's (log) range. */
static double mutate(const struct scl_ga_gene *g, double x, double z, double sigma)
{
    if (g->log)
        return exp(log(x) + z * sigma * (log(g->hi) - log(g->lo)));
    return x + z * sigma * (g->hi - g->lo);
}

static void make_child(const struct scl_ga_params *p, const struct scl_ga_gene *genes,
                       int32_t n_genes, const double *pop, const double *fit, int32_t generation,
                       int32_t child, double *x)
{
    const int32_t a = tournament(p, fit, generation, child, DRAW_TOURNAMENT);
    const int32_t b = tournament(p, fit, generation, child, DRAW_TOURNAMENT + 32);
    const int cross = draw(p, DRAW_CROSS, generation, child) < p->crossover;
    for (int32_t g = 0; g < n_genes; g++) {
        const uint32_t e = DRAW_GENE + 4 * (uint32_t)g;
        const int from_b = cross && draw(p, e, generation, child) < 0.5;
        x[g] = pop[(size_t)(from_b ? b : a) * (size_t)n_genes + (size_t)g];
        if (draw(p, e + 1, generation, child) < p->mutation)
            x[g] = mutate(&genes[g], x[g], normal(p, e + 2, generation, child), p->sigma);
    }
    scl_ga_clamp(genes, n_genes, x);
}

static scl_status check_params(const struct scl_ga_params *p, const struct scl_ga_gene *genes,
                               int32_t n_genes)
{
    if (p->population < 2 || p->elite < 0 || p->elite > p->population || p->tournament < 1 ||
        n_genes < 1 || !(p->sigma >= 0.0))
        return SCL_ERR_ARG;
    for (int32_t g = 0; g < n_genes; g++)
        if (!(genes[g].lo <= genes[g].hi) || (genes[g].log && !(genes[g].lo > 0.0)))
            return SCL_ERR_ARG;
    return SCL_OK;
}

scl_status scl_ga_next(const struct scl_ga_params *p, const struct scl_ga_gene *genes,
                       int32_t n_genes, const double *pop, const double *fitness,
                       int32_t generation, double *next)
{
    if (check_params(p, genes, n_genes) != SCL_OK)
        return SCL_ERR_ARG;
    int32_t *order = scl_calloc((size_t)p->population, sizeof(*order));
    if (!order)
        return SCL_ERR_NOMEM;
    /* insertion sort by fitness, best first: populations are a few dozen */
    for (int32_t i = 0; i < p->population; i++) {
        int32_t j = i;
        for (; j > 0 && fitter(fitness, i, order[j - 1]); j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    const size_t row = sizeof(double) * (size_t)n_genes;
    for (int32_t e = 0; e < p->elite; e++)
        memcpy(next + (size_t)e * (size_t)n_genes, pop + (size_t)order[e] * (size_t)n_genes, row);
    for (int32_t c = p->elite; c < p->population; c++)
        make_child(p, genes, n_genes, pop, fitness, generation, c,
                   next + (size_t)c * (size_t)n_genes);
    scl_free(order);
    return SCL_OK;
}
