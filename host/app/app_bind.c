/*
 * The application layer's entry points for bindings (include/sleepcl/sleepcl_app.h, exported by
 * libsleepcl-app): a config read by the program's own parser, handed back as the library's
 * parameters or as one key's text. Nothing here prints: the caller gets the message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "sleepcl/sleepcl_app.h"

/* The configuration `sleepcl CMD -c path --set ...` would run with, in a heap block (struct
 * scl_config is several kilobytes: too much for a binding's thread stack). */
static scl_status build(const char *path, const char *const *sets, int n_sets,
                        struct scl_config **out, char *msg, size_t msg_len)
{
    *out = NULL;
    if (msg && msg_len)
        msg[0] = '\0';
    if (n_sets < 0 || (n_sets > 0 && !sets)) {
        snprintf(msg, msg_len, "config: bad list of overrides");
        return SCL_ERR_ARG;
    }
    struct scl_config *cfg = malloc(sizeof(*cfg));
    if (!cfg) {
        snprintf(msg, msg_len, "config: out of memory");
        return SCL_ERR_NOMEM;
    }
    scl_status st = scl_cfg_build(cfg, path, sets, n_sets, msg, msg_len);
    if (st != SCL_OK) {
        free(cfg);
        return st;
    }
    *out = cfg;
    return SCL_OK;
}

scl_status scl_cfg_sleep_params_from_file(const char *path, const char *const *sets, int n_sets,
                                          struct scl_sleep_params *out, size_t out_size, char *msg,
                                          size_t msg_len)
{
    struct scl_config *cfg = NULL;
    if (!out || out_size != sizeof(*out)) {
        snprintf(msg, msg_len,
                 "struct scl_sleep_params is %zu bytes in this library, the caller's %zu: the "
                 "binding was made for another version of sleepcl.h",
                 sizeof(*out), out_size);
        return SCL_ERR_ARG;
    }
    scl_status st = build(path, sets, n_sets, &cfg, msg, msg_len);
    if (st == SCL_OK)
        *out = scl_app_sleep_params(cfg, cfg->run.seed, 1); /* as scl_app_sleep_file */
    free(cfg);
    return st;
}

scl_status scl_cfg_file_get(const char *path, const char *const *sets, int n_sets, const char *key,
                            char *buf, size_t n, char *msg, size_t msg_len)
{
    struct scl_config *cfg = NULL;
    if (!key || !buf) {
        snprintf(msg, msg_len, "config: no key or no buffer");
        return SCL_ERR_ARG;
    }
    scl_status st = build(path, sets, n_sets, &cfg, msg, msg_len);
    if (st == SCL_OK && (st = scl_cfg_get(cfg, key, buf, n)) != SCL_OK)
        snprintf(msg, msg_len, "config: unknown key '%s'", key ? key : "(null)");
    free(cfg);
    return st;
}
