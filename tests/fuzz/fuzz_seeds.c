/*
 * Seed lists (scl_cfg_parse_seeds: "1..10", "1,2,5", "1..3,9"). Input: the list's text.
 *
 * Properties beyond "no crash": the count never exceeds SCL_CFG_MAX_SEEDS; asking with room and
 * without gives the same answer; a list of at most 64 seeds, written back as "a,b,c", parses to
 * the same seeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_util.h"

#define ROOM 64

static void check_rewrite(const uint32_t *seeds, size_t count)
{
    char text[ROOM * 12 + 1], msg[512];
    uint32_t back[ROOM];
    size_t len = 0, n = 0;
    text[0] = '\0';
    for (size_t i = 0; i < count; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%u", i ? "," : "", seeds[i]);
    if (scl_cfg_parse_seeds(text, back, ROOM, &n, msg, sizeof(msg)) != SCL_OK || n != count ||
        memcmp(back, seeds, count * sizeof(*seeds)) != 0)
        scl_fuzz_fail("'%s' does not parse back to its %zu seeds", text, count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[512], msg2[512];
    uint32_t seeds[ROOM];
    size_t count = 0, count2 = 0;
    scl_fuzz_quiet();
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    scl_status st = scl_cfg_parse_seeds(text, NULL, 0, &count, msg, sizeof(msg));
    scl_status st2 = scl_cfg_parse_seeds(text, seeds, ROOM, &count2, msg2, sizeof(msg2));
    if (st != st2 || count != count2)
        scl_fuzz_fail("'%s': %d/%zu without room, %d/%zu with", text, (int)st, count, (int)st2,
                      count2);
    if (count > SCL_CFG_MAX_SEEDS)
        scl_fuzz_fail("'%s': %zu seeds", text, count);
    if (st == SCL_OK && count <= ROOM)
        check_rewrite(seeds, count);
    free(text);
    return 0;
}
