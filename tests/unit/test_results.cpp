// The run directory's results store (host/app/results.c): one writer per directory, and a resume
// that keeps exactly the confusion rows of finished trials, replacing the file in one rename.
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "test_dir.h"

namespace
{

std::string slurp(const std::string &p)
{
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void put(const std::string &p, const std::string &text)
{
    std::ofstream(p) << text;
}

TEST(Results, ResumeKeepsConfusionRowsOfFinishedTrialsOnly)
{
    std::string dir = scl_test_dir();
    put(dir + "/results.csv", "trial,condition,stage,task,metric,value\n"
                              "1,0.1,base,all,accuracy,0.5\n");
    put(dir + "/confusion.csv", "trial,condition,stage,true,pred,count\n"
                                "1,0.1,base,0,0,3\n"
                                "2,0.1,base,0,0,4\n"
                                "1,0.1,base,0,1,5\n");
    struct scl_res_store r;
    scl_res_init(&r, dir.c_str());
    ASSERT_EQ(scl_res_load(&r), SCL_EXIT_OK);
    EXPECT_TRUE(scl_res_is_done(&r, 1, "0.1"));
    EXPECT_FALSE(scl_res_is_done(&r, 2, "0.1"));
    EXPECT_EQ(slurp(dir + "/confusion.csv"), "trial,condition,stage,true,pred,count\n"
                                             "1,0.1,base,0,0,3\n"
                                             "1,0.1,base,0,1,5\n");
    scl_res_free(&r);
}

// A second process on the same directory is refused while the first holds it, and may take it
// once the first has gone.
TEST(Results, SecondWriterIsRefused)
{
    std::string dir = scl_test_dir();
    int ready[2], done[2];
    ASSERT_EQ(pipe(ready), 0);
    ASSERT_EQ(pipe(done), 0);
    pid_t holder = fork();
    if (holder == 0) {
        char c = 0;
        int fd = -1;
        int rc = scl_res_lock_dir(dir.c_str(), &fd);
        (void)!write(ready[1], &c, 1);
        (void)!read(done[0], &c, 1); // hold the lock until the parent has tried
        _exit(rc);
    }
    char c;
    ASSERT_EQ(read(ready[0], &c, 1), 1);
    pid_t second = fork();
    if (second == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(99);
        int fd = -1;
        _exit(scl_res_lock_dir(dir.c_str(), &fd));
    }
    int status = 0;
    waitpid(second, &status, 0);
    EXPECT_EQ(WEXITSTATUS(status), SCL_EXIT_RUNTIME) << "a second writer was let in";
    EXPECT_EQ(slurp(dir + "/.lock"), std::to_string(holder) + "\n") << "the holder's pid";
    ASSERT_EQ(write(done[1], &c, 1), 1);
    waitpid(holder, &status, 0);
    EXPECT_EQ(WEXITSTATUS(status), SCL_EXIT_OK);
    pid_t third = fork();
    if (third == 0) {
        int fd = -1;
        _exit(scl_res_lock_dir(dir.c_str(), &fd));
    }
    waitpid(third, &status, 0);
    EXPECT_EQ(WEXITSTATUS(status), SCL_EXIT_OK) << "the lock outlived its holder";
}

} // namespace
