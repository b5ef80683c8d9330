/*
 * sleepcl run: an experiment protocol of docs/METHOD.md section 6 end to end, into one
 * directory per run (run.out/experiment.name): manifest.json (resolved config, hash, versions,
 * device, seeds), results.csv and confusion.csv in long form, summary.csv, plots, and the sleep
 * diagnostics of every trial under diag/.
 *
 * Trials are independent and reproducible alone (the trial's seed fixes its subset, its
 * initialisation, shuffles, dropout and the sleep's spikes). Each finished trial is appended
 * atomically; running the same command again skips what is done. A directory holding a run of a
 * different configuration (another hash) is refused rather than mixed.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "exp.h"

static cJSON *manifest_json(const struct scl_exp_env *env, const uint32_t *seeds, size_t n_seeds)
{
    char hash[SCL_CFG_HASH_LEN];
    size_t len = scl_cfg_dump(&env->cfg, NULL, 0);
    char *dump = malloc(len + 1);
    cJSON *root = cJSON_CreateObject();
    scl_cfg_hash(&env->cfg, hash);
    if (dump)
        scl_cfg_dump(&env->cfg, dump, len + 1);
    cJSON_AddStringToObject(root, "program", "sleepcl " SCL_VERSION_STRING);
    cJSON_AddStringToObject(root, "config_hash", hash);
    cJSON_AddStringToObject(root, "config", dump ? dump : "");
    cJSON_AddStringToObject(root, "device", scl_ctx_device_desc(env->ctx));
    cJSON *lib = cJSON_AddObjectToObject(root, "libraries");
    cJSON_AddStringToObject(lib, "zlib", zlibVersion());
    cJSON_AddStringToObject(lib, "cjson", cJSON_Version());
    cJSON_AddStringToObject(lib, "clblast", SCL_CLBLAST_VERSION);
    cJSON *s = cJSON_AddArrayToObject(root, "seeds");
    for (size_t i = 0; i < n_seeds; i++)
        cJSON_AddItemToArray(s, cJSON_CreateNumber(seeds[i]));
    free(dump);
    return root;
}

/* Refuse a directory holding another configuration's run; otherwise (re)write the manifest. */
static int check_manifest(const struct scl_exp_env *env, const uint32_t *seeds, size_t n_seeds)
{
    char path[600], hash[SCL_CFG_HASH_LEN];
    snprintf(path, sizeof(path), "%s/manifest.json", env->out);
    scl_cfg_hash(&env->cfg, hash);
    char *old_text = NULL;
    size_t n = 0;
    if (scl_read_file(path, &old_text, &n) == SCL_OK) {
        cJSON *old = cJSON_Parse(old_text);
        free(old_text);
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(old, "config_hash");
        bool same = cJSON_IsString(h) && strcmp(h->valuestring, hash) == 0;
        cJSON_Delete(old);
        if (!same) {
            scl_app_error("%s holds a run of another configuration (hash differs from %s); choose "
                          "another run.out or experiment.name",
                          env->out, hash);
            return SCL_EXIT_USAGE;
        }
    }
    cJSON *root = manifest_json(env, seeds, n_seeds);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    int rc = text ? scl_app_write_atomic(path, text, strlen(text)) : SCL_EXIT_RUNTIME;
    free(text);
    return rc;
}

static int open_env(struct scl_exp_env *env, const struct scl_config *cfg, const char *config_path,
                    bool worker)
{
    char diag[600];
    env->cfg = *cfg;
    scl_app_out_dir(&env->cfg, config_path, env->out, sizeof(env->out));
    snprintf(diag, sizeof(diag), "%s/diag", env->out);
    scl_res_init(&env->res, env->out);
    env->res.shared = worker;
    if (worker && scl_exp_work_device(&env->cfg)) /* device is not in the hash */
        snprintf(env->cfg.device.device, sizeof(env->cfg.device.device), "%s",
                 scl_exp_work_device(&env->cfg));
    int rc = scl_app_check_sleep(&env->cfg);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_mkdir_p(diag);
    if (rc == SCL_EXIT_OK) /* before anything in the directory is read or written */
        rc = scl_res_lock(&env->res);
    if (rc == SCL_EXIT_OK && !(env->ctx = scl_app_open_cfg_ctx(&env->cfg)))
        rc = SCL_EXIT_RUNTIME;
    if (env->cfg.experiment.kind == SCL_CFG_KIND_PATCHES) /* its data come from each trial's seed */
        return rc;
    if (rc == SCL_EXIT_OK && !(env->train_full = scl_app_load_split(&env->cfg, "train")))
        rc = SCL_EXIT_RUNTIME;
    if (rc == SCL_EXIT_OK && !(env->test = scl_app_load_split(&env->cfg, "test")))
        rc = SCL_EXIT_RUNTIME;
    if (rc == SCL_EXIT_OK && scl_ddata_create(env->ctx, env->test, &env->dtest) != SCL_OK) {
        scl_app_error("%s", scl_ctx_last_error(env->ctx));
        rc = SCL_EXIT_RUNTIME;
    }
    return rc;
}

static void close_env(struct scl_exp_env *env)
{
    scl_res_free(&env->res);
    free(env->summary);
    free(env->seeds);
    scl_ddata_destroy(env->dtest);
    scl_dataset_destroy(env->test);
    scl_dataset_destroy(env->train_full);
    scl_ctx_destroy(env->ctx);
}

static int load_seeds(struct scl_exp_env *env)
{
    size_t count = 0;
    scl_cfg_seed_list(&env->cfg, NULL, 0, &count);
    env->seeds = calloc(count ? count : 1, sizeof(*env->seeds));
    if (!env->seeds)
        return SCL_EXIT_RUNTIME;
    scl_cfg_seed_list(&env->cfg, env->seeds, count, &count);
    env->n_seeds = count;
    return SCL_EXIT_OK;
}

static const struct {
    enum scl_cfg_kind kind;
    int (*run)(struct scl_exp_env *);
    int (*finish)(struct scl_exp_env *);
} protocols[] = {
    {SCL_CFG_KIND_LIMITED, scl_exp_limited, scl_exp_limited_finish},
    {SCL_CFG_KIND_EPOCHS, scl_exp_epochs, scl_exp_epochs_finish},
    {SCL_CFG_KIND_IMBALANCE, scl_exp_imbalance, scl_exp_imbalance_finish},
    {SCL_CFG_KIND_TASKS, scl_exp_tasks, scl_exp_tasks_finish},
    {SCL_CFG_KIND_INCREMENTAL, scl_exp_tasks, scl_exp_tasks_finish},
    {SCL_CFG_KIND_TRIPARTITE, scl_exp_tripartite, scl_exp_tripartite_finish},
    {SCL_CFG_KIND_PATCHES, scl_exp_patches, scl_exp_patches_finish},
};

static int run_protocol(struct scl_exp_env *env, bool worker)
{
    for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
        if (protocols[i].kind == env->cfg.experiment.kind)
            return scl_exp_work_run(env, protocols[i].run, protocols[i].finish, worker);
    scl_app_error("experiment.kind: this protocol is not implemented yet");
    return SCL_EXIT_USAGE;
}

static int exp_run(const struct scl_config *cfg, const char *config_path, bool worker)
{
    static struct scl_exp_env env; /* large; one run per process */
    memset(&env, 0, sizeof(env));
    int rc = open_env(&env, cfg, config_path, worker);
    if (rc == SCL_EXIT_OK)
        rc = load_seeds(&env);
    if (rc == SCL_EXIT_OK)
        rc = check_manifest(&env, env.seeds, env.n_seeds);
    if (rc == SCL_EXIT_OK)
        rc = scl_res_load(&env.res);
    if (rc == SCL_EXIT_OK) {
        env.t0 = scl_app_now();
        rc = run_protocol(&env, worker);
    }
    if (rc == SCL_EXIT_OK)
        printf("results in %s\n", env.out);
    close_env(&env);
    return rc;
}

int scl_exp_run(const struct scl_config *cfg, const char *config_path)
{
    return exp_run(cfg, config_path, false);
}

int scl_exp_run_worker(const struct scl_config *cfg, const char *config_path)
{
    return exp_run(cfg, config_path, true);
}
