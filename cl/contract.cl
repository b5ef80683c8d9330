/*
 * The device half of the host/device contract check (cl/scl_contract.h): the values as this
 * program was compiled, for host/device/contract.c to compare with the host's.
 */

/* out[i] = the i-th value of SCL_CONTRACT_INTS, then the bits of each SCL_CONTRACT_FLOATS
 * value. One work-item. */
__kernel void scl_contract_report(__global int *out)
{
    int i = 0;
#define SCL_CONTRACT_PUT_INT(e)   out[i++] = (int)(e);
#define SCL_CONTRACT_PUT_FLOAT(e) out[i++] = as_int((float)(e));
    SCL_CONTRACT_INTS(SCL_CONTRACT_PUT_INT)
    SCL_CONTRACT_FLOATS(SCL_CONTRACT_PUT_FLOAT)
#undef SCL_CONTRACT_PUT_INT
#undef SCL_CONTRACT_PUT_FLOAT
}
