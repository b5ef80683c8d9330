/* The property the config targets share: a config's dump loads back to the same config. */
#ifndef SLEEPCL_FUZZ_CFG_ROUNDTRIP_H
#define SLEEPCL_FUZZ_CFG_ROUNDTRIP_H

#include "config.h"

/* scl_cfg_dump of cfg, loaded into a fresh default config, gives the same scl_cfg_hash and the
 * same dump text; validation agrees. Aborts through scl_fuzz_fail otherwise. */
void scl_fuzz_cfg_roundtrip(const struct scl_config *cfg);

#endif
