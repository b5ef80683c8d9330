/*
 * The host half of the host/device contract (cl/scl_contract.h): compile-time checks that the
 * values it mirrors from the public header agree, and the run-time check that the device
 * compiled the same values and record layouts as the host.
 */
#include <string.h>

#include "internal.h"
#include "scl_contract.h"

_Static_assert(SCL_K_RNG_DROPOUT == SCL_RNG_DROPOUT, "scl_contract.h: SCL_K_RNG_DROPOUT");
_Static_assert(SCL_K_RNG_SPIKES == SCL_RNG_SPIKES, "scl_contract.h: SCL_K_RNG_SPIKES");
_Static_assert(SCL_K_RNG_WINDOW == SCL_RNG_WINDOW, "scl_contract.h: SCL_K_RNG_WINDOW");
_Static_assert(SCL_K_RNG_LATENT == SCL_RNG_LATENT, "scl_contract.h: SCL_K_RNG_LATENT");
_Static_assert(SCL_K_OUT_SOFTMAX == SCL_OUTPUT_SOFTMAX, "scl_contract.h: SCL_K_OUT_SOFTMAX");
_Static_assert(SCL_K_OUT_SIGMOID == SCL_OUTPUT_SIGMOID, "scl_contract.h: SCL_K_OUT_SIGMOID");
_Static_assert(SCL_K_OUT_RELU == SCL_OUTPUT_RELU, "scl_contract.h: SCL_K_OUT_RELU");
_Static_assert(SCL_K_LOSS_BCE == SCL_LOSS_BCE, "scl_contract.h: SCL_K_LOSS_BCE");
_Static_assert(SCL_K_LOSS_CE == SCL_LOSS_CE, "scl_contract.h: SCL_K_LOSS_CE");
_Static_assert(SCL_K_LOSS_MSE == SCL_LOSS_MSE, "scl_contract.h: SCL_K_LOSS_MSE");
_Static_assert(SCL_K_MAX_LAYERS == SCL_MAX_LAYERS, "scl_contract.h: SCL_K_MAX_LAYERS");
_Static_assert(SCL_SLEEP_CORNERS > 0, "scl_contract.h: the window must fit the grid");

#define AS_NAME(e) #e,
static const char *const contract_names[] = {SCL_CONTRACT_INTS(AS_NAME)
                                                 SCL_CONTRACT_FLOATS(AS_NAME)};
#undef AS_NAME
#define N_VALUES ((int)(sizeof(contract_names) / sizeof(contract_names[0])))

static int32_t float_bits(float x)
{
    int32_t b;
    memcpy(&b, &x, sizeof(b));
    return b;
}

/* The values in the order cl/contract.cl writes them. */
static void host_values(int32_t *v)
{
    int i = 0;
#define PUT_INT(e)   v[i++] = (int32_t)(e);
#define PUT_FLOAT(e) v[i++] = float_bits(e);
    SCL_CONTRACT_INTS(PUT_INT)
    SCL_CONTRACT_FLOATS(PUT_FLOAT)
#undef PUT_INT
#undef PUT_FLOAT
}

static scl_status device_values(scl_ctx *ctx, int32_t *v)
{
    cl_kernel k;
    cl_mem buf = NULL;
    const size_t one = 1;
    scl_status st = scl_kernel_get(ctx, "scl_contract_report", &k);
    if (st == SCL_OK)
        st = scl_buf_create(ctx, sizeof(int32_t) * N_VALUES, NULL, &buf);
    if (st != SCL_OK)
        return st;
    if (!SCL_ARG(ctx, k, 0, buf))
        st = SCL_ERR_OPENCL;
    if (st == SCL_OK)
        st = scl_kernel_run(ctx, k, 1, &one, &one);
    if (st == SCL_OK)
        st = scl_buf_read(ctx, buf, 0, sizeof(int32_t) * N_VALUES, v);
    scl_buf_release(&buf);
    return st;
}

scl_status scl_contract_check(scl_ctx *ctx)
{
    int32_t host[N_VALUES], dev[N_VALUES];
    host_values(host);
    scl_status st = device_values(ctx, dev);
    for (int i = 0; i < N_VALUES && st == SCL_OK; i++)
        if (host[i] != dev[i])
            return scl_ctx_fail(ctx, SCL_ERR_DATA,
                                "cl/scl_contract.h: %s is %ld on the device, %ld on the host "
                                "(a kernel directory from another version?)",
                                contract_names[i], (long)dev[i], (long)host[i]);
    return st;
}
