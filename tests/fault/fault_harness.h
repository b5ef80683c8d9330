// What the fault-injection tests share: running the program with the fault shim
// (tests/fault/fault_shim.c) preloaded, reading the shim's log of write calls, and checking
// that files on disk hold whole records only (a line prefix of an uninterrupted run's file).
#ifndef SLEEPCL_TEST_FAULT_HARNESS_H
#define SLEEPCL_TEST_FAULT_HARNESS_H

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "cli/cli_harness.h"

extern char **environ;

// The outcome of one program run: its exit status (or minus the signal that killed it) and
// what it wrote to stderr.
struct FaultRun {
    int status;
    std::string err;
};

// Run SCL_CLI_PATH with args; env entries ("NAME=value") are added to the environment. The
// stderr file lives outside every run directory, so that the shim never counts its writes.
inline FaultRun fault_run_cli(const std::vector<std::string> &args,
                              const std::vector<std::string> &env, const std::string &err_path)
{
    std::fflush(nullptr); // else the child's freopen writes out what the parent had buffered
    pid_t pid = fork();
    if (pid == 0) {
        std::vector<std::string> envs = env; // first, and inherited ones of the same name dropped
        for (char **e = environ; *e; e++) {
            std::string name = std::string(*e).substr(0, std::string(*e).find('=') + 1);
            bool overridden = false;
            for (const std::string &o : env)
                overridden = overridden || o.compare(0, name.size(), name) == 0;
            if (!overridden)
                envs.emplace_back(*e);
        }
        std::vector<char *> envp, argv;
        for (std::string &e : envs)
            envp.push_back(&e[0]);
        envp.push_back(nullptr);
        std::string exe = SCL_CLI_PATH;
        argv.push_back(&exe[0]);
        for (const std::string &a : args)
            argv.push_back(const_cast<char *>(a.c_str()));
        argv.push_back(nullptr);
        int fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (!freopen("/dev/null", "w", stdout) || fd < 0 || dup2(fd, 2) < 0)
            _exit(127);
        execve(exe.c_str(), argv.data(), envp.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    FaultRun r;
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    r.err = harness_slurp(err_path);
    return r;
}

// The shim's environment: count calls under dir, inject `mode` at call n (0 = count only).
inline std::vector<std::string> fault_env(const std::string &dir, long n, const std::string &mode,
                                          const std::string &log)
{
    // A sanitizer runtime wants to come first among the libraries; the shim must come first to
    // intercept: tell ASan to let it (ignored by a program built without sanitizers).
    const char *asan = std::getenv("ASAN_OPTIONS");
    std::string opts =
        std::string(asan ? asan : "") + (asan && *asan ? ":" : "") + "verify_asan_link_order=0";
    return {"LD_PRELOAD=" SCL_FAULT_SHIM_PATH,
            "SCL_FAULT_DIR=" + dir,
            "SCL_FAULT_AT=" + std::to_string(n),
            "SCL_FAULT_MODE=" + mode,
            "SCL_FAULT_LOG=" + log,
            "ASAN_OPTIONS=" + opts};
}

// One counted call from the shim's log.
struct FaultCall {
    long n;
    std::string op, path;
};

inline std::vector<FaultCall> fault_read_log(const std::string &log)
{
    std::vector<FaultCall> calls;
    std::istringstream in(harness_slurp(log));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        FaultCall c;
        if (ls >> c.n >> c.op >> c.path)
            calls.push_back(c);
    }
    return calls;
}

// A call's site: the operation and the file relative to the run directory, with the writer's
// pid in temporary names (PATH.PID.tmp) made PATH.PID.tmp.
inline std::string fault_site(const FaultCall &c, const std::string &dir)
{
    std::string rel = c.path.compare(0, dir.size(), dir) == 0 ? c.path.substr(dir.size()) : c.path;
    if (rel.empty())
        rel = "/";
    static const std::regex pid(R"(\.[0-9]+\.tmp$)");
    return c.op + " " + std::regex_replace(rel, pid, ".PID.tmp");
}

// The calls to inject at: every one, or (sites_only) the first call of each kind of site, where
// names that differ only in numbers (trials, conditions, generations) are one kind.
inline std::vector<long> fault_points(const std::vector<FaultCall> &calls, const std::string &dir,
                                      bool sites_only)
{
    static const std::regex numbers("[0-9][0-9.]*");
    std::set<std::string> seen;
    std::vector<long> pick;
    for (const FaultCall &c : calls)
        if (!sites_only || seen.insert(std::regex_replace(fault_site(c, dir), numbers, "#")).second)
            pick.push_back(c.n);
    return pick;
}

// The distinct sites with how often each was hit, one per line, for the test's output.
inline std::string fault_site_list(const std::vector<FaultCall> &calls, const std::string &dir)
{
    std::map<std::string, int> count;
    std::vector<std::string> order;
    for (const FaultCall &c : calls)
        if (count[fault_site(c, dir)]++ == 0)
            order.push_back(fault_site(c, dir));
    std::ostringstream out;
    for (const std::string &s : order)
        out << "  " << s << " x" << count[s] << "\n";
    return out.str();
}

// True when `got` is whole lines of `want` from its start (an absent or empty file is too).
inline bool fault_line_prefix(const std::string &got, const std::string &want)
{
    return got.empty() || (got.size() <= want.size() && want.compare(0, got.size(), got) == 0 &&
                           got.back() == '\n');
}

// The "key" of a CSV line: its first `fields` comma-separated fields.
inline std::string fault_line_key(const std::string &line, int fields)
{
    size_t pos = 0;
    for (int i = 0; i < fields; i++) {
        pos = line.find(',', pos);
        if (pos == std::string::npos)
            return line;
        pos++;
    }
    return line.substr(0, pos);
}

// True when `got` is a line prefix of `want` that ends at a record boundary: the next line of
// `want` (if any) starts a new record (a different key of `fields` fields).
inline bool fault_whole_records(const std::string &got, const std::string &want, int fields)
{
    if (!fault_line_prefix(got, want))
        return false;
    if (got.empty() || got.size() == want.size())
        return true;
    size_t last = got.rfind('\n', got.size() - 2);
    std::string last_line = got.substr(last == std::string::npos ? 0 : last + 1);
    std::string next = want.substr(got.size(), want.find('\n', got.size()) - got.size());
    return last == std::string::npos /* the header alone */ ||
           fault_line_key(last_line, fields) != fault_line_key(next, fields);
}

#endif
