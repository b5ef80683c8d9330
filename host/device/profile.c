/*
 * Where the device time goes: with scl_ctx_params.profile (SCL_PROFILE=1) the queue records a
 * start and end time for every command sleepcl enqueues (our kernels through scl_kernel_run, the
 * CLBlast GEMMs through their event), summed per kernel name (with the label set meanwhile, such
 * as a GEMM's shape) and printed by scl_ctx_profile_print. Events are collected in batches and
 * resolved when the batch is full or the profile is read, so the host keeps enqueueing ahead of the
 * device as it does unprofiled; what profiling costs is the device's own timestamping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Where the commands go once the table is full (a run of many product shapes), so that the
 * total still counts them. */
static const char overflow_name[] = "(names past the table's room)";

/* The entry named `name`, or NULL. */
static struct scl_prof_entry *find(struct scl_profile *p, const char *name)
{
    for (int i = 0; i < p->n_entries; i++)
        if (strcmp(p->entries[i].name, name) == 0)
            return &p->entries[i];
    return NULL;
}

/* The entry of `name` and the current label, added on first use; the last slot of the table
 * collects every name that finds no room. */
static struct scl_prof_entry *entry(scl_ctx *ctx, const char *name)
{
    struct scl_profile *p = &ctx->prof;
    char full[SCL_PROF_NAME];
    snprintf(full, sizeof full, p->label[0] ? "%s %s" : "%s", name, p->label);
    struct scl_prof_entry *e = find(p, full);
    if (e)
        return e;
    if (p->n_entries >= SCL_PROF_ENTRIES - 1) {
        snprintf(full, sizeof full, "%s", overflow_name);
        if ((e = find(p, full)))
            return e;
    }
    e = &p->entries[p->n_entries++];
    *e = (struct scl_prof_entry){0};
    memcpy(e->name, full, sizeof full);
    return e;
}

/* Wait for the pending events and add their durations to their entries. */
static scl_status flush(scl_ctx *ctx)
{
    struct scl_profile *p = &ctx->prof;
    scl_status st = SCL_OK;
    if (p->n_pending > 0 && !SCL_CL_OK(ctx, clWaitForEvents((cl_uint)p->n_pending, p->pending)))
        st = SCL_ERR_OPENCL;
    for (int i = 0; i < p->n_pending; i++) {
        cl_ulong t0 = 0, t1 = 0;
        if (st == SCL_OK &&
            clGetEventProfilingInfo(p->pending[i], CL_PROFILING_COMMAND_START, sizeof(t0), &t0,
                                    NULL) == CL_SUCCESS &&
            clGetEventProfilingInfo(p->pending[i], CL_PROFILING_COMMAND_END, sizeof(t1), &t1,
                                    NULL) == CL_SUCCESS &&
            t1 >= t0) {
            p->pending_entry[i]->ns += (double)(t1 - t0);
            p->pending_entry[i]->calls++;
        }
        clReleaseEvent(p->pending[i]);
    }
    p->n_pending = 0;
    return st;
}

cl_event *scl_prof_event(scl_ctx *ctx, const char *name)
{
    struct scl_profile *p = &ctx->prof;
    if (!ctx->profile || (p->n_pending == SCL_PROF_PENDING && flush(ctx) != SCL_OK))
        return NULL;
    p->pending_entry[p->n_pending] = entry(ctx, name);
    p->pending[p->n_pending] = NULL;
    return &p->pending[p->n_pending];
}

void scl_prof_enqueued(scl_ctx *ctx, cl_event *ev)
{
    if (ev && *ev)
        ctx->prof.n_pending++;
}

void scl_prof_label(scl_ctx *ctx, const char *label)
{
    snprintf(ctx->prof.label, sizeof ctx->prof.label, "%s", label ? label : "");
}

void scl_prof_release(scl_ctx *ctx)
{
    for (int i = 0; i < ctx->prof.n_pending; i++)
        clReleaseEvent(ctx->prof.pending[i]);
    ctx->prof.n_pending = 0;
}

static int by_time(const void *a, const void *b)
{
    double x = ((const struct scl_prof_entry *)a)->ns, y = ((const struct scl_prof_entry *)b)->ns;
    return (x < y) - (x > y);
}

scl_status scl_ctx_profile_print(scl_ctx *ctx, FILE *f)
{
    if (!ctx || !ctx->profile)
        return SCL_OK;
    scl_ctx_clear_error(ctx);
    scl_status st = flush(ctx);
    struct scl_prof_entry sorted[SCL_PROF_ENTRIES];
    int n = ctx->prof.n_entries;
    double total = 0.0;
    memcpy(sorted, ctx->prof.entries, sizeof(sorted[0]) * (size_t)n);
    qsort(sorted, (size_t)n, sizeof(sorted[0]), by_time);
    for (int i = 0; i < n; i++)
        total += sorted[i].ns;
    int w = 28; /* the name column: as wide as the longest name */
    for (int i = 0; i < n; i++)
        w = (int)strlen(sorted[i].name) > w ? (int)strlen(sorted[i].name) : w;
    fprintf(f, "profile: %-*s %10s %12s %10s %7s\n", w, "kernel", "calls", "total ms", "mean us",
            "share");
    for (int i = 0; i < n; i++)
        fprintf(f, "profile: %-*s %10llu %12.3f %10.2f %6.1f%%\n", w, sorted[i].name,
                (unsigned long long)sorted[i].calls, 1e-6 * sorted[i].ns,
                sorted[i].calls ? 1e-3 * sorted[i].ns / (double)sorted[i].calls : 0.0,
                total > 0 ? 100.0 * sorted[i].ns / total : 0.0);
    fprintf(f, "profile: %-*s %10s %12.3f (device time of the commands above)\n", w, "all", "",
            1e-6 * total);
    return st;
}

void scl_ctx_profile_reset(scl_ctx *ctx)
{
    if (!ctx || !ctx->profile)
        return;
    (void)flush(ctx);
    ctx->prof.n_entries = 0;
}
