// sleepcl search end to end on a small synthetic dataset (IDX files written here): a search
// killed with SIGKILL again and again, and restarted each time, ends with exactly the
// candidates.csv, best.ini and final test results of an uninterrupted search (the replay must
// choose the same parents from the scores on disk). Also: best.ini is a config that `sleepcl
// sleep` style loading accepts (checked through `sleepcl config`), the search refuses a
// directory of another search, and a config without a validation split is a usage error. The
// same resume holds for the sequential-task fitness (search.fitness = sequential), whose nets
// learn tasks in turn and forget.
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

std::vector<std::string> args(const std::string &out, const std::vector<std::string> &sets = {})
{
    std::vector<std::string> a = {"search", kDir + "/search.ini",    "--set", "run.out=" + kDir,
                                  "--set",  "experiment.name=" + out};
    for (const std::string &s : sets) {
        a.push_back("--set");
        a.push_back(s);
    }
    return a;
}

// A search killed again and again and restarted ends with the files of an uninterrupted one.
void check_resume(const std::vector<std::string> &sets)
{
    // a first run builds (or loads) the kernels; the timed one is warm, as the killed ones are
    ASSERT_EQ(harness_run_cli(args("warm", sets), 0), 0);
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(harness_run_cli(args("straight", sets), 0), 0);
    double full_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::string want = harness_slurp(kDir + "/straight/candidates.csv");
    ASSERT_FALSE(want.empty());
    int kills = 0, rc = -1;
    for (int attempt = 0; attempt < 40 && rc != 0; attempt++) {
        rc = harness_run_cli(args("killed", sets), (int)(full_ms * (0.1 + 0.1 * attempt)) + 1);
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

// The validation accuracies before sleep of the scoring nets, as the search prints them.
std::vector<double> net_accuracies(const std::string &log)
{
    std::vector<double> out;
    std::string text = harness_slurp(log), key = "validation accuracy ";
    for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1))
        out.push_back(std::stod(text.substr(at + key.size())));
    return out;
}

} // namespace

TEST(SearchResume, KilledSearchesEndLikeUninterruptedOnes)
{
    SearchFixture fixture;
    check_resume({});
}

// The sequential-task fitness (search.fitness = sequential): two tasks learnt in turn, one sleep
// after the last, scored on every class. It resumes like the other; its nets forget the first
// task (validation accuracy on all classes about one half, below the nets trained on everything
// at once from the same seeds), and its candidates score otherwise. A method that needs the
// protocols' memory, or a fine-tune, is refused.
TEST(SearchResume, SequentialFitnessResumesAndScoresForgettingNets)
{
    SearchFixture fixture;
    const std::vector<std::string> seq = {"search.fitness=sequential", "experiment.n_tasks=2",
                                          "train.epochs=5", "train.loss=ce", "train.momentum=0.5"};
    check_resume(seq);
    std::vector<std::string> once = seq,
                             at_once = {"train.epochs=5", "train.loss=ce", "train.momentum=0.5"};
    for (std::vector<std::string> *v : {&once, &at_once}) {
        v->push_back("search.generations=1");
        v->push_back("search.trials=0");
    }
    ASSERT_EQ(harness_run_cli(args("seq1", once), 0, kDir + "/seq1.log"), 0);
    ASSERT_EQ(harness_run_cli(args("lim1", at_once), 0, kDir + "/lim1.log"), 0);
    std::vector<double> s = net_accuracies(kDir + "/seq1.log"),
                        l = net_accuracies(kDir + "/lim1.log");
    ASSERT_EQ(s.size(), 2u) << harness_slurp(kDir + "/seq1.log");
    ASSERT_EQ(l.size(), 2u);
    for (size_t i = 0; i < 2; i++) {
        EXPECT_LE(s[i], 0.6) << "net " << i;
        EXPECT_GT(l[i], s[i]) << "net " << i;
    }
    EXPECT_NE(harness_slurp(kDir + "/seq1/candidates.csv"),
              harness_slurp(kDir + "/lim1/candidates.csv"));
    std::vector<std::string> bad = seq;
    bad.push_back("train.method=rehearsal");
    EXPECT_EQ(harness_run_cli(args("bad1", bad), 0), 2);
    bad = seq;
    bad.push_back("search.finetune=1");
    EXPECT_EQ(harness_run_cli(args("bad2", bad), 0), 2);
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
