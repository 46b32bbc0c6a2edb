// Small blocks for the Lua heaps of a node's services, without per-block overhead.
//
// Most of a Lua heap is objects of 24 to 128 bytes (strings, tables, closures, upvalues, short
// vectors). General allocators round such sizes up to 16-byte steps (mimalloc makes 40 bytes
// 48 and 56 bytes 64; glibc adds a header too), which adds up over the many objects of an idle
// service. Lua tells the allocator the size of every block it frees or resizes, so blocks need
// no header: here every size up to SKYHOST_SMALL_MAX is rounded up to 8 bytes only, and each
// 8-byte class keeps its free blocks.
//
// Free blocks are kept as arrays of pointers, not as lists linked through the blocks: a block
// freed by a service closed long ago is cold in the cache, and following a list through such
// blocks costs a cache miss per block, one after the other. With arrays, a block is first
// touched by the Lua object written into it.
//
// The node owns one pool. Its worker threads each keep a cache of free blocks per class
// (attached with skyhost_pool_attach_thread), so allocating and freeing usually take no lock; a
// cache that fills up gives half back to the pool, and a detaching thread gives everything
// back. Any other thread (the one that boots or stops the node) goes to the pool under its
// lock. Blocks freed by a closed service are reused by the next ones, whichever thread frees or
// allocates them. Slabs go back to the system only when the pool is destroyed, after every
// state using it has been closed: the small-block memory of a node stays at its high-water
// mark, as a slab allocator's does.

#include "skyhost_native.h"
#include "native_malloc.h"
#include <pthread.h>
#include <string.h>

#define CLASSES (SKYHOST_SMALL_MAX / 8)   // class c holds blocks of (c + 1) * 8 bytes
#define SLAB_BYTES (64 * 1024)
#define CACHE_MAX 64                      // free blocks of one class a thread keeps
#define REFILL 16                         // blocks a thread takes from the pool at once

struct slab { struct slab *next; };       // header of every slab, for destroy

/// Free blocks of one class. If the array cannot grow (out of memory), a freed block goes on
/// `overflow`, a list linked through the blocks themselves.
struct free_blocks {
    void **items;
    size_t count, capacity;
    void *overflow;
};

struct skyhost_pool {
    pthread_mutex_t lock;
    struct free_blocks free[CLASSES];
    char *bump, *end;                     // the unused rest of the newest slab
    struct slab *slabs;
};

struct thread_cache {
    struct skyhost_pool *pool;
    unsigned count[CLASSES];
    void *items[CLASSES][CACHE_MAX];
};

/// The calling thread's cache, while it is attached to a pool (else NULL).
static __thread struct thread_cache *cache;

static inline int class_of(size_t size) { return (int)((size + 7) >> 3) - 1; }

struct skyhost_pool *skyhost_pool_create(void) {
    struct skyhost_pool *pool = mi_calloc(1, sizeof *pool);
    if (pool != NULL) pthread_mutex_init(&pool->lock, NULL);
    return pool;
}

void skyhost_pool_destroy(struct skyhost_pool *pool) {
    if (pool == NULL) return;
    if (cache != NULL && cache->pool == pool) {  // its blocks are about to go
        mi_free(cache);
        cache = NULL;
    }
    for (struct slab *s = pool->slabs, *next; s != NULL; s = next) {
        next = s->next;
        mi_free(s);
    }
    for (int c = 0; c < CLASSES; c++) mi_free(pool->free[c].items);
    pthread_mutex_destroy(&pool->lock);
    mi_free(pool);
}

/// One block of class c from the pool; the caller holds the lock. NULL when out of memory.
static void *take_locked(struct skyhost_pool *pool, int c) {
    struct free_blocks *f = &pool->free[c];
    if (f->count > 0) return f->items[--f->count];
    if (f->overflow != NULL) {
        void *b = f->overflow;
        f->overflow = *(void **)b;
        return b;
    }
    size_t size = (size_t)(c + 1) * 8;
    if ((size_t)(pool->end - pool->bump) < size) {
        struct slab *s = mi_malloc(SLAB_BYTES);
        if (s == NULL) return NULL;
        s->next = pool->slabs;
        pool->slabs = s;
        pool->bump = (char *)s + 16;      // past the header; blocks are 8-byte aligned (LUAI_MAXALIGN)
        pool->end = (char *)s + SLAB_BYTES;
    }
    void *b = pool->bump;
    pool->bump += size;
    return b;
}

/// Gives a free block of class c to the pool; the caller holds the lock. Never fails.
static void put_locked(struct skyhost_pool *pool, int c, void *b) {
    struct free_blocks *f = &pool->free[c];
    if (f->count == f->capacity) {
        size_t capacity = f->capacity ? f->capacity * 2 : 256;
        void **items = mi_realloc(f->items, capacity * sizeof *items);
        if (items == NULL) {
            *(void **)b = f->overflow;
            f->overflow = b;
            return;
        }
        f->items = items;
        f->capacity = capacity;
    }
    f->items[f->count++] = b;
}

/// Gives the `n` most recently cached blocks of class c back to the pool.
static void give_back(int c, unsigned n) {
    struct skyhost_pool *pool = cache->pool;
    pthread_mutex_lock(&pool->lock);
    for (unsigned i = 0; i < n; i++) put_locked(pool, c, cache->items[c][--cache->count[c]]);
    pthread_mutex_unlock(&pool->lock);
}

void *skyhost_pool_alloc(struct skyhost_pool *pool, size_t size) {
    int c = class_of(size);
    struct thread_cache *tc = cache;
    if (tc == NULL || tc->pool != pool) {
        pthread_mutex_lock(&pool->lock);
        void *b = take_locked(pool, c);
        pthread_mutex_unlock(&pool->lock);
        return b;
    }
    if (tc->count[c] > 0) return tc->items[c][--tc->count[c]];
    // Refill: one block for the caller and up to REFILL - 1 for the cache.
    pthread_mutex_lock(&pool->lock);
    void *b = take_locked(pool, c);
    for (int i = 1; b != NULL && i < REFILL; i++) {
        void *extra = take_locked(pool, c);
        if (extra == NULL) break;
        tc->items[c][tc->count[c]++] = extra;
    }
    pthread_mutex_unlock(&pool->lock);
    return b;
}

void skyhost_pool_free(struct skyhost_pool *pool, void *block, size_t size) {
    int c = class_of(size);
    struct thread_cache *tc = cache;
    if (tc == NULL || tc->pool != pool) {
        pthread_mutex_lock(&pool->lock);
        put_locked(pool, c, block);
        pthread_mutex_unlock(&pool->lock);
        return;
    }
    if (tc->count[c] == CACHE_MAX) give_back(c, CACHE_MAX / 2);
    tc->items[c][tc->count[c]++] = block;
}

void skyhost_pool_detach_thread(void) {
    if (cache == NULL) return;
    for (int c = 0; c < CLASSES; c++)
        if (cache->count[c] > 0) give_back(c, cache->count[c]);
    mi_free(cache);
    cache = NULL;
}

void skyhost_pool_attach_thread(struct skyhost_pool *pool) {
    skyhost_pool_detach_thread();
    struct thread_cache *tc = mi_calloc(1, sizeof *tc);
    if (tc == NULL) return;  // then this thread takes the locked path
    tc->pool = pool;
    cache = tc;
}
