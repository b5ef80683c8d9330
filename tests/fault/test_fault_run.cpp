// I/O fault injection through `sleepcl run` (one process, and one worker: --worker) and
// `sleepcl search` (one process, and one worker), in the style of SQLite's crash tests. A small
// sweep (search) runs once uninterrupted with the fault shim (fault_shim.c) counting the calls that
// write, sync, rename or remove files in its run directory: K fault points, listed in the test's
// output as the write sites. Then:
//   kill:         at every point N, SIGKILL at call N, then the same command again without the
//                 shim: the final files equal the uninterrupted run's (no lost, no doubled rows);
//   enospc, eio:  at the first call of each kind of site (a site: an operation on a file, names
//                 that differ only in numbers being one kind), that call fails with that errno:
//                 the program exits non-zero with a line naming a file of the run and the reason
//                 (strerror), the files left hold whole records of the uninterrupted run only,
//                 and a rerun completes them.
//   rerun:        killed just before a record file's rename (a half-recorded trial or
//                 generation on disk), the rerun is killed at every call up to its own first
//                 commit (manifest, lock, the pruning of unfinished records) and failed with
//                 ENOSPC at the first call of each kind there; a last run ends as the first.
// SCL_FAULT_FULL=1 injects the errors at every point too; SCL_FAULT_SITES_ONLY=1 kills at the
// first call of each kind only (the sanitizer pass, where every run is slow).
// Every problem is collected and reported together, with its call, so one run shows them all;
// a failing test keeps its directory (TempDir()/scl-fault-*), with the shim's log of every run.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fault/fault_harness.h"

namespace
{

// One scenario: the command, the files that must end equal, and the files that must stay whole
// records (name, fields of a record's key).
struct FaultCase {
    std::string name;
    std::vector<std::string> (*args)(const std::string &base, const std::string &out);
    std::vector<std::string> final_files;
    std::vector<std::pair<std::string, int>> record_files;
    std::vector<std::string> state_sites; // kill before these to leave a half-recorded state
};

// A fresh directory of this process (other builds may run the same test at the same time):
// data, config, and the logs of every run. Removed when the test passes, kept to look at when not.
std::string base_dir(const std::string &name)
{
    std::string t = ::testing::TempDir();
    while (t.size() > 1 && t.back() == '/')
        t.pop_back();
    std::string dir = t + "/scl-fault-" + name + "-XXXXXX";
    if (!mkdtemp(&dir[0]))
        ADD_FAILURE() << "cannot create " << dir;
    std::string cmd = "mkdir -p '" + dir + "/data' '" + dir + "/logs'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    harness_write_split(dir + "/data/train", 200, 1);
    harness_write_split(dir + "/data/t10k", 100, 2);
    return dir;
}

void remove_if_passed(const std::string &dir)
{
    if (::testing::Test::HasFailure()) {
        std::printf("kept for inspection: %s\n", dir.c_str());
        return;
    }
    std::string cmd = "rm -rf '" + dir + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
}

// Two trials of a tiny net: every kind of write of a sweep, in well under a second a run.
std::vector<std::string> run_args(const std::string &base, const std::string &out)
{
    return {"run",   base + "/exp.ini",       "--set", "run.out=" + base,
            "--set", "experiment.name=" + out};
}

void write_run_config(const std::string &base)
{
    std::ofstream cfg(base + "/exp.ini");
    cfg << "[data]\ndir = " << base << "/data\n"
        << "[model]\nsizes = 784,20,10\n"
        << "[train]\nepochs = 1\nbatch = 32\n"
        << "[sleep]\nsteps = 20\nbeta = 2,2\nalpha = 4\n"
        << "[experiment]\nkind = limited\nfractions = 0.5,1\n"
        << "[run]\nseeds = 1\n";
}

// Two generations of three candidates, one net, one final trial.
std::vector<std::string> search_args(const std::string &base, const std::string &out)
{
    return {"search", base + "/search.ini",    "--set", "run.out=" + base,
            "--set",  "experiment.name=" + out};
}

void write_search_config(const std::string &base)
{
    std::ofstream cfg(base + "/search.ini");
    cfg << "[data]\ndir = " << base << "/data\nfraction = 0.5\nval_fraction = 0.2\n"
        << "[model]\nsizes = 784,20,10\n"
        << "[train]\nepochs = 1\nbatch = 32\n"
        << "[sleep]\nsteps = 20\nbeta = 2,2\nalpha = 4\n"
        << "[search]\npopulation = 3\ngenerations = 2\nnets = 1\ntrials = 1\n"
        << "steps = 10,30\nbeta = 0.5,8\n";
}

bool env_is(const char *name)
{
    const char *s = std::getenv(name);
    return s && std::strcmp(s, "1") == 0;
}

class FaultInjection
{
  public:
    FaultInjection(const FaultCase &c, const std::string &base) : c_(c), base_(base)
    {
    }

    // The uninterrupted run, counted: the reference files and the fault points.
    void reference()
    {
        std::string log = base_ + "/logs/ref.calls";
        FaultRun r =
            fault_run_cli(c_.args(base_, "ref"), fault_env(base_ + "/ref", 0, "count", log),
                          base_ + "/logs/ref.err");
        ASSERT_EQ(r.status, 0) << r.err;
        calls_ = fault_read_log(log);
        ASSERT_FALSE(calls_.empty()) << "the shim counted nothing: is it preloaded?";
        for (const std::string &f : c_.final_files) {
            want_[f] = harness_slurp(base_ + "/ref/" + f);
            ASSERT_FALSE(want_[f].empty()) << f;
        }
        std::printf("sleepcl %s: K = %zu fault points; write sites (op, file in the run "
                    "directory, calls):\n%s",
                    c_.name.c_str(), calls_.size(),
                    fault_site_list(calls_, base_ + "/ref").c_str());
    }

    void kill_each()
    {
        for (long n : fault_points(calls_, base_ + "/ref", env_is("SCL_FAULT_SITES_ONLY"))) {
            std::string out = "kill" + std::to_string(n);
            if (!killed(inject(out, n, "kill"), label(n, "kill")))
                continue;
            check_records(out, label(n, "kill"));
            resume_and_compare(out, label(n, "kill"));
        }
    }

    void fail_each(const std::string &mode, const std::string &reason)
    {
        for (long n : fault_points(calls_, base_ + "/ref", !env_is("SCL_FAULT_FULL"))) {
            std::string out = mode + std::to_string(n);
            check_failure(inject(out, n, mode), out, reason, pid_record(call(n)), label(n, mode));
            check_records(out, label(n, mode));
            resume_and_compare(out, label(n, mode));
        }
    }

    // The rerun of an interrupted run has writes of its own: the manifest and the lock again,
    // and the pruning of records of unfinished trials (a trial's confusion rows are committed
    // before its results rows). Kill the run just before each commit of a state site (a record
    // file's rename: the directory then holds a half-recorded trial), then kill the rerun at
    // every call it makes before it commits a record, and fail it there with ENOSPC at the first
    // call of each kind; a last run without the shim must end as the uninterrupted run.
    void fault_rerun(const std::string &reason)
    {
        for (const FaultCall &c : calls_) {
            if (std::find(c_.state_sites.begin(), c_.state_sites.end(),
                          fault_site(c, base_ + "/ref")) == c_.state_sites.end())
                continue;
            // The run directory's name is part of the config (experiment.name), so every run
            // goes to the same name, restored from a snapshot of the state each time.
            std::string state = "state" + std::to_string(c.n), snap = state + ".snap";
            if (!killed(inject(state, c.n, "kill"), label(c.n, "kill")))
                continue;
            copy_dir(state, snap);
            std::vector<FaultCall> rerun = count_rerun(state, label(c.n, "kill"));
            std::string dir = base_ + "/" + state;
            std::printf("sleepcl %s rerun after %s: %zu calls up to its first commit:\n%s",
                        c_.name.c_str(), label(c.n, "kill").c_str(), rerun.size(),
                        fault_site_list(rerun, dir).c_str());
            for (const std::string &mode : {std::string("kill"), std::string("enospc")}) {
                bool sites = mode != "kill" || env_is("SCL_FAULT_SITES_ONLY");
                for (long m : fault_points(rerun, dir, sites)) {
                    const FaultCall &k = rerun[(size_t)m - 1];
                    std::string where = label(c.n, "kill") + ", then " + mode + " at rerun call " +
                                        std::to_string(m) + " (" + fault_site(k, dir) + ")";
                    std::string log = base_ + "/logs/" + state + "-" + mode + std::to_string(m);
                    copy_dir(snap, state);
                    FaultRun r =
                        fault_run_cli(c_.args(base_, state),
                                      fault_env(dir, m, mode, log + ".calls"), log + ".err");
                    if (mode == "kill" ? !killed(r, where)
                                       : !check_failure(r, state, reason, pid_record(k), where))
                        continue;
                    check_records(state, where);
                    resume_and_compare(state, where);
                }
            }
        }
    }

    void report()
    {
        std::string all;
        for (const std::string &p : problems_)
            all += "  " + p + "\n";
        EXPECT_TRUE(problems_.empty()) << problems_.size() << " problems:\n" << all;
    }

  private:
    bool killed(const FaultRun &r, const std::string &where)
    {
        if (r.status == -SIGKILL)
            return true;
        problem(where, "call not reached (status " + std::to_string(r.status) + ")");
        return false;
    }

    // A failed write: a non-zero exit (a warning and exit 0 where `tolerated`) and one line
    // naming a file of the run and the reason. Returns false when the process died instead.
    bool check_failure(const FaultRun &r, const std::string &out, const std::string &reason,
                       bool tolerated, const std::string &where)
    {
        if (r.status < 0) {
            problem(where, "died of signal " + std::to_string(-r.status));
            return false;
        }
        if (r.status == 0 && !tolerated)
            problem(where, "exit 0 after a failed write");
        if (!says(r.err, base_ + "/" + out, reason))
            problem(where, "exit " + std::to_string(r.status) +
                               ", no line of stderr names a file of the run and the reason; "
                               "last: '" +
                               last_line(r.err) + "'");
        return true;
    }

    // The calls of a rerun in `state` up to its first commit of a record (counted on a copy,
    // which is then checked as a plain resume).
    std::vector<FaultCall> count_rerun(const std::string &state, const std::string &where)
    {
        std::string snap = state + ".snap", log = base_ + "/logs/" + state + "-count.calls";
        FaultRun r =
            fault_run_cli(c_.args(base_, state), fault_env(base_ + "/" + state, 0, "count", log),
                          base_ + "/logs/" + state + "-count.err");
        std::vector<FaultCall> calls = fault_read_log(log), startup;
        if (r.status != 0)
            problem(where, "the rerun failed (" + std::to_string(r.status) + ")");
        for (const std::string &f : c_.final_files)
            if (harness_slurp(base_ + "/" + state + "/" + f) != want_[f])
                problem(where, f + " after the rerun differs from the uninterrupted run's");
        for (const FaultCall &k : calls) {
            startup.push_back(k);
            bool commit = false;
            for (const auto &rf : c_.record_files)
                commit = commit || fault_site(k, base_ + "/" + state) == "rename /" + rf.first;
            if (commit)
                break;
        }
        return startup;
    }

    void copy_dir(const std::string &from, const std::string &to)
    {
        std::string cmd = "rm -rf '" + base_ + "/" + to + "' && cp -a '" + base_ + "/" + from +
                          "' '" + base_ + "/" + to + "'";
        EXPECT_EQ(std::system(cmd.c_str()), 0);
    }

    FaultRun inject(const std::string &out, long n, const std::string &mode)
    {
        std::string dir = base_ + "/" + out;
        std::string cmd = "rm -rf '" + dir + "'";
        EXPECT_EQ(std::system(cmd.c_str()), 0);
        return fault_run_cli(c_.args(base_, out),
                             fault_env(dir, n, mode, base_ + "/logs/" + out + ".calls"),
                             base_ + "/logs/" + out + ".err");
    }

    // The files of records hold whole records of the uninterrupted run, from its start.
    void check_records(const std::string &out, const std::string &where)
    {
        for (const auto &rf : c_.record_files)
            if (!fault_whole_records(harness_slurp(base_ + "/" + out + "/" + rf.first),
                                     want_[rf.first], rf.second))
                problem(where, rf.first + " holds more or less than whole records");
    }

    void resume_and_compare(const std::string &out, const std::string &where)
    {
        FaultRun r = fault_run_cli(c_.args(base_, out), {}, base_ + "/logs/" + out + ".resume.err");
        if (r.status != 0) {
            problem(where,
                    "the rerun failed (" + std::to_string(r.status) + "): " + last_line(r.err));
            return;
        }
        for (const std::string &f : c_.final_files)
            if (harness_slurp(base_ + "/" + out + "/" + f) != want_[f])
                problem(where, f + " after the rerun differs from the uninterrupted run's");
        std::string cmd = "rm -rf '" + base_ + "/" + out + "'";
        EXPECT_EQ(std::system(cmd.c_str()), 0);
    }

    // "MODE at call N (site)" of the uninterrupted run's calls.
    std::string label(long n, const std::string &mode) const
    {
        for (const FaultCall &k : calls_)
            if (k.n == n)
                return mode + " at call " + std::to_string(n) + " (" +
                       fault_site(k, base_ + "/ref") + ")";
        return mode + " at call " + std::to_string(n);
    }

    void problem(const std::string &where, const std::string &what)
    {
        problems_.push_back(where + ": " + what);
    }

    // The owner's pid in the run directory's lock file only serves the message a second
    // process gets (the lock itself is already held): failing to write it may be a warning, not
    // an error, but the warning must still name the file and the reason.
    static bool pid_record(const FaultCall &k)
    {
        return (k.op == "ftruncate" || k.op == "pwrite") && k.path.size() >= 6 &&
               k.path.compare(k.path.size() - 6, 6, "/.lock") == 0;
    }

    const FaultCall &call(long n) const
    {
        static const FaultCall none{0, "", ""};
        for (const FaultCall &k : calls_)
            if (k.n == n)
                return k;
        return none;
    }

    // One line of err names something under dir and gives the reason.
    static bool says(const std::string &err, const std::string &dir, const std::string &reason)
    {
        std::istringstream in(err);
        std::string line;
        while (std::getline(in, line))
            if (line.find(dir) != std::string::npos && line.find(reason) != std::string::npos)
                return true;
        return false;
    }

    static std::string last_line(const std::string &s)
    {
        std::string t = s;
        while (!t.empty() && t.back() == '\n')
            t.pop_back();
        size_t nl = t.rfind('\n');
        return nl == std::string::npos ? t : t.substr(nl + 1);
    }

    FaultCase c_;
    std::string base_;
    std::vector<FaultCall> calls_;
    std::map<std::string, std::string> want_;
    std::vector<std::string> problems_;
};

const FaultCase kRun = {"run",
                        run_args,
                        {"results.csv", "confusion.csv", "summary.csv"},
                        {{"results.csv", 2}, {"confusion.csv", 2}},
                        {"rename /results.csv"}};

// One worker of a shared sweep (sleepcl run --worker, host/app/exp_work.c): its trials go to
// trials/I.*.csv and are merged into results.csv by the finish; a worker killed anywhere and
// started again ends with the files of the uninterrupted worker.
std::vector<std::string> worker_args(const std::string &base, const std::string &out)
{
    std::vector<std::string> a = run_args(base, out);
    a.push_back("--worker");
    return a;
}

const FaultCase kWorker = {"worker",
                           worker_args,
                           {"results.csv", "confusion.csv", "summary.csv"},
                           {{"results.csv", 2}, {"confusion.csv", 2}},
                           {"rename /results.csv"}};

const FaultCase kSearch = {"search",
                           search_args,
                           {"candidates.csv", "best.ini", "final/results.csv", "final/summary.txt"},
                           {{"candidates.csv", 1}, {"final/results.csv", 2}},
                           {"rename /candidates.csv", "rename /final/results.csv"}};

std::vector<std::string> search_worker_args(const std::string &base, const std::string &out)
{
    std::vector<std::string> a = search_args(base, out);
    a.push_back("--worker");
    return a;
}

const FaultCase kSearchWorker = {
    "search-worker",
    search_worker_args,
    {"candidates.csv", "best.ini", "final/results.csv", "final/summary.txt"},
    {{"candidates.csv", 1}, {"final/results.csv", 2}},
    {"rename /candidates.csv", "rename /final/results.csv"}};

} // namespace

TEST(FaultInjection, RunKilledAtEveryWriteResumesToTheSameResults)
{
    std::string base = base_dir("run-kill");
    write_run_config(base);
    FaultInjection f(kRun, base);
    ASSERT_NO_FATAL_FAILURE(f.reference());
    f.kill_each();
    f.report();
    remove_if_passed(base);
}

TEST(FaultInjection, RunWriteErrorsAreReportedAndLoseNothing)
{
    std::string base = base_dir("run-errors");
    write_run_config(base);
    FaultInjection f(kRun, base);
    ASSERT_NO_FATAL_FAILURE(f.reference());
    f.fail_each("enospc", std::strerror(ENOSPC));
    f.fail_each("eio", std::strerror(EIO));
    f.report();
    remove_if_passed(base);
}

TEST(FaultInjection, RunRerunFaultedAtEveryWriteBeforeItsFirstCommit)
{
    std::string base = base_dir("run-rerun");
    write_run_config(base);
    FaultInjection f(kRun, base);
    ASSERT_NO_FATAL_FAILURE(f.reference());
    f.fault_rerun(std::strerror(ENOSPC));
    f.report();
    remove_if_passed(base);
}

TEST(FaultInjection, WorkerKilledAtEveryWriteResumesToTheSameResults)
{
    std::string base = base_dir("worker-kill");
    write_run_config(base);
    FaultInjection f(kWorker, base);
    ASSERT_NO_FATAL_FAILURE(f.reference());
    f.kill_each();
    f.report();
    remove_if_passed(base);
}

TEST(FaultInjection, SearchKilledAtEveryWriteResumesToTheSameResults)
{
    std::string base = base_dir("search-kill");
    write_search_config(base);
    FaultInjection f(kSearch, base);
    ASSERT_NO_FATAL_FAILURE(f.reference());
    f.kill_each();
    f.report();
    remove_if_passed(base);
}

// A search worker (search_work.c) killed at the first write of every kind of site: its claims,
// a generation's scores on a net, the merge into candidates.csv, a final trial's files, their
// merge and the finish (every write with SCL_FAULT_FULL=1: about twice the one-process search's
// points, most of them the claims' own files, which repeat per unit).
TEST(FaultInjection, SearchWorkerKilledAtEveryWriteResumesToTheSameResults)
{
    std::string base = base_dir("search-worker-kill");
    write_search_config(base);
    FaultInjection f(kSearchWorker, base);
    ASSERT_NO_FATAL_FAILURE(f.reference());
    const char *was = std::getenv("SCL_FAULT_SITES_ONLY");
    std::string keep = was ? was : "";
    if (!env_is("SCL_FAULT_FULL"))
        setenv("SCL_FAULT_SITES_ONLY", "1", 1);
    f.kill_each();
    if (was)
        setenv("SCL_FAULT_SITES_ONLY", keep.c_str(), 1);
    else
        unsetenv("SCL_FAULT_SITES_ONLY");
    f.report();
    remove_if_passed(base);
}

TEST(FaultInjection, SearchWriteErrorsAreReportedAndLoseNothing)
{
    std::string base = base_dir("search-errors");
    write_search_config(base);
    FaultInjection f(kSearch, base);
    ASSERT_NO_FATAL_FAILURE(f.reference());
    f.fail_each("enospc", std::strerror(ENOSPC));
    f.fail_each("eio", std::strerror(EIO));
    f.report();
    remove_if_passed(base);
}

TEST(FaultInjection, SearchRerunFaultedAtEveryWriteBeforeItsFirstCommit)
{
    std::string base = base_dir("search-rerun");
    write_search_config(base);
    FaultInjection f(kSearch, base);
    ASSERT_NO_FATAL_FAILURE(f.reference());
    f.fault_rerun(std::strerror(ENOSPC));
    f.report();
    remove_if_passed(base);
}
