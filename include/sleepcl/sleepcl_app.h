/*
 * sleepcl_app.h: the few entry points of the application layer (libsleepcl-app) that a binding
 * needs and cannot have from libsleepcl alone. Config files are read by the program's one
 * parser (host/app/config.c: schema, includes, bounds, messages), so that a binding, the
 * Python package for one, reads a config exactly as `sleepcl` does instead of parsing it again.
 * Conventions as in sleepcl.h: scl_status results, one-line messages in the caller's buffer.
 */
#ifndef SLEEPCL_SLEEPCL_APP_H
#define SLEEPCL_SLEEPCL_APP_H

#include <stddef.h>

#include "sleepcl/sleepcl.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The sleep parameters `sleepcl sleep -c path --set sets[0] ...` sleeps with: the config file
 * (NULL = the defaults alone) with its includes, then the overrides sets[0..n_sets)
 * ("section.key=value"), validated, as struct scl_sleep_params with seed = run.seed. out_size
 * must be sizeof(struct scl_sleep_params): a caller that mirrors the struct from another version
 * of this header gets SCL_ERR_ARG, not a misread struct. SCL_ERR_CONFIG with the parser's
 * message ("FILE:LINE: [section] key: problem"), SCL_ERR_NOMEM; msg is "" on success.
 */
scl_status scl_cfg_sleep_params_from_file(const char *path, const char *const *sets, int n_sets,
                                          struct scl_sleep_params *out, size_t out_size, char *msg,
                                          size_t msg_len);

/*
 * The value of key "section.key" (e.g. "device.device", "train.gemm") in the same
 * configuration, written to buf[n] as `sleepcl config --dump` writes it (enum names, lists with
 * commas). Errors as above, and SCL_ERR_ARG for an unknown key.
 */
scl_status scl_cfg_file_get(const char *path, const char *const *sets, int n_sets, const char *key,
                            char *buf, size_t n, char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif /* SLEEPCL_SLEEPCL_APP_H */
