// The lua_Alloc of every service: small blocks from the node's pool (small_pool.c), the rest
// from mimalloc, with the per-service accounting behind `mem`, memlimit and the memory warning.
//
// Why not the C library's malloc: a Lua heap is hundreds of small objects, to which glibc's
// malloc adds a size header each and rounds to 16 bytes (much of an idle service's memory), and
// its free lists make creating and closing a state slow. The pool stores small blocks without
// any overhead (Lua says the size of every block it frees); larger ones (table parts, code
// arrays, stacks) go to mimalloc, which frees from any thread (a service's state is created,
// run and closed on whichever worker holds it). Skynet does much the same with jemalloc.
// Linking mimalloc also makes it the process's malloc (it defines malloc and free).
//
// Which of the two holds a block depends only on its size, so a block is always given back to
// where it came from. Blocks are 8-byte aligned (Lua's own requirement, LUAI_MAXALIGN).

#include "skyhost_native.h"
#include "native_malloc.h"
#include <string.h>

// Under AddressSanitizer every block comes from the system's malloc (see native_malloc.h), the
// small ones too: the sanitizer does not see the pool's reuse of blocks. (ThreadSanitizer keeps
// the pool, whose blocks change threads only through its lock.)
#ifdef SKYHOST_ASAN
static inline int is_small(size_t size) { (void)size; return 0; }
#else
static inline int is_small(size_t size) { return size <= SKYHOST_SMALL_MAX; }
#endif

/// Resizes a block (ptr NULL: a new one); NULL when out of memory, the old block unchanged.
static void *resize(struct skyhost_pool *pool, void *ptr, size_t old, size_t size) {
    if (ptr == NULL)
        return is_small(size) ? skyhost_pool_alloc(pool, size) : mi_malloc(size);
    if (!is_small(old) && !is_small(size)) return mi_realloc(ptr, size);
    if (is_small(old) && is_small(size) && ((old + 7) >> 3) == ((size + 7) >> 3)) return ptr;
    void *p = is_small(size) ? skyhost_pool_alloc(pool, size) : mi_malloc(size);
    if (p == NULL) return NULL;
    memcpy(p, ptr, old < size ? old : size);
    if (is_small(old)) skyhost_pool_free(pool, ptr, old);
    else mi_free(ptr);
    return p;
}

// Only the service's own worker allocates; `used` and `blocks` are stored atomically (relaxed: a
// plain move on x86) so that other threads may read them for `mem`, skynet.memory and the Swift
// API.
void *skyhost_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    struct skyhost_memory *m = (struct skyhost_memory *)ud;
    size_t old = ptr ? osize : 0;  // (with ptr NULL, osize tells the kind of object)
    size_t used = __atomic_load_n(&m->used, __ATOMIC_RELAXED);
    if (nsize == 0) {
        if (ptr != NULL) {
            if (is_small(old)) skyhost_pool_free(m->pool, ptr, old);
            else mi_free(ptr);
        }
        __atomic_store_n(&m->used, used - old, __ATOMIC_RELAXED);
        if (ptr != NULL) __atomic_store_n(&m->blocks, m->blocks - 1, __ATOMIC_RELAXED);
        return NULL;
    }
    if (nsize > old && m->limit != 0 && used + (nsize - old) > m->limit) return NULL;
    void *p = resize(m->pool, ptr, old, nsize);
    if (p == NULL) return NULL;
    used = used - old + nsize;
    __atomic_store_n(&m->used, used, __ATOMIC_RELAXED);
    if (ptr == NULL) __atomic_store_n(&m->blocks, m->blocks + 1, __ATOMIC_RELAXED);
    if (m->warning != 0 && used > m->warning) {
        m->warning *= 2;
        m->warned = 1;
    }
    return p;
}

size_t skyhost_memory_used(const struct skyhost_binding *b) {
    return __atomic_load_n(&b->memory.used, __ATOMIC_RELAXED);
}

size_t skyhost_memory_blocks(const struct skyhost_binding *b) {
    return __atomic_load_n(&b->memory.blocks, __ATOMIC_RELAXED);
}
