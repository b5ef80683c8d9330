/* sleepcl devices: every platform and device under the global index that --device accepts. */
#include <stdio.h>

#include "cli.h"

int cmd_devices(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        cli_error("devices takes no arguments");
        return CLI_EXIT_USAGE;
    }
    if (scl_devices_print(stdout) != SCL_OK) {
        cli_error("no OpenCL device found (is an ICD such as pocl-opencl-icd installed?)");
        return CLI_EXIT_RUNTIME;
    }
    return CLI_EXIT_OK;
}
