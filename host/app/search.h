/*
 * sleepcl search: the shared state of the sleep-parameter search (search_run.c drives the
 * generations, the files and the resume; search_score.c trains the scoring nets, sleeps a
 * population on each of them in one batch and scores it on the validation split;
 * search_final.c runs the final test trials). The test split is loaded only by the final
 * trials: the search never sees it.
 */
#ifndef SLEEPCL_SEARCH_H
#define SLEEPCL_SEARCH_H

#include "app.h"

#define SCL_SEARCH_MAX_NETS  64
#define SCL_SEARCH_MAX_GENES (6 + SCL_MAX_LAYERS)

/* Genes, in this order: steps, max_rate, alpha, beta_1..beta_L, decay, inc, dec, and with
 * search.input = 1 the input mode last (0 mean, 1 window; a 0/1 gene, so only crossover and
 * the random first generation change it, and a 5-sigma mutation). */
enum { SCL_GENE_STEPS, SCL_GENE_MAX_RATE, SCL_GENE_ALPHA, SCL_GENE_BETA };

/* A net trained on the training part of one data seed's subset, with its validation part. */
struct scl_search_net {
    uint32_t seed;
    scl_model *model;
    scl_dataset *train, *val; /* owned */
    scl_ddata *dtrain, *dval;
    scl_trainer *trainer;          /* for scoring after sleep + fine-tune */
    struct scl_input_stats in;     /* sleep input statistics of the training part */
    float factors[SCL_MAX_LAYERS]; /* layer scale factors from them */
    double base_acc;               /* validation accuracy before sleep */
};

/* The score of one candidate, averaged over the nets. */
struct scl_search_score {
    double acc, gain;                /* validation accuracy after sleep, and its change */
    double rate[SCL_MAX_LAYERS + 1]; /* spikes per unit per step, layers 0..L */
    int bad_layers;                  /* hidden/output layers silent or saturated */
    double fitness;                  /* acc - penalty * bad_layers */
};

struct scl_search_env {
    struct scl_config cfg;
    scl_ctx *ctx;
    scl_dataset *train_full;
    struct scl_search_net nets[SCL_SEARCH_MAX_NETS];
    int n_nets, layers;
    struct scl_ga_gene genes[SCL_SEARCH_MAX_GENES];
    int32_t n_genes;
    int32_t input_gene; /* index of the input-mode gene, or -1 */
    struct scl_ga_params ga;
    char out[512];
    int lock_fd; /* out/.lock, held for the whole search (process exit releases it) */
    struct scl_res_store shared_lock; /* a worker's share of out/.lock (search_work.c) */
    double t0;
    double t_sleep, t_score; /* seconds spent in batched sleeps and in scoring, so far */
};

/* Scores of generations on disk (candidates.csv): fit[g * population + i], have[] likewise. */
struct scl_search_done {
    double *fit, *acc, *gain;
    unsigned char *have;
    int32_t generations, population;
};
/* The best candidate seen so far. */
struct scl_search_best {
    double fitness;
    int32_t generation, candidate;
    double x[SCL_SEARCH_MAX_GENES];
};

/* sleepcl search: the whole search of cfg (config_path names the run directory and locates
 * the published sets in configs/sleep), resumable; prints errors and progress. */
int scl_search_run(const struct scl_config *cfg, const char *config_path);
/* sleepcl search --worker (search_work.c): one of any number of processes sharing the
 * search's directory; the files end as scl_search_run's. */
int scl_search_run_worker(const struct scl_config *cfg, const char *config_path);
/* sleepcl status of a search's directory (search_work.c). */
int scl_search_status(const char *dir);
/* ---- search_run.c, shared with search_work.c */
/* env from cfg: checks, the directory locked (alone, or shared by workers), config.ini and
 * search.hash, the device and the training split. Prints errors. */
int scl_search_open(struct scl_search_env *env, const struct scl_config *cfg,
                    const char *config_path, bool worker);
/* Generation 0 into pop[population][n_genes]. */
int scl_search_first_generation(struct scl_search_env *env, const char *config_path, double *pop);
/* d from candidates.csv (allocated; free the four arrays). */
int scl_search_load_done(struct scl_search_env *env, struct scl_search_done *d);
/* Generation g's rows appended to candidates.csv (the file rewritten atomically). */
int scl_search_append_generation(struct scl_search_env *env, int32_t g, const double *pop,
                                 const struct scl_search_score *s);
void scl_search_take_best(struct scl_search_env *env, int32_t g, const double *pop,
                          const struct scl_search_score *s, struct scl_search_best *b);
/* x rounded to the digits best.ini keeps; best.ini written. */
void scl_search_round_genes(const struct scl_search_env *env, double *x);
int scl_search_write_best(struct scl_search_env *env, const double *x, int32_t g, int32_t i,
                          double fitness);
/* The [sleep] parameters of candidate x (genes above) for a sleep with spike seed `seed`. */
struct scl_sleep_params scl_search_params(const struct scl_search_env *env, const double *x,
                                          uint32_t seed);
/* The genes of the config's own [sleep] set (not clamped). */
void scl_search_genes_of(const struct scl_search_env *env, const struct scl_sleep_params *p,
                         double *x);
/* Genes (bounds from [search]) and GA parameters of the config; needs env->layers. */
void scl_search_setup_genes(struct scl_search_env *env);
/* Train the scoring nets (search.nets data seeds from run.seed); prints errors. */
int scl_search_nets_open(struct scl_search_env *env);
/* Train scoring net i alone (a no-op when it is trained): a worker trains only the nets whose
 * scores it computes. Prints errors. */
int scl_search_net_open(struct scl_search_env *env, int i);
void scl_search_nets_close(struct scl_search_env *env);
/* Score candidates pop[n][n_genes] on every net; prints errors. This is, net after net in
 * order, scl_search_score_net then scl_search_score_add, and scl_search_score_end: the steps
 * that workers take apart (search_work.c) with the same arithmetic in the same order. */
int scl_search_score_population(struct scl_search_env *env, const double *pop, int32_t n,
                                struct scl_search_score *out);
/* What one net gives one candidate, before the mean over the nets. */
struct scl_search_net_score {
    double acc;                      /* validation accuracy after sleep */
    double rate[SCL_MAX_LAYERS + 1]; /* spikes per unit per step, layers 0..L */
};
/* Candidates pop[n][n_genes] slept on net k (trained) and scored; prints errors. */
int scl_search_score_net(struct scl_search_env *env, int k, const double *pop, int32_t n,
                         struct scl_search_net_score *out);
/* out[i] += net k's share of the mean over env->n_nets nets (base_acc: net k's accuracy before
 * sleep); out starts zeroed. */
void scl_search_score_add(const struct scl_search_env *env, double base_acc,
                          const struct scl_search_net_score *net, int32_t n,
                          struct scl_search_score *out);
/* After the last net: the layers out of range and the fitness. */
void scl_search_score_end(const struct scl_search_env *env, int32_t n,
                          struct scl_search_score *out);
/* ---- search_tasks.c: the fitness of search.fitness */
/* Whether the search scores nets trained on tasks in turn (search.fitness = sequential). */
bool scl_search_sequential(const struct scl_config *cfg);
/* The task whose sleep a candidate's is: its T grows by steps_per_task per task after the
 * first (experiment.n_tasks when sequential, else 1). */
int scl_search_sleep_task(const struct scl_config *cfg);
/* The config's fitness against its [train] method and search.finetune; prints the error. */
int scl_search_check_fitness(const struct scl_config *cfg);
/* A net for the fitness from a trial's seed: trained on d at once (dd, its device copy), or on
 * d's classes split in order into experiment.n_tasks tasks in turn; *trainer (if not NULL) the
 * trainer that holds it. Prints errors. */
int scl_search_train_net(struct scl_search_env *env, uint32_t seed, const scl_dataset *d,
                         const scl_ddata *dd, scl_model **model, scl_trainer **trainer);
/* How a worker takes the final trials (search_work.c): take(user, k) claims trial k (1 taken,
 * 0 held by another live worker, -1 an error, printed); release(user) after it. */
struct scl_search_final_claims {
    int (*take)(void *user, int k);
    void (*release)(void *user);
    void *user;
};
/* search.trials test trials: the config's set against `best`, on the same nets. Alone (w NULL):
 * every trial not done, appended to OUT/final/results.csv (resumable), then the table printed
 * and written. With w: the trials this process can claim, each to final/trials/K.*.csv; *left
 * counts those held by others. Prints errors. */
int scl_search_final_trials(struct scl_search_env *env, const struct scl_sleep_params *best,
                            const struct scl_search_final_claims *w, int *left);
/* After workers ran every final trial: their files merged in trial order into final/ as one
 * process writes them, then the table. Prints errors. */
int scl_search_final_merge(struct scl_search_env *env);

#endif
