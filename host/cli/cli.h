/*
 * Shared pieces of the sleepcl command-line program: every subcommand is a function
 * `int cmd_x(int argc, char **argv)` returning the process exit code (0 ok, 1 runtime error,
 * 2 usage or config error). Messages go to stderr as "sleepcl: ...".
 */
#ifndef SLEEPCL_CLI_H
#define SLEEPCL_CLI_H

#include "sleepcl/sleepcl.h"

#define CLI_EXIT_OK      0
#define CLI_EXIT_RUNTIME 1
#define CLI_EXIT_USAGE   2

/* "sleepcl: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exit code for a library status: usage/config problems give 2, everything else 1. */
int cli_exit_code(scl_status st);
/* Open the device named by `device` (NULL: SCL_DEVICE or the first). Prints the error and
 * returns NULL on failure. */
scl_ctx *cli_open_ctx(const char *device);
/* Seconds on a monotonic clock. */
double cli_now(void);

/* Options shared by the benchmark sections. */
struct bench_opts {
    int quick; /* fewer repetitions, for a smoke run */
};

int cmd_bench(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_demo(int argc, char **argv);

#endif
