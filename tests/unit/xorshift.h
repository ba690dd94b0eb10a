/* xorshift.h - the unit tests' reproducible random numbers (xorshift64): each test file keeps
 * its own state, seeded with a constant, so its inputs are the same on every run. */
#ifndef TXETL_TESTS_XORSHIFT_H
#define TXETL_TESTS_XORSHIFT_H

#include <stdint.h>

static inline uint64_t xorshift64(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

#endif
