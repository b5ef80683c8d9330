/*
 * OpenCL environment: enumerate every device of every platform under one global index, choose
 * one by index or by a substring of "platform device", and create the context, the in-order
 * queue and the kernel program. The chosen device is logged once; asking for a device that does
 * not exist is one error line listing what exists.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_DEVICES 64

struct dev_entry {
    cl_platform_id platform;
    cl_device_id device;
    cl_device_type type;
    char platform_name[128];
    char name[128];
    char driver[64];
    char clc[64];
};

struct dev_list {
    struct dev_entry e[MAX_DEVICES];
    int n;
};

static void dev_str(cl_device_id d, cl_device_info what, char *buf, size_t len)
{
    if (clGetDeviceInfo(d, what, len, buf, NULL) != CL_SUCCESS)
        snprintf(buf, len, "?");
    buf[len - 1] = '\0';
}

static void add_platform_devices(struct dev_list *list, cl_platform_id p)
{
    cl_device_id ids[MAX_DEVICES];
    cl_uint n = 0;
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, MAX_DEVICES, ids, &n) != CL_SUCCESS)
        return;
    for (cl_uint i = 0; i < n && list->n < MAX_DEVICES; i++) {
        struct dev_entry *e = &list->e[list->n++];
        e->platform = p;
        e->device = ids[i];
        if (clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof(e->platform_name), e->platform_name,
                              NULL) != CL_SUCCESS)
            snprintf(e->platform_name, sizeof(e->platform_name), "?");
        e->platform_name[sizeof(e->platform_name) - 1] = '\0';
        dev_str(ids[i], CL_DEVICE_NAME, e->name, sizeof(e->name));
        dev_str(ids[i], CL_DRIVER_VERSION, e->driver, sizeof(e->driver));
        dev_str(ids[i], CL_DEVICE_OPENCL_C_VERSION, e->clc, sizeof(e->clc));
        if (clGetDeviceInfo(ids[i], CL_DEVICE_TYPE, sizeof(e->type), &e->type, NULL) != CL_SUCCESS)
            e->type = CL_DEVICE_TYPE_DEFAULT;
    }
}

static void list_devices(struct dev_list *list)
{
    cl_platform_id plats[16];
    cl_uint np = 0;
    list->n = 0;
    if (clGetPlatformIDs(16, plats, &np) != CL_SUCCESS)
        return;
    for (cl_uint i = 0; i < np && i < 16; i++)
        add_platform_devices(list, plats[i]);
}

static const char *type_name(cl_device_type t)
{
    if (t & CL_DEVICE_TYPE_GPU)
        return "GPU";
    if (t & CL_DEVICE_TYPE_CPU)
        return "CPU";
    if (t & CL_DEVICE_TYPE_ACCELERATOR)
        return "accelerator";
    return "other";
}

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* Index into list of the device `want` asks for, or -1. */
static int match_device(const struct dev_list *list, const char *want)
{
    if (!want || !*want)
        return list->n > 0 ? 0 : -1;
    if (all_digits(want)) {
        long i = strtol(want, NULL, 10);
        return i < list->n ? (int)i : -1;
    }
    for (int i = 0; i < list->n; i++) {
        char full[300];
        snprintf(full, sizeof(full), "%s %s", list->e[i].platform_name, list->e[i].name);
        if (contains_nocase(full, want))
            return i;
    }
    return -1;
}

static scl_status no_device(scl_ctx *ctx, const struct dev_list *list, const char *want)
{
    char avail[600] = "";
    size_t used = 0;
    for (int i = 0; i < list->n && used < sizeof(avail) - 1; i++) {
        int w = snprintf(avail + used, sizeof(avail) - used, "%s%d '%s'", i ? ", " : "", i,
                         list->e[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (list->n == 0)
        return scl_ctx_fail(
            ctx, SCL_ERR_NODEVICE,
            "no OpenCL device found (is an ICD such as pocl-opencl-icd installed?)");
    return scl_ctx_fail(ctx, SCL_ERR_NODEVICE, "no OpenCL device matches '%s'; available: %s", want,
                        avail);
}

scl_status scl_devices_print(FILE *f)
{
    struct dev_list list;
    list_devices(&list);
    for (int i = 0; i < list.n; i++) {
        const struct dev_entry *e = &list.e[i];
        fprintf(f, "%d: %s / %s  [%s, driver %s, %s]\n", i, e->platform_name, e->name,
                type_name(e->type), e->driver, e->clc);
    }
    return list.n ? SCL_OK : SCL_ERR_NODEVICE;
}

struct scl_ctx_params scl_ctx_default_params(void)
{
    static char cache[1024]; /* process-wide default, the same on every call */
    struct scl_ctx_params p = {0};
    scl_env_cache_dir(cache, sizeof(cache));
    p.device = scl_env_get(SCL_ENV_DEVICE);
    p.kernel_dir = scl_env_get(SCL_ENV_KERNEL_DIR);
    p.cache_dir = cache;
    const char *prof = scl_env_get(SCL_ENV_PROFILE);
    p.profile = prof && strcmp(prof, "0") != 0;
    return p;
}

static scl_status open_device(scl_ctx *ctx, const struct dev_entry *e, int profile)
{
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)e->platform, 0};
    ctx->platform = e->platform;
    ctx->device = e->device;
    ctx->is_cpu = (e->type & CL_DEVICE_TYPE_CPU) != 0;
    if (clGetDeviceInfo(e->device, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, sizeof(ctx->vector_width),
                        &ctx->vector_width, NULL) != CL_SUCCESS ||
        ctx->vector_width == 0)
        ctx->vector_width = 1;
    snprintf(ctx->desc, sizeof(ctx->desc), "%s / %s (%s, driver %s, %s)", e->platform_name, e->name,
             type_name(e->type), e->driver, e->clc);
    ctx->context = clCreateContext(props, 1, &e->device, NULL, NULL, &err);
    if (!SCL_CL_OK(ctx, err))
        return SCL_ERR_OPENCL;
    ctx->profile = profile != 0;
    ctx->queue = clCreateCommandQueue(ctx->context, e->device,
                                      ctx->profile ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
    if (!SCL_CL_OK(ctx, err))
        return SCL_ERR_OPENCL;
    return SCL_OK;
}

scl_status scl_ctx_create(const struct scl_ctx_params *params, scl_ctx **out)
{
    struct dev_list *list = NULL;
    scl_status st;
    scl_ctx *ctx = scl_calloc(1, sizeof(*ctx));
    *out = ctx;
    if (!ctx)
        return SCL_ERR_NOMEM;
    list = scl_alloc(sizeof(*list));
    if (!list)
        return SCL_ERR_NOMEM;
    list_devices(list);
    int i = match_device(list, params->device);
    if (i < 0) {
        st = no_device(ctx, list, params->device ? params->device : "");
        goto out_free_list;
    }
    st = open_device(ctx, &list->e[i], params->profile);
    if (st != SCL_OK)
        goto out_free_list;
    if (!params->quiet)
        SCL_LOG_INFO("cl", "device %d: %s", i, ctx->desc);
    st = scl_program_build(ctx, params);
out_free_list:
    scl_free(list);
    return st;
}

void scl_ctx_destroy(scl_ctx *ctx)
{
    if (!ctx)
        return;
    if (ctx->profile) /* asked for by the caller: the profile goes where the device line went */
        (void)scl_ctx_profile_print(ctx, stderr);
    scl_buf_release(&ctx->gemm_scratch);
    scl_prof_release(ctx);
    for (int i = ctx->n_kernels - 1; i >= 0; i--)
        clReleaseKernel(ctx->kernels[i].kernel);
    if (ctx->program)
        clReleaseProgram(ctx->program);
    if (ctx->queue)
        clReleaseCommandQueue(ctx->queue);
    if (ctx->context)
        clReleaseContext(ctx->context);
    scl_free(ctx);
}

const char *scl_ctx_device_desc(const scl_ctx *ctx)
{
    return ctx ? ctx->desc : "";
}

int scl_ctx_is_cpu(const scl_ctx *ctx)
{
    return ctx ? ctx->is_cpu : 0;
}

double scl_ctx_program_seconds(const scl_ctx *ctx, int *from_cache)
{
    if (from_cache)
        *from_cache = ctx ? ctx->program_from_cache : 0;
    return ctx ? ctx->program_seconds : 0.0;
}
