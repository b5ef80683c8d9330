/*
 * A program outside the source tree, built against an installed sleepcl (tests/install): it
 * checks that the header and the library it loads are the same release, and makes, saves,
 * loads and frees a model through the public API. No OpenCL device is needed.
 * Usage: hello [DIR]  (DIR: where to write the model; default: no file written)
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <sleepcl/sleepcl.h>

/* Save m to DIR/hello.safetensors and read it back: the weights must survive bit for bit. */
static int round_trip(const scl_model *m, const char *dir)
{
    char path[1024], msg[512];
    scl_model *back = NULL;
    snprintf(path, sizeof(path), "%s/hello.safetensors", dir);
    if (scl_model_save(m, path, msg, sizeof(msg)) != SCL_OK ||
        scl_model_load(path, &back, msg, sizeof(msg)) != SCL_OK) {
        fprintf(stderr, "hello: %s\n", msg);
        return 1;
    }
    int same =
        back->n_layers == m->n_layers && memcmp(back->w[0], m->w[0], sizeof(float) * 4 * 3) == 0;
    scl_model_destroy(back);
    if (!same)
        fprintf(stderr, "hello: the model read back differs\n");
    return !same;
}

int main(int argc, char **argv)
{
    const int32_t sizes[3] = {3, 4, 2};
    scl_model *m = NULL;
    if (strcmp(scl_version(), SCL_VERSION_STRING) != 0) {
        fprintf(stderr, "hello: header %s, library %s\n", SCL_VERSION_STRING, scl_version());
        return 1;
    }
    if (scl_model_create(2, sizes, &m) != SCL_OK)
        return 1;
    for (int i = 0; i < 4 * 3; i++)
        m->w[0][i] = (float)sin((double)i);
    int rc = argc > 1 ? round_trip(m, argv[1]) : 0;
    scl_model_destroy(m);
    printf("sleepcl %s: %s\n", scl_version(), scl_status_str(SCL_OK));
    return rc;
}
