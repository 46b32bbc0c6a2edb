// The lua_Alloc of every service: Lua's heap through mimalloc, with the per-service accounting
// behind `mem`, memlimit and the memory warning.
//
// Why mimalloc rather than the C library's malloc: a Lua heap is hundreds of small objects
// (strings, tables, closures, upvalues of 24 to 64 bytes). glibc's malloc adds a size header
// to each and rounds to 16 bytes, some 9 KiB per idle service, and its free lists make creating
// and closing a state slow. mimalloc keeps small objects in size-class pages without headers
// and frees from any thread (a service's state is created, run and closed on whichever worker
// holds it). Skynet does the same with jemalloc. Linking mimalloc also makes it the process's
// malloc (it defines malloc and free), so memory a closed service gives back is reused by the
// next ones whatever allocates it.

#include "skyhost_native.h"
#include <mimalloc.h>

// Only the service's own worker allocates; `used` is stored atomically (relaxed: a plain move
// on x86) so that other threads may read it for `mem` and the Swift API.
void *skyhost_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    struct skyhost_memory *m = (struct skyhost_memory *)ud;
    size_t old = ptr ? osize : 0;
    size_t used = __atomic_load_n(&m->used, __ATOMIC_RELAXED);
    if (nsize == 0) {
        mi_free(ptr);
        __atomic_store_n(&m->used, used - old, __ATOMIC_RELAXED);
        return NULL;
    }
    if (nsize > old && m->limit != 0 && used + (nsize - old) > m->limit) return NULL;
    void *p = ptr ? mi_realloc(ptr, nsize) : mi_malloc(nsize);
    if (p == NULL) return NULL;
    used = used - old + nsize;
    __atomic_store_n(&m->used, used, __ATOMIC_RELAXED);
    if (used > m->peak) m->peak = used;
    if (m->warning != 0 && used > m->warning) {
        m->warning *= 2;
        m->warned = 1;
    }
    return p;
}

size_t skyhost_memory_used(const struct skyhost_binding *b) {
    return __atomic_load_n(&b->memory.used, __ATOMIC_RELAXED);
}
