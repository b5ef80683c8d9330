// What the end-to-end tests of the sleepcl program share: a small synthetic dataset written as
// IDX files, a per-test sweep directory with its config, reading a whole file, and running the
// program in a child process that can be killed with SIGKILL after a delay (to test that
// interrupted sweeps resume).
#ifndef SLEEPCL_TEST_CLI_HARNESS_H
#define SLEEPCL_TEST_CLI_HARNESS_H

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

inline void harness_be32(std::ofstream &f, uint32_t v)
{
    const char b[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
    f.write(b, 4);
}

// PREFIX-images-idx3-ubyte and PREFIX-labels-idx1-ubyte with n 28x28 images: class c lights a
// 6x6 block at a class-dependent place, plus noise, so that a small net learns it quickly.
inline void harness_write_split(const std::string &prefix, int n, uint32_t seed)
{
    std::ofstream img(prefix + "-images-idx3-ubyte", std::ios::binary);
    std::ofstream lab(prefix + "-labels-idx1-ubyte", std::ios::binary);
    harness_be32(img, 0x803);
    harness_be32(img, (uint32_t)n);
    harness_be32(img, 28);
    harness_be32(img, 28);
    harness_be32(lab, 0x801);
    harness_be32(lab, (uint32_t)n);
    uint32_t s = seed;
    for (int i = 0; i < n; i++) {
        int c = i % 10;
        for (int p = 0; p < 784; p++) {
            int r = p / 28, q = p % 28;
            bool on = r >= 2 + 2 * c && r < 8 + 2 * c && q >= 3 + c && q < 9 + c;
            s = s * 1664525u + 1013904223u;
            int v = (on ? 200 : 0) + (int)(s >> 27);
            img.put((char)(v > 255 ? 255 : v));
        }
        lab.put((char)c);
    }
}

inline std::string harness_slurp(const std::string &p)
{
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Run the program (SCL_CLI_PATH) with args, its stdout and stderr into the file `out`
// (/dev/null by default); SIGKILL it after kill_ms (0 = let it finish). Returns the exit
// status, or -1 when it was killed.
// Start the program with args in the background (stdout and stderr to out); returns its pid.
inline pid_t harness_spawn_cli(const std::vector<std::string> &args,
                               const std::string &out = "/dev/null")
{
    pid_t pid = fork();
    if (pid == 0) {
        std::vector<char *> argv;
        std::string exe = SCL_CLI_PATH;
        argv.push_back(&exe[0]);
        for (const std::string &a : args)
            argv.push_back(const_cast<char *>(a.c_str()));
        argv.push_back(nullptr);
        if (!freopen(out.c_str(), "w", stdout) || dup2(fileno(stdout), fileno(stderr)) < 0)
            _exit(127);
        execv(exe.c_str(), argv.data());
        _exit(127);
    }
    return pid;
}

// The exit status of a spawned program, or -1 when a signal ended it.
inline int harness_wait_cli(pid_t pid)
{
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline int harness_run_cli(const std::vector<std::string> &args, int kill_ms,
                           const std::string &out = "/dev/null")
{
    pid_t pid = harness_spawn_cli(args, out);
    if (kill_ms > 0) {
        usleep((useconds_t)kill_ms * 1000);
        kill(pid, SIGKILL);
    }
    return harness_wait_cli(pid);
}

// A fresh directory per test (ctest runs tests in parallel): TempDir/scl-TAG-TESTNAME holding
// data/{train,t10k} (600 and 200 synthetic images) and exp.ini = "[data] dir = that data" followed
// by `ini`. Returns the directory.
inline std::string harness_sweep_dir(const std::string &tag, const std::string &ini)
{
    std::string dir = ::testing::TempDir() + "/scl-" + tag + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::string cmd = "rm -rf '" + dir + "' && mkdir -p '" + dir + "/data'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    harness_write_split(dir + "/data/train", 600, 1);
    harness_write_split(dir + "/data/t10k", 200, 2);
    std::ofstream cfg(dir + "/exp.ini");
    cfg << "[data]\ndir = " << dir << "/data\n" << ini;
    return dir;
}

// `sleepcl run DIR/exp.ini` into DIR/NAME, with extra --set overrides.
inline std::vector<std::string> harness_run_args(const std::string &dir, const std::string &name,
                                                 const std::vector<std::string> &sets = {})
{
    std::vector<std::string> a = {"run",   dir + "/exp.ini",         "--set", "run.out=" + dir,
                                  "--set", "experiment.name=" + name};
    for (const std::string &s : sets) {
        a.push_back("--set");
        a.push_back(s);
    }
    return a;
}

// condition,stage,task,metric -> value of DIR/results.csv, for trial 1, without the wall times
// (the one metric that differs between reruns).
inline std::map<std::string, std::string> harness_trial1_rows(const std::string &dir)
{
    std::map<std::string, std::string> out;
    std::istringstream in(harness_slurp(dir + "/results.csv"));
    std::string line;
    while (std::getline(in, line)) {
        size_t first = line.find(','), last = line.rfind(',');
        if (line.rfind("1,", 0) != 0 || line.find(",seconds,") != std::string::npos)
            continue;
        out[line.substr(first + 1, last - first - 1)] = line.substr(last + 1);
    }
    return out;
}

#endif
