/*
 * The INI config reader (scl_cfg_load, libinih underneath). Input: the file's text.
 *
 * The scratch directory also holds base.ini, a small valid config, so that "[config] include =
 * base.ini" (and includes of the file itself, a cycle) are reachable. Inputs holding a '/' are
 * skipped: an include could otherwise name /dev/stdin or a FIFO and block the fuzzer, which
 * tests the machine, not the parser (the reader's handling of such paths has its own unit tests).
 *
 * Property beyond "no crash": a config that loads dumps to text that loads back to the same
 * hash and the same dump (fuzz_cfg_roundtrip.c); a refusal is one line naming the file.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz_cfg_roundtrip.h"
#include "fuzz_util.h"

static const char base_ini[] = "[model]\nsizes = 784,50,10\n[train]\nepochs = 2\n"
                               "[run]\nseeds = 1..3\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512], base[512], msg[1024] = "";
    scl_fuzz_quiet();
    if (memchr(data, '/', size))
        return 0;
    scl_fuzz_path("base.ini", base, sizeof(base));
    scl_fuzz_write(base, base_ini, sizeof(base_ini) - 1);
    scl_fuzz_path("fuzz.ini", path, sizeof(path));
    scl_fuzz_write(path, data, size);
    struct scl_config cfg;
    scl_cfg_defaults(&cfg);
    scl_status st = scl_cfg_load(&cfg, path, msg, sizeof(msg));
    if (st == SCL_OK) {
        scl_fuzz_cfg_roundtrip(&cfg);
        size_t count = 0;
        (void)scl_cfg_seed_list(&cfg, NULL, 0, &count);
    } else if (!msg[0] || strchr(msg, '\n')) {
        scl_fuzz_fail("refusal %d is not one line: '%s'", (int)st, msg);
    }
    return 0;
}
