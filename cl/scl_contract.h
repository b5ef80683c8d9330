/*
 * The host/device contract: every constant and record layout that host/ C files and cl/ kernel
 * files share, written once. Host files include it; the build puts it into the one OpenCL
 * program right after rng.cl, before the kernel files that use it (CMakeLists.txt SCL_CL_FILES,
 * tools/embed_cl.cmake), and SCL_KERNEL_DIR reads it from that directory like the .cl files.
 *
 * It parses as C11, C++17 (the tests) and OpenCL C 1.2. Shared records hold 32-bit scalars
 * only (no vector types, no pointers, no size_t), so they lay out the same on both sides.
 * Values that mirror a public enum are checked against it at compile time
 * (host/device/contract.c). What the device compiled is checked at run time: cl/contract.cl
 * reports every value of SCL_CONTRACT_INTS and SCL_CONTRACT_FLOATS, and scl_contract_check
 * compares them with the host's (tests/device/test_sleep.cpp on every test device, and every
 * context built from SCL_KERNEL_DIR).
 */
#ifndef SLEEPCL_SCL_CONTRACT_H
#define SLEEPCL_SCL_CONTRACT_H

#ifdef __OPENCL_VERSION__
typedef int scl_k_int;
typedef uint scl_k_uint;
typedef float scl_k_float;
#define SCL_K_OFFSETOF(type, field) __builtin_offsetof(type, field)
#else
#include <stddef.h>
#include <stdint.h>
typedef int32_t scl_k_int;
typedef uint32_t scl_k_uint;
typedef float scl_k_float;
#define SCL_K_OFFSETOF(type, field) offsetof(type, field)
#endif

/* ---------------------------------------------------------------- mirrors of public enums */

/* enum scl_rng_purpose: the purposes the kernels draw with. */
#define SCL_K_RNG_DROPOUT 3
#define SCL_K_RNG_SPIKES  4
#define SCL_K_RNG_WINDOW  5
#define SCL_K_RNG_LATENT  8
/* enum scl_output and enum scl_loss, as scl_loss_grad and scl_predict take them. */
#define SCL_K_OUT_SOFTMAX 0
#define SCL_K_OUT_SIGMOID 1
#define SCL_K_OUT_RELU    2
#define SCL_K_LOSS_BCE    0
#define SCL_K_LOSS_CE     1
#define SCL_K_LOSS_MSE    2
/* SCL_MAX_LAYERS: the sleep records below hold that many layers. */
#define SCL_K_MAX_LAYERS 8

/* ---------------------------------------------------------------- wake (train.cl, gemm.cl) */

/* scl_loss_grad keeps a row of outputs in private arrays of this size (SCL_MAX_CLASSES: CUB-200
 * and CIFAR-100 heads; the loops run to the row length only); train.c refuses more. */
#define SCL_K_MAX_OUTPUTS 256
/* scl_gemm_tile<W>_<MR>: rows of D per work-item for vector width W (the tile is MR x 2W); gemm.c
 * sizes the launch by them. 2 MR accumulators, the two vectors of Q and a broadcast: 15 of
 * AVX2's 16 registers at MR = 6, 19 of AVX-512's 32 at MR = 8 (at 12 PoCL spills and the
 * kernel runs at half speed). SCL_GEMM_MR16_SHORT: the AVX-512 tile's row count for products
 * with few rows, such as the output layer's 10 x 1200 weight gradient, where 8-row tiles would
 * compute 16 rows and 6-row tiles 12. Each value must have its row list, SCL_GEMM_ROWS<MR>, in
 * gemm.cl. */
#define SCL_GEMM_MR8        6
#define SCL_GEMM_MR16       8
#define SCL_GEMM_MR16_SHORT 6
/* scl_gemm_dot<W>_<R>, for A B^T with n <= SCL_GEMM_DOT_MAX_N: a work-item's R rows of A against
 * SCL_GEMM_DOT_COLS rows of B, R x COLS accumulators (8 + 3 of AVX2's 16 registers at R = 2, 16
 * + 5 of AVX-512's 32 at R = 4). Its row and column lists are in gemm.cl. */
#define SCL_GEMM_DOT_MAX_N 16
#define SCL_GEMM_DOT_COLS  4
#define SCL_GEMM_DOT_R8    2
#define SCL_GEMM_DOT_R16   4
/* scl_gemm_transpose: edge of the square block one work-item moves. */
#define SCL_GEMM_BLOCK 8

/* ---------------------------------------------------------------- the VAE (vae.cl) */

/* Activation codes of scl_bias_act. */
#define SCL_VAE_ACT_NONE    0
#define SCL_VAE_ACT_RELU    1
#define SCL_VAE_ACT_SIGMOID 2
/* 2 pi in float, for the Box-Muller normals of scl_normal_fill and its reference. */
#define SCL_VAE_TWO_PI 6.28318531f

/* ---------------------------------------------------------------- sleep (sleep.cl) */

/* Units per work-item block; layers are padded to it. The kernels' vector types (float16) are
 * this width, so it is 16 for good. */
#define SCL_SLEEP_VEC 16
/* Work-group size of scl_sleep_steps (reqd_work_group_size). */
#define SCL_SLEEP_WG 64
/* Window input: a SCL_SLEEP_WIN square of a SCL_SLEEP_GRID square image, its top-left corner
 * uniform in 0..SCL_SLEEP_CORNERS-1 along each axis. */
#define SCL_SLEEP_GRID    28
#define SCL_SLEEP_WIN     11
#define SCL_SLEEP_CORNERS (SCL_SLEEP_GRID - SCL_SLEEP_WIN + 1)

/* f(w) = 2 / (1 + exp(w * SCL_SLEEP_W_SCALE)) (the specification's w / 0.001), evaluated as
 * exp(-a) for a = |w| SCL_SLEEP_W_SCALE up to SCL_SLEEP_EXP_CUT: a Cody-Waite reduction by
 * ln 2 = LN2_HI + LN2_LO and Cephes' expf polynomial EXP_P0..P5, then 1 / (1 + e) by Newton
 * steps from RECIP_A - RECIP_B d. Host (ref_sleep.c) and device (sleep.c) use these. */
#define SCL_SLEEP_W_SCALE 1000.0f
#define SCL_SLEEP_EXP_CUT 80.0f
#define SCL_SLEEP_LOG2E   1.44269504f
#define SCL_SLEEP_LN2_HI  0.693359375f /* k * LN2_HI is exact for k < 2^15 */
#define SCL_SLEEP_LN2_LO  (-2.12194440e-4f)
#define SCL_SLEEP_EXP_P0  1.9875691500e-4f
#define SCL_SLEEP_EXP_P1  1.3981999507e-3f
#define SCL_SLEEP_EXP_P2  8.3334519073e-3f
#define SCL_SLEEP_EXP_P3  4.1665795894e-2f
#define SCL_SLEEP_EXP_P4  1.6666665459e-1f
#define SCL_SLEEP_EXP_P5  5.0000001201e-1f
#define SCL_SLEEP_RECIP_A 1.41176471f
#define SCL_SLEEP_RECIP_B 0.470588235f

/* One layer of the device layout (host/sleep/sleep.c layout_init), plan.lay[l] for l = 0..L. */
struct scl_sleep_dev_layer {
    scl_k_int n;     /* units */
    scl_k_int flags; /* offset of the layer's flags in a step slot */
    scl_k_int v;     /* offset of its potentials in a run's v (layers 1..L) */
    scl_k_int trans; /* 1: W_l stored transposed, [n_{l-1}][ld]; 0: row-major [n_l][ld] */
    scl_k_int ld;    /* padded row length of W_l as stored */
    scl_k_int w;     /* offset of W_l in a run's weights, floats */
};

/* The shape of one pass of scl_sleep_steps, shared by its runs: every per-run buffer holds
 * run_* elements per run at a fixed stride, the spike lists list_cap entries per work-group. */
struct scl_sleep_dev_plan {
    scl_k_int n_layers;   /* L */
    scl_k_int groups;     /* work-groups per run: 1 runs many steps per call; more, one launch */
    scl_k_int raster;     /* 1: one flag slot per step; 0: two (this step and the last) */
    scl_k_int slot_units; /* flags of one step: every layer padded to SCL_SLEEP_VEC */
    scl_k_int run_flags;  /* bytes of flags per run: slots x slot_units */
    scl_k_int run_counts; /* spike counts per run: T_max (L + 1) */
    scl_k_int run_v;      /* potentials per run */
    scl_k_int run_prob;   /* input probabilities per run: n_0 padded */
    scl_k_int run_w;      /* weights per run, floats */
    scl_k_int list_cap;   /* spike-list entries per work-group: the widest padded layer */
    struct scl_sleep_dev_layer lay[SCL_K_MAX_LAYERS + 1];
};

/* What one run has of its own: runs[b]. */
struct scl_sleep_dev_run {
    scl_k_uint seed;   /* the generator's seed for input spikes and window corners */
    scl_k_int window;  /* 1: input inside a random window (SCL_SLEEP_INPUT_WINDOW) */
    scl_k_int steps;   /* T of this run; a run past its end idles */
    scl_k_int mod_ref; /* 1: f = ref; 0: f = 1 */
    scl_k_float decay, inc, dec;
    scl_k_float alpha[SCL_K_MAX_LAYERS]; /* input scale of layer l at [l - 1] */
    scl_k_float beta[SCL_K_MAX_LAYERS];  /* threshold of layer l at [l - 1] */
};

/* --------------------------------------------------------------------------- training */

/* Elements of scl_relu_dropout per work-item (eight generator counters of four words; the kernel
 * is written for this value): host/wake/net.c sizes the launch by it. */
#define SCL_K_DROPOUT_ITEM 32

/* ---------------------------------------------------------- the machine's peaks (bench.cl) */

/* Vector accumulators per work-item of scl_bench_fma<W> (the kernels name them, so changing this
 * means changing them): W * SCL_BENCH_ACCUMULATORS chains, 2 * that * rounds flops per
 * work-item. */
#define SCL_BENCH_ACCUMULATORS 12

/* ---------------------------------------------------------------- what the check compares */

#define SCL_CONTRACT_INTS(X)                                 \
    X(SCL_BENCH_ACCUMULATORS)                                \
    X(SCL_K_RNG_DROPOUT)                                     \
    X(SCL_K_DROPOUT_ITEM)                                    \
    X(SCL_K_RNG_SPIKES)                                      \
    X(SCL_K_RNG_WINDOW)                                      \
    X(SCL_K_RNG_LATENT)                                      \
    X(SCL_VAE_ACT_NONE)                                      \
    X(SCL_VAE_ACT_RELU)                                      \
    X(SCL_VAE_ACT_SIGMOID)                                   \
    X(SCL_K_OUT_SOFTMAX)                                     \
    X(SCL_K_OUT_SIGMOID)                                     \
    X(SCL_K_OUT_RELU)                                        \
    X(SCL_K_LOSS_BCE)                                        \
    X(SCL_K_LOSS_CE)                                         \
    X(SCL_K_LOSS_MSE)                                        \
    X(SCL_K_MAX_LAYERS)                                      \
    X(SCL_K_MAX_OUTPUTS)                                     \
    X(SCL_GEMM_MR8)                                          \
    X(SCL_GEMM_MR16)                                         \
    X(SCL_GEMM_MR16_SHORT)                                   \
    X(SCL_GEMM_DOT_MAX_N)                                    \
    X(SCL_GEMM_DOT_COLS)                                     \
    X(SCL_GEMM_DOT_R8)                                       \
    X(SCL_GEMM_DOT_R16)                                      \
    X(SCL_GEMM_BLOCK)                                        \
    X(SCL_SLEEP_VEC)                                         \
    X(SCL_SLEEP_WG)                                          \
    X(SCL_SLEEP_GRID)                                        \
    X(SCL_SLEEP_WIN)                                         \
    X(SCL_SLEEP_CORNERS)                                     \
    X(sizeof(struct scl_sleep_dev_layer))                    \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_layer, flags))     \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_layer, v))         \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_layer, trans))     \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_layer, ld))        \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_layer, w))         \
    X(sizeof(struct scl_sleep_dev_plan))                     \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_plan, groups))     \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_plan, raster))     \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_plan, slot_units)) \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_plan, run_flags))  \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_plan, run_counts)) \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_plan, run_v))      \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_plan, run_prob))   \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_plan, run_w))      \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_plan, list_cap))   \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_plan, lay))        \
    X(sizeof(struct scl_sleep_dev_run))                      \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_run, window))      \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_run, steps))       \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_run, mod_ref))     \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_run, decay))       \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_run, inc))         \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_run, dec))         \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_run, alpha))       \
    X(SCL_K_OFFSETOF(struct scl_sleep_dev_run, beta))

/* Compared by their bits: the same literal must give the same float on both sides. */
#define SCL_CONTRACT_FLOATS(X) \
    X(SCL_VAE_TWO_PI)          \
    X(SCL_SLEEP_W_SCALE)       \
    X(SCL_SLEEP_EXP_CUT)       \
    X(SCL_SLEEP_LOG2E)         \
    X(SCL_SLEEP_LN2_HI)        \
    X(SCL_SLEEP_LN2_LO)        \
    X(SCL_SLEEP_EXP_P0)        \
    X(SCL_SLEEP_EXP_P1)        \
    X(SCL_SLEEP_EXP_P2)        \
    X(SCL_SLEEP_EXP_P3)        \
    X(SCL_SLEEP_EXP_P4)        \
    X(SCL_SLEEP_EXP_P5)        \
    X(SCL_SLEEP_RECIP_A)       \
    X(SCL_SLEEP_RECIP_B)

#endif /* SLEEPCL_SCL_CONTRACT_H */
