/*
 * The kernel program: the Philox prelude plus every cl/ kernel file, built once per context as one
 * OpenCL C 1.2 program. Sources are embedded in the binary; SCL_KERNEL_DIR loads the cl/ files
 * from a directory instead, so a kernel can be edited without rebuilding.
 *
 * Compiled programs are cached on disk under a key hashed from the sources, the build options,
 * the device, its driver and the platform version, so a second start skips the compile. The cache
 * file is written to a temporary name and renamed (never half-written); an unreadable or rejected
 * cache entry is ignored and the program is rebuilt from source without a word.
 *
 * The sources include cl/scl_contract.h, the constants and record layouts the host shares with
 * the kernels; with SCL_KERNEL_DIR it is read from there too, and the built program is checked
 * against the host's copy (scl_contract_check), so that a stale directory fails at start instead
 * of corrupting results.
 *
 * Build options are assembled in one place. No fast-math: the device/reference comparisons of the
 * tests depend on IEEE single-precision behaviour.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cl_sources.h"
#include "internal.h"

#define BUILD_OPTIONS "-cl-std=CL1.2"

struct sources {
    const char *text[64];
    size_t len[64];
    char *owned[64]; /* loaded from SCL_KERNEL_DIR, freed after the build */
    int n;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sources_free(struct sources *s)
{
    for (int i = 0; i < s->n; i++)
        scl_free(s->owned[i]);
}

static scl_status sources_collect(scl_ctx *ctx, const char *dir, struct sources *s)
{
    memset(s, 0, sizeof(*s));
    s->text[0] = scl_cl_prelude;
    s->len[0] = scl_cl_prelude_len;
    s->n = 1;
    for (int i = 0; i < scl_cl_n_sources && s->n < 64; i++, s->n++) {
        s->text[s->n] = scl_cl_sources[i].text;
        s->len[s->n] = scl_cl_sources[i].len;
        if (!dir)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, scl_cl_sources[i].name);
        if (scl_read_file(path, &s->owned[s->n], &s->len[s->n]) != SCL_OK)
            return scl_ctx_fail(ctx, SCL_ERR_IO, "%s: cannot read kernel (SCL_KERNEL_DIR)", path);
        s->text[s->n] = s->owned[s->n];
    }
    return SCL_OK;
}

/* FNV-1a, twice with different offsets, as a 128-bit cache key. */
static void hash_bytes(uint64_t h[2], const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h[0] = (h[0] ^ p[i]) * 0x100000001b3ULL;
        h[1] = (h[1] ^ p[i]) * 0x100000001b3ULL;
    }
    h[0] ^= n;
    h[1] += n;
}

static void hash_device_str(uint64_t h[2], scl_ctx *ctx, cl_device_info what)
{
    char buf[256] = "";
    clGetDeviceInfo(ctx->device, what, sizeof(buf) - 1, buf, NULL);
    hash_bytes(h, buf, strlen(buf));
}

static void cache_path(scl_ctx *ctx, const struct sources *s, const char *dir, char *path,
                       size_t len)
{
    uint64_t h[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
    char plat[256] = "";
    for (int i = 0; i < s->n; i++)
        hash_bytes(h, s->text[i], s->len[i]);
    hash_bytes(h, BUILD_OPTIONS, strlen(BUILD_OPTIONS));
    hash_device_str(h, ctx, CL_DEVICE_NAME);
    hash_device_str(h, ctx, CL_DEVICE_VERSION);
    hash_device_str(h, ctx, CL_DRIVER_VERSION);
    clGetPlatformInfo(ctx->platform, CL_PLATFORM_VERSION, sizeof(plat) - 1, plat, NULL);
    hash_bytes(h, plat, strlen(plat));
    snprintf(path, len, "%s/%016llx%016llx.clbin", dir, (unsigned long long)h[0],
             (unsigned long long)h[1]);
}

static void mkdir_p(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    }
    mkdir(tmp, 0755);
}

static bool load_cached(scl_ctx *ctx, const char *path)
{
    size_t len = 0;
    cl_int err, bin_status;
    char *file = NULL;
    if (scl_read_file(path, &file, &len) != SCL_OK)
        return false;
    unsigned char *bin = (unsigned char *)file;
    const unsigned char *bins[1] = {bin};
    cl_program p =
        clCreateProgramWithBinary(ctx->context, 1, &ctx->device, &len, bins, &bin_status, &err);
    scl_free(bin);
    if (err != CL_SUCCESS || bin_status != CL_SUCCESS)
        return false;
    if (clBuildProgram(p, 1, &ctx->device, BUILD_OPTIONS, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(p);
        return false;
    }
    ctx->program = p;
    return true;
}

static void store_cached(scl_ctx *ctx, const char *dir, const char *path)
{
    size_t size = 0;
    if (clGetProgramInfo(ctx->program, CL_PROGRAM_BINARY_SIZES, sizeof(size), &size, NULL) !=
            CL_SUCCESS ||
        size == 0)
        return;
    unsigned char *bin = scl_alloc(size);
    if (!bin)
        return;
    unsigned char *bins[1] = {bin};
    if (clGetProgramInfo(ctx->program, CL_PROGRAM_BINARIES, sizeof(bins), bins, NULL) ==
        CL_SUCCESS) {
        mkdir_p(dir);
        scl_atomic_write(path, bin, size); /* a failed cache write only costs a rebuild */
    }
    scl_free(bin);
}

static scl_status build_log_fail(scl_ctx *ctx)
{
    size_t n = 0;
    char *log = NULL;
    clGetProgramBuildInfo(ctx->program, ctx->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &n);
    log = scl_alloc(n + 1);
    if (log) {
        log[0] = '\0';
        clGetProgramBuildInfo(ctx->program, ctx->device, CL_PROGRAM_BUILD_LOG, n, log, NULL);
        log[n] = '\0';
    }
    /* The whole log goes to the error channel; the one-line error names device and options. */
    SCL_LOG(SCL_LOG_LEVEL_ERROR, "cl", "build log:\n%s", log ? log : "(unavailable)");
    scl_free(log);
    return scl_ctx_fail(ctx, SCL_ERR_OPENCL, "kernel build failed on '%s' with \"%s\" (log above)",
                        ctx->desc, BUILD_OPTIONS);
}

static scl_status build_source(scl_ctx *ctx, const struct sources *s)
{
    cl_int err;
    ctx->program = clCreateProgramWithSource(ctx->context, (cl_uint)s->n, (const char **)s->text,
                                             s->len, &err);
    if (!SCL_CL_OK(ctx, err))
        return SCL_ERR_OPENCL;
    SCL_LOG_DEBUG("cl", "building kernels with \"%s\"", BUILD_OPTIONS);
    err = clBuildProgram(ctx->program, 1, &ctx->device, BUILD_OPTIONS, NULL, NULL);
    if (err != CL_SUCCESS)
        return build_log_fail(ctx);
    return SCL_OK;
}

scl_status scl_program_build(scl_ctx *ctx, const struct scl_ctx_params *params)
{
    struct sources s;
    char path[1100] = "";
    double t0 = now_seconds();
    scl_status st = sources_collect(ctx, params->kernel_dir, &s);
    if (st != SCL_OK)
        goto out_free_sources;
    if (params->cache_dir)
        cache_path(ctx, &s, params->cache_dir, path, sizeof(path));
    ctx->program_from_cache = path[0] && load_cached(ctx, path);
    if (!ctx->program_from_cache) {
        st = build_source(ctx, &s);
        if (st == SCL_OK && path[0])
            store_cached(ctx, params->cache_dir, path);
    }
    ctx->program_seconds = now_seconds() - t0;
    SCL_LOG_DEBUG("cl", "program %s in %.3f s", ctx->program_from_cache ? "loaded" : "built",
                  ctx->program_seconds);
    /* Kernels read from a directory may come with another scl_contract.h than the host's. */
    if (st == SCL_OK && params->kernel_dir)
        st = scl_contract_check(ctx);
out_free_sources:
    sources_free(&s);
    return st;
}

scl_status scl_kernel_slot_get(scl_ctx *ctx, const char *name, const struct scl_kernel_slot **out)
{
    cl_int err;
    for (int i = 0; i < ctx->n_kernels; i++) {
        if (strcmp(ctx->kernels[i].name, name) == 0) {
            *out = &ctx->kernels[i];
            return SCL_OK;
        }
    }
    if (ctx->n_kernels == SCL_MAX_KERNELS)
        return scl_ctx_fail(ctx, SCL_ERR_OPENCL, "too many kernels (raise SCL_MAX_KERNELS)");
    struct scl_kernel_slot s = {.name = name};
    s.kernel = clCreateKernel(ctx->program, name, &err);
    if (!SCL_CL_OK(ctx, err))
        return SCL_ERR_OPENCL;
    if (!SCL_CL_OK(ctx, clGetKernelInfo(s.kernel, CL_KERNEL_NUM_ARGS, sizeof(s.n_args), &s.n_args,
                                        NULL))) {
        clReleaseKernel(s.kernel);
        return SCL_ERR_OPENCL;
    }
    ctx->kernels[ctx->n_kernels] = s;
    *out = &ctx->kernels[ctx->n_kernels++];
    return SCL_OK;
}

scl_status scl_kernel_get(scl_ctx *ctx, const char *name, cl_kernel *out)
{
    const struct scl_kernel_slot *s;
    scl_status st = scl_kernel_slot_get(ctx, name, &s);
    if (st == SCL_OK)
        *out = s->kernel;
    return st;
}

/* The name a kernel was created under (for the profile). */
static const char *kernel_name(const scl_ctx *ctx, cl_kernel k)
{
    for (int i = 0; i < ctx->n_kernels; i++)
        if (ctx->kernels[i].kernel == k)
            return ctx->kernels[i].name;
    return "(unnamed kernel)";
}

scl_status scl_kernel_run(scl_ctx *ctx, cl_kernel k, cl_uint dims, const size_t *global,
                          const size_t *local)
{
    cl_event *ev = ctx->profile ? scl_prof_event(ctx, kernel_name(ctx, k)) : NULL;
    if (!SCL_CL_OK(ctx,
                   clEnqueueNDRangeKernel(ctx->queue, k, dims, NULL, global, local, 0, NULL, ev)))
        return SCL_ERR_OPENCL;
    scl_prof_enqueued(ctx, ev);
    return SCL_OK;
}

scl_status scl_ctx_rng_fill(scl_ctx *ctx, uint32_t seed, scl_rng_purpose purpose, uint32_t step,
                            uint32_t stream, uint32_t n, uint32_t *out)
{
    scl_ctx_clear_error(ctx);
    cl_kernel k;
    cl_mem buf = NULL;
    cl_uint purp = (cl_uint)purpose;
    size_t global = n ? n : 1;
    scl_status st = scl_kernel_get(ctx, "scl_rng_fill", &k);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, (size_t)n * 16, NULL, &buf);
    if (st != SCL_OK)
        return st;
    if (!SCL_ARG(ctx, k, 0, buf) || !SCL_ARG(ctx, k, 1, seed) || !SCL_ARG(ctx, k, 2, purp) ||
        !SCL_ARG(ctx, k, 3, step) || !SCL_ARG(ctx, k, 4, stream) || !SCL_ARG(ctx, k, 5, n)) {
        st = SCL_ERR_OPENCL;
        goto out_release_buf;
    }
    st = scl_kernel_run(ctx, k, 1, &global, NULL);
    if (st == SCL_OK)
        st = scl_buf_read(ctx, buf, 0, (size_t)n * 16, out);
out_release_buf:
    scl_buf_release(&buf);
    return st;
}
