// The slurm tier: a real one-node Slurm (tools/slurm_cluster.sh: munged, slurmctld, slurmd),
// a small sweep submitted through `sleepcl submit` as an array of two workers and a final
// pass, one worker killed with SIGKILL in the middle of a trial, and the run directory at the
// end equal byte for byte to a one-process run's; and a small search submitted the same way
// (`sleepcl submit --search`), whose files must equal a one-process search's. Each test starts
// its own cluster (the search's on other ports, so both can run at once), stopped however the
// test ends. If the daemons cannot start a test fails, unless SCL_TEST_ALLOW_NO_SLURM=1 lets it
// skip.
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

const char *const kFiles[] = {"results.csv", "confusion.csv", "summary.csv",
                              "accuracy_vs_fraction.dat", "plan.csv"};

struct Cluster {
    std::string dir, script = std::string(SCL_SOURCE_DIR) + "/tools/slurm_cluster.sh";
    bool up = false;
    explicit Cluster(const std::string &d) : dir(d)
    {
        std::string cmd = "'" + script + "' start '" + dir + "' >'" + dir + ".start.log' 2>&1";
        up = std::system(cmd.c_str()) == 0;
        if (up)
            setenv("SLURM_CONF", (dir + "/slurm.conf").c_str(), 1);
    }
    ~Cluster()
    {
        std::string cmd = "'" + script + "' stop '" + dir + "'";
        if (std::system(cmd.c_str()) != 0)
            ADD_FAILURE() << "could not stop the cluster in " << dir;
    }
};

// The output of a shell command.
std::string capture(const std::string &cmd)
{
    std::string out;
    FILE *p = popen(cmd.c_str(), "r");
    char buf[512];
    while (p && fgets(buf, sizeof(buf), p))
        out += buf;
    if (p)
        pclose(p);
    return out;
}

// A worker's pid and a trial it holds and has not finished (claims/trialI.G: "host pid ...").
pid_t busy_worker(const std::string &run)
{
    DIR *d = opendir((run + "/claims").c_str());
    pid_t pid = 0;
    for (struct dirent *e; d && (e = readdir(d)) && !pid;) {
        std::string name = e->d_name;
        struct stat st;
        if (name.rfind("trial", 0) != 0 || name.find(".tmp") != std::string::npos)
            continue; // a claim being written is not held yet
        std::string rows =
            run + "/trials/" + std::to_string(std::atoi(name.c_str() + 5)) + ".results.csv";
        long p = 0;
        std::string text = harness_slurp(run + "/claims/" + name);
        if (stat(rows.c_str(), &st) != 0 && std::sscanf(text.c_str(), "%*s %ld", &p) == 1 &&
            kill((pid_t)p, 0) == 0)
            pid = (pid_t)p;
    }
    if (d)
        closedir(d);
    return pid;
}

TEST(Slurm, SubmittedSweepEndsLikeOneProcessEvenWithAWorkerKilled)
{
    std::string dir = harness_sweep_dir("slurm", "[model]\nsizes = 784,40,30,10\n"
                                                 "[train]\nepochs = 2\nbatch = 32\n"
                                                 "[sleep]\nsteps = 60\nbeta = 2,2,2\nalpha = 4\n"
                                                 "[experiment]\nkind = limited\n"
                                                 "fractions = 0.2,0.5,1\n[run]\nseeds = 1..4\n");
    Cluster cluster(dir + "/cluster");
    if (!cluster.up) {
        std::string why = harness_slurp(cluster.dir + ".start.log");
        const char *allow = std::getenv("SCL_TEST_ALLOW_NO_SLURM");
        if (allow && std::string(allow) == "1")
            GTEST_SKIP() << "no Slurm here (SCL_TEST_ALLOW_NO_SLURM=1): " << why;
        FAIL() << "the test cluster did not start (set SCL_TEST_ALLOW_NO_SLURM=1 to skip): " << why;
    }
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "one"), 0), 0);

    std::vector<std::string> submit = {
        "submit", dir + "/exp.ini", "--workers", "2",
        "--set",  "run.out=" + dir, "--set",     "experiment.name=s"};
    std::string out = dir + "/submit.txt";
    ASSERT_EQ(harness_run_cli(submit, 0, out), 0) << harness_slurp(out);
    unsigned array_id = 0, finish_id = 0;
    ASSERT_EQ(std::sscanf(harness_slurp(out).c_str(), "submitted job %u (%*[^)]) and job %u",
                          &array_id, &finish_id),
              2)
        << harness_slurp(out);

    // SIGKILL a worker of the array while it holds a trial it has not finished.
    std::string run = dir + "/s";
    pid_t victim = 0;
    for (int i = 0; i < 60000 && !victim; i++) {
        usleep(2000);
        victim = busy_worker(run);
    }
    ASSERT_NE(victim, 0) << "no worker of the array ever held a trial";
    ASSERT_EQ(kill(victim, SIGKILL), 0);

    // The final pass runs after every array task ended; wait until Slurm lists none of them.
    std::string squeue =
        "squeue -h -j " + std::to_string(array_id) + "," + std::to_string(finish_id) + " 2>&1";
    std::string left = "?";
    for (int i = 0; i < 1500 && !left.empty(); i++) { // 5 minutes at most
        usleep(200000);
        left = capture(squeue);
    }
    ASSERT_TRUE(left.empty()) << "jobs still queued after 5 minutes:\n" << left;
    std::string finish_log = run + "/slurm/finish-" + std::to_string(finish_id) + ".out";
    for (const char *f : kFiles)
        EXPECT_EQ(harness_slurp(run + "/" + f), harness_slurp(dir + "/one/" + f))
            << f << " differs; see " << run << "/slurm/ and " << finish_log;
    struct stat st;
    EXPECT_EQ(stat((run + "/claims/finished").c_str(), &st), 0);
    int retaken = 0; // the killed worker's trial, claimed a second time (generation 1)
    DIR *d = opendir((run + "/claims").c_str());
    for (struct dirent *e; d && (e = readdir(d));) {
        std::string name = e->d_name;
        retaken += name.rfind("trial", 0) == 0 && name.size() > 2 &&
                   name.compare(name.size() - 2, 2, ".1") == 0;
    }
    if (d)
        closedir(d);
    EXPECT_EQ(retaken, 1) << "the killed worker's trial was not taken again exactly once";
    std::string status = dir + "/status.txt";
    EXPECT_EQ(harness_run_cli({"status", run}, 0, status), 0);
    EXPECT_NE(harness_slurp(status).find("12 trials: 12 done, 0 running, 0 left; finished"),
              std::string::npos)
        << harness_slurp(status);
}

} // namespace

namespace
{

// Submitted job ids from `sleepcl submit`'s line, then wait until Slurm lists none of them.
void wait_submitted(const std::string &submit_out)
{
    unsigned array_id = 0, finish_id = 0;
    ASSERT_EQ(std::sscanf(harness_slurp(submit_out).c_str(), "submitted job %u (%*[^)]) and job %u",
                          &array_id, &finish_id),
              2)
        << harness_slurp(submit_out);
    std::string squeue =
        "squeue -h -j " + std::to_string(array_id) + "," + std::to_string(finish_id) + " 2>&1";
    std::string left = "?";
    for (int i = 0; i < 1500 && !left.empty(); i++) { // 5 minutes at most
        usleep(200000);
        left = capture(squeue);
    }
    ASSERT_TRUE(left.empty()) << "jobs still queued after 5 minutes:\n" << left;
}

} // namespace

// A search as an array of two workers and a final pass: candidates.csv, best.ini and the final
// trials equal a one-process search's; status reports it finished.
TEST(Slurm, SubmittedSearchEndsLikeOneProcess)
{
    std::string dir = harness_sweep_dir(
        "slurm", "fraction = 0.5\nval_fraction = 0.2\n[model]\nsizes = 784,40,30,10\n"
                 "[train]\nepochs = 1\nbatch = 32\n[sleep]\nsteps = 40\nbeta = 2,2,2\nalpha = 4\n"
                 "[search]\npopulation = 6\ngenerations = 4\nnets = 2\ntrials = 2\n"
                 "steps = 20,60\nbeta = 0.5,8\n[experiment]\nname = s\n");
    setenv("SCL_SLURM_PORT", "6827", 1); // beside the sweep's cluster (6817)
    Cluster cluster(dir + "/cluster");
    if (!cluster.up) {
        std::string why = harness_slurp(cluster.dir + ".start.log");
        const char *allow = std::getenv("SCL_TEST_ALLOW_NO_SLURM");
        if (allow && std::string(allow) == "1")
            GTEST_SKIP() << "no Slurm here (SCL_TEST_ALLOW_NO_SLURM=1): " << why;
        FAIL() << "the test cluster did not start (set SCL_TEST_ALLOW_NO_SLURM=1 to skip): " << why;
    }
    std::string ini = dir + "/exp.ini";
    ASSERT_EQ(harness_run_cli({"search", ini, "--set", "run.out=" + dir + "/one"}, 0), 0);
    std::string out = dir + "/submit.txt";
    ASSERT_EQ(harness_run_cli(
                  {"submit", ini, "--search", "--workers", "2", "--set", "run.out=" + dir}, 0, out),
              0)
        << harness_slurp(out);
    wait_submitted(out);
    std::string run = dir + "/s";
    for (const char *f : {"candidates.csv", "best.ini", "final/results.csv", "final/confusion.csv",
                          "final/summary.txt"}) {
        EXPECT_FALSE(harness_slurp(dir + "/one/s/" + f).empty()) << f;
        EXPECT_EQ(harness_slurp(run + "/" + f), harness_slurp(dir + "/one/s/" + f))
            << f << " differs; see " << run << "/slurm/";
    }
    std::string config = harness_slurp(dir + "/one/s/config.ini"); // run.out differs
    size_t at = config.find(dir + "/one");
    ASSERT_NE(at, std::string::npos);
    EXPECT_EQ(harness_slurp(run + "/config.ini"), config.replace(at, dir.size() + 4, dir));
    std::string status = dir + "/status.txt";
    EXPECT_EQ(harness_run_cli({"status", run}, 0, status), 0);
    EXPECT_NE(harness_slurp(status).find("2 of 2 done, 0 running, 0 left; finished"),
              std::string::npos)
        << harness_slurp(status);
}
