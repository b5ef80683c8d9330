/*
 * The published figures that a methods report sets beside ours ([experiment] paper = FILE,
 * docs/EXPERIMENTS.md "Set beside the paper"). FILE is JSON, read with cJSON:
 *
 *   {"source": "where the figures come from",
 *    "rows": {"sgd": {"mean": 0.1949, "sleep_mean": 0.4847, "sleep_std": 0.0503},
 *             "parallel": {"mean": 0.9802}}}
 *
 * A row is a method name (with "_k<K>" for one exemplar total of a K sweep) or "parallel"; its
 * fields are mean and std (without sleep) and sleep_mean and sleep_std (with SRC), each a number
 * in [0, 1]; a field left out is a figure the paper does not give. The file is read when the run
 * starts, so a bad one costs no trial.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "exp.h"

static const char *const paper_fields[SCL_EXP_PAPER_FIELDS] = {"mean", "std", "sleep_mean",
                                                               "sleep_std"};

/* A method name, a method name with an exemplar total ("icarl_k100", the report's rows of a
 * K sweep), or "parallel". */
static bool known_row(const char *name)
{
    if (strcmp(name, "parallel") == 0)
        return true;
    for (int m = 0; strcmp(scl_cfg_method_name(m), "?") != 0; m++) {
        const char *method = scl_cfg_method_name(m);
        size_t len = strlen(method);
        unsigned k;
        char tail;
        if (strncmp(name, method, len) != 0)
            continue;
        if (name[len] == '\0' || (sscanf(name + len, "_k%u%c", &k, &tail) == 1 && k > 0))
            return true;
    }
    return false;
}

static int paper_field(const char *path, const char *row, const cJSON *f, double *v)
{
    for (int i = 0; i < SCL_EXP_PAPER_FIELDS; i++) {
        if (strcmp(f->string, paper_fields[i]) != 0)
            continue;
        if (!cJSON_IsNumber(f) || !(f->valuedouble >= 0.0 && f->valuedouble <= 1.0)) {
            scl_app_error("%s: rows.%s.%s: must be a number in [0, 1] (a share, not a percent)",
                          path, row, f->string);
            return SCL_EXIT_USAGE;
        }
        v[i] = f->valuedouble;
        return SCL_EXIT_OK;
    }
    scl_app_error("%s: rows.%s.%s: unknown field (fields: mean, std, sleep_mean, sleep_std)", path,
                  row, f->string);
    return SCL_EXIT_USAGE;
}

static int paper_row(const char *path, const cJSON *r, struct scl_exp_paper_row *out)
{
    if (!known_row(r->string)) {
        scl_app_error("%s: rows.%s: not a method of this tool nor \"parallel\"", path, r->string);
        return SCL_EXIT_USAGE;
    }
    if (!cJSON_IsObject(r)) {
        scl_app_error("%s: rows.%s: must be an object of figures", path, r->string);
        return SCL_EXIT_USAGE;
    }
    snprintf(out->name, sizeof(out->name), "%s", r->string);
    for (int i = 0; i < SCL_EXP_PAPER_FIELDS; i++)
        out->v[i] = (double)NAN;
    const cJSON *f;
    cJSON_ArrayForEach(f, r)
    {
        int rc = paper_field(path, r->string, f, out->v);
        if (rc != SCL_EXIT_OK)
            return rc;
    }
    return SCL_EXIT_OK;
}

static int paper_parse(const char *path, const cJSON *root, struct scl_exp_paper *p)
{
    const cJSON *source = cJSON_GetObjectItemCaseSensitive(root, "source");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(root, "rows");
    if (!cJSON_IsString(source) || !cJSON_IsObject(rows)) {
        scl_app_error("%s: needs \"source\" (a string) and \"rows\" (an object)", path);
        return SCL_EXIT_USAGE;
    }
    snprintf(p->source, sizeof(p->source), "%s", source->valuestring);
    const cJSON *r;
    cJSON_ArrayForEach(r, rows)
    {
        if (p->n == SCL_EXP_PAPER_ROWS) {
            scl_app_error("%s: rows: more than %d", path, SCL_EXP_PAPER_ROWS);
            return SCL_EXIT_USAGE;
        }
        int rc = paper_row(path, r, &p->row[p->n]);
        if (rc != SCL_EXIT_OK)
            return rc;
        p->n++;
    }
    return SCL_EXIT_OK;
}

int scl_exp_paper_load(const char *path, struct scl_exp_paper *p)
{
    char *text = NULL;
    size_t len = 0;
    memset(p, 0, sizeof(*p));
    if (!path[0])
        return SCL_EXIT_OK;
    if (scl_read_file(path, &text, &len) != SCL_OK) {
        scl_app_error("experiment.paper: %s: cannot read", path);
        return SCL_EXIT_USAGE;
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    scl_free(text);
    if (!root) {
        scl_app_error("%s: not valid JSON", path);
        return SCL_EXIT_USAGE;
    }
    int rc = paper_parse(path, root, p);
    cJSON_Delete(root);
    p->loaded = rc == SCL_EXIT_OK;
    return rc;
}

const double *scl_exp_paper_figures(const struct scl_exp_paper *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->row[i].name, name) == 0)
            return p->row[i].v;
    return NULL;
}
