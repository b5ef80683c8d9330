/* sleepcl devices: every platform and device under the global index that --device accepts. */
#include <stdio.h>

#include "cli.h"

int scl_cmd_devices(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        scl_app_error("devices takes no arguments");
        return SCL_EXIT_USAGE;
    }
    if (scl_devices_print(stdout) != SCL_OK) {
        scl_app_error("no OpenCL device found (is an ICD such as pocl-opencl-icd installed?)");
        return SCL_EXIT_RUNTIME;
    }
    return SCL_EXIT_OK;
}
