// The `skynet.netpack` module: Skynet v1.8.0's framing of a client's TCP stream into packets,
// each a 2-byte big-endian length and that many bytes (gateserver's protocol).
//
//   queue, kind, ... = netpack.filter(queue, msg, sz)   a PTYPE_SOCKET message (its payload as
//       Sources/Skyhost/Sockets/SocketEvent.swift lays it out), turned into:
//         "data", fd, msg, sz    one whole packet (msg: a malloc'd lightuserdata the caller owns)
//         "more"                 several packets, taken with netpack.pop(queue)
//         (nothing)              bytes kept until their packet is whole
//         "open", fd, addr       a connection accepted      "close", fd     it closed
//         "error", fd, reason                                "warning", fd, kib
//         "init", id, ip, port   a listener is bound
//       `queue` is created by the first call (pass nil) and must be passed again.
//   fd, msg, sz = netpack.pop(queue)           the next queued packet, or nothing
//   msg, sz = netpack.pack(string | msg, sz)   a packet with its header (malloc'd, for a send)
//   string = netpack.tostring(msg, sz)         a packet's bytes as a string (frees msg)
//   netpack.clear(queue)                       frees every packet queued or being assembled
//
// A connection's partial packet is kept until its bytes arrive or the connection closes (then
// dropped). A queue that is collected frees what it holds.

#include "skyhost_native.h"
#include <lauxlib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PACKET 0xffff
#define PARTIAL_BUCKETS 256

/// A whole packet of connection `fd`.
struct packet {
    int fd;
    int size;
    uint8_t *bytes;
};

/// A connection's packet still being assembled: `header` bytes of its length read (0, 1 or 2);
/// once both are, `filled` of its `size` bytes are.
struct partial {
    int fd;
    int header;
    uint8_t first;
    int size;
    int filled;
    uint8_t *bytes;
    struct partial *next;
};

/// The queue userdata: whole packets not yet popped (a ring), and the partial packets by fd.
struct queue {
    struct packet *ring;
    int capacity;
    int head;
    int count;
    struct partial *buckets[PARTIAL_BUCKETS];
};

static const char *const QUEUE_META = "skynet.netpack.queue";

static void clear_queue(struct queue *q) {
    for (int i = 0; i < q->count; i++) {
        free(q->ring[(q->head + i) % q->capacity].bytes);
    }
    q->head = q->count = 0;
    for (int b = 0; b < PARTIAL_BUCKETS; b++) {
        struct partial *p = q->buckets[b];
        while (p) {
            struct partial *next = p->next;
            free(p->bytes);
            free(p);
            p = next;
        }
        q->buckets[b] = NULL;
    }
}

static int queue_gc(lua_State *L) {
    struct queue *q = luaL_checkudata(L, 1, QUEUE_META);
    clear_queue(q);
    free(q->ring);
    q->ring = NULL;
    q->capacity = 0;
    return 0;
}

/// The queue at index 1, made (and put at index 1) when it is nil.
static struct queue *queue_at(lua_State *L) {
    if (!lua_isnil(L, 1)) return luaL_checkudata(L, 1, QUEUE_META);
    struct queue *q = lua_newuserdatauv(L, sizeof *q, 0);
    memset(q, 0, sizeof *q);
    if (luaL_newmetatable(L, QUEUE_META)) {
        lua_pushcfunction(L, queue_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    lua_replace(L, 1);
    return q;
}

static void push_packet(lua_State *L, struct queue *q, int fd, uint8_t *bytes, int size) {
    if (q->count == q->capacity) {
        int capacity = q->capacity ? q->capacity * 2 : 64;
        struct packet *ring = malloc(sizeof *ring * (size_t)capacity);
        if (ring == NULL) {
            free(bytes);
            luaL_error(L, "netpack: out of memory");
        }
        for (int i = 0; i < q->count; i++) ring[i] = q->ring[(q->head + i) % q->capacity];
        free(q->ring);
        q->ring = ring;
        q->capacity = capacity;
        q->head = 0;
    }
    q->ring[(q->head + q->count) % q->capacity] = (struct packet){fd, size, bytes};
    q->count++;
}

static uint8_t *copy_bytes(lua_State *L, const uint8_t *from, int size) {
    uint8_t *bytes = malloc(size > 0 ? (size_t)size : 1);
    if (bytes == NULL) luaL_error(L, "netpack: out of memory");
    if (size > 0) memcpy(bytes, from, (size_t)size);
    return bytes;
}

/// Removes and returns fd's partial packet, or NULL.
static struct partial *take_partial(struct queue *q, int fd) {
    struct partial **link = &q->buckets[(unsigned)fd % PARTIAL_BUCKETS];
    for (struct partial *p = *link; p; link = &p->next, p = p->next) {
        if (p->fd == fd) {
            *link = p->next;
            p->next = NULL;
            return p;
        }
    }
    return NULL;
}

static void keep_partial(struct queue *q, struct partial *p) {
    struct partial **bucket = &q->buckets[(unsigned)p->fd % PARTIAL_BUCKETS];
    p->next = *bucket;
    *bucket = p;
}

static void drop_partial(struct queue *q, int fd) {
    struct partial *p = take_partial(q, fd);
    if (p) {
        free(p->bytes);
        free(p);
    }
}

/// Frames `size` bytes of connection `fd` into the queue: whole packets are queued, what is
/// left of the last one is kept as fd's partial packet.
static void frame(lua_State *L, struct queue *q, int fd, const uint8_t *data, int size) {
    struct partial *p = take_partial(q, fd);
    while (size > 0) {
        if (p == NULL) {
            if (size >= 2) {
                int length = data[0] << 8 | data[1];
                if (size - 2 >= length) {
                    push_packet(L, q, fd, copy_bytes(L, data + 2, length), length);
                    data += 2 + length;
                    size -= 2 + length;
                    continue;
                }
            }
            p = calloc(1, sizeof *p);
            if (p == NULL) luaL_error(L, "netpack: out of memory");
            p->fd = fd;
        }
        if (p->header < 2) {
            if (p->header == 0) {
                p->first = *data;
            } else {
                p->size = p->first << 8 | *data;
                p->bytes = malloc(p->size > 0 ? (size_t)p->size : 1);
                if (p->bytes == NULL) {
                    free(p);
                    luaL_error(L, "netpack: out of memory");
                }
            }
            p->header++;
            data++;
            size--;
        } else {
            int take = p->size - p->filled < size ? p->size - p->filled : size;
            memcpy(p->bytes + p->filled, data, (size_t)take);
            p->filled += take;
            data += take;
            size -= take;
        }
        if (p->header == 2 && p->filled == p->size) {
            push_packet(L, q, fd, p->bytes, p->size);
            free(p);
            p = NULL;
        }
    }
    if (p) keep_partial(q, p);
}

static void push_text(lua_State *L, const uint8_t *bytes, int size) {
    lua_pushlstring(L, (const char *)bytes, size > 0 ? (size_t)size : 0);
}

static int l_filter(lua_State *L) {
    struct skyhost_socket_event event;
    luaL_checktype(L, 2, LUA_TLIGHTUSERDATA);
    const uint8_t *message = lua_touserdata(L, 2);
    lua_Integer total = luaL_checkinteger(L, 3);
    if (message == NULL || total < (lua_Integer)sizeof event) {
        return luaL_error(L, "netpack.filter: not a socket message (%d bytes)", (int)total);
    }
    memcpy(&event, message, sizeof event);
    const uint8_t *data = message + sizeof event;
    int size = (int)(total - (lua_Integer)sizeof event);
    lua_settop(L, 1);
    struct queue *q = queue_at(L);
    switch (event.kind) {
    case SKYHOST_SOCKET_DATA: {
        int before = q->count;
        frame(L, q, event.id, data, size);
        int added = q->count - before;
        if (added == 0) return 1;
        if (added == 1 && before == 0) {
            struct packet *packet = &q->ring[q->head];
            q->head = (q->head + 1) % q->capacity;
            q->count--;
            lua_pushliteral(L, "data");
            lua_pushinteger(L, packet->fd);
            lua_pushlightuserdata(L, packet->bytes);
            lua_pushinteger(L, packet->size);
            return 5;
        }
        lua_pushliteral(L, "more");
        return 2;
    }
    case SKYHOST_SOCKET_CONNECT:
        lua_pushliteral(L, "init");
        lua_pushinteger(L, event.id);
        push_text(L, data, size);
        lua_pushinteger(L, event.ud);
        return 5;
    case SKYHOST_SOCKET_CLOSE:
        drop_partial(q, event.id);
        lua_pushliteral(L, "close");
        lua_pushinteger(L, event.id);
        return 3;
    case SKYHOST_SOCKET_ACCEPT:
        lua_pushliteral(L, "open");
        lua_pushinteger(L, event.ud);
        push_text(L, data, size);
        return 4;
    case SKYHOST_SOCKET_ERROR:
        drop_partial(q, event.id);
        lua_pushliteral(L, "error");
        lua_pushinteger(L, event.id);
        push_text(L, data, size);
        return 4;
    case SKYHOST_SOCKET_WARNING:
        lua_pushliteral(L, "warning");
        lua_pushinteger(L, event.id);
        lua_pushinteger(L, event.ud);
        return 4;
    default:
        return 1;
    }
}

static int l_pop(lua_State *L) {
    if (lua_isnoneornil(L, 1)) return 0;
    struct queue *q = luaL_checkudata(L, 1, QUEUE_META);
    if (q->count == 0) return 0;
    struct packet packet = q->ring[q->head];
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    lua_pushinteger(L, packet.fd);
    lua_pushlightuserdata(L, packet.bytes);
    lua_pushinteger(L, packet.size);
    return 3;
}

static int l_clear(lua_State *L) {
    if (lua_isnoneornil(L, 1)) return 0;
    clear_queue(luaL_checkudata(L, 1, QUEUE_META));
    return 0;
}

static int l_pack(lua_State *L) {
    size_t size;
    const void *bytes;
    if (lua_type(L, 1) == LUA_TLIGHTUSERDATA) {
        bytes = lua_touserdata(L, 1);
        lua_Integer n = luaL_checkinteger(L, 2);
        luaL_argcheck(L, n >= 0, 2, "negative size");
        size = (size_t)n;
    } else {
        bytes = luaL_checklstring(L, 1, &size);
    }
    if (size > MAX_PACKET) return luaL_error(L, "Invalid size (too long) of data : %d", (int)size);
    uint8_t *packet = malloc(size + 2);
    if (packet == NULL) return luaL_error(L, "netpack: out of memory");
    packet[0] = (uint8_t)(size >> 8);
    packet[1] = (uint8_t)size;
    if (size > 0) memcpy(packet + 2, bytes, size);
    lua_pushlightuserdata(L, packet);
    lua_pushinteger(L, (lua_Integer)size + 2);
    return 2;
}

static int l_tostring(lua_State *L) {
    void *bytes = lua_touserdata(L, 1);
    lua_Integer size = luaL_checkinteger(L, 2);
    if (bytes == NULL) {
        lua_pushliteral(L, "");
        return 1;
    }
    luaL_argcheck(L, size >= 0, 2, "negative size");
    lua_pushlstring(L, bytes, (size_t)size);
    free(bytes);
    return 1;
}

static int open_netpack(lua_State *L) {
    static const luaL_Reg functions[] = {
        {"filter", l_filter}, {"pop", l_pop}, {"clear", l_clear},
        {"pack", l_pack}, {"tostring", l_tostring}, {NULL, NULL},
    };
    luaL_newlib(L, functions);
    return 1;
}

/// (skyhost_native.h) Pushes the module, protected: returns a Lua status.
int skyhost_open_netpack(lua_State *L) {
    lua_pushcfunction(L, open_netpack);
    return lua_pcall(L, 0, 1, 0);
}
