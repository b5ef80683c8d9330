// Sweeps shared by worker processes (sleepcl run --worker, host/app/exp_work.c), end to end on
// generated data: 1, 2 and 4 workers end with the files of a one-process run byte for byte; a
// worker killed with SIGKILL in the middle of a trial leaves the sweep to complete without a
// row lost or doubled; a one-process run and workers refuse to share a directory; `sleepcl
// status` counts the trials; `sleepcl submit --dry-run` writes the Slurm scripts.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "cli/cli_harness.h"

namespace
{

const char kIni[] = "[model]\nsizes = 784,40,30,10\n"
                    "[train]\nepochs = 2\nbatch = 32\n"
                    "[sleep]\nsteps = 60\nbeta = 2,2,2\nalpha = 4\n"
                    "[experiment]\nkind = limited\nfractions = 0.2,0.5,1\n"
                    "[run]\nseeds = 1..3\n";
const int kTrials = 9;

// The files a sweep ends with that must not depend on how it was run.
const char *const kFiles[] = {"results.csv",          "confusion.csv",
                              "summary.csv",          "accuracy_vs_fraction.dat",
                              "confusion_before.dat", "plan.csv"};

void expect_same_files(const std::string &a, const std::string &b)
{
    for (const char *f : kFiles) {
        std::string want = harness_slurp(a + "/" + f);
        EXPECT_FALSE(want.empty()) << a << "/" << f;
        EXPECT_EQ(harness_slurp(b + "/" + f), want) << b << "/" << f << " differs";
    }
}

std::vector<std::string> worker_args(const std::string &dir, const std::string &name)
{
    std::vector<std::string> a = harness_run_args(dir, name);
    a.push_back("--worker");
    return a;
}

// Run n workers on one directory at once; true when all exited 0.
bool run_workers(const std::string &dir, const std::string &name, int n)
{
    std::vector<pid_t> pids;
    for (int i = 0; i < n; i++)
        pids.push_back(harness_spawn_cli(worker_args(dir, name),
                                         dir + "/" + name + "-w" + std::to_string(i) + ".log"));
    bool ok = true;
    for (pid_t p : pids)
        ok = harness_wait_cli(p) == 0 && ok;
    return ok;
}

int count_files(const std::string &dir, const std::string &prefix)
{
    int n = 0;
    DIR *d = opendir(dir.c_str());
    for (struct dirent *e; d && (e = readdir(d));)
        n += std::string(e->d_name).rfind(prefix, 0) == 0;
    if (d)
        closedir(d);
    return n;
}

TEST(Workers, AnyNumberEndsLikeOneProcess)
{
    std::string dir = harness_sweep_dir("workers", kIni);
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "one"), 0), 0);
    for (int n : {1, 2, 4}) {
        std::string name = "w" + std::to_string(n);
        ASSERT_TRUE(run_workers(dir, name, n)) << n << " workers failed: see " << dir;
        expect_same_files(dir + "/one", dir + "/" + name);
        EXPECT_EQ(count_files(dir + "/" + name + "/trials", ""), 2) // "." and ".."
            << "the trials' own files must be merged and removed";
        struct stat st;
        EXPECT_EQ(stat((dir + "/" + name + "/accuracy_vs_fraction.png").c_str(), &st), 0);
    }
    // Every trial was claimed once (generation 0) in a run where no worker died.
    EXPECT_EQ(count_files(dir + "/w4/claims", "trial"), kTrials);
    // A worker started on a finished sweep does nothing and succeeds.
    ASSERT_EQ(harness_run_cli(worker_args(dir, "w2"), 0), 0);
    expect_same_files(dir + "/one", dir + "/w2");
    std::string out = dir + "/status.txt";
    ASSERT_EQ(harness_run_cli({"status", dir + "/w2"}, 0, out), 0);
    EXPECT_NE(harness_slurp(out).find("9 trials: 9 done, 0 running, 0 left; finished"),
              std::string::npos)
        << harness_slurp(out);
}

// The number I of a trial that pid holds and has not finished (claims/trialI.G hold "host pid
// ..."; trials/I.results.csv is written when it is done), or -1.
int running_trial(const std::string &run, pid_t pid)
{
    std::string claims = run + "/claims", me = " " + std::to_string(pid) + " ";
    DIR *d = opendir(claims.c_str());
    int found = -1;
    for (struct dirent *e; d && (e = readdir(d)) && found < 0;) {
        std::string name = e->d_name;
        struct stat st;
        if (name.rfind("trial", 0) != 0 || name.find(".tmp") != std::string::npos ||
            harness_slurp(claims + "/" + name).find(me) == std::string::npos)
            continue;
        int i = std::atoi(name.c_str() + 5);
        if (stat((run + "/trials/" + std::to_string(i) + ".results.csv").c_str(), &st) != 0)
            found = i;
    }
    if (d)
        closedir(d);
    return found;
}

// Two workers; one is killed while it holds a trial it has not finished. The other takes that
// trial again (the dead process's claim on this machine is stale at once) and completes the
// sweep; an attempt where the trial ended between the look and the kill is started afresh.
TEST(Workers, KilledWorkersTrialIsTakenAgain)
{
    std::string dir = harness_sweep_dir("workers", kIni);
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "one"), 0), 0);
    bool proved = false;
    for (int attempt = 0; attempt < 5 && !proved; attempt++) {
        std::string name = "k" + std::to_string(attempt), run = dir + "/" + name;
        pid_t a = harness_spawn_cli(worker_args(dir, name), run + "-a.log");
        pid_t b = harness_spawn_cli(worker_args(dir, name), run + "-b.log");
        int trial = -1;
        for (int i = 0; i < 20000 && trial < 0; i++) {
            usleep(2000);
            trial = running_trial(run, a);
        }
        ASSERT_GE(trial, 0) << "worker a never held a trial";
        kill(a, SIGKILL);
        EXPECT_EQ(harness_wait_cli(a), -1);
        struct stat st;
        std::string rows = run + "/trials/" + std::to_string(trial) + ".results.csv";
        proved = stat(rows.c_str(), &st) != 0;
        ASSERT_EQ(harness_wait_cli(b), 0) << "see " << run << "-b.log";
        expect_same_files(dir + "/one", run);
        if (!proved)
            continue;
        // b took the dead worker's trial again: a second generation of its claim.
        std::string again = run + "/claims/trial" + std::to_string(trial) + ".1";
        EXPECT_EQ(stat(again.c_str(), &st), 0) << again;
        std::string text = harness_slurp(run + "/results.csv");
        EXPECT_EQ((size_t)std::count(text.begin(), text.end(), '\n'),
                  1u + kTrials * (3u * 11u + 4u));
    }
    EXPECT_TRUE(proved) << "no worker was ever killed in the middle of a trial";
}

TEST(Workers, OneProcessRunAndWorkersDoNotShareADirectory)
{
    std::string dir = harness_sweep_dir("workers", kIni);
    pid_t w = harness_spawn_cli(worker_args(dir, "s"), dir + "/s-w.log");
    for (int i = 0; i < 6000 && running_trial(dir + "/s", w) < 0; i++)
        usleep(5000);
    std::string out = dir + "/refused.txt";
    EXPECT_EQ(harness_run_cli(harness_run_args(dir, "s"), 0, out), 1);
    EXPECT_NE(harness_slurp(out).find("is in use by sleepcl workers"), std::string::npos)
        << harness_slurp(out);
    std::string status = dir + "/status.txt";
    EXPECT_EQ(harness_run_cli({"status", dir + "/s"}, 0, status), 0);
    EXPECT_NE(harness_slurp(status).find("9 trials: "), std::string::npos) << harness_slurp(status);
    ASSERT_EQ(harness_wait_cli(w), 0);
    pid_t one = harness_spawn_cli(harness_run_args(dir, "t"));
    for (int i = 0; i < 6000 && harness_slurp(dir + "/t/.lock").empty(); i++)
        usleep(5000);
    EXPECT_EQ(harness_run_cli(worker_args(dir, "t"), 0, out), 1);
    EXPECT_NE(harness_slurp(out).find("in use by another sleepcl process"), std::string::npos)
        << harness_slurp(out);
    ASSERT_EQ(harness_wait_cli(one), 0);
}

TEST(Workers, SubmitDryRunWritesTheSlurmScripts)
{
    std::string dir = harness_sweep_dir("workers", kIni);
    std::vector<std::string> a = {"submit",
                                  dir + "/exp.ini",
                                  "--workers",
                                  "3",
                                  "--max-running",
                                  "2",
                                  "--partition",
                                  "gpu",
                                  "--gpus-per-task",
                                  "1",
                                  "--dry-run",
                                  "--set",
                                  "run.out=" + dir,
                                  "--set",
                                  "experiment.name=sub"};
    std::string out = dir + "/submit.txt";
    ASSERT_EQ(harness_run_cli(a, 0, out), 0) << harness_slurp(out);
    std::string w = harness_slurp(dir + "/sub/slurm/worker.sbatch");
    for (const char *want : {"#SBATCH --array=0-2%2\n", "#SBATCH --partition=gpu\n",
                             "#SBATCH --gpus-per-task=1\n", " --worker\n", "'run.out="})
        EXPECT_NE(w.find(want), std::string::npos) << want << " not in\n" << w;
    std::string f = harness_slurp(dir + "/sub/slurm/finish.sbatch");
    EXPECT_EQ(f.find("--array"), std::string::npos) << f;
    EXPECT_NE(f.find(" --worker\n"), std::string::npos) << f;
    EXPECT_NE(harness_slurp(out).find("--dependency=afterany:"), std::string::npos);
    EXPECT_EQ(harness_run_cli({"submit", dir + "/exp.ini", "--workers", "x"}, 0), 2);
}

} // namespace
