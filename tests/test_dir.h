// A private scratch directory per test: ctest runs tests in parallel processes, so files in the
// shared TempDir with fixed names would be overwritten by a neighbour mid-test.
#ifndef SLEEPCL_TEST_DIR_H
#define SLEEPCL_TEST_DIR_H

#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

inline std::string scl_test_dir()
{
    const ::testing::TestInfo *t = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string dir = ::testing::TempDir() + "/scl-" + (t ? t->test_suite_name() : "x") + "-" +
                      (t ? t->name() : "x") + "-" + std::to_string(getpid());
    mkdir(dir.c_str(), 0755);
    return dir;
}

#endif
