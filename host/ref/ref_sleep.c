/*
 * Plain C reference of the sleep phase (docs/METHOD.md sections 3-4), the twin of cl/sleep.cl.
 *
 * Spikes are sparse, so every step works from lists of the units that spiked: the input current
 * of a layer is a sum over the columns of the spiking pre units, and the Hebbian update touches
 * only the rows of the spiking post units. The reference keeps every W_l row-major; the fast
 * variant (the benchmark's baseline) stores W_1 transposed, because input spikes are dense
 * (5-20 % of pixels) and hidden spikes are rare (< 1 %): a transposed W_1 turns the 1200-row
 * gather into a few contiguous rows. Both give the same bits.
 *
 * Invariants that make the device agree bit for bit:
 *   - a sum over spiking pre units starts at 0.0f and runs in ascending pre index;
 *   - every float operation is one IEEE operation: GCC in ISO C mode (-std=c11) does not
 *     contract a * b + c into an fma, x86-64 has no excess precision, and cl/sleep.cl sets
 *     FP_CONTRACT OFF and uses the same formulas in the same order;
 *   - f = ref uses only +, -, * and exact power-of-two scaling (no libm exp, no division), so
 *     it gives the same bits on any device whose +, -, * are IEEE (all conformant ones).
 */
/* Floating-point operations never trap here, and saying so lets GCC vectorize the loops
 * whose float results are selected (under the default -ftrapping-math it will not compute
 * both sides of a ?:); it changes no value. Contraction into fma is off whatever the build's
 * -std (ISO C already implies it; GNU C with -march=native would contract and lose the bits). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "fp-contract=off")
#elif defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#include <math.h>
#include <string.h>

#include "internal.h"
#include "ref.h"
#include "scl_contract.h" /* the constants cl/sleep.cl uses too */

#define GRID    SCL_SLEEP_GRID    /* window mode: the input is a GRID x GRID image */
#define WIN     SCL_SLEEP_WIN     /* window side */
#define CORNERS SCL_SLEEP_CORNERS /* top-left corner uniform in 0..CORNERS-1 */
#define EXP_CUT SCL_SLEEP_EXP_CUT
#define LOG2E   SCL_SLEEP_LOG2E
#define LN2_HI  SCL_SLEEP_LN2_HI /* ln 2 = LN2_HI + LN2_LO; k * LN2_HI is exact for k < 2^15 */
#define LN2_LO  SCL_SLEEP_LN2_LO
/* f(w) = 2 / (1 + exp(w * W_SCALE)), docs/METHOD.md section 4 */
#define W_SCALE SCL_SLEEP_W_SCALE

/* exp(-a) for 0 <= a <= EXP_CUT: Cody-Waite reduction a = k ln2 - r and Cephes' expf
 * polynomial on |r| <= ln2/2, then an exact scaling by 2^-k. Results stay normal (>= 1.8e-35),
 * so a device that flushes denormals agrees as well. About 1 ulp from the true value. */
static inline float exp_neg(float a)
{
    int32_t k = (int32_t)(a * LOG2E + 0.5f);
    float kf = (float)k;
    float r = (kf * LN2_HI - a) + kf * LN2_LO;
    float q = SCL_SLEEP_EXP_P0;
    q = q * r + SCL_SLEEP_EXP_P1;
    q = q * r + SCL_SLEEP_EXP_P2;
    q = q * r + SCL_SLEEP_EXP_P3;
    q = q * r + SCL_SLEEP_EXP_P4;
    q = q * r + SCL_SLEEP_EXP_P5;
    float e = q * (r * r) + r + 1.0f;
    uint32_t bits = (uint32_t)(127 - k) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof(scale));
    return e * scale;
}

/* 1/d for 1 <= d <= 2: a linear first guess (relative error <= 1/17) and three Newton steps
 * (1/17 -> 3.5e-3 -> 1.2e-5 -> 1.5e-10), so within an ulp or two and without a division, whose
 * rounding OpenCL leaves to the device. */
static inline float recip_1_2(float d)
{
    float r = SCL_SLEEP_RECIP_A - SCL_SLEEP_RECIP_B * d;
    r = r + r * (1.0f - d * r);
    r = r + r * (1.0f - d * r);
    r = r + r * (1.0f - d * r);
    return r;
}

/* f(w) = 2 / (1 + exp(w / 0.001)) without overflow: with e = exp(-|x|) <= 1, f = 2 / (1 + e)
 * for w <= 0 and 2e / (1 + e) for w > 0. Past |x| = EXP_CUT, e is taken as 0: then f is 2 to
 * float precision for w < 0, and for w > 0.08 the true step inc * f < 1e-34 is far below half
 * an ulp of w, so the weight comes out the same. */
static inline float mod_ref(float w)
{
    float a = fabsf(w) * W_SCALE;
    float e = exp_neg(a < EXP_CUT ? a : EXP_CUT);
    e = a < EXP_CUT ? e : 0.0f;
    float num = w > 0.0f ? 2.0f * e : 2.0f;
    return num * recip_1_2(1.0f + e);
}

float scl_ref_sleep_f(float w, int modulation)
{
    return modulation == SCL_SLEEP_MOD_CONST ? 1.0f : mod_ref(w);
}

void scl_ref_sleep_window(uint32_t seed, uint32_t t, int32_t *r0, int32_t *c0)
{
    uint32_t words[4];
    scl_rng_words(seed, SCL_RNG_WINDOW, 0, t, 0, words);
    /* floor(word * CORNERS / 2^32): uniform up to 2^-32, and the device's mul_hi */
    *r0 = (int32_t)(((uint64_t)words[0] * CORNERS) >> 32);
    *c0 = (int32_t)(((uint64_t)words[1] * CORNERS) >> 32);
}

/* ---- the network state of one run */

struct ref_net {
    int32_t n_layers;
    int32_t n[SCL_MAX_LAYERS + 1];
    float *w[SCL_MAX_LAYERS + 1]; /* w[l] = W_l, l >= 1: [n_l][n_{l-1}], or transposed */
    int transposed[SCL_MAX_LAYERS + 1];
    float *v[SCL_MAX_LAYERS + 1];      /* membrane potentials, l >= 1 */
    uint8_t *s[SCL_MAX_LAYERS + 1];    /* spikes of this step, 0/1 */
    int32_t *list[SCL_MAX_LAYERS + 1]; /* indices of the spiking units, ascending */
    int32_t count[SCL_MAX_LAYERS + 1];
    float *cur;  /* input current of one layer, [max n] */
    float *prob; /* spike probability of each pixel per step, [n_0] */
    void *arena;
};

static size_t net_bytes(const scl_model *m)
{
    size_t b = 0;
    for (int32_t l = 0; l <= m->n_layers; l++)
        b += (size_t)m->sizes[l] * (2 * sizeof(float) + sizeof(int32_t) + 1);
    return b + 64;
}

static scl_status net_init(struct ref_net *net, scl_model *m)
{
    memset(net, 0, sizeof(*net));
    net->arena = scl_calloc(1, net_bytes(m) + 4 * sizeof(float) * (size_t)m->sizes[0]);
    if (!net->arena)
        return SCL_ERR_NOMEM;
    float *fp = net->arena;
    int32_t max_n = 0;
    net->n_layers = m->n_layers;
    for (int32_t l = 0; l <= m->n_layers; l++) {
        net->n[l] = m->sizes[l];
        max_n = net->n[l] > max_n ? net->n[l] : max_n;
        net->w[l] = l ? m->w[l - 1] : NULL;
        net->v[l] = fp;
        fp += net->n[l];
    }
    net->cur = fp;
    fp += max_n;
    net->prob = fp;
    fp += net->n[0];
    int32_t *ip = (int32_t *)fp;
    for (int32_t l = 0; l <= m->n_layers; l++) {
        net->list[l] = ip;
        ip += net->n[l];
    }
    uint8_t *bp = (uint8_t *)ip;
    for (int32_t l = 0; l <= m->n_layers; l++) {
        net->s[l] = bp;
        bp += net->n[l];
    }
    return SCL_OK;
}

/* Rewrite W_l in place between [n_l][n_{l-1}] and [n_{l-1}][n_l] (fast variant only). */
static scl_status transpose_layer(struct ref_net *net, int32_t l, int to_transposed)
{
    int32_t rows = to_transposed ? net->n[l] : net->n[l - 1];
    int32_t cols = to_transposed ? net->n[l - 1] : net->n[l];
    size_t bytes = sizeof(float) * (size_t)rows * (size_t)cols;
    float *tmp = scl_calloc(1, bytes);
    if (!tmp)
        return SCL_ERR_NOMEM;
    memcpy(tmp, net->w[l], bytes);
    for (int32_t r = 0; r < rows; r++)
        for (int32_t c = 0; c < cols; c++)
            net->w[l][(size_t)c * (size_t)rows + (size_t)r] =
                tmp[(size_t)r * (size_t)cols + (size_t)c];
    scl_free(tmp);
    net->transposed[l] = to_transposed;
    return SCL_OK;
}

/* ---- one step */

static void make_list(struct ref_net *net, int32_t l)
{
    int32_t c = 0;
    for (int32_t i = 0; i < net->n[l]; i++)
        if (net->s[l][i])
            net->list[l][c++] = i;
    net->count[l] = c;
}

/* Input spikes of step t: s_0[i] = (u < p_i), u from the pixel's own Philox word 0, only for
 * pixels inside the window in window mode. Pixels with p_i = 0 cannot spike: no draw. */
static void input_spikes(struct ref_net *net, const struct scl_sleep_params *p, uint32_t t)
{
    const int window = p->input == SCL_SLEEP_INPUT_WINDOW;
    int32_t r0 = 0;
    int32_t c0 = 0;
    if (window)
        scl_ref_sleep_window(p->seed, t, &r0, &c0);
    for (int32_t i = 0; i < net->n[0]; i++) {
        const int32_t r = i / GRID - r0;
        const int32_t c = i % GRID - c0;
        uint8_t s = 0;
        if (net->prob[i] > 0.0f && (!window || (r >= 0 && r < WIN && c >= 0 && c < WIN))) {
            uint32_t words[4];
            scl_rng_words(p->seed, SCL_RNG_SPIKES, (uint32_t)i, t, 0, words);
            s = scl_rng_u01(words[0]) < net->prob[i];
        }
        net->s[0][i] = s;
    }
    make_list(net, 0);
}

/* cur[i] = sum over the k_n listed pre units j, ascending, of W[i][j], W row-major [nq][np]. */
static void current_rows(const float *w, int32_t np, int32_t nq, const int32_t *list, int32_t k_n,
                         float *cur)
{
    for (int32_t i = 0; i < nq; i++) {
        const float *row = w + (size_t)i * (size_t)np;
        float acc = 0.0f;
        for (int32_t k = 0; k < k_n; k++)
            acc += row[list[k]];
        cur[i] = acc;
    }
}

/* The same for a transposed W [np][nq]: k outer, i inner, so each i still adds its terms in
 * ascending j, and the inner loop reads one contiguous row. */
static void current_cols(const float *wt, int32_t nq, const int32_t *list, int32_t k_n, float *cur)
{
    for (int32_t i = 0; i < nq; i++)
        cur[i] = 0.0f;
    for (int32_t k = 0; k < k_n; k++) {
        const float *col = wt + (size_t)list[k] * (size_t)nq;
        for (int32_t i = 0; i < nq; i++)
            cur[i] += col[i];
    }
}

static void integrate(struct ref_net *net, int32_t l)
{
    if (net->transposed[l])
        current_cols(net->w[l], net->n[l], net->list[l - 1], net->count[l - 1], net->cur);
    else
        current_rows(net->w[l], net->n[l - 1], net->n[l], net->list[l - 1], net->count[l - 1],
                     net->cur);
}

/* v = decay v + alpha cur; spike where v >= beta (the reset comes after the update). */
static void fire(struct ref_net *net, int32_t l, float decay, float alpha, float beta)
{
    float *v = net->v[l];
    for (int32_t i = 0; i < net->n[l]; i++) {
        v[i] = decay * v[i] + alpha * net->cur[i];
        net->s[l][i] = v[i] >= beta;
    }
    make_list(net, l);
}

/* The Hebbian update of the n weights w[0..n) of one post unit against the pre spikes. */
static void hebb_row(float *w, const uint8_t *pre, int32_t n, const struct scl_sleep_params *p)
{
    const float inc = p->inc;
    const float dec = p->dec;
    if (p->modulation == SCL_SLEEP_MOD_CONST) {
        for (int32_t j = 0; j < n; j++)
            w[j] = pre[j] ? w[j] + inc : w[j] - dec;
        return;
    }
    for (int32_t j = 0; j < n; j++) {
        float f = mod_ref(w[j]);
        w[j] = pre[j] ? w[j] + inc * f : w[j] - dec * f;
    }
}

/* The same for a transposed W: the weights of one post unit are w[0], w[stride], ... */
static void hebb_col(float *w, size_t stride, const uint8_t *pre, int32_t n,
                     const struct scl_sleep_params *p)
{
    const float inc = p->inc;
    const float dec = p->dec;
    const int ref = p->modulation == SCL_SLEEP_MOD_REF;
    for (int32_t j = 0; j < n; j++) {
        float x = w[(size_t)j * stride];
        float f = ref ? mod_ref(x) : 1.0f;
        w[(size_t)j * stride] = pre[j] ? x + inc * f : x - dec * f;
    }
}

/* STDP on the rows of the spiking units of layer l, then their reset. */
static void stdp_reset(struct ref_net *net, int32_t l, const struct scl_sleep_params *p)
{
    const int32_t np = net->n[l - 1];
    const int32_t nq = net->n[l];
    for (int32_t k = 0; k < net->count[l]; k++) {
        int32_t i = net->list[l][k];
        if (net->transposed[l])
            hebb_col(net->w[l] + i, (size_t)nq, net->s[l - 1], np, p);
        else
            hebb_row(net->w[l] + (size_t)i * (size_t)np, net->s[l - 1], np, p);
        net->v[l][i] = 0.0f;
    }
}

static void record(const struct ref_net *net, uint32_t t, const struct scl_ref_sleep_out *out)
{
    const int32_t stride = net->n_layers + 1;
    if (out->spikes)
        for (int32_t l = 0; l <= net->n_layers; l++)
            out->spikes[(size_t)t * (size_t)stride + (size_t)l] = net->count[l];
    if (!out->raster)
        return;
    uint8_t *r = out->raster + (size_t)t * (size_t)out->raster_units;
    for (int32_t l = 0; l <= net->n_layers; l++) {
        memcpy(r, net->s[l], (size_t)net->n[l]);
        r += net->n[l];
    }
}

static void run_steps(struct ref_net *net, const struct scl_sleep_params *p, const float *alpha,
                      const struct scl_ref_sleep_out *out)
{
    for (uint32_t t = 0; t < (uint32_t)p->steps; t++) {
        input_spikes(net, p, t);
        for (int32_t l = 1; l <= net->n_layers; l++) {
            integrate(net, l);
            fire(net, l, p->decay, alpha[l - 1], p->beta[l - 1]);
            stdp_reset(net, l, p);
        }
        record(net, t, out);
    }
}

static scl_status sleep_run(scl_model *m, const struct scl_sleep_params *p, const float *mean,
                            const float *alpha, const struct scl_ref_sleep_out *out, int fast)
{
    struct ref_net net;
    scl_status st = net_init(&net, m);
    if (st != SCL_OK)
        return st;
    const float scale = p->gain * p->dt * p->max_rate;
    for (int32_t i = 0; i < net.n[0]; i++) {
        float q = scale * mean[i];
        net.prob[i] = q < 1.0f ? q : 1.0f;
    }
    if (fast)
        st = transpose_layer(&net, 1, 1);
    if (st == SCL_OK)
        run_steps(&net, p, alpha, out);
    if (fast && net.transposed[1] && transpose_layer(&net, 1, 0) != SCL_OK)
        st = SCL_ERR_NOMEM;
    scl_free(net.arena);
    return st;
}

scl_status scl_ref_sleep_run(scl_model *m, const struct scl_sleep_params *p, const float *mean,
                             const float *alpha, const struct scl_ref_sleep_out *out)
{
    return sleep_run(m, p, mean, alpha, out, 0);
}

scl_status scl_ref_sleep_run_fast(scl_model *m, const struct scl_sleep_params *p, const float *mean,
                                  const float *alpha, const struct scl_ref_sleep_out *out)
{
    return sleep_run(m, p, mean, alpha, out, 1);
}

/* out = relu(W in) for one layer W [n_out][n_in], in double; returns max(0, max out). */
static double relu_layer(const float *w, int32_t n_in, int32_t n_out, const double *in, double *out)
{
    double mx = 0.0;
    for (int32_t i = 0; i < n_out; i++) {
        const float *row = w + (size_t)i * (size_t)n_in;
        double acc = 0.0;
        for (int32_t j = 0; j < n_in; j++)
            acc += (double)row[j] * in[j];
        out[i] = acc > 0.0 ? acc : 0.0;
        mx = out[i] > mx ? out[i] : mx;
    }
    return mx;
}

/* Raise act_max[l] to the activations of one input x through every layer; buf holds two
 * vectors of the widest layer. */
static void forward_max(const scl_model *m, const float *x, double *buf, int32_t max_n,
                        float *act_max)
{
    double *in = buf;
    double *out = buf + max_n;
    for (int32_t i = 0; i < m->sizes[0]; i++)
        in[i] = x[i];
    for (int32_t l = 0; l < m->n_layers; l++) {
        float mx = (float)relu_layer(m->w[l], m->sizes[l], m->sizes[l + 1], in, out);
        act_max[l] = mx > act_max[l] ? mx : act_max[l];
        double *tmp = in;
        in = out;
        out = tmp;
    }
}

void scl_ref_sleep_act_max(const scl_model *m, const float *x, int32_t n, float *act_max)
{
    int32_t max_n = 0;
    for (int32_t l = 0; l <= m->n_layers; l++)
        max_n = m->sizes[l] > max_n ? m->sizes[l] : max_n;
    for (int32_t l = 0; l < m->n_layers; l++)
        act_max[l] = 0.0f;
    double *buf = scl_calloc(2 * (size_t)max_n, sizeof(*buf));
    if (!buf)
        return;
    for (int32_t s = 0; s < n; s++)
        forward_max(m, x + (size_t)s * (size_t)m->sizes[0], buf, max_n, act_max);
    scl_free(buf);
}
