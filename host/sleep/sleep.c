/*
 * The sleep phase as a library (docs/METHOD.md sections 2-5): parameters and their checks, the
 * layer scale factors, the input mean, and the run itself on the device.
 *
 * A run is a pass of the one engine at the end of this file: scl_sleep_run_batch runs B
 * independent sleeps of one layout at once, and scl_sleep_run is a batch of one. A pass uploads
 * the weights once, enqueues every step without waiting, and reads back once at the end:
 * weights, the spike counts per step and layer, and, when asked, the whole raster. A step is
 * L + 1 launches of work (cl/sleep.cl). With one work-group per run (every CPU, every batch) a
 * kernel call advances each run by SLEEP_CHUNK steps, with barriers instead of launches: a core
 * per work-group is all a CPU has, and PoCL charges about 5 us per launch plus a stall whenever
 * a core is busy elsewhere. A lone run on a GPU is spread over as many work-groups as the widest
 * layer needs, and every launch is then its own call.
 *
 * Device layout: every layer is padded to SCL_SLEEP_VEC units; W_1 is stored transposed and
 * the other layers row-major (see layer_transposed). The tables the kernel reads (struct
 * scl_sleep_dev_plan and scl_sleep_dev_run) are declared once in cl/scl_contract.h.
 * host/ref/ref_sleep.c is the plain C twin and gives the same bits (the device tests compare
 * whole rasters and weights).
 */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "scl_contract.h"

#define MAX_STEPS   10000000 /* keeps [T][L+1] counts and launch indices inside int32 */
#define SLEEP_CHUNK 256      /* steps per kernel call when one work-group runs them */
#define FLUSH_EVERY 128      /* kernel calls between clFlush: keeps the device fed */
#define SYNC_EVERY  16384    /* kernel calls between clFinish: bounds the queue */
#define TILE        32       /* side of the tiles of the W_1 transpose */

/* ---------------------------------------------------------------- parameters */

/* scl_sleep_default_params is in sleep_model.c, generated from configs/sleep/mnist2024.ini. */

static scl_status need_positive(const char *key, float x, char *msg, size_t n)
{
    if (x > 0.0f && isfinite(x))
        return SCL_OK;
    return scl_msg_fail(msg, n, SCL_ERR_CONFIG, "sleep.%s must be a finite number > 0 (got %g)",
                        key, (double)x);
}

static scl_status need_nonneg(const char *key, float x, char *msg, size_t n)
{
    if (x >= 0.0f && isfinite(x))
        return SCL_OK;
    return scl_msg_fail(msg, n, SCL_ERR_CONFIG, "sleep.%s must be a finite number >= 0 (got %g)",
                        key, (double)x);
}

static scl_status check_vector(const char *key, const float *x, int32_t n, int32_t want, char *msg,
                               size_t len)
{
    if (want > 0 && n != want)
        return scl_msg_fail(msg, len, SCL_ERR_CONFIG,
                            "sleep.%s has %d values, the model has %d layers", key, (int)n,
                            (int)want);
    if (n < 0 || n > SCL_MAX_LAYERS)
        return scl_msg_fail(msg, len, SCL_ERR_CONFIG, "sleep.%s has %d values, at most %d", key,
                            (int)n, SCL_MAX_LAYERS);
    for (int32_t i = 0; i < n; i++)
        if (!(x[i] > 0.0f) || !isfinite(x[i]))
            return scl_msg_fail(msg, len, SCL_ERR_CONFIG,
                                "sleep.%s value %d must be a finite number > 0 (got %g)", key,
                                (int)i + 1, (double)x[i]);
    return SCL_OK;
}

static scl_status check_scalars(const struct scl_sleep_params *p, char *msg, size_t n)
{
    scl_status st = SCL_OK;
    if (p->steps < 1 || p->steps > MAX_STEPS)
        return scl_msg_fail(msg, n, SCL_ERR_CONFIG, "sleep.steps must be in 1..%d (got %d)",
                            MAX_STEPS, (int)p->steps);
    if (st == SCL_OK)
        st = need_positive("dt", p->dt, msg, n);
    if (st == SCL_OK)
        st = need_positive("max_rate", p->max_rate, msg, n);
    if (st == SCL_OK)
        st = need_positive("gain", p->gain, msg, n);
    if (st == SCL_OK && p->n_alpha == 0)
        st = need_positive("alpha", p->alpha_scale, msg, n);
    if (st == SCL_OK && !(p->decay > 0.0f && p->decay <= 1.0f))
        st = scl_msg_fail(msg, n, SCL_ERR_CONFIG, "sleep.decay must be in (0, 1] (got %g)",
                          (double)p->decay);
    if (st == SCL_OK)
        st = need_nonneg("inc", p->inc, msg, n);
    if (st == SCL_OK)
        st = need_nonneg("dec", p->dec, msg, n);
    return st;
}

static scl_status check_enums(const struct scl_sleep_params *p, const scl_model *m, char *msg,
                              size_t n)
{
    if ((unsigned)p->norm > SCL_SLEEP_NORM_DIEHL)
        return scl_msg_fail(msg, n, SCL_ERR_CONFIG, "sleep.norm must be ref or diehl");
    if ((unsigned)p->modulation > SCL_SLEEP_MOD_CONST)
        return scl_msg_fail(msg, n, SCL_ERR_CONFIG, "sleep.modulation must be ref or const");
    if ((unsigned)p->input > SCL_SLEEP_INPUT_WINDOW)
        return scl_msg_fail(msg, n, SCL_ERR_CONFIG, "sleep.input must be mean or window");
    if (m && p->input == SCL_SLEEP_INPUT_WINDOW && m->sizes[0] != SCL_SLEEP_GRID * SCL_SLEEP_GRID)
        return scl_msg_fail(msg, n, SCL_ERR_CONFIG,
                            "sleep.input = window needs a %dx%d input, the model has %d inputs",
                            SCL_SLEEP_GRID, SCL_SLEEP_GRID, (int)m->sizes[0]);
    return SCL_OK;
}

scl_status scl_sleep_validate(const struct scl_sleep_params *p, const scl_model *m, char *msg,
                              size_t msg_len)
{
    const int32_t layers = m ? m->n_layers : 0;
    scl_status st = check_scalars(p, msg, msg_len);
    if (st == SCL_OK)
        st = check_enums(p, m, msg, msg_len);
    if (st == SCL_OK && m && p->n_beta != layers)
        st = scl_msg_fail(msg, msg_len, SCL_ERR_CONFIG,
                          "sleep.beta has %d values, the model has %d layers", (int)p->n_beta,
                          (int)layers);
    if (st == SCL_OK)
        st = check_vector("beta", p->beta, p->n_beta, layers, msg, msg_len);
    if (st == SCL_OK && p->n_alpha != 0)
        st = check_vector("alpha_vector", p->alpha, p->n_alpha, layers, msg, msg_len);
    return st;
}

/* ---------------------------------------------------------------- factors, alpha, mean */

/* max(0, max W_l); a NaN or an infinity gives -1. */
static float max_weight(const scl_model *m, int32_t l)
{
    const size_t n = (size_t)m->sizes[l] * (size_t)m->sizes[l + 1];
    float mx = 0.0f;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(m->w[l][i]))
            return -1.0f;
        mx = m->w[l][i] > mx ? m->w[l][i] : mx;
    }
    return mx;
}

scl_status scl_sleep_factors(const scl_model *m, const float *act_max, scl_sleep_norm norm,
                             float *factors)
{
    double prev = 1.0; /* p_{l-1} */
    for (int32_t l = 0; l < m->n_layers; l++) {
        float s = max_weight(m, l);
        if (s < 0.0f || !isfinite(act_max[l]))
            return SCL_ERR_NUMERIC;
        s = act_max[l] > s ? act_max[l] : s;
        if (!(s > 0.0f))
            return SCL_ERR_NUMERIC; /* a dead layer: no scale to divide by */
        const double c = (double)s / prev;
        factors[l] = (float)(1.0 / c);
        /* the reference chains p_l = c_l (so factor_3 = s_2 / (s_1 s_3)); Diehl uses s_l */
        prev = norm == SCL_SLEEP_NORM_REF ? c : (double)s;
    }
    return SCL_OK;
}

void scl_sleep_alpha(const struct scl_sleep_params *p, int32_t n_layers, const float *factors,
                     float *alpha)
{
    for (int32_t l = 0; l < n_layers; l++)
        alpha[l] = (p->n_alpha ? p->alpha[l] : p->alpha_scale) * factors[l];
}

scl_status scl_sleep_mean_input(const scl_dataset *ds, float *mean)
{
    if (!ds || ds->n < 1 || ds->dim < 1)
        return SCL_ERR_ARG;
    double *acc = scl_calloc((size_t)ds->dim, sizeof(*acc));
    if (!acc)
        return SCL_ERR_NOMEM;
    for (int32_t s = 0; s < ds->n; s++) {
        const float *x = ds->x + (size_t)s * (size_t)ds->dim;
        for (int32_t i = 0; i < ds->dim; i++)
            acc[i] += (double)x[i];
    }
    for (int32_t i = 0; i < ds->dim; i++)
        mean[i] = (float)(acc[i] / ds->n);
    scl_free(acc);
    return SCL_OK;
}

/* ---------------------------------------------------------------- statistics */

/* |dw| thresholds 1e-8 .. 1: the decade index is how many of them |dw| reaches. */
static const double hist_edges[SCL_SLEEP_HIST_DECADES - 1] = {1e-8, 1e-7, 1e-6, 1e-5, 1e-4,
                                                              1e-3, 1e-2, 1e-1, 1.0};

static int hist_bin(float dw)
{
    if (dw == 0.0f)
        return SCL_SLEEP_HIST_ZERO;
    const double a = fabs((double)dw);
    int d = 0;
    while (d < SCL_SLEEP_HIST_DECADES - 1 && a >= hist_edges[d])
        d++;
    return dw > 0.0f ? SCL_SLEEP_HIST_ZERO + 1 + d : SCL_SLEEP_HIST_ZERO - 1 - d;
}

void scl_sleep_hist_range(int b, double *lo, double *hi)
{
    *lo = *hi = 0.0;
    if (b == SCL_SLEEP_HIST_ZERO || b < 0 || b >= SCL_SLEEP_HIST_BINS)
        return;
    const int d =
        b > SCL_SLEEP_HIST_ZERO ? b - SCL_SLEEP_HIST_ZERO - 1 : SCL_SLEEP_HIST_ZERO - 1 - b;
    const double small = d == 0 ? 0.0 : hist_edges[d - 1];
    const double big = d == SCL_SLEEP_HIST_DECADES - 1 ? HUGE_VAL : hist_edges[d];
    *lo = b > SCL_SLEEP_HIST_ZERO ? small : -big;
    *hi = b > SCL_SLEEP_HIST_ZERO ? big : -small;
}

void scl_sleep_stats_free(struct scl_sleep_stats *s)
{
    if (!s)
        return;
    scl_free(s->spikes);
    scl_free(s->raster);
    scl_free(s->unit_spikes);
    s->spikes = NULL;
    s->raster = NULL;
    s->unit_spikes = NULL;
}

/* ---------------------------------------------------------------- device layout */

/* What every run of a pass shares: each layer's place in the run's buffers (the kernel's layer
 * table, cl/scl_contract.h) and the sizes of those buffers. */
struct layout {
    int32_t n_layers;
    struct scl_sleep_dev_layer lay[SCL_MAX_LAYERS + 1];
    int64_t w_floats;   /* weights of a run as stored; the kernel needs it to fit an int */
    int32_t slot_units; /* padded units of all layers: one step's flags */
    int32_t v_units;    /* padded units of layers 1..L: the potentials */
    int32_t list_cap;   /* largest padded layer: room for any spike list */
};

static int32_t pad_units(int32_t n)
{
    return (n + SCL_SLEEP_VEC - 1) / SCL_SLEEP_VEC * SCL_SLEEP_VEC;
}

/* W_1 is stored transposed: input spikes are dense (5-20 % of pixels per step) and the
 * first hidden layer's are rare (< 1 %), so the integration reads a few contiguous rows of
 * W_1^T and the update gathers a few columns; deeper layers are the other way round. */
static int layer_transposed(int32_t l)
{
    return l == 1;
}

/* Blocks of SCL_SLEEP_VEC weights W_l's part of a step touches: integrating layer l reads, for
 * each of the `pre` spikes of layer l - 1, a row of W_l^T (one block per 16 units of layer l) or
 * a column of the row-major W_l (a block per unit); updating W_l writes, for each of the `post`
 * spikes of layer l, a column of W_l^T (a block per unit of layer l - 1) or a row of W_l. */
static double layer_blocks(int32_t l, int32_t n_pre, int32_t n, double pre, double post)
{
    const double pre_blocks = (double)pad_units(n_pre) / SCL_SLEEP_VEC;
    const double blocks = (double)pad_units(n) / SCL_SLEEP_VEC;
    if (layer_transposed(l))
        return pre * blocks + post * (double)n_pre;
    return pre * (double)n + post * pre_blocks;
}

double scl_sleep_step_bytes(const int32_t *sizes, int32_t n_layers, const double *spikes)
{
    double blocks = 0.0;
    for (int32_t l = 1; l <= n_layers; l++)
        blocks += layer_blocks(l, sizes[l - 1], sizes[l], spikes[l - 1], spikes[l]);
    return blocks * SCL_SLEEP_VEC * sizeof(float);
}

static void layout_init(struct layout *y, const scl_model *m)
{
    memset(y, 0, sizeof(*y));
    y->n_layers = m->n_layers;
    for (int32_t l = 0; l <= m->n_layers; l++) {
        struct scl_sleep_dev_layer *d = &y->lay[l];
        d->n = m->sizes[l];
        d->flags = y->slot_units;
        y->slot_units += pad_units(d->n);
        y->list_cap = pad_units(d->n) > y->list_cap ? pad_units(d->n) : y->list_cap;
        if (l == 0)
            continue;
        d->v = y->v_units;
        y->v_units += pad_units(d->n);
        d->trans = layer_transposed(l);
        d->ld = pad_units(d->trans ? d->n : y->lay[l - 1].n);
        d->w = (scl_k_int)y->w_floats; /* exact whenever check_layout lets the run go */
        y->w_floats += (int64_t)(d->trans ? y->lay[l - 1].n : d->n) * d->ld;
    }
}

/* Host W_l [n_l][n_{l-1}] into its device layout at dev + lay[l].w, pads zeroed. The
 * transpose goes by TILE x TILE tiles, so that neither side is walked with a long stride. */
static void pack_layer(const struct layout *y, int32_t l, const float *w, float *dev)
{
    const struct scl_sleep_dev_layer *d = &y->lay[l];
    const int32_t rows = d->n, cols = y->lay[l - 1].n;
    const size_t ld = (size_t)d->ld;
    float *out = dev + d->w;
    if (!d->trans) {
        for (int32_t i = 0; i < rows; i++) {
            float *dst = out + (size_t)i * ld;
            memcpy(dst, w + (size_t)i * (size_t)cols, sizeof(float) * (size_t)cols);
            memset(dst + cols, 0, sizeof(float) * (ld - (size_t)cols));
        }
        return;
    }
    for (int32_t j = 0; j < cols; j++)
        memset(out + (size_t)j * ld + rows, 0, sizeof(float) * (ld - (size_t)rows));
    for (int32_t i0 = 0; i0 < rows; i0 += TILE)
        for (int32_t j0 = 0; j0 < cols; j0 += TILE)
            for (int32_t i = i0; i < i0 + TILE && i < rows; i++)
                for (int32_t j = j0; j < j0 + TILE && j < cols; j++)
                    out[(size_t)j * ld + (size_t)i] = w[(size_t)i * (size_t)cols + (size_t)j];
}

/* One weight back from the device, counted into hist (when non-NULL) by its change. */
static inline void take(float *w, float after, int64_t *hist)
{
    if (hist)
        hist[hist_bin(after - *w)]++;
    *w = after;
}

/* The device layout back into host W_l, by tiles like pack_layer. */
static void unpack_layer(const struct layout *y, int32_t l, const float *dev, float *w,
                         int64_t *hist)
{
    const struct scl_sleep_dev_layer *d = &y->lay[l];
    const int32_t rows = d->n, cols = y->lay[l - 1].n;
    const size_t ld = (size_t)d->ld;
    const float *in = dev + d->w;
    if (!d->trans) {
        for (int32_t i = 0; i < rows; i++)
            for (int32_t j = 0; j < cols; j++)
                take(w + (size_t)i * (size_t)cols + (size_t)j, in[(size_t)i * ld + (size_t)j],
                     hist);
        return;
    }
    for (int32_t i0 = 0; i0 < rows; i0 += TILE)
        for (int32_t j0 = 0; j0 < cols; j0 += TILE)
            for (int32_t i = i0; i < i0 + TILE && i < rows; i++)
                for (int32_t j = j0; j < j0 + TILE && j < cols; j++)
                    take(w + (size_t)i * (size_t)cols + (size_t)j, in[(size_t)j * ld + (size_t)i],
                         hist);
}

/* ---------------------------------------------------------------- a pass on the device */

/*
 * One pass of cl/sleep.cl scl_sleep_steps: n independent runs of one layout. Every per-run
 * buffer holds the n runs at a fixed stride, and each run has `groups` work-groups of its own.
 * Runs may differ in every parameter, steps included (a run past its end idles), and each gives
 * the bits it gives alone. scl_sleep_run is a pass of one.
 */
struct sleep_pass {
    struct layout y;
    struct scl_sleep_job *jobs;
    int32_t n;     /* runs */
    int32_t t_max; /* steps of the longest run */
    int32_t slots; /* step slots of flags per run: t_max with a raster, else 2 */
    int single;    /* scl_sleep_run: a single sleep's messages, without a job index */
    size_t groups; /* work-groups per run */
    cl_kernel k;
    cl_mem w, v, flags, lists, counts, prob, plan, runs;
};

static void pass_release(struct sleep_pass *s)
{
    cl_mem *all[] = {&s->w, &s->v, &s->flags, &s->lists, &s->counts, &s->prob, &s->plan, &s->runs};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        scl_buf_release(all[i]);
}

/* Test and benchmark hook (declared where it is used): force the work-groups per run, 0 =
 * automatic. 1 runs chunks of steps in one work-group per run as on a CPU; more runs one launch
 * per call as a lone run on a GPU, so that both paths can be checked and timed on any device.
 * Process-wide. */
void scl_sleep_test_groups(int groups);
static int forced_groups;

void scl_sleep_test_groups(int groups)
{
    forced_groups = groups > 0 ? groups : 0;
}

/* Work-groups per run: one on a CPU, where a work-group per core is all there is, and one in a
 * batch, whose runs fill the device and then advance many steps per call (see the top of this
 * file); a lone run elsewhere gets at least one per compute unit, and enough to give every block
 * of the widest layer its own work-item. */
static size_t pick_groups(scl_ctx *ctx, const struct layout *y, int32_t runs)
{
    cl_uint cus = 1;
    if (forced_groups)
        return (size_t)forced_groups;
    if (ctx->is_cpu || runs > 1)
        return 1;
    clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(cus), &cus, NULL);
    size_t blocks = (size_t)y->list_cap / SCL_SLEEP_VEC;
    size_t need = (blocks + SCL_SLEEP_WG - 1) / SCL_SLEEP_WG;
    return need > cus ? need : (cus ? cus : 1);
}

/* ---------------------------------------------------------------- checks */

/* The index of the first NaN or infinity in x[0..n), or n. The scan has no early exit, which
 * lets the compiler vectorize it: it reads every weight of every sleep. */
static size_t first_non_finite(const float *x, size_t n)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, x + i, sizeof(bits));
        bad |= (uint32_t)((bits & 0x7f800000u) == 0x7f800000u); /* exponent all ones */
    }
    size_t i = 0;
    while (bad && isfinite(x[i]))
        i++;
    return bad ? i : n;
}

/* NaN or infinite weights, means or alphas of a job: SCL_ERR_NUMERIC naming the first one. */
static scl_status check_finite(const struct scl_sleep_job *j, char *msg, size_t len)
{
    const scl_model *m = j->model;
    float alpha[SCL_MAX_LAYERS];
    scl_sleep_alpha(&j->params, m->n_layers, j->factors, alpha);
    for (int32_t l = 0; l < m->n_layers; l++) {
        const size_t n = (size_t)m->sizes[l] * (size_t)m->sizes[l + 1];
        const size_t i = first_non_finite(m->w[l], n);
        if (i < n)
            return scl_msg_fail(msg, len, SCL_ERR_NUMERIC, "layer %d weight [%zu][%zu] is %g",
                                (int)l + 1, i / (size_t)m->sizes[l], i % (size_t)m->sizes[l],
                                (double)m->w[l][i]);
        if (!isfinite(alpha[l]))
            return scl_msg_fail(msg, len, SCL_ERR_NUMERIC, "alpha of layer %d is %g (factor %g)",
                                (int)l + 1, (double)alpha[l], (double)j->factors[l]);
    }
    for (int32_t i = 0; i < m->sizes[0]; i++)
        if (!isfinite(j->mean_input[i]))
            return scl_msg_fail(msg, len, SCL_ERR_NUMERIC, "mean input [%d] is %g", (int)i,
                                (double)j->mean_input[i]);
    return SCL_OK;
}

/* Job i valid for its model, all its inputs finite; in a batch the message names the job. */
static scl_status check_job(scl_ctx *ctx, const struct sleep_pass *s, int32_t i)
{
    char msg[256];
    const struct scl_sleep_job *j = &s->jobs[i];
    const char *what = ""; /* validation messages name their key ("sleep.dt") already */
    scl_status st = scl_sleep_validate(&j->params, j->model, msg, sizeof(msg));
    if (st == SCL_OK) {
        what = "sleep: ";
        st = check_finite(j, msg, sizeof(msg));
    }
    if (st == SCL_OK)
        return SCL_OK;
    if (s->single)
        return scl_ctx_fail(ctx, st, "%s%s", what, msg);
    return scl_ctx_fail(ctx, st, "sleep batch: job %d: %s", (int)i, msg);
}

/* Every job with a model and an input, every model of jobs[0]'s sizes, every job valid. */
static scl_status check_jobs(scl_ctx *ctx, const struct sleep_pass *s)
{
    const scl_model *m0 = s->jobs[0].model;
    for (int32_t i = 0; i < s->n; i++) {
        const scl_model *m = s->jobs[i].model;
        if (!m || !s->jobs[i].mean_input || m->n_layers != m0->n_layers ||
            memcmp(m->sizes, m0->sizes, sizeof(int32_t) * (size_t)(m0->n_layers + 1)) != 0)
            return scl_ctx_fail(ctx, SCL_ERR_ARG,
                                "sleep: job %d has no model or input, or other layer sizes than "
                                "job 0",
                                (int)i);
        scl_status st = check_job(ctx, s, i);
        if (st != SCL_OK)
            return st;
    }
    return SCL_OK;
}

/* The kernel addresses a run's weights and flags with int offsets. */
static scl_status check_layout(scl_ctx *ctx, const struct sleep_pass *s)
{
    if (s->y.w_floats > INT32_MAX)
        return scl_ctx_fail(ctx, SCL_ERR_ARG,
                            "sleep: the model has %lld weights once padded, more than 2^31 - 1",
                            (long long)s->y.w_floats);
    if ((int64_t)s->slots * s->y.slot_units > INT32_MAX)
        return scl_ctx_fail(ctx, SCL_ERR_ARG,
                            "sleep: a raster of %d steps of %d units is over 2 GB; record fewer "
                            "steps",
                            (int)s->slots, (int)s->y.slot_units);
    return SCL_OK;
}

/* Steps of the longest run, flag slots and work-groups per run; the jobs' stats reset. */
static scl_status pass_init(scl_ctx *ctx, struct sleep_pass *s)
{
    int raster = 0;
    layout_init(&s->y, s->jobs[0].model);
    for (int32_t i = 0; i < s->n; i++) {
        struct scl_sleep_stats *st = s->jobs[i].stats;
        s->t_max = s->jobs[i].params.steps > s->t_max ? s->jobs[i].params.steps : s->t_max;
        raster |= st && st->record_raster;
        if (!st)
            continue;
        scl_sleep_stats_free(st);
        memset(st->hist, 0, sizeof(st->hist));
        memset(st->rate, 0, sizeof(st->rate));
    }
    s->slots = raster ? s->t_max : 2;
    s->groups = pick_groups(ctx, &s->y, s->n);
    return check_layout(ctx, s);
}

/* ---------------------------------------------------------------- uploads */

static size_t weight_bytes(const struct sleep_pass *s)
{
    return (size_t)s->y.w_floats * sizeof(float) * (size_t)s->n;
}

/* Map the weight buffer (blocking): on a CPU device this is the buffer itself, so packing
 * into it saves a staging copy and the page faults of a fresh 10 MB per run, which cost more
 * than a whole 365-step sleep. */
static scl_status map_weights(scl_ctx *ctx, struct sleep_pass *s, cl_map_flags how, float **out)
{
    cl_int err;
    *out =
        clEnqueueMapBuffer(ctx->queue, s->w, CL_TRUE, how, 0, weight_bytes(s), 0, NULL, NULL, &err);
    return SCL_CL_OK(ctx, err) ? SCL_OK : SCL_ERR_OPENCL;
}

static scl_status unmap_weights(scl_ctx *ctx, struct sleep_pass *s, float *dev)
{
    if (!SCL_CL_OK(ctx, clEnqueueUnmapMemObject(ctx->queue, s->w, dev, 0, NULL, NULL)))
        return SCL_ERR_OPENCL;
    return SCL_OK;
}

static scl_status upload_weights(scl_ctx *ctx, struct sleep_pass *s)
{
    cl_int err;
    float *dev = NULL;
    s->w = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, weight_bytes(s),
                          NULL, &err);
    if (!SCL_CL_OK(ctx, err))
        return SCL_ERR_OPENCL;
    scl_status st = map_weights(ctx, s, CL_MAP_WRITE_INVALIDATE_REGION, &dev);
    if (st != SCL_OK)
        return st;
    for (int32_t i = 0; i < s->n; i++)
        for (int32_t l = 1; l <= s->y.n_layers; l++)
            pack_layer(&s->y, l, s->jobs[i].model->w[l - 1],
                       dev + (size_t)i * (size_t)s->y.w_floats);
    return unmap_weights(ctx, s, dev);
}

/* The plan: the layer table every run shares and the strides of the per-run buffers. */
static scl_status upload_plan(scl_ctx *ctx, struct sleep_pass *s)
{
    const struct layout *y = &s->y;
    struct scl_sleep_dev_plan plan;
    memset(&plan, 0, sizeof(plan));
    plan.n_layers = y->n_layers;
    plan.groups = (scl_k_int)s->groups;
    plan.raster = s->slots != 2;
    plan.slot_units = y->slot_units;
    plan.run_flags = s->slots * y->slot_units;
    plan.run_counts = s->t_max * (y->n_layers + 1);
    plan.run_v = y->v_units;
    plan.run_prob = pad_units(y->lay[0].n);
    plan.run_w = (scl_k_int)y->w_floats;
    plan.list_cap = y->list_cap;
    memcpy(plan.lay, y->lay, sizeof(y->lay));
    return scl_buf_create(ctx, sizeof(plan), &plan, &s->plan);
}

/* A job's own table (seed, input mode, steps, rates, alpha = scale x factor, beta) and its
 * input probabilities p_i = min(1, gain * dt * max_rate * x_i), the expression of ref_sleep.c. */
static void fill_run(const struct scl_sleep_job *j, int32_t n_layers, struct scl_sleep_dev_run *run,
                     float *prob)
{
    const struct scl_sleep_params *p = &j->params;
    const float scale = p->gain * p->dt * p->max_rate;
    run->seed = p->seed;
    run->window = p->input == SCL_SLEEP_INPUT_WINDOW;
    run->steps = p->steps;
    run->mod_ref = p->modulation == SCL_SLEEP_MOD_REF;
    run->decay = p->decay;
    run->inc = p->inc;
    run->dec = p->dec;
    scl_sleep_alpha(p, n_layers, j->factors, run->alpha);
    memcpy(run->beta, p->beta, sizeof(float) * (size_t)n_layers);
    for (int32_t i = 0; i < j->model->sizes[0]; i++) {
        const float q = scale * j->mean_input[i];
        prob[i] = q < 1.0f ? q : 1.0f;
    }
}

static scl_status upload_runs(scl_ctx *ctx, struct sleep_pass *s)
{
    const size_t n0 = (size_t)pad_units(s->y.lay[0].n);
    struct scl_sleep_dev_run *runs = scl_calloc((size_t)s->n, sizeof(*runs));
    float *prob = scl_calloc((size_t)s->n * n0, sizeof(*prob));
    scl_status st = runs && prob ? SCL_OK : SCL_ERR_NOMEM;
    for (int32_t i = 0; i < s->n && st == SCL_OK; i++)
        fill_run(&s->jobs[i], s->y.n_layers, &runs[i], prob + (size_t)i * n0);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, sizeof(*runs) * (size_t)s->n, runs, &s->runs);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, sizeof(*prob) * (size_t)s->n * n0, prob, &s->prob);
    scl_free(runs);
    scl_free(prob);
    return st;
}

/* Potentials and flags zeroed (pad flags must read 0), spike lists, spike counts. */
static scl_status create_state(scl_ctx *ctx, struct sleep_pass *s)
{
    const size_t n = (size_t)s->n;
    const size_t v_bytes = sizeof(float) * (size_t)s->y.v_units * n;
    const size_t flag_bytes = (size_t)s->slots * (size_t)s->y.slot_units * n;
    const size_t list_bytes = sizeof(cl_uint) * (size_t)s->y.list_cap * s->groups * n;
    const size_t count_bytes = sizeof(cl_int) * (size_t)s->t_max * (size_t)(s->y.n_layers + 1) * n;
    scl_status st = scl_buf_create(ctx, v_bytes, NULL, &s->v);
    if (st == SCL_OK)
        st = scl_buf_fill_zero(ctx, s->v, v_bytes);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, flag_bytes, NULL, &s->flags);
    if (st == SCL_OK) /* a multiple of 16 bytes, as the fill needs */
        st = scl_buf_fill_zero(ctx, s->flags, flag_bytes);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, list_bytes, NULL, &s->lists);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, count_bytes, NULL, &s->counts);
    return st;
}

/* ---------------------------------------------------------------- the run */

#define ARG_SPAN 8 /* scl_sleep_steps's last argument; set_args sets those before it */

static scl_status set_args(scl_ctx *ctx, struct sleep_pass *s)
{
    cl_mem bufs[ARG_SPAN] = {s->flags, s->lists, s->counts, s->v, s->prob, s->w, s->plan, s->runs};
    for (cl_uint i = 0; i < ARG_SPAN; i++)
        if (!SCL_ARG(ctx, s->k, i, bufs[i]))
            return SCL_ERR_OPENCL;
    return SCL_OK;
}

/* Now and then a flush, to keep the device fed, or a finish, to bound the queue. */
static scl_status pace_queue(scl_ctx *ctx, int32_t calls)
{
    if (calls % SYNC_EVERY == 0)
        return SCL_CL_OK(ctx, clFinish(ctx->queue)) ? SCL_OK : SCL_ERR_OPENCL;
    if (calls % FLUSH_EVERY == 0)
        return SCL_CL_OK(ctx, clFlush(ctx->queue)) ? SCL_OK : SCL_ERR_OPENCL;
    return SCL_OK;
}

/* Launches q = 0 .. T_max (L + 1) of every run: SLEEP_CHUNK steps per call when each run has
 * one work-group, else one launch per call. */
static scl_status enqueue_all(scl_ctx *ctx, struct sleep_pass *s)
{
    const int32_t per_step = s->y.n_layers + 1;
    const int32_t end = s->t_max * per_step + 1;
    const int32_t chunk = s->groups == 1 ? SLEEP_CHUNK * per_step : 1;
    const size_t global = (size_t)s->n * s->groups * SCL_SLEEP_WG;
    const size_t local = SCL_SLEEP_WG;
    scl_status st = SCL_OK;
    for (int32_t q = 0, calls = 1; q < end && st == SCL_OK; q += chunk, calls++) {
        const cl_int2 span = {{q, end - q < chunk ? end : q + chunk}};
        st = SCL_ARG(ctx, s->k, ARG_SPAN, span) ? SCL_OK : SCL_ERR_OPENCL;
        if (st == SCL_OK)
            st = scl_kernel_run(ctx, s->k, 1, &global, &local);
        if (st == SCL_OK)
            st = pace_queue(ctx, calls);
    }
    return st;
}

/* ---------------------------------------------------------------- results */

/* Job i's spike counts, rates and raster from the host copies of the whole pass. */
static scl_status job_stats(const struct sleep_pass *s, int32_t i, const int32_t *counts,
                            const uint8_t *flags)
{
    struct scl_sleep_stats *st = s->jobs[i].stats;
    const int32_t T = s->jobs[i].params.steps, L = s->y.n_layers;
    const int32_t *c = counts + (size_t)i * (size_t)s->t_max * (size_t)(L + 1);
    st->steps = T;
    st->n_layers = L;
    st->spikes = scl_calloc((size_t)T * (size_t)(L + 1), sizeof(*st->spikes));
    if (!st->spikes)
        return SCL_ERR_NOMEM;
    memcpy(st->spikes, c, sizeof(*c) * (size_t)T * (size_t)(L + 1));
    for (int32_t l = 0; l <= L; l++) {
        int64_t sum = 0;
        for (int32_t t = 0; t < T; t++)
            sum += c[(size_t)t * (size_t)(L + 1) + (size_t)l];
        st->rate[l] = (double)sum / ((double)T * (double)s->y.lay[l].n);
    }
    if (!st->record_raster || !flags)
        return SCL_OK;
    st->raster_units = 0;
    for (int32_t l = 0; l <= L; l++)
        st->raster_units += s->y.lay[l].n;
    st->raster = scl_alloc((size_t)st->raster_units * (size_t)T);
    st->unit_spikes = scl_calloc((size_t)st->raster_units, sizeof(*st->unit_spikes));
    if (!st->raster || !st->unit_spikes)
        return SCL_ERR_NOMEM;
    const uint8_t *f = flags + (size_t)i * (size_t)s->slots * (size_t)s->y.slot_units;
    for (int32_t t = 0; t < T; t++) {
        uint8_t *dst = st->raster + (size_t)t * (size_t)st->raster_units;
        for (int32_t l = 0; l <= L; l++) {
            memcpy(dst, f + (size_t)t * (size_t)s->y.slot_units + (size_t)s->y.lay[l].flags,
                   (size_t)s->y.lay[l].n);
            dst += s->y.lay[l].n;
        }
        for (int64_t u = 0; u < st->raster_units; u++)
            st->unit_spikes[u] += st->raster[(size_t)t * (size_t)st->raster_units + (size_t)u];
    }
    return SCL_OK;
}

static int wants_stats(const struct sleep_pass *s)
{
    for (int32_t i = 0; i < s->n; i++)
        if (s->jobs[i].stats)
            return 1;
    return 0;
}

static scl_status read_stats(scl_ctx *ctx, struct sleep_pass *s)
{
    const size_t nc = (size_t)s->n * (size_t)s->t_max * (size_t)(s->y.n_layers + 1);
    const size_t nf = (size_t)s->n * (size_t)s->slots * (size_t)s->y.slot_units;
    if (!wants_stats(s))
        return SCL_OK;
    int32_t *counts = scl_calloc(nc, sizeof(*counts));
    uint8_t *flags = s->slots != 2 ? scl_alloc(nf) : NULL;
    scl_status st = counts && (flags || s->slots == 2) ? SCL_OK : SCL_ERR_NOMEM;
    if (st == SCL_OK)
        st = scl_buf_read(ctx, s->counts, 0, nc * sizeof(*counts), counts);
    if (st == SCL_OK && flags)
        st = scl_buf_read(ctx, s->flags, 0, nf, flags);
    for (int32_t i = 0; i < s->n && st == SCL_OK; i++)
        if (s->jobs[i].stats)
            st = job_stats(s, i, counts, flags);
    scl_free(counts);
    scl_free(flags);
    return st;
}

/* Weights back into the models, counting the changes where stats are wanted. A failed map
 * leaves the models as they were; after it only the unmap can fail. */
static scl_status read_weights(scl_ctx *ctx, struct sleep_pass *s)
{
    float *dev = NULL;
    scl_status st = map_weights(ctx, s, CL_MAP_READ, &dev);
    if (st != SCL_OK)
        return st;
    for (int32_t i = 0; i < s->n; i++) {
        struct scl_sleep_stats *stats = s->jobs[i].stats;
        for (int32_t l = 1; l <= s->y.n_layers; l++)
            unpack_layer(&s->y, l, dev + (size_t)i * (size_t)s->y.w_floats,
                         s->jobs[i].model->w[l - 1], stats ? stats->hist[l - 1] : NULL);
    }
    return unmap_weights(ctx, s, dev);
}

/* ---------------------------------------------------------------- entry points */

/* Everything after the checks: uploads, the whole run, the read-back. */
static scl_status pass_run(scl_ctx *ctx, struct sleep_pass *s)
{
    scl_status st = pass_init(ctx, s);
    if (st == SCL_OK)
        st = scl_kernel_get(ctx, "scl_sleep_steps", &s->k);
    if (st == SCL_OK)
        st = upload_weights(ctx, s);
    if (st == SCL_OK)
        st = upload_plan(ctx, s);
    if (st == SCL_OK)
        st = upload_runs(ctx, s);
    if (st == SCL_OK)
        st = create_state(ctx, s);
    if (st == SCL_OK)
        st = set_args(ctx, s);
    if (st == SCL_OK)
        st = enqueue_all(ctx, s);
    if (st == SCL_OK)
        st = read_stats(ctx, s);
    if (st == SCL_OK)
        st = read_weights(ctx, s);
    return st;
}

/* One pass over jobs[0..n); on error no model changes and no stats are left filled. */
static scl_status run_jobs(scl_ctx *ctx, struct scl_sleep_job *jobs, int32_t n, int single)
{
    struct sleep_pass s;
    memset(&s, 0, sizeof(s));
    s.jobs = jobs;
    s.n = n;
    s.single = single;
    scl_status st = check_jobs(ctx, &s);
    if (st != SCL_OK)
        return st;
    st = pass_run(ctx, &s);
    for (int32_t i = 0; i < n && st != SCL_OK; i++)
        scl_sleep_stats_free(jobs[i].stats);
    if (st == SCL_ERR_NOMEM)
        scl_ctx_fail(ctx, st, "sleep: no memory for %d runs", (int)n);
    SCL_LOG_DEBUG("sleep", "%d runs of up to %d steps, %zu work-groups each: %s", (int)n,
                  (int)s.t_max, s.groups, scl_status_str(st));
    pass_release(&s);
    return st;
}

scl_status scl_sleep_run(scl_ctx *ctx, scl_model *m, const struct scl_sleep_params *p,
                         const float *mean_input, const float *factors,
                         struct scl_sleep_stats *stats)
{
    struct scl_sleep_job job;
    if (!m || !p || !factors || m->n_layers < 1 || m->n_layers > SCL_MAX_LAYERS)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "sleep: no model, parameters or factors");
    memset(&job, 0, sizeof(job));
    job.model = m;
    job.params = *p;
    job.mean_input = mean_input;
    memcpy(job.factors, factors, sizeof(*factors) * (size_t)m->n_layers);
    job.stats = stats;
    return run_jobs(ctx, &job, 1, 1);
}

scl_status scl_sleep_run_batch(scl_ctx *ctx, struct scl_sleep_job *jobs, int32_t n)
{
    if (!jobs || n < 1)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "sleep batch: no jobs");
    return run_jobs(ctx, jobs, n, 0);
}
