// What the kernel tests share: seeded noise from the one generator, a device buffer that frees
// itself, NMSE, and the odd-shaped net, data and trainer on which every training kernel is
// checked (sizes that are multiples of no work-group size).
#ifndef SLEEPCL_TEST_DEVICE_UTIL_H
#define SLEEPCL_TEST_DEVICE_UTIL_H

#include <cstdlib>
#include <cstring>
#include <vector>

#include "device_env.h"
extern "C" {
#include "internal.h"
#include "ref.h"
#include "trainer.h"
}

namespace scl_test
{

// Uniform [lo, hi) values from Philox's test stream; `stream` separates two files' draws.
inline std::vector<float> noise(size_t n, uint32_t seed, float lo, float hi, uint32_t stream = 0)
{
    std::vector<float> v(n);
    for (size_t i = 0; i < n; i++) {
        uint32_t w[4];
        scl_rng_words(seed, SCL_RNG_TEST, (uint32_t)i, stream, 0, w);
        v[i] = lo + (hi - lo) * scl_rng_u01(w[0]);
    }
    return v;
}

// A buffer on the shared test device, uploaded from `host` (or left uninitialised when NULL).
struct DevBuf {
    cl_mem mem = nullptr;
    DevBuf(const void *host, size_t bytes)
    {
        EXPECT_EQ(scl_buf_create(test_ctx(), bytes, host, &mem), SCL_OK);
    }
    explicit DevBuf(const std::vector<float> &host) : DevBuf(host.data(), host.size() * 4)
    {
    }
    ~DevBuf()
    {
        scl_buf_release(&mem);
    }
    DevBuf(const DevBuf &) = delete;
    DevBuf &operator=(const DevBuf &) = delete;
    template <typename T = float> std::vector<T> read(size_t count)
    {
        std::vector<T> out(count);
        EXPECT_EQ(scl_buf_read(test_ctx(), mem, 0, count * sizeof(T), out.data()), SCL_OK);
        return out;
    }
};

// Normalised mean squared error of a against the reference b.
inline double nmse(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return den > 0 ? num / den : num;
}

// 67-31-13-10, initialised by p.
inline scl_model *odd_model(const struct scl_train_params &p)
{
    const int32_t sizes[] = {67, 31, 13, 10};
    scl_model *m = nullptr;
    EXPECT_EQ(scl_model_create(3, sizes, &m), SCL_OK);
    scl_model_init(m, &p);
    return m;
}

// n samples of uniform noise in [0, 1) of `dim` values (noise's `stream`); labels
// (label0 + 3 i) mod 10.
inline scl_dataset *odd_data(int n, int dim, uint32_t seed, int label0 = 0, uint32_t stream = 0)
{
    scl_dataset *ds = (scl_dataset *)calloc(1, sizeof(scl_dataset));
    ds->n = n;
    ds->dim = dim;
    ds->rows = 1;
    ds->cols = dim;
    ds->n_classes = 10;
    std::vector<float> x = noise((size_t)(n * dim), seed, 0, 1, stream);
    ds->x = (float *)malloc(sizeof(float) * x.size());
    std::memcpy(ds->x, x.data(), sizeof(float) * x.size());
    ds->y = (uint8_t *)malloc((size_t)n);
    for (int i = 0; i < n; i++)
        ds->y[i] = (uint8_t)((label0 + i * 3) % 10);
    return ds;
}

// A net (odd_model), its trainer for p, and n samples of odd_data (seed, stream) on the device;
// released by the destructor.
struct Rig {
    scl_model *m = nullptr;
    scl_dataset *ds = nullptr;
    scl_ddata *dd = nullptr;
    scl_trainer *t = nullptr;
    scl_model *start = nullptr; // the model before fit(), for a reference to step from
    // Fit the trainer on the rig's data and read the trained weights into m; returns the model as
    // it was before (owned by the rig). Failures are reported as test failures.
    scl_model *fit()
    {
        EXPECT_EQ(scl_model_clone(m, &start), SCL_OK);
        EXPECT_EQ(scl_trainer_fit(t, dd, nullptr, nullptr), SCL_OK)
            << scl_ctx_last_error(test_ctx());
        EXPECT_EQ(scl_trainer_get_model(t, m), SCL_OK);
        return start;
    }
    Rig(const struct scl_train_params &p, int n, uint32_t seed, uint32_t stream)
    {
        m = odd_model(p);
        ds = odd_data(n, 67, seed, 0, stream);
        EXPECT_EQ(scl_ddata_create(test_ctx(), ds, &dd), SCL_OK);
        EXPECT_EQ(scl_trainer_create(test_ctx(), m, &p, &t), SCL_OK)
            << scl_ctx_last_error(test_ctx());
    }
    ~Rig()
    {
        scl_model_destroy(start);
        scl_trainer_destroy(t);
        scl_ddata_destroy(dd);
        scl_dataset_destroy(ds);
        scl_model_destroy(m);
    }
    Rig(const Rig &) = delete;
    Rig &operator=(const Rig &) = delete;
};

} // namespace scl_test

#endif
