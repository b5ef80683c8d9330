// The tripartite protocol's CIFAR-100 path end to end on generated CIFAR-format files
// (configs/experiments/tripartite_cifar100.ini at toy size): a three-layer conv extractor
// pre-trained on a tiny CIFAR-10 set, frozen, its features fed to the VAE over three tasks of
// split "CIFAR-100" (six classes). The outputs exist, every accuracy is finite and in [0, 1],
// one seed gives the same extractor and results twice, and a missing CIFAR-10 is one clear line.
#include <cmath>
#include <string>
#include <vector>

#include "cli_harness.h"

namespace
{

const int kPixels = 3 * 32 * 32;

// n records of `labels` bytes then 3072 pixels: class c brightens colour plane c % 3 in the
// half c / 3 % 2 of the image, over noise from a small LCG seeded by `seed`.
void write_cifar(const std::string &path, int n, int classes, bool hundred, uint32_t seed)
{
    std::ofstream f(path, std::ios::binary);
    uint32_t s = seed;
    for (int i = 0; i < n; i++) {
        int c = i % classes;
        if (hundred)
            f.put((char)(c / 2)); // coarse label
        f.put((char)c);
        for (int p = 0; p < kPixels; p++) {
            s = s * 1664525u + 1013904223u;
            int plane = p / 1024, row = p % 1024 / 32;
            int v = (int)(s >> 26) * 2 + ((plane == c % 3 && row / 16 == c / 3 % 2) ? 150 : 40);
            f.put((char)(v > 255 ? 255 : v));
        }
    }
}

// DIR/c10 (five training batches of 20, a test batch of 40) and DIR/c100 (120 training and 60
// test records over six fine classes), and the experiment's config.
std::string cifar_dir(const std::string &extra = "")
{
    std::string dir = ::testing::TempDir() + "/scl-tricifar-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" +
                      std::to_string(getpid());
    std::string cmd = "rm -rf '" + dir + "' && mkdir -p '" + dir + "/c10' '" + dir + "/c100'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    for (int b = 1; b <= 5; b++)
        write_cifar(dir + "/c10/data_batch_" + std::to_string(b) + ".bin", 20, 10, false,
                    (uint32_t)b);
    write_cifar(dir + "/c10/test_batch.bin", 40, 10, false, 9);
    write_cifar(dir + "/c100/train.bin", 120, 6, true, 11);
    write_cifar(dir + "/c100/test.bin", 60, 6, true, 12);
    std::ofstream cfg(dir + "/exp.ini");
    cfg << "[data]\ndataset = cifar100\ndir = " << dir << "/c100\n"
        << "[extractor]\nchannels = 4,6,8\niterations = 12\nbatch = 16\nlr = 0.003\ndir = " << dir
        << "/c10\n"
        << "[train]\noptimizer = adam\nlr = 0.003\nbatch = 16\n"
        << "[tripartite]\nhidden = 24,16\nlatent = 6\niterations = 20\neval_every = 10\nrem = 1\n"
        << "[experiment]\nkind = tripartite\nn_tasks = 3\ndownscale = 0,0.5\n"
        << "[run]\nseeds = 1\n"
        << extra;
    return dir;
}

TEST(TripartiteCifar, RunsEndToEndAndIsDeterministic)
{
    std::string dir = cifar_dir();
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "a"), 0, dir + "/log1"), 0)
        << harness_slurp(dir + "/log1");
    std::string ext = harness_slurp(dir + "/a/extractor.txt");
    size_t at = ext.find("cifar10_test_accuracy ");
    ASSERT_NE(at, std::string::npos) << ext;
    double acc = std::stod(ext.substr(at + 22));
    EXPECT_TRUE(acc >= 0.0 && acc <= 1.0) << ext;
    EXPECT_FALSE(harness_slurp(dir + "/a/extractor.safetensors").empty());

    std::map<std::string, std::string> rows = harness_trial1_rows(dir + "/a");
    int checked = 0;
    for (const auto &kv : rows) {
        const std::string &key = kv.first;
        bool share = key.find(",accuracy") != std::string::npos ||
                     key.find(",all,mu") != std::string::npos ||
                     key.find(",all,max_mu") != std::string::npos;
        if (!share)
            continue;
        double v = std::stod(kv.second);
        EXPECT_TRUE(std::isfinite(v) && v >= 0.0 && v <= 1.0) << key << " = " << kv.second;
        checked++;
    }
    // 2 conditions x 3 tasks, each with its per-iteration and end-of-task rows
    EXPECT_GE(checked, 2 * 3 * 3);
    EXPECT_EQ(rows.count("rem_p0.5,t3,all,max_mu"), 1u);
    EXPECT_EQ(rows.count("rem_p0,t3_i20,task3,accuracy"), 1u);

    // a second run from nothing: the same extractor and the same results
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "b"), 0, dir + "/log2"), 0)
        << harness_slurp(dir + "/log2");
    EXPECT_EQ(harness_slurp(dir + "/b/extractor.safetensors"),
              harness_slurp(dir + "/a/extractor.safetensors"));
    EXPECT_EQ(harness_trial1_rows(dir + "/b"), rows);
    // a rerun without CIFAR-10 at hand works from the saved extractor and changes nothing
    std::string mv = "mv '" + dir + "/c10' '" + dir + "/c10_away'";
    ASSERT_EQ(std::system(mv.c_str()), 0);
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "a"), 0, dir + "/log3"), 0)
        << harness_slurp(dir + "/log3");
    EXPECT_EQ(harness_trial1_rows(dir + "/a"), rows);
    if (!HasFailure()) // a failing test keeps its directory to look at
        EXPECT_EQ(std::system(("rm -rf '" + dir + "'").c_str()), 0);
}

TEST(TripartiteCifar, MissingPretrainingDataIsOneLine)
{
    std::string dir = cifar_dir();
    int rc = harness_run_cli(harness_run_args(dir, "x", {"extractor.dir=" + dir + "/none"}), 0,
                             dir + "/log");
    EXPECT_NE(rc, 0);
    std::string log = harness_slurp(dir + "/log");
    EXPECT_NE(log.find("extractor.data"), std::string::npos) << log;
    EXPECT_NE(log.find(dir + "/none"), std::string::npos) << log;
    if (!HasFailure())
        EXPECT_EQ(std::system(("rm -rf '" + dir + "'").c_str()), 0);
}

} // namespace
