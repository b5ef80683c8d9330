// sleepcl search end to end on a small synthetic dataset (IDX files written here): a search
// killed with SIGKILL again and again, and restarted each time, ends with exactly the
// candidates.csv, best.ini and final test results of an uninterrupted search (the replay must
// choose the same parents from the scores on disk). Also: best.ini is a config that `sleepcl
// sleep` style loading accepts (checked through `sleepcl config`), the search refuses a
// directory of another search, and a config without a validation split is a usage error.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "cli/cli_harness.h"

namespace
{

std::string kDir;

struct SearchFixture {
    SearchFixture()
    {
        kDir = ::testing::TempDir() + "/scl-search-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
        std::string cmd = "rm -rf '" + kDir + "' && mkdir -p '" + kDir + "/data'";
        EXPECT_EQ(std::system(cmd.c_str()), 0);
        harness_write_split(kDir + "/data/train", 400, 1);
        harness_write_split(kDir + "/data/t10k", 100, 2);
        std::ofstream cfg(kDir + "/search.ini");
        cfg << "[data]\ndir = " << kDir << "/data\nfraction = 0.5\nval_fraction = 0.2\n"
            << "[model]\nsizes = 784,40,30,10\n"
            << "[train]\nepochs = 1\nbatch = 32\n"
            << "[sleep]\nsteps = 40\nbeta = 2,2,2\nalpha = 4\n"
            << "[search]\npopulation = 6\ngenerations = 5\nnets = 2\ntrials = 2\n"
            << "steps = 20,60\nbeta = 0.5,8\n";
    }
};

std::vector<std::string> args(const std::string &out)
{
    return {"search", kDir + "/search.ini",    "--set", "run.out=" + kDir,
            "--set",  "experiment.name=" + out};
}

} // namespace

TEST(SearchResume, KilledSearchesEndLikeUninterruptedOnes)
{
    SearchFixture fixture;
    // a first run builds (or loads) the kernels; the timed one is warm, as the killed ones are
    ASSERT_EQ(harness_run_cli(args("warm"), 0), 0);
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(harness_run_cli(args("straight"), 0), 0);
    double full_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::string want = harness_slurp(kDir + "/straight/candidates.csv");
    ASSERT_FALSE(want.empty());
    int kills = 0, rc = -1;
    for (int attempt = 0; attempt < 40 && rc != 0; attempt++) {
        rc = harness_run_cli(args("killed"), (int)(full_ms * (0.1 + 0.1 * attempt)) + 1);
        kills += rc == -1;
    }
    ASSERT_EQ(rc, 0) << "the search never completed";
    EXPECT_GE(kills, 2) << "the search was not interrupted: the test proves nothing";
    EXPECT_EQ(harness_slurp(kDir + "/killed/candidates.csv"), want);
    EXPECT_EQ(harness_slurp(kDir + "/killed/best.ini"), harness_slurp(kDir + "/straight/best.ini"));
    EXPECT_EQ(harness_slurp(kDir + "/killed/final/results.csv"),
              harness_slurp(kDir + "/straight/final/results.csv"));
    // a header and 5 generations x 6 candidates
    EXPECT_EQ(std::count(want.begin(), want.end(), '\n'), 1 + 5 * 6);
    // best.ini is a config the other commands read
    EXPECT_EQ(harness_run_cli({"config", "-c", kDir + "/straight/best.ini", "--dump"}, 0), 0);
}

TEST(SearchResume, OtherSearchRefusedNoValidationSplitRefused)
{
    SearchFixture fixture;
    std::vector<std::string> a = args("a");
    a.push_back("--set");
    a.push_back("search.trials=0");
    a.push_back("--set");
    a.push_back("search.generations=1");
    ASSERT_EQ(harness_run_cli(a, 0), 0);
    a.push_back("--set");
    a.push_back("search.population=4");
    EXPECT_EQ(harness_run_cli(a, 0), 2);
    std::vector<std::string> b = args("b");
    b.push_back("--set");
    b.push_back("data.val_fraction=0");
    EXPECT_EQ(harness_run_cli(b, 0), 2);
}
