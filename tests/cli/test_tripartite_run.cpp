// The tripartite protocol end to end on generated data (experiment.kind = tripartite): a tiny
// VAE over five two-class tasks with and without REM, the long-form rows it must write, a rerun
// that finds every trial done, and a clear error for a tripartite run without Adam.
#include <string>

#include "cli_harness.h"

namespace
{

const char kIni[] = "[train]\noptimizer = adam\nlr = 0.003\nbatch = 16\n"
                    "[tripartite]\nhidden = 24,16\nlatent = 6\niterations = 30\neval_every = 10\n"
                    "rem = 1,0\n"
                    "[experiment]\nkind = tripartite\nn_tasks = 5\ndownscale = 0,0.5\n"
                    "[run]\nseeds = 1\n";

TEST(TripartiteRun, WritesMetricsAndResumes)
{
    std::string dir = harness_sweep_dir("tri", kIni);
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "tri"), 0, dir + "/log1"), 0)
        << harness_slurp(dir + "/log1");
    std::string res = harness_slurp(dir + "/tri/results.csv");
    for (const char *cond : {"rem_p0,", "rem_p0.5,", "norem_p0,", "norem_p0.5,"})
        EXPECT_NE(res.find(std::string("1,") + cond + "t5,all,max_mu,"), std::string::npos) << cond;
    // every E iterations: mu, the previous tasks, balance, forgetting, per-task accuracy
    EXPECT_NE(res.find("1,rem_p0,t3_i20,all,mu,"), std::string::npos);
    EXPECT_NE(res.find("1,rem_p0,t3_i20,all,previous,"), std::string::npos);
    EXPECT_NE(res.find("1,rem_p0,t3_i20,all,balance,"), std::string::npos);
    EXPECT_NE(res.find("1,rem_p0,t3_i20,task1,f_2,"), std::string::npos);
    EXPECT_NE(res.find("1,norem_p0.5,t5_i30,task5,accuracy,"), std::string::npos);
    // weight histograms at task boundaries; downscaling 0.5 leaves at least half zeros there
    EXPECT_NE(res.find("1,rem_p0,t1,enc1,pos_b0,"), std::string::npos);
    EXPECT_NE(res.find("1,norem_p0.5,t2,classifier,zero,"), std::string::npos);
    std::string summary = harness_slurp(dir + "/tri/summary.csv");
    EXPECT_NE(summary.find("rem_p0,t5,all,mu"), std::string::npos);
    EXPECT_NE(harness_slurp(dir + "/tri/curves.dat").find("# rem_p0:"), std::string::npos);
    // a second run finds every trial done and writes the same results
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "tri"), 0, dir + "/log2"), 0);
    EXPECT_EQ(harness_slurp(dir + "/tri/results.csv"), res);
}

TEST(TripartiteRun, NeedsAdam)
{
    std::string dir = harness_sweep_dir("tri", kIni);
    int rc =
        harness_run_cli(harness_run_args(dir, "tri", {"train.optimizer=sgd"}), 0, dir + "/log");
    EXPECT_NE(rc, 0);
    EXPECT_NE(harness_slurp(dir + "/log").find("optimizer must be adam"), std::string::npos)
        << harness_slurp(dir + "/log");
}

} // namespace
