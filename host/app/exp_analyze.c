/*
 * Representation analyses at every evaluation ([experiment] analyze = N, docs/METHOD.md section
 * 6.12): on the first N test images, for each hidden layer l, the correlation of two images'
 * representations within and between classes, their sparseness and the share of active units
 * (rows "STAGE,layer<l>,corr_within|corr_between|sparseness|active"), and each class's input
 * drive to the layer (rows "STAGE,class<c>,drive_l<l>"). Before and after a sleep these are
 * the stages t<k> and t<k>_sleep; representation.csv pairs them over the trials. And during each
 * sleep: the spikes of the units specific to each task seen against random sets of as many.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp.h"

/* The rows of hidden layer l (1-based) from its activations h and its input prev. */
static void layer_rows(struct scl_exp_env *env, const scl_model *m, const scl_dataset *ds,
                       int32_t l, const float *prev, const float *h, const char *stage)
{
    char name[32];
    struct scl_repr_stats s;
    double drive[SCL_MAX_CLASSES];
    snprintf(name, sizeof(name), "layer%d", l);
    if (scl_repr_stats(h, ds->y, ds->n, m->sizes[l], &s) == SCL_OK) {
        scl_res_row(&env->res, stage, name, "corr_within", s.corr_within);
        scl_res_row(&env->res, stage, name, "corr_between", s.corr_between);
        scl_res_row(&env->res, stage, name, "sparseness", s.sparseness);
        scl_res_row(&env->res, stage, name, "active", s.active);
    }
    if (scl_repr_class_drive(prev, ds->y, ds->n, m->sizes[l - 1], m->w[l - 1], m->sizes[l],
                             ds->n_classes, drive) != SCL_OK)
        return;
    snprintf(name, sizeof(name), "drive_l%d", l);
    for (int32_t c = 0; c < ds->n_classes; c++) {
        char cls[32];
        snprintf(cls, sizeof(cls), "class%d", c);
        scl_res_row(&env->res, stage, cls, name, drive[c]);
    }
}

/* Every hidden layer of m on ds (on the device) into the results. */
static scl_status analyze_layers(struct scl_exp_env *env, const scl_model *m, const scl_dataset *ds,
                                 const scl_ddata *dd, const char *stage)
{
    const float *prev = ds->x;
    float *h[2] = {NULL, NULL};
    scl_status st = SCL_OK;
    for (int32_t l = 1; st == SCL_OK && l < m->n_layers; l++) {
        float *cur = realloc(h[l % 2], sizeof(float) * (size_t)ds->n * (size_t)m->sizes[l]);
        if (!cur) {
            st = SCL_ERR_NOMEM;
            break;
        }
        h[l % 2] = cur;
        st = scl_model_features(env->ctx, m, dd, env->cfg.train.gemm, l, cur);
        if (st == SCL_OK)
            layer_rows(env, m, ds, l, prev, cur, stage);
        prev = cur;
    }
    free(h[0]);
    free(h[1]);
    return st;
}

int scl_exp_analyze(struct scl_exp_env *env, const scl_model *m, const char *stage)
{
    int32_t n = env->cfg.experiment.analyze;
    if (n <= 0 || m->n_layers < 2)
        return SCL_EXIT_OK;
    n = n < env->test->n ? n : env->test->n;
    int32_t *idx = malloc(sizeof(*idx) * (size_t)n);
    scl_dataset *ds = NULL;
    scl_ddata *dd = NULL;
    scl_status st = idx ? SCL_OK : SCL_ERR_NOMEM;
    for (int32_t i = 0; idx && i < n; i++)
        idx[i] = i;
    if (st == SCL_OK)
        st = scl_dataset_subset(env->test, idx, n, &ds);
    if (st == SCL_OK)
        st = scl_ddata_create(env->ctx, ds, &dd);
    if (st == SCL_OK)
        st = analyze_layers(env, m, ds, dd, stage);
    scl_ddata_destroy(dd);
    scl_dataset_destroy(ds);
    free(idx);
    return st == SCL_OK ? SCL_EXIT_OK : scl_app_fail(env->ctx, st, "analyze");
}

/* ------------------------------------------------------------------ what each sleep changed */

static const char *const repr_metrics[] = {"corr_within", "corr_between", "sparseness", "active"};
enum { N_METRICS = sizeof(repr_metrics) / sizeof(repr_metrics[0]) };

/* One analysis row of results.csv around a sleep: stage t<task> (slept 0) or t<task>_sleep. */
struct repr_row {
    char cond[64];
    int32_t task, layer, metric, slept;
    uint32_t trial;
    double value;
};

static int metric_index(const char *name)
{
    for (int i = 0; i < N_METRICS; i++)
        if (strcmp(name, repr_metrics[i]) == 0)
            return i;
    return -1;
}

/* "trial,cond,t<k>[_sleep],layer<l>,metric,value" into *r; false for any other row. */
static bool parse_repr_row(const char *line, struct repr_row *r)
{
    char stage[32], layer[32], metric[32], tail[8] = "";
    if (sscanf(line, "%u,%63[^,],%31[^,],%31[^,],%31[^,],%lf", &r->trial, r->cond, stage, layer,
               metric, &r->value) != 6)
        return false;
    r->metric = metric_index(metric);
    r->slept = 0;
    if (r->metric < 0 || sscanf(layer, "layer%d", &r->layer) != 1 ||
        sscanf(stage, "t%d%7s", &r->task, tail) < 1)
        return false;
    r->slept = strcmp(tail, "_sleep") == 0;
    return tail[0] == '\0' || r->slept;
}

static int repr_cmp(const void *a, const void *b)
{
    const struct repr_row *x = a, *y = b;
    int c = strcmp(x->cond, y->cond);
    if (c)
        return c;
    const int64_t kx[] = {x->task, x->layer, x->metric, x->trial, x->slept};
    const int64_t ky[] = {y->task, y->layer, y->metric, y->trial, y->slept};
    for (size_t i = 0; i < sizeof(kx) / sizeof(kx[0]); i++)
        if (kx[i] != ky[i])
            return kx[i] < ky[i] ? -1 : 1;
    return 0;
}

/* Same condition, task, layer and metric. */
static bool same_group(const struct repr_row *a, const struct repr_row *b)
{
    return strcmp(a->cond, b->cond) == 0 && a->task == b->task && a->layer == b->layer &&
           a->metric == b->metric;
}

static struct repr_row *read_repr_rows(const char *out, size_t *n)
{
    char path[700], line[512];
    struct repr_row *rows = NULL, r;
    size_t cap = 0;
    *n = 0;
    snprintf(path, sizeof(path), "%s/results.csv", out);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f)) {
        if (!parse_repr_row(line, &r))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            struct repr_row *grown = realloc(rows, sizeof(*rows) * cap);
            if (!grown)
                break;
            rows = grown;
        }
        rows[(*n)++] = r;
    }
    if (f)
        fclose(f);
    qsort(rows, *n, sizeof(*rows), repr_cmp);
    return rows;
}

/* Changes after - before over the trials of one (condition, task, layer, metric). */
struct repr_change {
    int n, up;
    double before, after, mean, m2;
};

static void change_add(struct repr_change *c, double before, double after)
{
    double d = after - before, delta = d - c->mean;
    c->n++;
    c->up += d > 0;
    c->before += (before - c->before) / c->n;
    c->after += (after - c->after) / c->n;
    c->mean += delta / c->n;
    c->m2 += delta * (d - c->mean);
}

static void change_line(struct scl_res_buf *csv, const struct repr_row *r,
                        const struct repr_change *c)
{
    double sd = c->n > 1 ? sqrt(c->m2 / (c->n - 1)) : (double)NAN;
    double t = sd > 0 ? c->mean / (sd / sqrt(c->n)) : (double)NAN;
    scl_res_printf(csv, "%s,%d,layer%d,%s,%d,%.6g,%.6g,%.6g,%.6g,%.4g,%d\n", r->cond, r->task,
                   r->layer, repr_metrics[r->metric], c->n, c->before, c->after, c->mean, sd, t,
                   c->up);
}

/* representation.dat: for the first condition, a line per task: before and after of every
 * (layer, metric) in order; and the plot of corr_between, corr_within and sparseness. */
static int plot_changes(struct scl_exp_env *env, const struct repr_row *key,
                        const struct repr_change *ch, int ng, int32_t layers)
{
    struct scl_res_buf dat = {0}, gp = {0};
    for (int g = 0; g < ng; g++) {
        if (strcmp(key[g].cond, key[0].cond) != 0)
            break;
        if (g == 0 || key[g].task != key[g - 1].task)
            scl_res_printf(&dat, "%s%d", g ? "\n" : "", key[g].task);
        scl_res_printf(&dat, " %.5g %.5g", ch[g].before, ch[g].after);
    }
    scl_res_printf(&dat, "\n");
    scl_res_printf(&gp,
                   "set terminal pngcairo noenhanced size %d,420 font ',10'\n"
                   "set output 'representation.png'\nset multiplot layout 1,%d title "
                   "'%s: hidden representations before (dashed) and after (solid) each sleep, "
                   "mean over trials'\nset xlabel 'sleep after task'\nset yrange [-0.1:1]\n"
                   "set grid\nset xtics 1\nset key bottom left\n",
                   420 * (layers - 1), layers - 1, key[0].cond);
    for (int32_t l = 1; l < layers; l++) {
        int base = 2 + 2 * N_METRICS * (l - 1); /* column of this layer's first "before" */
        scl_res_printf(&gp, "set title 'layer %d'\nplot ", l);
        for (int m = 0; m < 3; m++)
            scl_res_printf(&gp,
                           "%s'representation.dat' using 1:%d with linespoints dt 2 lc %d notitle, "
                           "'' using 1:%d with linespoints lc %d title '%s'",
                           m ? ", " : "", base + 2 * m, m + 1, base + 2 * m + 1, m + 1,
                           repr_metrics[m]);
        scl_res_printf(&gp, "\n");
    }
    scl_res_printf(&gp, "unset multiplot\n");
    char path[700];
    snprintf(path, sizeof(path), "%s/representation.dat", env->out);
    int rc = scl_app_write_atomic(path, dat.text ? dat.text : "", dat.len);
    if (rc == SCL_EXIT_OK)
        rc = scl_exp_plot(env, "representation", gp.text);
    free(dat.text);
    free(gp.text);
    return rc;
}

int scl_exp_analyze_report(struct scl_exp_env *env)
{
    if (env->cfg.experiment.analyze <= 0)
        return SCL_EXIT_OK;
    size_t n;
    struct repr_row *rows = read_repr_rows(env->out, &n);
    struct repr_row *key = malloc(sizeof(*key) * (n ? n : 1));
    struct repr_change *ch = calloc(n ? n : 1, sizeof(*ch));
    struct scl_res_buf csv = {0};
    int ng = 0, layers = 0;
    scl_res_printf(&csv, "condition,task,layer,metric,n,before,after,change,change_std,t,up\n");
    for (size_t i = 0; key && ch && i < n;) {
        size_t j = i;
        for (; j < n && same_group(&rows[j], &rows[i]); j++)
            if (j + 1 < n && same_group(&rows[j + 1], &rows[i]) && !rows[j].slept &&
                rows[j + 1].slept && rows[j + 1].trial == rows[j].trial)
                change_add(&ch[ng], rows[j].value, rows[j + 1].value);
        if (ch[ng].n) {
            change_line(&csv, &rows[i], &ch[ng]);
            key[ng++] = rows[i];
            layers = rows[i].layer + 1 > layers ? rows[i].layer + 1 : layers;
        }
        i = j;
    }
    char path[700];
    snprintf(path, sizeof(path), "%s/representation.csv", env->out);
    int rc = key && ch ? scl_app_write_atomic(path, csv.text ? csv.text : "", csv.len)
                       : SCL_EXIT_RUNTIME;
    if (rc == SCL_EXIT_OK && ng > 0)
        rc = plot_changes(env, key, ch, ng, layers);
    free(csv.text);
    free(rows);
    free(key);
    free(ch);
    return rc;
}

/* ------------------------------------------------- units specific to a task, during its sleep */

/* The units most active for a group of images: this share of the layer (at least one). */
#define SPECIFIC_SHARE 0.1

/* A unit's mean activation over a group, with its index: sorted by activation, then index. */
struct unit_mean {
    double mean;
    int32_t unit;
};

static int by_activation(const void *a, const void *b)
{
    const struct unit_mean *x = a, *y = b;
    if (x->mean != y->mean)
        return x->mean > y->mean ? -1 : 1;
    return x->unit < y->unit ? -1 : x->unit > y->unit;
}

/* The group of label c: its task when the protocol said, else the class itself. */
static int32_t group_of(const struct scl_exp_env *env, int32_t c)
{
    return env->class_task[c] > 0 ? env->class_task[c] : c;
}

/* Groups present in ds's labels, ascending, into spec. */
static void find_groups(const struct scl_exp_env *env, const scl_dataset *ds,
                        struct scl_exp_specific *spec)
{
    bool present[SCL_MAX_CLASSES] = {false};
    spec->by_task = false;
    for (int32_t i = 0; i < ds->n; i++) {
        present[group_of(env, ds->y[i])] = true;
        spec->by_task |= env->class_task[ds->y[i]] > 0;
    }
    spec->n_groups = 0;
    for (int32_t g = 0; g < SCL_MAX_CLASSES; g++)
        if (present[g])
            spec->group[spec->n_groups++] = g;
}

/* Layer l's top units per group from its activations h [ds->n][units]. */
static scl_status pick_units(const struct scl_exp_env *env, const scl_dataset *ds, const float *h,
                             int32_t units, int32_t l, struct scl_exp_specific *spec)
{
    int32_t k = (int32_t)(SPECIFIC_SHARE * units + 0.5);
    k = k < 1 ? 1 : k;
    struct unit_mean *um = malloc(sizeof(*um) * (size_t)units);
    spec->units[l - 1] = malloc(sizeof(int32_t) * (size_t)k * (size_t)spec->n_groups);
    if (!um || !spec->units[l - 1]) {
        free(um);
        return SCL_ERR_NOMEM;
    }
    spec->k[l - 1] = k;
    for (int32_t gi = 0; gi < spec->n_groups; gi++) {
        int32_t count = 0;
        for (int32_t u = 0; u < units; u++)
            um[u] = (struct unit_mean){0.0, u};
        for (int32_t i = 0; i < ds->n; i++) {
            if (group_of(env, ds->y[i]) != spec->group[gi])
                continue;
            count++;
            for (int32_t u = 0; u < units; u++)
                um[u].mean += (double)h[(size_t)i * (size_t)units + (size_t)u];
        }
        for (int32_t u = 0; u < units; u++)
            um[u].mean /= count ? count : 1;
        qsort(um, (size_t)units, sizeof(*um), by_activation);
        for (int32_t j = 0; j < k; j++)
            spec->units[l - 1][(size_t)gi * (size_t)k + (size_t)j] = um[j].unit;
    }
    free(um);
    return SCL_OK;
}

/* Up to experiment.analyze images of `inputs`, evenly spaced (the tasks follow one another). */
static scl_status spaced_subset(const struct scl_exp_env *env, const scl_dataset *inputs,
                                scl_dataset **out)
{
    int32_t n = env->cfg.experiment.analyze < inputs->n ? env->cfg.experiment.analyze : inputs->n;
    int32_t *idx = malloc(sizeof(*idx) * (size_t)n);
    if (!idx)
        return SCL_ERR_NOMEM;
    for (int32_t i = 0; i < n; i++)
        idx[i] = (int32_t)((int64_t)i * inputs->n / n);
    scl_status st = scl_dataset_subset(inputs, idx, n, out);
    free(idx);
    return st;
}

int scl_exp_specific_find(struct scl_exp_env *env, const scl_model *m, const scl_dataset *inputs,
                          struct scl_exp_specific *spec)
{
    memset(spec, 0, sizeof(*spec));
    if (env->cfg.experiment.analyze <= 0 || m->n_layers < 2 || inputs->n < 1)
        return SCL_EXIT_OK;
    scl_dataset *ds = NULL;
    scl_ddata *dd = NULL;
    float *h = NULL;
    scl_status st = spaced_subset(env, inputs, &ds);
    if (st == SCL_OK)
        st = scl_ddata_create(env->ctx, ds, &dd);
    if (st == SCL_OK)
        find_groups(env, ds, spec);
    for (int32_t l = 1; st == SCL_OK && l < m->n_layers; l++) {
        float *grown = realloc(h, sizeof(float) * (size_t)ds->n * (size_t)m->sizes[l]);
        st = grown ? SCL_OK : SCL_ERR_NOMEM;
        h = grown ? grown : h;
        if (st == SCL_OK)
            st = scl_model_features(env->ctx, m, dd, env->cfg.train.gemm, l, h);
        if (st == SCL_OK)
            st = pick_units(env, ds, h, m->sizes[l], l, spec);
    }
    free(h);
    scl_ddata_destroy(dd);
    scl_dataset_destroy(ds);
    spec->layers = st == SCL_OK ? m->n_layers : 0;
    return st == SCL_OK ? SCL_EXIT_OK : scl_app_fail(env->ctx, st, "analyze");
}

/* z of a set of k of the layer's units against sets of k drawn at random without replacement:
 * their mean has the layer's mean and variance s2 / k * (n - k) / (n - 1). */
static double set_z(const int32_t *spikes, int32_t n, const int32_t *set, int32_t k, double *obs,
                    double *mean)
{
    double s1 = 0.0, s2 = 0.0, o = 0.0;
    for (int32_t u = 0; u < n; u++) {
        s1 += spikes[u];
        s2 += (double)spikes[u] * spikes[u];
    }
    for (int32_t j = 0; j < k; j++)
        o += spikes[set[j]];
    *mean = s1 / n;
    *obs = o / k;
    double var = (s2 / n - *mean * *mean) / k * (n > 1 ? (double)(n - k) / (n - 1) : 0.0);
    return var > 0.0 ? (*obs - *mean) / sqrt(var) : (double)NAN;
}

void scl_exp_specific_rows(struct scl_exp_env *env, const struct scl_exp_specific *spec,
                           const struct scl_sleep_stats *stats, const scl_model *m,
                           const char *stage)
{
    if (!spec->layers || !stats->unit_spikes)
        return;
    int tests = spec->n_groups * (spec->layers - 1); /* Bonferroni over this sleep's tests */
    int64_t offset = m->sizes[0];
    for (int32_t l = 1; l < spec->layers; l++) {
        const int32_t *spikes = stats->unit_spikes + offset, k = spec->k[l - 1];
        char names[4][40], group[32];
        snprintf(names[0], sizeof(names[0]), "specific_spikes_l%d", l);
        snprintf(names[1], sizeof(names[1]), "random_spikes_l%d", l);
        snprintf(names[2], sizeof(names[2]), "specific_z_l%d", l);
        snprintf(names[3], sizeof(names[3]), "specific_p_l%d", l);
        for (int32_t gi = 0; gi < spec->n_groups; gi++) {
            double obs, mean;
            double z = set_z(spikes, m->sizes[l], spec->units[l - 1] + (size_t)gi * (size_t)k, k,
                             &obs, &mean);
            double p = isnan(z) ? (double)NAN : 0.5 * erfc(z / sqrt(2.0)) * tests;
            snprintf(group, sizeof(group), "%s%d", spec->by_task ? "task" : "class",
                     spec->group[gi]);
            scl_res_row(&env->res, stage, group, names[0], obs);
            scl_res_row(&env->res, stage, group, names[1], mean);
            scl_res_row(&env->res, stage, group, names[2], z);
            scl_res_row(&env->res, stage, group, names[3], p > 1.0 ? 1.0 : p);
        }
        offset += m->sizes[l];
    }
}

void scl_exp_specific_free(struct scl_exp_specific *spec)
{
    for (int32_t l = 0; l < SCL_MAX_LAYERS; l++)
        free(spec->units[l]);
    memset(spec, 0, sizeof(*spec));
}
