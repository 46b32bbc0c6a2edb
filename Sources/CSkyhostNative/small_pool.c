// Small blocks for the Lua heaps of a node's services, without per-block overhead.
//
// Most of a Lua heap is objects of 24 to 128 bytes (strings, tables, closures, upvalues, short
// vectors). General allocators round such sizes up to 16-byte steps (mimalloc: 40 -> 48,
// 56 -> 64; glibc adds a header too), some 3 KiB per idle service. Lua tells the allocator the
// size of every block it frees or resizes, so blocks need no header: here every size up to
// SMALL_MAX is rounded up to 8 bytes only, and each 8-byte class keeps a free list.
//
// The node owns one pool. Its worker threads each keep a cache of free blocks per class
// (thread-local, used only while the thread is attached to that pool), so allocating and
// freeing usually take no lock; a cache that grows past CACHE_MAX gives half back to the pool,
// and a detaching thread gives everything back. Any other thread (the one that boots or stops
// the node) goes to the pool under its lock. Blocks freed by a closed service are reused by the
// next ones, whichever thread frees or allocates them. Slabs go back to the system only when
// the pool is destroyed, after every state using it has been closed: the small-block memory of
// a node stays at its high-water mark, as a slab allocator's does.

#include "skyhost_native.h"
#include <mimalloc.h>
#include <pthread.h>
#include <string.h>

#define CLASSES (SKYHOST_SMALL_MAX / 8)   // class c holds blocks of (c + 1) * 8 bytes
#define SLAB_BYTES (64 * 1024)
#define CACHE_MAX 64                      // blocks of one class a thread keeps before giving back
#define REFILL 16                         // blocks a thread takes from the pool at once

struct block { struct block *next; };

struct slab { struct slab *next; };       // header of every slab, for destroy

struct skyhost_pool {
    pthread_mutex_t lock;
    struct block *free[CLASSES];
    char *bump, *end;                     // the unused rest of the newest slab
    struct slab *slabs;
};

struct thread_cache {
    struct skyhost_pool *pool;            // NULL: this thread uses pools under their lock
    struct block *head[CLASSES];
    unsigned count[CLASSES];
};

static __thread struct thread_cache cache;

static inline int class_of(size_t size) { return (int)((size + 7) >> 3) - 1; }

struct skyhost_pool *skyhost_pool_create(void) {
    struct skyhost_pool *pool = mi_calloc(1, sizeof *pool);
    if (pool != NULL) pthread_mutex_init(&pool->lock, NULL);
    return pool;
}

void skyhost_pool_destroy(struct skyhost_pool *pool) {
    if (pool == NULL) return;
    if (cache.pool == pool) memset(&cache, 0, sizeof cache);  // its blocks are about to go
    for (struct slab *s = pool->slabs, *next; s != NULL; s = next) {
        next = s->next;
        mi_free(s);
    }
    pthread_mutex_destroy(&pool->lock);
    mi_free(pool);
}

/// One block of class c from the pool; the caller holds the lock. NULL when out of memory.
static struct block *take_locked(struct skyhost_pool *pool, int c) {
    struct block *b = pool->free[c];
    if (b != NULL) {
        pool->free[c] = b->next;
        return b;
    }
    size_t size = (size_t)(c + 1) * 8;
    if ((size_t)(pool->end - pool->bump) < size) {
        struct slab *s = mi_malloc(SLAB_BYTES);
        if (s == NULL) return NULL;
        s->next = pool->slabs;
        pool->slabs = s;
        pool->bump = (char *)s + 16;      // keeps blocks 16-byte aligned where their size allows
        pool->end = (char *)s + SLAB_BYTES;
    }
    b = (struct block *)pool->bump;
    pool->bump += size;
    return b;
}

/// Gives `n` blocks of class c, the first `n` of the thread cache's list, back to the pool.
static void give_back(int c, unsigned n) {
    struct block *first = cache.head[c], *last = first;
    for (unsigned i = 1; i < n; i++) last = last->next;
    cache.head[c] = last->next;
    cache.count[c] -= n;
    struct skyhost_pool *pool = cache.pool;
    pthread_mutex_lock(&pool->lock);
    last->next = pool->free[c];
    pool->free[c] = first;
    pthread_mutex_unlock(&pool->lock);
}

void *skyhost_pool_alloc(struct skyhost_pool *pool, size_t size) {
    int c = class_of(size);
    if (cache.pool != pool) {
        pthread_mutex_lock(&pool->lock);
        struct block *b = take_locked(pool, c);
        pthread_mutex_unlock(&pool->lock);
        return b;
    }
    struct block *b = cache.head[c];
    if (b != NULL) {
        cache.head[c] = b->next;
        cache.count[c]--;
        return b;
    }
    // Refill: one block for the caller and up to REFILL - 1 for the cache.
    pthread_mutex_lock(&pool->lock);
    b = take_locked(pool, c);
    for (int i = 1; b != NULL && i < REFILL; i++) {
        struct block *extra = take_locked(pool, c);
        if (extra == NULL) break;
        extra->next = cache.head[c];
        cache.head[c] = extra;
        cache.count[c]++;
    }
    pthread_mutex_unlock(&pool->lock);
    return b;
}

void skyhost_pool_free(struct skyhost_pool *pool, void *p, size_t size) {
    int c = class_of(size);
    struct block *b = (struct block *)p;
    if (cache.pool != pool) {
        pthread_mutex_lock(&pool->lock);
        b->next = pool->free[c];
        pool->free[c] = b;
        pthread_mutex_unlock(&pool->lock);
        return;
    }
    b->next = cache.head[c];
    cache.head[c] = b;
    if (++cache.count[c] > CACHE_MAX) give_back(c, CACHE_MAX / 2);
}

void skyhost_pool_detach_thread(void) {
    if (cache.pool == NULL) return;
    for (int c = 0; c < CLASSES; c++)
        if (cache.count[c] > 0) give_back(c, cache.count[c]);
    cache.pool = NULL;
}

void skyhost_pool_attach_thread(struct skyhost_pool *pool) {
    skyhost_pool_detach_thread();
    cache.pool = pool;
}
