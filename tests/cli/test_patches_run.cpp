// The binary-patches toy through `sleepcl run` (kind = patches): one seed, three overlaps of the
// shipped protocol (configs/experiments/patches.ini) with fewer samples. At no overlap nothing
// is forgotten; at a total overlap task 1 is lost for good; at overlap 12 of 20 task 2 erases
// most of task 1 and the sleep brings much of it back, while the weights from task-1-only pixels
// to the task-2 outputs turn more inhibitory. The table, histogram and plot script are written.
#include <cstdlib>
#include <gtest/gtest.h>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_harness.h"

namespace
{

// condition,stage,task,metric -> value of results.csv (trial 1).
std::map<std::string, double> rows(const std::string &path)
{
    std::map<std::string, double> out;
    std::istringstream in(harness_slurp(path));
    std::string line;
    while (std::getline(in, line)) {
        size_t a = line.find(','), b = line.rfind(',');
        if (a != std::string::npos && b > a)
            out[line.substr(a + 1, b - a - 1)] = std::atof(line.c_str() + b + 1);
    }
    return out;
}

TEST(PatchesRun, ForgettingGrowsWithOverlapAndSleepRecoversTheMiddle)
{
    std::string dir = ::testing::TempDir() + "/scl-patches-run";
    ASSERT_EQ(std::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str()), 0);
    std::vector<std::string> args = {
        "run",   std::string(SCL_SOURCE_DIR) + "/configs/experiments/patches.ini",
        "--set", "run.out=" + dir,
        "--set", "run.seeds=1",
        "--set", "experiment.overlaps=0,12,20",
        "--set", "experiment.patch_samples=100"};
    ASSERT_EQ(harness_run_cli(args, 0, dir + "/out.txt"), 0) << harness_slurp(dir + "/out.txt");
    std::map<std::string, double> r = rows(dir + "/patches/results.csv");
    EXPECT_GE(r["o0,t2,task1,accuracy"], 0.99);
    EXPECT_LE(r["o20,t2_sleep,task1,accuracy"], 0.05);
    EXPECT_LE(r["o12,t2,task1,accuracy"], 0.8);
    EXPECT_GE(r["o12,t2_sleep,task1,accuracy"], r["o12,t2,task1,accuracy"] + 0.2);
    for (const char *o : {"o0", "o12", "o20"})
        EXPECT_GE(r[std::string(o) + ",t2_sleep,task2,accuracy"], 0.95) << o;
    EXPECT_LT(r["o12,t2_sleep,t1only_to_t2,mean"], r["o12,t2,t1only_to_t2,mean"]);
    for (const char *f : {"patches.dat", "hist.csv", "patches.gp", "summary.csv"})
        EXPECT_FALSE(harness_slurp(dir + "/patches/" + f).empty()) << f;
}

} // namespace
