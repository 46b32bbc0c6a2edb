// bson.decode: a BSON document to a Lua table, as Skynet v1.8.0's bson module decodes it:
//
//   double -> float, int32 / int64 -> integer, string -> string, boolean -> boolean (any byte
//   but 0 is true), document -> table with string keys, array -> table whose keys are the
//   element names read as decimal numbers plus one; every other type -> its marker
//   (bson_format.h): binary, objectid, date (milliseconds to whole seconds, truncated to
//   32 bits), null, regex, timestamp, minkey, maxkey, and javascript, symbol, code with scope
//   and dbpointer as their raw bytes. Undefined, decimal128 and unknown types are errors.
//   A key that comes twice keeps its last value.
//
// What is decoded: a document object (its own bytes bound the reading), a string holding
// exactly one document (Skyhost's addition: v1.8.0 returns nothing for a string), or a light
// userdata pointing at a document (how Skynet's mongo driver hands out a reply's document:
// only its length prefix says how far it goes). Anything else gives no value, as in v1.8.0.
//
// Every read is bounded: a truncated document, a length prefix that does not match, an
// unknown type, a string without its terminating zero or nesting deeper than
// DECODE_MAX_DEPTH raises a Lua error that says so (with the caller's position).

#include "bson_format.h"
#include <lauxlib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/// How deep documents and arrays may nest, the outermost counting as 1. Above MongoDB's 100
/// and what the encoder makes (129) several times over, so that documents built from encoded
/// documents decode; low enough that the recursion stays far from a worker's 8 MiB C stack.
#define DECODE_MAX_DEPTH 1000

/// (bson_format.h) The next n bytes; raises "Invalid bson block" when fewer are left.
const uint8_t *skyhost_bson_take(struct bson_reader *r, size_t n) {
    if (r->left < n) {
        luaL_error(r->L, "Invalid bson block (%d bytes needed, %d left)", (int)(n > INT32_MAX ? INT32_MAX : n),
                   (int)r->left);
    }
    const uint8_t *p = r->at;
    r->at += n;
    r->left -= n;
    return p;
}

/// (bson_format.h) The next byte.
int skyhost_bson_take_byte(struct bson_reader *r) { return *skyhost_bson_take(r, 1); }

/// (bson_format.h) The next little-endian int32.
int32_t skyhost_bson_take_int32(struct bson_reader *r) {
    return (int32_t)bson_get_u32(skyhost_bson_take(r, 4));
}

/// (bson_format.h) The next zero-terminated string.
const char *skyhost_bson_take_cstring(struct bson_reader *r, size_t *len) {
    const uint8_t *zero = memchr(r->at, 0, r->left);
    if (zero == NULL) luaL_error(r->L, "Invalid bson block : cstring without terminating zero");
    *len = (size_t)(zero - r->at);
    return (const char *)skyhost_bson_take(r, *len + 1);
}

/// A length-prefixed string's bytes (prefix included): the prefix counts the bytes after it,
/// the last of which must be 0.
static const uint8_t *take_string(struct bson_reader *r, size_t *size) {
    const uint8_t *start = r->at;
    int32_t n = skyhost_bson_take_int32(r);
    if (n <= 0) luaL_error(r->L, "Invalid bson string , length = %d", (int)n);
    const uint8_t *bytes = skyhost_bson_take(r, (size_t)n);
    if (bytes[n - 1] != 0) luaL_error(r->L, "Invalid bson string : no terminating zero");
    *size = 4 + (size_t)n;
    return start;
}

/// (bson_format.h) Checks the framing of the next value of type `type` and moves past it.
const uint8_t *skyhost_bson_take_value(struct bson_reader *r, int type, size_t *size) {
    const uint8_t *start = r->at;
    switch (type) {
    case BSON_DOUBLE:
    case BSON_DATE:
    case BSON_TIMESTAMP:
    case BSON_INT64:
        skyhost_bson_take(r, 8);
        break;
    case BSON_INT32:
        skyhost_bson_take(r, 4);
        break;
    case BSON_BOOLEAN:
        skyhost_bson_take(r, 1);
        break;
    case BSON_OBJECTID:
        skyhost_bson_take(r, 12);
        break;
    case BSON_NULL:
    case BSON_MINKEY:
    case BSON_MAXKEY:
        break;
    case BSON_STRING:
    case BSON_JSCODE:
    case BSON_SYMBOL:
        take_string(r, size);
        break;
    case BSON_DBPOINTER:  // a string, then 12 bytes of object id
        take_string(r, size);
        skyhost_bson_take(r, 12);
        break;
    case BSON_DOCUMENT:
    case BSON_ARRAY: {
        int32_t n = skyhost_bson_take_int32(r);
        if (n < BSON_MIN_DOCUMENT) luaL_error(r->L, "Invalid bson document length %d", (int)n);
        const uint8_t *rest = skyhost_bson_take(r, (size_t)n - 4);
        if (rest[n - 5] != 0) luaL_error(r->L, "Invalid document end");
        break;
    }
    case BSON_CODEWS: {  // its length counts itself, then a string and a document
        int32_t n = skyhost_bson_take_int32(r);
        if (n < 4 + 5 + BSON_MIN_DOCUMENT) luaL_error(r->L, "Invalid bson code with scope length %d", (int)n);
        skyhost_bson_take(r, (size_t)n - 4);
        break;
    }
    case BSON_BINARY: {  // length (of the data), subtype, data
        int32_t n = skyhost_bson_take_int32(r);
        if (n < 0) luaL_error(r->L, "Invalid bson binary length %d", (int)n);
        skyhost_bson_take(r, 1 + (size_t)n);
        break;
    }
    case BSON_REGEX: {
        size_t len;
        skyhost_bson_take_cstring(r, &len);
        skyhost_bson_take_cstring(r, &len);
        break;
    }
    default:
        luaL_error(r->L, "Invalid bson type : %d", type);
    }
    *size = (size_t)(r->at - start);
    return start;
}

/// The table key of an array element named `name` (zero-terminated): the number it starts
/// with, plus one (v1.8.0 reads it with strtol and keeps an int).
static lua_Integer array_key(const char *name) {
    long n = strtol(name, NULL, 10);
    return (lua_Integer)(int32_t)((uint32_t)(unsigned long)n + 1u);
}

static void push_document(struct bson_reader *r, bool array, int depth);

/// Pushes the value of type `type` whose framed bytes are `v` (`size` bytes).
static void push_value(lua_State *L, int type, const uint8_t *v, size_t size, int depth) {
    switch (type) {
    case BSON_DOUBLE: {
        uint64_t bits = bson_get_u64(v);
        double d;
        memcpy(&d, &bits, sizeof d);
        lua_pushnumber(L, (lua_Number)d);
        return;
    }
    case BSON_INT32:
        lua_pushinteger(L, (int32_t)bson_get_u32(v));
        return;
    case BSON_INT64:
        lua_pushinteger(L, (lua_Integer)bson_get_u64(v));
        return;
    case BSON_BOOLEAN:
        lua_pushboolean(L, v[0]);
        return;
    case BSON_STRING:
        lua_pushlstring(L, (const char *)v + 4, size - 5);
        return;
    case BSON_DOCUMENT:
    case BSON_ARRAY: {
        struct bson_reader inner = {L, v, size};
        push_document(&inner, type == BSON_ARRAY, depth + 1);
        return;
    }
    case BSON_BINARY:  // marker: subtype, data
        skyhost_bson_push_marker(L, BSON_BINARY, v + 4, size - 4);
        return;
    case BSON_DATE: {  // marker: whole seconds, in 32 bits
        int64_t ms = (int64_t)bson_get_u64(v);
        uint8_t seconds[4];
        bson_put_u32(seconds, (uint32_t)(uint64_t)(ms / 1000));
        skyhost_bson_push_marker(L, BSON_DATE, seconds, 4);
        return;
    }
    default:  // objectid, timestamp, regex, null, minkey, maxkey, and those passed through
        skyhost_bson_push_marker(L, type, v, size);
        return;
    }
}

/// Pushes the table of the document or array the reader is at (moving past it). The reader
/// is bounded by the enclosing bytes; the document's own length bounds its elements.
static void push_document(struct bson_reader *r, bool array, int depth) {
    lua_State *L = r->L;
    if (depth > DECODE_MAX_DEPTH) {
        luaL_error(L, "bson document nested too deep (more than %d levels)", DECODE_MAX_DEPTH);
    }
    luaL_checkstack(L, 8, "bson: document nested too deep");
    int32_t length = skyhost_bson_take_int32(r);
    if (length < BSON_MIN_DOCUMENT) luaL_error(L, "Invalid bson document length %d", (int)length);
    struct bson_reader elements = {L, skyhost_bson_take(r, (size_t)length - 5), (size_t)length - 5};
    if (skyhost_bson_take_byte(r) != 0) luaL_error(L, "Invalid document end");
    lua_newtable(L);
    while (elements.left > 0) {
        int type = skyhost_bson_take_byte(&elements);
        size_t key_len;
        const char *key = skyhost_bson_take_cstring(&elements, &key_len);
        size_t size;
        const uint8_t *value = skyhost_bson_take_value(&elements, type, &size);
        if (array) {
            lua_pushinteger(L, array_key(key));
        } else {
            lua_pushlstring(L, key, key_len);
        }
        push_value(L, type, value, size, depth);
        lua_rawset(L, -3);
    }
}

/// bson.decode(doc) / doc:decode(): the table of a document object, a string holding one
/// document, or a light userdata pointing at one; nothing for other values.
int skyhost_bson_decode(lua_State *L) {
    struct bson_reader r = {L, NULL, 0};
    switch (lua_type(L, 1)) {
    case LUA_TUSERDATA:
        r.at = lua_touserdata(L, 1);
        r.left = lua_rawlen(L, 1);
        break;
    case LUA_TSTRING: {
        r.at = (const uint8_t *)lua_tolstring(L, 1, &r.left);
        int size = r.left > INT32_MAX ? INT32_MAX : (int)r.left;
        if (r.left < BSON_MIN_DOCUMENT) {
            return luaL_error(L, "Invalid bson document: a string of %d bytes (a document has at least 5)", size);
        }
        if (bson_get_u32(r.at) != r.left) {
            return luaL_error(L, "Invalid bson document: its length prefix says %d bytes, the string has %d",
                              (int)(int32_t)bson_get_u32(r.at), size);
        }
        break;
    }
    case LUA_TLIGHTUSERDATA:
        r.at = lua_touserdata(L, 1);
        if (r.at == NULL) return 0;
        r.left = bson_get_u32(r.at);  // the pointer's owner vouches for the length
        if (r.left > INT32_MAX) return luaL_error(L, "Invalid bson document length %d", (int)(int32_t)r.left);
        break;
    default:
        return 0;
    }
    push_document(&r, false, 1);
    return 1;
}
