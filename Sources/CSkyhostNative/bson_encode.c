// bson.encode and bson.encode_order: a Lua table (or ordered key/value arguments) to a BSON
// document object, as Skynet v1.8.0's bson module encodes it:
//
//   integer             int32 when it fits in 32 bits, else int64; a float is a double
//   string              a UTF-8 string (checked; embedded zeros kept); a marker (bson_format.h)
//                       is the value it stands for
//   boolean             boolean
//   document object     an embedded document (its bytes as they are)
//   table               an array when it has a __len metamethod (elements 1..#t read with
//                       metamethods), or when it has no __pairs and the first key lua_next gives
//                       is 1, or an integer no greater than its raw length (elements 1..rawlen);
//                       otherwise a document of its pairs (through __pairs when it has one),
//                       whose keys must be strings. Nil in an array is an error (bson.null is
//                       BSON's null).
//
// The top-level table is always a document. Keys and regexes are written as BSON cstrings, so
// they must be UTF-8 without zero bytes. Tables nest at most ENCODE_MAX_DEPTH deep, which also
// ends a table that contains itself.
//
// The document is built in a buffer from the service's allocator (so it counts against the
// service's memory and limit) by a C function run under lua_pcall, which lets the caller free
// the buffer whatever the function raised, then raise it again.

#include "bson_format.h"
#include <lauxlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/// How deep tables may nest inside the top-level one (Skynet's MAX_DEPTH).
#define ENCODE_MAX_DEPTH 128

/// The bytes of the document being built.
struct bson_writer {
    lua_State *L;
    lua_Alloc alloc;
    void *alloc_ud;
    uint8_t *bytes;
    size_t size;
    size_t capacity;
};

/// Makes room for `n` more bytes; raises when the document would pass BSON's 2 GiB or memory
/// runs out.
static uint8_t *writer_room(struct bson_writer *w, size_t n) {
    if (n > (size_t)INT32_MAX - w->size) luaL_error(w->L, "bson document too large");
    if (w->size + n > w->capacity) {
        size_t capacity = w->capacity < 64 ? 64 : w->capacity;
        while (capacity < w->size + n) capacity *= 2;
        uint8_t *bytes = w->alloc(w->alloc_ud, w->bytes, w->bytes ? w->capacity : 0, capacity);
        if (bytes == NULL) luaL_error(w->L, "not enough memory");
        w->bytes = bytes;
        w->capacity = capacity;
    }
    return w->bytes + w->size;
}

/// Appends n bytes.
static void put_bytes(struct bson_writer *w, const void *bytes, size_t n) {
    if (n == 0) return;
    memcpy(writer_room(w, n), bytes, n);
    w->size += n;
}

/// Appends one byte.
static void put_byte(struct bson_writer *w, int byte) {
    *writer_room(w, 1) = (uint8_t)byte;
    w->size += 1;
}

/// Appends a little-endian uint32.
static void put_u32(struct bson_writer *w, uint32_t v) {
    bson_put_u32(writer_room(w, 4), v);
    w->size += 4;
}

/// Appends a little-endian uint64.
static void put_u64(struct bson_writer *w, uint64_t v) {
    bson_put_u64(writer_room(w, 8), v);
    w->size += 8;
}

/// Starts a document or array: room for its length, filled in by end_document. Returns where
/// it starts.
static size_t begin_document(struct bson_writer *w) {
    size_t start = w->size;
    put_u32(w, 0);
    return start;
}

/// Ends the document or array begun at `start`: its final zero, then its length.
static void end_document(struct bson_writer *w, size_t start) {
    put_byte(w, 0);
    bson_put_u32(w->bytes + start, (uint32_t)(w->size - start));
}

/// The length of the UTF-8 sequence at s (n bytes available), or 0 when it is not one: 1 to 4
/// bytes, no overlong form, at most U+10FFFF. Surrogates pass, as they do in v1.8.0.
static size_t utf8_sequence(const uint8_t *s, size_t n) {
    uint8_t lead = s[0];
    if (lead < 0x80) return 1;
    size_t length;
    uint32_t code;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
        code = lead & 0x1f;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        code = lead & 0x0f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        code = lead & 0x07;
    } else {
        return 0;
    }
    if (n < length) return 0;
    for (size_t i = 1; i < length; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        code = code << 6 | (s[i] & 0x3f);
    }
    if ((length == 3 && code < 0x800) || (length == 4 && (code < 0x10000 || code > 0x10ffff))) return 0;
    return length;
}

/// Raises unless the n bytes at s are UTF-8, without zero bytes when `cstring` (a key or a
/// regex: BSON ends those at the first zero).
static void check_text(lua_State *L, const char *s, size_t n, bool cstring, const char *zero_message) {
    const uint8_t *p = (const uint8_t *)s;
    while (n > 0) {
        if (*p == 0 && cstring) luaL_error(L, "%s", zero_message);
        size_t step = utf8_sequence(p, n);
        if (step == 0) luaL_error(L, "Invalid utf8 string");
        p += step;
        n -= step;
    }
}

/// An element's type byte and key.
static void put_key(struct bson_writer *w, int type, const char *key, size_t key_len) {
    check_text(w->L, key, key_len, true, "Bson key can't contain a zero byte");
    put_byte(w, type);
    put_bytes(w, key, key_len);
    put_byte(w, 0);
}

static void put_table(struct bson_writer *w, const char *key, size_t key_len, int depth);

/// The value of a marker string s (n bytes, s[0] == 0, n > 1), as element `key`.
static void put_marker(struct bson_writer *w, const char *key, size_t key_len, const uint8_t *s, size_t n) {
    lua_State *L = w->L;
    int type = s[1];
    const uint8_t *value = s + 2;
    size_t size = n - 2;
    switch (type) {
    case BSON_BINARY:  // subtype, then the data
        if (size < 1) luaL_error(L, "Invalid binary");
        put_key(w, type, key, key_len);
        put_u32(w, (uint32_t)(size - 1));
        put_bytes(w, value, size);
        return;
    case BSON_OBJECTID:
        // (value is inside a Lua string, which ends with a zero)
        if (size != 12) luaL_error(L, "Invalid object id %s", (const char *)value);
        put_key(w, type, key, key_len);
        put_bytes(w, value, 12);
        return;
    case BSON_DATE:  // seconds to milliseconds
        if (size != 4) luaL_error(L, "Invalid date");
        put_key(w, type, key, key_len);
        put_u64(w, (uint64_t)bson_get_u32(value) * 1000);
        return;
    case BSON_TIMESTAMP:
        if (size != 8) luaL_error(L, "Invalid timestamp");
        put_key(w, type, key, key_len);
        put_bytes(w, value, 8);
        return;
    case BSON_INT64:
        if (size != 8) luaL_error(L, "Invalid int64");
        put_key(w, type, key, key_len);
        put_bytes(w, value, 8);
        return;
    case BSON_REGEX: {  // pattern "\0" options "\0"; the pattern ends at the last zero but one
        if (size < 2 || value[size - 1] != 0) luaL_error(L, "Invalid regex");
        const uint8_t *zero = NULL;
        for (size_t i = size - 1; i > 0; i--) {
            if (value[i - 1] == 0) {
                zero = value + i - 1;
                break;
            }
        }
        if (zero == NULL) luaL_error(L, "Invalid regex");
        size_t pattern = (size_t)(zero - value);
        check_text(L, (const char *)value, pattern, true, "Invalid regex");
        check_text(L, (const char *)zero + 1, size - pattern - 2, true, "Invalid regex");
        put_key(w, type, key, key_len);
        put_bytes(w, value, size);
        return;
    }
    case BSON_NULL:
    case BSON_MINKEY:
    case BSON_MAXKEY:
        put_key(w, type, key, key_len);
        return;
    case BSON_JSCODE:
    case BSON_SYMBOL:
    case BSON_CODEWS:
    case BSON_DBPOINTER: {
        // Passed through as decode found them: the bytes must frame one value of the type.
        struct bson_reader r = {L, value, size};
        size_t framed = 0;
        skyhost_bson_take_value(&r, type, &framed);
        if (framed != size) luaL_error(L, "Invalid bson value of type %d", type);
        put_key(w, type, key, key_len);
        put_bytes(w, value, size);
        return;
    }
    default:
        luaL_error(L, "Invalid subtype %d", type);
    }
}

/// The value on top of L's stack, as element `key` of the document being written. `depth` is
/// that of the table the element belongs to.
static void put_value(struct bson_writer *w, const char *key, size_t key_len, int depth) {
    lua_State *L = w->L;
    int type = lua_type(L, -1);
    switch (type) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, -1)) {
            lua_Integer i = lua_tointeger(L, -1);
            if (i >= INT32_MIN && i <= INT32_MAX) {
                put_key(w, BSON_INT32, key, key_len);
                put_u32(w, (uint32_t)(int32_t)i);
            } else {
                put_key(w, BSON_INT64, key, key_len);
                put_u64(w, (uint64_t)i);
            }
        } else {
            lua_Number d = lua_tonumber(L, -1);
            uint64_t bits;
            memcpy(&bits, &d, sizeof bits);
            put_key(w, BSON_DOUBLE, key, key_len);
            put_u64(w, bits);
        }
        return;
    case LUA_TBOOLEAN:
        put_key(w, BSON_BOOLEAN, key, key_len);
        put_byte(w, lua_toboolean(L, -1));
        return;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        if (n > 1 && s[0] == 0) {
            put_marker(w, key, key_len, (const uint8_t *)s, n);
            return;
        }
        if (n >= (size_t)INT32_MAX) luaL_error(L, "bson document too large");
        check_text(L, s, n, false, NULL);
        put_key(w, BSON_STRING, key, key_len);
        put_u32(w, (uint32_t)(n + 1));
        put_bytes(w, s, n);
        put_byte(w, 0);
        return;
    }
    case LUA_TTABLE:
        put_table(w, key, key_len, depth + 1);
        return;
    case LUA_TUSERDATA: {
        // A document object (or any full userdata holding one document at its start).
        size_t room = lua_rawlen(L, -1);
        const uint8_t *doc = lua_touserdata(L, -1);
        size_t length = room >= 4 ? bson_get_u32(doc) : 0;
        if (length < BSON_MIN_DOCUMENT || length > room || doc[length - 1] != 0)
            luaL_error(L, "Invalid bson document in userdata");
        put_key(w, BSON_DOCUMENT, key, key_len);
        put_bytes(w, doc, length);
        return;
    }
    case LUA_TNIL:
        luaL_error(L, "Bson array has a hole (nil), Use bson.null instead");
        return;
    default:
        luaL_error(L, "Invalid value type : %s", lua_typename(L, type));
    }
}

/// Elements "0", "1", ... from t[1] .. t[count] (read with metamethods), t on top of the stack.
static void put_array_elements(struct bson_writer *w, lua_Integer count, int depth) {
    lua_State *L = w->L;
    for (lua_Integer i = 1; i <= count; i++) {
        char key[24];
        int key_len = snprintf(key, sizeof key, "%lld", (long long)(i - 1));
        lua_geti(L, -1, i);
        put_value(w, key, (size_t)key_len, depth);
        lua_pop(L, 1);
    }
}

/// The pair on top of the stack (key below value) as an element; pops the value.
static void put_pair(struct bson_writer *w, int depth) {
    lua_State *L = w->L;
    int key_type = lua_type(L, -2);
    if (key_type == LUA_TNUMBER) luaL_error(L, "Bson dictionary's key can't be number");
    if (key_type != LUA_TSTRING) luaL_error(L, "Invalid key type : %s", lua_typename(L, key_type));
    size_t key_len;
    const char *key = lua_tolstring(L, -2, &key_len);
    put_value(w, key, key_len, depth);
    lua_pop(L, 1);
}

/// The pairs of the table on top of the stack, in lua_next's order.
static void put_raw_pairs(struct bson_writer *w, int depth) {
    lua_State *L = w->L;
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) put_pair(w, depth);
}

/// The pairs of the table below the top of the stack, as its __pairs function (on top) gives
/// them; pops the function.
static void put_meta_pairs(struct bson_writer *w, int depth) {
    lua_State *L = w->L;
    lua_pushvalue(L, -2);
    lua_call(L, 1, 3);  // iterator, state, first control value
    for (;;) {
        lua_pushvalue(L, -3);
        lua_pushvalue(L, -3);
        lua_pushvalue(L, -3);
        lua_call(L, 2, 2);  // key, value
        if (lua_isnil(L, -2)) {
            lua_pop(L, 5);
            return;
        }
        put_pair(w, depth);
        lua_replace(L, -2);  // the key is the next control value
    }
}

/// Whether the table on top of the stack is encoded as an array (having neither __len nor
/// __pairs): its first key in lua_next's order is 1, or an integer up to its raw length.
static bool is_raw_array(lua_State *L) {
    lua_pushnil(L);
    if (lua_next(L, -2) == 0) return false;
    lua_Integer first = lua_isinteger(L, -2) ? lua_tointeger(L, -2) : 0;
    lua_pop(L, 2);
    if (first <= 1) return first == 1;
    return (lua_Unsigned)first <= (lua_Unsigned)lua_rawlen(L, -1);
}

/// The table on top of the stack, as element `key` (an array or an embedded document), at
/// nesting depth `depth`.
static void put_table(struct bson_writer *w, const char *key, size_t key_len, int depth) {
    lua_State *L = w->L;
    if (depth > ENCODE_MAX_DEPTH) luaL_error(L, "Too depth while encoding bson");
    luaL_checkstack(L, 16, "bson: table too deep");
    if (luaL_getmetafield(L, -1, "__len") != LUA_TNIL) {
        lua_pushvalue(L, -2);
        lua_call(L, 1, 1);
        if (!lua_isinteger(L, -1)) luaL_error(L, "__len should return integer");
        lua_Integer count = lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (count < 0) luaL_error(L, "__len should return a non-negative integer");
        put_key(w, BSON_ARRAY, key, key_len);
        size_t start = begin_document(w);
        put_array_elements(w, count, depth);
        end_document(w, start);
    } else if (luaL_getmetafield(L, -1, "__pairs") != LUA_TNIL) {
        put_key(w, BSON_DOCUMENT, key, key_len);
        size_t start = begin_document(w);
        put_meta_pairs(w, depth);
        end_document(w, start);
    } else if (is_raw_array(L)) {
        put_key(w, BSON_ARRAY, key, key_len);
        size_t start = begin_document(w);
        put_array_elements(w, (lua_Integer)lua_rawlen(L, -1), depth);
        end_document(w, start);
    } else {
        put_key(w, BSON_DOCUMENT, key, key_len);
        size_t start = begin_document(w);
        put_raw_pairs(w, depth);
        end_document(w, start);
    }
}

/// bson.encode's work, under lua_pcall: (table, writer) -> document object.
static int encode_table(lua_State *L) {
    struct bson_writer *w = lua_touserdata(L, 2);
    lua_settop(L, 1);
    luaL_checkstack(L, 16, "bson: table too deep");
    size_t start = begin_document(w);
    if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
        put_meta_pairs(w, 0);
    } else {
        put_raw_pairs(w, 0);
    }
    end_document(w, start);
    skyhost_bson_push_document(L, w->bytes, w->size);
    return 1;
}

/// bson.encode_order's work, under lua_pcall: (key1, value1, ..., writer) -> document object.
static int encode_arguments(lua_State *L) {
    int n = lua_gettop(L) - 1;
    struct bson_writer *w = lua_touserdata(L, n + 1);
    lua_settop(L, n);
    luaL_checkstack(L, 16, "bson: too many arguments");
    size_t start = begin_document(w);
    for (int i = 1; i < n; i += 2) {
        size_t key_len;
        const char *key = lua_tolstring(L, i, &key_len);  // a number key becomes its string
        if (key == NULL) luaL_error(L, "Argument %d need a string", i);
        lua_pushvalue(L, i + 1);
        put_value(w, key, key_len, 0);
        lua_pop(L, 1);
    }
    end_document(w, start);
    skyhost_bson_push_document(L, w->bytes, w->size);
    return 1;
}

/// Runs `work` under lua_pcall with the n values on top of the stack and a writer, frees the
/// writer's buffer, and returns the document object or raises work's error again.
static int run_encoder(lua_State *L, lua_CFunction work, int n) {
    struct bson_writer w = {L, NULL, NULL, NULL, 0, 0};
    w.alloc = lua_getallocf(L, &w.alloc_ud);
    lua_pushcfunction(L, work);
    lua_insert(L, -n - 1);
    lua_pushlightuserdata(L, &w);
    int status = lua_pcall(L, n + 1, 1, 0);
    if (w.bytes != NULL) w.alloc(w.alloc_ud, w.bytes, w.capacity, 0);
    if (status != LUA_OK) return lua_error(L);
    return 1;
}

/// bson.encode(table): the document of the table's pairs (through __pairs when it has one).
int skyhost_bson_encode(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    return run_encoder(L, encode_table, 1);
}

/// bson.encode_order(key1, value1, key2, value2, ...): the document of these elements in this
/// order. Keys are strings or numbers (written as their string).
int skyhost_bson_encode_order(lua_State *L) {
    int n = lua_gettop(L);
    if (n % 2 != 0) return luaL_error(L, "Invalid ordered dict");
    return run_encoder(L, encode_arguments, n);
}
