// The feature-vector reader (safetensors "x" F32 [n, d], "y" U8/I32/I64 [n]) and the CIFAR
// binary readers: good files written here load with the right shapes, values and labels; every
// malformed case is refused with one line naming the file and the problem.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "sleepcl/sleepcl.h"
#include "test_dir.h"

namespace
{

using Bytes = std::vector<unsigned char>;

struct Tensor {
    std::string name, dtype, shape; // shape as JSON text, "[3,2]"
    Bytes raw;
    std::string offsets; // "" = the next free bytes
};

template <class T> Bytes pack(const std::vector<T> &v)
{
    Bytes b(v.size() * sizeof(T));
    std::memcpy(b.data(), v.data(), b.size());
    return b;
}

// A safetensors file: 8-byte length, JSON header padded to 8 bytes, the tensors' bytes.
Bytes safetensors(const std::vector<Tensor> &ts)
{
    std::string hdr = "{";
    Bytes data;
    for (const Tensor &t : ts) {
        size_t begin = data.size();
        data.insert(data.end(), t.raw.begin(), t.raw.end());
        std::string offs = t.offsets.empty() ? "[" + std::to_string(begin) + "," +
                                                   std::to_string(data.size()) + "]"
                                             : t.offsets;
        hdr += (hdr.size() > 1 ? "," : "") + std::string("\"") + t.name + "\":{\"dtype\":\"" +
               t.dtype + "\",\"shape\":" + t.shape + ",\"data_offsets\":" + offs + "}";
    }
    hdr += "}";
    while (hdr.size() % 8)
        hdr += ' ';
    // sized once and filled (growing a vector of bytes by insert trips GCC 12's bogus
    // -Wstringop-overread)
    Bytes out(8 + hdr.size() + data.size());
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)((uint64_t)hdr.size() >> (8 * i));
    std::copy(hdr.begin(), hdr.end(), out.begin() + 8);
    std::copy(data.begin(), data.end(), out.begin() + 8 + (long)hdr.size());
    return out;
}

const std::vector<float> kX = {0.0f, 0.5f, 1.0f, 2.5f, -1.0f, 0.25f};

class Features : public ::testing::Test
{
  protected:
    std::string dir = scl_test_dir();
    char msg[512] = "";
    std::string write(const std::string &name, const Bytes &bytes)
    {
        std::string path = dir + "/" + name;
        FILE *f = fopen(path.c_str(), "wb");
        if (!bytes.empty()) // data() of an empty vector may be NULL, which fwrite must not get
            fwrite(bytes.data(), 1, bytes.size(), f);
        fclose(f);
        return path;
    }
    // Load `bytes` as a feature file; on success keep the set in ds.
    scl_status load(const Bytes &bytes)
    {
        path = write("f.safetensors", bytes);
        scl_dataset_destroy(ds);
        ds = nullptr;
        return scl_dataset_load_features(path.c_str(), &ds, msg, sizeof(msg));
    }
    // The refusal of `bytes`: SCL_ERR_DATA, no set, and a message naming the file and `what`.
    void refused(const Bytes &bytes, const std::string &what)
    {
        EXPECT_EQ(load(bytes), SCL_ERR_DATA) << what;
        EXPECT_EQ(ds, nullptr);
        EXPECT_NE(std::string(msg).find(path + ": "), std::string::npos) << msg;
        EXPECT_NE(std::string(msg).find(what), std::string::npos) << msg;
        EXPECT_EQ(std::string(msg).find('\n'), std::string::npos) << msg;
    }
    void TearDown() override
    {
        scl_dataset_destroy(ds);
    }
    std::string path;
    scl_dataset *ds = nullptr;
};

TEST_F(Features, EveryLabelDtypeLoads)
{
    const std::vector<Bytes> labels = {Bytes{0, 2, 1}, pack<int32_t>({0, 2, 1}),
                                       pack<int64_t>({0, 2, 1})};
    const char *dtypes[] = {"U8", "I32", "I64"};
    for (int k = 0; k < 3; k++) {
        ASSERT_EQ(load(safetensors({{"y", dtypes[k], "[3]", labels[k], ""},
                                    {"x", "F32", "[3,2]", pack(kX), ""}})),
                  SCL_OK)
            << msg;
        EXPECT_EQ(ds->n, 3);
        EXPECT_EQ(ds->dim, 2);
        EXPECT_EQ(ds->rows, 1);
        EXPECT_EQ(ds->cols, 2);
        EXPECT_EQ(ds->n_classes, 3);
        EXPECT_EQ(ds->y[1], 2);
        EXPECT_FLOAT_EQ(ds->x[3], 2.5f); // kept as they are: no scaling
        EXPECT_FLOAT_EQ(ds->x[4], -1.0f);
    }
}

TEST_F(Features, LabelsUpTo255AndOtherTensorsIgnored)
{
    ASSERT_EQ(load(safetensors({{"x", "F32", "[3,2]", pack(kX), ""},
                                {"names", "U8", "[2]", Bytes{'a', 'b'}, ""},
                                {"y", "I32", "[3]", pack<int32_t>({199, 0, 255}), ""}})),
              SCL_OK)
        << msg;
    EXPECT_EQ(ds->n_classes, 256);
    EXPECT_EQ(ds->y[0], 199);
}

TEST_F(Features, MalformedFilesRefused)
{
    const Tensor x = {"x", "F32", "[3,2]", pack(kX), ""},
                 y = {"y", "U8", "[3]", Bytes{0, 1, 2}, ""};
    refused(safetensors({{"x", "F64", "[3,1]", pack(kX), ""}, y}), "dtype F64, expected F32");
    refused(safetensors({x, {"y", "F32", "[3]", pack<float>({0, 1, 2}), ""}}),
            "dtype F32, expected U8, I32 or I64");
    refused(safetensors({x, {"y", "U8", "[2]", Bytes{0, 1}, ""}}),
            "2 labels for 3 feature vectors");
    refused(safetensors({{"x", "F32", "[6]", pack(kX), ""}, y}), "needs a 2-D shape");
    refused(safetensors({x, {"y", "I32", "[3]", pack<int32_t>({0, -1, 1}), ""}}),
            "label -1 at index 1 out of range");
    refused(safetensors({x, {"y", "I64", "[3]", pack<int64_t>({0, 1, 256}), ""}}),
            "label 256 at index 2 out of range");
    refused(safetensors({{"x", "F32", "[3,2]", pack<float>({0, 1, 2, NAN, 0, 0}), ""}, y}),
            "non-finite value at sample 1, feature 1");
    refused(safetensors({{"x", "F32", "[3,2]", pack<float>({0, 1, 2, 3, INFINITY, 0}), ""}, y}),
            "non-finite value at sample 2, feature 0");
    refused(safetensors({x}), "no tensor 'y'");
    refused(
        safetensors({{"x", "F32", "[3,2]", pack(kX), "[0,24]"}, {"y", "U8", "[3]", {}, "[20,23]"}}),
        "overlap");
    refused(safetensors({{"x", "F32", "[3,0]", {}, ""}, y}), "implausible extent 0");
    refused(safetensors({{"x", "F32", "[3.5,2]", pack(kX), ""}, y}), "implausible extent");
    Bytes good = safetensors({x, y});
    refused(Bytes(good.begin(), good.end() - 2), "truncated");
    refused(Bytes(good.begin(), good.begin() + 12), "not a safetensors file");
    Bytes junk = {8, 0, 0, 0, 0, 0, 0, 0, '{', 'n', 'o', 'p', 'e', ' ', ' ', ' '};
    refused(junk, "header is not a JSON object");
}

TEST_F(Features, MissingFileNamed)
{
    std::string p = dir + "/absent.safetensors";
    EXPECT_EQ(scl_dataset_load_features(p.c_str(), &ds, msg, sizeof(msg)), SCL_ERR_IO);
    EXPECT_NE(std::string(msg).find(p), std::string::npos) << msg;
}

// ---------------------------------------------------------------- CIFAR binaries

Bytes record(std::initializer_list<int> labels, int seed)
{
    Bytes r;
    for (int l : labels)
        r.push_back((unsigned char)l);
    for (int i = 0; i < 3072; i++)
        r.push_back((unsigned char)((i * 31 + seed * 7) % 256));
    return r;
}

Bytes cat(const std::vector<Bytes> &parts)
{
    Bytes out;
    for (const Bytes &p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

using Cifar = Features;

TEST_F(Cifar, Cifar10DirectoryKeepsOrderAndChw)
{
    for (int b = 1; b <= 5; b++)
        write("data_batch_" + std::to_string(b) + ".bin", cat({record({b}, b), record({9}, 0)}));
    write("test_batch.bin", record({4}, 3));
    ASSERT_EQ(scl_dataset_load_cifar_dir(dir.c_str(), "train", SCL_CIFAR10, &ds, msg, sizeof(msg)),
              SCL_OK)
        << msg;
    EXPECT_EQ(ds->n, 10);
    EXPECT_EQ(ds->dim, 3072);
    EXPECT_EQ(ds->rows, 96);
    EXPECT_EQ(ds->cols, 32);
    EXPECT_EQ(ds->n_classes, 10);
    EXPECT_EQ(ds->y[4], 3); // batch 3's first record: files in order
    EXPECT_EQ(ds->y[5], 9);
    // sample 4 (seed 3), green plane (offset 1024), row 2, column 5: the file's byte, /255
    int i = 1024 + 2 * 32 + 5;
    EXPECT_FLOAT_EQ(ds->x[4 * 3072 + i], (float)((i * 31 + 21) % 256) / 255.0f);
    scl_dataset_destroy(ds);
    ds = nullptr;
    ASSERT_EQ(scl_dataset_load_cifar_dir(dir.c_str(), "test", SCL_CIFAR10, &ds, msg, sizeof(msg)),
              SCL_OK)
        << msg;
    EXPECT_EQ(ds->n, 1);
    EXPECT_EQ(ds->n_classes, 5);
}

TEST_F(Cifar, Cifar100FineAndCoarse)
{
    write("train.bin", cat({record({19, 99}, 1), record({0, 3}, 2), record({7, 50}, 3)}));
    ASSERT_EQ(
        scl_dataset_load_cifar_dir(dir.c_str(), "train", SCL_CIFAR100_FINE, &ds, msg, sizeof(msg)),
        SCL_OK)
        << msg;
    EXPECT_EQ(ds->n, 3);
    EXPECT_EQ(ds->n_classes, 100);
    EXPECT_EQ(ds->y[2], 50);
    EXPECT_FLOAT_EQ(ds->x[3072 + 7], (float)((7 * 31 + 14) % 256) / 255.0f);
    scl_dataset_destroy(ds);
    ds = nullptr;
    ASSERT_EQ(scl_dataset_load_cifar_dir(dir.c_str(), "train", SCL_CIFAR100_COARSE, &ds, msg,
                                         sizeof(msg)),
              SCL_OK)
        << msg;
    EXPECT_EQ(ds->n_classes, 20);
    EXPECT_EQ(ds->y[0], 19);
}

TEST_F(Cifar, MalformedFilesRefused)
{
    struct Case {
        Bytes bytes;
        scl_cifar_kind kind;
        std::string what;
    } cases[] = {
        {Bytes(), SCL_CIFAR10, "0 bytes is not a whole number of 3073-byte records"},
        {cat({record({1}, 1), Bytes(100, 0)}), SCL_CIFAR10, "3173 bytes is not a whole number"},
        {record({1, 2}, 1), SCL_CIFAR10, "3074 bytes is not a whole number of 3073-byte"},
        {cat({record({1}, 1), record({10}, 2)}), SCL_CIFAR10, "label 10 of record 1 out of range"},
        {record({1, 100}, 1), SCL_CIFAR100_FINE, "label 100 of record 0 out of range (0..99)"},
        {record({20, 1}, 1), SCL_CIFAR100_COARSE, "label 20 of record 0 out of range (0..19)"},
    };
    for (const Case &c : cases) {
        std::string p = write("bad.bin", c.bytes);
        const char *paths[1] = {p.c_str()};
        EXPECT_EQ(scl_dataset_load_cifar(paths, 1, c.kind, &ds, msg, sizeof(msg)), SCL_ERR_DATA);
        EXPECT_EQ(ds, nullptr);
        EXPECT_NE(std::string(msg).find(p + ": "), std::string::npos) << msg;
        EXPECT_NE(std::string(msg).find(c.what), std::string::npos) << msg;
    }
    // A missing batch of the five is named.
    write("data_batch_1.bin", record({1}, 1));
    EXPECT_EQ(scl_dataset_load_cifar_dir(dir.c_str(), "train", SCL_CIFAR10, &ds, msg, sizeof(msg)),
              SCL_ERR_IO);
    EXPECT_NE(std::string(msg).find("data_batch_2.bin: cannot open"), std::string::npos) << msg;
    EXPECT_EQ(scl_dataset_load_cifar_dir(dir.c_str(), "val", SCL_CIFAR10, &ds, msg, sizeof(msg)),
              SCL_ERR_ARG);
}

} // namespace
