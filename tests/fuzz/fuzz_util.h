/*
 * What the fuzz targets share. Every target is one LLVMFuzzerTestOneInput: linked with libFuzzer
 * (clang, -DSCL_FUZZ=ON, tools/fuzz.sh) it explores, linked with replay_main.c it replays the
 * committed corpus and crashes as an ordinary test. The library's loaders read paths, so the
 * input is written to files in a private scratch directory first.
 */
#ifndef SLEEPCL_FUZZ_UTIL_H
#define SLEEPCL_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The libFuzzer entry point each target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* DIR/name in the process's scratch directory (made on first use, on tmpfs when /dev/shm is
 * writable because some targets fsync every write; removed with its contents at exit). */
void scl_fuzz_path(const char *name, char *buf, size_t n);
/* Write len bytes to path (replacing it); aborts when that fails, as the target can't go on. */
void scl_fuzz_write(const char *path, const void *data, size_t len);
/* Remove path if it exists. */
void scl_fuzz_remove(const char *path);
/* The whole file as a malloc'd NUL-terminated buffer (NULL when absent), its size to *len. */
char *scl_fuzz_slurp(const char *path, size_t *len);
/* A property the code under test broke: print it and abort, which libFuzzer reports as a crash
 * and saves the input. */
void scl_fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Little-endian integers at the front of an input, consumed from *data. 0 when too short. */
uint32_t scl_fuzz_take_u8(const uint8_t **data, size_t *size);
uint32_t scl_fuzz_take_u16(const uint8_t **data, size_t *size);
/* The labels of a loaded set: each below `limit` (the kind's classes, or SCL_MAX_CLASSES) and
 * n_classes exactly 1 + the largest; fails otherwise. */
struct scl_dataset;
void scl_fuzz_check_labels(const struct scl_dataset *ds, int32_t limit);
/* Silence the library's log lines: the loaders' refusals are expected and would drown the
 * fuzzer's output. */
void scl_fuzz_quiet(void);

#ifdef __cplusplus
}
#endif
#endif
