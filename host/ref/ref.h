/*
 * Plain C references for every device computation: scalar loops that are obviously correct, with
 * the kernels' semantics. Tests compare kernels against these with a stated tolerance.
 */
#ifndef SLEEPCL_REF_H
#define SLEEPCL_REF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Philox4x32-10 written from the paper's constants. */
void scl_ref_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

#ifdef __cplusplus
}
#endif
#endif
