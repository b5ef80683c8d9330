// The single-model commands end to end on a small synthetic dataset (IDX files written here):
// train saves a model; sleep sleeps it through the library's one pipeline and saves the input
// statistics it used; sleeping again from that saved statistic gives the same model bit for
// bit; eval reads both. A [sleep] set that does not fit the model is refused once, by the
// library, with exit status 2 and a message naming the key.
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "cli/cli_harness.h"

namespace
{

std::string kDir;

struct CommandFixture {
    explicit CommandFixture(const std::string &beta = "2,2,2")
    {
        kDir = ::testing::TempDir() + "/scl-cmd-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
        std::string cmd = "rm -rf '" + kDir + "' && mkdir -p '" + kDir + "/data'";
        EXPECT_EQ(std::system(cmd.c_str()), 0);
        harness_write_split(kDir + "/data/train", 300, 1);
        harness_write_split(kDir + "/data/t10k", 100, 2);
        std::ofstream cfg(kDir + "/c.ini");
        cfg << "[data]\ndir = " << kDir << "/data\nfraction = 0.5\n"
            << "[model]\nsizes = 784,40,30,10\n"
            << "[train]\nepochs = 1\nbatch = 32\n"
            << "[sleep]\nsteps = 40\nbeta = " << beta << "\nalpha = 4\n";
    }
    std::string path(const std::string &name) const
    {
        return kDir + "/" + name;
    }
};

bool exists(const std::string &p)
{
    return std::ifstream(p).good();
}

} // namespace

TEST(Commands, TrainSleepFromDataOrSavedStatisticEval)
{
    CommandFixture f;
    const std::string cfg = f.path("c.ini"), m = f.path("m.safetensors");
    const std::string s1 = f.path("s1.safetensors"), s2 = f.path("s2.safetensors");
    ASSERT_EQ(harness_run_cli({"train", "-c", cfg, "-o", m}, 0), 0);
    ASSERT_TRUE(exists(m));
    ASSERT_EQ(harness_run_cli({"sleep", "-c", cfg, "-m", m, "-o", s1}, 0), 0);
    for (const char *suffix : {"", ".sleep_input.json", ".spikes.csv", ".dw_hist.csv"})
        EXPECT_TRUE(exists(s1 + suffix)) << suffix;
    // The saved statistic stands in for the data, float for float.
    ASSERT_EQ(
        harness_run_cli(
            {"sleep", "-c", cfg, "-m", m, "-o", s2, "--mean-input", s1 + ".sleep_input.json"}, 0),
        0);
    EXPECT_FALSE(exists(s2 + ".sleep_input.json"));
    EXPECT_EQ(harness_slurp(s2), harness_slurp(s1));
    EXPECT_EQ(harness_slurp(s2 + ".spikes.csv"), harness_slurp(s1 + ".spikes.csv"));
    EXPECT_NE(harness_slurp(s1), harness_slurp(m)); // the sleep changed the weights
    std::string out = f.path("eval.txt");
    ASSERT_EQ(harness_run_cli({"eval", "-c", cfg, "-m", m, "-m", s1}, 0, out), 0);
    EXPECT_NE(harness_slurp(out).find("change "), std::string::npos) << harness_slurp(out);
}

TEST(Commands, SleepSetThatDoesNotFitTheModelIsRefused)
{
    CommandFixture f("2,2"); // two thresholds for three layers
    const std::string cfg = f.path("c.ini"), m = f.path("m.safetensors");
    ASSERT_EQ(harness_run_cli({"train", "-c", cfg, "-o", m}, 0), 0); // training needs no sleep
    std::string out = f.path("sleep.txt");
    EXPECT_EQ(harness_run_cli({"sleep", "-c", cfg, "-m", m, "-o", f.path("s.safetensors")}, 0, out),
              2);
    std::string text = harness_slurp(out);
    EXPECT_NE(text.find("sleep.beta has 2 values, the model has 3 layers"), std::string::npos)
        << text;
    EXPECT_FALSE(exists(f.path("s.safetensors")));
    // run checks the set against model.sizes before it trains anything
    out = f.path("run.txt");
    EXPECT_EQ(harness_run_cli({"run", cfg, "--set", "run.out=" + kDir}, 0, out), 2);
    EXPECT_NE(harness_slurp(out).find("sleep.beta"), std::string::npos) << harness_slurp(out);
}

// A sleep whose model cannot be written fails with the reason and takes its diagnostics and
// statistics with it: nothing describes a slept model that does not exist.
TEST(Commands, FailedSleepLeavesNothingBehind)
{
    CommandFixture f;
    const std::string cfg = f.path("c.ini"), m = f.path("m.safetensors");
    ASSERT_EQ(harness_run_cli({"train", "-c", cfg, "-o", m}, 0), 0);
    const std::string target = f.path("taken");
    ASSERT_EQ(std::system(("mkdir '" + target + "'").c_str()), 0); // -o names a directory
    std::string out = f.path("sleep.txt");
    EXPECT_EQ(harness_run_cli({"sleep", "-c", cfg, "-m", m, "-o", target}, 0, out), 1);
    EXPECT_NE(harness_slurp(out).find("Is a directory"), std::string::npos) << harness_slurp(out);
    for (const char *suffix : {".sleep_input.json", ".spikes.csv", ".dw_hist.csv"})
        EXPECT_FALSE(exists(target + suffix)) << suffix;
}
