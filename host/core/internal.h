/*
 * Private declarations shared by the files of libsleepcl. Not installed, not part of the API.
 *
 * The context (struct scl_ctx) owns the OpenCL objects: platform/device ids, context, queue,
 * the one program built from every cl/ kernel file, and a small table of kernels created from it
 * on first use. Errors are recorded into ctx->err by scl_ctx_fail and the SCL_CL_OK check.
 */
#ifndef SLEEPCL_INTERNAL_H
#define SLEEPCL_INTERNAL_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdbool.h>

#include "sleepcl/sleepcl.h"

#define SCL_ERR_LEN     1024
#define SCL_MAX_KERNELS 64

#if defined(__GNUC__)
#define SCL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SCL_PRINTF(f, a)
#endif

struct scl_kernel_slot {
    const char *name; /* static string from the caller */
    cl_kernel kernel;
    cl_uint n_args; /* CL_KERNEL_NUM_ARGS, read once when the kernel is created */
};

/* Device time per kernel name when profiling (profile.c). */
#define SCL_PROF_ENTRIES 192 /* kernel names (each with its label), with room for CLBlast's */
#define SCL_PROF_PENDING 256 /* events resolved together */
#define SCL_PROF_NAME    64  /* an entry's name: the kernel's, a space and the label */
#define SCL_PROF_LABEL   32  /* what the commands enqueued meanwhile serve, e.g. a GEMM's shape */
struct scl_prof_entry {
    char name[SCL_PROF_NAME];
    double ns;
    unsigned long long calls;
};
struct scl_profile {
    struct scl_prof_entry entries[SCL_PROF_ENTRIES];
    int n_entries;
    char label[SCL_PROF_LABEL]; /* empty, or appended to the names of commands enqueued now */
    cl_event pending[SCL_PROF_PENDING];
    struct scl_prof_entry *pending_entry[SCL_PROF_PENDING];
    int n_pending;
};

struct scl_ctx {
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    cl_program program;
    struct scl_kernel_slot kernels[SCL_MAX_KERNELS];
    int n_kernels;
    cl_mem gemm_scratch;       /* gemm.c: transposed operand, grown on demand */
    size_t gemm_scratch_bytes; /* its size */
    int is_cpu;
    cl_uint vector_width; /* CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT (1 if the device gives none) */
    int profile;          /* scl_ctx_params.profile: the queue times every command */
    struct scl_profile prof;
    int program_from_cache;
    double program_seconds;
    char desc[512];
    char err[SCL_ERR_LEN];
};

/* ---- errors (status.c) */
/* Record a formatted one-line message in ctx->err and return st. ctx may be NULL. */
scl_status scl_ctx_fail(scl_ctx *ctx, scl_status st, const char *fmt, ...) SCL_PRINTF(3, 4);
/* Every public function that takes a context (or a handle holding one) calls this first, so
 * that scl_ctx_last_error describes the latest call: "" after a success, never a stale failure. */
void scl_ctx_clear_error(scl_ctx *ctx);
/* Format into a caller's (msg, len) pair and return st; for functions without a context. */
scl_status scl_msg_fail(char *msg, size_t len, scl_status st, const char *fmt, ...)
    SCL_PRINTF(4, 5);

/* ---- OpenCL checks (cl_check.c) */
const char *scl_cl_errname(cl_int err);
/* True on CL_SUCCESS; otherwise records "file:line: expr -> NAME (code)" in ctx. */
bool scl_cl_check_(scl_ctx *ctx, cl_int err, const char *expr, const char *file, int line);
#define SCL_CL_OK(ctx, expr) scl_cl_check_((ctx), (expr), #expr, __FILE__, __LINE__)

/* ---- logging (log.c) */
bool scl_log_enabled(scl_log_level level);
void scl_log_(scl_log_level level, const char *sub, const char *fmt, ...) SCL_PRINTF(3, 4);
#define SCL_LOG(level, sub, ...)                   \
    do {                                           \
        if (scl_log_enabled(level))                \
            scl_log_((level), (sub), __VA_ARGS__); \
    } while (0)
#define SCL_LOG_DEBUG(sub, ...) SCL_LOG(SCL_LOG_LEVEL_DEBUG, sub, __VA_ARGS__)
#define SCL_LOG_INFO(sub, ...)  SCL_LOG(SCL_LOG_LEVEL_INFO, sub, __VA_ARGS__)
#define SCL_LOG_WARN(sub, ...)  SCL_LOG(SCL_LOG_LEVEL_WARN, sub, __VA_ARGS__)

/* ---- allocation (alloc.c): every heap allocation goes through here so tests can fail them */
void *scl_alloc(size_t n);
void *scl_calloc(size_t count, size_t size);
/* Test hook: the n-th allocation from now (0 = the next) and all later ones fail; -1 = never. */
void scl_test_fail_alloc_after(long n);

/* ---- sleep engine (sleep.c) */
/* Bytes of weights one step of a sleep touches on the device (in whole SCL_SLEEP_VEC-float
 * blocks, a 64-byte cache line each, read or written) with spikes[l] spikes in layer l = 0..L:
 * the rows and columns of each W_l its spike lists select, in the layout sleep.c stores W_l in.
 * A traffic model for the benchmark, which divides it by the time of a step. */
double scl_sleep_step_bytes(const int32_t *sizes, int32_t n_layers, const double *spikes);

/* ---- environment (env.c): the only place that reads environment variables */
enum scl_env_var {
    SCL_ENV_DEVICE,
    SCL_ENV_KERNEL_DIR,
    SCL_ENV_CACHE_DIR,
    SCL_ENV_DATA_DIR,
    SCL_ENV_PROFILE,
    SCL_ENV_COUNT
};
/* The variable's value, or NULL when unset or empty. */
const char *scl_env_get(enum scl_env_var var);
/* Program cache: $SCL_CACHE_DIR, else ${XDG_CACHE_HOME:-~/.cache}/sleepcl/kernels. */
void scl_env_cache_dir(char *buf, size_t len);

/* ---- safetensors files (host/data/safetensors.c): models and feature sets share the header
 * checks. A file is read whole; body is the data region after the JSON header. */
struct cJSON;
struct scl_st_file {
    unsigned char *blob; /* the whole file, scl_free'd by scl_st_close */
    size_t len;
    struct cJSON *root; /* the header, a JSON object */
    const unsigned char *body;
    size_t body_len;
};
/* Read path and check the 8-byte length, the JSON object and the host's byte order. */
scl_status scl_st_open(const char *path, struct scl_st_file *f, char *msg, size_t len);
void scl_st_close(struct scl_st_file *f);
/* The formats are little-endian; so is every host OpenCL runs on today (checked anyway). */
bool scl_st_little_endian(void);
/* The header text of a file being written: root printed without spaces and padded with spaces
 * to a multiple of 8 bytes (the format's alignment); *len is its length. Takes root (deleted);
 * NULL when out of memory. The caller frees the text. */
char *scl_st_header_text(struct cJSON *root, size_t *len);

/* ---- program and kernels (program.c) */
/* Build or load the one program of all kernels; records timings in ctx. */
scl_status scl_program_build(scl_ctx *ctx, const struct scl_ctx_params *params);
/* The kernel `name` (a static string), created on first use and owned by ctx. */
scl_status scl_kernel_get(scl_ctx *ctx, const char *name, cl_kernel *out);
/* The same, as its slot (the kernel with its argument count). */
scl_status scl_kernel_slot_get(scl_ctx *ctx, const char *name, const struct scl_kernel_slot **out);
/* Enqueue a 1-D or 2-D kernel with a global size and no local size (NULL lets the runtime pick).
 * dims: 1 or 2. */
scl_status scl_kernel_run(scl_ctx *ctx, cl_kernel k, cl_uint dims, const size_t *global,
                          const size_t *local);
/* Profiling (profile.c). Before enqueueing a command named `name`: the event to pass, or NULL
 * when not profiling; after enqueueing it, scl_prof_enqueued keeps the event if one was made. */
cl_event *scl_prof_event(scl_ctx *ctx, const char *name);
void scl_prof_enqueued(scl_ctx *ctx, cl_event *ev);
/* While a label is set (NULL clears it) every command profiled is summed under its name and the
 * label: the GEMM layer labels its kernels with the product's shape, so that each product of a
 * training step gets its own line. */
void scl_prof_label(scl_ctx *ctx, const char *label);
/* Release the events not yet resolved (scl_ctx_destroy). */
void scl_prof_release(scl_ctx *ctx);
/* Compare the host/device contract (cl/scl_contract.h) as the device compiled it with the
 * host's (contract.c): SCL_ERR_DATA naming the first value that differs. */
scl_status scl_contract_check(scl_ctx *ctx);

/* ---- models (model.c) */
/* Synaptic downscaling of one weight matrix of n values: zero the floor(fraction n) of smallest
 * magnitude (scl_model_downscale per layer; every trainable layer of host/vae). */
scl_status scl_weights_downscale(float *w, size_t n, double fraction);

/* ---- training (train.c) */
/* Fisher-Yates permutation of 0..n-1 from the project generator (purpose SCL_RNG_SHUFFLE,
 * step = epoch): the same permutation for the same (seed, epoch) everywhere. */
void scl_shuffle(int32_t *perm, int32_t n, uint32_t seed, uint32_t epoch);
/* The same with generator stream `stream` (scl_shuffle is stream 0; rehearsal memories use
 * streams from 1). */
void scl_shuffle_stream(int32_t *perm, int32_t n, uint32_t seed, uint32_t epoch, uint32_t stream);

/* ---- buffers (buffer.c) */
scl_status scl_buf_create(scl_ctx *ctx, size_t bytes, const void *host, cl_mem *out);
scl_status scl_buf_read(scl_ctx *ctx, cl_mem buf, size_t offset, size_t bytes, void *dst);
scl_status scl_buf_write(scl_ctx *ctx, cl_mem buf, size_t offset, size_t bytes, const void *src);
scl_status scl_buf_fill_zero(scl_ctx *ctx, cl_mem buf, size_t bytes);
void scl_buf_release(cl_mem *buf);

/* Set kernel argument i from a value; records the failure in ctx. */
#define SCL_ARG(ctx, k, i, v) SCL_CL_OK((ctx), clSetKernelArg((k), (i), sizeof(v), &(v)))

#endif /* SLEEPCL_INTERNAL_H */
