/*
 * sleepcl search: a genetic search over the sleep parameters (steps, max_rate, alpha, beta per
 * layer, decay, inc, dec; bounds from [search]), each candidate scored by validation accuracy
 * after sleep on search.nets trained nets (search_score.c), the test split untouched until the
 * final trials (search_final.c). Generation 0 holds the config's own [sleep] set, the published
 * 2024 sets read from configs/sleep (clamped into the bounds) and random candidates.
 *
 * Files in run.out/experiment.name: candidates.csv (every candidate of every generation with
 * its genes, validation accuracy and gain, spike rates and fitness; appended a generation at a
 * time through a temporary file and a rename), best.ini (a [sleep] section that `sleepcl run`
 * and `sleepcl sleep` read), config.ini and search.hash, and final/ (test trials).
 * Resume: the search is deterministic for a config (nets, spikes and the GA all come from the
 * seed), so a restarted search replays the generations, takes the scores of those on disk and
 * computes the rest; fitness is stored with 17 digits so the replay chooses the same parents.
 * The same replay lets any number of workers share a search (search_work.c).
 */
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exp.h"
#include "search.h"

/* ---------------------------------------------------------------- setup */

static void set_gene(struct scl_ga_gene *g, const struct scl_cfg_floats *b, int log, int integer)
{
    g->lo = b->v[0];
    g->hi = b->v[1];
    g->log = log;
    g->integer = integer;
}

void scl_search_setup_genes(struct scl_search_env *env)
{
    const struct scl_cfg_search *s = &env->cfg.search;
    const int L = env->layers;
    set_gene(&env->genes[SCL_GENE_STEPS], &s->steps, 1, 1);
    set_gene(&env->genes[SCL_GENE_MAX_RATE], &s->max_rate, 1, 0);
    set_gene(&env->genes[SCL_GENE_ALPHA], &s->alpha, 1, 0);
    for (int l = 0; l < L; l++)
        set_gene(&env->genes[SCL_GENE_BETA + l], &s->beta, 1, 0);
    set_gene(&env->genes[SCL_GENE_BETA + L], &s->decay, 0, 0);
    set_gene(&env->genes[SCL_GENE_BETA + L + 1], &s->inc, 1, 0);
    set_gene(&env->genes[SCL_GENE_BETA + L + 2], &s->dec, 1, 0);
    env->n_genes = SCL_GENE_BETA + L + 3;
    env->input_gene = -1;
    if (s->input && env->cfg.model.sizes.v[0] == 784) { /* window mode needs 28x28 */
        const struct scl_cfg_floats mode = {2, {0.0, 1.0}};
        env->input_gene = env->n_genes++;
        set_gene(&env->genes[env->input_gene], &mode, 0, 1);
    }
    env->ga = scl_ga_default_params();
    env->ga.population = s->population;
    env->ga.elite = s->elite;
    env->ga.tournament = s->tournament;
    env->ga.crossover = s->crossover;
    env->ga.mutation = s->mutation;
    env->ga.sigma = s->sigma;
    env->ga.seed = env->cfg.run.seed;
}

/* x equals the config's own set (float precision: the config keeps floats). */
static int same_genes(const double *own, const double *x, int32_t n)
{
    for (int32_t k = 0; k < n; k++)
        if (fabs(own[k] - x[k]) > 1e-6 * fabs(x[k]))
            return 0;
    return 1;
}

/* The published sets that seed generation 0 (docs/METHOD.md section 5), each with the input
 * mode it is used with; their values are in these files only. */
static const char *const published[] = {"mnist2024.ini", "fmnist2024.ini"};

/* configs/sleep/NAME: from the config's directory (configs/search/x.ini in a source tree),
 * else the copy shipped beside the program. */
static int published_path(const char *config_path, const char *name, char *buf, size_t n)
{
    char copy[512];
    char rel[128];
    snprintf(copy, sizeof(copy), "%s", config_path ? config_path : ".");
    snprintf(buf, n, "%s/../sleep/%s", dirname(copy), name);
    if (access(buf, R_OK) == 0)
        return SCL_EXIT_OK;
    snprintf(rel, sizeof(rel), "configs/sleep/%s", name);
    return scl_app_share_path(rel, buf, n);
}

/* A [sleep] value as the file states it: the shortest text of the stored float read as a
 * double, so that a value written 0.1 seeds as 0.1 and not as the float nearest to it. */
static double stated(const struct scl_config *c, const char *key)
{
    char text[256] = "";
    scl_cfg_get(c, key, text, sizeof(text));
    return strtod(text, NULL);
}

/* The genes of a published set for this net; 0 when its betas do not fit the net's layers. */
static int published_genes(const struct scl_search_env *env, const struct scl_config *c, double *x)
{
    char text[256] = "";
    const int L = env->layers;
    if (c->sleep.n_beta != L)
        return 0;
    x[SCL_GENE_STEPS] = stated(c, "sleep.steps");
    x[SCL_GENE_MAX_RATE] = stated(c, "sleep.max_rate");
    x[SCL_GENE_ALPHA] = stated(c, "sleep.alpha");
    scl_cfg_get(c, "sleep.beta", text, sizeof(text));
    char *p = text;
    for (int l = 0; l < L; l++, p += *p == ',')
        x[SCL_GENE_BETA + l] = strtod(p, &p);
    x[SCL_GENE_BETA + L] = stated(c, "sleep.decay");
    x[SCL_GENE_BETA + L + 1] = stated(c, "sleep.inc");
    x[SCL_GENE_BETA + L + 2] = stated(c, "sleep.dec");
    if (env->input_gene >= 0)
        x[env->input_gene] = c->sleep.input == SCL_SLEEP_INPUT_WINDOW ? 1.0 : 0.0;
    return 1;
}

/* Read published set `name` into x (clamped); 0 when it does not fit the net. */
static int read_published(const struct scl_search_env *env, const char *config_path,
                          const char *name, double *x, int *fits)
{
    char path[1200];
    char msg[1024];
    static struct scl_config c; /* large */
    int rc = published_path(config_path, name, path, sizeof(path));
    if (rc != SCL_EXIT_OK)
        return rc;
    scl_cfg_defaults(&c);
    if (scl_cfg_load(&c, path, msg, sizeof(msg)) != SCL_OK) {
        scl_app_error("search: %s", msg);
        return SCL_EXIT_USAGE;
    }
    *fits = published_genes(env, &c, x);
    scl_ga_clamp(env->genes, env->n_genes, x);
    return SCL_EXIT_OK;
}

/* Generation 0: the config's set, the published sets that fit the net, then random ones. */
int scl_search_first_generation(struct scl_search_env *env, const char *config_path, double *pop)
{
    const int32_t n = env->n_genes;
    struct scl_sleep_params own = scl_app_sleep_params(&env->cfg, 1, 1);
    int32_t k = 1;
    int rc = SCL_EXIT_OK;
    scl_search_genes_of(env, &own, pop);
    scl_ga_clamp(env->genes, n, pop);
    for (size_t s = 0; rc == SCL_EXIT_OK && k < env->ga.population &&
                       s < sizeof(published) / sizeof(published[0]);
         s++) {
        double *x = pop + (size_t)k * (size_t)n;
        int fits = 0;
        rc = read_published(env, config_path, published[s], x, &fits);
        k += fits && !same_genes(pop, x, n);
    }
    for (; k < env->ga.population; k++)
        scl_ga_random(&env->ga, env->genes, n, 0, k, pop + (size_t)k * (size_t)n);
    return rc;
}

/* ---------------------------------------------------------------- files */

/* The experiment's hash (scl_cfg_hash) and an FNV-1a of the [search] section's dump. */
static void scl_search_hash(const struct scl_config *cfg, char *buf, size_t n)
{
    char h[SCL_CFG_HASH_LEN];
    size_t len = scl_cfg_dump(cfg, NULL, 0);
    char *dump = malloc(len + 1);
    uint64_t fnv = 0xcbf29ce484222325ULL;
    scl_cfg_hash(cfg, h);
    if (dump) {
        scl_cfg_dump(cfg, dump, len + 1);
        const char *s = strstr(dump, "[search]");
        for (; s && *s; s++)
            fnv = (fnv ^ (unsigned char)*s) * 0x100000001b3ULL;
    }
    free(dump);
    snprintf(buf, n, "%s-%016llx", h, (unsigned long long)fnv);
}

/* Refuse a directory of another search; else record this one's hash and config. */
static int check_hash(struct scl_search_env *env)
{
    char path[700], want[64], have[64] = "";
    scl_search_hash(&env->cfg, want, sizeof(want));
    snprintf(path, sizeof(path), "%s/search.hash", env->out);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(have, sizeof(have), f))
            have[0] = '\0';
        fclose(f);
        have[strcspn(have, "\n")] = '\0';
        if (strcmp(have, want) != 0) {
            scl_app_error("%s holds a search of another configuration; choose another run.out or "
                          "experiment.name",
                          env->out);
            return SCL_EXIT_USAGE;
        }
    }
    size_t len = scl_cfg_dump(&env->cfg, NULL, 0);
    char *dump = malloc(len + 1);
    int rc = dump ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
    if (dump)
        scl_cfg_dump(&env->cfg, dump, len + 1);
    snprintf(path, sizeof(path), "%s/config.ini", env->out);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_write_atomic(path, dump, len);
    free(dump);
    snprintf(path, sizeof(path), "%s/search.hash", env->out);
    strcat(want, "\n");
    return rc == SCL_EXIT_OK ? scl_app_write_atomic(path, want, strlen(want)) : rc;
}

/* Scores already on disk: the first two columns and the last of candidates.csv. */
int scl_search_load_done(struct scl_search_env *env, struct scl_search_done *d)
{
    char path[700], line[2048];
    d->generations = env->cfg.search.generations;
    d->population = env->ga.population;
    const size_t cells = (size_t)d->generations * (size_t)d->population;
    d->fit = calloc(cells, sizeof(*d->fit));
    d->have = calloc(cells, 1);
    d->acc = calloc(cells, sizeof(*d->acc));
    d->gain = calloc(cells, sizeof(*d->gain));
    if (!d->fit || !d->have || !d->acc || !d->gain)
        return SCL_EXIT_RUNTIME;
    snprintf(path, sizeof(path), "%s/candidates.csv", env->out);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f)) {
        int g, i;
        const char *last = strrchr(line, ',');
        if (sscanf(line, "%d,%d,", &g, &i) != 2 || !last || g < 0 || g >= d->generations || i < 0 ||
            i >= d->population)
            continue;
        const size_t c = (size_t)g * (size_t)d->population + (size_t)i;
        const char *p = line;
        for (int32_t k = 0; p && k < 2 + env->n_genes; k++) /* to val_acc */
            p = strchr(p + 1, ',');
        d->fit[c] = strtod(last + 1, NULL);
        d->acc[c] = p ? strtod(p + 1, NULL) : (double)NAN;
        p = p ? strchr(p + 1, ',') : NULL;
        d->gain[c] = p ? strtod(p + 1, NULL) : (double)NAN;
        d->have[c] = 1;
    }
    if (f)
        fclose(f);
    return SCL_EXIT_OK;
}

static void csv_header(const struct scl_search_env *env, struct scl_res_buf *b)
{
    scl_res_printf(b, "generation,candidate,steps,max_rate,alpha");
    for (int l = 1; l <= env->layers; l++)
        scl_res_printf(b, ",beta%d", l);
    scl_res_printf(b, ",decay,inc,dec%s,val_acc,val_gain", env->input_gene >= 0 ? ",input" : "");
    for (int l = 0; l <= env->layers; l++)
        scl_res_printf(b, ",rate%d", l);
    scl_res_printf(b, ",bad_layers,fitness\n");
}

/* Append one generation's rows (the file is rewritten whole: it stays small). */
int scl_search_append_generation(struct scl_search_env *env, int32_t g, const double *pop,
                                 const struct scl_search_score *s)
{
    char path[700];
    struct scl_res_buf b = {0};
    snprintf(path, sizeof(path), "%s/candidates.csv", env->out);
    FILE *f = fopen(path, "rb");
    if (f) {
        char chunk[8192];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
            scl_res_printf(&b, "%.*s", (int)n, chunk);
        fclose(f);
    } else {
        csv_header(env, &b);
    }
    for (int32_t i = 0; i < env->ga.population; i++) {
        const double *x = pop + (size_t)i * (size_t)env->n_genes;
        scl_res_printf(&b, "%d,%d,%.0f", (int)g, (int)i, x[0]);
        for (int32_t k = 1; k < env->n_genes; k++)
            scl_res_printf(&b, ",%.9g", x[k]);
        scl_res_printf(&b, ",%.6f,%+.6f", s[i].acc, s[i].gain);
        for (int l = 0; l <= env->layers; l++)
            scl_res_printf(&b, ",%.3e", s[i].rate[l]);
        scl_res_printf(&b, ",%d,%.17g\n", s[i].bad_layers, s[i].fitness);
    }
    int rc = b.text ? scl_app_write_atomic(path, b.text, b.len) : SCL_EXIT_RUNTIME;
    free(b.text);
    return rc;
}

/* ---------------------------------------------------------------- best set */

/* The best candidate's genes, rounded to the 6 digits best.ini keeps. */
void scl_search_round_genes(const struct scl_search_env *env, double *x)
{
    char text[64];
    for (int32_t k = 0; k < env->n_genes; k++) {
        snprintf(text, sizeof(text), "%.6g", x[k]);
        x[k] = strtod(text, NULL);
    }
}

static void put_key(struct scl_res_buf *b, const struct scl_config *cfg, const char *key)
{
    char value[256] = "";
    scl_cfg_get(cfg, key, value, sizeof(value));
    scl_res_printf(b, "%s = %s\n", strchr(key, '.') + 1, value);
}

int scl_search_write_best(struct scl_search_env *env, const double *x, int32_t g, int32_t i,
                          double fitness)
{
    struct scl_res_buf b = {0};
    char path[700];
    const int L = env->layers;
    scl_res_printf(&b,
                   "# Sleep parameters found by sleepcl search (data.fraction %g, %d nets, seed %u"
                   "):\n# generation %d candidate %d, validation fitness %.4f. Use alone (-c) "
                   "or through [config] include.\n[sleep]\nsteps = %.0f\n",
                   env->cfg.data.fraction, (int)env->cfg.search.nets, env->cfg.run.seed, (int)g,
                   (int)i, fitness, x[SCL_GENE_STEPS]);
    put_key(&b, &env->cfg, "sleep.steps_per_task");
    put_key(&b, &env->cfg, "sleep.dt");
    scl_res_printf(&b, "max_rate = %.6g\n", x[SCL_GENE_MAX_RATE]);
    put_key(&b, &env->cfg, "sleep.gain");
    scl_res_printf(&b, "alpha = %.6g\nalpha_vector =\nbeta = ", x[SCL_GENE_ALPHA]);
    for (int l = 0; l < L; l++)
        scl_res_printf(&b, "%s%.6g", l ? "," : "", x[SCL_GENE_BETA + l]);
    scl_res_printf(&b, "\ndecay = %.6g\ninc = %.6g\ndec = %.6g\n", x[SCL_GENE_BETA + L],
                   x[SCL_GENE_BETA + L + 1], x[SCL_GENE_BETA + L + 2]);
    put_key(&b, &env->cfg, "sleep.modulation");
    if (env->input_gene >= 0)
        scl_res_printf(&b, "input = %s\n", x[env->input_gene] >= 0.5 ? "window" : "mean");
    else
        put_key(&b, &env->cfg, "sleep.input");
    put_key(&b, &env->cfg, "sleep.norm");
    snprintf(path, sizeof(path), "%s/best.ini", env->out);
    int rc = b.text ? scl_app_write_atomic(path, b.text, b.len) : SCL_EXIT_RUNTIME;
    free(b.text);
    if (rc == SCL_EXIT_OK)
        fprintf(stderr, "sleepcl: search: best set written to %s\n", path);
    return rc;
}

/* ---------------------------------------------------------------- the generations */

static void progress(struct scl_search_env *env, int32_t g, const struct scl_search_score *s,
                     const struct scl_search_best *b, double t_gen)
{
    const int32_t n = env->ga.population, G = env->cfg.search.generations;
    int32_t top = 0, bad = 0;
    double mean = 0;
    for (int32_t i = 0; i < n; i++) {
        top = s[i].fitness > s[top].fitness ? i : top;
        bad += s[i].bad_layers > 0;
        mean += s[i].acc / n;
    }
    fprintf(stderr,
            "sleepcl: search: generation %d/%d: best %.4f (val acc %.4f, gain %+.4f), mean acc "
            "%.4f, %d/%d with silent or saturated layers; best so far %.4f (gen %d); %.1f s, "
            "ETA %.0f s\n",
            (int)g + 1, (int)G, s[top].fitness, s[top].acc, s[top].gain, mean, (int)bad, (int)n,
            b->fitness, (int)b->generation, t_gen, t_gen * (G - g - 1));
}

/* Scores of generation g: from disk when all there, else computed and appended. */
static int score_generation(struct scl_search_env *env, struct scl_search_done *d, int32_t g,
                            const double *pop, struct scl_search_score *s)
{
    const int32_t n = env->ga.population;
    int all = 1;
    for (int32_t i = 0; i < n; i++)
        all &= d->have[(size_t)g * (size_t)n + (size_t)i];
    if (all) {
        memset(s, 0, sizeof(*s) * (size_t)n);
        for (int32_t i = 0; i < n; i++) {
            const size_t c = (size_t)g * (size_t)n + (size_t)i;
            s[i].fitness = d->fit[c];
            s[i].acc = d->acc[c];
            s[i].gain = d->gain[c];
        }
        return SCL_EXIT_OK;
    }
    int rc = env->n_nets ? SCL_EXIT_OK : scl_search_nets_open(env);
    if (rc == SCL_EXIT_OK)
        rc = scl_search_score_population(env, pop, n, s);
    if (rc == SCL_EXIT_OK) /* %.17g: a resumed run reads back the same doubles */
        rc = scl_search_append_generation(env, g, pop, s);
    return rc;
}

void scl_search_take_best(struct scl_search_env *env, int32_t g, const double *pop,
                          const struct scl_search_score *s, struct scl_search_best *b)
{
    for (int32_t i = 0; i < env->ga.population; i++) {
        if (!(s[i].fitness > b->fitness))
            continue;
        b->fitness = s[i].fitness;
        b->generation = g;
        b->candidate = i;
        memcpy(b->x, pop + (size_t)i * (size_t)env->n_genes, sizeof(double) * (size_t)env->n_genes);
    }
}

static int run_generations(struct scl_search_env *env, const char *config_path,
                           struct scl_search_done *d, struct scl_search_best *b)
{
    const size_t cells = (size_t)env->ga.population * (size_t)env->n_genes;
    double *pop = calloc(cells, sizeof(double)), *next = calloc(cells, sizeof(double));
    double *fit = calloc((size_t)env->ga.population, sizeof(double));
    struct scl_search_score *s = calloc((size_t)env->ga.population, sizeof(*s));
    int rc = pop && next && fit && s ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
    b->fitness = -HUGE_VAL;
    if (rc == SCL_EXIT_OK)
        rc = scl_search_first_generation(env, config_path, pop);
    for (int32_t g = 0; g < env->cfg.search.generations && rc == SCL_EXIT_OK; g++) {
        const double t = scl_app_now();
        rc = score_generation(env, d, g, pop, s);
        if (rc != SCL_EXIT_OK)
            break;
        scl_search_take_best(env, g, pop, s, b);
        progress(env, g, s, b, scl_app_now() - t);
        for (int32_t i = 0; i < env->ga.population; i++)
            fit[i] = s[i].fitness;
        if (scl_ga_next(&env->ga, env->genes, env->n_genes, pop, fit, g + 1, next) != SCL_OK)
            rc = SCL_EXIT_RUNTIME;
        memcpy(pop, next, cells * sizeof(double));
    }
    free(pop);
    free(next);
    free(fit);
    free(s);
    return rc;
}

/* ---------------------------------------------------------------- the search */

int scl_search_open(struct scl_search_env *env, const struct scl_config *cfg,
                    const char *config_path, bool worker)
{
    env->cfg = *cfg;
    if (!(env->cfg.data.val_fraction > 0.0)) {
        scl_app_error("search needs a validation split: set data.val_fraction (e.g. 0.2)");
        return SCL_EXIT_USAGE;
    }
    if (scl_search_check_fitness(&env->cfg) != SCL_EXIT_OK)
        return SCL_EXIT_USAGE;
    env->layers = env->cfg.model.sizes.n - 1;
    scl_app_out_dir(&env->cfg, config_path, env->out, sizeof(env->out));
    scl_search_setup_genes(env);
    int rc = scl_app_check_sleep(&env->cfg);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_mkdir_p(env->out);
    if (rc == SCL_EXIT_OK && worker) { /* any number of workers, but no one process beside */
        scl_res_init(&env->shared_lock, env->out);
        env->shared_lock.shared = true;
        rc = scl_res_lock(&env->shared_lock);
    } else if (rc == SCL_EXIT_OK) { /* one search per directory, as one run per run directory */
        rc = scl_res_lock_dir(env->out, &env->lock_fd);
    }
    if (rc == SCL_EXIT_OK)
        rc = check_hash(env);
    if (worker && scl_exp_work_device(&env->cfg)) /* after config.ini: a device of its own */
        snprintf(env->cfg.device.device, sizeof(env->cfg.device.device), "%s",
                 scl_exp_work_device(&env->cfg));
    if (rc == SCL_EXIT_OK && !(env->ctx = scl_app_open_cfg_ctx(&env->cfg)))
        rc = SCL_EXIT_RUNTIME;
    if (rc == SCL_EXIT_OK && !(env->train_full = scl_app_load_split(&env->cfg, "train")))
        rc = SCL_EXIT_RUNTIME;
    return rc;
}

/* The generations, best.ini, then the final test trials. */
static int search(struct scl_search_env *env, const char *config_path, struct scl_search_done *d)
{
    struct scl_search_best b;
    memset(&b, 0, sizeof(b));
    int rc = scl_search_load_done(env, d);
    if (rc == SCL_EXIT_OK)
        rc = run_generations(env, config_path, d, &b);
    scl_search_nets_close(env); /* the test trials train their own nets */
    if (rc == SCL_EXIT_OK) {
        scl_search_round_genes(env, b.x);
        rc = scl_search_write_best(env, b.x, b.generation, b.candidate, b.fitness);
    }
    struct scl_sleep_params best = scl_search_params(env, b.x, env->cfg.run.seed);
    int left = 0;
    if (rc == SCL_EXIT_OK && env->cfg.search.trials > 0)
        rc = scl_search_final_trials(env, &best, NULL, &left);
    return rc;
}

int scl_search_run(const struct scl_config *cfg, const char *config_path)
{
    static struct scl_search_env env; /* large; one search per process */
    struct scl_search_done d = {0};
    memset(&env, 0, sizeof(env));
    env.t0 = scl_app_now();
    int rc = scl_search_open(&env, cfg, config_path, false);
    if (rc == SCL_EXIT_OK)
        rc = search(&env, config_path, &d);
    if (rc == SCL_EXIT_OK)
        printf("search results in %s\n", env.out);
    free(d.fit);
    free(d.have);
    free(d.acc);
    free(d.gain);
    scl_dataset_destroy(env.train_full);
    scl_ctx_destroy(env.ctx);
    return rc;
}
