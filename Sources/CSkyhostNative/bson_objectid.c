// bson.objectid([hex]): an objectid marker ("\0\x07" + 12 bytes), parsed from 24 hex digits or,
// without a string argument, a new one in MongoDB's classic layout (as Skynet v1.8.0 makes
// them):
//
//   4 bytes   seconds since the epoch, big-endian (ids sort by creation time)
//   3 bytes   a hash of the host's name
//   2 bytes   the process id
//   3 bytes   a counter, big-endian, incremented for every id
//
// The machine part and the counter belong to the process, not to a node: two nodes in one
// process share them, so that no two ids made by the process are equal (until the counter
// has gone round its 16,777,216 values within one second). The counter starts at a random
// value, as MongoDB's drivers do.

#include "bson_format.h"
#include <lauxlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/// Bytes 4..8 of every id the process makes.
static uint8_t machine_part[5];
/// The next id's counter (its low 24 bits are used).
static _Atomic uint32_t next_counter;
static pthread_once_t machine_once = PTHREAD_ONCE_INIT;

/// Fills machine_part and seeds the counter, once per process.
static void init_machine_part(void) {
    char host[256] = {0};
    uint32_t hash = 2166136261u;  // FNV-1a of the host name
    if (gethostname(host, sizeof host - 1) == 0) {
        for (const char *c = host; *c; c++) hash = (hash ^ (uint8_t)*c) * 16777619u;
    }
    pid_t pid = getpid();
    machine_part[0] = (uint8_t)(hash >> 16);
    machine_part[1] = (uint8_t)(hash >> 8);
    machine_part[2] = (uint8_t)hash;
    machine_part[3] = (uint8_t)((uint32_t)pid >> 8);
    machine_part[4] = (uint8_t)pid;
    uint32_t seed;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
        seed = hash ^ (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)&seed;
    }
    atomic_store(&next_counter, seed);
}

/// The value of hex digit c, or -1.
static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// bson.objectid([hex]): the objectid of 24 hex digits, or a new one.
int skyhost_bson_objectid(lua_State *L) {
    uint8_t id[14] = {0, BSON_OBJECTID};
    if (lua_isstring(L, 1)) {
        size_t n;
        const char *hex = lua_tolstring(L, 1, &n);
        if (n != 24) return luaL_error(L, "Invalid objectid %s", hex);
        for (int i = 0; i < 12; i++) {
            int high = hex_digit(hex[2 * i]), low = hex_digit(hex[2 * i + 1]);
            if (high < 0 || low < 0) return luaL_error(L, "Invalid objectid %s", hex);
            id[2 + i] = (uint8_t)(high << 4 | low);
        }
    } else {
        pthread_once(&machine_once, init_machine_part);
        uint32_t seconds = (uint32_t)time(NULL);
        uint32_t counter = atomic_fetch_add(&next_counter, 1);
        id[2] = (uint8_t)(seconds >> 24);
        id[3] = (uint8_t)(seconds >> 16);
        id[4] = (uint8_t)(seconds >> 8);
        id[5] = (uint8_t)seconds;
        memcpy(id + 6, machine_part, 5);
        id[11] = (uint8_t)(counter >> 16);
        id[12] = (uint8_t)(counter >> 8);
        id[13] = (uint8_t)counter;
    }
    lua_pushlstring(L, (const char *)id, sizeof id);
    return 1;
}
