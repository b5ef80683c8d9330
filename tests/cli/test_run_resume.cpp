// End to end through the sleepcl program on a small synthetic dataset written here as IDX
// files: a sweep killed with SIGKILL again and again, and restarted each time, ends with exactly
// the results of an uninterrupted sweep (no duplicated and no missing rows), and the run
// directory holds the manifest, summary and plots. Also: a run directory of another config is
// refused, and bad configs exit with status 2 and a message naming the key.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "cli/cli_harness.h"

namespace
{

// Each test has its own directory: ctest runs them in parallel, and a fixture starts afresh.
std::string kDir;

struct SweepFixture {
    SweepFixture()
    {
        kDir = harness_sweep_dir("run", "[model]\nsizes = 784,40,30,10\n"
                                        "[train]\nepochs = 2\nbatch = 32\n"
                                        "[sleep]\nsteps = 60\nbeta = 2,2,2\nalpha = 4\n"
                                        "[experiment]\nkind = limited\nfractions = 0.2,0.5,1\n"
                                        "[run]\nseeds = 1..4\n");
    }
};

std::vector<std::string> args(const std::string &out)
{
    return harness_run_args(kDir, out);
}

TEST(RunResume, KilledSweepsEndLikeUninterruptedOnes)
{
    SweepFixture fixture;
    // The first run also compiles the kernels into a cold cache; time the second one.
    ASSERT_EQ(harness_run_cli(args("straight"), 0), 0);
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(harness_run_cli(args("again"), 0), 0);
    double full_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(harness_slurp(kDir + "/again/results.csv"),
              harness_slurp(kDir + "/straight/results.csv"))
        << "the same sweep twice must give the same rows";
    std::string want = harness_slurp(kDir + "/straight/results.csv");
    ASSERT_FALSE(want.empty());
    // Kill after a growing share of an uninterrupted run's time, so that some runs die mid-way
    // however fast this machine is; later ones get further, so the sweep always completes.
    int kills = 0, rc = -1;
    for (int attempt = 0; attempt < 60 && rc != 0; attempt++) {
        rc = harness_run_cli(args("killed"), (int)(full_ms * (0.15 + 0.1 * attempt)) + 1);
        kills += rc == -1;
    }
    ASSERT_EQ(rc, 0) << "the sweep never completed";
    EXPECT_GE(kills, 2) << "the sweep was not interrupted: the test proves nothing";
    EXPECT_EQ(harness_slurp(kDir + "/killed/results.csv"), want);
    EXPECT_EQ(harness_slurp(kDir + "/killed/confusion.csv"),
              harness_slurp(kDir + "/straight/confusion.csv"));
    EXPECT_EQ(harness_slurp(kDir + "/killed/summary.csv"),
              harness_slurp(kDir + "/straight/summary.csv"));
    // one header and 12 trials x 3 stages x (1 + 10 classes + 4 spike rates) rows
    size_t lines = (size_t)std::count(want.begin(), want.end(), '\n');
    EXPECT_EQ(lines, 1u + 12u * (3u * 11u + 4u));
    struct stat st;
    EXPECT_EQ(stat((kDir + "/straight/manifest.json").c_str(), &st), 0);
    EXPECT_EQ(stat((kDir + "/straight/accuracy_vs_fraction.png").c_str(), &st), 0);
}

TEST(RunResume, OtherConfigRefusedBadKeyNamed)
{
    SweepFixture fixture;
    ASSERT_EQ(harness_run_cli(args("a"), 0), 0);
    std::vector<std::string> other = args("a");
    other.push_back("--set");
    other.push_back("train.epochs=1");
    EXPECT_EQ(harness_run_cli(other, 0), 2);
    std::vector<std::string> bad = args("b");
    bad.push_back("--set");
    bad.push_back("train.nosuchkey=1");
    EXPECT_EQ(harness_run_cli(bad, 0), 2);
}

// Two processes on one run directory: the second is refused with one line naming the holder,
// and the first ends with the results of a sweep that ran alone (no doubled rows).
TEST(RunResume, SecondRunOnTheSameDirectoryIsRefused)
{
    SweepFixture fixture;
    ASSERT_EQ(harness_run_cli(args("alone"), 0), 0);
    pid_t first = harness_spawn_cli(args("shared"));
    std::string lock = kDir + "/shared/.lock", held;
    for (int i = 0; i < 3000 && held.empty(); i++) { // wait until the first holds the directory
        usleep(10000);
        held = harness_slurp(lock);
    }
    ASSERT_EQ(held, std::to_string(first) + "\n") << "the first run never took the lock";
    std::string out = kDir + "/second.txt";
    int second = harness_run_cli(args("shared"), 0, out);
    ASSERT_EQ(harness_wait_cli(first), 0);
    EXPECT_EQ(second, 1);
    std::string text = harness_slurp(out);
    EXPECT_NE(text.find("in use by another sleepcl process (pid " + std::to_string(first) + ")"),
              std::string::npos)
        << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
    EXPECT_EQ(harness_slurp(kDir + "/shared/results.csv"),
              harness_slurp(kDir + "/alone/results.csv"));
}

// kind = epochs: the limited trial over training lengths, one condition per length, and the
// table of the plot; an empty sweep is a config error.
TEST(RunResume, EpochsSweptOnOneTask)
{
    SweepFixture fixture;
    std::vector<std::string> a = args("epochs");
    for (const char *s : {"experiment.kind=epochs", "experiment.train_epochs=1,3", "run.seeds=1..2",
                          "data.fraction=0.5"}) {
        a.push_back("--set");
        a.push_back(s);
    }
    ASSERT_EQ(harness_run_cli(a, 0, kDir + "/epochs.log"), 0)
        << harness_slurp(kDir + "/epochs.log");
    std::string csv = harness_slurp(kDir + "/epochs/results.csv");
    for (const char *key : {"1,e1,baseline,all,accuracy,", "2,e3,sleep,all,accuracy,",
                            "2,e3,sleep_finetune,all,accuracy,"})
        EXPECT_NE(csv.find(std::string("\n") + key), std::string::npos) << key;
    std::string dat = harness_slurp(kDir + "/epochs/accuracy_vs_epochs.dat");
    EXPECT_EQ(std::count(dat.begin(), dat.end(), '\n'), 3) << dat;
    EXPECT_EQ(dat.find("\n3 "), dat.rfind('\n', dat.size() - 2)) << dat; // the last row is e3
    a.push_back("--set");
    a.push_back("experiment.train_epochs=");
    EXPECT_EQ(harness_run_cli(a, 0), 2);
}

} // namespace
