/*
 * Scoring for the sleep-parameter search. Each scoring net is trained on the training part of
 * one class-balanced subset (data.fraction of the training set, drawn from its own seed) after
 * a class-balanced, seeded data.val_fraction share of that subset was held out as its
 * validation part; the net never trains on the validation part, and nothing here reads the test
 * split. A population is slept on every net as one batch (scl_sleep_run_batch; all candidates of
 * a net share the net's spike seed, so they differ by their parameters only), optionally
 * fine-tuned, and scored by validation accuracy minus a penalty per silent or saturated layer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"

static int fail(struct scl_search_env *env, scl_status st)
{
    return scl_app_fail(env->ctx, st, "search");
}

struct scl_sleep_params scl_search_params(const struct scl_search_env *env, const double *x,
                                          uint32_t seed)
{
    struct scl_sleep_params p =
        scl_app_sleep_params(&env->cfg, seed, scl_search_sleep_task(&env->cfg));
    p.steps += (int32_t)x[SCL_GENE_STEPS] - env->cfg.sleep.steps; /* the later task's steps kept */
    p.max_rate = (float)x[SCL_GENE_MAX_RATE];
    p.alpha_scale = (float)x[SCL_GENE_ALPHA];
    p.n_alpha = 0;
    p.n_beta = env->layers;
    for (int l = 0; l < env->layers; l++)
        p.beta[l] = (float)x[SCL_GENE_BETA + l];
    p.decay = (float)x[SCL_GENE_BETA + env->layers];
    p.inc = (float)x[SCL_GENE_BETA + env->layers + 1];
    p.dec = (float)x[SCL_GENE_BETA + env->layers + 2];
    if (env->input_gene >= 0)
        p.input = x[env->input_gene] >= 0.5 ? SCL_SLEEP_INPUT_WINDOW : SCL_SLEEP_INPUT_MEAN;
    return p;
}

void scl_search_genes_of(const struct scl_search_env *env, const struct scl_sleep_params *p,
                         double *x)
{
    x[SCL_GENE_STEPS] = (double)p->steps;
    x[SCL_GENE_MAX_RATE] = (double)p->max_rate;
    x[SCL_GENE_ALPHA] = (double)p->alpha_scale;
    for (int l = 0; l < env->layers; l++)
        x[SCL_GENE_BETA + l] = (double)p->beta[l];
    x[SCL_GENE_BETA + env->layers] = (double)p->decay;
    x[SCL_GENE_BETA + env->layers + 1] = (double)p->inc;
    x[SCL_GENE_BETA + env->layers + 2] = (double)p->dec;
    if (env->input_gene >= 0)
        x[env->input_gene] = p->input == SCL_SLEEP_INPUT_WINDOW ? 1.0 : 0.0;
}

/* The subset of `seed` split into a training part and a class-balanced validation part. */
static int split_data(struct scl_search_env *env, struct scl_search_net *n)
{
    const struct scl_cfg_data *d = &env->cfg.data;
    scl_dataset *sub = scl_app_train_subset(&env->cfg, env->train_full, n->seed);
    int32_t *idx = sub ? calloc((size_t)sub->n, sizeof(*idx)) : NULL;
    int32_t *rest = sub ? calloc((size_t)sub->n, sizeof(*rest)) : NULL;
    int32_t n_val = 0, n_rest = 0;
    scl_status st = idx && rest ? SCL_OK : SCL_ERR_NOMEM;
    if (st == SCL_OK) /* another purpose word than the subset's own draw: seed + 2^31 */
        st = scl_dataset_balanced_indices(sub, d->val_fraction, d->classes.v, d->classes.n,
                                          n->seed ^ 0x80000000u, idx, &n_val);
    for (int32_t i = 0, k = 0; st == SCL_OK && i < sub->n; i++) {
        if (k < n_val && idx[k] == i)
            k++;
        else
            rest[n_rest++] = i;
    }
    if (st == SCL_OK)
        st = scl_dataset_subset(sub, idx, n_val, &n->val);
    if (st == SCL_OK)
        st = scl_dataset_subset(sub, rest, n_rest, &n->train);
    free(idx);
    free(rest);
    scl_dataset_destroy(sub);
    if (st != SCL_OK || n_val < 1 || n_rest < 1) {
        scl_app_error("search: cannot split the subset of seed %u into training and validation "
                      "parts (data.val_fraction = %g)",
                      n->seed, d->val_fraction);
        return SCL_EXIT_USAGE;
    }
    return SCL_EXIT_OK;
}

/* Sleep statistics and scale factors of the trained net, from its training part. */
static int net_factors(struct scl_search_env *env, struct scl_search_net *n)
{
    scl_status st =
        scl_input_stats_compute(env->ctx, n->model, n->train, env->cfg.train.gemm, &n->in);
    if (st != SCL_OK)
        return fail(env, st);
    if (scl_sleep_factors(n->model, n->in.act_max, env->cfg.sleep.norm, n->factors) != SCL_OK) {
        scl_app_error("search: net of seed %u has a dead layer", n->seed);
        return SCL_EXIT_RUNTIME;
    }
    return SCL_EXIT_OK;
}

/* Train the net on its training part; sleep statistics; validation accuracy before sleep. */
static int train_net(struct scl_search_env *env, struct scl_search_net *n)
{
    struct scl_eval e;
    scl_status st = scl_ddata_create(env->ctx, n->train, &n->dtrain);
    if (st == SCL_OK)
        st = scl_ddata_create(env->ctx, n->val, &n->dval);
    if (st != SCL_OK)
        return fail(env, st);
    int rc = scl_search_train_net(env, n->seed, n->train, n->dtrain, &n->model, &n->trainer);
    if (rc == SCL_EXIT_OK)
        rc = net_factors(env, n);
    if (rc == SCL_EXIT_OK &&
        (st = scl_evaluate(env->ctx, n->model, n->dval, env->cfg.train.gemm, &e)) != SCL_OK)
        rc = fail(env, st);
    if (rc == SCL_EXIT_OK) {
        n->base_acc = e.accuracy;
        scl_eval_free(&e);
    }
    return rc;
}

int scl_search_net_open(struct scl_search_env *env, int i)
{
    struct scl_search_net *n = &env->nets[i];
    env->n_nets = env->cfg.search.nets;
    if (n->model) /* trained already */
        return SCL_EXIT_OK;
    n->seed = env->cfg.run.seed + (uint32_t)i;
    int rc = split_data(env, n);
    if (rc == SCL_EXIT_OK)
        rc = train_net(env, n);
    if (rc == SCL_EXIT_OK)
        fprintf(stderr,
                "sleepcl: search: net %d/%d (seed %u): %d training, %d validation images, "
                "validation accuracy %.4f\n",
                i + 1, env->n_nets, n->seed, n->train->n, n->val->n, n->base_acc);
    return rc;
}

int scl_search_nets_open(struct scl_search_env *env)
{
    int rc = SCL_EXIT_OK;
    env->n_nets = env->cfg.search.nets;
    for (int i = 0; i < env->n_nets && rc == SCL_EXIT_OK; i++)
        rc = scl_search_net_open(env, i);
    return rc;
}

void scl_search_nets_close(struct scl_search_env *env)
{
    for (int i = 0; i < SCL_SEARCH_MAX_NETS; i++) {
        struct scl_search_net *n = &env->nets[i];
        scl_trainer_destroy(n->trainer);
        scl_ddata_destroy(n->dval);
        scl_ddata_destroy(n->dtrain);
        scl_dataset_destroy(n->val);
        scl_dataset_destroy(n->train);
        scl_model_destroy(n->model);
        scl_input_stats_free(&n->in);
        memset(n, 0, sizeof(*n));
    }
}

/* ---------------------------------------------------------------- one net, one population */

struct batch {
    struct scl_sleep_job *jobs;
    struct scl_sleep_stats *stats;
    int32_t n;
};

static void batch_free(struct batch *b)
{
    for (int32_t i = 0; b->jobs && i < b->n; i++) {
        scl_model_destroy(b->jobs[i].model);
        scl_sleep_stats_free(&b->stats[i]);
    }
    free(b->jobs);
    free(b->stats);
    memset(b, 0, sizeof(*b));
}

/* Jobs: a clone of the net per candidate, with the candidate's parameters. */
static int batch_make(struct scl_search_env *env, const struct scl_search_net *net,
                      const double *pop, int32_t n, struct batch *b)
{
    b->n = n;
    b->jobs = calloc((size_t)n, sizeof(*b->jobs));
    b->stats = calloc((size_t)n, sizeof(*b->stats));
    if (!b->jobs || !b->stats)
        return SCL_EXIT_RUNTIME;
    for (int32_t i = 0; i < n; i++) {
        struct scl_sleep_job *j = &b->jobs[i];
        j->params = scl_search_params(env, pop + (size_t)i * (size_t)env->n_genes, net->seed);
        j->mean_input = net->in.mean;
        j->stats = &b->stats[i];
        memcpy(j->factors, net->factors, sizeof(float) * (size_t)env->layers);
        if (scl_model_clone(net->model, &j->model) != SCL_OK)
            return SCL_EXIT_RUNTIME;
    }
    return SCL_EXIT_OK;
}

/* With search.finetune, the fine-tune of `sleepcl run` on the net's training part. */
static int finetune(struct scl_search_env *env, struct scl_search_net *net, scl_model *m)
{
    scl_status st = scl_trainer_set_model(net->trainer, m);
    if (st == SCL_OK)
        st = scl_trainer_finetune(net->trainer, net->dtrain, NULL, NULL);
    if (st == SCL_OK)
        st = scl_trainer_get_model(net->trainer, m);
    return st == SCL_OK ? SCL_EXIT_OK : fail(env, st);
}

/* Validation accuracy of every slept (and fine-tuned) model, in one batched evaluation. */
static int score_models(struct scl_search_env *env, struct scl_search_net *net, struct batch *b,
                        double *acc)
{
    const scl_model **models = calloc((size_t)b->n, sizeof(*models));
    int rc = models ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
    for (int32_t i = 0; i < b->n && rc == SCL_EXIT_OK; i++) {
        models[i] = b->jobs[i].model;
        if (env->cfg.search.finetune)
            rc = finetune(env, net, b->jobs[i].model);
    }
    scl_status st = rc == SCL_EXIT_OK ? scl_evaluate_batch(env->ctx, models, b->n, net->dval,
                                                           env->cfg.train.gemm, acc)
                                      : SCL_OK;
    if (st != SCL_OK)
        rc = fail(env, st);
    free(models);
    return rc;
}

int scl_search_score_net(struct scl_search_env *env, int k, const double *pop, int32_t n,
                         struct scl_search_net_score *out)
{
    struct scl_search_net *net = &env->nets[k];
    struct batch b;
    memset(&b, 0, sizeof(b));
    int rc = batch_make(env, net, pop, n, &b);
    double t = scl_app_now();
    scl_status st = rc == SCL_EXIT_OK ? scl_sleep_run_batch(env->ctx, b.jobs, n) : SCL_ERR_NOMEM;
    env->t_sleep += scl_app_now() - t;
    t = scl_app_now();
    if (st != SCL_OK)
        rc = fail(env, st);
    double *acc = calloc((size_t)n, sizeof(*acc));
    if (rc == SCL_EXIT_OK)
        rc = acc ? score_models(env, net, &b, acc) : SCL_EXIT_RUNTIME;
    for (int32_t i = 0; i < n && rc == SCL_EXIT_OK; i++) {
        out[i].acc = acc[i];
        memcpy(out[i].rate, b.stats[i].rate, sizeof(out[i].rate));
    }
    env->t_score += scl_app_now() - t;
    free(acc);
    batch_free(&b);
    return rc;
}

/* Hidden layers whose mean rate is below search.silent (the sleep never reaches the layers
 * above), and any layer at search.saturate or more (every unit fires: STDP then only depresses
 * or only potentiates). A silent output layer is allowed: it leaves W_L alone, which can be
 * what a good set does. */
static int bad_layers(const struct scl_search_env *env, const struct scl_search_score *s)
{
    int bad = 0;
    for (int l = 1; l <= env->layers; l++)
        bad += (l < env->layers && s->rate[l] < env->cfg.search.silent) ||
               s->rate[l] >= env->cfg.search.saturate;
    return bad;
}

void scl_search_score_add(const struct scl_search_env *env, double base_acc,
                          const struct scl_search_net_score *net, int32_t n,
                          struct scl_search_score *out)
{
    for (int32_t i = 0; i < n; i++) {
        out[i].acc += net[i].acc / env->n_nets;
        out[i].gain += (net[i].acc - base_acc) / env->n_nets;
        for (int l = 0; l <= env->layers; l++)
            out[i].rate[l] += net[i].rate[l] / env->n_nets;
    }
}

void scl_search_score_end(const struct scl_search_env *env, int32_t n, struct scl_search_score *out)
{
    for (int32_t i = 0; i < n; i++) {
        out[i].bad_layers = bad_layers(env, &out[i]);
        out[i].fitness = out[i].acc - env->cfg.search.penalty * out[i].bad_layers;
    }
}

int scl_search_score_population(struct scl_search_env *env, const double *pop, int32_t n,
                                struct scl_search_score *out)
{
    struct scl_search_net_score *net = calloc((size_t)n, sizeof(*net));
    int rc = net ? SCL_EXIT_OK : SCL_EXIT_RUNTIME;
    memset(out, 0, sizeof(*out) * (size_t)n);
    for (int k = 0; k < env->n_nets && rc == SCL_EXIT_OK; k++) {
        rc = scl_search_score_net(env, k, pop, n, net);
        if (rc == SCL_EXIT_OK)
            scl_search_score_add(env, env->nets[k].base_acc, net, n, out);
    }
    scl_search_score_end(env, n, out);
    free(net);
    return rc;
}
