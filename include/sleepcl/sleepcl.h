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
/* The version of the library actually linked or loaded (SCL_VERSION_STRING as it was built),
 * to tell a shared library from another release apart from the header compiled against.
 * Static storage; never NULL. */
const char *scl_version(void);

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

/* ---------------------------------------------------------------- files and environment */

/* Free memory the library handed to the caller (scl_read_file's buffer). NULL does nothing. */
void scl_free(void *p);
/* Whole files are written atomically: to a temporary file beside the target, then renamed over
 * it, so a reader (or a crash) never sees half a file. scl_atomic_open opens the temporary file
 * for writing and puts its name in tmp; NULL on failure. */
FILE *scl_atomic_open(const char *path, char *tmp, size_t tmp_len);
/* Close f and, if ok and nothing failed, rename tmp over path; otherwise remove tmp. Returns
 * nonzero when path now holds the new content. f may be NULL (returns 0). */
int scl_atomic_commit(FILE *f, const char *tmp, const char *path, int ok);
/* Write len bytes to path atomically. Nonzero on success. */
int scl_atomic_write(const char *path, const void *data, size_t len);
/* Read the whole file into *out (NUL-terminated, freed with scl_free), its size into *len.
 * SCL_ERR_IO when it cannot be opened or read, SCL_ERR_NOMEM. */
scl_status scl_read_file(const char *path, char **out, size_t *len);
/* Dataset directory: $SCL_DATA_DIR, else ${XDG_CACHE_HOME:-~/.cache}/sleepcl/data. */
void scl_env_data_dir(char *buf, size_t len);
/* Print the environment variables the library reads, with their help, for a --help text. */
void scl_env_print_help(FILE *f);

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
    SCL_RNG_SEARCH = 7,  /* parameter search */
    SCL_RNG_LATENT = 8,  /* VAE normals: element = pair of values, step = iteration, stream =
                            0 for the reparameterisation, 1 for replay samples */
    SCL_RNG_TOY = 9      /* generated data sets: element = pixel, step = sample, stream = set */
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
/*
 * Read a feature-vector set from a safetensors file (docs/METHOD.md section 6.10): tensor "x",
 * dtype F32, shape [n, d], the features; tensor "y", dtype U8, I32 or I64, shape [n], the labels
 * 0..SCL_MAX_CLASSES-1. Other tensors are ignored. Refused with a one-line message naming the
 * file: a bad header, a missing tensor, a wrong dtype or shape, offsets outside the data or
 * overlapping, n that differs between x and y, a label out of range, a non-finite feature.
 * Features are kept as they are (rows = 1, cols = d); sleep's spike rates assume values in
 * [0, 1], so scale them first if they are not. Same ownership contract as above.
 */
scl_status scl_dataset_load_features(const char *path, scl_dataset **out, char *msg,
                                     size_t msg_len);
/* The CIFAR binary distributions: which label a record's class is. */
typedef enum scl_cifar_kind {
    SCL_CIFAR10 = 0,        /* 1 label byte (0..9) + 3072 pixel bytes per record */
    SCL_CIFAR100_FINE = 1,  /* coarse byte, fine byte (0..99), 3072 pixel bytes: the fine label */
    SCL_CIFAR100_COARSE = 2 /* the same records, the coarse label (0..19) */
} scl_cifar_kind;
/* Read CIFAR binary files paths[0..n_paths) as one set, in order. Pixels /255 into [0, 1] in
 * the files' CHW order (rows = 3 * 32, the colour planes stacked; cols = 32). Refused with a
 * message naming the file: empty, not a whole number of records (truncation), a label out of
 * range for the kind. */
scl_status scl_dataset_load_cifar(const char *const *paths, int32_t n_paths, scl_cifar_kind kind,
                                  scl_dataset **out, char *msg, size_t msg_len);
/* Split "train" or "test" of an extracted distribution directory: data_batch_1..5.bin and
 * test_batch.bin (CIFAR-10), train.bin and test.bin (CIFAR-100). */
scl_status scl_dataset_load_cifar_dir(const char *dir, const char *split, scl_cifar_kind kind,
                                      scl_dataset **out, char *msg, size_t msg_len);
/* A new dataset holding every sample of a, then every sample of b with its label raised by
 * b_offset (cross-modal sets: MNIST's digits 0-9, Fashion-MNIST's items 10-19). The two must
 * have the same dim; SCL_ERR_ARG otherwise or when a label would pass SCL_MAX_CLASSES - 1.
 * The image shape is a's. Caller owns *out. */
scl_status scl_dataset_concat(const scl_dataset *a, const scl_dataset *b, int32_t b_offset,
                              scl_dataset **out);
/* A new dataset holding rows `idx[0..n)` of `src`, in that order. Caller owns *out. */
scl_status scl_dataset_subset(const scl_dataset *src, const int32_t *idx, int32_t n,
                              scl_dataset **out);
/* A class-balanced random subset: every class in classes[0..n_classes) (all classes when
 * n_classes is 0) contributes exactly round(fraction * n / n_classes) samples, capped by the
 * smallest class, chosen by the project generator from `seed`; fraction 1 with all classes is
 * the whole set. Caller owns *out. */
scl_status scl_dataset_balanced(const scl_dataset *src, double fraction, const int32_t *classes,
                                int32_t n_classes, uint32_t seed, scl_dataset **out);
/* The indices (ascending) of the subset scl_dataset_balanced draws, into out (capacity src->n);
 * the count into *n_out. */
scl_status scl_dataset_balanced_indices(const scl_dataset *src, double fraction,
                                        const int32_t *classes, int32_t n_classes, uint32_t seed,
                                        int32_t *out, int32_t *n_out);
/* src with class `cls` cut to round(keep * its count) samples (at least one), chosen by the
 * project generator from `seed`; other classes untouched. Caller owns *out. */
scl_status scl_dataset_cut_class(const scl_dataset *src, int32_t cls, double keep, uint32_t seed,
                                 scl_dataset **out);
void scl_dataset_destroy(scl_dataset *ds);

/* The binary-patches toy (docs/METHOD.md section 6.11): four classes of 10x10 binary patterns,
 * task 1 = classes 0 and 1, task 2 = classes 2 and 3. Class c's pattern is `pixels` pixels of a
 * random permutation of the grid (fixed by the seed); classes 0 and 1 are disjoint, class 2
 * shares `overlap` pixels with class 0 and class 3 as many with class 1, the rest of each task-2
 * pattern being pixels no other pattern uses. A sample is its class's pattern with every pixel
 * flipped with probability `flip`. */
#define SCL_PATCH_SIDE 10
struct scl_patches_params {
    int32_t pixels;  /* 1..25: active pixels of each pattern (4 patterns fit the 100 pixels) */
    int32_t overlap; /* 0..pixels */
    float flip;      /* [0, 0.5) */
};
/* Pattern of class c (0..3) as mask[0..100) of 0/1. SCL_ERR_ARG for parameters out of range. */
scl_status scl_patches_pattern(const struct scl_patches_params *p, uint32_t seed, int32_t c,
                               uint8_t *mask);
/* per_class samples of each class (classes interleaved: sample i is of class i % 4), drawn from
 * stream `set` (e.g. 0 = training, 1 = test) of the seed. Caller owns *out. */
scl_status scl_dataset_patches(const struct scl_patches_params *p, uint32_t seed, uint32_t set,
                               int32_t per_class, scl_dataset **out);

/* ---------------------------------------------------------------- OpenCL context */

typedef struct scl_ctx scl_ctx;

/* Parameters for scl_ctx_create. Obtain with scl_ctx_default_params, then override fields. */
struct scl_ctx_params {
    const char *device;     /* "I" (global index as listed by scl_devices_print) or a substring
                               of "platform device" names; NULL or "" = first device */
    const char *kernel_dir; /* read kernels from here, not the binary; NULL = off */
    const char *cache_dir;  /* compiled-program cache; NULL = no cache */
    int quiet;              /* nonzero: do not log the chosen device */
    int profile;            /* nonzero: time every device command (scl_ctx_profile_print) */
};

/* Defaults, with the SCL_DEVICE, SCL_KERNEL_DIR, SCL_CACHE_DIR and SCL_PROFILE environment
 * variables applied.
 * The strings point into the environment or static storage. */
struct scl_ctx_params scl_ctx_default_params(void);

/*
 * Open the chosen device, create a context and an in-order queue, and build (or load from the
 * cache) the kernel program. Like sqlite3_open, *out is set even on most failures so that
 * scl_ctx_last_error can explain them; the caller always calls scl_ctx_destroy(*out).
 */
scl_status scl_ctx_create(const struct scl_ctx_params *params, scl_ctx **out);
/* Release everything the context owns, in reverse order of creation (with params.profile, after
 * printing the profile to stderr). NULL does nothing. */
void scl_ctx_destroy(scl_ctx *ctx);
/* The one-line detail of the failure of the latest call on this context (or on a handle made
 * from it): "" when that call succeeded, since every such call clears it first. Owned by the
 * context, valid until the next call on it. */
const char *scl_ctx_last_error(const scl_ctx *ctx);
/* "platform / device (type, driver X, OpenCL C Y)". Owned by the context. */
const char *scl_ctx_device_desc(const scl_ctx *ctx);
/* Nonzero when the device is a CPU (PoCL and friends): engines pick kernels by this. */
int scl_ctx_is_cpu(const scl_ctx *ctx);
/* Seconds spent building or loading the kernel program at create time, and whether it came
 * from the on-disk cache (1) or was compiled (0). */
double scl_ctx_program_seconds(const scl_ctx *ctx, int *from_cache);
/* With params.profile: device time per kernel since creation or the last reset, largest first,
 * one line each ("profile: NAME CALLS TOTAL_MS MEAN_US SHARE"), waiting for the queue first; a
 * GEMM's kernels are named with the product's shape ("scl_gemm_tile8_6 TN 1200x784x64").
 * Without it, prints nothing. */
scl_status scl_ctx_profile_print(scl_ctx *ctx, FILE *f);
void scl_ctx_profile_reset(scl_ctx *ctx);

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
 * w[l] maps layer l to layer l+1 (W_{l+1} in docs/METHOD.md). */
typedef struct scl_model {
    int32_t n_layers;                  /* L: number of weight matrices, 1..SCL_MAX_LAYERS */
    int32_t sizes[SCL_MAX_LAYERS + 1]; /* units per layer; sizes[0] = input size */
    float *w[SCL_MAX_LAYERS];          /* w[l]: [sizes[l+1]][sizes[l]], row-major (post x pre) */
    char profile[32];                  /* training profile, e.g. "paper2024" (metadata) */
    uint32_t seed;                     /* seed of the run that made it (metadata) */
    char config_hash[20];              /* hex hash of the config that made it (metadata) */
    int32_t output;                    /* enum scl_output: the output activation */
    float act_scale; /* test-time multiplier of hidden activations: 1 - dropout for
                        non-inverted dropout (ref2022), 1 otherwise */
} scl_model;

/* A model with the given layer sizes (n_layers + 1 entries), zeroed weights, softmax output and
 * act_scale 1. Caller owns *out and frees it with scl_model_destroy. */
scl_status scl_model_create(int32_t n_layers, const int32_t *sizes, scl_model **out);
/* A deep copy of `src`. Caller owns *out. */
scl_status scl_model_clone(const scl_model *src, scl_model **out);
void scl_model_destroy(scl_model *m);
/* Synaptic downscaling: set floor(fraction * n) of the smallest-magnitude weights of every layer
 * (n weights) to zero; ties at the cut are taken in index order. fraction in [0, 1]. */
scl_status scl_model_downscale(scl_model *m, double fraction);

/* Save in the safetensors format (8-byte little-endian header length, JSON header, raw
 * little-endian float32 tensors "w1".."wL" of shape [n_l, n_{l-1}]), with sizes, profile, seed,
 * config hash, output and act_scale in the header's __metadata__. Written atomically
 * (scl_atomic_write). On failure, a one-line message naming the file and the reason goes to msg. */
scl_status scl_model_save(const scl_model *m, const char *path, char *msg, size_t msg_len);
/* Load and validate a safetensors model: header size, JSON, dtype F32, shapes chaining layer to
 * layer, whole-number offsets tiling the data region with no tensor overlapping another, finite
 * values, a finite act_scale > 0 and a known output in the metadata. Tensors named w1..wL (or any
 * names, ordered as listed, if the metadata has no sizes). Caller owns *out. */
scl_status scl_model_load(const char *path, scl_model **out, char *msg, size_t msg_len);

/* ---------------------------------------------------------------- training (host/wake/train.c) */

typedef enum scl_output { SCL_OUTPUT_SOFTMAX = 0, SCL_OUTPUT_SIGMOID, SCL_OUTPUT_RELU } scl_output;
typedef enum scl_loss { SCL_LOSS_BCE = 0, SCL_LOSS_CE, SCL_LOSS_MSE } scl_loss;
typedef enum scl_dropout_mode {
    SCL_DROPOUT_INVERTED = 0, /* kept units scaled by 1/(1-p) in training, nothing at test */
    SCL_DROPOUT_TEST_SCALE    /* kept units unscaled in training, hidden x (1-p) at test */
} scl_dropout_mode;
typedef enum scl_init {
    SCL_INIT_FAN_IN = 0, /* U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
    SCL_INIT_UNIFORM     /* U(-a, a) */
} scl_init;
/* The engine of every matrix product of training and evaluation. */
typedef enum scl_gemm_engine {
    SCL_GEMM_AUTO = 0, /* native on CPU devices, CLBlast elsewhere */
    SCL_GEMM_CLBLAST,  /* CLBlast's tuned kernels (GPUs) */
    SCL_GEMM_NATIVE    /* our own CPU-shaped kernel (cl/gemm.cl) */
} scl_gemm_engine;

/* Continual-learning methods (docs/METHOD.md section 6.9): what training on a new task does to
 * protect what the earlier tasks taught. A task ends with scl_trainer_consolidate. */
typedef enum scl_method {
    SCL_METHOD_SGD = 0,    /* nothing: the sequential baseline */
    SCL_METHOD_EWC,        /* elastic weight consolidation: lambda/2 sum_k F_k (w - w*_k)^2 */
    SCL_METHOD_ONLINE_EWC, /* one Fisher F = gamma F + F_k and one anchor (the latest weights) */
    SCL_METHOD_SI,         /* synaptic intelligence: c sum Omega (w - w*)^2, Omega from the path */
    SCL_METHOD_REHEARSAL,  /* stored samples of old tasks in every minibatch */
    SCL_METHOD_OWM,        /* orthogonal weight modification: gradients projected away from the
                              inputs each layer has seen */
    SCL_METHOD_ICARL       /* iCaRL's training: binary cross-entropy on sigmoid outputs (whatever
                              p.output says), summed over them, the old net's outputs as the old
                              classes' targets (scl_trainer_set_distill); exemplars and the
                              nearest-mean classifier below are the caller's */
} scl_method;

/* Training hyper-parameters. scl_train_default_params gives the paper2024 profile; these
 * functions are the only place a profile's values are written (the config takes them). */
typedef enum scl_optimizer {
    SCL_OPTIMIZER_SGD = 0, /* (momentum) SGD */
    SCL_OPTIMIZER_ADAM     /* Adam with bias correction (the tripartite sleep's VAE) */
} scl_optimizer;

struct scl_train_params {
    scl_output output;
    scl_loss loss;
    float lr;       /* SGD learning rate */
    float momentum; /* 0 = plain SGD; else V = momentum*V + lr*G, W -= V */
    int32_t batch;
    int32_t epochs; /* epochs of scl_trainer_fit */
    float dropout;  /* probability of dropping a hidden unit */
    scl_dropout_mode dropout_mode;
    scl_init init;
    float init_a; /* a of U(-a, a) for SCL_INIT_UNIFORM */
    scl_gemm_engine gemm;
    float finetune_lr;       /* learning rate of scl_trainer_finetune (after a sleep) */
    int32_t finetune_epochs; /* epochs of scl_trainer_finetune; 0 = no fine-tune */
    uint32_t seed;           /* fixes initialisation, shuffles and dropout masks */
    scl_method method;       /* SGD: none of the fields below is read */
    float ewc_lambda;        /* EWC, online EWC: penalty weight lambda, >= 0 */
    float ewc_gamma;         /* online EWC: decay of the accumulated Fisher per task, [0, 1] */
    float si_c;              /* SI: penalty weight c, >= 0 */
    float si_xi;             /* SI: damping xi of Omega += omega / (dw_task^2 + xi), > 0 */
    int32_t replay_batch;    /* rehearsal: memory samples added to every minibatch, >= 1 */
    float owm_alpha;         /* OWM: regulariser of the projector update, > 0 */
    scl_optimizer optimizer; /* the scl_trainer supports SGD only; scl_tri Adam only */
    float adam_beta1;        /* Adam: decay of the first moment, [0, 1) */
    float adam_beta2;        /* Adam: decay of the second moment, [0, 1) */
    float adam_eps;          /* Adam: added to the second moment's root, > 0 */
};
/* The paper2024 profile: softmax output, BCE, plain SGD, inverted dropout, fan-in init. */
struct scl_train_params scl_train_default_params(void);
/* The ref2022 profile (the 2022 reference code): ReLU output, MSE, SGD with momentum, dropout
 * scaled at test time, uniform init, no fine-tune. */
struct scl_train_params scl_train_ref2022_params(void);

/* Fill m's weights from the project generator (purpose SCL_RNG_INIT) and set its output and
 * act_scale from p. */
scl_status scl_model_init(scl_model *m, const struct scl_train_params *p);

/* A dataset uploaded to the device once (pixels and labels), used by training and evaluation. */
typedef struct scl_ddata scl_ddata;
/* Upload ds; the device copy keeps a pointer to ds->y, so ds must outlive it. Caller owns *out. */
scl_status scl_ddata_create(scl_ctx *ctx, const scl_dataset *ds, scl_ddata **out);
void scl_ddata_destroy(scl_ddata *d);

/* Per-epoch report handed to an optional callback. */
struct scl_epoch_report {
    int32_t epoch, epochs;
    double loss;    /* mean loss over the epoch's samples */
    double seconds; /* wall time of the epoch */
};
typedef void (*scl_epoch_fn)(const struct scl_epoch_report *r, void *user);

/* A model being trained on the device: weights, gradients and the momentum buffer live there.
 * The momentum buffer is kept across fits (tasks) and across scl_trainer_set_model (sleeps). */
typedef struct scl_trainer scl_trainer;
scl_status scl_trainer_create(scl_ctx *ctx, const scl_model *m, const struct scl_train_params *p,
                              scl_trainer **out);
void scl_trainer_destroy(scl_trainer *t);
/* Train p.epochs epochs at learning rate p.lr on d (shuffled each epoch). Epoch numbers
 * continue across calls, so shuffles and dropout masks never repeat. */
scl_status scl_trainer_fit(scl_trainer *t, const scl_ddata *d, scl_epoch_fn cb, void *user);
/* The fine-tune after a sleep: as scl_trainer_fit, but p.finetune_epochs epochs at
 * p.finetune_lr (nothing when p.finetune_epochs is 0). */
scl_status scl_trainer_finetune(scl_trainer *t, const scl_ddata *d, scl_epoch_fn cb, void *user);
/* Copy the device weights into m (same sizes). */
scl_status scl_trainer_get_model(scl_trainer *t, scl_model *m);
/* Replace the device weights with m's (after a sleep); momentum is kept. */
scl_status scl_trainer_set_model(scl_trainer *t, const scl_model *m);
/*
 * End of a task for the penalty methods (docs/METHOD.md section 6.9), with the current weights as
 * the new anchors w*. EWC and online EWC add the diagonal Fisher of d: per weight, the mean over
 * d's samples of the squared gradient of the per-sample loss at the model's predicted class, in
 * test mode. SI turns its path integral since the last call into importance. Call it after the
 * task's last change to the weights (its sleep and fine-tune included), before the next task.
 * Nothing for SGD and rehearsal.
 */
scl_status scl_trainer_consolidate(scl_trainer *t, const scl_ddata *d);
/* Rehearsal: every later minibatch of p.batch samples of the fitted data gets p.replay_batch
 * samples of mem appended (positions from successive shuffles of mem, purpose SCL_RNG_SHUFFLE
 * stream >= 1), and the loss is the mean over both. mem is borrowed and must outlive the fits;
 * NULL stops the mixing. SCL_ERR_ARG unless p.method is SCL_METHOD_REHEARSAL. */
scl_status scl_trainer_set_memory(scl_trainer *t, const scl_ddata *mem);
/* iCaRL's distillation: the next fits must be on d, whose samples' old-net logits are
 * old_logits [d->n][outputs] (scl_model_features at the output layer, before the fit). The
 * target of output j is sigmoid(old logit) for the classes old_classes[0..n_old), the one-hot
 * label for the others. n_old = 0 clears it. SCL_ERR_ARG unless p.method is SCL_METHOD_ICARL. */
scl_status scl_trainer_set_distill(scl_trainer *t, const scl_ddata *d, const float *old_logits,
                                   const int32_t *old_classes, int32_t n_old);

/*
 * Train a fresh net: a model of sizes[0..n_layers] initialised from p (scl_model_init), trained
 * p->epochs epochs on d (scl_trainer_fit, cb as there). *model receives the trained model;
 * *trainer the trainer that holds it on the device (for later tasks and fine-tunes), or NULL
 * for none. SCL_ERR_ARG (message in scl_ctx_last_error) when d's inputs do not match sizes[0].
 * On error nothing is returned and nothing is left allocated.
 */
scl_status scl_model_train_new(scl_ctx *ctx, const int32_t *sizes, int32_t n_layers,
                               const struct scl_train_params *p, const scl_ddata *d,
                               scl_epoch_fn cb, void *user, scl_model **model,
                               scl_trainer **trainer);

/* ---------------------------------------------------------------- evaluation (host/eval.c) */

/* uint8 labels; 200 are CUB-200's classes */
#define SCL_MAX_CLASSES 256

/* Test-mode results on a dataset: predictions are the argmax of the output, ties to the lowest
 * index. */
struct scl_eval {
    int32_t n, n_classes;
    double accuracy;
    double class_accuracy[SCL_MAX_CLASSES]; /* NaN for classes absent from the data */
    int32_t *confusion;                     /* [n_classes][n_classes]: true row, predicted col */
    int32_t *pred;                          /* [n] predicted class of each sample */
};
/* Evaluate m on d (test mode). Caller frees out's arrays with scl_eval_free. */
scl_status scl_evaluate(scl_ctx *ctx, const scl_model *m, const scl_ddata *d, scl_gemm_engine gemm,
                        struct scl_eval *out);
void scl_eval_free(struct scl_eval *e);
/* Accuracy over the samples whose true class is in classes[0..n) (a task). */
double scl_eval_task_accuracy(const struct scl_eval *e, const uint8_t *labels,
                              const int32_t *classes, int32_t n);
/* Max post-ReLU activation of every layer (output included, through a ReLU) over d in test
 * mode: act_max[0..L), the input of scl_sleep_factors. */
scl_status scl_model_activation_max(scl_ctx *ctx, const scl_model *m, const scl_ddata *d,
                                    scl_gemm_engine gemm, float *act_max);
/* Layer `layer` (1..L) of m on d in test mode into out [d->n][sizes[layer]]: the post-ReLU
 * activations (times act_scale) of a hidden layer, the pre-activation z of the output layer. */
scl_status scl_model_features(scl_ctx *ctx, const scl_model *m, const scl_ddata *d,
                              scl_gemm_engine gemm, int32_t layer, float *out);
/* An evaluation from given predictions pred[0..n) of samples with true labels[0..n), as
 * scl_evaluate counts it (caller frees with scl_eval_free). */
scl_status scl_eval_predictions(const int32_t *pred, const uint8_t *labels, int32_t n,
                                int32_t n_classes, struct scl_eval *out);

/* ---------------------------------------------------------------- iCaRL (host/wake/icarl.c)
 * Exemplar selection and the nearest-mean-of-exemplars classifier, on the host, on features
 * from scl_model_features (docs/METHOD.md section 6.14). */

/* Scale every row of x [n][dim] to unit L2 norm (an all-zero row stays zero). */
void scl_l2_normalise_rows(float *x, int32_t n, int32_t dim);
/* Herding: chosen[0..m) = m distinct rows of feat [n][dim] (normalised rows), picked in turn so
 * that the mean of the first k picked is the nearest to the mean of all n rows, for each k
 * (ties to the lowest row). A prefix of the order is the choice for a smaller m. SCL_ERR_ARG
 * unless 0 <= m <= n. */
scl_status scl_herding(const float *feat, int32_t n, int32_t dim, int32_t m, int32_t *chosen);
/* mean = the mean of rows rows[0..n) of feat [.][dim], scaled to unit norm (iCaRL's class
 * prototype). */
void scl_nme_mean(const float *feat, const int32_t *rows, int32_t n, int32_t dim, float *mean);
/* pred[i] = classes[c] for the nearest (Euclidean) of the means [n_classes][dim] to row i of
 * feat [n][dim] (ties to the lowest c). */
void scl_nme_classify(const float *feat, int32_t n, int32_t dim, const float *means,
                      const int32_t *classes, int32_t n_classes, int32_t *pred);

/* ---------------------------------------------------------------- continual learning */

/* Metrics of an accuracy matrix r[t][t] (r[i][j]: accuracy on task j after learning task i);
 * formulas in docs/METHOD.md section 6.8, code in host/analysis/metrics.c. */
struct scl_cl_metrics {
    double average_accuracy;  /* mean final accuracy over the tasks */
    double backward_transfer; /* mean change of each earlier task from when it was learnt */
    double forgetting;        /* mean drop of each earlier task from its best */
};
scl_status scl_cl_metrics(const double *r, int32_t t, struct scl_cl_metrics *out);
/* Balance score KL = sum_C a_C/(n mu) log(a_C/mu) of accuracies a[0..n) with mean mu; 0 when
 * all are equal. NaN when mu is 0. */
double scl_cl_balance(const double *acc, int32_t n);

/* ---------------------------------------------------------------- representations */

/* How alike, how sparse: hidden representations h [n][units] of n images with labels[0..n)
 * (docs/METHOD.md section 6.10, code in host/analysis/represent.c). */
struct scl_repr_stats {
    double corr_within;  /* mean Pearson correlation of two images' rows, same label */
    double corr_between; /* the same over pairs of different labels (NaN without such pairs) */
    double sparseness;   /* mean over rows of 1 - (mean h)^2 / mean(h^2); silent rows left out */
    double active;       /* share of (image, unit) pairs with h > 0 */
    int32_t silent_rows; /* rows with no activity (left out of correlations and sparseness) */
};
scl_status scl_repr_stats(const float *h, const uint8_t *labels, int32_t n, int32_t units,
                          struct scl_repr_stats *out);
/* The input drive of each class to a layer: drive[c] = mean over class c's images and the
 * layer's units of the pre-activation w h_prev (w [units][units_prev], the model's layout);
 * NaN for a class without images. SCL_ERR_ARG for a label >= n_classes. */
scl_status scl_repr_class_drive(const float *h_prev, const uint8_t *labels, int32_t n,
                                int32_t units_prev, const float *w, int32_t units,
                                int32_t n_classes, double *drive);

/* ---------------------------------------------------------------- sleep (host/sleep.c) */

/* How the layer scale factors chain (docs/METHOD.md section 2). */
typedef enum scl_sleep_norm {
    SCL_SLEEP_NORM_REF = 0, /* the reference code's chaining: p_l = c_l = s_l / p_{l-1} */
    SCL_SLEEP_NORM_DIEHL    /* textbook data-based normalisation: p_l = s_l */
} scl_sleep_norm;

/* The modulation f(w) of the Hebbian update (section 4). */
typedef enum scl_sleep_mod {
    SCL_SLEEP_MOD_REF = 0, /* f(w) = 2 / (1 + exp(w / 0.001)) */
    SCL_SLEEP_MOD_CONST    /* f(w) = 1 */
} scl_sleep_mod;

/* What drives the input spikes (section 3). */
typedef enum scl_sleep_input {
    SCL_SLEEP_INPUT_MEAN = 0, /* x_t = the per-pixel mean, every step */
    SCL_SLEEP_INPUT_WINDOW    /* the mean inside a random 11x11 window of a 28x28 grid */
} scl_sleep_input;

/* Parameters of one sleep phase. Obtain with scl_sleep_default_params, override by name. */
struct scl_sleep_params {
    int32_t steps;     /* T: time steps, >= 1 */
    float dt;          /* seconds per step; dt * max_rate is a spike probability per step */
    float max_rate;    /* Hz, input rate of a pixel of value 1 (before gain) */
    float gain;        /* input gain: 2 in the reference code, 1 for a classical Poisson input */
    float alpha_scale; /* alpha_l = alpha_scale * factor_l, unless n_alpha > 0 */
    int32_t n_alpha;   /* 0, or L: then alpha_l = alpha[l-1] * factor_l (per-layer scales) */
    float alpha[SCL_MAX_LAYERS];
    int32_t n_beta;             /* must be L */
    float beta[SCL_MAX_LAYERS]; /* firing thresholds of layers 1..L, > 0 */
    float decay;                /* membrane decay per step, in (0, 1] */
    float inc;                  /* potentiation step, >= 0 */
    float dec;                  /* depression step, >= 0 */
    scl_sleep_norm norm;
    scl_sleep_mod modulation;
    scl_sleep_input input;
    uint32_t seed; /* input spikes use purpose SCL_RNG_SPIKES (element = pixel, step = t,
                      t = 0..T-1), window corners SCL_RNG_WINDOW (element 0, step = t) */
};

/* The published 2024 MNIST set (docs/METHOD.md section 5) with the switches it is used with
 * (input mean, gain 2, f = ref, norm = ref), seed 1. Its values are written only in
 * configs/sleep/mnist2024.ini: the build generates this function's constants from that file. */
struct scl_sleep_params scl_sleep_default_params(void);

/* Check p against model m (vector lengths, ranges, NaN, window mode needs 784 inputs). Returns
 * SCL_OK, or SCL_ERR_CONFIG with a one-line message naming the key in msg ("sleep.dt must be a
 * finite number > 0 (got -1)", "sleep.beta has 2 values, the model has 3 layers"). m may be
 * NULL to check only what does not depend on the model. */
scl_status scl_sleep_validate(const struct scl_sleep_params *p, const scl_model *m, char *msg,
                              size_t msg_len);

/* Layer scale factors (section 2): s_l = max(0, max W_l, act_max[l-1]); norm ref chains
 * c_l = s_l / p_{l-1}, factor_l = 1 / c_l, p_l = c_l; norm diehl uses p_l = s_l. act_max[L]
 * holds the largest post-ReLU activation of each layer over the inputs; factors[L] receives
 * factor_1..factor_L. SCL_ERR_NUMERIC when some s_l is 0 or not finite. */
scl_status scl_sleep_factors(const scl_model *m, const float *act_max, scl_sleep_norm norm,
                             float *factors);
/* alpha[l-1] = (n_alpha ? p->alpha[l-1] : p->alpha_scale) * factors[l-1], for l = 1..n_layers:
 * the input scales that scl_sleep_run computes from p and the factors it is given. */
void scl_sleep_alpha(const struct scl_sleep_params *p, int32_t n_layers, const float *factors,
                     float *alpha);
/* Per-pixel mean of the dataset's inputs into mean[ds->dim]. SCL_ERR_ARG for an empty set. */
scl_status scl_sleep_mean_input(const scl_dataset *ds, float *mean);

/* Histogram of weight changes dw = after - before, per layer. Bins are symmetric in sign and
 * log-spaced in |dw| by decades: bin SCL_SLEEP_HIST_ZERO holds dw == 0 exactly; bin
 * ZERO + 1 + d holds dw > 0 and bin ZERO - 1 - d holds dw < 0, where d = 0 for |dw| < 1e-8,
 * d = 9 for |dw| >= 1, and otherwise 10^(d-9) <= |dw| < 10^(d-8). */
#define SCL_SLEEP_HIST_DECADES 10
#define SCL_SLEEP_HIST_ZERO    SCL_SLEEP_HIST_DECADES
#define SCL_SLEEP_HIST_BINS    (2 * SCL_SLEEP_HIST_DECADES + 1)
/* The range [*lo, *hi) of dw that bin b counts (lo = hi = 0 for the zero bin; the outermost
 * bins reach +-infinity, the innermost ones reach 0). */
void scl_sleep_hist_range(int b, double *lo, double *hi);

/* Diagnostics of one sleep phase. The caller owns the struct and zeroes it before first use;
 * scl_sleep_run frees any arrays left from an earlier call, fills new ones (library-allocated)
 * and scl_sleep_stats_free releases them. Set record_raster before the call to get the full
 * spike raster. */
struct scl_sleep_stats {
    int record_raster;               /* input: nonzero to fill raster */
    int32_t steps;                   /* T */
    int32_t n_layers;                /* L */
    int32_t *spikes;                 /* [T][L+1]: spikes per step of layers 0 (input) .. L */
    double rate[SCL_MAX_LAYERS + 1]; /* mean spikes per unit per step, layers 0..L */
    int64_t hist[SCL_MAX_LAYERS][SCL_SLEEP_HIST_BINS]; /* weight changes of W_1..W_L */
    int64_t raster_units; /* units per step in raster: sizes[0] + ... + sizes[L] */
    uint8_t *raster;      /* [T][raster_units] 0/1, layers in order; NULL unless recorded */
    int32_t *unit_spikes; /* [raster_units]: each unit's spikes over the sleep; with raster */
};
void scl_sleep_stats_free(struct scl_sleep_stats *s);

/* Write PREFIX.spikes.csv (step, spikes of layers 0..L) and PREFIX.dw_hist.csv (layer, bin,
 * range, count), each through a temporary file and rename. One-line message on failure. */
scl_status scl_sleep_write_diagnostics(const struct scl_sleep_stats *s, const char *prefix,
                                       char *msg, size_t msg_len);
/* Log a warning for each input or hidden layer that never fired, and for each layer whose units
 * fired at half the steps or more: the parameters do not fit the model. A silent output layer
 * (sleep leaves the output weights alone, as in the published 2024 sleeps) is only a debug line.
 * Returns the number of layers warned about. */
int scl_sleep_check_rates(const struct scl_sleep_stats *s);

/*
 * Run one sleep phase on the device: uploads m's weights, runs all p->steps steps there (input
 * spikes from mean_input[sizes[0]]) and writes the changed weights back into m. factors[L] are
 * the layer scale factors (scl_sleep_factors); the input scale of layer l is
 * alpha_l = (p->n_alpha ? p->alpha[l-1] : p->alpha_scale) * factors[l-1] (scl_sleep_alpha), so
 * p is the one source of alpha. The same seed gives the same spikes and weights, bit for bit,
 * as the plain C loop of host/ref. stats may be NULL. A single sleep is a batch of one
 * (scl_sleep_run_batch). Errors: SCL_ERR_CONFIG (bad parameters, message names the key),
 * SCL_ERR_NUMERIC (a non-finite weight, mean or alpha, naming it), SCL_ERR_ARG (a model or
 * raster past 2^31 floats or bytes), SCL_ERR_OPENCL, SCL_ERR_NOMEM; details in
 * scl_ctx_last_error. On error m is unchanged.
 */
scl_status scl_sleep_run(scl_ctx *ctx, scl_model *m, const struct scl_sleep_params *p,
                         const float *mean_input, const float *factors,
                         struct scl_sleep_stats *stats);

/* ---------------------------------------------------------------- batched sleep (host/sleep.c) */

/* One run of a batch: what scl_sleep_run takes, as a record. */
struct scl_sleep_job {
    scl_model *model;               /* slept in place; all jobs' models have the same sizes */
    struct scl_sleep_params params; /* each job its own set, steps and seed included */
    const float *mean_input;        /* [sizes[0]], borrowed */
    float factors[SCL_MAX_LAYERS];  /* layer scale factors (scl_sleep_factors); alpha from
                                       params and these, as in scl_sleep_run */
    struct scl_sleep_stats *stats;  /* NULL, or as scl_sleep_run's stats */
};

/*
 * Run jobs[0..n) as n independent sleeps in one pass on the device: one work-group per run,
 * each run advanced many steps per kernel call (scl_sleep_run is a pass of one). Every job
 * gives the same weights, spike counts and raster, bit for bit, as scl_sleep_run with its
 * parameters and factors. Errors as scl_sleep_run's (a message naming the job); on error no
 * model is changed. Device memory: n copies of the padded weights (about 9.6 MB per run of
 * 784-1200-1200-10).
 */
scl_status scl_sleep_run_batch(scl_ctx *ctx, struct scl_sleep_job *jobs, int32_t n);

/* Test-mode accuracy of models[0..n) (same shape, output and act_scale) on d, into
 * accuracy[n], in one pass (host/eval_batch.c): layer 1 of all models is one GEMM (the input is
 * shared), deeper layers one GEMM per model. Predictions as scl_evaluate's; the products may
 * round differently, so a prediction at a near-tie can differ. SCL_ERR_ARG for mismatched
 * models or data. Device memory: n copies of the weights, and n x 512 x widest-layer floats. */
scl_status scl_evaluate_batch(scl_ctx *ctx, const scl_model *const *models, int32_t n,
                              const scl_ddata *d, scl_gemm_engine gemm, double *accuracy);

/* ------------------------------------------------ sleep a model (host/sleep/sleep_model.c) */

/* The two statistics of a model's training inputs that a sleep needs. Library-owned arrays:
 * fill with scl_input_stats_compute or scl_input_stats_load, release with scl_input_stats_free. */
struct scl_input_stats {
    int32_t n_inputs;              /* sizes[0] of the model it was made for */
    float *mean;                   /* [n_inputs]: per-pixel mean, the input rates (section 3) */
    int32_t n_layers;              /* L */
    float act_max[SCL_MAX_LAYERS]; /* per layer 1..L: largest activation, the scale factors */
};
/* Both statistics of ds for model m: the mean on the host, the activation maxima on the device
 * (test mode, through `gemm`). Errors as scl_model_activation_max's; SCL_ERR_ARG for an empty
 * set or one whose inputs do not match m. */
scl_status scl_input_stats_compute(scl_ctx *ctx, const scl_model *m, const scl_dataset *ds,
                                   scl_gemm_engine gemm, struct scl_input_stats *out);
/* Save as JSON ({"format": "sleepcl-sleep-input", "mean": [...], "act_max": [...]}), written
 * atomically, so that a model can sleep later without its data. One-line message on failure. */
scl_status scl_input_stats_save(const struct scl_input_stats *in, const char *path, char *msg,
                                size_t msg_len);
/* Read what scl_input_stats_save wrote, checked against m's shape (m may be NULL to take any).
 * SCL_ERR_IO, SCL_ERR_DATA or SCL_ERR_NOMEM with a one-line message naming the file. */
scl_status scl_input_stats_load(const char *path, const scl_model *m, struct scl_input_stats *out,
                                char *msg, size_t msg_len);
void scl_input_stats_free(struct scl_input_stats *in);

/*
 * Sleep model m in place with parameters p, given the statistics `in` of its training inputs:
 * the layer scale factors (scl_sleep_factors), the run (scl_sleep_run, which checks p against
 * m and takes alpha from p) and the spike-rate check (scl_sleep_check_rates).
 * stats (may be NULL) receives the run's diagnostics as scl_sleep_run fills them. Errors as
 * scl_sleep_run's, and SCL_ERR_NUMERIC for a dead layer, SCL_ERR_ARG when `in` was made for
 * another shape; details in scl_ctx_last_error. On error m is unchanged.
 */
scl_status scl_sleep_model(scl_ctx *ctx, scl_model *m, const struct scl_sleep_params *p,
                           const struct scl_input_stats *in, struct scl_sleep_stats *stats);
/* The same, the statistics computed from ds (scl_input_stats_compute) first. */
scl_status scl_sleep_model_on_data(scl_ctx *ctx, scl_model *m, const struct scl_sleep_params *p,
                                   const scl_dataset *ds, scl_gemm_engine gemm,
                                   struct scl_sleep_stats *stats);

/* ---------------------------------------------------------------- parameter search (host/search.c)
 */

/* One gene of the genetic search: a real value in [lo, hi], searched in log space when `log`
 * (rates, thresholds, step sizes: lo must be > 0), rounded when `integer`. */
struct scl_ga_gene {
    double lo, hi;
    int log;
    int integer;
};

/* The genetic algorithm. Obtain with scl_ga_default_params, override by name. */
struct scl_ga_params {
    int32_t population; /* candidates per generation, >= 2 */
    int32_t elite;      /* best candidates copied unchanged into the next generation */
    int32_t tournament; /* candidates drawn per parent selection; the fittest wins */
    double crossover;   /* probability that a child mixes two parents (uniform crossover) */
    double mutation;    /* probability that a gene of a child is mutated */
    double sigma;       /* mutation step: std of a normal step, as a share of the gene's range
                           (of log hi - log lo for log genes) */
    uint32_t seed;      /* the project generator's seed (purpose SCL_RNG_SEARCH) */
};
struct scl_ga_params scl_ga_default_params(void);

/* Clamp x[0..n_genes) into the genes' bounds and round integer genes. */
void scl_ga_clamp(const struct scl_ga_gene *genes, int32_t n_genes, double *x);
/* A uniform random candidate (log-uniform for log genes): the `index`-th of `generation`. */
void scl_ga_random(const struct scl_ga_params *p, const struct scl_ga_gene *genes, int32_t n_genes,
                   int32_t generation, int32_t index, double *x);
/*
 * The next generation: next[population][n_genes] from pop[population][n_genes] and its fitness
 * (higher is better; NaN counts as worst). The `elite` fittest come first, unchanged (ties to
 * the lower index); the others are children of tournament winners, crossed over and mutated,
 * clamped into bounds. Deterministic for (seed, generation). `generation` is the number of the
 * generation being made. SCL_ERR_ARG for bad parameters, SCL_ERR_NOMEM.
 */
scl_status scl_ga_next(const struct scl_ga_params *p, const struct scl_ga_gene *genes,
                       int32_t n_genes, const double *pop, const double *fitness,
                       int32_t generation, double *next);

/* ================================================================ tripartite sleep (host/vae)
 * NREM veridical replay, REM generative replay and synaptic downscaling (docs/METHOD.md
 * section 9): a variational autoencoder on the input (encoder of ReLU layers, Gaussian latent,
 * mirrored decoder with a sigmoid output and pixel-summed BCE) with a softmax classifier on its
 * last encoder layer, trained task by task with Adam (scl_train_params: lr, batch, seed, gemm,
 * adam_*). Before each task a frozen copy of the model is kept; with REM each iteration adds as
 * many replayed rows as current ones: z ~ N(0, I), decoded by the copy, labelled by the copy's
 * encoder and classifier with soft targets (temperature T) over every class it saw, which the
 * student matches with its softmax over every class seen so far (T^2-scaled distillation). */
#define SCL_TRI_MAX_HIDDEN 4

struct scl_tri_params {
    int32_t n_hidden;                   /* encoder layers, 1..SCL_TRI_MAX_HIDDEN; the decoder
                                           mirrors them */
    int32_t hidden[SCL_TRI_MAX_HIDDEN]; /* units per encoder layer, input side first */
    int32_t latent;                     /* Gaussian latent units */
    int32_t iterations;                 /* training iterations per task */
    int32_t eval_every;                 /* E: the callback runs every E iterations */
    int32_t rem;                        /* nonzero: REM generative replay from task 2 on */
    float downscale;                    /* p: share of smallest weights zeroed, [0, 1] */
    int32_t downscale_first;            /* nonzero: downscale before task 1 too */
    float temperature;                  /* distillation temperature T, > 0 */
};
struct scl_tri_params scl_tri_default_params(void);

typedef struct scl_tri scl_tri;
/* Called every eval_every iterations of a task and after its last (iteration 1-based);
 * anything but SCL_OK stops the task with that status. */
typedef scl_status (*scl_tri_fn)(scl_tri *t, int32_t task, int32_t iteration, void *user);

/* A fresh model for `inputs` values in [0, 1] per sample and `classes` classes; weights drawn
 * from train->seed (purpose SCL_RNG_INIT). train->optimizer must be SCL_OPTIMIZER_ADAM. */
scl_status scl_tri_create(scl_ctx *ctx, int32_t inputs, int32_t classes,
                          const struct scl_tri_params *p, const struct scl_train_params *train,
                          scl_tri **out);
void scl_tri_destroy(scl_tri *t);
/* Learn the next task from d (its labels < classes_seen, which never decreases from task to
 * task): keep the frozen copy, downscale, reset Adam, run p.iterations iterations. */
scl_status scl_tri_task(scl_tri *t, const scl_ddata *d, int32_t classes_seen, scl_tri_fn cb,
                        void *user);
/* pred[i] = the most probable class of sample i of d among the first classes_seen. */
scl_status scl_tri_predict(scl_tri *t, const scl_ddata *d, int32_t classes_seen, int32_t *pred);
/* n samples of the model's generator as it is now (z ~ N(0, I), decoded, sigmoid output) into
 * out[n][inputs]: what REM would replay of every class seen after the next task begins. The
 * draws are fixed by train->seed and the iterations run so far, apart from REM's own. */
scl_status scl_tri_sample(scl_tri *t, int32_t n, float *out);
/* The trainable weight matrices (biases aside), in the order encoder, latent head, classifier,
 * decoder: their count, and layer l's name and size (w may be NULL: size only). */
int32_t scl_tri_n_layers(const scl_tri *t);
scl_status scl_tri_layer(scl_tri *t, int32_t l, const char **name, int32_t *n, float *w);
/* The classifier path (input, encoder layers, classifier) as a bias-free scl_model of sizes
 * {inputs, hidden..., classes_seen}: the weights copied, the biases left out (they stay in t),
 * softmax output. For SRC's sleep (scl_sleep_model) on the tripartite model; caller owns *out. */
scl_status scl_tri_classifier_get(scl_tri *t, int32_t classes_seen, scl_model **out);
/* Write m's weights back into the encoder layers and the first m->sizes[L] classifier rows of t
 * (biases untouched); m must have the shape scl_tri_classifier_get gives. SCL_ERR_ARG else. */
scl_status scl_tri_classifier_set(scl_tri *t, const scl_model *m);

/* ---------------------------------------------------------------- convolutional feature extractor
 * The frozen front end of the tripartite sleep on CIFAR-100 (docs/METHOD.md section 9): 3x3
 * convolutions with one pixel of zero padding and ReLU, stride 1 for the first layer and 2 for
 * the others, then (for pre-training only) a linear softmax head. Trained with Adam
 * (scl_train_params: lr, batch, seed, gemm, adam_*), then used frozen: each image becomes the
 * last layer's output flattened as (y, x, channel). Images are the CIFAR readers' CHW floats. */
#define SCL_EXT_MAX_LAYERS 8

struct scl_extractor_params {
    int32_t in_channels;                  /* colour planes of an image (3) */
    int32_t side;                         /* image height = width (32) */
    int32_t n_layers;                     /* 1..SCL_EXT_MAX_LAYERS */
    int32_t channels[SCL_EXT_MAX_LAYERS]; /* output channels per layer */
};
/* CIFAR's 3 x 32 x 32 through 16, 32, 64, 128, 256 channels: 256 x 2 x 2 = 1024 features. */
struct scl_extractor_params scl_extractor_default_params(void);

typedef struct scl_extractor scl_extractor;
/* A fresh extractor with a head of `classes` outputs; weights U(+-1/sqrt(fan_in)) from
 * train->seed (purpose SCL_RNG_INIT). */
scl_status scl_extractor_create(scl_ctx *ctx, const struct scl_extractor_params *p, int32_t classes,
                                const struct scl_train_params *train, scl_extractor **out);
void scl_extractor_destroy(scl_extractor *e);
/* Values per feature vector: last channels x last side^2. */
int32_t scl_extractor_dim(const scl_extractor *e);
/* The shape it was created or loaded with. */
const struct scl_extractor_params *scl_extractor_shape(const scl_extractor *e);
/* `iterations` Adam steps of train->batch images from d (reshuffled each epoch), cross-entropy
 * of the head; *loss (may be NULL) = the mean loss of the last epoch's worth of steps. */
scl_status scl_extractor_train(scl_extractor *e, const scl_ddata *d, int32_t iterations,
                               double *loss);
/* The head's accuracy on ds. */
scl_status scl_extractor_accuracy(scl_extractor *e, const scl_dataset *ds, double *accuracy);
/* The feature vectors of ds (rows = 1, cols = dim, labels copied). Caller owns *out. */
scl_status scl_extractor_features(scl_extractor *e, const scl_dataset *ds, scl_dataset **out);
/* Safetensors: "convL.weight" [out][in][3][3], "convL.bias", "head.weight" [classes][dim],
 * "head.bias"; the shape in the metadata. Load refuses, with one line naming the file, any
 * tensor missing or of the wrong dtype, shape or extent, and non-finite values. */
scl_status scl_extractor_save(scl_extractor *e, const char *path, char *msg, size_t msg_len);
scl_status scl_extractor_load(scl_ctx *ctx, const char *path, const struct scl_train_params *train,
                              scl_extractor **out, char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif /* SLEEPCL_SLEEPCL_H */
