/*
 * Replays fuzz inputs without libFuzzer: linked with one target's LLVMFuzzerTestOneInput, it
 * calls it on every file named on the command line, and on every file of every directory named
 * (sorted, dot files skipped; a missing directory is skipped, as git keeps no empty one). This
 * is how the committed corpus and every crash found run as ordinary tests in every build, gcc
 * included, and under the sanitizer pass of tools/test.sh. A broken property aborts; a clean
 * pass prints how many inputs ran.
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_util.h"

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    size_t cap = 4096, n = 0, got;
    unsigned char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *more = realloc(buf, 2 * cap);
            if (!more)
                free(buf);
            buf = more;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "replay: %s: out of memory\n", path);
        exit(1);
    }
    *len = n;
    return buf;
}

static void replay_file(const char *path, int *count)
{
    size_t len = 0;
    unsigned char *data = read_all(path, &len);
    /* Copied to an exact-size buffer, as libFuzzer does, so ASan sees reads past the end. */
    unsigned char *exact = malloc(len ? len : 1);
    if (!exact)
        exit(1);
    memcpy(exact, data, len);
    free(data);
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    (*count)++;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_dir(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char **more = realloc(names, (n + 1) * sizeof(*names));
        if (!more || !(more[n] = strdup(e->d_name)))
            exit(1);
        names = more;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof(*names), by_name);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        replay_file(path, count);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    int count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            replay_dir(argv[i], &count);
        else
            replay_file(argv[i], &count);
    }
    if (count == 0) {
        fprintf(stderr, "replay: no inputs found (is the corpus directory right?)\n");
        return 1;
    }
    printf("replay: %d inputs, no crash and no broken property\n", count);
    return 0;
}
