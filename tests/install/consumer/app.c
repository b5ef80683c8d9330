/*
 * Built against an installed sleepcl through sleepcl::app (tests/install): reads a sleep set
 * with the program's own config parser (libsleepcl-app) and prints its step count, and shows
 * that a bad key comes back as SCL_ERR_CONFIG with the parser's message.
 * Usage: hello_app CONFIG.ini
 */
#include <stdio.h>

#include <sleepcl/sleepcl_app.h>

int main(int argc, char **argv)
{
    struct scl_sleep_params p;
    char msg[512];
    const char *bad[] = {"sleep.no_such_key=1"};
    if (argc != 2)
        return 2;
    if (scl_cfg_sleep_params_from_file(argv[1], NULL, 0, &p, sizeof(p), msg, sizeof(msg)) !=
        SCL_OK) {
        fprintf(stderr, "hello_app: %s\n", msg);
        return 1;
    }
    if (scl_cfg_sleep_params_from_file(argv[1], bad, 1, &p, sizeof(p), msg, sizeof(msg)) !=
        SCL_ERR_CONFIG) {
        fprintf(stderr, "hello_app: a bad key was accepted\n");
        return 1;
    }
    printf("steps %d; bad key: %s\n", (int)p.steps, msg);
    return 0;
}
