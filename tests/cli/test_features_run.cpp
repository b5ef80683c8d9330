// Feature-vector datasets through `sleepcl run` (data.dataset = features): a 3-class set with a
// planted linear structure (label = argmax of W* x over 16 features in [0, 1], kept only where
// the margin is clear), written here as safetensors files, is learnt, slept and evaluated by the
// whole pipeline; the same files run the sequential-task protocol; a malformed file stops the
// run with one line naming it.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_harness.h"
#include "sleepcl/sleepcl.h"

namespace
{

constexpr int kDim = 16, kClasses = 3;

// W*: one row of kDim weights per class, fixed by the seed (Philox, as everything here).
std::vector<float> planted_weights()
{
    std::vector<float> w(kClasses * kDim);
    for (int i = 0; i < kClasses * kDim; i++) {
        uint32_t r[4];
        scl_rng_words(42, SCL_RNG_TEST, (uint32_t)i, 1, 0, r);
        w[i] = 2.0f * scl_rng_u01(r[0]) - 1.0f;
    }
    return w;
}

// n samples (n / kClasses of each class) x ~ U[0, 1]^kDim labelled argmax W* (x - 1/2),
// rejecting those whose two best scores are closer than the margin (a clean linear structure a
// small net can learn almost exactly) and those of a class already full.
void make_set(uint32_t stream, int n, std::vector<float> &x, std::vector<uint8_t> &y)
{
    const std::vector<float> w = planted_weights();
    int count[kClasses] = {0};
    for (uint32_t draw = 0; (int)y.size() < n; draw++) {
        float v[kDim], score[kClasses];
        for (int j = 0; j < kDim; j++) {
            uint32_t r[4];
            scl_rng_words(7, SCL_RNG_TEST, draw * kDim + (uint32_t)j, 2, stream, r);
            v[j] = scl_rng_u01(r[0]);
        }
        int best = 0;
        for (int c = 0; c < kClasses; c++) {
            score[c] = 0;
            for (int j = 0; j < kDim; j++)
                score[c] += w[c * kDim + j] * (v[j] - 0.5f);
            best = score[c] > score[best] ? c : best;
        }
        bool clear = true;
        for (int c = 0; c < kClasses; c++)
            clear = clear && (c == best || score[best] - score[c] > 0.5f);
        if (!clear || count[best] == n / kClasses)
            continue;
        count[best]++;
        x.insert(x.end(), v, v + kDim);
        y.push_back((uint8_t)best);
    }
}

// safetensors: {"x": F32 [n, kDim], "y": U8 [n]}.
void write_features(const std::string &path, const std::vector<float> &x,
                    const std::vector<uint8_t> &y)
{
    size_t xb = x.size() * sizeof(float);
    std::string hdr = "{\"x\":{\"dtype\":\"F32\",\"shape\":[" + std::to_string(y.size()) + "," +
                      std::to_string(kDim) + "],\"data_offsets\":[0," + std::to_string(xb) +
                      "]},\"y\":{\"dtype\":\"U8\",\"shape\":[" + std::to_string(y.size()) +
                      "],\"data_offsets\":[" + std::to_string(xb) + "," +
                      std::to_string(xb + y.size()) + "]}}";
    while (hdr.size() % 8)
        hdr += ' ';
    std::ofstream f(path, std::ios::binary);
    uint64_t len = hdr.size();
    char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (char)(len >> (8 * i));
    f.write(len8, 8);
    f.write(hdr.data(), (std::streamsize)hdr.size());
    f.write(reinterpret_cast<const char *>(x.data()), (std::streamsize)xb);
    f.write(reinterpret_cast<const char *>(y.data()), (std::streamsize)y.size());
}

// A run directory whose config reads the generated feature files.
std::string features_dir(const std::string &ini)
{
    std::string dir = ::testing::TempDir() + "/scl-features-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::string cmd = "rm -rf '" + dir + "' && mkdir -p '" + dir + "/feat'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    std::vector<float> x, tx;
    std::vector<uint8_t> y, ty;
    make_set(0, 900, x, y);
    make_set(1, 300, tx, ty);
    write_features(dir + "/feat/train.safetensors", x, y);
    write_features(dir + "/feat/test.safetensors", tx, ty);
    std::ofstream cfg(dir + "/exp.ini");
    cfg << "[data]\ndataset = features\ndir = " << dir
        << "/feat\ntrain_file = train.safetensors\ntest_file = test.safetensors\n"
        << "[model]\nsizes = 16,64,3\n"
        << "[train]\nloss = ce\nepochs = 60\nbatch = 32\nlr = 0.1\nmomentum = 0.5\n"
        << "[sleep]\nsteps = 100\nbeta = 2,2\nalpha = 4\n"
        << ini;
    return dir;
}

// stage -> accuracy on all classes of results.csv (trial, condition, stage, task, metric, value).
std::map<std::string, double> accuracies(const std::string &path, const std::string &task)
{
    std::map<std::string, double> out;
    std::istringstream in(harness_slurp(path));
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream ss(line);
        for (std::string c; std::getline(ss, c, ',');)
            f.push_back(c);
        if (f.size() == 6 && f[3] == task && f[4] == "accuracy")
            out[f[1] + "," + f[2]] = std::atof(f[5].c_str());
    }
    return out;
}

TEST(FeaturesRun, PlantedLinearStructureLearntThroughTrainSleepEval)
{
    std::string dir = features_dir("[experiment]\nkind = limited\nfractions = 1\n"
                                   "[run]\nseeds = 1\n");
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "limited"), 0, dir + "/out.txt"), 0)
        << harness_slurp(dir + "/out.txt");
    std::map<std::string, double> acc = accuracies(dir + "/limited/results.csv", "all");
    ASSERT_EQ(acc.count("1,baseline"), 1u) << harness_slurp(dir + "/limited/results.csv");
    EXPECT_GE(acc["1,baseline"], 0.95);
    EXPECT_GE(acc["1,sleep"], 0.95);
    EXPECT_GE(acc["1,sleep_finetune"], 0.95);
    std::printf("planted 3-class features, seed 1: trained %.4f, slept %.4f, slept + fine-tuned "
                "%.4f\n",
                acc["1,baseline"], acc["1,sleep"], acc["1,sleep_finetune"]);
}

TEST(FeaturesRun, SequentialTasksRun)
{
    std::string dir = features_dir("[experiment]\nkind = tasks\nn_tasks = 3\nfractions = 1\n"
                                   "[run]\nseeds = 1\n");
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "tasks"), 0, dir + "/out.txt"), 0)
        << harness_slurp(dir + "/out.txt");
    std::map<std::string, double> acc = accuracies(dir + "/tasks/results.csv", "task1");
    // one class per task: after the first task it is the only class the net knows
    EXPECT_GE(acc["f1_d0_nosleep,t1"], 0.99) << harness_slurp(dir + "/tasks/results.csv");
    EXPECT_EQ(acc.count("f1_d0_sleep,t3_sleep"), 1u);
}

TEST(FeaturesRun, MalformedFileStopsTheRunNamingIt)
{
    std::string dir = features_dir("[experiment]\nkind = limited\nfractions = 1\n"
                                   "[run]\nseeds = 1\n");
    std::string bad = dir + "/feat/test.safetensors";
    std::string text = harness_slurp(bad);
    std::ofstream(bad, std::ios::binary) << text.substr(0, text.size() - 5);         // truncated
    EXPECT_EQ(harness_run_cli(harness_run_args(dir, "bad"), 0, dir + "/out.txt"), 1) // runtime
        << harness_slurp(dir + "/out.txt");
    std::string out = harness_slurp(dir + "/out.txt");
    EXPECT_NE(out.find(bad + ": truncated"), std::string::npos) << out;
}

// Cross-modal (data.dataset = mnist_fashion): two IDX sets under one data directory become one
// 20-class set, the second's labels after the first's; two tasks split them there.
TEST(FeaturesRun, CrossModalTwentyClassesInTwoTasks)
{
    std::string dir = ::testing::TempDir() + "/scl-features-crossmodal";
    ASSERT_EQ(std::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "/data/mnist' '" + dir +
                           "/data/fashion-mnist'")
                              .c_str()),
              0);
    harness_write_split(dir + "/data/mnist/train", 300, 1);
    harness_write_split(dir + "/data/mnist/t10k", 100, 2);
    harness_write_split(dir + "/data/fashion-mnist/train", 300, 3);
    harness_write_split(dir + "/data/fashion-mnist/t10k", 100, 4);
    std::ofstream(dir + "/exp.ini")
        << "[data]\ndataset = mnist_fashion\ndir = " << dir << "/data\n[model]\nsizes = 784,40,20\n"
        << "[train]\nloss = ce\nepochs = 3\nbatch = 32\n"
        << "[sleep]\nsteps = 60\nbeta = 2,2\nalpha = 4\n"
        << "[experiment]\nkind = tasks\nn_tasks = 2\nfractions = 1\n"
        << "compare_no_sleep = 0\n[run]\nseeds = 1\n";
    ASSERT_EQ(harness_run_cli(harness_run_args(dir, "x"), 0, dir + "/out.txt"), 0)
        << harness_slurp(dir + "/out.txt");
    std::string csv = harness_slurp(dir + "/x/results.csv");
    std::map<std::string, double> t1 = accuracies(dir + "/x/results.csv", "task1");
    EXPECT_GE(t1["f1_d0_sleep,t1"], 0.9) << csv; // task 1 = the first set's ten classes
    EXPECT_NE(csv.find(",class19,accuracy,"), std::string::npos) << csv;
    EXPECT_EQ(csv.find(",class20,"), std::string::npos);
    // a 10-way head cannot hold the second set's labels: refused with the reason
    EXPECT_NE(
        harness_run_cli(harness_run_args(dir, "y", {"model.sizes=784,40,10"}), 0, dir + "/out.txt"),
        0);
    EXPECT_NE(harness_slurp(dir + "/out.txt").find("labels up to 19"), std::string::npos)
        << harness_slurp(dir + "/out.txt");
}

} // namespace
