/*
 * The tripartite protocol's CIFAR front end (docs/METHOD.md section 9): when extractor.channels
 * is set, a convolutional extractor (host/vae/extractor.c) is pre-trained once on CIFAR-10 with
 * a softmax head, frozen, and every training and test image of the experiment's data (split
 * CIFAR-100) is replaced by its feature vector, computed once. The VAE reconstructs its input
 * through a sigmoid with a cross-entropy loss, so the features are divided by their largest
 * value over the training set (per feature; test values above it are clipped to 1).
 *
 * The trained extractor is kept as OUT/extractor.safetensors and reused when present (a resumed
 * or extended run computes the same features without training again); OUT/extractor.txt holds
 * its CIFAR-10 test accuracy. It is trained from run.seed, the same for every trial: the paper's
 * extractor is one frozen network that all conditions share.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exp.h"

/* The extractor's shape and Adam settings from the config; images of `dim` values (3 planes). */
static int ext_setup(const struct scl_exp_env *env, int32_t dim, struct scl_extractor_params *p,
                     struct scl_train_params *tp)
{
    const struct scl_cfg_extractor *x = &env->cfg.extractor;
    *p = scl_extractor_default_params();
    p->n_layers = x->channels.n;
    for (int32_t l = 0; l < x->channels.n; l++)
        p->channels[l] = x->channels.v[l];
    p->side = (int32_t)lround(sqrt(dim / 3.0));
    if (p->side * p->side * 3 != dim) {
        scl_app_error("extractor.channels: the data are not 3-plane square images (%d values); "
                      "set data.dataset = cifar100 or cifar10",
                      dim);
        return SCL_EXIT_USAGE;
    }
    *tp = env->cfg.train;
    tp->optimizer = SCL_OPTIMIZER_ADAM;
    tp->lr = (float)x->lr;
    tp->batch = x->batch;
    tp->seed = env->cfg.run.seed;
    return SCL_EXIT_OK;
}

/* Pre-train a fresh extractor on CIFAR-10, write its test accuracy to OUT/extractor.txt. */
static int ext_pretrain(struct scl_exp_env *env, const struct scl_extractor_params *p,
                        const struct scl_train_params *tp, scl_extractor **out)
{
    char dir[600], base[512], msg[1200], text[256];
    if (env->cfg.extractor.dir[0]) {
        snprintf(dir, sizeof(dir), "%s", env->cfg.extractor.dir);
    } else {
        struct scl_config c10 = env->cfg;
        c10.data.dataset = SCL_CFG_DATASET_CIFAR10;
        c10.data.dir[0] = '\0';
        scl_cfg_data_dir(&c10, base, sizeof(base));
        snprintf(dir, sizeof(dir), "%s", base);
    }
    scl_dataset *train = NULL, *test = NULL;
    scl_ddata *dd = NULL;
    scl_status st = scl_dataset_load_cifar_dir(dir, "train", SCL_CIFAR10, &train, msg, sizeof(msg));
    if (st == SCL_OK)
        st = scl_dataset_load_cifar_dir(dir, "test", SCL_CIFAR10, &test, msg, sizeof(msg));
    if (st != SCL_OK) {
        scl_app_error("extractor.data: %s (tools/setup.sh --cifar DIR links CIFAR-10)", msg);
        return SCL_EXIT_RUNTIME;
    }
    double loss = NAN, acc = NAN;
    scl_exp_progress(env, "extractor", "pre-training on CIFAR-10");
    st = scl_extractor_create(env->ctx, p, 10, tp, out);
    if (st == SCL_OK)
        st = scl_ddata_create(env->ctx, train, &dd);
    if (st == SCL_OK)
        st = scl_extractor_train(*out, dd, env->cfg.extractor.iterations, &loss);
    if (st == SCL_OK)
        st = scl_extractor_accuracy(*out, test, &acc);
    scl_ddata_destroy(dd);
    scl_dataset_destroy(train);
    scl_dataset_destroy(test);
    if (st != SCL_OK)
        return scl_app_fail(env->ctx, st, "extractor");
    int len =
        snprintf(text, sizeof(text), "cifar10_test_accuracy %.4f\ntrain_loss %.5g\n", acc, loss);
    snprintf(dir, sizeof(dir), "%s/extractor.txt", env->out);
    return scl_app_write_atomic(dir, text, (size_t)len);
}

/* OUT/extractor.safetensors when present (its shape must be the config's), else a fresh one. */
static int ext_get(struct scl_exp_env *env, const struct scl_extractor_params *p,
                   const struct scl_train_params *tp, scl_extractor **out)
{
    char path[600], msg[1200];
    snprintf(path, sizeof(path), "%s/extractor.safetensors", env->out);
    if (access(path, F_OK) != 0) {
        int rc = ext_pretrain(env, p, tp, out);
        if (rc == SCL_EXIT_OK && scl_extractor_save(*out, path, msg, sizeof(msg)) != SCL_OK) {
            scl_app_error("%s", msg);
            rc = SCL_EXIT_RUNTIME;
        }
        return rc;
    }
    if (scl_extractor_load(env->ctx, path, tp, out, msg, sizeof(msg)) != SCL_OK) {
        scl_app_error("%s", msg);
        return SCL_EXIT_RUNTIME;
    }
    const struct scl_extractor_params *q = scl_extractor_shape(*out);
    bool same = q->n_layers == p->n_layers && q->side == p->side;
    for (int32_t l = 0; same && l < p->n_layers; l++)
        same = q->channels[l] == p->channels[l];
    if (!same) {
        scl_app_error("%s: not the shape extractor.channels asks for: remove it or use another "
                      "run.out",
                      path);
        return SCL_EXIT_USAGE;
    }
    return SCL_EXIT_OK;
}

/* Divide each feature by its training maximum (1 where it never fires), clip to [0, 1]. */
static scl_status ext_scale(scl_dataset *train, scl_dataset *test)
{
    int32_t d = train->dim;
    float *mx = calloc((size_t)d, sizeof(float));
    if (!mx)
        return SCL_ERR_NOMEM;
    for (int32_t i = 0; i < train->n; i++)
        for (int32_t j = 0; j < d; j++)
            mx[j] = fmaxf(mx[j], train->x[(size_t)i * (size_t)d + (size_t)j]);
    scl_dataset *sets[] = {train, test};
    for (int s = 0; s < 2; s++)
        for (int64_t i = 0; i < (int64_t)sets[s]->n * d; i++) {
            float m = mx[i % d] > 0.0f ? mx[i % d] : 1.0f;
            sets[s]->x[i] = fminf(sets[s]->x[i] / m, 1.0f);
        }
    free(mx);
    return SCL_OK;
}

int scl_exp_extract(struct scl_exp_env *env)
{
    if (env->cfg.extractor.channels.n == 0 || env->extracted)
        return SCL_EXIT_OK;
    struct scl_extractor_params p;
    struct scl_train_params tp;
    int rc = ext_setup(env, env->train_full->dim, &p, &tp);
    scl_extractor *e = NULL;
    if (rc == SCL_EXIT_OK)
        rc = ext_get(env, &p, &tp, &e);
    scl_dataset *ftrain = NULL, *ftest = NULL;
    scl_status st = SCL_OK;
    if (rc == SCL_EXIT_OK) {
        scl_exp_progress(env, "extractor", "features");
        st = scl_extractor_features(e, env->train_full, &ftrain);
        if (st == SCL_OK)
            st = scl_extractor_features(e, env->test, &ftest);
        if (st != SCL_OK)
            rc = scl_app_fail(env->ctx, st, "extractor features");
    }
    scl_extractor_destroy(e);
    scl_ddata *dtest = NULL;
    if (rc == SCL_EXIT_OK) {
        st = ext_scale(ftrain, ftest);
        if (st == SCL_OK)
            st = scl_ddata_create(env->ctx, ftest, &dtest);
        if (st != SCL_OK)
            rc = scl_app_fail(env->ctx, st, "extractor features");
    }
    if (rc != SCL_EXIT_OK) {
        scl_dataset_destroy(ftrain);
        scl_dataset_destroy(ftest);
        return rc;
    }
    scl_ddata_destroy(env->dtest); /* before the test set whose labels it borrows */
    scl_dataset_destroy(env->train_full);
    scl_dataset_destroy(env->test);
    env->train_full = ftrain;
    env->test = ftest;
    env->dtest = dtest;
    env->extracted = true;
    return SCL_EXIT_OK;
}
