// A search shared by worker processes (sleepcl search --worker, host/app/search_work.c), end to
// end on generated data: two workers run at once end with the files of a one-process search
// byte for byte (candidates.csv, best.ini, final/ and config.ini but for the run's name); a
// worker killed with SIGKILL while it scores a generation on a net leaves the unit to another
// worker, started after the kill, and the files are still the same; `sleepcl status` reports
// the search; search.finetune = 1 is refused; `sleepcl submit --search --dry-run` writes
// scripts that start search workers.
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

const char kIni[] = "fraction = 0.5\nval_fraction = 0.2\n"
                    "[model]\nsizes = 784,40,30,10\n"
                    "[train]\nepochs = 1\nbatch = 32\n"
                    "[sleep]\nsteps = 40\nbeta = 2,2,2\nalpha = 4\n"
                    "[search]\npopulation = 6\ngenerations = 4\nnets = 2\ntrials = 2\n"
                    "steps = 20,60\nbeta = 0.5,8\n";

// Every file a search writes (config.ini is compared apart: it names the run).
const char *const kFiles[] = {"candidates.csv", "best.ini", "final/results.csv",
                              "final/confusion.csv", "final/summary.txt"};

std::vector<std::string> search_args(const std::string &dir, const std::string &name, bool worker)
{
    std::vector<std::string> a = {"search",         dir + "/exp.ini", "--set",
                                  "run.out=" + dir, "--set",          "experiment.name=" + name};
    if (worker)
        a.push_back("--worker");
    return a;
}

void expect_same_search(const std::string &want, const std::string &got)
{
    for (const char *f : kFiles) {
        std::string a = harness_slurp(want + "/" + f);
        EXPECT_FALSE(a.empty()) << want << "/" << f;
        EXPECT_EQ(a, harness_slurp(got + "/" + f)) << f << " differs in " << got;
    }
    std::string name = got.substr(got.rfind('/') + 1), config = harness_slurp(got + "/config.ini");
    size_t at = config.find("name = \"" + name + "\"");
    ASSERT_NE(at, std::string::npos);
    config.replace(at, name.size() + 9, "name = \"one\"");
    EXPECT_EQ(config, harness_slurp(want + "/config.ini"));
}

// A unit (claims/gG.nK.N, scores/G.K.csv not written yet) that pid holds; "" when none.
std::string running_unit(const std::string &run, pid_t pid)
{
    std::string found;
    DIR *d = opendir((run + "/claims").c_str());
    for (struct dirent *e; d && (e = readdir(d)) && found.empty();) {
        std::string name = e->d_name;
        int g = -1, k = -1, n = -1;
        long p = 0;
        struct stat st;
        if (name.find(".tmp") != std::string::npos ||
            std::sscanf(name.c_str(), "g%d.n%d.%d", &g, &k, &n) != 3)
            continue;
        std::string rows = run + "/scores/" + std::to_string(g) + "." + std::to_string(k) + ".csv";
        if (std::sscanf(harness_slurp(run + "/claims/" + name).c_str(), "%*s %ld", &p) == 1 &&
            p == (long)pid && stat(rows.c_str(), &st) != 0)
            found = name;
    }
    if (d)
        closedir(d);
    return found;
}

std::string one_process(const std::string &dir)
{
    std::string log = dir + "/one.log";
    EXPECT_EQ(harness_run_cli(search_args(dir, "one", false), 0, log), 0) << harness_slurp(log);
    return dir + "/one";
}

} // namespace

TEST(SearchWorkers, TwoWorkersAtOnceEndLikeOneProcess)
{
    std::string dir = harness_sweep_dir("search-workers", kIni);
    std::string one = one_process(dir), run = dir + "/two";
    pid_t a = harness_spawn_cli(search_args(dir, "two", true), run + "-a.log");
    pid_t b = harness_spawn_cli(search_args(dir, "two", true), run + "-b.log");
    EXPECT_EQ(harness_wait_cli(a), 0) << harness_slurp(run + "-a.log");
    EXPECT_EQ(harness_wait_cli(b), 0) << harness_slurp(run + "-b.log");
    expect_same_search(one, run);
    struct stat st;
    EXPECT_EQ(stat((run + "/claims/finished").c_str(), &st), 0);
    std::string status = dir + "/status.txt";
    ASSERT_EQ(harness_run_cli({"status", run}, 0, status), 0);
    std::string s = harness_slurp(status);
    EXPECT_NE(s.find("4 generations scored, 24 of 24 candidates scored, 0 left"), std::string::npos)
        << s;
    EXPECT_NE(s.find("2 of 2 done, 0 running, 0 left; finished"), std::string::npos) << s;
    // a worker started on a finished search has nothing to do and changes nothing
    ASSERT_EQ(harness_run_cli(search_args(dir, "two", true), 0), 0);
    expect_same_search(one, run);
    // the same search seen as if stopped after generation 1 (candidates.csv cut after its rows):
    // generation 2 has both nets scored and 3 x 2 - 2 units left, timed by the units so far
    std::string cut = dir + "/cut";
    std::string cmd = "cp -r '" + run + "' '" + cut + "' && head -n 7 '" + run +
                      "/candidates.csv' > '" + cut + "/candidates.csv' && rm '" + cut +
                      "/claims/finished'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    ASSERT_EQ(harness_run_cli({"status", cut}, 0, status), 0);
    s = harness_slurp(status);
    EXPECT_NE(s.find("1 generations scored, 6 of 24 candidates scored, 18 left"), std::string::npos)
        << s;
    EXPECT_NE(s.find("generation 2: 2 of 2 nets scored, 0 running, 0 left; ETA "),
              std::string::npos)
        << s;
    EXPECT_NE(s.find(" s a unit, 1 at a time)"), std::string::npos) << s;
}

// Two workers; a is killed while it scores a generation on a net. A third worker, started
// after the kill, and b (started once a holds the unit) take that unit again (the dead
// process's claim on this machine is stale at once); an attempt where the unit ended between
// the look and the kill is started afresh.
TEST(SearchWorkers, KilledWorkersUnitIsTakenAgain)
{
    std::string dir = harness_sweep_dir("search-workers", kIni);
    std::string one = one_process(dir);
    bool proved = false;
    for (int attempt = 0; attempt < 5 && !proved; attempt++) {
        std::string name = "k" + std::to_string(attempt), run = dir + "/" + name;
        // b starts once a holds a unit: started together, a loaded machine could let b score
        // every net while a is still opening its device, and a would never hold one
        pid_t a = harness_spawn_cli(search_args(dir, name, true), run + "-a.log");
        std::string unit;
        for (int i = 0; i < 60000 && unit.empty(); i++) {
            usleep(500);
            unit = running_unit(run, a);
        }
        ASSERT_FALSE(unit.empty()) << "worker a never held a unit";
        pid_t b = harness_spawn_cli(search_args(dir, name, true), run + "-b.log");
        kill(a, SIGKILL);
        EXPECT_EQ(harness_wait_cli(a), -1);
        int g = -1, k = -1, n = -1;
        ASSERT_EQ(std::sscanf(unit.c_str(), "g%d.n%d.%d", &g, &k, &n), 3);
        struct stat st;
        std::string rows = run + "/scores/" + std::to_string(g) + "." + std::to_string(k) + ".csv";
        proved = stat(rows.c_str(), &st) != 0;
        pid_t c = harness_spawn_cli(search_args(dir, name, true), run + "-c.log");
        EXPECT_EQ(harness_wait_cli(b), 0) << harness_slurp(run + "-b.log");
        EXPECT_EQ(harness_wait_cli(c), 0) << harness_slurp(run + "-c.log");
        expect_same_search(one, run);
        if (!proved)
            continue;
        std::string again = run + "/claims/g" + std::to_string(g) + ".n" + std::to_string(k) + "." +
                            std::to_string(n + 1);
        EXPECT_EQ(stat(again.c_str(), &st), 0) << again << ": the unit was not taken again";
    }
    EXPECT_TRUE(proved) << "no worker was ever killed in the middle of a unit";
}

TEST(SearchWorkers, FinetuneRefusedSubmitWritesSearchWorkers)
{
    std::string dir = harness_sweep_dir("search-workers", kIni);
    std::vector<std::string> a = search_args(dir, "ft", true);
    a.insert(a.end(), {"--set", "search.finetune=1"});
    std::string out = dir + "/ft.txt";
    EXPECT_EQ(harness_run_cli(a, 0, out), 2);
    EXPECT_NE(harness_slurp(out).find("search.finetune = 1"), std::string::npos)
        << harness_slurp(out);
    std::vector<std::string> s = {"submit", dir + "/exp.ini",     "--search", "--workers",
                                  "3",      "--dry-run",          "--set",    "run.out=" + dir,
                                  "--set",  "experiment.name=sub"};
    out = dir + "/submit.txt";
    ASSERT_EQ(harness_run_cli(s, 0, out), 0) << harness_slurp(out);
    for (const char *script : {"worker", "finish"}) {
        std::string text = harness_slurp(dir + "/sub/slurm/" + script + ".sbatch");
        EXPECT_NE(text.find(" search '"), std::string::npos) << text;
        EXPECT_NE(text.find(" --worker\n"), std::string::npos) << text;
    }
    EXPECT_NE(harness_slurp(dir + "/sub/slurm/worker.sbatch").find("#SBATCH --array=0-2%3\n"),
              std::string::npos);
}
