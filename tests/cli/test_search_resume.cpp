// sleepcl search end to end on a small synthetic dataset (IDX files written here): a search
// killed with SIGKILL again and again, and restarted each time, ends with exactly the
// candidates.csv, best.ini and final test results of an uninterrupted search (the replay must
// choose the same parents from the scores on disk). Also: best.ini is a config that `sleepcl
// sleep` style loading accepts (checked through `sleepcl config`), the search refuses a
// directory of another search, and a config without a validation split is a usage error.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace
{

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

struct SearchFixture {
    SearchFixture()
    {
        kDir = ::testing::TempDir() + "/scl-search-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
        std::string cmd = "rm -rf '" + kDir + "' && mkdir -p '" + kDir + "/data'";
        EXPECT_EQ(std::system(cmd.c_str()), 0);
        write_split(kDir + "/data/train", 400, 1);
        write_split(kDir + "/data/t10k", 100, 2);
        std::ofstream cfg(kDir + "/search.ini");
        cfg << "[data]\ndir = " << kDir << "/data\nfraction = 0.5\nval_fraction = 0.2\n"
            << "[model]\nsizes = 784,40,30,10\n"
            << "[train]\nepochs = 1\nbatch = 32\n"
            << "[sleep]\nsteps = 40\nbeta = 2,2,2\nalpha = 4\n"
            << "[search]\npopulation = 6\ngenerations = 5\nnets = 2\ntrials = 2\n"
            << "steps = 20,60\nbeta = 0.5,8\n";
    }
};

// Run sleepcl with args; SIGKILL it after kill_ms (0 = let it finish). Exit status or -1.
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
    return {"search", kDir + "/search.ini",    "--set", "run.out=" + kDir,
            "--set",  "experiment.name=" + out};
}

} // namespace

TEST(SearchResume, KilledSearchesEndLikeUninterruptedOnes)
{
    SearchFixture fixture;
    // a first run builds (or loads) the kernels; the timed one is warm, as the killed ones are
    ASSERT_EQ(run_cli(args("warm"), 0), 0);
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(run_cli(args("straight"), 0), 0);
    double full_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::string want = slurp(kDir + "/straight/candidates.csv");
    ASSERT_FALSE(want.empty());
    int kills = 0, rc = -1;
    for (int attempt = 0; attempt < 40 && rc != 0; attempt++) {
        rc = run_cli(args("killed"), (int)(full_ms * (0.1 + 0.1 * attempt)) + 1);
        kills += rc == -1;
    }
    ASSERT_EQ(rc, 0) << "the search never completed";
    EXPECT_GE(kills, 2) << "the search was not interrupted: the test proves nothing";
    EXPECT_EQ(slurp(kDir + "/killed/candidates.csv"), want);
    EXPECT_EQ(slurp(kDir + "/killed/best.ini"), slurp(kDir + "/straight/best.ini"));
    EXPECT_EQ(slurp(kDir + "/killed/final/results.csv"),
              slurp(kDir + "/straight/final/results.csv"));
    // a header and 5 generations x 6 candidates
    EXPECT_EQ(std::count(want.begin(), want.end(), '\n'), 1 + 5 * 6);
    // best.ini is a config the other commands read
    EXPECT_EQ(run_cli({"config", "-c", kDir + "/straight/best.ini", "--dump"}, 0), 0);
}

TEST(SearchResume, OtherSearchRefusedNoValidationSplitRefused)
{
    SearchFixture fixture;
    std::vector<std::string> a = args("a");
    a.push_back("--set");
    a.push_back("search.trials=0");
    a.push_back("--set");
    a.push_back("search.generations=1");
    ASSERT_EQ(run_cli(a, 0), 0);
    a.push_back("--set");
    a.push_back("search.population=4");
    EXPECT_EQ(run_cli(a, 0), 2);
    std::vector<std::string> b = args("b");
    b.push_back("--set");
    b.push_back("data.val_fraction=0");
    EXPECT_EQ(run_cli(b, 0), 2);
}
