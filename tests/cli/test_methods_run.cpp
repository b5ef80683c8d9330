// The continual-learning methods through `sleepcl run` on a small synthetic dataset (IDX files
// written here): one config compares every method, without and with sleep, in two sequential
// tasks, and writes the methods report (methods.csv, methods.md, methods.png); a method's
// condition gives the rows a run of that method alone gives (train.method, no methods list);
// rehearsal's memory appended to the data is a different run from the per-minibatch one.
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_harness.h"

namespace
{

std::string kDir;

struct MethodsFixture {
    MethodsFixture()
    {
        kDir = harness_sweep_dir(
            "methods", "[model]\nsizes = 784,40,30,10\n"
                       "[train]\nloss = ce\nepochs = 2\nbatch = 32\nmomentum = 0.5\n"
                       "finetune_epochs = 0\newc_lambda = 1000\nsi_c = 10\nreplay_share = 0.05\n"
                       "replay_batch = 4\n"
                       "[sleep]\nsteps = 60\nbeta = 2,2,2\nalpha = 4\n"
                       "[experiment]\nkind = tasks\nn_tasks = 2\nfractions = 1\nparallel = 1\n"
                       "methods = sgd,ewc,online_ewc,si,rehearsal,owm\n"
                       "[run]\nseeds = 1\n");
    }
};

std::vector<std::string> run_args(const std::string &name, const std::vector<std::string> &sets)
{
    return harness_run_args(kDir, name, sets);
}

// How many accuracies after task 2 (and after its sleep) differ between two methods' runs
// (condition prefixes pa, pb: "si_f1_d0_").
int differing(std::map<std::string, std::string> &a, const std::string &pa,
              std::map<std::string, std::string> &b, const std::string &pb)
{
    int n = 0;
    for (const char *stage : {"nosleep,t2", "sleep,t2", "sleep,t2_sleep"})
        for (const char *task : {"task1", "task2", "all"}) {
            std::string key = std::string(stage) + "," + task + ",accuracy";
            n += a[pa + key] != b[pb + key];
        }
    return n;
}

std::map<std::string, std::string> rows(const std::string &name)
{
    return harness_trial1_rows(kDir + "/" + name);
}

} // namespace

TEST(MethodsRun, EveryMethodWithAndWithoutSleepInOneRun)
{
    MethodsFixture f;
    ASSERT_EQ(harness_run_cli(run_args("all", {}), 0, kDir + "/all.log"), 0)
        << harness_slurp(kDir + "/all.log");
    std::map<std::string, std::string> r = rows("all");
    for (const char *m : {"sgd", "ewc", "online_ewc", "si", "rehearsal", "owm"})
        for (const char *s : {"nosleep", "sleep"}) {
            std::string cond = std::string(m) + "_f1_d0_" + s;
            EXPECT_EQ(r.count(cond + ",t2,all,accuracy"), 1u) << cond;
        }
    EXPECT_EQ(r.count("sgd_f1_d0_sleep,t2_sleep,all,accuracy"), 1u);
    EXPECT_EQ(r.count("parallel_f1,parallel,all,accuracy"), 1u);
    // The methods changed what was learnt (the penalties and the memory act from task 2 on).
    for (const char *m : {"ewc", "online_ewc", "si", "rehearsal", "owm"})
        EXPECT_GT(differing(r, std::string(m) + "_f1_d0_", r, "sgd_f1_d0_"), 0) << m;
    // Rehearsal's first task has no memory yet: it is the SGD run, bit for bit.
    for (const char *key : {",t1,all,accuracy", ",t1_sleep,all,accuracy"})
        EXPECT_EQ(r[std::string("rehearsal_f1_d0_sleep") + key],
                  r[std::string("sgd_f1_d0_sleep") + key])
            << key;
    std::string md = harness_slurp(kDir + "/all/methods.md");
    for (const char *line : {"| sgd |", "| ewc |", "| online_ewc |", "| si |", "| rehearsal |",
                             "| owm |", "| parallel (all tasks at once) |"})
        EXPECT_NE(md.find(line), std::string::npos) << line << "\n" << md;
    EXPECT_NE(harness_slurp(kDir + "/all/methods.csv").find("rehearsal,"), std::string::npos);
    EXPECT_TRUE(std::ifstream(kDir + "/all/methods.dat").good());

    // One method alone through train.method: the same rows under the unprefixed name.
    ASSERT_EQ(
        harness_run_cli(
            run_args("si", {"experiment.methods=", "train.method=si", "experiment.parallel=0"}), 0),
        0);
    std::map<std::string, std::string> si = rows("si");
    ASSERT_EQ(si.count("f1_d0_sleep,t2_sleep,task1,accuracy"), 1u);
    for (const char *key : {",t2,task1,accuracy", ",t2_sleep,task1,accuracy", ",t2,task2,accuracy"})
        EXPECT_EQ(si[std::string("f1_d0_sleep") + key], r[std::string("si_f1_d0_sleep") + key])
            << key;
    EXPECT_FALSE(std::ifstream(kDir + "/si/methods.md").good()); // no methods compared

    // Rehearsal's memory appended to the data instead of mixed into each minibatch.
    ASSERT_EQ(
        harness_run_cli(run_args("append", {"experiment.methods=rehearsal",
                                            "train.replay_mix=append", "experiment.parallel=0"}),
                        0),
        0);
    std::map<std::string, std::string> ap = rows("append");
    ASSERT_EQ(ap.count("rehearsal_f1_d0_sleep,t2,task1,accuracy"), 1u);
    EXPECT_EQ(ap["rehearsal_f1_d0_sleep,t1,all,accuracy"],
              r["rehearsal_f1_d0_sleep,t1,all,accuracy"]);
    EXPECT_GT(differing(ap, "rehearsal_f1_d0_", r, "rehearsal_f1_d0_"), 0);
}

// experiment.paper: the published figures beside ours in methods.md/.csv/.dat, the file named
// relative to the config that names it; a bad file stops the run before its first trial, with
// the file and the key in the message.
TEST(MethodsRun, PaperFiguresBesideOurs)
{
    MethodsFixture f;
    std::ofstream(kDir + "/paper.ini")
        << "[config]\ninclude = exp.ini\n[experiment]\nmethods = sgd\npaper = paper.json\n";
    auto paper_args = [](const std::string &name) {
        std::vector<std::string> a = harness_run_args(kDir, name);
        a[1] = kDir + "/paper.ini";
        return a;
    };
    std::ofstream(kDir + "/paper.json")
        << R"({"source": "a test", "rows": {"sgd": {"mean": 0.1949, "sleep_mean": 0.4847,)"
        << R"( "sleep_std": 0.0503}, "icarl_k100": {"mean": 0.655}, "parallel": {"mean": 0.9802}}})";
    ASSERT_EQ(harness_run_cli(paper_args("good"), 0, kDir + "/good.log"), 0)
        << harness_slurp(kDir + "/good.log");
    std::string md = harness_slurp(kDir + "/good/methods.md");
    EXPECT_NE(md.find("Paper: a test"), std::string::npos) << md;
    EXPECT_NE(md.find("| paper | paper with SRC |"), std::string::npos) << md;
    EXPECT_NE(md.find(" 0.195 | 0.485 +- 0.050 |"), std::string::npos) << md;
    EXPECT_NE(md.find(" 0.980 | - |"), std::string::npos) << md;
    EXPECT_NE(harness_slurp(kDir + "/good/methods.csv").find(",0.1949,nan,0.4847,0.0503\n"),
              std::string::npos);
    // The plot's data draw the published mean without a spread as a bar without an error bar
    // (gnuplot would drop a bar whose error is missing).
    EXPECT_NE(harness_slurp(kDir + "/good/methods.dat").find(" 0.1949 0.0000 0.4847 0.0503\n"),
              std::string::npos)
        << harness_slurp(kDir + "/good/methods.dat");

    const char *bad[][2] = {
        {R"({"source": "s", "rows": {"sgd": {"mean": 19.49}}})", "rows.sgd.mean"},
        {R"({"source": "s", "rows": {"sgd": {"median": 0.2}}})", "rows.sgd.median"},
        {R"({"source": "s", "rows": {"adam": {"mean": 0.2}}})", "rows.adam"},
        {R"({"source": "s", "rows": {"icarl_kx": {"mean": 0.2}}})", "rows.icarl_kx"},
        {R"({"source": "s", "rows": )", "not valid JSON"},
    };
    for (const auto &b : bad) {
        std::ofstream(kDir + "/paper.json") << b[0];
        std::string log = kDir + "/bad.log";
        EXPECT_EQ(harness_run_cli(paper_args("bad"), 0, log), 2) << b[1];
        std::string msg = harness_slurp(log);
        EXPECT_NE(msg.find(kDir + "/paper.json"), std::string::npos) << msg;
        EXPECT_NE(msg.find(b[1]), std::string::npos) << msg;
        EXPECT_EQ(harness_slurp(kDir + "/bad/results.csv").find("accuracy"), std::string::npos);
    }
}
