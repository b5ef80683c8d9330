// Models in the safetensors format: a round trip keeps weights and metadata bit for bit; bad
// files (truncated, wrong dtype, shapes that do not chain, NaN, bad JSON, bad header length) are
// rejected with a message naming the file and the problem; a failed save leaves no file.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>

#include "sleepcl/sleepcl.h"
#include "test_dir.h"

namespace
{

std::string dir()
{
    return scl_test_dir();
}

scl_model *small_model()
{
    const int32_t sizes[] = {5, 4, 3};
    scl_model *m = nullptr;
    EXPECT_EQ(scl_model_create(2, sizes, &m), SCL_OK);
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < sizes[l] * sizes[l + 1]; i++)
            m->w[l][i] = 0.25f * (float)(i - 3) + (float)l;
    snprintf(m->profile, sizeof(m->profile), "ref2022");
    snprintf(m->config_hash, sizeof(m->config_hash), "abcdef0123456789");
    m->seed = 77;
    m->output = SCL_OUTPUT_RELU;
    m->act_scale = 0.75f;
    return m;
}

std::string slurp(const std::string &p)
{
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void spit(const std::string &p, const std::string &bytes)
{
    std::ofstream f(p, std::ios::binary);
    f << bytes;
}

// A file with the given JSON header and data bytes.
std::string make_file(const std::string &json, const std::string &data)
{
    std::string out(8, '\0');
    uint64_t n = json.size();
    for (int i = 0; i < 8; i++)
        out[(size_t)i] = (char)(n >> (8 * i));
    return out + json + data;
}

scl_status load(const std::string &path, std::string *msg)
{
    char buf[512] = "";
    scl_model *m = nullptr;
    scl_status st = scl_model_load(path.c_str(), &m, buf, sizeof(buf));
    scl_model_destroy(m);
    *msg = buf;
    return st;
}

TEST(ModelIo, CloneKeepsEverything)
{
    scl_model *m = small_model(), *c = nullptr;
    ASSERT_EQ(scl_model_clone(m, &c), SCL_OK);
    EXPECT_EQ(c->output, m->output);
    EXPECT_EQ(c->act_scale, m->act_scale);
    EXPECT_EQ(c->seed, m->seed);
    EXPECT_STREQ(c->profile, m->profile);
    EXPECT_EQ(std::memcmp(c->w[1], m->w[1], sizeof(float) * 12), 0);
    scl_model_destroy(c);
    scl_model_destroy(m);
}

TEST(ModelIo, RoundTrip)
{
    scl_model *m = small_model(), *back = nullptr;
    std::string path = dir() + "/rt.safetensors";
    char msg[512] = "";
    ASSERT_EQ(scl_model_save(m, path.c_str(), msg, sizeof(msg)), SCL_OK) << msg;
    ASSERT_EQ(scl_model_load(path.c_str(), &back, msg, sizeof(msg)), SCL_OK) << msg;
    ASSERT_EQ(back->n_layers, 2);
    EXPECT_EQ(back->sizes[0], 5);
    EXPECT_EQ(back->sizes[2], 3);
    EXPECT_EQ(std::memcmp(back->w[1], m->w[1], sizeof(float) * 12), 0);
    EXPECT_STREQ(back->profile, "ref2022");
    EXPECT_STREQ(back->config_hash, "abcdef0123456789");
    EXPECT_EQ(back->seed, 77u);
    EXPECT_EQ(back->output, SCL_OUTPUT_RELU);
    EXPECT_FLOAT_EQ(back->act_scale, 0.75f);
    std::string bytes = slurp(path);
    EXPECT_EQ(bytes.size() % 8, 0u) << "header padded to 8 bytes, tensors 4-byte floats";
    EXPECT_EQ(std::fopen((path + ".tmp").c_str(), "rb"), nullptr) << "no temp file left";
    scl_model_destroy(back);
    scl_model_destroy(m);
}

// A file as another tool writes it: foreign tensor names, no metadata.
TEST(ModelIo, ForeignNamesInFileOrder)
{
    std::string json =
        "{\"fc1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
        "\"fc2.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[24,32]}}";
    std::string data(32, '\0');
    float one = 1.0f;
    std::memcpy(&data[28], &one, 4);
    std::string path = dir() + "/foreign.safetensors";
    spit(path, make_file(json, data));
    scl_model *m = nullptr;
    char msg[512] = "";
    ASSERT_EQ(scl_model_load(path.c_str(), &m, msg, sizeof(msg)), SCL_OK) << msg;
    EXPECT_EQ(m->sizes[0], 3);
    EXPECT_EQ(m->sizes[1], 2);
    EXPECT_EQ(m->sizes[2], 1);
    EXPECT_EQ(m->w[1][1], 1.0f);
    scl_model_destroy(m);
}

struct Bad {
    const char *name, *json, *expect;
    size_t data_len;
};

TEST(ModelIo, BadFilesNamed)
{
    const Bad bads[] = {
        {"dtype", "{\"w1\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]}}",
         "dtype F16", 12},
        {"chain",
         "{\"w1\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
         "\"w2\":{\"dtype\":\"F32\",\"shape\":[1,4],\"data_offsets\":[24,40]}}",
         "has 4 inputs", 40},
        {"short", "{\"w1\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}",
         "do not fit", 20},
        {"json", "{\"w1\": [", "not a JSON object", 0},
        {"gap", "{\"w1\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", "cover",
         28},
        {"meta",
         "{\"__metadata__\":{\"sizes\":\"3,5\"},"
         "\"w1\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}",
         "disagree", 24},
        // w2 aliases w1's bytes, and a gap of the same size keeps the total right.
        {"overlap",
         "{\"w1\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
         "\"w2\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,24]}}",
         "overlaps", 32},
        {"fraction", "{\"w1\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0.5,24.5]}}",
         "do not fit", 25},
        {"act_scale_nan",
         "{\"__metadata__\":{\"act_scale\":\"nan\"},"
         "\"w1\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}",
         "act_scale 'nan'", 24},
        {"act_scale_zero",
         "{\"__metadata__\":{\"act_scale\":\"0\"},"
         "\"w1\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}",
         "act_scale '0'", 24},
        {"output",
         "{\"__metadata__\":{\"output\":\"tanh\"},"
         "\"w1\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}",
         "output 'tanh'", 24},
    };
    for (const Bad &b : bads) {
        std::string path = dir() + "/bad_" + b.name + ".safetensors", msg;
        spit(path, make_file(b.json, std::string(b.data_len, '\0')));
        EXPECT_NE(load(path, &msg), SCL_OK) << b.name;
        EXPECT_NE(msg.find(path), std::string::npos) << msg;
        EXPECT_NE(msg.find(b.expect), std::string::npos) << b.name << ": " << msg;
    }
}

TEST(ModelIo, TruncatedAndHeaderLength)
{
    scl_model *m = small_model();
    std::string path = dir() + "/t.safetensors", msg;
    char buf[256];
    ASSERT_EQ(scl_model_save(m, path.c_str(), buf, sizeof(buf)), SCL_OK);
    std::string bytes = slurp(path);
    spit(path, bytes.substr(0, bytes.size() - 7));
    EXPECT_EQ(load(path, &msg), SCL_ERR_DATA);
    EXPECT_NE(msg.find("do not fit"), std::string::npos) << msg;
    spit(path, bytes.substr(0, 5));
    EXPECT_EQ(load(path, &msg), SCL_ERR_DATA);
    EXPECT_NE(msg.find("not a safetensors file"), std::string::npos) << msg;
    std::string huge = bytes;
    huge[6] = 1; // header length far past the end of the file
    spit(path, huge);
    EXPECT_EQ(load(path, &msg), SCL_ERR_DATA);
    scl_model_destroy(m);
}

TEST(ModelIo, NanRejected)
{
    scl_model *m = small_model();
    m->w[1][5] = NAN;
    std::string path = dir() + "/nan.safetensors", msg;
    char buf[256];
    ASSERT_EQ(scl_model_save(m, path.c_str(), buf, sizeof(buf)), SCL_OK);
    EXPECT_EQ(load(path, &msg), SCL_ERR_NUMERIC);
    EXPECT_NE(msg.find("'w2'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("non-finite"), std::string::npos) << msg;
    scl_model_destroy(m);
}

// A saved sleep input (the statistics a sleep needs) is checked on load: means are rates'
// shares in [0, 1], activation maxima divide into the scale factors and must be > 0.
TEST(InputStats, OutOfRangeValuesRefused)
{
    const struct {
        const char *json, *expect;
    } cases[] = {
        {"{\"mean\":[0.5,1.5],\"act_max\":[1,2]}", "mean[1] = 1.5 is outside [0, 1]"},
        {"{\"mean\":[-0.1,0.5],\"act_max\":[1,2]}", "mean[0] = -0.1 is outside [0, 1]"},
        {"{\"mean\":[0.5,0.5],\"act_max\":[1,0]}", "act_max[1] = 0 must be > 0"},
        {"{\"mean\":[0.5,0.5],\"act_max\":[1,1e300]}", "finite"},
    };
    for (const auto &c : cases) {
        std::string path = dir() + "/in.json";
        spit(path, c.json);
        struct scl_input_stats in;
        char msg[256] = "";
        EXPECT_EQ(scl_input_stats_load(path.c_str(), nullptr, &in, msg, sizeof(msg)), SCL_ERR_DATA)
            << c.json;
        EXPECT_NE(std::string(msg).find(c.expect), std::string::npos) << msg;
    }
    std::string path = dir() + "/ok.json";
    spit(path, "{\"mean\":[0,1],\"act_max\":[0.5,2]}");
    struct scl_input_stats in;
    char msg[256] = "";
    ASSERT_EQ(scl_input_stats_load(path.c_str(), nullptr, &in, msg, sizeof(msg)), SCL_OK) << msg;
    EXPECT_EQ(in.n_inputs, 2);
    EXPECT_FLOAT_EQ(in.act_max[1], 2.0f);
    scl_input_stats_free(&in);
}

TEST(ModelIo, MissingFileAndUnwritableDir)
{
    std::string msg;
    EXPECT_EQ(load(dir() + "/nope.safetensors", &msg), SCL_ERR_IO);
    EXPECT_NE(msg.find("nope.safetensors"), std::string::npos);
    scl_model *m = small_model();
    char buf[256] = "";
    EXPECT_EQ(scl_model_save(m, "/nonexistent-dir/x.safetensors", buf, sizeof(buf)), SCL_ERR_IO);
    EXPECT_NE(std::string(buf).find("/nonexistent-dir/x.safetensors"), std::string::npos);
    scl_model_destroy(m);
}

} // namespace

namespace
{

TEST(Downscale, ZeroesSmallestMagnitudes)
{
    const int32_t sizes[] = {4, 2};
    scl_model *m = nullptr;
    ASSERT_EQ(scl_model_create(1, sizes, &m), SCL_OK);
    const float w[8] = {0.5f, -0.1f, 0.3f, -0.7f, 0.2f, 0.2f, -0.05f, 0.9f};
    std::memcpy(m->w[0], w, sizeof(w));
    ASSERT_EQ(scl_model_downscale(m, 0.5), SCL_OK); // 4 of 8: |-0.05|, |-0.1|, and both 0.2
    const float want[8] = {0.5f, 0.0f, 0.3f, -0.7f, 0.0f, 0.0f, 0.0f, 0.9f};
    for (int i = 0; i < 8; i++)
        EXPECT_EQ(m->w[0][i], want[i]) << i;
    std::memcpy(m->w[0], w, sizeof(w));
    ASSERT_EQ(scl_model_downscale(m, 0.375), SCL_OK); // 3 of 8: a tie at 0.2, first one goes
    EXPECT_EQ(m->w[0][4], 0.0f);
    EXPECT_EQ(m->w[0][5], 0.2f);
    ASSERT_EQ(scl_model_downscale(m, 0.0), SCL_OK);
    EXPECT_EQ(m->w[0][5], 0.2f);
    EXPECT_EQ(scl_model_downscale(m, 1.5), SCL_ERR_ARG);
    scl_model_destroy(m);
}

} // namespace
