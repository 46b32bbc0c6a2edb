// Whether an OS descriptor can be watched by epoll.
//
// SwiftNIO adds a descriptor it is given to its epoll set and traps when epoll refuses it (a
// regular file, /dev/null: EPERM). The socket layer asks here first, on a scratch epoll set, so
// that such a descriptor becomes a socket error instead of a crash. Swift cannot call epoll_ctl
// itself: Glibc's module does not export it.

#include "skyhost_native.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

int skyhost_descriptor_pollable(int fd) {
    int set = epoll_create1(EPOLL_CLOEXEC);
    if (set < 0) {
        return errno;
    }
    struct epoll_event event = { .events = EPOLLIN };
    int result = epoll_ctl(set, EPOLL_CTL_ADD, fd, &event) == 0 ? 0 : errno;
    close(set);
    return result;
}
