/*
 * sleepcl submit (submit.c): a sweep as a Slurm job array of workers and a final pass.
 */
#ifndef SLEEPCL_SUBMIT_H
#define SLEEPCL_SUBMIT_H

#include "app.h"

#define SCL_SUBMIT_MAX_EXTRA 16

struct scl_submit_opts {
    int workers;     /* array tasks, one worker each */
    int max_running; /* the array's %K throttle; 0 = all at once */
    const char *partition;
    int gpus_per_task;                       /* 0: none asked for */
    int cpus_per_task;                       /* 0: Slurm's default */
    const char *time;                        /* --time of each job, NULL: the partition's default */
    const char *extra[SCL_SUBMIT_MAX_EXTRA]; /* more #SBATCH options, as given */
    int n_extra;
    bool dry_run; /* write and print the scripts, submit nothing */
    bool search;  /* CONFIG is a search: workers of `sleepcl search` (search_work.c) */
};

/* Write RUN_DIR/slurm/{worker,finish}.sbatch, each running `sleepcl run CONFIG ARGS --worker`
 * (`sleepcl search ...` with o->search; args: the config overrides as given on the command
 * line), and submit them with sbatch, the second after the first (afterany); prints the job
 * ids. */
int scl_submit(const struct scl_config *cfg, const char *config_path, char *const *args, int n_args,
               const struct scl_submit_opts *o);

#endif
