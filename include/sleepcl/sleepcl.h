/*
 * sleepcl: Sleep Replay Consolidation for fully connected ReLU networks on OpenCL.
 *
 * This header is the whole public contract of libsleepcl. Everything not declared here is
 * private. Conventions:
 *   - every fallible function returns an scl_status; SCL_OK is 0;
 *   - objects come in _create/_destroy pairs, and destroying NULL does nothing;
 *   - whoever creates an object destroys it; borrowed strings stay valid until the next call
 *     on the same handle;
 *   - matrices are row-major float32; W_l has shape [n_l][n_{l-1}] (rows = post, cols = pre).
 */
#ifndef SLEEPCL_SLEEPCL_H
#define SLEEPCL_SLEEPCL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SCL_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------- status and messages */

typedef enum scl_status {
    SCL_OK = 0,
    SCL_ERR_NOMEM,    /* an allocation failed */
    SCL_ERR_OPENCL,   /* an OpenCL call or a kernel build failed */
    SCL_ERR_NODEVICE, /* no OpenCL device, or none matching the request */
    SCL_ERR_CONFIG,   /* a bad config key or value */
    SCL_ERR_IO,       /* a file could not be opened, read or written */
    SCL_ERR_DATA,     /* a file's content is malformed, truncated or inconsistent */
    SCL_ERR_NUMERIC,  /* a NaN or infinity where a finite value is required */
    SCL_ERR_ARG,      /* a bad argument to a library function */
    SCL_STATUS_COUNT
} scl_status;

/* Short fixed description of a status ("out of memory"). Static storage; never NULL. */
const char *scl_status_str(scl_status st);

/* ---------------------------------------------------------------- logging */

typedef enum scl_log_level {
    SCL_LOG_LEVEL_DEBUG = 0,
    SCL_LOG_LEVEL_INFO,
    SCL_LOG_LEVEL_WARN,
    SCL_LOG_LEVEL_ERROR,
    SCL_LOG_LEVEL_NONE
} scl_log_level;

/* Receives one formatted line (no trailing newline) from subsystem `sub` ("cl", "sleep"). */
typedef void (*scl_log_fn)(scl_log_level level, const char *sub, const char *msg, void *user);

/* Route library log lines to `fn` (NULL silences the library). Process-wide. */
void scl_set_log_callback(scl_log_fn fn, void *user);
/* Lines below `level` are dropped before they are formatted. Default: SCL_LOG_LEVEL_INFO. */
void scl_set_log_level(scl_log_level level);

/* ---------------------------------------------------------------- random numbers */

/* Purposes: the second word of the Philox key, so that streams for different uses never meet. */
typedef enum scl_rng_purpose {
    SCL_RNG_TEST = 0,
    SCL_RNG_INIT = 1,    /* weight initialisation: element = weight index, stream = layer */
    SCL_RNG_SHUFFLE = 2, /* epoch shuffles: element = position, step = epoch */
    SCL_RNG_DROPOUT = 3, /* dropout masks: element = unit, step = batch counter, stream = layer */
    SCL_RNG_SPIKES = 4,  /* sleep input spikes: element = pixel, step = time step */
    SCL_RNG_WINDOW = 5,  /* sleep input window corner: element 0, step = time step */
    SCL_RNG_SUBSET = 6,  /* data subsets and task orders */
    SCL_RNG_SEARCH = 7   /* parameter search */
} scl_rng_purpose;

/* Philox4x32-10 of counter `ctr` under key `key` (the Random123 function, bit for bit). */
void scl_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);
/* The four words at counter {element, step, stream, 0}, key {seed, purpose}. */
void scl_rng_words(uint32_t seed, scl_rng_purpose purpose, uint32_t element, uint32_t step,
                   uint32_t stream, uint32_t out[4]);
/* A uniform float in [0, 1) with 24 random bits: (word >> 8) * 2^-24. Same on every device. */
float scl_rng_u01(uint32_t word);

/* ---------------------------------------------------------------- datasets */

/* A labelled image set held on the host. Pixels are scaled to [0, 1]. */
typedef struct scl_dataset {
    int32_t n;          /* number of samples */
    int32_t dim;        /* values per sample (rows * cols) */
    int32_t rows, cols; /* image shape */
    float *x;           /* [n][dim], row-major */
    uint8_t *y;         /* [n], class labels 0..n_classes-1 */
    int32_t n_classes;  /* 1 + the largest label */
} scl_dataset;

/*
 * Read an IDX image file and its IDX label file, raw or gzip-compressed (detected by content).
 * Checks magic numbers, dimensions, matching counts and truncation. On failure returns
 * SCL_ERR_IO or SCL_ERR_DATA and writes a one-line message naming the file to `msg`.
 * The caller owns *out and frees it with scl_dataset_destroy.
 */
scl_status scl_dataset_load_idx(const char *images_path, const char *labels_path, scl_dataset **out,
                                char *msg, size_t msg_len);
/* Load split "train" or "test" of a dataset directory holding the four standard IDX files
 * ("train-images-idx3-ubyte", ... each optionally with ".gz"). Same contract as above. */
scl_status scl_dataset_load_dir(const char *dir, const char *split, scl_dataset **out, char *msg,
                                size_t msg_len);
/* A new dataset holding rows `idx[0..n)` of `src`, in that order. Caller owns *out. */
scl_status scl_dataset_subset(const scl_dataset *src, const int32_t *idx, int32_t n,
                              scl_dataset **out);
void scl_dataset_destroy(scl_dataset *ds);

/* ---------------------------------------------------------------- OpenCL context */

typedef struct scl_ctx scl_ctx;

/* Parameters for scl_ctx_create. Obtain with scl_ctx_default_params, then override fields. */
struct scl_ctx_params {
    const char *device;     /* "I" (global index as listed by scl_devices_print) or a substring
                               of "platform device" names; NULL or "" = first device */
    const char *kernel_dir; /* read kernels from here, not the binary; NULL = off */
    const char *cache_dir;  /* compiled-program cache; NULL = no cache */
    int quiet;              /* nonzero: do not log the chosen device */
};

/* Defaults, with the SCL_DEVICE, SCL_KERNEL_DIR and SCL_CACHE_DIR environment variables applied.
 * The strings point into the environment or static storage. */
struct scl_ctx_params scl_ctx_default_params(void);

/*
 * Open the chosen device, create a context and an in-order queue, and build (or load from the
 * cache) the kernel program. Like sqlite3_open, *out is set even on most failures so that
 * scl_ctx_last_error can explain them; the caller always calls scl_ctx_destroy(*out).
 */
scl_status scl_ctx_create(const struct scl_ctx_params *params, scl_ctx **out);
/* Release everything the context owns, in reverse order of creation. NULL does nothing. */
void scl_ctx_destroy(scl_ctx *ctx);
/* The one-line detail of the last failure on this context ("" if none). Owned by the context,
 * valid until the next call on it. */
const char *scl_ctx_last_error(const scl_ctx *ctx);
/* "platform / device (type, driver X, OpenCL C Y)". Owned by the context. */
const char *scl_ctx_device_desc(const scl_ctx *ctx);
/* Nonzero when the device is a CPU (PoCL and friends): engines pick kernels by this. */
int scl_ctx_is_cpu(const scl_ctx *ctx);
/* Seconds spent building or loading the kernel program at create time, and whether it came
 * from the on-disk cache (1) or was compiled (0). */
double scl_ctx_program_seconds(const scl_ctx *ctx, int *from_cache);

/* Print every platform and device, with global index, type, driver and OpenCL C version.
 * Returns SCL_ERR_NODEVICE when there is none. */
scl_status scl_devices_print(FILE *f);

/* Compute scl_rng_words(seed, purpose, i, step, stream) for i < n on the device, into
 * out[4*i .. 4*i+3] (so that tests can compare host and device bit for bit). */
scl_status scl_ctx_rng_fill(scl_ctx *ctx, uint32_t seed, scl_rng_purpose purpose, uint32_t step,
                            uint32_t stream, uint32_t n, uint32_t *out);

/* ---------------------------------------------------------------- models */

#define SCL_MAX_LAYERS 8

/* A fully connected ReLU network without biases, held on the host. Layer 0 is the input;
 * w[l] maps layer l to layer l+1 (the specification's W_{l+1}). */
typedef struct scl_model {
    int32_t n_layers;                 /* L: number of weight matrices, 1..SCL_MAX_LAYERS */
    int32_t sizes[SCL_MAX_LAYERS + 1]; /* units per layer; sizes[0] = input size */
    float *w[SCL_MAX_LAYERS];         /* w[l]: [sizes[l+1]][sizes[l]], row-major (post x pre) */
    char profile[32];                 /* training profile, e.g. "paper2024" (metadata) */
    uint32_t seed;                    /* seed of the run that made it (metadata) */
    char config_hash[20];             /* hex hash of the config that made it (metadata) */
} scl_model;

/* A model with the given layer sizes (n_layers + 1 entries) and zeroed weights. Caller owns
 * *out and frees it with scl_model_destroy. */
scl_status scl_model_create(int32_t n_layers, const int32_t *sizes, scl_model **out);
/* A deep copy of `src`. Caller owns *out. */
scl_status scl_model_clone(const scl_model *src, scl_model **out);
void scl_model_destroy(scl_model *m);

/* ---------------------------------------------------------------- training (host/train.c) */

/* ---------------------------------------------------------------- sleep (host/sleep.c) */

#ifdef __cplusplus
}
#endif
#endif /* SLEEPCL_SLEEPCL_H */
