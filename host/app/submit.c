/*
 * sleepcl submit: a sweep as a Slurm job array (docs/CLUSTER.md). Two batch scripts, written
 * atomically into RUN_DIR/slurm/: worker.sbatch, an array of N tasks (at most K at a time),
 * each running `sleepcl run CONFIG --worker` with the same overrides; and finish.sbatch, one
 * more worker that starts once every array task has ended, whatever their fate (afterany), so
 * that trials of tasks that died are done and the summary is written even when no array task
 * lived to the end. Both are submitted with sbatch, whose job ids are printed. A search
 * (--search) is submitted the same way with `sleepcl search CONFIG --worker`: its workers score
 * the generations' units and the final trials, and the last pass writes best.ini and the table.
 */
#define _DEFAULT_SOURCE /* realpath */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "submit.h"

/* s in single quotes for sh: ' becomes '\'' */
static void sh_quote(struct scl_res_buf *b, const char *s)
{
    scl_res_printf(b, "'");
    for (; *s; s++) {
        if (*s == '\'')
            scl_res_printf(b, "'\\''");
        else
            scl_res_printf(b, "%c", *s);
    }
    scl_res_printf(b, "'");
}

/* The #SBATCH lines both scripts share. */
static void common_lines(struct scl_res_buf *b, const struct scl_submit_opts *o, const char *name,
                         const char *cwd)
{
    scl_res_printf(b, "#!/bin/sh\n#SBATCH --job-name=sleepcl-%s\n#SBATCH --ntasks=1\n", name);
    scl_res_printf(b, "#SBATCH --chdir=%s\n", cwd);
    if (o->partition)
        scl_res_printf(b, "#SBATCH --partition=%s\n", o->partition);
    if (o->gpus_per_task > 0)
        scl_res_printf(b, "#SBATCH --gpus-per-task=%d\n", o->gpus_per_task);
    if (o->cpus_per_task > 0)
        scl_res_printf(b, "#SBATCH --cpus-per-task=%d\n", o->cpus_per_task);
    if (o->time)
        scl_res_printf(b, "#SBATCH --time=%s\n", o->time);
    for (int i = 0; i < o->n_extra; i++)
        scl_res_printf(b, "#SBATCH %s\n", o->extra[i]);
}

/* The worker's command line: this program, run (or search), the config, the same overrides,
 * --worker. */
static int worker_command(struct scl_res_buf *b, const char *config_path, char *const *args,
                          int n_args, bool search)
{
    char exe[PATH_MAX], cfg[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        scl_app_error("submit: cannot find this program's path: %s", strerror(errno));
        return SCL_EXIT_RUNTIME;
    }
    exe[n] = '\0';
    if (!realpath(config_path, cfg)) {
        scl_app_error("%s: %s", config_path, strerror(errno));
        return SCL_EXIT_USAGE;
    }
    scl_res_printf(b, "exec ");
    sh_quote(b, exe);
    scl_res_printf(b, search ? " search " : " run ");
    sh_quote(b, cfg);
    for (int i = 0; i < n_args; i++) {
        scl_res_printf(b, " ");
        sh_quote(b, args[i]);
    }
    scl_res_printf(b, " --worker\n");
    return SCL_EXIT_OK;
}

/* sbatch ARGS SCRIPT; the job id it prints (--parsable: "ID" or "ID;CLUSTER") into id. */
static int sbatch(const char *args, const char *script, char *id, size_t n)
{
    char cmd[2048], line[256] = "";
    snprintf(cmd, sizeof(cmd), "sbatch --parsable %s '%s' 2>&1", args, script);
    FILE *p = popen(cmd, "r");
    if (!p) {
        scl_app_error("submit: cannot run sbatch: %s", strerror(errno));
        return SCL_EXIT_RUNTIME;
    }
    char *got = fgets(line, sizeof(line), p);
    int status = pclose(p);
    line[strcspn(line, "\n;")] = '\0';
    if (!got || status != 0 || !line[0] || strspn(line, "0123456789") != strlen(line)) {
        scl_app_error("submit: sbatch %s failed%s%s", script,
                      line[0] ? ": "
                              : " (is Slurm "
                                "installed?)",
                      line);
        return SCL_EXIT_RUNTIME;
    }
    snprintf(id, n, "%.40s", line);
    return SCL_EXIT_OK;
}

static int write_script(const char *path, const struct scl_res_buf *b, bool dry_run)
{
    int rc = scl_app_write_atomic(path, b->text, b->len);
    if (rc == SCL_EXIT_OK && dry_run)
        printf("---- %s\n%.*s", path, (int)b->len, b->text);
    return rc;
}

int scl_submit(const struct scl_config *cfg, const char *config_path, char *const *args, int n_args,
               const struct scl_submit_opts *o)
{
    char out[512], dir[PATH_MAX], slurm[PATH_MAX + 8], cwd[PATH_MAX], wpath[PATH_MAX + 32],
        fpath[PATH_MAX + 32], name[128];
    struct scl_res_buf w = {0}, f = {0}, cmd = {0};
    int k = o->max_running > 0 && o->max_running < o->workers ? o->max_running : o->workers;
    scl_app_out_dir(cfg, config_path, out, sizeof(out));
    int rc = scl_app_mkdir_p(out);
    if (rc == SCL_EXIT_OK && (!realpath(out, dir) || !getcwd(cwd, sizeof(cwd)))) {
        scl_app_error("%s: %s", out, strerror(errno));
        rc = SCL_EXIT_RUNTIME;
    }
    snprintf(slurm, sizeof(slurm), "%s/slurm", dir);
    if (rc == SCL_EXIT_OK)
        rc = scl_app_mkdir_p(slurm);
    snprintf(name, sizeof(name), "%.100s", strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir);
    if (rc == SCL_EXIT_OK)
        rc = worker_command(&cmd, config_path, args, n_args, o->search);
    if (rc == SCL_EXIT_OK) {
        common_lines(&w, o, name, cwd);
        scl_res_printf(&w, "#SBATCH --array=0-%d%%%d\n#SBATCH --output=%s/worker-%%A_%%a.out\n",
                       o->workers - 1, k, slurm);
        scl_res_printf(&w, "# sleepcl submit: one worker of the %s per array task\n%s",
                       o->search ? "search" : "sweep", cmd.text);
        common_lines(&f, o, name, cwd);
        scl_res_printf(&f, "#SBATCH --output=%s/finish-%%j.out\n", slurm);
        scl_res_printf(&f,
                       "# sleepcl submit: after the workers, one more: it does what dead ones "
                       "left, then %s\n%s",
                       o->search ? "best.ini and the final table" : "the summary and plots",
                       cmd.text);
        snprintf(wpath, sizeof(wpath), "%s/worker.sbatch", slurm);
        snprintf(fpath, sizeof(fpath), "%s/finish.sbatch", slurm);
        rc = write_script(wpath, &w, o->dry_run);
    }
    if (rc == SCL_EXIT_OK)
        rc = write_script(fpath, &f, o->dry_run);
    if (rc == SCL_EXIT_OK && o->dry_run) {
        printf("would run: sbatch --parsable %s\n"
               "           sbatch --parsable --dependency=afterany:<its job id> %s\n",
               wpath, fpath);
    } else if (rc == SCL_EXIT_OK) {
        char array_id[64], finish_id[64], dep[128];
        rc = sbatch("", wpath, array_id, sizeof(array_id));
        snprintf(dep, sizeof(dep), "--dependency=afterany:%s", array_id);
        if (rc == SCL_EXIT_OK)
            rc = sbatch(dep, fpath, finish_id, sizeof(finish_id));
        if (rc == SCL_EXIT_OK)
            printf("submitted job %s (%d workers, %d at a time) and job %s (final pass, after "
                   "%s); follow it with: sleepcl status %s\n",
                   array_id, o->workers, k, finish_id, array_id, dir);
    }
    free(w.text);
    free(f.text);
    free(cmd.text);
    return rc;
}
