// The atomic writer and the whole-file reader (host/core/file.c): what they refuse, what they
// write through, and that a failed write names its reason in errno and leaves nothing behind.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "sleepcl/sleepcl.h"
#include "test_dir.h"

namespace
{

std::string slurp(const std::string &path)
{
    std::ifstream f(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

int entries(const std::string &dir)
{
    int n = 0;
    DIR *d = opendir(dir.c_str());
    while (struct dirent *e = d ? readdir(d) : nullptr)
        n += std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

TEST(File, WritesReplacesAndLeavesNoTemporary)
{
    std::string dir = scl_test_dir(), p = dir + "/a.txt";
    ASSERT_TRUE(scl_atomic_write(p.c_str(), "first", 5));
    ASSERT_TRUE(scl_atomic_write(p.c_str(), "second", 6));
    EXPECT_EQ(slurp(p), "second");
    EXPECT_EQ(entries(dir), 1) << "a temporary file was left behind";
}

TEST(File, TemporaryNameIsPerProcess)
{
    std::string dir = scl_test_dir(), p = dir + "/r.csv";
    char tmp[4200];
    FILE *f = scl_atomic_open(p.c_str(), tmp, sizeof(tmp));
    ASSERT_NE(f, nullptr);
    char host[256] = "";
    ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
    std::string tag(host);
    for (char &c : tag)
        c = c == '.' ? '_' : c;
    // per process and per machine: workers on several hosts share a run directory
    EXPECT_NE(
        std::string(tmp).find("." + tag.substr(0, 63) + "-" + std::to_string(getpid()) + ".tmp"),
        std::string::npos)
        << tmp;
    std::fputs("x", f);
    ASSERT_TRUE(scl_atomic_commit(f, tmp, p.c_str(), 1));
    EXPECT_EQ(slurp(p), "x");
}

TEST(File, RefusesDirectoryAndFifoTargets)
{
    std::string dir = scl_test_dir(), sub = dir + "/sub", fifo = dir + "/fifo";
    ASSERT_EQ(mkdir(sub.c_str(), 0755), 0);
    ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
    errno = 0;
    EXPECT_FALSE(scl_atomic_write(sub.c_str(), "x", 1));
    EXPECT_EQ(errno, EISDIR);
    errno = 0;
    EXPECT_FALSE(scl_atomic_write(fifo.c_str(), "x", 1));
    EXPECT_EQ(errno, ENOTSUP);
    struct stat st;
    ASSERT_EQ(lstat(fifo.c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced";
    EXPECT_EQ(entries(dir), 2);
}

TEST(File, WritesThroughASymlinkAndKeepsIt)
{
    std::string dir = scl_test_dir(), real = dir + "/real.txt", link = dir + "/link.txt";
    ASSERT_TRUE(scl_atomic_write(real.c_str(), "old", 3));
    ASSERT_EQ(symlink("real.txt", link.c_str()), 0);
    ASSERT_TRUE(scl_atomic_write(link.c_str(), "new", 3));
    struct stat st;
    ASSERT_EQ(lstat(link.c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the link was replaced by a regular file";
    EXPECT_EQ(slurp(real), "new");
}

TEST(File, UnwritableDirectoryGivesErrno)
{
    errno = 0;
    EXPECT_FALSE(scl_atomic_write("/nonexistent-dir/x.txt", "x", 1));
    EXPECT_EQ(errno, ENOENT);
}

TEST(File, ReadRefusesADirectory)
{
    std::string dir = scl_test_dir();
    char *text = nullptr;
    size_t n = 0;
    errno = 0;
    EXPECT_EQ(scl_read_file(dir.c_str(), &text, &n), SCL_ERR_IO);
    EXPECT_EQ(errno, EISDIR);
    EXPECT_EQ(text, nullptr);
}

} // namespace
