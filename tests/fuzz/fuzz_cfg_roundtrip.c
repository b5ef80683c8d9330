/* dump -> load -> same config (fuzz_cfg_roundtrip.h). */
#include "fuzz_cfg_roundtrip.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

static char *dump_text(const struct scl_config *cfg)
{
    size_t len = scl_cfg_dump(cfg, NULL, 0);
    char *text = malloc(len + 1);
    if (!text)
        abort();
    scl_cfg_dump(cfg, text, len + 1);
    return text;
}

void scl_fuzz_cfg_roundtrip(const struct scl_config *cfg)
{
    char path[512], msg[1024] = "", hash[SCL_CFG_HASH_LEN], hash2[SCL_CFG_HASH_LEN];
    struct scl_config back;
    char *text = dump_text(cfg);
    scl_fuzz_path("dump.ini", path, sizeof(path));
    scl_fuzz_write(path, text, strlen(text));
    scl_cfg_defaults(&back);
    if (scl_cfg_load(&back, path, msg, sizeof(msg)) != SCL_OK)
        scl_fuzz_fail("the dump does not load back: %s\n--- dump:\n%s", msg, text);
    scl_cfg_hash(cfg, hash);
    scl_cfg_hash(&back, hash2);
    char *text2 = dump_text(&back);
    if (strcmp(hash, hash2) != 0 || strcmp(text, text2) != 0)
        scl_fuzz_fail("the dump loads back to another config (hash %s -> %s)\n--- dump:\n%s\n"
                      "--- reloaded:\n%s",
                      hash, hash2, text, text2);
    char m1[512], m2[512];
    scl_status v1 = scl_cfg_validate(cfg, m1, sizeof(m1));
    scl_status v2 = scl_cfg_validate(&back, m2, sizeof(m2));
    if (v1 != v2)
        scl_fuzz_fail("validation differs after the round trip: %d -> %d", (int)v1, (int)v2);
    free(text2);
    free(text);
}
