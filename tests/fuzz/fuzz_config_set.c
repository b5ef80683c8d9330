/*
 * Config overrides (scl_cfg_set, what every --set and flag goes through). Input: lines, each one
 * "section.key=value" assignment, applied in order to the defaults; a refused one is skipped,
 * as the program would stop there.
 *
 * Property beyond "no crash": the resulting config dumps to text that loads back to the same
 * hash and the same dump (fuzz_cfg_roundtrip.c); every refusal is one line.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_cfg_roundtrip.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[1024];
    scl_fuzz_quiet();
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    struct scl_config cfg;
    scl_cfg_defaults(&cfg);
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        msg[0] = '\0';
        scl_status st = scl_cfg_set(&cfg, line, msg, sizeof(msg));
        if (st != SCL_OK && (!msg[0] || strchr(msg, '\n')))
            scl_fuzz_fail("refusal %d is not one line: '%s'", (int)st, msg);
    }
    scl_fuzz_cfg_roundtrip(&cfg);
    free(text);
    return 0;
}
