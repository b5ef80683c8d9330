/*
 * The environment variables sleepcl reads, declared once: name and help. This is the only file
 * that calls getenv, so --help can list every variable and nothing reads the environment behind
 * the user's back.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static const struct {
    const char *name;
    const char *help;
} env_table[SCL_ENV_COUNT] = {
    [SCL_ENV_DEVICE] = {"SCL_DEVICE", "OpenCL device: global index or name substring"},
    [SCL_ENV_KERNEL_DIR] = {"SCL_KERNEL_DIR", "read kernels from this directory, not the binary"},
    [SCL_ENV_CACHE_DIR] = {"SCL_CACHE_DIR", "compiled-program cache (default ~/.cache/sleepcl)"},
    [SCL_ENV_DATA_DIR] = {"SCL_DATA_DIR", "datasets (default ~/.cache/sleepcl/data)"},
    [SCL_ENV_PROFILE] = {"SCL_PROFILE", "1: time every device command, print per kernel at exit"},
};

const char *scl_env_get(enum scl_env_var var)
{
    if ((unsigned)var >= SCL_ENV_COUNT)
        return NULL;
    const char *v = getenv(env_table[var].name); /* NOLINT(concurrency-mt-unsafe) */
    return (v && *v) ? v : NULL;
}

void scl_env_print_help(FILE *f)
{
    fprintf(f, "Environment:\n");
    for (int i = 0; i < SCL_ENV_COUNT; i++)
        fprintf(f, "  %-16s %s\n", env_table[i].name, env_table[i].help);
}

/* ${XDG_CACHE_HOME:-$HOME/.cache}/sleepcl/<sub>, the default home of data and caches. */
static void default_under_cache(const char *sub, char *buf, size_t len)
{
    const char *xdg = getenv("XDG_CACHE_HOME"); /* NOLINT(concurrency-mt-unsafe) */
    const char *home = getenv("HOME");          /* NOLINT(concurrency-mt-unsafe) */
    if (xdg && *xdg)
        snprintf(buf, len, "%s/sleepcl/%s", xdg, sub);
    else
        snprintf(buf, len, "%s/.cache/sleepcl/%s", home && *home ? home : ".", sub);
}

/* The variable's value, or its default under the cache directory. */
static void dir_or_default(enum scl_env_var var, const char *sub, char *buf, size_t len)
{
    const char *v = scl_env_get(var);
    if (v)
        snprintf(buf, len, "%s", v);
    else
        default_under_cache(sub, buf, len);
}

void scl_env_data_dir(char *buf, size_t len)
{
    dir_or_default(SCL_ENV_DATA_DIR, "data", buf, len);
}

void scl_env_cache_dir(char *buf, size_t len)
{
    dir_or_default(SCL_ENV_CACHE_DIR, "kernels", buf, len);
}
