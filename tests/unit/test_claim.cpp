// Claims on shared work (host/app/claim.c) and a worker's device (exp_work.c), without OpenCL:
// a claim is taken once; a live holder's claim is refused to others; a dead process's claim on
// this machine is taken again at once, as the next generation; another machine's claim is taken
// again only after its heartbeat has been still for a lease, and a heartbeat keeps it; a holder
// taken for dead can tell.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" {
#include "claim.h"
#include "exp.h"
}

namespace
{

std::string fresh_dir()
{
    std::string d = ::testing::TempDir() + "/scl-claim-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::string cmd = "rm -rf '" + d + "' && mkdir -p '" + d + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return d;
}

bool exists(const std::string &p)
{
    struct stat st;
    return stat(p.c_str(), &st) == 0;
}

TEST(Claim, TakenOnceThenBusyWhileTheHolderLives)
{
    std::string d = fresh_dir();
    struct scl_claim_watch w = {nullptr, 0, 60.0};
    struct scl_claim a, b;
    ASSERT_EQ(scl_claim_take(d.c_str(), "trial0", &w, &a), SCL_CLAIM_TAKEN);
    EXPECT_TRUE(exists(d + "/trial0.0"));
    // This process is alive: the claim is busy for anyone, this process included.
    EXPECT_EQ(scl_claim_take(d.c_str(), "trial0", &w, &b), SCL_CLAIM_BUSY);
    char text[256];
    bool alive = false;
    ASSERT_TRUE(scl_claim_peek(d.c_str(), "trial0", 60.0, text, sizeof(text), &alive));
    EXPECT_TRUE(alive);
    EXPECT_NE(std::string(text).find(" " + std::to_string(getpid()) + " "), std::string::npos);
    scl_claim_release(&a);
    EXPECT_FALSE(scl_claim_peek(d.c_str(), "other", 60.0, text, sizeof(text), &alive));
    scl_claim_watch_free(&w);
}

TEST(Claim, ADeadProcesssClaimIsTakenAgainAsTheNextGeneration)
{
    std::string d = fresh_dir();
    pid_t child = fork();
    if (child == 0) {
        struct scl_claim_watch w = {nullptr, 0, 60.0};
        struct scl_claim c;
        _exit(scl_claim_take(d.c_str(), "trial3", &w, &c) == SCL_CLAIM_TAKEN ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    struct scl_claim_watch w = {nullptr, 0, 60.0};
    struct scl_claim c;
    ASSERT_EQ(scl_claim_take(d.c_str(), "trial3", &w, &c), SCL_CLAIM_TAKEN);
    EXPECT_TRUE(exists(d + "/trial3.1"));
    scl_claim_release(&c);
    scl_claim_watch_free(&w);
}

TEST(Claim, AnotherMachinesClaimGoesStaleOnlyWithoutHeartbeat)
{
    std::string d = fresh_dir();
    std::string path = d + "/trial1.0";
    std::ofstream(path) << "elsewhere 1 1 1 0 0\n";
    struct scl_claim_watch w = {nullptr, 0, 1.0};
    struct scl_claim c;
    EXPECT_EQ(scl_claim_take(d.c_str(), "trial1", &w, &c), SCL_CLAIM_BUSY); // first sight
    usleep(600000);
    std::ofstream(path) << "elsewhere 1 1 1 1 0\n"; // a heartbeat
    EXPECT_EQ(scl_claim_take(d.c_str(), "trial1", &w, &c), SCL_CLAIM_BUSY);
    usleep(600000);
    EXPECT_EQ(scl_claim_take(d.c_str(), "trial1", &w, &c), SCL_CLAIM_BUSY); // 0.6 s < lease
    usleep(600000);
    ASSERT_EQ(scl_claim_take(d.c_str(), "trial1", &w, &c), SCL_CLAIM_TAKEN); // 1.2 s still
    EXPECT_TRUE(exists(d + "/trial1.1"));
    scl_claim_release(&c);
    scl_claim_watch_free(&w);
}

// A holder taken for dead (here: the next generation written as another machine would after a
// lease without heartbeats) learns it before it writes: scl_claim_superseded.
TEST(Claim, AHolderTakenForDeadSeesItIsSuperseded)
{
    std::string d = fresh_dir();
    struct scl_claim_watch w = {nullptr, 0, 60.0};
    struct scl_claim c;
    ASSERT_EQ(scl_claim_take(d.c_str(), "merge2", &w, &c), SCL_CLAIM_TAKEN);
    EXPECT_FALSE(scl_claim_superseded(&c));
    std::ofstream(d + "/merge2.1") << "elsewhere 1 1 1 0 0\n";
    EXPECT_TRUE(scl_claim_superseded(&c));
    scl_claim_release(&c);
    scl_claim_watch_free(&w);
}

TEST(Claim, LeaseFromTheEnvironment)
{
    setenv("SCL_CLAIM_LEASE", "12.5", 1);
    EXPECT_DOUBLE_EQ(scl_claim_lease(), 12.5);
    setenv("SCL_CLAIM_LEASE", "soon", 1);
    EXPECT_LT(scl_claim_lease(), 0.0);
    unsetenv("SCL_CLAIM_LEASE");
    EXPECT_DOUBLE_EQ(scl_claim_lease(), SCL_CLAIM_LEASE_DEFAULT);
}

TEST(WorkerDevice, FromTheConfigSclDeviceOrSlurm)
{
    struct scl_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    for (const char *v : {"SCL_DEVICE", "SLURM_LOCALID", "CUDA_VISIBLE_DEVICES",
                          "ROCR_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL", "ZE_AFFINITY_MASK"})
        unsetenv(v);
    EXPECT_EQ(scl_exp_work_device(&cfg), nullptr); // the first device
    setenv("SLURM_LOCALID", "2", 1);
    ASSERT_NE(scl_exp_work_device(&cfg), nullptr); // three tasks on a node: one GPU each
    EXPECT_STREQ(scl_exp_work_device(&cfg), "2");
    setenv("CUDA_VISIBLE_DEVICES", "5", 1); // Slurm masked this task's GPU: the one it sees
    EXPECT_EQ(scl_exp_work_device(&cfg), nullptr);
    unsetenv("CUDA_VISIBLE_DEVICES");
    setenv("SCL_DEVICE", "1", 1); // the user's choice wins
    EXPECT_EQ(scl_exp_work_device(&cfg), nullptr);
    snprintf(cfg.device.device, sizeof(cfg.device.device), "gfx");
    EXPECT_STREQ(scl_exp_work_device(&cfg), "gfx");
    unsetenv("SCL_DEVICE");
    unsetenv("SLURM_LOCALID");
}

} // namespace
