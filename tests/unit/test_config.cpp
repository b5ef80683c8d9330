// The configuration schema: defaults are the library's *_default_params() and the shipped
// default sleep file; shipped files validate; errors name file, line and key; --set goes through
// the same parser; profile presets are the library's profiles and yield to explicit keys in
// either order; the dump reads back to itself; the hash is stable; seed lists expand; long
// lines are refused.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "app.h"
#include "config.h"
extern "C" {
#include "exp.h"
}
#include "test_dir.h"

namespace
{

namespace fs = std::filesystem;

std::string dump(const scl_config &cfg)
{
    size_t n = scl_cfg_dump(&cfg, nullptr, 0);
    std::string s(n + 1, '\0');
    EXPECT_EQ(scl_cfg_dump(&cfg, s.data(), s.size()), n);
    s.resize(n);
    return s;
}

std::string hash(const scl_config &cfg)
{
    char h[SCL_CFG_HASH_LEN];
    scl_cfg_hash(&cfg, h);
    return h;
}

std::string get(const scl_config &cfg, const char *name)
{
    char buf[256];
    EXPECT_EQ(scl_cfg_get(&cfg, name, buf, sizeof(buf)), SCL_OK) << name;
    return buf;
}

class Config : public ::testing::Test
{
  protected:
    scl_config cfg{};
    char msg[1024] = "";
    std::string dir = scl_test_dir();

    void SetUp() override
    {
        scl_cfg_defaults(&cfg);
    }
    std::string write(const std::string &name, const std::string &text)
    {
        std::string path = dir + "/" + name;
        std::ofstream(path) << text;
        return path;
    }
    // Load `text` as a file; on failure msg holds the error.
    scl_status load(const std::string &text, const std::string &name = "t.ini")
    {
        return scl_cfg_load(&cfg, write(name, text).c_str(), msg, sizeof(msg));
    }
    scl_status set(const char *assignment)
    {
        return scl_cfg_set(&cfg, assignment, msg, sizeof(msg));
    }
    std::string path(const std::string &name)
    {
        return dir + "/" + name;
    }
};

// Every field of a train struct, the seed aside (a run's seed is not a config key).
void expect_train_eq(const scl_train_params &a, const scl_train_params &b)
{
    EXPECT_EQ(a.output, b.output);
    EXPECT_EQ(a.loss, b.loss);
    EXPECT_EQ(a.lr, b.lr);
    EXPECT_EQ(a.momentum, b.momentum);
    EXPECT_EQ(a.batch, b.batch);
    EXPECT_EQ(a.epochs, b.epochs);
    EXPECT_EQ(a.dropout, b.dropout);
    EXPECT_EQ(a.dropout_mode, b.dropout_mode);
    EXPECT_EQ(a.init, b.init);
    EXPECT_EQ(a.init_a, b.init_a);
    EXPECT_EQ(a.gemm, b.gemm);
    EXPECT_EQ(a.finetune_lr, b.finetune_lr);
    EXPECT_EQ(a.finetune_epochs, b.finetune_epochs);
    EXPECT_EQ(a.method, b.method);
    EXPECT_EQ(a.ewc_lambda, b.ewc_lambda);
    EXPECT_EQ(a.ewc_gamma, b.ewc_gamma);
    EXPECT_EQ(a.si_c, b.si_c);
    EXPECT_EQ(a.si_xi, b.si_xi);
    EXPECT_EQ(a.replay_batch, b.replay_batch);
    EXPECT_EQ(a.owm_alpha, b.owm_alpha);
}

// Every field of a sleep struct, bit for bit, the seed aside.
void expect_sleep_eq(const scl_sleep_params &a, const scl_sleep_params &b)
{
    EXPECT_EQ(a.steps, b.steps);
    EXPECT_EQ(a.dt, b.dt);
    EXPECT_EQ(a.max_rate, b.max_rate);
    EXPECT_EQ(a.gain, b.gain);
    EXPECT_EQ(a.alpha_scale, b.alpha_scale);
    ASSERT_EQ(a.n_alpha, b.n_alpha);
    for (int i = 0; i < a.n_alpha; i++)
        EXPECT_EQ(a.alpha[i], b.alpha[i]) << i;
    ASSERT_EQ(a.n_beta, b.n_beta);
    for (int i = 0; i < a.n_beta; i++)
        EXPECT_EQ(a.beta[i], b.beta[i]) << i;
    EXPECT_EQ(a.decay, b.decay);
    EXPECT_EQ(a.inc, b.inc);
    EXPECT_EQ(a.dec, b.dec);
    EXPECT_EQ(a.norm, b.norm);
    EXPECT_EQ(a.modulation, b.modulation);
    EXPECT_EQ(a.input, b.input);
}

TEST_F(Config, DefaultsAreValidAndArePaper2024)
{
    ASSERT_EQ(scl_cfg_validate(&cfg, msg, sizeof(msg)), SCL_OK) << msg;
    EXPECT_EQ(cfg.profile, SCL_CFG_PROFILE_PAPER2024);
    EXPECT_EQ(cfg.model.sizes.n, 4);
    EXPECT_EQ(cfg.model.sizes.v[1], 1200);
    EXPECT_EQ(cfg.sleep.n_beta, 3);
    EXPECT_EQ(cfg.run.seed, 1u);
    EXPECT_FALSE(scl_cfg_is_set(&cfg, "train.lr"));
    // The schema defaults and the paper2024 preset agree.
    std::string before = dump(cfg);
    ASSERT_EQ(set("train.profile=paper2024"), SCL_OK) << msg;
    EXPECT_EQ(dump(cfg), before);
}

// The schema has no defaults of its own for the library's parameters: every [train] and [sleep]
// key starts at the library's *_default_params(), and its default text (as --help-keys and
// --dump show it) reads back to the same bits.
TEST_F(Config, SchemaDefaultsAreTheLibraryDefaults)
{
    expect_train_eq(cfg.train, scl_train_default_params());
    expect_sleep_eq(cfg.sleep, scl_sleep_default_params());
    EXPECT_EQ(cfg.steps_per_task, 0);
    const char *keys[] = {"train.output",
                          "train.loss",
                          "train.lr",
                          "train.momentum",
                          "train.batch",
                          "train.epochs",
                          "train.dropout",
                          "train.dropout_mode",
                          "train.init",
                          "train.init_a",
                          "train.gemm",
                          "train.finetune_lr",
                          "train.finetune_epochs",
                          "train.method",
                          "train.ewc_lambda",
                          "train.ewc_gamma",
                          "train.si_c",
                          "train.si_xi",
                          "train.replay_batch",
                          "train.owm_alpha",
                          "sleep.steps",
                          "sleep.dt",
                          "sleep.max_rate",
                          "sleep.gain",
                          "sleep.alpha",
                          "sleep.alpha_vector",
                          "sleep.beta",
                          "sleep.decay",
                          "sleep.inc",
                          "sleep.dec",
                          "sleep.modulation",
                          "sleep.input",
                          "sleep.norm"};
    scl_config back{};
    scl_cfg_defaults(&back);
    for (const char *k : keys) {
        std::string a = std::string(k) + "=" + get(cfg, k);
        ASSERT_EQ(scl_cfg_set(&back, a.c_str(), msg, sizeof(msg)), SCL_OK) << msg;
    }
    expect_train_eq(back.train, scl_train_default_params());
    expect_sleep_eq(back.sleep, scl_sleep_default_params());
}

// The default sleep set is the shipped 2024 MNIST file (the build generates the library's
// default from it): loading the file over the defaults changes nothing.
TEST_F(Config, DefaultSleepSetIsTheShippedFile)
{
    std::string before = dump(cfg);
    std::string file = std::string(SCL_SOURCE_DIR) + "/configs/sleep/mnist2024.ini";
    ASSERT_EQ(scl_cfg_load(&cfg, file.c_str(), msg, sizeof(msg)), SCL_OK) << msg;
    expect_sleep_eq(cfg.sleep, scl_sleep_default_params());
    EXPECT_EQ(dump(cfg), before);
}

TEST_F(Config, ShippedConfigsParseAndValidate)
{
    int files = 0;
    for (const auto &e : fs::recursive_directory_iterator(fs::path(SCL_SOURCE_DIR) / "configs")) {
        if (e.path().extension() != ".ini")
            continue;
        scl_config c;
        scl_status st = scl_cfg_build(&c, e.path().c_str(), nullptr, 0, msg, sizeof(msg));
        EXPECT_EQ(st, SCL_OK) << e.path() << ": " << msg;
        files++;
    }
    EXPECT_GE(files, 6);
}

// Every paper-figures file a shipped config names loads: a figure given as a percent, or a row
// that is no method, would otherwise surface only when a sweep starts.
TEST_F(Config, ShippedPaperFiguresLoad)
{
    int files = 0;
    for (const auto &e : fs::directory_iterator(fs::path(SCL_SOURCE_DIR) / "configs/experiments")) {
        scl_config c;
        scl_exp_paper paper;
        ASSERT_EQ(scl_cfg_build(&c, e.path().c_str(), nullptr, 0, msg, sizeof(msg)), SCL_OK) << msg;
        if (!c.experiment.paper[0])
            continue;
        EXPECT_EQ(scl_exp_paper_load(c.experiment.paper, &paper), SCL_EXIT_OK) << e.path();
        EXPECT_TRUE(paper.loaded && paper.n > 0) << e.path();
        files++;
    }
    EXPECT_GE(files, 4); // Table 1 on both datasets, cross-modal, iCaRL
}

TEST_F(Config, ShippedSleepSetsMatchTheSpecification)
{
    std::string src = SCL_SOURCE_DIR;
    scl_config c;
    ASSERT_EQ(scl_cfg_build(&c, (src + "/configs/mnist.ini").c_str(), nullptr, 0, msg, sizeof(msg)),
              SCL_OK)
        << msg;
    EXPECT_EQ(c.sleep.steps, 365);
    EXPECT_EQ(c.sleep.input, SCL_SLEEP_INPUT_MEAN);
    EXPECT_DOUBLE_EQ(c.data.fraction, 0.03);
    EXPECT_EQ(get(c, "sleep.beta"), "24.3,5.08,18.42");
    ASSERT_EQ(scl_cfg_build(&c, (src + "/configs/sleep/fmnist2022.ini").c_str(), nullptr, 0, msg,
                            sizeof(msg)),
              SCL_OK)
        << msg;
    EXPECT_EQ(c.sleep.steps, 15000);
    EXPECT_EQ(c.steps_per_task, 5000);
    EXPECT_EQ(c.sleep.max_rate, (float)181.047258);
    EXPECT_EQ(c.sleep.input, SCL_SLEEP_INPUT_WINDOW);
    EXPECT_EQ(c.sleep.beta[1], (float)27.596929);
}

TEST_F(Config, FileValuesAreApplied)
{
    ASSERT_EQ(load("; comment\n# comment\n[train]\nlr = 0.5 ; inline\nbatch=32\n"
                   "[data]\nclasses = 1, 3 ,5\ndir = \"  /x y \"\n"),
              SCL_OK)
        << msg;
    EXPECT_DOUBLE_EQ(cfg.train.lr, 0.5);
    EXPECT_EQ(cfg.train.batch, 32);
    ASSERT_EQ(cfg.data.classes.n, 3);
    EXPECT_EQ(cfg.data.classes.v[2], 5);
    EXPECT_STREQ(cfg.data.dir, "  /x y ");
    EXPECT_TRUE(scl_cfg_is_set(&cfg, "train.lr"));
    EXPECT_FALSE(scl_cfg_is_set(&cfg, "train.epochs"));
}

TEST_F(Config, UnknownKeyNamesFileLineAndKey)
{
    ASSERT_EQ(load("[train]\nlr = 0.1\n\nlrr = 0.2\n"), SCL_ERR_CONFIG);
    std::string m = msg;
    EXPECT_EQ(m.rfind(path("t.ini") + ":4: [train] lrr: unknown key", 0), 0u) << m;
    EXPECT_NE(m.find("finetune_lr"), std::string::npos) << m; // lists the keys of [train]
    ASSERT_EQ(load("[trian]\nlr = 0.1\n"), SCL_ERR_CONFIG);
    EXPECT_NE(std::string(msg).find(":2: [trian] lr: unknown section"), std::string::npos) << msg;
    ASSERT_EQ(load("lr = 0.1\n"), SCL_ERR_CONFIG);
    EXPECT_NE(std::string(msg).find(":1: lr: key before any [section]"), std::string::npos);
}

TEST_F(Config, BadEnumListsAllowedNames)
{
    ASSERT_EQ(load("[train]\nloss = hinge\n"), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg), path("t.ini") + ":2: [train] loss: 'hinge' is not allowed "
                                                "(allowed: bce ce mse)");
}

TEST_F(Config, BadValuesAndRanges)
{
    struct {
        const char *text, *expect;
    } cases[] = {
        {"[train]\nbatch = 0\n", "[train] batch: 0 is out of range (1..65536)"},
        {"[train]\nbatch = 12abc\n", "[train] batch: '12abc' is not an integer"},
        {"[train]\nbatch = 1.5\n", "[train] batch: '1.5' is not an integer"},
        {"[train]\nlr = 0\n", "[train] lr: 0 is out of range (> 0)"},
        {"[train]\nlr = nan\n", "[train] lr: 'nan' is not a finite number"},
        {"[train]\nlr = 1e-50\n", "[train] lr: 1e-50 is out of range (> 0)"}, // 0 as a float
        {"[sleep]\nmax_rate = 1e300\n", "[sleep] max_rate: '1e300' is not a finite number in "
                                        "float range"},
        {"[train]\nlr =\n", "[train] lr: '' is not a number"},
        {"[train]\nmomentum = 1\n", "[train] momentum: 1 is out of range ([0, 1))"},
        {"[data]\nfraction = 0\n", "[data] fraction: 0 is out of range ((0, 1])"},
        {"[data]\nfraction = 1.0001\n", "[data] fraction: 1.0001 is out of range ((0, 1])"},
        {"[model]\nsizes = 784\n", "[model] sizes: has 1 entries, needs at least 2"},
        {"[model]\nsizes = 784,0,10\n", "[model] sizes: entry 2: 0 is out of range (1..65536)"},
        {"[model]\nsizes = 784,,10\n", "[model] sizes: entry 2: is empty"},
        {"[model]\nsizes = 1,2,3,4,5,6,7,8,9,10\n", "[model] sizes: more than 9 entries"},
        {"[sleep]\nbeta = 1,-2\n", "[sleep] beta: entry 2: -2 is out of range (> 0)"},
        {"[run]\nseed = 4294967296\n", "[run] seed: 4294967296 is out of range"},
        {"[run]\nseeds = 5..1\n", "[run] seeds: '5..1' is not a seed"},
        {"[train]\nlr = 0.1\nlr = 0.2\n", ":3: [train] lr: duplicate key (first set on line 2)"},
        {"[train]\nlr 0.1\n", ":2: syntax error"},
        {"[train]\nlr = 0.1\n  batch = 3\n", ":3: [train] lr: indented line"},
    };
    for (const auto &c : cases) {
        scl_config before = cfg;
        EXPECT_EQ(load(c.text), SCL_ERR_CONFIG) << c.text;
        EXPECT_NE(std::string(msg).find(c.expect), std::string::npos) << msg;
        cfg = before;
    }
}

TEST_F(Config, RejectedValueLeavesConfigUnchanged)
{
    std::string before = dump(cfg);
    EXPECT_EQ(set("model.sizes=784,100,0"), SCL_ERR_CONFIG);
    EXPECT_EQ(set("train.lr=-1"), SCL_ERR_CONFIG);
    EXPECT_EQ(dump(cfg), before);
}

TEST_F(Config, MissingFile)
{
    EXPECT_EQ(scl_cfg_load(&cfg, path("nope.ini").c_str(), msg, sizeof(msg)), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg), path("nope.ini") + ": cannot open: No such file or directory");
}

// stdio reads a directory as an empty file: given as a config or an include it used to load as
// nothing at all, with exit 0.
TEST_F(Config, DirectoryRefused)
{
    EXPECT_EQ(scl_cfg_load(&cfg, dir.c_str(), msg, sizeof(msg)), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg), dir + ": not a regular file");
    std::string p = write("inc_dir.ini", "[config]\ninclude = .\n");
    EXPECT_EQ(scl_cfg_load(&cfg, p.c_str(), msg, sizeof(msg)), SCL_ERR_CONFIG);
    EXPECT_NE(std::string(msg).find("not a regular file"), std::string::npos) << msg;
}

TEST_F(Config, SetOverridesAndErrors)
{
    ASSERT_EQ(load("[train]\nlr = 0.5\n"), SCL_OK) << msg;
    ASSERT_EQ(set("train.lr=0.25"), SCL_OK) << msg;
    EXPECT_DOUBLE_EQ(cfg.train.lr, 0.25);
    ASSERT_EQ(set(" sleep.beta = 1, 2 ,3 "), SCL_OK) << msg;
    EXPECT_EQ(get(cfg, "sleep.beta"), "1,2,3");
    ASSERT_EQ(set("run.out=\"my dir\""), SCL_OK) << msg;
    EXPECT_STREQ(cfg.run.out, "my dir");

    EXPECT_EQ(set("train.lr=abc"), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg), "--set train.lr=abc: 'abc' is not a number");
    EXPECT_EQ(set("train.lrr=1"), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg).rfind("--set train.lrr=1: unknown key", 0), 0u) << msg;
    EXPECT_EQ(set("train.lr"), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg), "--set train.lr: expected section.key=value");
    EXPECT_EQ(set("lr=1"), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg), "--set lr=1: expected section.key=value");
    EXPECT_EQ(set("config.include=x.ini"), SCL_ERR_CONFIG);
    EXPECT_EQ(set("data.dataset=cifar"), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg),
              "--set data.dataset=cifar: 'cifar' is not allowed (allowed: mnist fashion features "
              "cifar10 cifar100 mnist_fashion fashion_mnist)");
}

TEST_F(Config, ProfilePresetYieldsToExplicitKeysInEitherOrder)
{
    // Preset after the explicit key: the library's ref2022 profile, lr aside.
    ASSERT_EQ(load("[train]\nlr = 0.3\nprofile = ref2022\n"), SCL_OK) << msg;
    EXPECT_EQ(cfg.train.lr, 0.3f);
    scl_train_params want = scl_train_ref2022_params();
    want.lr = 0.3f;
    expect_train_eq(cfg.train, want);
    EXPECT_EQ(cfg.train.output, SCL_OUTPUT_RELU);
    EXPECT_EQ(cfg.train.finetune_epochs, 0);
    std::string a = dump(cfg);

    // Preset before the explicit key.
    scl_cfg_defaults(&cfg);
    ASSERT_EQ(load("[train]\nprofile = ref2022\nlr = 0.3\n"), SCL_OK) << msg;
    EXPECT_EQ(dump(cfg), a);

    // Preset from --set, after a file that set the key: the file's key still wins.
    scl_cfg_defaults(&cfg);
    ASSERT_EQ(load("[train]\nlr = 0.3\n"), SCL_OK) << msg;
    ASSERT_EQ(set("train.profile=ref2022"), SCL_OK) << msg;
    EXPECT_EQ(dump(cfg), a);

    // Switching back restores every preset key that was not set explicitly.
    ASSERT_EQ(set("train.profile=paper2024"), SCL_OK) << msg;
    want = scl_train_default_params();
    want.lr = 0.3f;
    expect_train_eq(cfg.train, want);
}

TEST_F(Config, DumpParsesBackToTheSameDump)
{
    ASSERT_EQ(load("[train]\nprofile = ref2022\n[sleep]\nalpha_vector = 0.1,0.2,0.3\n"
                   "inc = 0.0000123456789\n[data]\nclasses = 3,1\ndir = \"a b\"\n"
                   "[run]\nseeds = 1..3,7\n"),
              SCL_OK)
        << msg;
    ASSERT_EQ(set("sleep.max_rate=239.515363"), SCL_OK) << msg;
    ASSERT_EQ(set("train.lr=0.1000000000000000055511151231257827"), SCL_OK) << msg;
    std::string text = dump(cfg);
    scl_config back;
    scl_cfg_defaults(&back);
    ASSERT_EQ(scl_cfg_load(&back, write("dump.ini", text).c_str(), msg, sizeof(msg)), SCL_OK)
        << msg << "\n"
        << text;
    EXPECT_EQ(dump(back), text);
    EXPECT_EQ(hash(back), hash(cfg));
    EXPECT_EQ(back.sleep.inc, cfg.sleep.inc); // bit for bit
    EXPECT_NE(text.find("\n[sleep]\n"), std::string::npos);
    EXPECT_NE(text.find("\nalpha_vector = 0.1,0.2,0.3\n"), std::string::npos) << text;

    // An empty list dumps as "key =" and reads back empty.
    ASSERT_EQ(set("sleep.alpha_vector="), SCL_OK) << msg;
    EXPECT_NE(dump(cfg).find("\nalpha_vector =\n"), std::string::npos);
}

TEST_F(Config, DumpTruncatesLikeSnprintf)
{
    size_t n = scl_cfg_dump(&cfg, nullptr, 0);
    char small[16];
    EXPECT_EQ(scl_cfg_dump(&cfg, small, sizeof(small)), n);
    EXPECT_EQ(std::string(small), dump(cfg).substr(0, 15));
}

TEST_F(Config, HashIsStableAndTracksValues)
{
    std::string h = hash(cfg);
    EXPECT_EQ(h.size(), 16u);
    EXPECT_EQ(h, hash(cfg));
    scl_config other;
    scl_cfg_defaults(&other);
    EXPECT_EQ(hash(other), h);
    ASSERT_EQ(scl_cfg_set(&other, "sleep.decay=0.96", msg, sizeof(msg)), SCL_OK);
    EXPECT_NE(hash(other), h);
    // Where things go does not change what is computed.
    scl_cfg_defaults(&other);
    ASSERT_EQ(scl_cfg_set(&other, "run.out=/elsewhere", msg, sizeof(msg)), SCL_OK);
    ASSERT_EQ(scl_cfg_set(&other, "device.device=1", msg, sizeof(msg)), SCL_OK);
    EXPECT_EQ(hash(other), h);
}

// Keys added after run directories existed enter the hash only when they leave their default:
// the hash of such a config is the FNV-1a of the dump without their lines, as it was before
// they existed, and setting one away from its default changes it.
TEST_F(Config, NewKeysAtTheirDefaultsLeaveTheHashAsItWas)
{
    const char *added[] = {"method",      "ewc_lambda",      "ewc_gamma",
                           "si_c",        "si_xi",           "replay_share",
                           "replay_mix",  "replay_batch",    "owm_alpha",
                           "methods",     "train_file",      "test_file",
                           "cifar_label", "overlaps",        "patch_pixels",
                           "patch_flip",  "patch_samples",   "icarl_memory",
                           "memories",    "optimizer",       "adam_beta1",
                           "adam_beta2",  "adam_eps",        "hidden",
                           "latent",      "iterations",      "eval_every",
                           "temperature", "downscale_first", "rem",
                           "analyze",     "train_epochs",    "src",
                           "src_input"};
    const char *located[] = {"device =", "dir =", "out =", "paper ="};
    std::string text = dump(cfg), line, kept;
    size_t at = 0;
    bool in_extractor = false;
    while (at < text.size()) {
        size_t end = text.find('\n', at);
        line = text.substr(at, end - at + 1);
        at = end + 1;
        if (line == "[search]\n") { // the tool's section (with the blank line before it)
            kept.pop_back();
            break;
        }
        if (line == "[tripartite]\n") { // a section of new keys only: its header goes too
            kept.pop_back();
            continue;
        }
        if (line == "[extractor]\n") { // likewise, keys named as in [train]: skip it whole
            kept.pop_back();
            in_extractor = true;
            continue;
        }
        in_extractor = in_extractor && line != "\n";
        bool skip = in_extractor;
        for (const char *k : added)
            skip = skip || line.rfind(std::string(k) + " =", 0) == 0;
        for (const char *k : located)
            skip = skip || line.rfind(k, 0) == 0;
        if (!skip)
            kept += line;
    }
    uint64_t fnv = 0xcbf29ce484222325ULL;
    for (unsigned char c : kept) {
        fnv ^= c;
        fnv *= 0x100000001b3ULL;
    }
    char want[SCL_CFG_HASH_LEN];
    snprintf(want, sizeof(want), "%016llx", (unsigned long long)fnv);
    EXPECT_EQ(hash(cfg), want);
    std::string h = hash(cfg);
    ASSERT_EQ(set("train.method=sgd"), SCL_OK) << msg; // explicit, but the default
    EXPECT_EQ(hash(cfg), h);
    ASSERT_EQ(set("train.method=ewc"), SCL_OK) << msg;
    EXPECT_NE(hash(cfg), h);
    ASSERT_EQ(set("train.method=sgd"), SCL_OK) << msg;
    ASSERT_EQ(set("experiment.methods=sgd,rehearsal"), SCL_OK) << msg;
    EXPECT_NE(hash(cfg), h);
}

// experiment.methods is a list of train.method names: parsed to scl_method values, dumped back
// by name, each at most once.
TEST_F(Config, MethodListsParseDumpAndRefuseRepeats)
{
    ASSERT_EQ(set("experiment.methods=sgd, ewc,online_ewc,si ,rehearsal"), SCL_OK) << msg;
    ASSERT_EQ(cfg.experiment.methods.n, 5);
    EXPECT_EQ(cfg.experiment.methods.v[2], SCL_METHOD_ONLINE_EWC);
    EXPECT_EQ(cfg.experiment.methods.v[4], SCL_METHOD_REHEARSAL);
    EXPECT_EQ(get(cfg, "experiment.methods"), "sgd,ewc,online_ewc,si,rehearsal");
    ASSERT_EQ(set("experiment.methods=owm,icarl"), SCL_OK) << msg;
    EXPECT_EQ(cfg.experiment.methods.v[1], SCL_METHOD_ICARL);
    EXPECT_EQ(set("experiment.methods=sgd,gem"), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg), "--set experiment.methods=sgd,gem: entry 2: 'gem' is not "
                                "allowed (allowed: sgd ewc online_ewc si rehearsal owm icarl)");
    ASSERT_EQ(set("experiment.methods=si,ewc,si"), SCL_OK) << msg;
    EXPECT_EQ(scl_cfg_validate(&cfg, msg, sizeof(msg)), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg), "[experiment] methods: si is listed twice");
    ASSERT_EQ(set("experiment.methods="), SCL_OK) << msg;
    EXPECT_EQ(cfg.experiment.methods.n, 0);
    EXPECT_EQ(set("train.si_xi=0"), SCL_ERR_CONFIG);
    EXPECT_EQ(set("train.owm_alpha=0"), SCL_ERR_CONFIG);
    EXPECT_EQ(set("train.ewc_gamma=1.5"), SCL_ERR_CONFIG);
    EXPECT_EQ(set("train.replay_share=0"), SCL_ERR_CONFIG);
    ASSERT_EQ(set("train.replay_mix=append"), SCL_OK) << msg;
    EXPECT_EQ(cfg.replay_mix, SCL_CFG_REPLAY_APPEND);
    EXPECT_EQ(std::string(scl_cfg_method_name(SCL_METHOD_ONLINE_EWC)), "online_ewc");
    EXPECT_EQ(std::string(scl_cfg_method_name(99)), "?");
}

TEST_F(Config, SeedLists)
{
    uint32_t s[16];
    size_t n = 0;
    ASSERT_EQ(scl_cfg_parse_seeds("1..3, 7,10..11", s, 16, &n, msg, sizeof(msg)), SCL_OK);
    EXPECT_EQ(std::vector<uint32_t>(s, s + n), (std::vector<uint32_t>{1, 2, 3, 7, 10, 11}));
    ASSERT_EQ(scl_cfg_parse_seeds("4294967295", s, 16, &n, msg, sizeof(msg)), SCL_OK);
    EXPECT_EQ(n, 1u);
    EXPECT_EQ(s[0], 4294967295u);
    ASSERT_EQ(scl_cfg_parse_seeds("1..100", s, 4, &n, msg, sizeof(msg)), SCL_OK);
    EXPECT_EQ(n, 100u); // counted in full, 4 written
    EXPECT_EQ(s[3], 4u);
    ASSERT_EQ(scl_cfg_parse_seeds("", nullptr, 0, &n, msg, sizeof(msg)), SCL_OK);
    EXPECT_EQ(n, 0u);
    for (const char *bad :
         {"1,,2", "-1", "a", "3..1", "1...3", "1..", "0..4294967296", "1,", "0..200000"})
        EXPECT_EQ(scl_cfg_parse_seeds(bad, nullptr, 0, &n, msg, sizeof(msg)), SCL_ERR_CONFIG)
            << bad;

    ASSERT_EQ(scl_cfg_seed_list(&cfg, s, 16, &n), SCL_OK);
    EXPECT_EQ(n, 1u);
    EXPECT_EQ(s[0], 1u);
    ASSERT_EQ(set("run.seeds=5..6"), SCL_OK) << msg;
    ASSERT_EQ(scl_cfg_seed_list(&cfg, s, 16, &n), SCL_OK);
    EXPECT_EQ(std::vector<uint32_t>(s, s + n), (std::vector<uint32_t>{5, 6}));
}

TEST_F(Config, LongLinesAreRefused)
{
    std::string beta(250, '1');
    ASSERT_EQ(load("[sleep]\n# ok\nbeta = " + beta + "\n[train]\nlr = 0.1\n"), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg), path("t.ini") + ":3: line longer than 197 characters (the "
                                                "libinih limit)");
    // The longest accepted line, and the first refused one.
    std::string pad(197 - 8, ' ');
    EXPECT_EQ(load("[train]\nlr = 0.1" + pad + "\n"), SCL_OK) << msg;
    EXPECT_EQ(load("[train]\nlr = 0.1" + pad + " \n"), SCL_ERR_CONFIG);
    // A --set value whose dump line would be too long is refused too.
    std::string big = "run.out=" + std::string(195, 'x');
    EXPECT_EQ(set(big.c_str()), SCL_ERR_CONFIG);
    EXPECT_NE(std::string(msg).find("too long to dump on one line"), std::string::npos) << msg;
}

TEST_F(Config, CrossKeyValidation)
{
    // The [sleep] set is checked against a model by the library, once, when the model sleeps
    // (`sleepcl sleep` sleeps a model from a file); run and search check it against
    // model.sizes before training (scl_app_check_sleep, through the same library check).
    ASSERT_EQ(set("model.sizes=784,100,10"), SCL_OK) << msg;
    EXPECT_EQ(scl_cfg_validate(&cfg, msg, sizeof(msg)), SCL_OK) << msg;
    EXPECT_EQ(scl_app_check_sleep(&cfg), SCL_EXIT_USAGE); // 3 betas for 2 layers
    ASSERT_EQ(set("sleep.beta=1,2"), SCL_OK) << msg;
    EXPECT_EQ(scl_app_check_sleep(&cfg), SCL_EXIT_OK);
    ASSERT_EQ(set("sleep.alpha_vector=1,2,3"), SCL_OK) << msg;
    EXPECT_EQ(scl_app_check_sleep(&cfg), SCL_EXIT_USAGE);
    ASSERT_EQ(set("sleep.alpha_vector="), SCL_OK) << msg;
    ASSERT_EQ(set("data.classes=1,2,1"), SCL_OK) << msg;
    EXPECT_EQ(scl_cfg_validate(&cfg, msg, sizeof(msg)), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg), "[data] classes: 1 is listed twice");
    // Values written directly into the struct are checked against the schema too.
    ASSERT_EQ(set("data.classes="), SCL_OK) << msg;
    cfg.train.lr = -1;
    EXPECT_EQ(scl_cfg_validate(&cfg, msg, sizeof(msg)), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg), "[train] lr: -1 is out of range (> 0)");
}

TEST_F(Config, BuildAppliesFileThenSets)
{
    std::string p = write("b.ini", "[train]\nepochs = 7\n");
    const char *sets[] = {"train.epochs=9", "sleep.steps=10"};
    ASSERT_EQ(scl_cfg_build(&cfg, p.c_str(), sets, 2, msg, sizeof(msg)), SCL_OK) << msg;
    EXPECT_EQ(cfg.train.epochs, 9);
    EXPECT_EQ(cfg.sleep.steps, 10);
    const char *bad[] = {"data.classes=2,2"}; // each entry valid, but listed twice
    EXPECT_EQ(scl_cfg_build(&cfg, p.c_str(), bad, 1, msg, sizeof(msg)), SCL_ERR_CONFIG);
}

TEST_F(Config, IncludeAppliesTheOtherFileFirst)
{
    write("inc_base.ini", "[train]\nlr = 0.5\nepochs = 3\n");
    ASSERT_EQ(load("# top\n[config]\ninclude = inc_base.ini\n[train]\nepochs = 4\n"), SCL_OK)
        << msg;
    EXPECT_DOUBLE_EQ(cfg.train.lr, 0.5);
    EXPECT_EQ(cfg.train.epochs, 4);

    EXPECT_EQ(load("[train]\nepochs = 4\n[config]\ninclude = inc_base.ini\n"), SCL_ERR_CONFIG);
    EXPECT_NE(std::string(msg).find(":4: [config] include: must come first"), std::string::npos)
        << msg;
    EXPECT_EQ(load("[config]\ninclude = missing.ini\n"), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg),
              path("t.ini") + ":2: [config] include: " + path("missing.ini") + ": cannot open");
    // An error inside the included file names that file and its line.
    write("inc_bad.ini", "[train]\n\nlr = -1\n");
    EXPECT_EQ(load("[config]\ninclude = inc_bad.ini\n"), SCL_ERR_CONFIG);
    EXPECT_EQ(std::string(msg).rfind(path("inc_bad.ini") + ":3: [train] lr:", 0), 0u) << msg;
    // A cycle ends at the depth limit.
    EXPECT_EQ(load("[config]\ninclude = t.ini\n"), SCL_ERR_CONFIG);
    EXPECT_NE(std::string(msg).find("nested more than"), std::string::npos) << msg;
}

TEST_F(Config, DataDir)
{
    char buf[1024];
    ASSERT_EQ(set("data.dataset=fashion"), SCL_OK);
    scl_cfg_data_dir(&cfg, buf, sizeof(buf));
    EXPECT_NE(std::string(buf).find("/fashion-mnist"), std::string::npos) << buf;
    ASSERT_EQ(set("data.dir=/data/x"), SCL_OK);
    scl_cfg_data_dir(&cfg, buf, sizeof(buf));
    EXPECT_STREQ(buf, "/data/x");
}

TEST_F(Config, HelpListsEveryKey)
{
    char *text = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    scl_cfg_print_keys(f);
    fclose(f);
    std::string help(text, len);
    free(text);
    for (const char *k : {"device.device", "train.dropout_mode", "sleep.alpha_vector", "run.seeds"})
        EXPECT_NE(help.find(k), std::string::npos) << k;
    EXPECT_NE(help.find("softmax|sigmoid|relu"), std::string::npos) << help;
    EXPECT_NE(help.find("2-9 x 1..65536"), std::string::npos) << help;
}

} // namespace
