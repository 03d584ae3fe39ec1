/*
** This header is what the fuzz targets share: the libFuzzer entry point
** they each define, and FUZZ_CHECK, an assertion that stays on in release
** builds (NDEBUG) and aborts, so that libFuzzer and the replay driver both
** see a broken property as a crash.
**
** Every target is built two ways (tests/fuzz/CMakeLists.txt): with clang's
** -fsanitize=fuzzer (make fuzz) and with the replay driver (replay.c),
** which feeds each file of a corpus directory to LLVMFuzzerTestOneInput
** under ctest, in the normal and the sanitizer builds.
*/
#ifndef PP_FUZZ_H
#define PP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, #cond);       \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif /* PP_FUZZ_H */
