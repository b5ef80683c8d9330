// The tripartite protocol end to end on generated data (experiment.kind = tripartite): a tiny
// VAE over five two-class tasks with and without REM, the long-form rows, confusion matrices and
// plots it must write, a rerun that finds every trial done, downscaling from task 2 on, SRC's
// sleep after each task (on the task's data, generated samples or both), and a clear error for a
// tripartite run without Adam.
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "cli_harness.h"

namespace
{

bool exists(const std::string &path)
{
    struct stat st;
    return stat(path.c_str(), &st) == 0 && st.st_size > 0;
}

// The numeric rows of gnuplot block `index` of a .dat file (blocks apart by two blank lines).
std::vector<std::vector<double>> dat_block(const std::string &text, int index)
{
    std::vector<std::vector<double>> rows;
    std::istringstream in(text);
    std::string line;
    int block = 0, blank = 0;
    while (std::getline(in, line)) {
        if (line.empty()) {
            block += ++blank == 2;
            continue;
        }
        blank = 0;
        if (line[0] == '#' || block != index)
            continue;
        std::istringstream cols(line);
        std::vector<double> row;
        std::string v;
        while (cols >> v)
            row.push_back(v == "NaN" ? NAN : std::stod(v));
        rows.push_back(row);
    }
    return rows;
}

// condition,stage,task,metric -> value of trial 1 in results.csv.
std::string row_value(const std::string &res, const std::string &key)
{
    size_t at = res.find("1," + key + ",");
    if (at == std::string::npos)
        return "";
    size_t from = at + key.size() + 3, end = res.find('\n', from);
    return res.substr(from, end - from);
}

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
    // the plots: forgetting, stacked accuracy and weights per condition, max mu_N against p
    for (const char *cond : {"rem_p0", "rem_p0.5", "norem_p0", "norem_p0.5"})
        for (const char *kind : {"forgetting_", "stacked_", "weights_"})
            EXPECT_TRUE(exists(dir + "/tri/" + kind + cond + ".png")) << kind << cond;
    for (const char *name : {"max_mu_vs_p.png", "mu.png", "tasks.dat", "weights.dat"})
        EXPECT_TRUE(exists(dir + "/tri/" + name)) << name;
    // tasks.dat, rem_p0: task 1's accuracy, NaN for tasks not yet seen, and the stacked shares
    // summing to mu_N at each task's end
    std::vector<std::vector<double>> tasks = dat_block(harness_slurp(dir + "/tri/tasks.dat"), 0);
    ASSERT_EQ(tasks.size(), 15u); // 5 tasks x 3 evaluations
    ASSERT_EQ(tasks[0].size(), 11u);
    EXPECT_EQ(tasks[0][0], 10.0);
    EXPECT_TRUE(std::isnan(tasks[0][2]) && std::isnan(tasks[0][5]));
    EXPECT_NEAR(tasks[0][6], tasks[0][1], 1e-4);
    EXPECT_NEAR(tasks[14][10], std::stod(row_value(res, "rem_p0,t5_i30,all,mu")), 1e-4);
    EXPECT_NEAR(tasks[8][1], std::stod(row_value(res, "rem_p0,t3_i30,task1,accuracy")), 1e-4);
    // max_p.dat: the REM variant's rows over p, its final mu that of stage t5
    std::vector<std::vector<double>> maxp = dat_block(harness_slurp(dir + "/tri/max_p.dat"), 0);
    ASSERT_EQ(maxp.size(), 2u);
    EXPECT_EQ(maxp[1][0], 0.5);
    EXPECT_NEAR(maxp[1][11], std::stod(row_value(res, "rem_p0.5,t5,all,mu")), 1e-4);
    EXPECT_NEAR(maxp[0][9], std::stod(row_value(res, "rem_p0,t5,all,max_mu")), 1e-4);
    // weights.dat: each task boundary's shares of positive weights sum to 1
    std::vector<std::vector<double>> w = dat_block(harness_slurp(dir + "/tri/weights.dat"), 0);
    ASSERT_EQ(w.size(), 14u);
    double total = 0.0;
    for (const std::vector<double> &row : w)
        total += row[3];
    EXPECT_NEAR(total, 1.0, 1e-3);
    // at each task's end the confusion matrix over the classes seen (task 2: 4 x 4), whose
    // diagonal gives the accuracy and the per-class accuracy rows
    std::istringstream conf(harness_slurp(dir + "/tri/confusion.csv"));
    std::string line;
    long cells = 0, hits = 0, total_n = 0, class3 = 0, class3_hits = 0;
    while (std::getline(conf, line)) {
        if (line.rfind("1,rem_p0,t2,", 0) != 0)
            continue;
        int t = -1, p = -1, count = 0;
        ASSERT_EQ(std::sscanf(line.c_str() + 12, "%d,%d,%d", &t, &p, &count), 3) << line;
        cells++;
        total_n += count;
        hits += t == p ? count : 0;
        class3 += t == 3 ? count : 0;
        class3_hits += t == 3 && p == 3 ? count : 0;
    }
    EXPECT_EQ(cells, 16);
    ASSERT_GT(total_n, 0);
    EXPECT_NEAR(std::stod(row_value(res, "rem_p0,t2,all,accuracy")), (double)hits / total_n, 1e-4);
    EXPECT_NEAR(std::stod(row_value(res, "rem_p0,t2,class3,accuracy")),
                (double)class3_hits / class3, 1e-4);
    // a second run finds every trial done and writes the same results
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "tri"), 0, dir + "/log2"), 0);
    EXPECT_EQ(harness_slurp(dir + "/tri/results.csv"), res);
}

// tripartite.downscale_first = 0 leaves task 1 alone: its figures equal those without
// downscaling, and task 2's differ; the default (1) downscales before task 1 too.
TEST(TripartiteRun, DownscaleFromTaskTwo)
{
    std::string dir = harness_sweep_dir("tri", kIni);
    const std::vector<std::string> sets = {"tripartite.rem=0", "experiment.n_tasks=2",
                                           "tripartite.iterations=20"};
    std::vector<std::string> late = sets, early = sets;
    late.push_back("tripartite.downscale_first=0");
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "late", late), 0, dir + "/log1"), 0)
        << harness_slurp(dir + "/log1");
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "early", early), 0, dir + "/log2"), 0)
        << harness_slurp(dir + "/log2");
    std::string late_res = harness_slurp(dir + "/late/results.csv");
    std::string early_res = harness_slurp(dir + "/early/results.csv");
    for (const char *at : {"t1_i10,all,mu", "t1,enc1,pos_b8", "t1,classifier,zero"})
        EXPECT_EQ(row_value(late_res, std::string("norem_p0.5,") + at),
                  row_value(late_res, std::string("norem_p0,") + at))
            << at;
    EXPECT_NE(row_value(late_res, "norem_p0.5,t2,enc1,pos_b8"),
              row_value(late_res, "norem_p0,t2,enc1,pos_b8"));
    EXPECT_NE(row_value(early_res, "norem_p0.5,t1,enc1,pos_b8"),
              row_value(early_res, "norem_p0,t1,enc1,pos_b8"));
}

// tripartite.src = 0,1: SRC's sleep after each task as its own condition, with its spike rates,
// plots, finite figures, and a sleep set for another depth refused before any training.
TEST(TripartiteRun, SrcSleepAfterEachTask)
{
    std::string dir = harness_sweep_dir("tri", kIni);
    const std::vector<std::string> sets = {"tripartite.rem=1", "tripartite.src=0,1",
                                           "experiment.downscale=0", "experiment.n_tasks=2",
                                           "tripartite.iterations=20"};
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "src", sets), 0, dir + "/log1"), 0)
        << harness_slurp(dir + "/log1");
    std::string res = harness_slurp(dir + "/src/results.csv");
    for (const char *key : {"rem_p0_src,t1,sleep,rate_0", "rem_p0_src,t2,sleep,rate_3",
                            "rem_p0_src,t2,all,mu", "rem_p0,t2,all,mu"}) {
        std::string v = row_value(res, key);
        ASSERT_FALSE(v.empty()) << key;
        EXPECT_TRUE(std::isfinite(std::stod(v))) << key;
    }
    EXPECT_EQ(row_value(res, "rem_p0,t1,sleep,rate_0"), "");
    EXPECT_GT(std::stod(row_value(res, "rem_p0_src,t1,sleep,rate_0")), 0.0);
    // before the sleep both conditions trained alike (same seed)
    EXPECT_EQ(row_value(res, "rem_p0_src,t1_i20,all,mu"), row_value(res, "rem_p0,t1_i20,all,mu"));
    EXPECT_TRUE(exists(dir + "/src/stacked_rem_p0_src.png"));
    std::vector<std::string> bad = sets;
    bad.push_back("sleep.beta=1,1");
    EXPECT_NE(harness_run_cli(harness_run_args(dir, "bad", bad), 0, dir + "/log2"), 0);
    EXPECT_NE(harness_slurp(dir + "/log2").find("sleep.beta"), std::string::npos)
        << harness_slurp(dir + "/log2");
}

// tripartite.src_input: the sleep's input statistics from the model's generated samples
// ("_src_replay") or from those and the task's data ("_src_both"): named apart, trained alike
// up to the first sleep, then a sleep driven by other inputs (other input spike rates).
TEST(TripartiteRun, SrcSleepOnGeneratedSamples)
{
    std::string dir = harness_sweep_dir("tri", kIni);
    std::map<std::string, std::string> res;
    for (const char *input : {"data", "replay", "both"}) {
        const std::vector<std::string> sets = {"tripartite.rem=1",
                                               "tripartite.src=1",
                                               "experiment.downscale=0",
                                               "experiment.n_tasks=2",
                                               "tripartite.iterations=20",
                                               "run.seeds=1",
                                               std::string("tripartite.src_input=") + input};
        ASSERT_EQ(harness_run_cli(harness_run_args(dir, input, sets), 0, dir + "/log"), 0)
            << harness_slurp(dir + "/log");
        res[input] = harness_slurp(dir + "/" + input + "/results.csv");
    }
    const std::string d = "rem_p0_src,", r = "rem_p0_src_replay,", b = "rem_p0_src_both,";
    ASSERT_FALSE(row_value(res["replay"], r + "t2,sleep,rate_0").empty()) << res["replay"];
    ASSERT_FALSE(row_value(res["both"], b + "t2,sleep,rate_0").empty()) << res["both"];
    EXPECT_EQ(row_value(res["replay"], r + "t1_i20,all,mu"),
              row_value(res["data"], d + "t1_i20,all,mu"));
    EXPECT_EQ(row_value(res["both"], b + "t1_i20,all,mu"),
              row_value(res["data"], d + "t1_i20,all,mu"));
    for (const char *key : {"t1,sleep,rate_0", "t2,sleep,rate_0"}) {
        EXPECT_NE(row_value(res["replay"], r + key), row_value(res["data"], d + key)) << key;
        EXPECT_NE(row_value(res["both"], b + key), row_value(res["data"], d + key)) << key;
        EXPECT_TRUE(std::isfinite(std::stod(row_value(res["both"], b + key)))) << key;
    }
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
