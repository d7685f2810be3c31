/* plab-fuzz.h: what the fuzz targets share.
 *
 * Each target is a libFuzzer entry point, LLVMFuzzerTestOneInput (), built
 * twice: with clang's -fsanitize=fuzzer,address,undefined for fuzzing (the
 * `fuzz` option), and with any compiler into fuzz-replay, which feeds it the
 * files in tests/fuzz/regressions/ in the main test suite. A broken invariant
 * is reported on stderr and ends the process with abort (), which both
 * libFuzzer and the replay count as a failure.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define PLAB_FUZZ_CHECK(cond)                                                                      \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        plab_fuzz_fail (__FILE__, __LINE__, #cond);                                                \
    }                                                                                              \
  while (0)

/* Prints where an invariant broke and aborts. */
_Noreturn void plab_fuzz_fail (const char *file, int line, const char *what);

/* The entry points every target defines (libFuzzer's names). */
int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
