/*
 * All heap allocations of the library go through scl_alloc/scl_calloc so that tests can make
 * the n-th one fail (scl_test_fail_alloc_after) and check every cleanup path, as Lua's
 * memory-error tests do. The counter is process-wide and meant for single-threaded tests.
 */
#include <stdlib.h>

#include "internal.h"

static long fail_after = -1;

static bool should_fail(void)
{
    if (fail_after < 0)
        return false;
    if (fail_after == 0)
        return true;
    fail_after--;
    return false;
}

void scl_test_fail_alloc_after(long n)
{
    fail_after = n;
}

void *scl_alloc(size_t n)
{
    return should_fail() ? NULL : malloc(n ? n : 1);
}

void *scl_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void scl_free(void *p)
{
    free(p);
}
