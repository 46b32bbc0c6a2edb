// Where the native code's own blocks come from: mimalloc (mi_malloc, mi_calloc, mi_realloc,
// mi_free), except under AddressSanitizer or ThreadSanitizer, which watch only the C library's
// malloc. They do not see inside mimalloc (an uninstrumented library): ASan would miss errors in
// its blocks, and TSan, which does not see mimalloc hand a block freed by one thread to
// another, would report the two threads' uses of it as a race.

#ifndef SKYHOST_NATIVE_MALLOC_H
#define SKYHOST_NATIVE_MALLOC_H

#include "sanitizers.h"

#ifdef SKYHOST_SANITIZED
#include <stdlib.h>
#define mi_malloc malloc
#define mi_calloc calloc
#define mi_realloc realloc
#define mi_free free
#else
#include <mimalloc.h>
#endif

#endif
