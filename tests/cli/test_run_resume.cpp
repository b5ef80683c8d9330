// End to end through the sleepcl program on a small synthetic dataset written here as IDX
// files: a sweep killed with SIGKILL again and again, and restarted each time, ends with exactly
// the results of an uninterrupted sweep (no duplicated and no missing rows), and the run
// directory holds the manifest, summary and plots. Also: a run directory of another config is
// refused, and bad configs exit with status 2 and a message naming the key.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace
{

// Each test has its own directory: ctest runs them in parallel, and a fixture starts afresh.
std::string kDir;

void be32(std::ofstream &f, uint32_t v)
{
    const char b[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
    f.write(b, 4);
}

// n images of 28x28: class c lights a 6x6 block at a class-dependent place, plus noise.
void write_split(const std::string &prefix, int n, uint32_t seed)
{
    std::ofstream img(prefix + "-images-idx3-ubyte", std::ios::binary);
    std::ofstream lab(prefix + "-labels-idx1-ubyte", std::ios::binary);
    be32(img, 0x803);
    be32(img, (uint32_t)n);
    be32(img, 28);
    be32(img, 28);
    be32(lab, 0x801);
    be32(lab, (uint32_t)n);
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

std::string slurp(const std::string &p)
{
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

struct SweepFixture {
    SweepFixture()
    {
        kDir = ::testing::TempDir() + "/scl-run-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
        std::string cmd = "rm -rf '" + kDir + "' && mkdir -p '" + kDir + "/data'";
        EXPECT_EQ(std::system(cmd.c_str()), 0);
        write_split(kDir + "/data/train", 600, 1);
        write_split(kDir + "/data/t10k", 200, 2);
        std::ofstream cfg(kDir + "/exp.ini");
        cfg << "[data]\ndir = " << kDir << "/data\n"
            << "[model]\nsizes = 784,40,30,10\n"
            << "[train]\nepochs = 2\nbatch = 32\n"
            << "[sleep]\nsteps = 60\nbeta = 2,2,2\nalpha = 4\n"
            << "[experiment]\nkind = limited\nfractions = 0.2,0.5,1\n"
            << "[run]\nseeds = 1..4\n";
    }
};

// Run sleepcl with args; kill it with SIGKILL after `kill_ms` (0 = let it finish). Returns the
// exit status, or -1 when it was killed.
int run_cli(const std::vector<std::string> &args, int kill_ms)
{
    pid_t pid = fork();
    if (pid == 0) {
        std::vector<char *> argv;
        std::string exe = SCL_CLI_PATH;
        argv.push_back(&exe[0]);
        for (const std::string &a : args)
            argv.push_back(const_cast<char *>(a.c_str()));
        argv.push_back(nullptr);
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(127);
        execv(exe.c_str(), argv.data());
        _exit(127);
    }
    if (kill_ms > 0) {
        usleep((useconds_t)kill_ms * 1000);
        kill(pid, SIGKILL);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> args(const std::string &out)
{
    return {"run",   kDir + "/exp.ini",       "--set", "run.out=" + kDir,
            "--set", "experiment.name=" + out};
}

TEST(RunResume, KilledSweepsEndLikeUninterruptedOnes)
{
    SweepFixture fixture;
    // The first run also compiles the kernels into a cold cache; time the second one.
    ASSERT_EQ(run_cli(args("straight"), 0), 0);
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(run_cli(args("again"), 0), 0);
    double full_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(slurp(kDir + "/again/results.csv"), slurp(kDir + "/straight/results.csv"))
        << "the same sweep twice must give the same rows";
    std::string want = slurp(kDir + "/straight/results.csv");
    ASSERT_FALSE(want.empty());
    // Kill after a growing share of an uninterrupted run's time, so that some runs die mid-way
    // however fast this machine is; later ones get further, so the sweep always completes.
    int kills = 0, rc = -1;
    for (int attempt = 0; attempt < 60 && rc != 0; attempt++) {
        rc = run_cli(args("killed"), (int)(full_ms * (0.15 + 0.1 * attempt)) + 1);
        kills += rc == -1;
    }
    ASSERT_EQ(rc, 0) << "the sweep never completed";
    EXPECT_GE(kills, 2) << "the sweep was not interrupted: the test proves nothing";
    EXPECT_EQ(slurp(kDir + "/killed/results.csv"), want);
    EXPECT_EQ(slurp(kDir + "/killed/confusion.csv"), slurp(kDir + "/straight/confusion.csv"));
    EXPECT_EQ(slurp(kDir + "/killed/summary.csv"), slurp(kDir + "/straight/summary.csv"));
    // one header and 12 trials x 3 stages x (1 + 10 classes + 4 spike rates) rows
    size_t lines = (size_t)std::count(want.begin(), want.end(), '\n');
    EXPECT_EQ(lines, 1u + 12u * (3u * 11u + 4u));
    struct stat st;
    EXPECT_EQ(stat((kDir + "/straight/manifest.json").c_str(), &st), 0);
    EXPECT_EQ(stat((kDir + "/straight/accuracy_vs_fraction.png").c_str(), &st), 0);
}

TEST(RunResume, OtherConfigRefusedBadKeyNamed)
{
    SweepFixture fixture;
    ASSERT_EQ(run_cli(args("a"), 0), 0);
    std::vector<std::string> other = args("a");
    other.push_back("--set");
    other.push_back("train.epochs=1");
    EXPECT_EQ(run_cli(other, 0), 2);
    std::vector<std::string> bad = args("b");
    bad.push_back("--set");
    bad.push_back("train.nosuchkey=1");
    EXPECT_EQ(run_cli(bad, 0), 2);
}

} // namespace
