/* fuzz.h - what the libFuzzer targets share. Define FUZZ_NAME (the target's name, a string
 * literal) before including it. */
#ifndef TXETL_TESTS_FUZZ_H
#define TXETL_TESTS_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

/* An invariant does not hold: say which (printf arguments) and crash, so libFuzzer keeps the
 * input. */
#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, FUZZ_NAME ": invariant broken: " __VA_ARGS__);                             \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

#endif
