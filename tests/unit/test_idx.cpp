// The IDX reader: good files (raw and gzip) load with the right shapes and values; corrupt and
// truncated files made here are rejected with a message naming the file and the problem.
#include <cstdio>
#include <gtest/gtest.h>
#include <string>
#include <vector>
#include <zlib.h>

#include "sleepcl/sleepcl.h"
#include "test_dir.h"

extern "C" void scl_test_fail_alloc_after(long n); // host/core/internal.h

namespace
{

std::vector<unsigned char> be32(uint32_t v)
{
    return {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
            (unsigned char)v};
}

void append(std::vector<unsigned char> &a, const std::vector<unsigned char> &b)
{
    a.insert(a.end(), b.begin(), b.end());
}

std::vector<unsigned char> images(uint32_t n, uint32_t r, uint32_t c)
{
    std::vector<unsigned char> f = {0, 0, 8, 3};
    append(f, be32(n));
    append(f, be32(r));
    append(f, be32(c));
    for (uint32_t i = 0; i < n * r * c; i++)
        f.push_back((unsigned char)(i * 37 % 256));
    return f;
}

std::vector<unsigned char> labels(uint32_t n)
{
    std::vector<unsigned char> f = {0, 0, 8, 1};
    append(f, be32(n));
    for (uint32_t i = 0; i < n; i++)
        f.push_back((unsigned char)(i % 10));
    return f;
}

class Idx : public ::testing::Test
{
  protected:
    std::string dir = scl_test_dir();
    std::string write(const std::string &name, const std::vector<unsigned char> &bytes,
                      bool gz = false)
    {
        std::string path = dir + "/" + name;
        if (gz) {
            gzFile f = gzopen(path.c_str(), "wb");
            gzwrite(f, bytes.data(), (unsigned)bytes.size());
            gzclose(f);
        } else {
            FILE *f = fopen(path.c_str(), "wb");
            fwrite(bytes.data(), 1, bytes.size(), f);
            fclose(f);
        }
        return path;
    }
    // Load and return the status; the message lands in msg.
    scl_status load(const std::string &img, const std::string &lab)
    {
        scl_dataset *ds = nullptr;
        scl_status st = scl_dataset_load_idx(img.c_str(), lab.c_str(), &ds, msg, sizeof(msg));
        if (st == SCL_OK) {
            n = ds->n;
            dim = ds->dim;
            first = ds->x[1];
            label3 = ds->y[3];
        }
        scl_dataset_destroy(ds);
        return st;
    }
    char msg[512] = "";
    int n = 0, dim = 0, label3 = -1;
    float first = -1;
};

TEST_F(Idx, RawAndGzipLoad)
{
    for (bool gz : {false, true}) {
        std::string img = write(gz ? "i.gz" : "i", images(5, 3, 4), gz);
        std::string lab = write(gz ? "l.gz" : "l", labels(5), gz);
        ASSERT_EQ(load(img, lab), SCL_OK) << msg;
        EXPECT_EQ(n, 5);
        EXPECT_EQ(dim, 12);
        EXPECT_FLOAT_EQ(first, 37.0f / 255.0f);
        EXPECT_EQ(label3, 3);
    }
}

TEST_F(Idx, BadMagic)
{
    auto bytes = images(2, 2, 2);
    bytes[2] = 0x0d; // float IDX, not unsigned bytes
    std::string img = write("badmagic", bytes);
    EXPECT_EQ(load(img, write("l", labels(2))), SCL_ERR_DATA);
    EXPECT_NE(std::string(msg).find(img), std::string::npos) << msg;
    EXPECT_NE(std::string(msg).find("magic"), std::string::npos) << msg;
}

TEST_F(Idx, WrongDimensionCount)
{
    std::string lab = write("lab_as_img", labels(4));
    EXPECT_EQ(load(lab, lab), SCL_ERR_DATA);
    EXPECT_NE(std::string(msg).find("dimensions"), std::string::npos) << msg;
}

// A 17-byte header may ask for gigabytes: the reader refuses what the file cannot hold before
// it allocates anything for the pixels (the next allocation after the dataset's would fail).
TEST_F(Idx, HugeHeaderRefusedBeforeAllocating)
{
    for (bool gz : {false, true}) {
        std::vector<unsigned char> bytes = {0, 0, 8, 3};
        append(bytes, be32(9000000));
        append(bytes, be32(28));
        append(bytes, be32(28));
        bytes.push_back(7);
        std::string img = write(gz ? "huge.gz" : "huge", bytes, gz);
        scl_test_fail_alloc_after(1);
        scl_status st = load(img, write("l", labels(4)));
        scl_test_fail_alloc_after(-1);
        EXPECT_EQ(st, SCL_ERR_DATA) << msg;
        EXPECT_NE(std::string(msg).find("cannot hold"), std::string::npos) << msg;
    }
}

TEST_F(Idx, DirectoryRefused)
{
    EXPECT_EQ(load(dir, dir), SCL_ERR_IO);
    EXPECT_NE(std::string(msg).find("not a regular file"), std::string::npos) << msg;
}

TEST_F(Idx, TruncatedRawAndGzip)
{
    for (bool gz : {false, true}) {
        auto bytes = images(4, 3, 3);
        bytes.resize(bytes.size() - 5);
        std::string img = write(gz ? "trunc.gz" : "trunc", bytes, gz);
        EXPECT_EQ(load(img, write("l", labels(4))), SCL_ERR_DATA);
        EXPECT_NE(std::string(msg).find("truncated"), std::string::npos) << msg;
        EXPECT_NE(std::string(msg).find(img), std::string::npos) << msg;
    }
}

TEST_F(Idx, TruncatedHeader)
{
    std::string img = write("short", {0, 0, 8});
    EXPECT_EQ(load(img, write("l", labels(1))), SCL_ERR_DATA);
    EXPECT_NE(std::string(msg).find("truncated"), std::string::npos) << msg;
}

TEST_F(Idx, CorruptGzipStream)
{
    std::string path = write("corrupt.gz", images(50, 10, 10), true);
    FILE *f = fopen(path.c_str(), "r+b");
    fseek(f, 30, SEEK_SET);
    const char junk[] = "this is not deflate data at all........";
    fwrite(junk, 1, sizeof(junk), f);
    fclose(f);
    EXPECT_EQ(load(path, write("l", labels(50))), SCL_ERR_DATA);
    EXPECT_NE(std::string(msg).find(path), std::string::npos) << msg;
}

TEST_F(Idx, CountMismatch)
{
    std::string lab = write("l7", labels(7));
    EXPECT_EQ(load(write("i", images(5, 2, 2)), lab), SCL_ERR_DATA);
    EXPECT_NE(std::string(msg).find("7 labels for 5 images"), std::string::npos) << msg;
}

TEST_F(Idx, TrailingBytes)
{
    auto bytes = labels(3);
    bytes.push_back(1);
    std::string lab = write("trail", bytes);
    EXPECT_EQ(load(write("i", images(3, 2, 2)), lab), SCL_ERR_DATA);
    EXPECT_NE(std::string(msg).find("trailing"), std::string::npos) << msg;
}

TEST_F(Idx, MissingFile)
{
    EXPECT_EQ(load(dir + "/does-not-exist", dir + "/nor-this"), SCL_ERR_IO);
    EXPECT_NE(std::string(msg).find("does-not-exist"), std::string::npos) << msg;
}

TEST_F(Idx, SubsetCopiesRows)
{
    scl_dataset *ds = nullptr, *sub = nullptr;
    ASSERT_EQ(scl_dataset_load_idx(write("i", images(6, 2, 2)).c_str(),
                                   write("l", labels(6)).c_str(), &ds, msg, sizeof(msg)),
              SCL_OK);
    const int32_t idx[] = {4, 1};
    ASSERT_EQ(scl_dataset_subset(ds, idx, 2, &sub), SCL_OK);
    EXPECT_EQ(sub->n, 2);
    EXPECT_EQ(sub->y[0], 4);
    EXPECT_EQ(sub->x[0], ds->x[16]);
    scl_dataset_destroy(sub);
    scl_dataset_destroy(ds);
}

} // namespace
