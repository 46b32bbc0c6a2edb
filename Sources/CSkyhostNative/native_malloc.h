// Where the native code's own blocks come from: mimalloc (mi_malloc, mi_calloc, mi_realloc,
// mi_free), except under AddressSanitizer or ThreadSanitizer, which watch only the C library's
// malloc. They do not see inside mimalloc (an uninstrumented library): ASan would miss errors in
// its blocks, and TSan, which does not see mimalloc hand a block freed by one thread to
// another, would report the two threads' uses of it as a race.

#ifndef SKYHOST_NATIVE_MALLOC_H
#define SKYHOST_NATIVE_MALLOC_H

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SKYHOST_SANITIZED_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SKYHOST_SANITIZED_MALLOC 1
#endif
#endif

#ifdef SKYHOST_SANITIZED_MALLOC
#include <stdlib.h>
#define mi_malloc malloc
#define mi_calloc calloc
#define mi_realloc realloc
#define mi_free free
#else
#include <mimalloc.h>
#endif

#endif
