// Which sanitizer the native code is built with (swift build --sanitize=address|thread):
// SKYHOST_ASAN, SKYHOST_TSAN, and SKYHOST_SANITIZED when either.

#ifndef SKYHOST_SANITIZERS_H
#define SKYHOST_SANITIZERS_H

#if defined(__SANITIZE_ADDRESS__)
#define SKYHOST_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define SKYHOST_TSAN 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(SKYHOST_ASAN)
#define SKYHOST_ASAN 1
#endif
#if __has_feature(thread_sanitizer) && !defined(SKYHOST_TSAN)
#define SKYHOST_TSAN 1
#endif
#endif

#if defined(SKYHOST_ASAN) || defined(SKYHOST_TSAN)
#define SKYHOST_SANITIZED 1
#endif

#endif
