/*
 * Run configuration (the application layer's): struct scl_config, read from INI files through
 * libinih and from "--set section.key=value" overrides, both through one parser driven by the
 * schema table in config.c. The table gives every key its type, bounds, default and help;
 * parsing, validation, --help-keys and --dump all come from it. The [train] and [sleep] keys are
 * the fields of the library's own scl_train_params and scl_sleep_params (held in the config as
 * they are), with the library's enums and the library's defaults: one representation of each.
 *
 * Usual sequence: scl_cfg_defaults, scl_cfg_load (a file), scl_cfg_set (each --set), then
 * scl_cfg_validate; scl_cfg_build does all four. Errors are one line in the caller's
 * (msg, n) buffer, "FILE:LINE: [section] key: problem" or "--set s.k=v: problem", with
 * SCL_ERR_CONFIG; a file that cannot be opened gives "FILE: cannot open", also SCL_ERR_CONFIG.
 */
#ifndef SLEEPCL_CONFIG_H
#define SLEEPCL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sleepcl/sleepcl.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCL_CFG_STR      200 /* bytes of a string value, NUL included */
#define SCL_CFG_LIST     32  /* most entries of a list value */
#define SCL_CFG_MAX_KEYS 128 /* most keys in the schema (config.c checks it) */
#define SCL_CFG_HASH_LEN 17  /* 16 hex digits and a NUL */

/* A list of floats or ints; n = 0 is the empty list. */
struct scl_cfg_floats {
    int32_t n;
    double v[SCL_CFG_LIST];
};
struct scl_cfg_ints {
    int32_t n;
    int32_t v[SCL_CFG_LIST];
};

/* Enum keys: the names in the config are the lower-case suffixes ("fashion", "test_scale").
 * Keys of the library's parameters ([train], [sleep]) use the library's own enums (sleepcl.h);
 * the enums here are the application's own, with no counterpart in the library. */
enum scl_cfg_dataset {
    SCL_CFG_DATASET_MNIST,
    SCL_CFG_DATASET_FASHION,
    SCL_CFG_DATASET_FEATURES, /* safetensors feature vectors: data.train_file, data.test_file */
    SCL_CFG_DATASET_CIFAR10,
    SCL_CFG_DATASET_CIFAR100,      /* label: data.cifar_label */
    SCL_CFG_DATASET_MNIST_FASHION, /* cross-modal: MNIST's 0-9, then Fashion-MNIST's as 10-19 */
    SCL_CFG_DATASET_FASHION_MNIST  /* the reverse: Fashion-MNIST's 0-9, MNIST's 10-19 */
};
enum scl_cfg_cifar_label { SCL_CFG_CIFAR_FINE, SCL_CFG_CIFAR_COARSE };
enum scl_cfg_profile { SCL_CFG_PROFILE_PAPER2024, SCL_CFG_PROFILE_REF2022 };
enum scl_cfg_sleep_after { SCL_CFG_SLEEP_AFTER_EVERY, SCL_CFG_SLEEP_AFTER_LAST };
/* How rehearsal's memory meets a new task's data (docs/METHOD.md section 6.9). */
enum scl_cfg_fitness {
    SCL_CFG_FITNESS_LIMITED,   /* a net trained on the whole subset at once, slept once */
    SCL_CFG_FITNESS_SEQUENTIAL /* a net trained on experiment.n_tasks tasks in turn, slept after
                                  the last, scored on every class seen */
};
enum scl_cfg_replay_mix {
    SCL_CFG_REPLAY_BATCH, /* train.replay_batch memory images in every minibatch */
    SCL_CFG_REPLAY_APPEND /* the memory appended to the task's data: each image once per epoch */
};
enum scl_cfg_src_input {
    SCL_CFG_SRC_INPUT_DATA,   /* the current task's training images (all the protocol keeps) */
    SCL_CFG_SRC_INPUT_REPLAY, /* as many samples of the model's generator (every class seen) */
    SCL_CFG_SRC_INPUT_BOTH    /* the two together */
};
enum scl_cfg_kind {
    SCL_CFG_KIND_LIMITED,     /* section 6.1-6.2: data fractions, confusion matrices */
    SCL_CFG_KIND_IMBALANCE,   /* 6.3: one class cut to a share of its count */
    SCL_CFG_KIND_TASKS,       /* 6.4-6.5: sequential tasks, sleep after each */
    SCL_CFG_KIND_INCREMENTAL, /* 6.6: the 2022 class-incremental protocol */
    SCL_CFG_KIND_PATCHES,     /* 6.11: the binary-patches toy, overlap swept */
    SCL_CFG_KIND_TRIPARTITE,  /* METHOD.md 9: NREM, REM replay and downscaling (host/vae) */
    SCL_CFG_KIND_EPOCHS       /* 6.13: one task, training epochs swept (limited's trial) */
};

struct scl_cfg_device {
    char device[SCL_CFG_STR]; /* index or name substring; "" = first device */
};

struct scl_cfg_data {
    enum scl_cfg_dataset dataset;
    char dir[SCL_CFG_STR];        /* "" = scl_cfg_data_dir's default */
    double fraction;              /* (0, 1]: share of the training set, class-balanced */
    double val_fraction;          /* [0, 0.5): share held out for validation */
    struct scl_cfg_ints classes;  /* class labels to use; empty = all */
    char train_file[SCL_CFG_STR]; /* features: the sets' files, relative to the data directory */
    char test_file[SCL_CFG_STR];
    enum scl_cfg_cifar_label cifar_label; /* cifar100: fine (100) or coarse (20) classes */
};

struct scl_cfg_model {
    struct scl_cfg_ints sizes; /* units per layer, input first: 2..SCL_MAX_LAYERS+1 entries */
};

struct scl_cfg_experiment {
    enum scl_cfg_kind kind;
    char name[SCL_CFG_STR];          /* output subdirectory of run.out; "" = config file name */
    struct scl_cfg_floats fractions; /* limited: data fractions of the sweep */
    struct scl_cfg_floats levels;    /* imbalance: shares of the cut class's count */
    struct scl_cfg_ints targets;     /* imbalance: classes to cut in turn; empty = all */
    int32_t n_tasks;                 /* tasks: number of tasks the classes are split into */
    int32_t shuffle_tasks;           /* tasks: 1 = a random class order per trial */
    int32_t task_samples;            /* incremental: first N training images of each task */
    enum scl_cfg_sleep_after sleep_after; /* tasks: sleep after every task or the last only */
    int32_t compare_no_sleep;             /* tasks: 1 = also run every trial without sleep */
    int32_t grid;                     /* tasks: 1 = fractions swept per task (task 1 x task 2) */
    int32_t parallel;                 /* tasks: 1 = also train one net on all tasks at once */
    struct scl_cfg_floats downscale;  /* tasks: shares of smallest weights zeroed per new task */
    struct scl_cfg_ints methods;      /* tasks: scl_method values compared, one condition each;
                                         empty = train.method alone, conditions named as before */
    char paper[SCL_CFG_STR];          /* methods report: published figures (JSON); "" = none */
    int32_t analyze;                  /* representation analyses on N test images; 0 = none */
    struct scl_cfg_ints train_epochs; /* epochs: the values of train.epochs swept */
    struct scl_cfg_ints memories;     /* tasks, method icarl: exemplar totals K swept; empty =
                                         train.icarl_memory alone, conditions named as before */
    struct scl_cfg_ints overlaps;     /* patches: pixels shared by the tasks' patterns, swept */
    int32_t patch_pixels;             /* patches: active pixels of each pattern */
    double patch_flip;                /* patches: probability of a flipped pixel in a sample */
    int32_t patch_samples;            /* patches: samples per class, training and test each */
};

/* [extractor]: the frozen convolutional front end of the tripartite sleep on CIFAR images
 * (docs/METHOD.md section 9), pre-trained with Adam on `data` with a softmax head; no channels =
 * the images themselves are the input. */
enum scl_cfg_ext_data { SCL_CFG_EXT_CIFAR10 };
struct scl_cfg_extractor {
    struct scl_cfg_ints channels; /* output channels per conv layer; empty = no extractor */
    int32_t iterations;           /* pre-training Adam steps */
    double lr;                    /* pre-training learning rate */
    int32_t batch;                /* pre-training and feature batch */
    enum scl_cfg_ext_data data;   /* pre-training set */
    char dir[SCL_CFG_STR];        /* its directory; "" = data directory + cifar-10-batches-bin */
};

struct scl_cfg_run {
    uint32_t seed;           /* the one seed of a single run: fixes every random draw */
    char seeds[SCL_CFG_STR]; /* "1..10", "1,2,5" or a mix; "" = just `seed` */
    char out[SCL_CFG_STR];   /* output directory */
};

/* The sleep-parameter search (sleepcl search): the genetic algorithm, the scoring and the
 * bounds of each searched [sleep] key (pairs lo,hi; beta's apply to every layer). Not part of
 * scl_cfg_hash (a tool's settings, not an experiment's). */
struct scl_cfg_search {
    int32_t population, generations, elite, tournament;
    double crossover, mutation, sigma; /* probabilities; sigma: share of the (log) range */
    int32_t nets;                      /* trained nets scoring every candidate */
    int32_t finetune;                  /* 1 = score after sleep + fine-tune */
    double penalty;                    /* subtracted per silent or saturated layer */
    double silent, saturate;           /* spikes per unit per step */
    int32_t trials;                    /* test trials comparing the config's set and the best */
    int32_t input;                     /* 1 = sleep.input is a gene too (28x28 inputs only) */
    enum scl_cfg_fitness fitness;      /* how a scoring net is trained (search_tasks.c) */
    struct scl_cfg_floats steps, max_rate, alpha, beta, decay, inc, dec; /* bounds lo,hi */
};

struct scl_config {
    struct scl_cfg_device device;
    struct scl_cfg_data data;
    struct scl_cfg_model model;
    /* [train]: the preset (train.profile) and the library's parameters themselves; their
     * defaults are scl_train_default_params(), a profile's are scl_train_ref2022_params() or
     * the defaults. train.seed is not a key: runs set it from their seed. */
    enum scl_cfg_profile profile;
    struct scl_train_params train;
    /* [train] keys of the application's own: which images rehearsal keeps (a share of each old
     * task, drawn from the trial's seed) and how they meet the new task's data. */
    double replay_share;
    enum scl_cfg_replay_mix replay_mix;
    int32_t icarl_memory; /* iCaRL's exemplars in all (K), herded per class */
    /* [sleep]: the library's parameters (defaults scl_sleep_default_params(), which is the set
     * of configs/sleep/mnist2024.ini; sleep.seed is set by each run), and the protocol's
     * steps_per_task: steps added to T for each later task (2022 class-incremental). */
    struct scl_sleep_params sleep;
    int32_t steps_per_task;
    /* [tripartite]: the library's scl_tri_params (defaults scl_tri_default_params(); its
     * downscale comes from experiment.downscale, one condition per share), the encoder's layer
     * sizes as a list, and the REM variants compared (0 = without, 1 = with). */
    struct scl_tri_params tripartite;
    struct scl_cfg_ints tri_hidden;
    struct scl_cfg_ints tri_rem;
    struct scl_cfg_extractor extractor;
    struct scl_cfg_ints tri_src;          /* 1: SRC's spiking sleep after each task */
    enum scl_cfg_src_input tri_src_input; /* what that sleep's input statistics come from */
    struct scl_cfg_experiment experiment;
    struct scl_cfg_run run;
    struct scl_cfg_search search;
    /* Nonzero at index i when schema key i was set by a file or --set (not by a default or a
     * profile preset). Read it through scl_cfg_is_set. */
    unsigned char is_set[SCL_CFG_MAX_KEYS];
};

/* Every key at its default: [train] and [sleep] from the library's *_default_params(), the
 * others from the schema; nothing marked as set. */
void scl_cfg_defaults(struct scl_config *cfg);

/*
 * Apply the INI file `path` on top of *cfg. A `[config] include = other.ini` line, before any
 * other key, applies that file first (path relative to the including file; nesting allowed).
 * A key set twice in one file is an error. On error *cfg may be partly updated.
 * Returns SCL_OK, SCL_ERR_CONFIG (also for "FILE: cannot open") or SCL_ERR_NOMEM.
 */
scl_status scl_cfg_load(struct scl_config *cfg, const char *path, char *msg, size_t n);

/* Apply one "section.key=value" override, as a --set option does. Later calls win. */
scl_status scl_cfg_set(struct scl_config *cfg, const char *assignment, char *msg, size_t n);

/* Cross-key checks, after the file and the overrides: model.sizes, duplicate classes, shares,
 * the [search] bounds. The [sleep] set is checked against a model by the library when that
 * model sleeps (scl_sleep_validate), not here: `sleepcl sleep` sleeps a model from a file.
 * Returns SCL_OK or SCL_ERR_CONFIG with a one-line message. */
scl_status scl_cfg_validate(const struct scl_config *cfg, char *msg, size_t n);

/* Defaults, then the file (if path is not NULL), then each of sets[0..n_sets), then validate. */
scl_status scl_cfg_build(struct scl_config *cfg, const char *path, const char *const *sets,
                         int n_sets, char *msg, size_t n);

/*
 * The effective configuration as INI text that scl_cfg_load reads back to the same values:
 * every key, in schema order, one "key = value" line each. Writes at most n bytes (always
 * NUL-terminated when n > 0) and returns the full length, as snprintf does.
 */
size_t scl_cfg_dump(const struct scl_config *cfg, char *buf, size_t n);
/* The same text to a stream. Returns SCL_ERR_IO when writing fails. */
scl_status scl_cfg_write(const struct scl_config *cfg, FILE *f);

/* FNV-1a 64 of the dump text without the location keys (device.device, data.dir, run.out), as
 * 16 lower-case hex digits: the same experiment hashes the same on any machine. */
void scl_cfg_hash(const struct scl_config *cfg, char hex[SCL_CFG_HASH_LEN]);

/* Every key with its type, bounds, default and help, for --help-keys. */
void scl_cfg_print_keys(FILE *f);

/* The value of key "section.key" as the dump writes it (enum names, lists with commas, strings
 * without quotes). SCL_ERR_ARG for an unknown key. */
scl_status scl_cfg_get(const struct scl_config *cfg, const char *name, char *buf, size_t n);
/* True when "section.key" was set by a file or --set. False for unknown keys. */
bool scl_cfg_is_set(const struct scl_config *cfg, const char *name);

/*
 * Expand a seed list: "" (nothing), "7", "1..10", "1,2,5", "1..3,9" (inclusive ranges, values
 * 0..2^32-1, at most SCL_CFG_MAX_SEEDS in all). Writes the first min(count, cap) seeds to out
 * (out may be NULL when cap is 0) and the count to *count. SCL_ERR_CONFIG with a message on a
 * malformed list.
 */
#define SCL_CFG_MAX_SEEDS 100000
scl_status scl_cfg_parse_seeds(const char *text, uint32_t *out, size_t cap, size_t *count,
                               char *msg, size_t n);
/* The seeds of the run: run.seeds expanded, or run.seed alone when run.seeds is "". */
scl_status scl_cfg_seed_list(const struct scl_config *cfg, uint32_t *out, size_t cap,
                             size_t *count);

/* The config name of a continual-learning method ("online_ewc"); "?" for no method. */
const char *scl_cfg_method_name(int method);

/* The dataset directory: data.dir, or the default data directory (SCL_DATA_DIR or the cache)
 * plus "mnist" or "fashion-mnist" (the names tools/setup.sh uses). */
void scl_cfg_data_dir(const struct scl_config *cfg, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* SLEEPCL_CONFIG_H */
