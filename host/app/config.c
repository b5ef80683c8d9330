/*
 * The run configuration, declared once: `schema` below lists every key with its type, bounds,
 * default and help, and the type table gives each type a parser and a printer. Files (libinih),
 * --set overrides, defaults, profile presets, validation, --help-keys and --dump all go through
 * these two tables, so adding a key is one line in `schema` plus its field in config.h.
 *
 * Invariants:
 *   - a value is parsed completely and range-checked into a temporary before it is stored, so a
 *     rejected value never changes the config;
 *   - every stored value prints (dump) as text that parses back to the same bits (floats use the
 *     shortest %g that round-trips) and fits on one libinih line;
 *   - keys set by a file or --set are marked in cfg->is_set; a profile preset (train.profile)
 *     only fills keys not so marked, so explicit keys win whatever the order.
 * libinih (Debian: 200-byte lines, no line number for the handler): our reader counts lines and
 * rejects long ones; the handler stores the first message and returns 0, and the line that
 * ini_parse_stream returns goes into "FILE:LINE: [section] key: problem".
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"

#define CFG_ERR_LEN      1024
#define CFG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Format a one-line message into the caller's (msg, len) pair and return st. */
CFG_PRINTF(4, 5)
static scl_status cfg_fail(char *msg, size_t len, scl_status st, const char *fmt, ...)
{
    if (msg && len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* ---------------------------------------------------------------- the schema */

/* T_F32 and T_F32S are the float fields of the library's parameter structs: a float, and a
 * per-layer list stored as an int32_t count followed by float[SCL_MAX_LAYERS]. */
enum key_type {
    T_INT,
    T_U32,
    T_FLOAT,
    T_F32,
    T_STRING,
    T_ENUM,
    T_FLOATS,
    T_F32S,
    T_INTS,
    T_ENUMS, /* a list of enum names, stored as struct scl_cfg_ints of their values */
    T_COUNT
};

/* The layout of a T_F32S field: scl_sleep_params' n_alpha/alpha[] and n_beta/beta[]. */
struct f32_list {
    int32_t n;
    float v[SCL_MAX_LAYERS];
};

enum {
    LO_OPEN = 1,  /* the lower bound is excluded */
    HI_OPEN = 2,  /* the upper bound is excluded */
    NO_HASH = 4,  /* where things are, not what is computed: left out of scl_cfg_hash */
    NEW_KEY = 8,  /* added after run directories existed: enters scl_cfg_hash only when it differs
                     from its default, so that those directories keep their hashes */
    REL_PATH = 16 /* a file name: relative to the config file that sets it */
};

struct key_desc {
    const char *section, *key;
    size_t offset; /* of the field in struct scl_config */
    double lo, hi; /* bounds of the value, or of each list entry */
    enum key_type type;
    unsigned flags;           /* LO_OPEN, HI_OPEN, NO_HASH */
    int32_t nmin, nmax;       /* list lengths */
    const char *const *names; /* enum names in enum order, NULL-terminated */
    bool (*check)(const char *s, char *why, size_t n); /* extra check of a string */
    const char *def; /* default, as config text; FROM_LIB: the library's *_default_params() */
    const char *help;
};

static bool check_seeds(const char *s, char *why, size_t n);

/* Enum names in the order of the enum's values (the library's enums for [train] and [sleep]). */
static const char *const dataset_names[] = {"mnist",    "fashion",       "features",      "cifar10",
                                            "cifar100", "mnist_fashion", "fashion_mnist", NULL};
static const char *const cifar_label_names[] = {"fine", "coarse", NULL};
static const char *const profile_names[] = {"paper2024", "ref2022", NULL};
static const char *const output_names[] = {"softmax", "sigmoid", "relu", NULL};
static const char *const loss_names[] = {"bce", "ce", "mse", NULL};
static const char *const dropout_mode_names[] = {"inverted", "test_scale", NULL};
static const char *const init_names[] = {"fan_in", "uniform", NULL};
static const char *const gemm_names[] = {"auto", "clblast", "native", NULL};
static const char *const modulation_names[] = {"ref", "const", NULL};
static const char *const input_names[] = {"mean", "window", NULL};
static const char *const norm_names[] = {"ref", "diehl", NULL};
static const char *const sleep_after_names[] = {"every", "last", NULL};
static const char *const kind_names[] = {"limited", "imbalance",  "tasks",  "incremental",
                                         "patches", "tripartite", "epochs", NULL};
static const char *const method_names[] = {"sgd",       "ewc", "online_ewc", "si",
                                           "rehearsal", "owm", "icarl",      NULL};
static const char *const replay_mix_names[] = {"batch", "append", NULL};
static const char *const fitness_names[] = {"limited", "sequential", NULL};
static const char *const optimizer_names[] = {"sgd", "adam", NULL};
static const char *const ext_data_names[] = {"cifar10", NULL};
static const char *const src_input_names[] = {"data", "replay", "both", NULL};

_Static_assert(SCL_OUTPUT_RELU == 2 && SCL_LOSS_MSE == 2 && SCL_DROPOUT_TEST_SCALE == 1 &&
                   SCL_INIT_UNIFORM == 1 && SCL_GEMM_NATIVE == 2,
               "[train] enum names follow sleepcl.h");
_Static_assert(SCL_SLEEP_MOD_CONST == 1 && SCL_SLEEP_INPUT_WINDOW == 1 && SCL_SLEEP_NORM_DIEHL == 1,
               "[sleep] enum names follow sleepcl.h");
_Static_assert(SCL_METHOD_REHEARSAL == 4 && SCL_METHOD_OWM == 5 && SCL_METHOD_ICARL == 6,
               "method names follow sleepcl.h");

#define INF      HUGE_VAL
#define FROM_LIB NULL
/* NOLINTNEXTLINE(bugprone-macro-parentheses): S.K is a member designator */
#define AT(S, K) .section = #S, .key = #K, .offset = offsetof(struct scl_config, S.K)
/* Key S.K stored in another field (a member designator path of struct scl_config). */
#define AT_FIELD(S, K, FIELD) .section = #S, .key = #K, .offset = offsetof(struct scl_config, FIELD)
#define INT(S, K, LO, HI, DEF, HELP)                                                  \
    {                                                                                 \
        AT(S, K), .type = T_INT, .lo = (LO), .hi = (HI), .def = (DEF), .help = (HELP) \
    }
#define U32(S, K, DEF, HELP)                                                               \
    {                                                                                      \
        AT(S, K), .type = T_U32, .lo = 0, .hi = 4294967295.0, .def = (DEF), .help = (HELP) \
    }
#define FLT(S, K, LO, HI, FL, DEF, HELP)                                                \
    {                                                                                   \
        AT(S, K), .type = T_FLOAT, .lo = (LO), .hi = (HI), .flags = (FL), .def = (DEF), \
                  .help = (HELP)                                                        \
    }
/* A float of a library struct, or one stored in another field; default from the library. */
#define F32(S, K, LO, HI, FL, HELP)                                                      \
    {                                                                                    \
        AT(S, K), .type = T_F32, .lo = (LO), .hi = (HI), .flags = (FL), .def = FROM_LIB, \
                  .help = (HELP)                                                         \
    }
#define F32_AT(S, K, FIELD, LO, HI, FL, HELP)                                        \
    {                                                                                \
        AT_FIELD(S, K, FIELD), .type = T_F32, .lo = (LO), .hi = (HI), .flags = (FL), \
                               .def = FROM_LIB, .help = (HELP)                       \
    }
/* A per-layer float list of a library struct: FIELD is its int32_t count. */
#define F32S_AT(S, K, FIELD, HELP)                                                     \
    {                                                                                  \
        AT_FIELD(S, K, FIELD), .type = T_F32S, .lo = 0, .hi = INF, .flags = LO_OPEN,   \
                               .nmax = SCL_MAX_LAYERS, .def = FROM_LIB, .help = (HELP) \
    }
#define STR(S, K, FL, CHECK, DEF, HELP)                                                           \
    {                                                                                             \
        AT(S, K), .type = T_STRING, .flags = (FL), .check = (CHECK), .def = (DEF), .help = (HELP) \
    }
#define ENUM_AT(S, K, FIELD, DEF, HELP)                                                         \
    {                                                                                           \
        AT_FIELD(S, K, FIELD), .type = T_ENUM, .names = K##_names, .def = (DEF), .help = (HELP) \
    }
#define INT_AT(S, K, FIELD, LO, HI, DEF, HELP)                                                     \
    {                                                                                              \
        AT_FIELD(S, K, FIELD), .type = T_INT, .lo = (LO), .hi = (HI), .def = (DEF), .help = (HELP) \
    }
#define ENUM(S, K, DEF, HELP)                                                      \
    {                                                                              \
        AT(S, K), .type = T_ENUM, .names = K##_names, .def = (DEF), .help = (HELP) \
    }
#define FLTS(S, K, NMAX, LO, FL, DEF, HELP)                                               \
    {                                                                                     \
        AT(S, K), .type = T_FLOATS, .lo = (LO), .hi = INF, .flags = (FL), .nmax = (NMAX), \
                  .def = (DEF), .help = (HELP)                                            \
    }
#define INTS(S, K, NMIN, NMAX, LO, HI, DEF, HELP)                                         \
    {                                                                                     \
        AT(S, K), .type = T_INTS, .lo = (LO), .hi = (HI), .nmin = (NMIN), .nmax = (NMAX), \
                  .def = (DEF), .help = (HELP)                                            \
    }

/* A key added after run directories existed (NEW_KEY, and the flags FL), the other fields
 * given by name. */
#define KEY_NEW(S, K, FIELD, FL, ...)                               \
    {                                                               \
        AT_FIELD(S, K, FIELD), .flags = NEW_KEY | (FL), __VA_ARGS__ \
    }

/* Defaults: FROM_LIB keys take theirs from scl_train_default_params() (the paper2024 profile)
 * and scl_sleep_default_params() (the 2024 MNIST set), so no value is written twice. */
static const struct key_desc schema[] = {
    STR(device, device, NO_HASH, NULL, "", "OpenCL device: index or name substring; \"\" = first"),
    ENUM(data, dataset, "mnist",
         "mnist, fashion (Fashion-MNIST), features (safetensors), cifar10, cifar100, or "
         "cross-modal: mnist_fashion (labels 0-19) or fashion_mnist"),
    STR(data, dir, NO_HASH, NULL, "", "dataset directory; \"\" = data directory + dataset name"),
    FLT(data, fraction, 0, 1, LO_OPEN, "1", "share of the training set, equal count per class"),
    FLT(data, val_fraction, 0, 0.5, HI_OPEN, "0", "share of that held out for validation"),
    INTS(data, classes, 0, SCL_CFG_LIST, 0, 255, "", "class labels to use; empty = all"),
    KEY_NEW(data, train_file, data.train_file, NO_HASH, .type = T_STRING,
            .def = "train.safetensors",
            .help = "features: training set file, relative to the dataset directory"),
    KEY_NEW(data, test_file, data.test_file, NO_HASH, .type = T_STRING, .def = "test.safetensors",
            .help = "features: test set file, relative to the dataset directory"),
    KEY_NEW(data, cifar_label, data.cifar_label, 0, .type = T_ENUM, .names = cifar_label_names,
            .def = "fine", .help = "cifar100: fine (100 classes) or coarse (20) labels"),
    INTS(model, sizes, 2, SCL_MAX_LAYERS + 1, 1, 65536, "784,1200,1200,10",
         "units per layer, input first (the input size must match the data)"),
    ENUM_AT(train, profile, profile, "paper2024",
            "preset of the other [train] keys; explicit keys win"),
    ENUM(train, output, FROM_LIB, "output activation"),
    ENUM(train, loss, FROM_LIB, "binary cross-entropy, cross-entropy, or 0.5*|y-o|^2"),
    F32(train, lr, 0, INF, LO_OPEN, "SGD learning rate"),
    F32(train, momentum, 0, 1, HI_OPEN, "SGD momentum: V = momentum*V + lr*G"),
    INT(train, batch, 1, 65536, FROM_LIB, "minibatch size"),
    INT(train, epochs, 0, 10000, FROM_LIB, "epochs per task"),
    F32(train, dropout, 0, 1, HI_OPEN, "dropout probability of hidden units"),
    ENUM(train, dropout_mode, FROM_LIB, "scale kept units in training, or activations at test"),
    ENUM(train, init, FROM_LIB, "U(+-1/sqrt(fan_in)) or U(-a, a)"),
    F32(train, init_a, 0, INF, LO_OPEN, "a of init = uniform"),
    ENUM(train, gemm, FROM_LIB, "matrix products through CLBlast or our own kernels"),
    F32(train, finetune_lr, 0, INF, LO_OPEN, "learning rate of the fine-tune after sleep"),
    INT(train, finetune_epochs, 0, 1000, FROM_LIB, "epochs of the fine-tune after sleep"),
    KEY_NEW(train, method, train.method, 0, .type = T_ENUM, .names = method_names, .def = FROM_LIB,
            .help = "continual-learning method (docs/METHOD.md 6.9)"),
    KEY_NEW(train, ewc_lambda, train.ewc_lambda, 0, .type = T_F32, .lo = 0, .hi = INF,
            .def = FROM_LIB, .help = "ewc, online_ewc: penalty lambda/2 F (w - w*)^2"),
    KEY_NEW(train, ewc_gamma, train.ewc_gamma, 0, .type = T_F32, .lo = 0, .hi = 1, .def = FROM_LIB,
            .help = "online_ewc: decay of the summed Fisher per task"),
    KEY_NEW(train, si_c, train.si_c, 0, .type = T_F32, .lo = 0, .hi = INF, .def = FROM_LIB,
            .help = "si: penalty c Omega (w - w*)^2"),
    KEY_NEW(train, si_xi, train.si_xi, LO_OPEN, .type = T_F32, .lo = 0, .hi = INF, .def = FROM_LIB,
            .help = "si: damping of Omega = omega / (dw^2 + xi)"),
    KEY_NEW(train, replay_share, replay_share, LO_OPEN, .type = T_FLOAT, .lo = 0, .hi = 1,
            .def = "0.0075", .help = "rehearsal: share of each old task's training images kept"),
    KEY_NEW(train, replay_mix, replay_mix, 0, .type = T_ENUM, .names = replay_mix_names,
            .def = "batch",
            .help = "rehearsal: memory in every minibatch, or appended to the data"),
    KEY_NEW(train, replay_batch, train.replay_batch, 0, .type = T_INT, .lo = 1, .hi = 65536,
            .def = FROM_LIB, .help = "rehearsal, replay_mix = batch: memory images per minibatch"),
    KEY_NEW(train, icarl_memory, icarl_memory, 0, .type = T_INT, .lo = 1, .hi = INT32_MAX,
            .def = "2000", .help = "icarl: exemplars kept in all (K), K / classes seen per class"),
    KEY_NEW(train, owm_alpha, train.owm_alpha, LO_OPEN, .type = T_F32, .lo = 0, .hi = INF,
            .def = FROM_LIB, .help = "owm: P -= P x x^T P / (alpha + x^T P x) per step"),
    KEY_NEW(train, optimizer, train.optimizer, 0, .type = T_ENUM, .names = optimizer_names,
            .def = FROM_LIB, .help = "sgd, or adam (the tripartite VAE's, which needs it)"),
    KEY_NEW(train, adam_beta1, train.adam_beta1, HI_OPEN, .type = T_F32, .lo = 0, .hi = 1,
            .def = FROM_LIB, .help = "adam: decay of the first moment"),
    KEY_NEW(train, adam_beta2, train.adam_beta2, HI_OPEN, .type = T_F32, .lo = 0, .hi = 1,
            .def = FROM_LIB, .help = "adam: decay of the second moment"),
    KEY_NEW(train, adam_eps, train.adam_eps, LO_OPEN, .type = T_F32, .lo = 0, .hi = INF,
            .def = FROM_LIB, .help = "adam: added to the root of the second moment"),
    INT(sleep, steps, 1, INT32_MAX, FROM_LIB, "time steps T of a sleep"),
    INT_AT(sleep, steps_per_task, steps_per_task, 0, INT32_MAX, "0",
           "steps added to T per later task (2022)"),
    F32(sleep, dt, 0, INF, LO_OPEN, "time step (s)"),
    F32(sleep, max_rate, 0, INF, LO_OPEN, "maximal input rate (Hz)"),
    F32(sleep, gain, 0, INF, LO_OPEN, "input spike probability gain"),
    F32_AT(sleep, alpha, sleep.alpha_scale, 0, INF, LO_OPEN,
           "alpha scale: alpha_l = alpha * factor_l"),
    F32S_AT(sleep, alpha_vector, sleep.n_alpha,
            "alpha_l per layer l = 1..L, used instead; empty = alpha scale * factors"),
    F32S_AT(sleep, beta, sleep.n_beta, "firing thresholds beta_l per layer l = 1..L"),
    F32(sleep, decay, 0, 1, LO_OPEN, "membrane potential decay per step"),
    F32(sleep, inc, 0, INF, 0, "STDP potentiation"),
    F32(sleep, dec, 0, INF, 0, "STDP depression"),
    ENUM(sleep, modulation, FROM_LIB, "STDP factor f: 2/(1+exp(w/0.001)), or 1"),
    ENUM(sleep, input, FROM_LIB, "mean image, or the mean in a random 11x11 window"),
    ENUM(sleep, norm, FROM_LIB, "layer factor chaining: reference code, or Diehl"),
    ENUM(experiment, kind, "limited", "protocol of sleepcl run (docs/METHOD.md section 6)"),
    STR(experiment, name, 0, NULL, "", "output subdirectory of run.out; \"\" = config name"),
    FLTS(experiment, fractions, SCL_CFG_LIST, 0, LO_OPEN, "0.01,0.03,0.1",
         "limited, tasks: training-data fractions of the sweep"),
    FLTS(experiment, levels, SCL_CFG_LIST, 0, LO_OPEN, "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1",
         "imbalance: shares kept of the cut class"),
    INTS(experiment, targets, 0, SCL_CFG_LIST, 0, 255, "", "imbalance: classes cut in turn"),
    INT(experiment, n_tasks, 1, 100, "2", "tasks: number of tasks (classes split in order)"),
    INT(experiment, shuffle_tasks, 0, 1, "0", "tasks: 1 = random class order per trial"),
    INT(experiment, task_samples, 1, INT32_MAX, "5000",
        "incremental: first N training images of each task, in file order"),
    ENUM(experiment, sleep_after, "every", "tasks: sleep after every task, or the last only"),
    INT(experiment, compare_no_sleep, 0, 1, "1", "tasks: 1 = also run each trial without sleep"),
    INT(experiment, grid, 0, 1, "0", "tasks: 1 = sweep task 1 x task 2 fractions (2 tasks)"),
    INT(experiment, parallel, 0, 1, "0", "tasks: 1 = also train on all tasks' data at once"),
    FLTS(experiment, downscale, SCL_CFG_LIST, 0, 0, "0",
         "tasks: shares of the smallest weights zeroed before each new task"),
    KEY_NEW(experiment, methods, experiment.methods, 0, .type = T_ENUMS, .names = method_names,
            .nmax = 8, .def = "",
            .help = "tasks: train.method values compared; empty = train.method"),
    STR(experiment, paper, NO_HASH | REL_PATH, NULL, "",
        "JSON of published figures set beside ours in the methods report, relative to the "
        "config file; \"\" = none"),
    KEY_NEW(experiment, analyze, experiment.analyze, 0, .type = T_INT, .lo = 0, .hi = 100000,
            .def = "0",
            .help = "representation analyses at every evaluation on the first N test images; "
                    "0 = none"),
    KEY_NEW(experiment, train_epochs, experiment.train_epochs, 0, .type = T_INTS, .lo = 1,
            .hi = 100000, .nmin = 0, .nmax = SCL_CFG_LIST, .def = "1,2,5,10,20",
            .help = "epochs: training epochs swept (one task, data.fraction of the set)"),
    KEY_NEW(experiment, memories, experiment.memories, 0, .type = T_INTS, .lo = 1, .hi = INT32_MAX,
            .nmin = 0, .nmax = SCL_CFG_LIST, .def = "",
            .help = "tasks, method icarl: exemplar totals K swept; empty = train.icarl_memory"),
    KEY_NEW(experiment, overlaps, experiment.overlaps, 0, .type = T_INTS, .lo = 0, .hi = 25,
            .nmin = 0, .nmax = SCL_CFG_LIST, .def = "0,4,8,12,16,20",
            .help = "patches: pixels each task-2 pattern shares with a task-1 one, swept"),
    KEY_NEW(experiment, patch_pixels, experiment.patch_pixels, 0, .type = T_INT, .lo = 1, .hi = 25,
            .def = "20", .help = "patches: active pixels of each 10x10 pattern"),
    KEY_NEW(experiment, patch_flip, experiment.patch_flip, HI_OPEN, .type = T_FLOAT, .lo = 0,
            .hi = 0.5, .def = "0.05", .help = "patches: probability that a sample's pixel flips"),
    KEY_NEW(experiment, patch_samples, experiment.patch_samples, 0, .type = T_INT, .lo = 1,
            .hi = 100000, .def = "200", .help = "patches: samples per class, training and test"),
    KEY_NEW(tripartite, hidden, tri_hidden, 0, .type = T_INTS, .lo = 1, .hi = 65536, .nmin = 1,
            .nmax = SCL_TRI_MAX_HIDDEN, .def = "400,400",
            .help = "tripartite: encoder layer sizes, input side first (decoder mirrors)"),
    KEY_NEW(tripartite, latent, tripartite.latent, 0, .type = T_INT, .lo = 1, .hi = 65536,
            .def = FROM_LIB, .help = "tripartite: Gaussian latent units"),
    KEY_NEW(tripartite, iterations, tripartite.iterations, 0, .type = T_INT, .lo = 1,
            .hi = INT32_MAX, .def = FROM_LIB, .help = "tripartite: training iterations per task"),
    KEY_NEW(tripartite, eval_every, tripartite.eval_every, 0, .type = T_INT, .lo = 1,
            .hi = INT32_MAX, .def = FROM_LIB, .help = "tripartite: metrics every E iterations"),
    KEY_NEW(tripartite, temperature, tripartite.temperature, LO_OPEN, .type = T_F32, .lo = 0,
            .hi = INF, .def = FROM_LIB, .help = "tripartite: distillation temperature"),
    KEY_NEW(tripartite, downscale_first, tripartite.downscale_first, 0, .type = T_INT, .lo = 0,
            .hi = 1, .def = FROM_LIB, .help = "tripartite: 1 = downscale before task 1 too"),
    KEY_NEW(tripartite, rem, tri_rem, 0, .type = T_INTS, .lo = 0, .hi = 1, .nmin = 1, .nmax = 2,
            .def = "1,0", .help = "tripartite: REM variants compared (1 with, 0 without)"),
    KEY_NEW(tripartite, src, tri_src, 0, .type = T_INTS, .lo = 0, .hi = 1, .nmin = 1, .nmax = 2,
            .def = "0",
            .help = "tripartite: SRC sleep after each task on the classifier path, variants "
                    "compared (1 with: condition suffix _src)"),
    KEY_NEW(tripartite, src_input, tri_src_input, 0, .type = T_ENUM, .names = src_input_names,
            .def = "data",
            .help = "tripartite, src = 1: the sleep's input statistics from the current task's "
                    "data, the model's generated samples of every class seen, or both"),
    KEY_NEW(extractor, channels, extractor.channels, 0, .type = T_INTS, .lo = 1, .hi = 65536,
            .nmin = 0, .nmax = SCL_EXT_MAX_LAYERS, .def = "",
            .help = "extractor: conv channels per layer (tripartite on CIFAR); empty = none"),
    KEY_NEW(extractor, iterations, extractor.iterations, 0, .type = T_INT, .lo = 1, .hi = INT32_MAX,
            .def = "5000", .help = "extractor: pre-training Adam steps"),
    KEY_NEW(extractor, lr, extractor.lr, LO_OPEN, .type = T_FLOAT, .lo = 0, .hi = INF,
            .def = "0.001", .help = "extractor: pre-training learning rate"),
    KEY_NEW(extractor, batch, extractor.batch, 0, .type = T_INT, .lo = 1, .hi = 65536, .def = "128",
            .help = "extractor: pre-training and feature batch"),
    KEY_NEW(extractor, data, extractor.data, 0, .type = T_ENUM, .names = ext_data_names,
            .def = "cifar10", .help = "extractor: pre-training set"),
    KEY_NEW(extractor, dir, extractor.dir, NO_HASH, .type = T_STRING, .def = "",
            .help = "extractor: its directory; \"\" = data directory + cifar-10-batches-bin"),
    U32(run, seed, "1", "seed of a single run"),
    STR(run, seeds, 0, check_seeds, "", "seeds of repeated runs: 1..10, 1,2,5; \"\" = seed"),
    STR(run, out, NO_HASH, NULL, "runs", "output directory"),
    INT(search, population, 2, 4096, "32", "search: candidates per generation"),
    INT(search, generations, 1, 100000, "12", "search: generations"),
    INT(search, elite, 0, 4096, "2", "search: best candidates kept unchanged"),
    INT(search, tournament, 1, 64, "3", "search: candidates per parent tournament"),
    FLT(search, crossover, 0, 1, 0, "0.7", "search: probability of uniform crossover"),
    FLT(search, mutation, 0, 1, 0, "0.3", "search: probability of mutating a gene"),
    FLT(search, sigma, 0, INF, 0, "0.1", "search: mutation std, share of the (log) range"),
    INT(search, nets, 1, 64, "3", "search: trained nets (data seeds) scoring each candidate"),
    INT(search, finetune, 0, 1, "0", "search: 1 = score after sleep and fine-tune"),
    FLT(search, penalty, 0, INF, 0, "0.05", "search: score penalty per silent/saturated layer"),
    FLT(search, silent, 0, 1, 0, "1e-5", "search: spikes/unit/step below which a layer is silent"),
    FLT(search, saturate, 0, 1, 0, "0.5", "search: spikes/unit/step from which a layer saturates"),
    INT(search, trials, 0, 1000, "10", "search: test trials comparing config and best sets"),
    INT(search, input, 0, 1, "0", "search: 1 = also search sleep.input (mean or window)"),
    KEY_NEW(search, fitness, search.fitness, 0, .type = T_ENUM, .names = fitness_names,
            .def = "limited",
            .help = "search: scoring nets trained on the subset at once, or on "
                    "experiment.n_tasks tasks in turn and scored on every class after one sleep"),
    FLTS(search, steps, 2, 0, LO_OPEN, "100,1000", "search: bounds lo,hi of sleep.steps"),
    FLTS(search, max_rate, 2, 0, LO_OPEN, "50,1000", "search: bounds of sleep.max_rate"),
    FLTS(search, alpha, 2, 0, LO_OPEN, "2,200", "search: bounds of sleep.alpha"),
    FLTS(search, beta, 2, 0, LO_OPEN, "1,100", "search: bounds of every sleep.beta entry"),
    FLTS(search, decay, 2, 0, LO_OPEN, "0.8,1", "search: bounds of sleep.decay"),
    FLTS(search, inc, 2, 0, LO_OPEN, "1e-5,0.1", "search: bounds of sleep.inc"),
    FLTS(search, dec, 2, 0, LO_OPEN, "1e-5,0.1", "search: bounds of sleep.dec"),
};

#define N_KEYS (sizeof(schema) / sizeof(schema[0]))
_Static_assert(N_KEYS <= SCL_CFG_MAX_KEYS, "raise SCL_CFG_MAX_KEYS in config.h");
_Static_assert(sizeof(scl_loss) == sizeof(int) && sizeof(scl_sleep_norm) == sizeof(int),
               "enum fields are stored as int");
_Static_assert(offsetof(struct scl_sleep_params, alpha) ==
                       offsetof(struct scl_sleep_params, n_alpha) + offsetof(struct f32_list, v) &&
                   offsetof(struct scl_sleep_params, beta) ==
                       offsetof(struct scl_sleep_params, n_beta) + offsetof(struct f32_list, v),
               "T_F32S fields are a count followed by float[SCL_MAX_LAYERS]");

/* The parameters of each train.profile name, in profile_names order (docs/METHOD.md section 1):
 * a profile fills every [train] key that no file or --set has set. */
static struct scl_train_params (*const profile_params[])(void) = {scl_train_default_params,
                                                                  scl_train_ref2022_params};
_Static_assert(sizeof(profile_names) / sizeof(profile_names[0]) ==
                   sizeof(profile_params) / sizeof(profile_params[0]) + 1,
               "one parameter set per profile");

/* Directory names under the data directory, as tools/setup.sh makes them; "" = the data
 * directory itself (the cross-modal sets read its mnist/ and fashion-mnist/). */
static const char *const dataset_dirs[] = {
    "mnist", "fashion-mnist", "features", "cifar-10-batches-bin", "cifar-100-binary", "", ""};
_Static_assert(sizeof(dataset_dirs) / sizeof(dataset_dirs[0]) ==
                   sizeof(dataset_names) / sizeof(dataset_names[0]) - 1,
               "one directory per dataset");

/* ---------------------------------------------------------------- text helpers */

#define VALUE_MAX  1024               /* longest value text we look at */
#define LINE_LIMIT (INI_MAX_LINE - 3) /* longest line libinih reads ('\r', '\n', NUL) */
#define MAX_DEPTH  8                  /* include nesting */

/* Copy `in` without surrounding blanks and, when quoted, without the quotes. */
static bool clean_value(const char *in, char *out, size_t n)
{
    while (*in == ' ' || *in == '\t')
        in++;
    size_t len = strlen(in);
    while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\t'))
        len--;
    if (len >= 2 && in[0] == '"' && in[len - 1] == '"') {
        in++;
        len -= 2;
    }
    if (len >= n)
        return false;
    memmove(out, in, len);
    out[len] = '\0';
    return true;
}

/* Append to buf[0..n) at *len, snprintf-style: *len keeps counting past the end. */
CFG_PRINTF(4, 5) static void append(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(*len < n ? buf + *len : NULL, *len < n ? n - *len : 0, fmt, ap);
    va_end(ap);
    if (r > 0)
        *len += (size_t)r;
}

/* The shortest %g that reads back as exactly v; whole numbers without an exponent. */
static void format_double(double v, char *buf, size_t n)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, n, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* The shortest %g that reads back (through (float)strtod) as exactly the float v. */
static void format_float32(float v, char *buf, size_t n)
{
    if (v == floorf(v) && fabsf(v) < 1e15f) {
        snprintf(buf, n, "%.0f", (double)v);
        return;
    }
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, n, "%.*g", prec, (double)v);
        if ((float)strtod(buf, NULL) == v)
            return;
    }
}

/* ---------------------------------------------------------------- scalar parsing */

/* A whole decimal integer, nothing else ("12", "-3"; not "", "1.5", "12abc", "0x10"). */
static bool parse_ll(const char *s, long long *out)
{
    char *end = NULL;
    if (!*s)
        return false;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0' && !isspace((unsigned char)s[0]);
}

static bool in_bounds(const struct key_desc *k, double v)
{
    bool lo_ok = (k->flags & LO_OPEN) ? v > k->lo : v >= k->lo;
    bool hi_ok = (k->flags & HI_OPEN) ? v < k->hi : v <= k->hi;
    return lo_ok && hi_ok;
}

static bool is_integer_type(enum key_type t)
{
    return t == T_INT || t == T_U32 || t == T_INTS;
}

/* "1..65536", ">= 1", "(0, 1]", "> 0": the allowed values of a number or list entry. */
static void bounds_text(const struct key_desc *k, char *buf, size_t n)
{
    char lo[32];
    char hi[32];
    format_double(k->lo, lo, sizeof(lo));
    format_double(k->hi, hi, sizeof(hi));
    if (is_integer_type(k->type) && (k->hi < INT32_MAX || k->type == T_U32))
        snprintf(buf, n, "%s..%s", lo, hi);
    else if (is_integer_type(k->type))
        snprintf(buf, n, ">= %s", lo);
    else if (isinf(k->hi))
        snprintf(buf, n, "%s %s", (k->flags & LO_OPEN) ? ">" : ">=", lo);
    else
        snprintf(buf, n, "%c%s, %s%c", (k->flags & LO_OPEN) ? '(' : '[', lo, hi,
                 (k->flags & HI_OPEN) ? ')' : ']');
}

static bool out_of_range(const struct key_desc *k, const char *s, char *why, size_t n)
{
    char b[128];
    bounds_text(k, b, sizeof(b));
    snprintf(why, n, "%s is out of range (%s)", s, b);
    return false;
}

/* An integer within the key's bounds. */
static bool check_integer(const struct key_desc *k, const char *s, long long *out, char *why,
                          size_t n)
{
    if (!parse_ll(s, out)) {
        snprintf(why, n, "'%s' is not an integer", s);
        return false;
    }
    return in_bounds(k, (double)*out) ? true : out_of_range(k, s, why, n);
}

/* A finite number within the key's bounds. */
static bool check_float(const struct key_desc *k, const char *s, double *out, char *why, size_t n)
{
    char *end = NULL;
    errno = 0;
    *out = *s ? strtod(s, &end) : 0;
    if (!*s || *end != '\0' || isspace((unsigned char)s[0])) {
        snprintf(why, n, "'%s' is not a number", s);
        return false;
    }
    if (!isfinite(*out) || errno == ERANGE) {
        snprintf(why, n, "'%s' is not a finite number in double range", s);
        return false;
    }
    return in_bounds(k, *out) ? true : out_of_range(k, s, why, n);
}

/* ---------------------------------------------------------------- the types */

union value {
    int32_t i;
    uint32_t u;
    double d;
    int e;
    char s[SCL_CFG_STR];
    float f;
    struct scl_cfg_floats fl;
    struct f32_list fs;
    struct scl_cfg_ints il;
};

static bool parse_int(const struct key_desc *k, const char *s, union value *v, char *why, size_t n)
{
    long long x;
    if (!check_integer(k, s, &x, why, n))
        return false;
    if (k->type == T_U32)
        v->u = (uint32_t)x;
    else
        v->i = (int32_t)x;
    return true;
}

static bool parse_float(const struct key_desc *k, const char *s, union value *v, char *why,
                        size_t n)
{
    return check_float(k, s, &v->d, why, n);
}

/* A number for a float field: checked as a double, then converted as (float) the way every
 * caller of the library converted config values, and checked again (1e-50 is no longer > 0). */
static bool check_f32(const struct key_desc *k, const char *s, float *out, char *why, size_t n)
{
    double d;
    if (!check_float(k, s, &d, why, n))
        return false;
    *out = (float)d;
    if (!isfinite(*out)) {
        snprintf(why, n, "'%s' is not a finite number in float range", s);
        return false;
    }
    return in_bounds(k, (double)*out) ? true : out_of_range(k, s, why, n);
}

static bool parse_f32(const struct key_desc *k, const char *s, union value *v, char *why, size_t n)
{
    return check_f32(k, s, &v->f, why, n);
}

static bool parse_string(const struct key_desc *k, const char *s, union value *v, char *why,
                         size_t n)
{
    if (strlen(s) >= SCL_CFG_STR) {
        snprintf(why, n, "longer than %d characters", SCL_CFG_STR - 1);
        return false;
    }
    for (const char *c = s; *c; c++) {
        if ((unsigned char)*c < ' ' && *c != '\t') {
            snprintf(why, n, "control character in the value");
            return false;
        }
        if (*c == ';' && c > s && (c[-1] == ' ' || c[-1] == '\t')) {
            snprintf(why, n, "a ';' after a blank would start an INI comment");
            return false;
        }
    }
    if (k->check && !k->check(s, why, n))
        return false;
    snprintf(v->s, sizeof(v->s), "%s", s);
    return true;
}

static bool parse_enum(const struct key_desc *k, const char *s, union value *v, char *why, size_t n)
{
    size_t len = 0;
    for (int i = 0; k->names[i]; i++)
        if (strcmp(s, k->names[i]) == 0) {
            v->e = i;
            return true;
        }
    append(why, n, &len, "'%s' is not allowed (allowed:", s);
    for (int i = 0; k->names[i]; i++)
        append(why, n, &len, " %s", k->names[i]);
    append(why, n, &len, ")");
    return false;
}

/* Copy the text from *p up to the next comma into item, blanks trimmed, and leave *p on that
 * comma or on the final NUL. False when the entry does not fit in item. */
static bool next_item(const char **p, char *item, size_t n)
{
    size_t len = strcspn(*p, ",");
    bool fits = len < n;
    snprintf(item, n, "%.*s", (int)(fits ? len : n - 1), *p);
    clean_value(item, item, n);
    *p += len;
    return fits;
}

/* An enum name of k's names into *out (its index). */
static bool enum_entry(const struct key_desc *k, const char *item, int32_t *out, char *why,
                       size_t n)
{
    union value e;
    if (!parse_enum(k, item, &e, why, n))
        return false;
    *out = (int32_t)e.e;
    return true;
}

/* Entry i of a float, int or enum list, checked against the key's bounds for one entry. */
static bool list_entry(const struct key_desc *k, const char *item, int32_t i, union value *v,
                       char *why, size_t n)
{
    long long x;
    if (!item[0]) {
        snprintf(why, n, "is empty");
        return false;
    }
    if (k->type == T_FLOATS)
        return check_float(k, item, &v->fl.v[i], why, n);
    if (k->type == T_F32S)
        return check_f32(k, item, &v->fs.v[i], why, n);
    if (k->type == T_ENUMS)
        return enum_entry(k, item, &v->il.v[i], why, n);
    if (!check_integer(k, item, &x, why, n))
        return false;
    v->il.v[i] = (int32_t)x;
    return true;
}

/* A comma-separated list of k->nmin..k->nmax entries; "" is the empty list. */
static bool parse_list(const struct key_desc *k, const char *s, union value *v, char *why, size_t n)
{
    int32_t *count = k->type == T_FLOATS ? &v->fl.n : k->type == T_F32S ? &v->fs.n : &v->il.n;
    char item[64];
    char inner[256];
    for (const char *p = s; *s; p++) {
        if (*count == k->nmax) {
            snprintf(why, n, "more than %d entries", (int)k->nmax);
            return false;
        }
        bool fits = next_item(&p, item, sizeof(item));
        if (!fits)
            snprintf(inner, sizeof(inner), "longer than %d characters", (int)sizeof(item) - 1);
        if (!fits || !list_entry(k, item, *count, v, inner, sizeof(inner))) {
            snprintf(why, n, "entry %d: %s", (int)*count + 1, inner);
            return false;
        }
        (*count)++;
        if (!*p)
            break; /* else *p is a comma, which p++ steps over */
    }
    if (*count < k->nmin) {
        snprintf(why, n, "has %d entries, needs at least %d", (int)*count, (int)k->nmin);
        return false;
    }
    return true;
}

/* Printers: the value of a field as config text (strings without quotes). */
static void format_int(const struct key_desc *k, const void *field, char *buf, size_t n)
{
    if (k->type == T_U32)
        snprintf(buf, n, "%lu", (unsigned long)*(const uint32_t *)field);
    else
        snprintf(buf, n, "%ld", (long)*(const int32_t *)field);
}

static void format_float(const struct key_desc *k, const void *field, char *buf, size_t n)
{
    (void)k;
    format_double(*(const double *)field, buf, n);
}

static void format_f32(const struct key_desc *k, const void *field, char *buf, size_t n)
{
    float v;
    (void)k;
    memcpy(&v, field, sizeof(v));
    format_float32(v, buf, n);
}

static void format_f32s(const struct key_desc *k, const void *field, char *buf, size_t n)
{
    struct f32_list l;
    size_t len = 0;
    (void)k;
    memcpy(&l, field, sizeof(l));
    buf[0] = '\0';
    for (int32_t i = 0; i < l.n && i < SCL_MAX_LAYERS; i++) {
        char num[32];
        format_float32(l.v[i], num, sizeof(num));
        append(buf, n, &len, "%s%s", i ? "," : "", num);
    }
}

static void format_string(const struct key_desc *k, const void *field, char *buf, size_t n)
{
    (void)k;
    snprintf(buf, n, "%.*s", SCL_CFG_STR - 1, (const char *)field);
}

static void format_enum(const struct key_desc *k, const void *field, char *buf, size_t n)
{
    int e;
    int count = 0;
    memcpy(&e, field, sizeof(e));
    while (k->names[count])
        count++;
    snprintf(buf, n, "%s", e >= 0 && e < count ? k->names[e] : "?");
}

static void format_floats(const struct key_desc *k, const void *field, char *buf, size_t n)
{
    const struct scl_cfg_floats *l = field;
    size_t len = 0;
    (void)k;
    buf[0] = '\0';
    for (int32_t i = 0; i < l->n && i < SCL_CFG_LIST; i++) {
        char num[32];
        format_double(l->v[i], num, sizeof(num));
        append(buf, n, &len, "%s%s", i ? "," : "", num);
    }
}

static void format_ints(const struct key_desc *k, const void *field, char *buf, size_t n)
{
    const struct scl_cfg_ints *l = field;
    size_t len = 0;
    (void)k;
    buf[0] = '\0';
    for (int32_t i = 0; i < l->n && i < SCL_CFG_LIST; i++)
        append(buf, n, &len, "%s%ld", i ? "," : "", (long)l->v[i]);
}

static void format_enums(const struct key_desc *k, const void *field, char *buf, size_t n)
{
    const struct scl_cfg_ints *l = field;
    size_t len = 0;
    int count = 0;
    while (k->names[count])
        count++;
    buf[0] = '\0';
    for (int32_t i = 0; i < l->n && i < SCL_CFG_LIST; i++) {
        int32_t e = l->v[i];
        append(buf, n, &len, "%s%s", i ? "," : "", e >= 0 && e < count ? k->names[e] : "?");
    }
}

static const struct type_ops {
    const char *name;
    size_t size; /* of the field */
    bool (*parse)(const struct key_desc *k, const char *s, union value *v, char *why, size_t n);
    void (*format)(const struct key_desc *k, const void *field, char *buf, size_t n);
} types[T_COUNT] = {
    [T_INT] = {"int", sizeof(int32_t), parse_int, format_int},
    [T_U32] = {"int", sizeof(uint32_t), parse_int, format_int},
    [T_FLOAT] = {"float", sizeof(double), parse_float, format_float},
    [T_F32] = {"float", sizeof(float), parse_f32, format_f32},
    [T_STRING] = {"string", SCL_CFG_STR, parse_string, format_string},
    [T_ENUM] = {"enum", sizeof(int), parse_enum, format_enum},
    [T_FLOATS] = {"floats", sizeof(struct scl_cfg_floats), parse_list, format_floats},
    [T_F32S] = {"floats", sizeof(struct f32_list), parse_list, format_f32s},
    [T_INTS] = {"ints", sizeof(struct scl_cfg_ints), parse_list, format_ints},
    [T_ENUMS] = {"enums", sizeof(struct scl_cfg_ints), parse_list, format_enums},
};

/* ---------------------------------------------------------------- keys and values */

static const struct key_desc *find_key(const char *section, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(schema[i].section, section) == 0 && strcmp(schema[i].key, key) == 0)
            return &schema[i];
    return NULL;
}

/* The key "section.key". */
static const struct key_desc *find_name(const char *name)
{
    const char *dot = strchr(name, '.');
    if (!dot)
        return NULL;
    size_t len = (size_t)(dot - name);
    for (size_t i = 0; i < N_KEYS; i++)
        if (strncmp(schema[i].section, name, len) == 0 && schema[i].section[len] == '\0' &&
            strcmp(schema[i].key, dot + 1) == 0)
            return &schema[i];
    return NULL;
}

static size_t key_index(const struct key_desc *k)
{
    return (size_t)(k - schema);
}

/* A value as the dump writes it: strings in quotes, so that blanks survive. */
static void format_shown(const struct key_desc *k, const void *field, char *buf, size_t n)
{
    char val[VALUE_MAX];
    types[k->type].format(k, field, val, sizeof(val));
    snprintf(buf, n, k->type == T_STRING ? "\"%s\"" : "%s", val);
}

/* The "key = value" line of a field, as the dump writes it (strings quoted). */
static void format_line(const struct key_desc *k, const void *field, char *buf, size_t n)
{
    char val[VALUE_MAX + 2];
    format_shown(k, field, val, sizeof(val));
    /* an empty list is "key =", without a trailing blank */
    snprintf(buf, n, "%s =%s%s", k->key, val[0] ? " " : "", val);
}

/* Parse `text` (blanks trimmed, quotes removed) for key k into v; why gets the problem. */
static bool parse_value(const struct key_desc *k, const char *text, union value *v, char *why,
                        size_t n)
{
    char clean[VALUE_MAX];
    char line[VALUE_MAX + 64];
    memset(v, 0, sizeof(*v));
    if (!clean_value(text, clean, sizeof(clean))) {
        snprintf(why, n, "value longer than %d characters", VALUE_MAX - 1);
        return false;
    }
    if (!types[k->type].parse(k, clean, v, why, n))
        return false;
    format_line(k, v, line, sizeof(line));
    if (strlen(line) > LINE_LIMIT) {
        snprintf(why, n, "value too long to dump on one line (libinih reads %d characters)",
                 LINE_LIMIT);
        return false;
    }
    return true;
}

/* Store a value for k, without marking it as set. */
static bool assign(struct scl_config *cfg, const struct key_desc *k, const char *text, char *why,
                   size_t n)
{
    union value v;
    if (!parse_value(k, text, &v, why, n))
        return false;
    memcpy((char *)cfg + k->offset, &v, types[k->type].size);
    return true;
}

/* Fill the [train] keys that no file or --set has set from the profile's parameters: every
 * key whose field lies inside cfg->train takes the profile struct's field at the same place. */
static void apply_preset(struct scl_config *cfg, int profile)
{
    const struct scl_train_params p = profile_params[profile]();
    const size_t base = offsetof(struct scl_config, train);
    for (size_t i = 0; i < N_KEYS; i++) {
        const struct key_desc *k = &schema[i];
        if (k->offset >= base && k->offset < base + sizeof(p) && !cfg->is_set[i])
            memcpy((char *)cfg + k->offset, (const char *)&p + (k->offset - base),
                   types[k->type].size);
    }
}

/* Store a value from a file or --set: it is marked as set, and a profile fills the rest. */
static bool set_explicit(struct scl_config *cfg, const struct key_desc *k, const char *text,
                         char *why, size_t n)
{
    if (!assign(cfg, k, text, why, n))
        return false;
    cfg->is_set[key_index(k)] = 1;
    if (k == find_name("train.profile"))
        apply_preset(cfg, (int)cfg->profile);
    return true;
}

void scl_cfg_defaults(struct scl_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->train = scl_train_default_params();
    cfg->sleep = scl_sleep_default_params();
    cfg->tripartite = scl_tri_default_params();
    for (size_t i = 0; i < N_KEYS; i++)
        if (schema[i].def != FROM_LIB)
            (void)assign(cfg, &schema[i], schema[i].def, NULL, 0);
}

/* "unknown key (keys of [train]: profile, output, ...)" or "unknown section [x] (...)". */
static void describe_unknown(const char *section, char *why, size_t n)
{
    size_t len = 0;
    bool known = false;
    for (size_t i = 0; i < N_KEYS && !known; i++)
        known = strcmp(schema[i].section, section) == 0;
    append(why, n, &len,
           known ? "unknown key (keys of [%s]:" : "unknown section [%s] (sections:", section);
    for (size_t i = 0; i < N_KEYS; i++) {
        if (known && strcmp(schema[i].section, section) == 0)
            append(why, n, &len, " %s", schema[i].key);
        else if (!known && (i == 0 || strcmp(schema[i].section, schema[i - 1].section) != 0))
            append(why, n, &len, " %s", schema[i].section);
    }
    append(why, n, &len, known ? ")" : " config)");
}

/* ---------------------------------------------------------------- files */

/* One file being parsed: the reader's and the handler's shared state. */
struct parse {
    struct scl_config *cfg;
    const char *path;
    FILE *f;
    int line;                   /* physical line the reader returned last */
    bool indented;              /* that line starts with a blank */
    int depth;                  /* include nesting */
    bool any_key;               /* a key was seen: too late for an include */
    int seen[SCL_CFG_MAX_KEYS]; /* line where key i was set in this file; 0 = not yet */
    int err_line;               /* line of the first error; 0 = none */
    bool err_whole;             /* err is a whole message from an included file */
    char err[CFG_ERR_LEN];
};

static scl_status parse_file(struct scl_config *cfg, const char *path, int depth, char *msg,
                             size_t n);

/* Record the first problem at the current line; returns 0 for libinih. */
CFG_PRINTF(2, 3) static int fail(struct parse *p, const char *fmt, ...)
{
    if (p->err_line)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof(p->err), fmt, ap);
    va_end(ap);
    p->err_line = p->line;
    return 0;
}

/* fgets for libinih that counts lines and stops at the first line it would split. */
static char *read_line(char *str, int num, void *stream)
{
    struct parse *p = stream;
    if (p->err_line || !fgets(str, num, p->f))
        return NULL;
    p->line++;
    p->indented = str[0] == ' ' || str[0] == '\t';
    size_t len = strcspn(str, "\r\n");
    bool complete = str[len] != '\0' || feof(p->f);
    if (!complete || len > (size_t)num - 3) {
        (void)fail(p, "line longer than %d characters (the libinih limit)", num - 3);
        return NULL;
    }
    return str;
}

/* The path of `name` relative to the directory of `base` (absolute names stay). */
static void relative_path(const char *base, const char *name, char *buf, size_t n)
{
    const char *slash = strrchr(base, '/');
    if (name[0] == '/' || !slash)
        snprintf(buf, n, "%s", name);
    else
        snprintf(buf, n, "%.*s/%s", (int)(slash - base), base, name);
}

/* [config] include = FILE: apply FILE first; it must come before every other key. */
static int on_include(struct parse *p, const char *name, const char *value)
{
    char file[VALUE_MAX];
    char path[2 * VALUE_MAX];
    if (strcmp(name, "include") != 0)
        return fail(p, "[config] %s: unknown key (keys of [config]: include)", name);
    if (p->any_key)
        return fail(p, "[config] include: must come first, and only once");
    if (p->depth >= MAX_DEPTH)
        return fail(p, "[config] include: nested more than %d deep (a cycle?)", MAX_DEPTH);
    p->any_key = true;
    if (!clean_value(value, file, sizeof(file)) || !file[0])
        return fail(p, "[config] include: needs a file name");
    relative_path(p->path, file, path, sizeof(path));
    scl_status st = parse_file(p->cfg, path, p->depth + 1, p->err, sizeof(p->err));
    if (st == SCL_OK)
        return 1;
    p->err_whole = st != SCL_ERR_IO; /* the included file's own "FILE:LINE: ..." */
    if (st == SCL_ERR_IO)
        snprintf(p->err, sizeof(p->err), "[config] include: %.900s: cannot open", path);
    p->err_line = p->line;
    return 0;
}

/* The libinih handler: one "key = value" in [section]. */
static int on_pair(void *user, const char *section, const char *name, const char *value)
{
    struct parse *p = user;
    char why[512];
    if (p->err_line)
        return 0;
    if (strcmp(section, "config") == 0)
        return on_include(p, name, value);
    if (!section[0])
        return fail(p, "%s: key before any [section]", name);
    const struct key_desc *k = find_key(section, name);
    if (!k) {
        describe_unknown(section, why, sizeof(why));
        return fail(p, "[%s] %s: %s", section, name, why);
    }
    if (p->seen[key_index(k)] && p->indented)
        return fail(p, "[%s] %s: indented line, which INI reads as more of %s: remove the indent",
                    section, name, name);
    if (p->seen[key_index(k)])
        return fail(p, "[%s] %s: duplicate key (first set on line %d)", section, name,
                    p->seen[key_index(k)]);
    p->seen[key_index(k)] = p->line;
    p->any_key = true;
    char file[VALUE_MAX], path[2 * VALUE_MAX];
    if ((k->flags & REL_PATH) && clean_value(value, file, sizeof(file)) && file[0]) {
        relative_path(p->path, file, path, sizeof(path));
        value = path;
    }
    if (!set_explicit(p->cfg, k, value, why, sizeof(why)))
        return fail(p, "[%s] %s: %s", section, name, why);
    return 1;
}

/* The message for libinih's result r (0 or the first bad line) and our first error. */
static scl_status parse_result(const struct parse *p, int r, char *msg, size_t n)
{
    if (r == -2)
        return cfg_fail(msg, n, SCL_ERR_NOMEM, "%s: out of memory", p->path);
    if (r > 0 && (!p->err_line || r < p->err_line))
        return cfg_fail(msg, n, SCL_ERR_CONFIG,
                        "%s:%d: syntax error (expected [section] or key = value)", p->path, r);
    if (!p->err_line)
        return SCL_OK;
    if (p->err_whole)
        return cfg_fail(msg, n, SCL_ERR_CONFIG, "%s", p->err);
    return cfg_fail(msg, n, SCL_ERR_CONFIG, "%s:%d: %s", p->path, r > 0 ? r : p->err_line, p->err);
}

/* Parse one file (includes recurse through libinih; MAX_DEPTH bounds them). SCL_ERR_IO: the
 * file cannot be opened. The state is on the heap: it is large and nests. */
static scl_status parse_file(struct scl_config *cfg, const char *path, int depth, char *msg,
                             size_t n)
{
    struct parse *p = calloc(1, sizeof(*p));
    if (!p)
        return cfg_fail(msg, n, SCL_ERR_NOMEM, "%s: out of memory", path);
    p->cfg = cfg;
    p->path = path;
    p->depth = depth;
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) { /* stdio reads a directory as empty */
        free(p);
        return cfg_fail(msg, n, SCL_ERR_CONFIG, "%s: not a regular file", path);
    }
    p->f = fopen(path, "r");
    scl_status st = cfg_fail(msg, n, SCL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (p->f) {
        int r = ini_parse_stream(read_line, p, on_pair, p);
        (void)fclose(p->f);
        st = parse_result(p, r, msg, n);
    }
    free(p);
    return st;
}

scl_status scl_cfg_load(struct scl_config *cfg, const char *path, char *msg, size_t n)
{
    scl_status st = parse_file(cfg, path, 0, msg, n);
    return st == SCL_ERR_IO ? SCL_ERR_CONFIG : st;
}

/* ---------------------------------------------------------------- --set */

scl_status scl_cfg_set(struct scl_config *cfg, const char *assignment, char *msg, size_t n)
{
    char name[128];
    char why[512];
    const char *eq = strchr(assignment, '=');
    size_t len = eq ? (size_t)(eq - assignment) : 0;
    if (len < sizeof(name))
        snprintf(name, sizeof(name), "%.*s", (int)len, assignment);
    if (!eq || len >= sizeof(name) || !clean_value(name, name, sizeof(name)) || !strchr(name, '.'))
        return cfg_fail(msg, n, SCL_ERR_CONFIG, "--set %s: expected section.key=value", assignment);
    const struct key_desc *k = find_name(name);
    if (!k && strcmp(name, "config.include") == 0)
        return cfg_fail(msg, n, SCL_ERR_CONFIG, "--set %s: include works only in files",
                        assignment);
    if (!k) {
        *strchr(name, '.') = '\0';
        describe_unknown(name, why, sizeof(why));
        return cfg_fail(msg, n, SCL_ERR_CONFIG, "--set %s: %s", assignment, why);
    }
    if (!set_explicit(cfg, k, eq + 1, why, sizeof(why)))
        return cfg_fail(msg, n, SCL_ERR_CONFIG, "--set %s: %s", assignment, why);
    return SCL_OK;
}

/* ---------------------------------------------------------------- validation */

/* Every field again through its parser: catches values set directly in code. */
static scl_status check_fields(const struct scl_config *cfg, char *msg, size_t n)
{
    char text[VALUE_MAX];
    char why[512];
    union value v;
    for (size_t i = 0; i < N_KEYS; i++) {
        const struct key_desc *k = &schema[i];
        types[k->type].format(k, (const char *)cfg + k->offset, text, sizeof(text));
        if (!parse_value(k, text, &v, why, sizeof(why)))
            return cfg_fail(msg, n, SCL_ERR_CONFIG, "[%s] %s: %s", k->section, k->key, why);
    }
    return SCL_OK;
}

static scl_status check_classes(const struct scl_cfg_ints *c, char *msg, size_t n)
{
    for (int32_t i = 0; i < c->n; i++)
        for (int32_t j = 0; j < i; j++)
            if (c->v[i] == c->v[j])
                return cfg_fail(msg, n, SCL_ERR_CONFIG, "[data] classes: %d is listed twice",
                                (int)c->v[i]);
    return SCL_OK;
}

/* Every entry of a share list (fractions, levels) must lie in (0, 1]. */
static scl_status check_shares(const char *key, const struct scl_cfg_floats *l, char *msg, size_t n)
{
    for (int32_t i = 0; i < l->n; i++)
        if (!(l->v[i] > 0.0 && l->v[i] <= 1.0))
            return cfg_fail(msg, n, SCL_ERR_CONFIG,
                            "[experiment] %s: entry %d is %g, must be in (0, 1]", key, i + 1,
                            l->v[i]);
    return SCL_OK;
}

/* [search]: every bound a pair lo <= hi, decay inside (0, 1], no more elites than
 * candidates. */
static scl_status check_search(const struct scl_cfg_search *c, char *msg, size_t n)
{
    const struct {
        const char *key;
        const struct scl_cfg_floats *v;
    } bounds[] = {{"steps", &c->steps}, {"max_rate", &c->max_rate}, {"alpha", &c->alpha},
                  {"beta", &c->beta},   {"decay", &c->decay},       {"inc", &c->inc},
                  {"dec", &c->dec}};
    for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
        if (bounds[i].v->n != 2 || bounds[i].v->v[0] > bounds[i].v->v[1])
            return cfg_fail(msg, n, SCL_ERR_CONFIG, "[search] %s: needs two bounds lo,hi",
                            bounds[i].key);
    if (c->decay.v[1] > 1.0)
        return cfg_fail(msg, n, SCL_ERR_CONFIG, "[search] decay: bounds must be in (0, 1]");
    if (c->elite > c->population)
        return cfg_fail(msg, n, SCL_ERR_CONFIG, "[search] elite: more than population");
    return SCL_OK;
}

scl_status scl_cfg_validate(const struct scl_config *cfg, char *msg, size_t n)
{
    scl_status st = check_fields(cfg, msg, n);
    int32_t layers = cfg->model.sizes.n - 1;
    if (st == SCL_OK && (layers < 1 || layers > SCL_MAX_LAYERS))
        st = cfg_fail(msg, n, SCL_ERR_CONFIG, "[model] sizes: needs 2..%d entries, has %d",
                      SCL_MAX_LAYERS + 1, (int)cfg->model.sizes.n);
    if (st == SCL_OK)
        st = check_classes(&cfg->data.classes, msg, n);
    if (st == SCL_OK)
        st = check_shares("fractions", &cfg->experiment.fractions, msg, n);
    if (st == SCL_OK)
        st = check_shares("levels", &cfg->experiment.levels, msg, n);
    if (st == SCL_OK)
        st = check_search(&cfg->search, msg, n);
    for (int32_t i = 0; st == SCL_OK && i < cfg->experiment.methods.n; i++)
        for (int32_t j = 0; st == SCL_OK && j < i; j++)
            if (cfg->experiment.methods.v[i] == cfg->experiment.methods.v[j])
                st = cfg_fail(msg, n, SCL_ERR_CONFIG, "[experiment] methods: %s is listed twice",
                              method_names[cfg->experiment.methods.v[i]]);
    for (int32_t i = 0; st == SCL_OK && i < cfg->experiment.downscale.n; i++)
        if (cfg->experiment.downscale.v[i] > 1.0)
            st = cfg_fail(msg, n, SCL_ERR_CONFIG,
                          "[experiment] downscale: entry %d is %g, must be in [0, 1]", i + 1,
                          cfg->experiment.downscale.v[i]);
    if (st == SCL_OK && cfg->experiment.kind == SCL_CFG_KIND_EPOCHS &&
        cfg->experiment.train_epochs.n < 1)
        st = cfg_fail(msg, n, SCL_ERR_CONFIG,
                      "[experiment] train_epochs: kind = epochs sweeps at least "
                      "one value");
    return st;
}

scl_status scl_cfg_build(struct scl_config *cfg, const char *path, const char *const *sets,
                         int n_sets, char *msg, size_t n)
{
    scl_cfg_defaults(cfg);
    scl_status st = path ? scl_cfg_load(cfg, path, msg, n) : SCL_OK;
    for (int i = 0; i < n_sets && st == SCL_OK; i++)
        st = scl_cfg_set(cfg, sets[i], msg, n);
    return st == SCL_OK ? scl_cfg_validate(cfg, msg, n) : st;
}

/* ---------------------------------------------------------------- dump and hash */

/* Where dump lines go: a buffer (snprintf-style), a stream, and an FNV-1a 64 hash. */
struct sink {
    char *buf;
    size_t cap, len;
    FILE *f;
    bool io_error;
    uint64_t fnv;
};

static void sink_put(struct sink *s, const char *text, bool hashed)
{
    append(s->buf, s->cap, &s->len, "%s", text);
    if (s->f && fputs(text, s->f) == EOF)
        s->io_error = true;
    for (const char *c = text; hashed && *c; c++) {
        s->fnv ^= (unsigned char)*c;
        s->fnv *= 0x100000001b3ULL;
    }
}

/* Sections of a tool's own settings ([search]): neither their keys nor their headers enter
 * scl_cfg_hash, so adding them leaves the hashes of existing run directories as they were. */
static bool tool_section(const struct key_desc *k)
{
    return strcmp(k->section, "search") == 0;
}

/* Whether key k's line enters the hash: not for locations and tools, and a NEW_KEY only when
 * it differs from its default (def: the defaults, filled on first need). */
static bool hashed(const struct key_desc *k, const char *line, struct scl_config *def,
                   bool *def_ready)
{
    char at_def[VALUE_MAX + 64];
    if ((k->flags & NO_HASH) || tool_section(k))
        return false;
    if (!(k->flags & NEW_KEY))
        return true;
    if (!*def_ready)
        scl_cfg_defaults(def);
    *def_ready = true;
    format_line(k, (const char *)def + k->offset, at_def, sizeof(at_def));
    return strcmp(line, at_def) != 0;
}

/* Whether the header of the section starting at key i enters the hash: always for a section
 * that existed before NEW_KEY (it always did, even when none of its keys enters: [device]),
 * and for a section of NEW_KEYs only when one of them does, so that older hashes stay. */
static bool section_hashed(const struct scl_config *cfg, size_t i, struct scl_config *def,
                           bool *def_ready)
{
    char line[VALUE_MAX + 64];
    bool any = false;
    for (size_t j = i; j < N_KEYS && strcmp(schema[j].section, schema[i].section) == 0; j++) {
        format_line(&schema[j], (const char *)cfg + schema[j].offset, line, sizeof(line));
        any = any || !(schema[j].flags & NEW_KEY) || hashed(&schema[j], line, def, def_ready);
    }
    return any;
}

static void dump_to(const struct scl_config *cfg, struct sink *s)
{
    char line[VALUE_MAX + 64];
    struct scl_config def;
    bool def_ready = false;
    s->fnv = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < N_KEYS; i++) {
        const struct key_desc *k = &schema[i];
        if (i == 0 || strcmp(k->section, schema[i - 1].section) != 0) {
            snprintf(line, sizeof(line), "%s[%s]\n", i ? "\n" : "", k->section);
            sink_put(s, line, !tool_section(k) && section_hashed(cfg, i, &def, &def_ready));
        }
        format_line(k, (const char *)cfg + k->offset, line, sizeof(line));
        bool h = hashed(k, line, &def, &def_ready);
        sink_put(s, line, h);
        sink_put(s, "\n", h);
    }
}

size_t scl_cfg_dump(const struct scl_config *cfg, char *buf, size_t n)
{
    struct sink s = {.buf = buf, .cap = n};
    if (buf && n)
        buf[0] = '\0';
    dump_to(cfg, &s);
    return s.len;
}

scl_status scl_cfg_write(const struct scl_config *cfg, FILE *f)
{
    struct sink s = {.f = f};
    dump_to(cfg, &s);
    return s.io_error ? SCL_ERR_IO : SCL_OK;
}

void scl_cfg_hash(const struct scl_config *cfg, char hex[SCL_CFG_HASH_LEN])
{
    struct sink s = {0};
    dump_to(cfg, &s);
    snprintf(hex, SCL_CFG_HASH_LEN, "%016llx", (unsigned long long)s.fnv);
}

/* ---------------------------------------------------------------- help and queries */

/* "float > 0", "enum mnist|fashion", "ints 2-9 x 1..65536". */
static void range_text(const struct key_desc *k, char *buf, size_t n)
{
    size_t len = 0;
    char b[128];
    bounds_text(k, b, sizeof(b));
    if (k->type == T_ENUMS)
        append(buf, n, &len, "%d-%d x ", (int)k->nmin, (int)k->nmax);
    if (k->type == T_ENUM || k->type == T_ENUMS)
        for (int i = 0; k->names[i]; i++)
            append(buf, n, &len, "%s%s", i ? "|" : "", k->names[i]);
    else if (k->type == T_FLOATS || k->type == T_F32S || k->type == T_INTS)
        append(buf, n, &len, "%d-%d x %s", (int)k->nmin, (int)k->nmax, b);
    else if (k->type != T_STRING)
        append(buf, n, &len, "%s", b);
    else
        append(buf, n, &len, "%s", k->check == check_seeds ? "a..b,c,..." : "text");
}

void scl_cfg_print_keys(FILE *f)
{
    struct scl_config def;
    char name[64];
    char range[128];
    char value[VALUE_MAX + 2];
    fprintf(f, "Config keys (INI [section] key = value, or --set section.key=value):\n");
    fprintf(f, "  %-22s %-6s %-20s %-17s %s\n", "key", "type", "allowed", "default", "meaning");
    scl_cfg_defaults(&def);
    for (size_t i = 0; i < N_KEYS; i++) {
        const struct key_desc *k = &schema[i];
        snprintf(name, sizeof(name), "%s.%s", k->section, k->key);
        range_text(k, range, sizeof(range));
        format_shown(k, (const char *)&def + k->offset, value, sizeof(value));
        fprintf(f, "  %-22s %-6s %-20s %-17s %s\n", name, types[k->type].name, range, value,
                k->help);
    }
    fprintf(f, "A file may start with [config] include = FILE (relative to it) to apply FILE "
               "first.\n");
}

scl_status scl_cfg_get(const struct scl_config *cfg, const char *name, char *buf, size_t n)
{
    const struct key_desc *k = find_name(name);
    if (!k)
        return SCL_ERR_ARG;
    types[k->type].format(k, (const char *)cfg + k->offset, buf, n);
    return SCL_OK;
}

bool scl_cfg_is_set(const struct scl_config *cfg, const char *name)
{
    const struct key_desc *k = find_name(name);
    return k && cfg->is_set[key_index(k)];
}

const char *scl_cfg_method_name(int method)
{
    int count = (int)(sizeof(method_names) / sizeof(method_names[0])) - 1;
    return method >= 0 && method < count ? method_names[method] : "?";
}

void scl_cfg_data_dir(const struct scl_config *cfg, char *buf, size_t n)
{
    char base[VALUE_MAX];
    unsigned d = (unsigned)cfg->data.dataset;
    if (cfg->data.dir[0]) {
        snprintf(buf, n, "%s", cfg->data.dir);
        return;
    }
    scl_env_data_dir(base, sizeof(base));
    bool known = d < sizeof(dataset_dirs) / sizeof(dataset_dirs[0]);
    if (known && !dataset_dirs[d][0])
        snprintf(buf, n, "%s", base);
    else
        snprintf(buf, n, "%s/%s", base, known ? dataset_dirs[d] : "unknown");
}

/* ---------------------------------------------------------------- seeds */

/* A seed 0..2^32-1. */
static bool parse_seed(const char *s, uint64_t *out)
{
    long long x;
    if (!(s[0] >= '0' && s[0] <= '9') || !parse_ll(s, &x) || x > 4294967295LL)
        return false;
    *out = (uint64_t)x;
    return true;
}

/* The seed-list entry at *p, "7" or "3..9", as the range [*lo, *hi]; *p moves as in next_item. */
static bool seed_entry(const char **p, uint64_t *lo, uint64_t *hi, char *why, size_t n)
{
    char item[64];
    bool fits = next_item(p, item, sizeof(item));
    char *dots = strstr(item, "..");
    if (dots)
        *dots = '\0';
    if (fits && parse_seed(item, lo) && parse_seed(dots ? dots + 2 : item, hi) && *lo <= *hi)
        return true;
    if (dots)
        *dots = '.';
    snprintf(why, n, "'%s' is not a seed (0..4294967295) or a range a..b with a <= b", item);
    return false;
}

scl_status scl_cfg_parse_seeds(const char *text, uint32_t *out, size_t cap, size_t *count,
                               char *msg, size_t n)
{
    uint64_t total = 0;
    uint64_t lo;
    uint64_t hi;
    *count = 0;
    for (const char *p = text; *text; p++) {
        if (!seed_entry(&p, &lo, &hi, msg, n))
            return SCL_ERR_CONFIG;
        if (total + (hi - lo + 1) > SCL_CFG_MAX_SEEDS)
            return cfg_fail(msg, n, SCL_ERR_CONFIG, "more than %d seeds", SCL_CFG_MAX_SEEDS);
        for (uint64_t s = lo; s <= hi; s++, total++)
            if (total < cap)
                out[total] = (uint32_t)s;
        if (!*p)
            break; /* else *p is a comma, which p++ steps over */
    }
    *count = (size_t)total;
    return SCL_OK;
}

static bool check_seeds(const char *s, char *why, size_t n)
{
    size_t count;
    return scl_cfg_parse_seeds(s, NULL, 0, &count, why, n) == SCL_OK;
}

scl_status scl_cfg_seed_list(const struct scl_config *cfg, uint32_t *out, size_t cap, size_t *count)
{
    if (cfg->run.seeds[0])
        return scl_cfg_parse_seeds(cfg->run.seeds, out, cap, count, NULL, 0);
    if (cap > 0)
        out[0] = cfg->run.seed;
    *count = 1;
    return SCL_OK;
}
