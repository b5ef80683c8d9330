/*
 * sleepcl search --worker: a search shared by any number of processes, on one machine or many
 * over a shared filesystem (docs/CLUSTER.md). The unit of work is one generation scored on one
 * net: the whole population slept on that net in one batch and evaluated, as the one-process
 * search does it (search_score.c), written to scores/G.K.csv with 17 digits so that the doubles
 * read back are the ones computed. Candidates are not cut into slices: the batched evaluation's
 * products may round differently for another batch shape, and every candidate's score must be
 * the one a single process gets. Each unit is taken under a claim (claim.c), as a sweep's
 * trials are; a worker trains only the nets of the units it takes.
 *
 * Every worker replays the generations from the seed (generation 0, then scl_ga_next on the
 * fitness read from candidates.csv), as a resumed search does, so all agree on each
 * generation's candidates without exchanging them. When the units of a generation are all
 * there, one worker (claim "mergeG") adds the nets' shares in net order, with the arithmetic of
 * scl_search_score_population, and appends the generation to candidates.csv; the others see it
 * there and breed the next one themselves. The final test trials are units too ("finalK",
 * final/trials/K.*.csv); the worker that finds them all done takes "finish": best.ini, the
 * trials merged in order into final/, the table, and the mark claims/finished. The files are
 * then byte for byte those of `sleepcl search` with the same config, whatever the number of
 * workers and whichever of them died: a dead worker's claim is taken again (at once on the same
 * machine, after the lease on another) and its unit computed again with the same result.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "claim.h"
#include "search.h"

struct work {
    struct scl_search_env *env;
    char claims[600], scores[600];
    struct scl_claim claim;
    struct scl_claim_watch watch;
    struct scl_search_done d;
    int32_t g;                /* the generation being scored: those before are on disk */
    double *pop, *next, *fit; /* generation g's candidates; the next; fitness */
    struct scl_search_score *s;
    struct scl_search_net_score *ns;
    struct scl_search_best best;
    int ran, busy; /* units run here, and units held by other live workers, in this pass */
};

static void score_path(const struct work *w, int32_t g, int k, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%d.%d.csv", w->scores, (int)g, k);
}

static bool unit_done(const struct work *w, int32_t g, int k)
{
    char path[700];
    score_path(w, g, k, path, sizeof(path));
    return access(path, F_OK) == 0;
}

/* A claim of `name`: 1 taken (w->claim holds it), 0 held by a live worker, -1 an error. */
static int take(struct work *w, const char *name)
{
    switch (scl_claim_take(w->claims, name, &w->watch, &w->claim)) {
    case SCL_CLAIM_TAKEN:
        return 1;
    case SCL_CLAIM_BUSY:
        w->busy++;
        return 0;
    default:
        return -1;
    }
}

/* ---------------------------------------------------------------- units: a generation on a net */

/* base_acc of the net, then per candidate its accuracy and layer rates, all with 17 digits. */
static int write_unit(struct work *w, int32_t g, int k)
{
    const struct scl_search_env *env = w->env;
    struct scl_res_buf b = {0};
    char path[700];
    scl_res_printf(&b, "base_acc,%.17g\n", env->nets[k].base_acc);
    for (int32_t i = 0; i < env->ga.population; i++) {
        scl_res_printf(&b, "%d,%.17g", (int)i, w->ns[i].acc);
        for (int l = 0; l <= env->layers; l++)
            scl_res_printf(&b, ",%.17g", w->ns[i].rate[l]);
        scl_res_printf(&b, "\n");
    }
    score_path(w, g, k, path, sizeof(path));
    int rc = b.text ? scl_app_write_atomic(path, b.text, b.len) : SCL_EXIT_RUNTIME;
    free(b.text);
    return rc;
}

/* Unit (g, k) read back into w->ns and *base; prints the error. */
static int read_unit(struct work *w, int32_t g, int k, double *base)
{
    const struct scl_search_env *env = w->env;
    char path[700], line[2048];
    int32_t rows = 0;
    score_path(w, g, k, path, sizeof(path));
    FILE *f = fopen(path, "r");
    bool ok = f && fgets(line, sizeof(line), f) && sscanf(line, "base_acc,%lf", base) == 1;
    while (ok && rows < env->ga.population && fgets(line, sizeof(line), f)) {
        char *p = line;
        struct scl_search_net_score *x = &w->ns[rows];
        ok = strtol(p, &p, 10) == rows && *p == ',';
        x->acc = strtod(p + 1, &p);
        for (int l = 0; ok && l <= env->layers; l++) {
            ok = *p == ',';
            x->rate[l] = strtod(p + 1, &p);
        }
        rows += ok;
    }
    if (f)
        fclose(f);
    if (!ok || rows != env->ga.population) {
        scl_app_error("%s: not the scores of %d candidates (remove it to score them again)", path,
                      (int)env->ga.population);
        return SCL_EXIT_RUNTIME;
    }
    return SCL_EXIT_OK;
}

/* Unit (g, k) by this worker when no one holds it. */
static int run_unit(struct work *w, int32_t g, int k)
{
    char name[64];
    snprintf(name, sizeof(name), "g%d.n%d", (int)g, k);
    int took = take(w, name);
    if (took <= 0)
        return took == 0 ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
    int rc = unit_done(w, g, k) ? SCL_EXIT_OK : scl_search_net_open(w->env, k); /* retaken */
    if (rc == SCL_EXIT_OK && !unit_done(w, g, k)) {
        rc = scl_search_score_net(w->env, k, w->pop, w->env->ga.population, w->ns);
        if (rc == SCL_EXIT_OK)
            rc = write_unit(w, g, k);
        if (rc == SCL_EXIT_OK)
            fprintf(stderr, "sleepcl: search: worker scored generation %d on net %d\n", (int)g + 1,
                    k + 1);
        w->ran++;
    }
    scl_claim_release(&w->claim);
    return rc;
}

static bool generation_on_disk(const struct work *w, int32_t g)
{
    const int32_t n = w->env->ga.population;
    for (int32_t i = 0; i < n; i++)
        if (!w->d.have[(size_t)g * (size_t)n + (size_t)i])
            return false;
    return true;
}

static void free_done(struct scl_search_done *d)
{
    free(d->fit);
    free(d->have);
    free(d->acc);
    free(d->gain);
    memset(d, 0, sizeof(*d));
}

static int reload(struct work *w)
{
    free_done(&w->d);
    return scl_search_load_done(w->env, &w->d);
}

/* Generation g from its units, nets in order, appended to candidates.csv: once, by the worker
 * that holds "mergeG". */
static int merge_generation(struct work *w, int32_t g)
{
    char name[64];
    snprintf(name, sizeof(name), "merge%d", (int)g);
    int took = take(w, name);
    if (took <= 0)
        return took == 0 ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
    const int32_t n = w->env->ga.population;
    int rc = reload(w); /* a worker taken for dead may have merged it */
    if (rc == SCL_EXIT_OK && !generation_on_disk(w, g)) {
        memset(w->s, 0, sizeof(*w->s) * (size_t)n);
        for (int k = 0; k < w->env->cfg.search.nets && rc == SCL_EXIT_OK; k++) {
            double base = 0;
            rc = read_unit(w, g, k, &base);
            if (rc == SCL_EXIT_OK)
                scl_search_score_add(w->env, base, w->ns, n, w->s);
        }
        scl_search_score_end(w->env, n, w->s);
        /* a worker taken for dead while it merged must not rewrite candidates.csv: the newer
         * holder may have appended a later generation since */
        if (rc == SCL_EXIT_OK && !scl_claim_superseded(&w->claim))
            rc = scl_search_append_generation(w->env, g, w->pop, w->s);
        if (rc == SCL_EXIT_OK)
            rc = reload(w);
    }
    scl_claim_release(&w->claim);
    return rc;
}

/* Past every generation now on disk: the best so far, and the next generation bred. */
static int advance(struct work *w)
{
    struct scl_search_env *env = w->env;
    const int32_t n = env->ga.population;
    const size_t cells = (size_t)n * (size_t)env->n_genes;
    while (w->g < env->cfg.search.generations && generation_on_disk(w, w->g)) {
        for (int32_t i = 0; i < n; i++) {
            const size_t c = (size_t)w->g * (size_t)n + (size_t)i;
            memset(&w->s[i], 0, sizeof(w->s[i]));
            w->s[i].fitness = w->fit[i] = w->d.fit[c];
        }
        scl_search_take_best(env, w->g, w->pop, w->s, &w->best);
        fprintf(stderr,
                "sleepcl: search: generation %d/%d scored; best so far %.4f (gen %d); %.0f s\n",
                (int)w->g + 1, (int)env->cfg.search.generations, w->best.fitness,
                (int)w->best.generation, scl_app_now() - env->t0);
        if (scl_ga_next(&env->ga, env->genes, env->n_genes, w->pop, w->fit, w->g + 1, w->next) !=
            SCL_OK)
            return SCL_EXIT_RUNTIME;
        memcpy(w->pop, w->next, cells * sizeof(double));
        w->g++;
    }
    return SCL_EXIT_OK;
}

/* Units of generation w->g this worker can take (the nets it has trained first), then its merge
 * when all are there; again for the next generation while there is progress. */
static int score_generations(struct work *w)
{
    struct scl_search_env *env = w->env;
    const int nets = env->cfg.search.nets;
    int rc = advance(w);
    while (rc == SCL_EXIT_OK && w->g < env->cfg.search.generations) {
        const int32_t g = w->g;
        for (int pass = 0; pass < 2 && rc == SCL_EXIT_OK; pass++)
            for (int k = 0; k < nets && rc == SCL_EXIT_OK; k++)
                if ((env->nets[k].model != NULL) == (pass == 0) && !unit_done(w, g, k))
                    rc = run_unit(w, g, k);
        bool all = true;
        for (int k = 0; k < nets; k++)
            all = all && unit_done(w, g, k);
        if (rc != SCL_EXIT_OK || !all)
            break;
        rc = merge_generation(w, g);
        if (rc == SCL_EXIT_OK)
            rc = advance(w);
        if (w->g == g) /* another worker merges it */
            break;
    }
    return rc;
}

/* ---------------------------------------------------------------- the final trials and finish */

static int final_take(void *user, int k)
{
    struct work *w = user;
    char name[64];
    snprintf(name, sizeof(name), "final%d", k);
    int took = take(w, name);
    w->busy -= took == 0; /* final_trials counts those itself */
    w->ran += took == 1;
    return took;
}

static void final_release(void *user)
{
    struct work *w = user;
    scl_claim_release(&w->claim);
}

/* best.ini, the final trials merged and their table, the mark: once, under "finish". */
static int finish(struct work *w, bool *done)
{
    char marker[700];
    snprintf(marker, sizeof(marker), "%s/finished", w->claims);
    *done = access(marker, F_OK) == 0;
    if (*done)
        return SCL_EXIT_OK;
    int took = take(w, "finish");
    if (took <= 0)
        return took == 0 ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
    struct scl_search_best b = w->best;
    scl_search_round_genes(w->env, b.x);
    int rc = scl_search_write_best(w->env, b.x, b.generation, b.candidate, b.fitness);
    if (rc == SCL_EXIT_OK && w->env->cfg.search.trials > 0)
        rc = scl_search_final_merge(w->env);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_write_atomic(marker, "", 0);
    scl_claim_release(&w->claim);
    *done = rc == SCL_EXIT_OK;
    return rc;
}

/* One look at the search: units taken and run, generations merged, the end. */
static int work_pass(struct work *w, bool *done)
{
    struct scl_search_env *env = w->env;
    *done = false;
    int rc = reload(w);
    if (rc == SCL_EXIT_OK)
        rc = score_generations(w);
    if (rc != SCL_EXIT_OK || w->g < env->cfg.search.generations)
        return rc;
    scl_search_nets_close(env); /* the test trials train their own nets */
    struct scl_search_best b = w->best;
    scl_search_round_genes(env, b.x);
    struct scl_sleep_params best = scl_search_params(env, b.x, env->cfg.run.seed);
    const struct scl_search_final_claims claims = {final_take, final_release, w};
    int left = 0;
    if (env->cfg.search.trials > 0)
        rc = scl_search_final_trials(env, &best, &claims, &left);
    w->busy += left;
    if (rc == SCL_EXIT_OK && left == 0)
        rc = finish(w, done);
    return rc;
}

static int work_loop(struct work *w)
{
    double poll = fmin(0.25, w->watch.lease / SCL_CLAIM_BEATS);
    struct timespec nap = {(time_t)poll, (long)((poll - (double)(time_t)poll) * 1e9)};
    int ran = 0;
    for (;;) {
        bool done = false;
        w->ran = 0;
        w->busy = 0;
        int rc = work_pass(w, &done);
        ran += w->ran;
        if (rc != SCL_EXIT_OK || done) {
            if (rc == SCL_EXIT_OK)
                fprintf(stderr,
                        "sleepcl: search: worker done: %d units run here, search complete\n", ran);
            return rc;
        }
        if (w->ran == 0) /* others hold the rest: wait for them to end, or to die */
            nanosleep(&nap, NULL);
    }
}

int scl_search_run_worker(const struct scl_config *cfg, const char *config_path)
{
    static struct scl_search_env env; /* large; one search per process */
    static struct work w;
    memset(&env, 0, sizeof(env));
    memset(&w, 0, sizeof(w));
    env.t0 = scl_app_now();
    w.env = &env;
    w.watch.lease = scl_claim_lease();
    int rc = w.watch.lease > 0 ? SCL_EXIT_OK : SCL_EXIT_USAGE;
    if (rc == SCL_EXIT_OK && cfg->search.finetune) {
        /* the fine-tune's trainer carries its epoch count and momentum from candidate to
         * candidate and generation to generation: no unit could be scored apart */
        scl_app_error("search --worker: search.finetune = 1 scores each candidate after the ones "
                      "before it on the same trainer; run it in one process");
        rc = SCL_EXIT_USAGE;
    }
    if (rc == SCL_EXIT_OK)
        rc = scl_search_open(&env, cfg, config_path, true);
    env.n_nets = env.cfg.search.nets; /* the mean's divisor, for merges by a worker that trained
                                         no net */
    snprintf(w.claims, sizeof(w.claims), "%s/claims", env.out);
    snprintf(w.scores, sizeof(w.scores), "%s/scores", env.out);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_mkdir_p(w.claims);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_mkdir_p(w.scores);
    const size_t n = (size_t)env.ga.population, cells = n * (size_t)env.n_genes;
    w.pop = calloc(cells ? cells : 1, sizeof(double));
    w.next = calloc(cells ? cells : 1, sizeof(double));
    w.fit = calloc(n ? n : 1, sizeof(double));
    w.s = calloc(n ? n : 1, sizeof(*w.s));
    w.ns = calloc(n ? n : 1, sizeof(*w.ns));
    if (rc == SCL_EXIT_OK && !(w.pop && w.next && w.fit && w.s && w.ns))
        rc = SCL_EXIT_RUNTIME;
    w.best.fitness = -HUGE_VAL;
    if (rc == SCL_EXIT_OK)
        rc = scl_search_first_generation(&env, config_path, w.pop);
    if (rc == SCL_EXIT_OK)
        rc = work_loop(&w);
    if (rc == SCL_EXIT_OK)
        printf("search results in %s\n", env.out);
    scl_search_nets_close(&env);
    free_done(&w.d);
    free(w.pop);
    free(w.next);
    free(w.fit);
    free(w.s);
    free(w.ns);
    scl_claim_watch_free(&w.watch);
    scl_dataset_destroy(env.train_full);
    scl_ctx_destroy(env.ctx);
    return rc;
}

/* ---------------------------------------------------------------- status */

/* Rows of candidates.csv per generation into rows[G]. */
static void count_rows(const char *dir, int32_t G, int32_t *rows)
{
    char path[700], line[4096];
    snprintf(path, sizeof(path), "%s/candidates.csv", dir);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f)) {
        int g, i;
        if (sscanf(line, "%d,%d,", &g, &i) == 2 && g >= 0 && g < G)
            rows[g]++;
    }
    if (f)
        fclose(f);
}

/* Whether the claim `name` is held by a live worker; prints it. */
static bool running(const char *dir, const char *name, const char *what, double lease)
{
    char claims[700], text[256];
    struct scl_claim_owner o;
    bool alive = false;
    snprintf(claims, sizeof(claims), "%s/claims", dir);
    if (!scl_claim_peek(claims, name, lease, text, sizeof(text), &alive) || !alive)
        return false;
    if (scl_claim_parse(text, &o))
        printf("  running: %s on %s, pid %ld, for %.0f s\n", what, o.host, o.pid,
               difftime(time(NULL), (time_t)o.wall));
    return true;
}

/* Seconds of the scored units so far (their scores' time less their claim's), for the ETA. */
struct unit_times {
    double s;
    int n;
};

static void time_unit(const char *dir, int32_t g, int k, double lease, struct unit_times *t)
{
    char claims[700], name[64], path[800], text[256];
    struct scl_claim_owner o;
    struct stat st;
    bool alive = false;
    snprintf(claims, sizeof(claims), "%s/claims", dir);
    snprintf(name, sizeof(name), "g%d.n%d", (int)g, k);
    snprintf(path, sizeof(path), "%s/scores/%d.%d.csv", dir, (int)g, k);
    if (stat(path, &st) == 0 && scl_claim_peek(claims, name, lease, text, sizeof(text), &alive) &&
        scl_claim_parse(text, &o)) {
        t->s += difftime(st.st_mtime, (time_t)o.wall);
        t->n++;
    }
}

/* Final trials done (their own file, or merged) and running. */
static void count_final(const char *dir, const struct scl_config *cfg, double lease, int *done,
                        int *run)
{
    struct scl_res_store r;
    char final[600], path[800], name[64], what[64];
    snprintf(final, sizeof(final), "%s/final", dir);
    scl_res_init(&r, final);
    scl_res_read_done(&r);
    for (int k = 0; k < cfg->search.trials; k++) {
        snprintf(path, sizeof(path), "%s/trials/%d.results.csv", final, k);
        snprintf(name, sizeof(name), "final%d", k);
        snprintf(what, sizeof(what), "test trial %d", k + 1);
        if (access(path, F_OK) == 0 ||
            scl_res_is_done(&r, cfg->run.seed + 1000u + (uint32_t)k, "searched"))
            (*done)++;
        else
            *run += running(dir, name, what, lease);
    }
    scl_res_free(&r);
}

int scl_search_status(const char *dir)
{
    static struct scl_config cfg;
    char path[700], msg[1024], name[64], what[96];
    double lease = scl_claim_lease();
    if (lease <= 0)
        return SCL_EXIT_USAGE;
    snprintf(path, sizeof(path), "%s/config.ini", dir);
    scl_cfg_defaults(&cfg);
    if (scl_cfg_load(&cfg, path, msg, sizeof(msg)) != SCL_OK) {
        scl_app_error("%s", msg);
        return SCL_EXIT_USAGE;
    }
    const int32_t G = cfg.search.generations, P = cfg.search.population;
    const int nets = cfg.search.nets;
    int32_t *rows = calloc((size_t)G, sizeof(*rows)), g = 0;
    if (!rows)
        return SCL_EXIT_RUNTIME;
    count_rows(dir, G, rows);
    while (g < G && rows[g] >= P)
        g++;
    free(rows);
    printf("%s: search of %d generations x %d candidates on %d nets: %d generations scored, "
           "%d of %d candidates scored, %d left\n",
           dir, (int)G, (int)P, nets, (int)g, (int)(g * P), (int)(G * P), (int)((G - g) * P));
    if (g < G) {
        int scored = 0, run = 0;
        for (int k = 0; k < nets; k++) {
            snprintf(path, sizeof(path), "%s/scores/%d.%d.csv", dir, (int)g, k);
            snprintf(name, sizeof(name), "g%d.n%d", (int)g, k);
            snprintf(what, sizeof(what), "generation %d on net %d", (int)g + 1, k + 1);
            if (access(path, F_OK) == 0)
                scored++;
            else
                run += running(dir, name, what, lease);
        }
        printf("  generation %d: %d of %d nets scored, %d running, %d left", (int)g + 1, scored,
               nets, run, nets - scored - run);
        struct unit_times t = {0};
        for (int32_t h = 0; h <= g; h++)
            for (int k = 0; k < nets; k++)
                time_unit(dir, h, k, lease, &t);
        const int at_once = run ? run : 1, left = (int)(G - g) * nets - scored - run;
        if (t.n > 0)
            printf("; ETA %.0f s for the generations (%.0f s a unit, %d at a time)\n",
                   (left + 0.5 * run) * (t.s / t.n) / at_once, t.s / t.n, at_once);
        else
            printf("; ETA unknown (no unit timed yet)\n");
        return SCL_EXIT_OK;
    }
    int done = 0, run = 0;
    count_final(dir, &cfg, lease, &done, &run);
    snprintf(path, sizeof(path), "%s/claims/finished", dir);
    bool finished = access(path, F_OK) == 0;
    if (!finished) { /* a one-process search: best.ini, and the table when there are trials */
        snprintf(path, sizeof(path), "%s/final/summary.txt", dir);
        finished = done == cfg.search.trials && (cfg.search.trials == 0 || access(path, F_OK) == 0);
        snprintf(path, sizeof(path), "%s/best.ini", dir);
        finished = finished && access(path, F_OK) == 0;
    }
    printf("  final test trials: %d of %d done, %d running, %d left; %s\n", done,
           (int)cfg.search.trials, run, (int)cfg.search.trials - done - run,
           finished ? "finished (best.ini and the table written)" : "best.ini not written yet");
    return SCL_EXIT_OK;
}
