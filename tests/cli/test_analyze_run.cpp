// experiment.analyze through `sleepcl run` on synthetic data: every evaluation of a two-task
// run with sleep gets the representation rows of each hidden layer (correlations in [-1, 1],
// sparseness and active share in [0, 1], a drive per class), each sleep the spikes of each
// seen task's units against random ones, and representation.csv pairs each sleep's before and
// after over the trials.
#include <cmath>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>

#include "cli/cli_harness.h"

namespace
{

const char *kIni = "[model]\nsizes = 784,40,30,10\n"
                   "[train]\nepochs = 2\nbatch = 32\n"
                   "[sleep]\nsteps = 60\nbeta = 2,2,2\nalpha = 4\n"
                   "[experiment]\nkind = tasks\nn_tasks = 2\nfractions = 1\nanalyze = 50\n"
                   "compare_no_sleep = 0\n[run]\nseeds = 1..2\n";

// The value of results.csv's row "trial,condition,stage,task,metric," (NAN when absent).
double value(const std::string &csv, const std::string &key)
{
    size_t at = csv.find("\n" + key);
    if (at == std::string::npos)
        return NAN;
    return std::stod(csv.substr(at + 1 + key.size()));
}

} // namespace

TEST(AnalyzeRun, RowsAtEveryEvaluationAndTheChangeOfEachSleep)
{
    std::string dir = harness_sweep_dir("analyze", kIni);
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "a"), 0, dir + "/a.log"), 0)
        << harness_slurp(dir + "/a.log");
    std::string csv = harness_slurp(dir + "/a/results.csv");
    for (const char *stage : {"t1", "t1_sleep", "t2", "t2_sleep"})
        for (const char *layer : {"layer1", "layer2"}) {
            std::string at = std::string("1,f1_d0_sleep,") + stage + "," + layer + ",";
            for (const char *m : {"corr_within", "corr_between"}) {
                double v = value(csv, at + m + ",");
                EXPECT_TRUE(v >= -1.0 && v <= 1.0) << at << m << " " << v;
            }
            for (const char *m : {"sparseness", "active"}) {
                double v = value(csv, at + m + ",");
                EXPECT_TRUE(v >= 0.0 && v <= 1.0) << at << m << " " << v;
            }
        }
    EXPECT_FALSE(std::isnan(value(csv, "2,f1_d0_sleep,t2_sleep,class3,drive_l2,")));
    EXPECT_TRUE(std::isnan(value(csv, "1,f1_d0_sleep,t1,layer3,sparseness,"))); // the output
    // During each sleep: the units specific to each task seen against random sets of as many.
    for (const char *task : {"task1", "task2"})
        for (const char *l : {"l1", "l2"}) {
            std::string at = std::string("2,f1_d0_sleep,t2_sleep,") + task + ",";
            EXPECT_GE(value(csv, at + "specific_spikes_" + l + ","), 0.0) << at << l;
            EXPECT_GE(value(csv, at + "random_spikes_" + l + ","), 0.0) << at << l;
            double p = value(csv, at + "specific_p_" + l + ",");
            EXPECT_TRUE(std::isnan(p) || (p >= 0.0 && p <= 1.0)) << at << l << " " << p;
        }
    EXPECT_TRUE(std::isnan(value(csv, "1,f1_d0_sleep,t1_sleep,task2,specific_spikes_l1,")));
    EXPECT_EQ(csv.find(",class0,specific"), std::string::npos); // grouped by task, not class

    std::string rep = harness_slurp(dir + "/a/representation.csv");
    EXPECT_EQ(rep.rfind("condition,task,layer,metric,n,before,after,change,change_std,t,up\n", 0),
              0u);
    // 2 tasks x 2 layers x 4 metrics, each over both trials.
    std::istringstream lines(rep);
    std::string line;
    int rows = 0;
    while (std::getline(lines, line))
        rows += line.rfind("f1_d0_sleep,", 0) == 0 && line.find(",2,") != std::string::npos;
    EXPECT_EQ(rows, 16) << rep;

    // Without the key: no analysis rows and no report.
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "b", {"experiment.analyze=0"}), 0), 0);
    EXPECT_EQ(harness_slurp(dir + "/b/results.csv").find("corr_between"), std::string::npos);
    EXPECT_FALSE(std::ifstream(dir + "/b/representation.csv").good());
}
