/*
 * The run directory's CSV files as a resumed sweep reads them (scl_res_init + scl_res_load):
 * results.csv says which (trial, condition) pairs are done, and confusion.csv is pruned to them.
 *
 * Input: a flags byte (bit 0: results.csv exists, bit 1: confusion.csv exists), a 16-bit
 * little-endian split k, then the bytes: the first k (at most all) are results.csv, the rest
 * confusion.csv.
 *
 * Properties beyond "no crash", for files shaped as the program writes them (lines shorter than
 * the reader's 512-byte line buffer, no NUL bytes, a newline at the end): loading is idempotent (a
 * second load leaves confusion.csv byte for byte as the first left it and finds the same done
 * pairs); every confusion row kept belongs to a done pair; and a trial committed afterwards is
 * appended after the bytes already there (nothing before it lost or changed) and is then done.
 */
#define _XOPEN_SOURCE 700 /* readlink */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "fuzz_util.h"

static char dir[512];

/* One fuzz input is one "process life": the store's lock on the directory is released by
 * scl_res_free, which every path below calls. */
static int load(struct scl_res_store *r)
{
    scl_res_init(r, dir);
    return scl_res_load(r);
}

static void put_file(const char *name, const uint8_t *data, size_t len, int exists)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (exists)
        scl_fuzz_write(path, data, len);
    else
        scl_fuzz_remove(path);
}

static char *read_in_dir(const char *name, size_t *len)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    *len = 0;
    return scl_fuzz_slurp(path, len);
}

/* "trial,condition," of a data line, or "" for the header and short lines. */
static void line_key(const char *line, char *key, size_t n)
{
    const char *c1 = strchr(line, ',');
    const char *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
    key[0] = '\0';
    if (c2 && (size_t)(c2 - line) < n - 1)
        snprintf(key, n, "%.*s", (int)(c2 - line), line);
}

/* Shaped as the program writes CSV files: see the header comment. Other inputs are only
 * checked for crashes (a hand-edited file is not what resume promises to keep whole). */
static bool program_shaped(const uint8_t *data, size_t len)
{
    size_t line = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\0' || ++line >= 500)
            return false;
        if (data[i] == '\n')
            line = 0;
    }
    return len == 0 || data[len - 1] == '\n';
}

static bool is_done_key(const struct scl_res_store *r, const char *key)
{
    for (int i = 0; i < r->n_done; i++)
        if (strcmp(r->done[i], key) == 0)
            return true;
    return false;
}

static void check_pruned(const struct scl_res_store *r, const char *confusion)
{
    char key[256];
    const char *line = confusion ? strchr(confusion, '\n') : NULL; /* skip the header */
    while (line && *++line) {
        line_key(line, key, sizeof(key));
        if (!is_done_key(r, key))
            scl_fuzz_fail("confusion row of a trial not done kept: '%.60s'", line);
        line = strchr(line, '\n');
    }
}

static void check_commit(struct scl_res_store *r, const char *before, size_t before_len)
{
    r->trial = 4000000000u;
    snprintf(r->condition, sizeof(r->condition), "fuzz");
    scl_res_row(r, "trained", "all", "accuracy", 0.5);
    scl_res_printf(&r->confusion, "%u,%s,trained,0,0,1\n", r->trial, r->condition);
    if (scl_res_commit(r) != SCL_EXIT_OK)
        scl_fuzz_fail("a trial cannot be committed");
    size_t len;
    char *after = read_in_dir("results.csv", &len);
    const char *row = "4000000000,fuzz,trained,all,accuracy,0.5\n";
    if (!after || len < before_len + strlen(row) || memcmp(after, before, before_len) != 0 ||
        strcmp(after + len - strlen(row), row) != 0)
        scl_fuzz_fail("the commit did not append to results.csv after its %zu bytes", before_len);
    free(after);
    struct scl_res_store again;
    load(&again);
    if (!scl_res_is_done(&again, 4000000000u, "fuzz"))
        scl_fuzz_fail("the committed trial is not done after a reload");
    scl_res_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scl_fuzz_quiet();
    if (!dir[0]) {
        scl_fuzz_path("run", dir, sizeof(dir));
        mkdir(dir, 0755);
    }
    uint32_t flags = scl_fuzz_take_u8(&data, &size);
    size_t k = scl_fuzz_take_u16(&data, &size);
    k = k < size ? k : size;
    put_file("results.csv", data, k, flags & 1);
    put_file("confusion.csv", data + k, size - k, flags & 2);
    struct scl_res_store r, r2;
    if (load(&r) != SCL_EXIT_OK)
        scl_fuzz_fail("scl_res_load failed on a writable directory");
    if (!program_shaped(data, k) || !program_shaped(data + k, size - k) || ((flags & 1) && !k)) {
        scl_res_free(&r);
        return 0;
    }
    size_t len1 = 0, len2 = 0, before_len = 0;
    char *conf1 = read_in_dir("confusion.csv", &len1);
    check_pruned(&r, conf1);
    load(&r2);
    char *conf2 = read_in_dir("confusion.csv", &len2);
    if (r2.n_done != r.n_done || len1 != len2 || (conf1 && memcmp(conf1, conf2, len1) != 0))
        scl_fuzz_fail("a second load changed something: %d/%d done, confusion %zu/%zu bytes",
                      r.n_done, r2.n_done, len1, len2);
    char *before = read_in_dir("results.csv", &before_len);
    check_commit(&r2, before ? before : "", before_len);
    free(before);
    free(conf2);
    free(conf1);
    scl_res_free(&r2);
    scl_res_free(&r);
    return 0;
}
