// Only in builds with ThreadSanitizer or AddressSanitizer (swift build --sanitize=...).
//
// Debian builds liblua5.4 with _FORTIFY_SOURCE, so a Lua error leaves through glibc's
// __longjmp_chk, which the sanitizers do not intercept (they intercept longjmp). The frames of
// the C functions that the error skips (skynet.unpack's decoder, the argument checks of
// skynet.core) are then never popped from ThreadSanitizer's shadow stack, which overflows after
// some ten thousand Lua errors and crashes the process inside the sanitizer; AddressSanitizer
// leaves their stack redzones poisoned and later reports false overflows. Defined here, in the
// program, __longjmp_chk takes liblua's calls (the program's symbols come first) and hands them
// to longjmp, which the sanitizer intercepts. Ordinary builds keep glibc's checked version.

#include "sanitizers.h"

#ifdef SKYHOST_SANITIZED
#include <setjmp.h>

void __longjmp_chk(struct __jmp_buf_tag env[1], int value) __attribute__((noreturn));

void __longjmp_chk(struct __jmp_buf_tag env[1], int value) {
    longjmp(env, value);
}
#endif
