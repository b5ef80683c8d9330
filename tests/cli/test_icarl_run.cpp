// iCaRL through `sleepcl run` on a small synthetic dataset (IDX files written by the harness):
// one config sweeps two exemplar totals K, each without and with sleep, over two tasks, and
// writes one methods row per K. The nearest-mean classifier can only name classes it holds
// exemplars of, so after task 1 nothing of task 2 is ever predicted; each class keeps K / classes
// seen exemplars (rounded down), fewer as classes arrive; a K of 0 is refused naming its key.
#include <gtest/gtest.h>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_harness.h"

TEST(IcarlRun, ExemplarTotalsWithAndWithoutSleep)
{
    std::string dir =
        harness_sweep_dir("icarl", "[model]\nsizes = 784,40,30,10\n"
                                   "[train]\nlr = 0.1\nepochs = 4\nbatch = 32\nmomentum = 0.5\n"
                                   "finetune_epochs = 0\n"
                                   "[sleep]\nsteps = 60\nbeta = 2,2,2\nalpha = 4\n"
                                   "[experiment]\nkind = tasks\nn_tasks = 2\nfractions = 1\n"
                                   "methods = icarl\nmemories = 25,60\n"
                                   "[run]\nseeds = 1\n");
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "k"), 0, dir + "/k.log"), 0)
        << harness_slurp(dir + "/k.log");
    std::map<std::string, std::string> r = harness_trial1_rows(dir + "/k");
    for (const char *k : {"k25", "k60"}) {
        std::string c = std::string("icarl_") + k + "_f1_d0_";
        EXPECT_EQ(r.count(c + "nosleep,t2,all,accuracy"), 1u) << k;
        EXPECT_EQ(r.count(c + "sleep,t2_sleep,all,accuracy"), 1u) << k;
        EXPECT_EQ(r[c + "nosleep,t1,task2,accuracy"], "0") << k; // no exemplar of 5..9 yet
        EXPECT_EQ(r[c + "sleep,t1_sleep,task2,accuracy"], "0") << k;
        EXPECT_GT(std::stod(r[c + "nosleep,t1,task1,accuracy"]), 0.5) << k;
    }
    // K / classes seen per class: 25 = 5 x 5 after task 1, 10 x 2 after task 2; 60 = 5 x 12, 10 x 6
    EXPECT_EQ(r["icarl_k25_f1_d0_nosleep,t1,memory,exemplars"], "25");
    EXPECT_EQ(r["icarl_k25_f1_d0_nosleep,t2,memory,exemplars"], "20");
    EXPECT_EQ(r["icarl_k60_f1_d0_sleep,t1_sleep,memory,exemplars"], "60");
    EXPECT_EQ(r["icarl_k60_f1_d0_sleep,t2_sleep,memory,exemplars"], "60");
    EXPECT_EQ(r.count("icarl_k60_f1_d0_sleep,t2_sleep,output,accuracy"), 1u);
    std::string md = harness_slurp(dir + "/k/methods.md");
    EXPECT_NE(md.find("| icarl_k25 |"), std::string::npos) << md;
    EXPECT_NE(md.find("| icarl_k60 |"), std::string::npos) << md;

    std::string log = dir + "/bad.log";
    EXPECT_EQ(harness_run_cli(harness_run_args(dir, "bad", {"train.icarl_memory=0"}), 0, log), 2);
    EXPECT_NE(harness_slurp(log).find("icarl_memory"), std::string::npos) << harness_slurp(log);
}
