/*
 * The sleep phase as a library (ALGORITHM.md sections 2-5): parameters and their checks, the
 * layer scale factors, the input mean, and the run itself on the device.
 *
 * A run uploads the weights once, enqueues the whole run without waiting, and reads back once
 * at the end: weights, the spike counts per step and layer, and, when asked, the whole raster.
 * A step is L + 1 launches of work (cl/sleep.cl). On a CPU one work-group runs SLEEP_CHUNK
 * steps per kernel call, with barriers instead of launches: a core per work-group is all a CPU
 * has, and PoCL charges about 5 us per launch plus a stall whenever a core is busy elsewhere.
 * Elsewhere every launch is its own call over as many work-groups as the widest layer needs.
 *
 * Device layout: every layer is padded to SCL_SLEEP_VEC units; W_1 is stored transposed and
 * the other layers row-major (see layer_transposed). Host/ref/ref_sleep.c is the plain C twin
 * and gives the same bits (the device tests compare whole rasters and weights).
 * scl_sleep_run_batch (end of the file) runs many independent runs of one layout at once, one
 * work-group per run, each giving the bits of its single run.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

#define SLEEP_VEC   16 /* cl/sleep.cl SCL_SLEEP_VEC */
#define SLEEP_WG    64 /* cl/sleep.cl SCL_SLEEP_WG */
#define SLEEP_LAY   8  /* cl/sleep.cl SCL_SLEEP_LAY: ints per layer in the layer table */
#define GRID_PIXELS 784
#define MAX_STEPS   10000000 /* keeps [T][L+1] counts and launch indices inside int32 */
#define SLEEP_CHUNK 256      /* steps per kernel call when one work-group runs them */
#define FLUSH_EVERY 128      /* kernel calls between clFlush: keeps the device fed */
#define SYNC_EVERY  16384    /* kernel calls between clFinish: bounds the queue */
#define TILE        32       /* side of the tiles of the W_1 transpose */

/* ---------------------------------------------------------------- parameters */

struct scl_sleep_params scl_sleep_default_params(void)
{
    struct scl_sleep_params p;
    memset(&p, 0, sizeof(p));
    p.steps = 365;
    p.dt = 0.001f;
    p.max_rate = 211.9f;
    p.gain = 2.0f;
    p.alpha_scale = 15.5f;
    p.n_beta = 3;
    p.beta[0] = 24.3f;
    p.beta[1] = 5.08f;
    p.beta[2] = 18.42f;
    p.decay = 0.97f;
    p.inc = 7.49e-4f;
    p.dec = 1.87e-4f;
    p.norm = SCL_SLEEP_NORM_REF;
    p.modulation = SCL_SLEEP_MOD_REF;
    p.input = SCL_SLEEP_INPUT_MEAN;
    p.seed = 1;
    return p;
}

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
    if (m && p->input == SCL_SLEEP_INPUT_WINDOW && m->sizes[0] != GRID_PIXELS)
        return scl_msg_fail(msg, n, SCL_ERR_CONFIG,
                            "sleep.input = window needs a 28x28 input, the model has %d inputs",
                            (int)m->sizes[0]);
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
    s->spikes = NULL;
    s->raster = NULL;
}

/* ---------------------------------------------------------------- device layout */

struct layout {
    int32_t n_layers;
    int32_t n[SCL_MAX_LAYERS + 1];     /* units */
    int32_t flags[SCL_MAX_LAYERS + 1]; /* offset of the layer's flags in a step slot */
    int32_t v[SCL_MAX_LAYERS + 1];     /* offset of the layer's potentials */
    int32_t trans[SCL_MAX_LAYERS + 1]; /* W_l stored [n_{l-1}][ld] instead of [n_l][ld] */
    int32_t ld[SCL_MAX_LAYERS + 1];    /* padded row length of W_l as stored */
    int64_t w_off[SCL_MAX_LAYERS + 1]; /* offset of W_l in the one weight buffer, floats */
    int64_t w_floats;                  /* size of the weight buffer */
    int32_t slot_units;                /* padded units of all layers: one step's flags */
    int32_t v_units;
    int32_t list_cap; /* largest padded layer: room for any spike list */
};

static int32_t pad_units(int32_t n)
{
    return (n + SLEEP_VEC - 1) / SLEEP_VEC * SLEEP_VEC;
}

/* W_1 is stored transposed: input spikes are dense (5-20 % of pixels per step) and the
 * first hidden layer's are rare (< 1 %), so the integration reads a few contiguous rows of
 * W_1^T and the update gathers a few columns; deeper layers are the other way round. */
static int layer_transposed(int32_t l)
{
    return l == 1;
}

static void layout_init(struct layout *y, const scl_model *m)
{
    memset(y, 0, sizeof(*y));
    y->n_layers = m->n_layers;
    for (int32_t l = 0; l <= m->n_layers; l++) {
        y->n[l] = m->sizes[l];
        y->flags[l] = y->slot_units;
        y->slot_units += pad_units(y->n[l]);
        y->list_cap = pad_units(y->n[l]) > y->list_cap ? pad_units(y->n[l]) : y->list_cap;
        if (l == 0)
            continue;
        y->v[l] = y->v_units;
        y->v_units += pad_units(y->n[l]);
        y->trans[l] = layer_transposed(l);
        y->ld[l] = pad_units(y->trans[l] ? y->n[l] : y->n[l - 1]);
        y->w_off[l] = y->w_floats;
        y->w_floats += (int64_t)(y->trans[l] ? y->n[l - 1] : y->n[l]) * y->ld[l];
    }
}

/* Host W_l [n_l][n_{l-1}] into its device layout at dev + w_off[l], pads zeroed. The
 * transpose goes by TILE x TILE tiles, so that neither side is walked with a long stride. */
static void pack_layer(const struct layout *y, int32_t l, const float *w, float *dev)
{
    const int32_t rows = y->n[l];
    const int32_t cols = y->n[l - 1];
    float *d = dev + y->w_off[l];
    if (!y->trans[l]) {
        for (int32_t i = 0; i < rows; i++) {
            float *dst = d + (size_t)i * (size_t)y->ld[l];
            memcpy(dst, w + (size_t)i * (size_t)cols, sizeof(float) * (size_t)cols);
            memset(dst + cols, 0, sizeof(float) * (size_t)(y->ld[l] - cols));
        }
        return;
    }
    for (int32_t j = 0; j < cols; j++)
        memset(d + (size_t)j * (size_t)y->ld[l] + rows, 0,
               sizeof(float) * (size_t)(y->ld[l] - rows));
    for (int32_t i0 = 0; i0 < rows; i0 += TILE)
        for (int32_t j0 = 0; j0 < cols; j0 += TILE)
            for (int32_t i = i0; i < i0 + TILE && i < rows; i++)
                for (int32_t j = j0; j < j0 + TILE && j < cols; j++)
                    d[(size_t)j * (size_t)y->ld[l] + (size_t)i] =
                        w[(size_t)i * (size_t)cols + (size_t)j];
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
    const int32_t rows = y->n[l];
    const int32_t cols = y->n[l - 1];
    const float *d = dev + y->w_off[l];
    if (!y->trans[l]) {
        for (int32_t i = 0; i < rows; i++)
            for (int32_t j = 0; j < cols; j++)
                take(w + (size_t)i * (size_t)cols + (size_t)j,
                     d[(size_t)i * (size_t)y->ld[l] + (size_t)j], hist);
        return;
    }
    for (int32_t i0 = 0; i0 < rows; i0 += TILE)
        for (int32_t j0 = 0; j0 < cols; j0 += TILE)
            for (int32_t i = i0; i < i0 + TILE && i < rows; i++)
                for (int32_t j = j0; j < j0 + TILE && j < cols; j++)
                    take(w + (size_t)i * (size_t)cols + (size_t)j,
                         d[(size_t)j * (size_t)y->ld[l] + (size_t)i], hist);
}

/* ---------------------------------------------------------------- one run on the device */

struct sleep_run {
    struct layout y;
    const struct scl_sleep_params *p;
    cl_kernel k;
    size_t groups;
    int32_t slots; /* step slots of flags: T with a raster, else 2 (this step, last step) */
    cl_mem w, v, flags, lists, counts, prob, lay, layf;
};

static void run_release(struct sleep_run *r)
{
    scl_buf_release(&r->w);
    scl_buf_release(&r->layf);
    scl_buf_release(&r->lay);
    scl_buf_release(&r->prob);
    scl_buf_release(&r->counts);
    scl_buf_release(&r->lists);
    scl_buf_release(&r->flags);
    scl_buf_release(&r->v);
}

/* Test and benchmark hook (declared where it is used): force the work-groups per kernel call,
 * 0 = automatic. 1 runs chunks of steps in one work-group as on a CPU; more runs one launch per
 * call as on a GPU, so that both paths can be checked and timed on any device. Process-wide. */
void scl_sleep_test_groups(int groups);
static int forced_groups;

void scl_sleep_test_groups(int groups)
{
    forced_groups = groups > 0 ? groups : 0;
}

/* Work-groups per kernel call: one on a CPU, which then runs many steps per call (see the top
 * of this file); elsewhere at least one per compute unit, and enough to give every block of
 * the widest layer its own work-item. */
static size_t pick_groups(scl_ctx *ctx, const struct layout *y)
{
    cl_uint cus = 1;
    if (forced_groups)
        return (size_t)forced_groups;
    if (ctx->is_cpu)
        return 1;
    clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(cus), &cus, NULL);
    size_t blocks = (size_t)y->list_cap / SLEEP_VEC;
    size_t need = (blocks + SLEEP_WG - 1) / SLEEP_WG;
    return need > cus ? need : (cus ? cus : 1);
}

/* Map the weight buffer (blocking): on a CPU device this is the buffer itself, so packing
 * into it saves a staging copy and the page faults of a fresh 10 MB, which cost more than a
 * whole 365-step sleep. */
static scl_status map_weights(scl_ctx *ctx, struct sleep_run *r, cl_map_flags how, float **out)
{
    cl_int err;
    *out = clEnqueueMapBuffer(ctx->queue, r->w, CL_TRUE, how, 0,
                              (size_t)r->y.w_floats * sizeof(float), 0, NULL, NULL, &err);
    return SCL_CL_OK(ctx, err) ? SCL_OK : SCL_ERR_OPENCL;
}

static scl_status unmap_weights(scl_ctx *ctx, struct sleep_run *r, float *dev)
{
    if (!SCL_CL_OK(ctx, clEnqueueUnmapMemObject(ctx->queue, r->w, dev, 0, NULL, NULL)))
        return SCL_ERR_OPENCL;
    return SCL_OK;
}

static scl_status upload_weights(scl_ctx *ctx, struct sleep_run *r, const scl_model *m)
{
    cl_int err;
    float *dev = NULL;
    r->w = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR,
                          (size_t)r->y.w_floats * sizeof(float), NULL, &err);
    if (!SCL_CL_OK(ctx, err))
        return SCL_ERR_OPENCL;
    scl_status st = map_weights(ctx, r, CL_MAP_WRITE_INVALIDATE_REGION, &dev);
    if (st != SCL_OK)
        return st;
    for (int32_t l = 1; l <= r->y.n_layers; l++)
        pack_layer(&r->y, l, m->w[l - 1], dev);
    return unmap_weights(ctx, r, dev);
}

/* The layer table (ints) and the per-layer (alpha, beta) pairs for the kernel. */
static scl_status upload_tables(scl_ctx *ctx, struct sleep_run *r, const float *alpha)
{
    int32_t lay[(SCL_MAX_LAYERS + 1) * SLEEP_LAY];
    float layf[(SCL_MAX_LAYERS + 1) * 2];
    const struct layout *y = &r->y;
    memset(lay, 0, sizeof(lay));
    memset(layf, 0, sizeof(layf));
    for (int32_t l = 0; l <= y->n_layers; l++) {
        int32_t *d = lay + (size_t)l * SLEEP_LAY;
        d[0] = y->n[l];
        d[1] = y->flags[l];
        d[2] = y->v[l];
        d[3] = y->trans[l];
        d[4] = y->ld[l];
        d[5] = (int32_t)y->w_off[l];
        if (l > 0) {
            layf[2 * (size_t)l] = alpha[l - 1];
            layf[2 * (size_t)l + 1] = r->p->beta[l - 1];
        }
    }
    scl_status st = scl_buf_create(ctx, sizeof(lay), lay, &r->lay);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, sizeof(layf), layf, &r->layf);
    return st;
}

/* p_i = min(1, gain * dt * max_rate * x_i), the same expression as ref_sleep.c. */
static scl_status upload_prob(scl_ctx *ctx, struct sleep_run *r, const float *mean)
{
    const int32_t n0 = r->y.n[0];
    float *prob = scl_calloc((size_t)pad_units(n0), sizeof(*prob));
    if (!prob)
        return scl_ctx_fail(ctx, SCL_ERR_NOMEM, "sleep: no memory for the input");
    const float scale = r->p->gain * r->p->dt * r->p->max_rate;
    for (int32_t i = 0; i < n0; i++) {
        float q = scale * mean[i];
        prob[i] = q < 1.0f ? q : 1.0f;
    }
    scl_status st = scl_buf_create(ctx, sizeof(*prob) * (size_t)pad_units(n0), prob, &r->prob);
    scl_free(prob);
    return st;
}

static scl_status create_state(scl_ctx *ctx, struct sleep_run *r)
{
    const size_t flag_bytes = (size_t)r->slots * (size_t)r->y.slot_units;
    const size_t count_bytes = sizeof(cl_int) * (size_t)r->p->steps * (size_t)(r->y.n_layers + 1);
    scl_status st = scl_buf_create(ctx, sizeof(float) * (size_t)r->y.v_units, NULL, &r->v);
    if (st == SCL_OK)
        st = scl_buf_fill_zero(ctx, r->v, sizeof(float) * (size_t)r->y.v_units);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, flag_bytes, NULL, &r->flags);
    if (st == SCL_OK) /* pad flags must read 0 (a multiple of 16 bytes, as the fill needs) */
        st = scl_buf_fill_zero(ctx, r->flags, flag_bytes);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, sizeof(cl_uint) * r->groups * (size_t)r->y.list_cap, NULL,
                            &r->lists);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, count_bytes, NULL, &r->counts);
    return st;
}

static scl_status set_fixed_args(scl_ctx *ctx, struct sleep_run *r)
{
    const struct scl_sleep_params *p = r->p;
    const struct layout *y = &r->y;
    cl_uint4 run = {{p->seed, (cl_uint)SCL_RNG_SPIKES, (cl_uint)SCL_RNG_WINDOW,
                     p->input == SCL_SLEEP_INPUT_WINDOW}};
    cl_float4 rate = {{p->decay, p->inc, p->dec, p->modulation == SCL_SLEEP_MOD_REF ? 1.0f : 0.0f}};
    cl_int8 geom = {{y->n_layers, p->steps, y->slot_units, r->slots != 2, y->list_cap, 0, 0, 0}};
    if (!SCL_ARG(ctx, r->k, 0, r->flags) || !SCL_ARG(ctx, r->k, 1, r->lists) ||
        !SCL_ARG(ctx, r->k, 2, r->counts) || !SCL_ARG(ctx, r->k, 3, r->v) ||
        !SCL_ARG(ctx, r->k, 4, r->prob) || !SCL_ARG(ctx, r->k, 5, r->lay) ||
        !SCL_ARG(ctx, r->k, 6, r->layf) || !SCL_ARG(ctx, r->k, 7, r->w) ||
        !SCL_ARG(ctx, r->k, 8, run) || !SCL_ARG(ctx, r->k, 9, rate) ||
        !SCL_ARG(ctx, r->k, 10, geom))
        return SCL_ERR_OPENCL;
    return SCL_OK;
}

/* Flags of step t start here (cl/sleep.cl scl_sleep_slot). */
static size_t slot_base(const struct sleep_run *r, int32_t t)
{
    const int32_t slot = r->slots == 2 ? (t & 1) : t;
    return (size_t)slot * (size_t)r->y.slot_units;
}

/* Launches q0 .. q1-1 of the run in one kernel call (cl/sleep.cl scl_sleep_steps). */
static scl_status enqueue_span(scl_ctx *ctx, struct sleep_run *r, int32_t q0, int32_t q1)
{
    const cl_int2 span = {{q0, q1}};
    const size_t global = r->groups * SLEEP_WG;
    const size_t local = SLEEP_WG;
    if (!SCL_ARG(ctx, r->k, 11, span))
        return SCL_ERR_OPENCL;
    return scl_kernel_run(ctx, r->k, 1, &global, &local);
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

/* The whole run: launches q = 0 .. T (L + 1), in chunks of steps when one work-group runs
 * them, else one launch per call. */
static scl_status enqueue_all(scl_ctx *ctx, struct sleep_run *r)
{
    const int32_t per_step = r->y.n_layers + 1;
    const int32_t end = r->p->steps * per_step + 1;
    const int32_t chunk = r->groups == 1 ? SLEEP_CHUNK * per_step : 1;
    scl_status st = SCL_OK;
    for (int32_t q = 0, calls = 1; q < end && st == SCL_OK; q += chunk, calls++) {
        st = enqueue_span(ctx, r, q, end - q < chunk ? end : q + chunk);
        if (st == SCL_OK)
            st = pace_queue(ctx, calls);
    }
    return st;
}

/* ---------------------------------------------------------------- results */

static scl_status read_raster(scl_ctx *ctx, struct sleep_run *r, struct scl_sleep_stats *s)
{
    const struct layout *y = &r->y;
    const size_t bytes = (size_t)r->slots * (size_t)y->slot_units;
    uint8_t *dev = scl_alloc(bytes ? bytes : 1);
    s->raster_units = 0;
    for (int32_t l = 0; l <= y->n_layers; l++)
        s->raster_units += y->n[l];
    s->raster = scl_alloc((size_t)s->raster_units * (size_t)r->p->steps);
    scl_status st = dev && s->raster ? scl_buf_read(ctx, r->flags, 0, bytes, dev) : SCL_ERR_NOMEM;
    for (int32_t t = 0; t < r->p->steps && st == SCL_OK; t++) {
        uint8_t *dst = s->raster + (size_t)t * (size_t)s->raster_units;
        for (int32_t l = 0; l <= y->n_layers; l++) {
            memcpy(dst, dev + slot_base(r, t) + (size_t)y->flags[l], (size_t)y->n[l]);
            dst += y->n[l];
        }
    }
    scl_free(dev);
    return st;
}

static scl_status read_counts(scl_ctx *ctx, struct sleep_run *r, struct scl_sleep_stats *s)
{
    const int32_t T = r->p->steps;
    const int32_t L = r->y.n_layers;
    s->steps = T;
    s->n_layers = L;
    s->spikes = scl_calloc((size_t)T * (size_t)(L + 1), sizeof(*s->spikes));
    if (!s->spikes)
        return SCL_ERR_NOMEM;
    scl_status st =
        scl_buf_read(ctx, r->counts, 0, sizeof(cl_int) * (size_t)T * (size_t)(L + 1), s->spikes);
    for (int32_t l = 0; l <= L && st == SCL_OK; l++) {
        int64_t sum = 0;
        for (int32_t t = 0; t < T; t++)
            sum += s->spikes[(size_t)t * (size_t)(L + 1) + (size_t)l];
        s->rate[l] = (double)sum / ((double)T * (double)r->y.n[l]);
    }
    return st;
}

/* Weights back into m, counting the changes when stats are wanted. A failed map leaves m as
 * it was; after it only the unmap can fail. */
static scl_status read_weights(scl_ctx *ctx, struct sleep_run *r, scl_model *m,
                               struct scl_sleep_stats *s)
{
    float *dev = NULL;
    scl_status st = map_weights(ctx, r, CL_MAP_READ, &dev);
    if (st != SCL_OK)
        return st;
    for (int32_t l = 1; l <= r->y.n_layers; l++)
        unpack_layer(&r->y, l, dev, m->w[l - 1], s ? s->hist[l - 1] : NULL);
    return unmap_weights(ctx, r, dev);
}

static scl_status read_results(scl_ctx *ctx, struct sleep_run *r, scl_model *m,
                               struct scl_sleep_stats *s)
{
    scl_status st = SCL_OK;
    if (s) {
        st = read_counts(ctx, r, s);
        if (st == SCL_OK && s->record_raster)
            st = read_raster(ctx, r, s);
    }
    if (st == SCL_OK)
        st = read_weights(ctx, r, m, s);
    if (st == SCL_ERR_NOMEM)
        scl_ctx_fail(ctx, st, "sleep: no memory for the results");
    return st;
}

/* ---------------------------------------------------------------- entry point */

/* NaN or infinite weights, means or alphas: SCL_ERR_NUMERIC naming the first one. */
static scl_status check_finite(scl_ctx *ctx, const scl_model *m, const float *mean,
                               const float *alpha)
{
    for (int32_t l = 0; l < m->n_layers; l++) {
        const size_t n = (size_t)m->sizes[l] * (size_t)m->sizes[l + 1];
        for (size_t i = 0; i < n; i++)
            if (!isfinite(m->w[l][i]))
                return scl_ctx_fail(ctx, SCL_ERR_NUMERIC, "sleep: layer %d weight [%zu][%zu] is %g",
                                    (int)l + 1, i / (size_t)m->sizes[l], i % (size_t)m->sizes[l],
                                    (double)m->w[l][i]);
        if (!isfinite(alpha[l]))
            return scl_ctx_fail(ctx, SCL_ERR_NUMERIC, "sleep: alpha of layer %d is %g", (int)l + 1,
                                (double)alpha[l]);
    }
    for (int32_t i = 0; i < m->sizes[0]; i++)
        if (!isfinite(mean[i]))
            return scl_ctx_fail(ctx, SCL_ERR_NUMERIC, "sleep: mean input [%d] is %g", (int)i,
                                (double)mean[i]);
    return SCL_OK;
}

/* The kernel addresses weights and flags with int offsets. */
static scl_status check_layout(scl_ctx *ctx, const struct sleep_run *r)
{
    if (r->y.w_floats > INT32_MAX)
        return scl_ctx_fail(ctx, SCL_ERR_ARG,
                            "sleep: the model has %lld weights once padded, more than 2^31 - 1",
                            (long long)r->y.w_floats);
    if ((int64_t)r->slots * r->y.slot_units > INT32_MAX)
        return scl_ctx_fail(ctx, SCL_ERR_ARG,
                            "sleep: a raster of %d steps of %d units is over 2 GB; record fewer "
                            "steps",
                            (int)r->slots, (int)r->y.slot_units);
    return SCL_OK;
}

static scl_status run_setup(scl_ctx *ctx, struct sleep_run *r, const scl_model *m,
                            const float *mean, const float *alpha)
{
    scl_status st = check_layout(ctx, r);
    if (st == SCL_OK)
        st = scl_kernel_get(ctx, "scl_sleep_steps", &r->k);
    if (st == SCL_OK)
        st = upload_weights(ctx, r, m);
    if (st == SCL_OK)
        st = upload_tables(ctx, r, alpha);
    if (st == SCL_OK)
        st = upload_prob(ctx, r, mean);
    if (st == SCL_OK)
        st = create_state(ctx, r);
    if (st == SCL_OK)
        st = set_fixed_args(ctx, r);
    return st;
}

scl_status scl_sleep_run(scl_ctx *ctx, scl_model *m, const struct scl_sleep_params *p,
                         const float *mean_input, const float *alpha, struct scl_sleep_stats *stats)
{
    char msg[256];
    struct sleep_run r;
    scl_status st = scl_sleep_validate(p, m, msg, sizeof(msg));
    if (st != SCL_OK)
        return scl_ctx_fail(ctx, st, "%s", msg);
    st = check_finite(ctx, m, mean_input, alpha);
    if (st != SCL_OK)
        return st;
    if (stats) {
        scl_sleep_stats_free(stats);
        memset(stats->hist, 0, sizeof(stats->hist));
        memset(stats->rate, 0, sizeof(stats->rate));
    }
    memset(&r, 0, sizeof(r));
    layout_init(&r.y, m);
    r.p = p;
    r.groups = pick_groups(ctx, &r.y);
    r.slots = stats && stats->record_raster ? p->steps : 2;
    st = run_setup(ctx, &r, m, mean_input, alpha);
    if (st == SCL_OK)
        st = enqueue_all(ctx, &r);
    if (st == SCL_OK)
        st = read_results(ctx, &r, m, stats);
    if (st != SCL_OK && stats)
        scl_sleep_stats_free(stats);
    SCL_LOG_DEBUG("sleep", "%d steps, %d launches of %zu groups: %s", (int)p->steps,
                  (int)((p->steps) * (m->n_layers + 1) + 1), r.groups, scl_status_str(st));
    run_release(&r);
    return st;
}

/* ---------------------------------------------------------------- batched runs */

/*
 * B independent runs of one layout in one pass (cl/sleep.cl scl_sleep_batch_steps): every
 * buffer of a single run is repeated B times at a fixed stride, one work-group per run, and
 * each kernel call advances every run by SLEEP_CHUNK steps. Runs may differ in every parameter,
 * steps included (a run past its end idles). A run gives the bits scl_sleep_run gives.
 */
struct sleep_batch {
    struct layout y;
    struct scl_sleep_job *jobs;
    int32_t n, t_max, slots;
    cl_kernel k;
    cl_mem w, v, flags, lists, counts, prob, lay, layf, runs, rates, runs_t;
};

static void batch_release(struct sleep_batch *b)
{
    cl_mem *all[] = {&b->w,   &b->v,    &b->flags, &b->lists, &b->counts, &b->prob,
                     &b->lay, &b->layf, &b->runs,  &b->rates, &b->runs_t};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        scl_buf_release(all[i]);
}

/* Every job valid for its model, every model of jobs[0]'s sizes, all inputs finite. */
static scl_status batch_check(scl_ctx *ctx, const struct scl_sleep_job *jobs, int32_t n)
{
    char msg[256];
    const scl_model *m0 = jobs[0].model;
    for (int32_t i = 0; i < n; i++) {
        const scl_model *m = jobs[i].model;
        if (!m || !jobs[i].mean_input || m->n_layers != m0->n_layers ||
            memcmp(m->sizes, m0->sizes, sizeof(int32_t) * (size_t)(m0->n_layers + 1)) != 0)
            return scl_ctx_fail(ctx, SCL_ERR_ARG,
                                "sleep batch: job %d has no model or input, "
                                "or other layer sizes than job 0",
                                (int)i);
        scl_status st = scl_sleep_validate(&jobs[i].params, m, msg, sizeof(msg));
        if (st != SCL_OK)
            return scl_ctx_fail(ctx, st, "sleep batch: job %d: %s", (int)i, msg);
        st = check_finite(ctx, m, jobs[i].mean_input, jobs[i].alpha);
        if (st != SCL_OK)
            return st;
    }
    return SCL_OK;
}

static scl_status batch_upload_weights(scl_ctx *ctx, struct sleep_batch *b)
{
    cl_int err;
    const size_t run_bytes = (size_t)b->y.w_floats * sizeof(float);
    b->w = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR,
                          run_bytes * (size_t)b->n, NULL, &err);
    if (!SCL_CL_OK(ctx, err))
        return SCL_ERR_OPENCL;
    float *dev = clEnqueueMapBuffer(ctx->queue, b->w, CL_TRUE, CL_MAP_WRITE_INVALIDATE_REGION, 0,
                                    run_bytes * (size_t)b->n, 0, NULL, NULL, &err);
    if (!SCL_CL_OK(ctx, err))
        return SCL_ERR_OPENCL;
    for (int32_t i = 0; i < b->n; i++)
        for (int32_t l = 1; l <= b->y.n_layers; l++)
            pack_layer(&b->y, l, b->jobs[i].model->w[l - 1],
                       dev + (size_t)i * (size_t)b->y.w_floats);
    if (!SCL_CL_OK(ctx, clEnqueueUnmapMemObject(ctx->queue, b->w, dev, 0, NULL, NULL)))
        return SCL_ERR_OPENCL;
    return SCL_OK;
}

/* The shared layer table, and per run its (alpha, beta) pairs and input probabilities. */
static scl_status batch_upload_tables(scl_ctx *ctx, struct sleep_batch *b)
{
    struct sleep_run one;
    const int32_t L = b->y.n_layers, n0 = pad_units(b->y.n[0]);
    float *layf = scl_calloc((size_t)b->n * (size_t)(2 * (L + 1)), sizeof(*layf));
    float *prob = scl_calloc((size_t)b->n * (size_t)n0, sizeof(*prob));
    scl_status st = layf && prob ? SCL_OK : SCL_ERR_NOMEM;
    memset(&one, 0, sizeof(one));
    one.y = b->y;
    one.p = &b->jobs[0].params;
    if (st == SCL_OK)
        st = upload_tables(ctx, &one, b->jobs[0].alpha); /* only its layer table is kept */
    b->lay = one.lay;
    scl_buf_release(&one.layf);
    for (int32_t i = 0; i < b->n && st == SCL_OK; i++) {
        const struct scl_sleep_params *p = &b->jobs[i].params;
        const float scale = p->gain * p->dt * p->max_rate;
        for (int32_t l = 1; l <= L; l++) {
            layf[(size_t)i * (size_t)(2 * (L + 1)) + 2 * (size_t)l] = b->jobs[i].alpha[l - 1];
            layf[(size_t)i * (size_t)(2 * (L + 1)) + 2 * (size_t)l + 1] = p->beta[l - 1];
        }
        for (int32_t j = 0; j < b->y.n[0]; j++) { /* upload_prob's expression */
            float q = scale * b->jobs[i].mean_input[j];
            prob[(size_t)i * (size_t)n0 + (size_t)j] = q < 1.0f ? q : 1.0f;
        }
    }
    if (st == SCL_OK)
        st = scl_buf_create(ctx, sizeof(*layf) * (size_t)b->n * (size_t)(2 * (L + 1)), layf,
                            &b->layf);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, sizeof(*prob) * (size_t)b->n * (size_t)n0, prob, &b->prob);
    scl_free(layf);
    scl_free(prob);
    return st;
}

/* Per run: seed and input mode, rates, steps (set_fixed_args's values). */
static scl_status batch_upload_runs(scl_ctx *ctx, struct sleep_batch *b)
{
    cl_uint4 *runs = scl_calloc((size_t)b->n, sizeof(*runs));
    cl_float4 *rates = scl_calloc((size_t)b->n, sizeof(*rates));
    cl_int *steps = scl_calloc((size_t)b->n, sizeof(*steps));
    scl_status st = runs && rates && steps ? SCL_OK : SCL_ERR_NOMEM;
    for (int32_t i = 0; i < b->n && st == SCL_OK; i++) {
        const struct scl_sleep_params *p = &b->jobs[i].params;
        cl_uint4 r = {{p->seed, (cl_uint)SCL_RNG_SPIKES, (cl_uint)SCL_RNG_WINDOW,
                       p->input == SCL_SLEEP_INPUT_WINDOW}};
        cl_float4 f = {
            {p->decay, p->inc, p->dec, p->modulation == SCL_SLEEP_MOD_REF ? 1.0f : 0.0f}};
        runs[i] = r;
        rates[i] = f;
        steps[i] = p->steps;
    }
    if (st == SCL_OK)
        st = scl_buf_create(ctx, sizeof(*runs) * (size_t)b->n, runs, &b->runs);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, sizeof(*rates) * (size_t)b->n, rates, &b->rates);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, sizeof(*steps) * (size_t)b->n, steps, &b->runs_t);
    scl_free(runs);
    scl_free(rates);
    scl_free(steps);
    return st;
}

static scl_status batch_create_state(scl_ctx *ctx, struct sleep_batch *b)
{
    const size_t n = (size_t)b->n;
    const size_t v_bytes = sizeof(float) * (size_t)b->y.v_units * n;
    const size_t flag_bytes = (size_t)b->slots * (size_t)b->y.slot_units * n;
    const size_t count_bytes = sizeof(cl_int) * (size_t)b->t_max * (size_t)(b->y.n_layers + 1) * n;
    scl_status st = scl_buf_create(ctx, v_bytes, NULL, &b->v);
    if (st == SCL_OK)
        st = scl_buf_fill_zero(ctx, b->v, v_bytes);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, flag_bytes, NULL, &b->flags);
    if (st == SCL_OK)
        st = scl_buf_fill_zero(ctx, b->flags, flag_bytes);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, sizeof(cl_uint) * (size_t)b->y.list_cap * n, NULL, &b->lists);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, count_bytes, NULL, &b->counts);
    return st;
}

static scl_status batch_set_args(scl_ctx *ctx, struct sleep_batch *b)
{
    const struct layout *y = &b->y;
    cl_int8 geom = {{y->n_layers, 0, y->slot_units, b->slots != 2, y->list_cap, (cl_int)y->w_floats,
                     y->v_units, pad_units(y->n[0])}};
    cl_int4 batch = {{b->t_max, b->slots, 0, 0}};
    cl_mem bufs[] = {b->flags, b->lists, b->counts, b->v,     b->prob,  b->lay,
                     b->layf,  b->w,     b->runs,   b->rates, b->runs_t};
    for (cl_uint i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        if (!SCL_ARG(ctx, b->k, i, bufs[i]))
            return SCL_ERR_OPENCL;
    if (!SCL_ARG(ctx, b->k, 11, geom) || !SCL_ARG(ctx, b->k, 12, batch))
        return SCL_ERR_OPENCL;
    return SCL_OK;
}

/* Launches 0 .. T_max (L + 1) of every run, SLEEP_CHUNK steps per call. */
static scl_status batch_enqueue(scl_ctx *ctx, struct sleep_batch *b)
{
    const int32_t per_step = b->y.n_layers + 1;
    const int32_t end = b->t_max * per_step + 1;
    const int32_t chunk = SLEEP_CHUNK * per_step;
    const size_t global = (size_t)b->n * SLEEP_WG;
    const size_t local = SLEEP_WG;
    scl_status st = SCL_OK;
    for (int32_t q = 0, calls = 1; q < end && st == SCL_OK; q += chunk, calls++) {
        const cl_int2 span = {{q, end - q < chunk ? end : q + chunk}};
        st = SCL_ARG(ctx, b->k, 13, span) ? SCL_OK : SCL_ERR_OPENCL;
        if (st == SCL_OK)
            st = scl_kernel_run(ctx, b->k, 1, &global, &local);
        if (st == SCL_OK)
            st = pace_queue(ctx, calls);
    }
    return st;
}

/* Job i's counts (and raster) from the whole-batch host copies. */
static scl_status batch_stats(const struct sleep_batch *b, int32_t i, const int32_t *counts,
                              const uint8_t *flags)
{
    struct scl_sleep_stats *s = b->jobs[i].stats;
    const int32_t T = b->jobs[i].params.steps, L = b->y.n_layers;
    const int32_t *c = counts + (size_t)i * (size_t)b->t_max * (size_t)(L + 1);
    s->steps = T;
    s->n_layers = L;
    s->spikes = scl_calloc((size_t)T * (size_t)(L + 1), sizeof(*s->spikes));
    if (!s->spikes)
        return SCL_ERR_NOMEM;
    memcpy(s->spikes, c, sizeof(*c) * (size_t)T * (size_t)(L + 1));
    for (int32_t l = 0; l <= L; l++) {
        int64_t sum = 0;
        for (int32_t t = 0; t < T; t++)
            sum += c[(size_t)t * (size_t)(L + 1) + (size_t)l];
        s->rate[l] = (double)sum / ((double)T * (double)b->y.n[l]);
    }
    if (!s->record_raster || !flags)
        return SCL_OK;
    s->raster_units = 0;
    for (int32_t l = 0; l <= L; l++)
        s->raster_units += b->y.n[l];
    s->raster = scl_alloc((size_t)s->raster_units * (size_t)T);
    if (!s->raster)
        return SCL_ERR_NOMEM;
    const uint8_t *f = flags + (size_t)i * (size_t)b->slots * (size_t)b->y.slot_units;
    for (int32_t t = 0; t < T; t++) {
        uint8_t *dst = s->raster + (size_t)t * (size_t)s->raster_units;
        for (int32_t l = 0; l <= L; l++) {
            memcpy(dst, f + (size_t)t * (size_t)b->y.slot_units + (size_t)b->y.flags[l],
                   (size_t)b->y.n[l]);
            dst += b->y.n[l];
        }
    }
    return SCL_OK;
}

static int batch_wants_stats(const struct sleep_batch *b)
{
    for (int32_t i = 0; i < b->n; i++)
        if (b->jobs[i].stats)
            return 1;
    return 0;
}

static scl_status batch_read_stats(scl_ctx *ctx, struct sleep_batch *b)
{
    const size_t nc = (size_t)b->n * (size_t)b->t_max * (size_t)(b->y.n_layers + 1);
    const size_t nf = (size_t)b->n * (size_t)b->slots * (size_t)b->y.slot_units;
    if (!batch_wants_stats(b))
        return SCL_OK;
    int32_t *counts = scl_calloc(nc, sizeof(*counts));
    uint8_t *flags = b->slots != 2 ? scl_alloc(nf) : NULL;
    scl_status st = counts && (flags || b->slots == 2) ? SCL_OK : SCL_ERR_NOMEM;
    if (st == SCL_OK)
        st = scl_buf_read(ctx, b->counts, 0, nc * sizeof(*counts), counts);
    if (st == SCL_OK && flags)
        st = scl_buf_read(ctx, b->flags, 0, nf, flags);
    for (int32_t i = 0; i < b->n && st == SCL_OK; i++)
        if (b->jobs[i].stats)
            st = batch_stats(b, i, counts, flags);
    scl_free(counts);
    scl_free(flags);
    return st;
}

static scl_status batch_read_weights(scl_ctx *ctx, struct sleep_batch *b)
{
    cl_int err;
    const size_t bytes = (size_t)b->y.w_floats * sizeof(float) * (size_t)b->n;
    float *dev =
        clEnqueueMapBuffer(ctx->queue, b->w, CL_TRUE, CL_MAP_READ, 0, bytes, 0, NULL, NULL, &err);
    if (!SCL_CL_OK(ctx, err))
        return SCL_ERR_OPENCL;
    for (int32_t i = 0; i < b->n; i++) {
        struct scl_sleep_stats *s = b->jobs[i].stats;
        for (int32_t l = 1; l <= b->y.n_layers; l++)
            unpack_layer(&b->y, l, dev + (size_t)i * (size_t)b->y.w_floats,
                         b->jobs[i].model->w[l - 1], s ? s->hist[l - 1] : NULL);
    }
    if (!SCL_CL_OK(ctx, clEnqueueUnmapMemObject(ctx->queue, b->w, dev, 0, NULL, NULL)))
        return SCL_ERR_OPENCL;
    return SCL_OK;
}

/* Steps of the longest run, flag slots per run, stats reset; SCL_ERR_ARG past int offsets. */
static scl_status batch_init(scl_ctx *ctx, struct sleep_batch *b)
{
    int raster = 0;
    layout_init(&b->y, b->jobs[0].model);
    for (int32_t i = 0; i < b->n; i++) {
        struct scl_sleep_stats *s = b->jobs[i].stats;
        b->t_max = b->jobs[i].params.steps > b->t_max ? b->jobs[i].params.steps : b->t_max;
        raster |= s && s->record_raster;
        if (!s)
            continue;
        scl_sleep_stats_free(s);
        memset(s->hist, 0, sizeof(s->hist));
        memset(s->rate, 0, sizeof(s->rate));
    }
    b->slots = raster ? b->t_max : 2;
    if (b->y.w_floats > INT32_MAX || (int64_t)b->slots * b->y.slot_units > INT32_MAX)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "sleep batch: a run is past 2^31 weights or flags");
    return SCL_OK;
}

scl_status scl_sleep_run_batch(scl_ctx *ctx, struct scl_sleep_job *jobs, int32_t n)
{
    struct sleep_batch b;
    if (!jobs || n < 1)
        return scl_ctx_fail(ctx, SCL_ERR_ARG, "sleep batch: no jobs");
    scl_status st = batch_check(ctx, jobs, n);
    if (st != SCL_OK)
        return st;
    memset(&b, 0, sizeof(b));
    b.jobs = jobs;
    b.n = n;
    st = batch_init(ctx, &b);
    if (st == SCL_OK)
        st = scl_kernel_get(ctx, "scl_sleep_batch_steps", &b.k);
    if (st == SCL_OK)
        st = batch_upload_weights(ctx, &b);
    if (st == SCL_OK)
        st = batch_upload_tables(ctx, &b);
    if (st == SCL_OK)
        st = batch_upload_runs(ctx, &b);
    if (st == SCL_OK)
        st = batch_create_state(ctx, &b);
    if (st == SCL_OK)
        st = batch_set_args(ctx, &b);
    if (st == SCL_OK)
        st = batch_enqueue(ctx, &b);
    if (st == SCL_OK)
        st = batch_read_stats(ctx, &b);
    if (st == SCL_OK)
        st = batch_read_weights(ctx, &b);
    for (int32_t i = 0; i < n && st != SCL_OK; i++)
        scl_sleep_stats_free(jobs[i].stats);
    if (st == SCL_ERR_NOMEM)
        scl_ctx_fail(ctx, st, "sleep batch: no memory for %d runs", (int)n);
    SCL_LOG_DEBUG("sleep", "batch of %d runs, up to %d steps: %s", (int)n, (int)b.t_max,
                  scl_status_str(st));
    batch_release(&b);
    return st;
}
