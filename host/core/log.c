/*
 * Level-filtered logging. The library never prints: it hands each line to the callback that
 * the program installed (the CLI installs a stderr printer). The level check comes before any
 * formatting, so disabled debug lines cost one comparison.
 */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static scl_log_fn log_fn;
static void *log_user;
static scl_log_level log_level = SCL_LOG_LEVEL_INFO;

void scl_set_log_callback(scl_log_fn fn, void *user)
{
    log_fn = fn;
    log_user = user;
}

void scl_set_log_level(scl_log_level level)
{
    log_level = level;
}

bool scl_log_enabled(scl_log_level level)
{
    return log_fn && level >= log_level;
}

void scl_log_(scl_log_level level, const char *sub, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (log_fn)
        log_fn(level, sub, line, log_user);
}
