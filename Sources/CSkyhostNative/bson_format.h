#ifndef SKYHOST_BSON_FORMAT_H
#define SKYHOST_BSON_FORMAT_H

// What the files of the `bson` module (bson_*.c) share: the BSON type codes, how a Lua value
// stands for a BSON value that Lua has no type for, the little-endian byte order of the format,
// and the bounded reader that every function reading BSON bytes goes through.
//
// A BSON value without a Lua counterpart is a "marker": a Lua string whose first byte is 0 and
// whose second is the BSON type, followed by the value's bytes (Skynet v1.8.0's representation,
// which its mongo driver and services rely on):
//   binary      "\0\x05" subtype data
//   objectid    "\0\x07" 12 bytes
//   date        "\0\x09" int32 seconds (little-endian)
//   timestamp   "\0\x11" uint32 increment, uint32 seconds
//   regex       "\0\x0b" pattern "\0" options "\0"
//   null, minkey, maxkey   "\0\x0a", "\0\xff", "\0\x7f"
//   int64       "\0\x12" 8 bytes
//   javascript, symbol, code with scope, dbpointer   "\0" type, then the value's bytes as BSON
//               has them (Skyhost passes them through without reading them)

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#define BSON_DOUBLE 0x01
#define BSON_STRING 0x02
#define BSON_DOCUMENT 0x03
#define BSON_ARRAY 0x04
#define BSON_BINARY 0x05
#define BSON_OBJECTID 0x07
#define BSON_BOOLEAN 0x08
#define BSON_DATE 0x09
#define BSON_NULL 0x0a
#define BSON_REGEX 0x0b
#define BSON_DBPOINTER 0x0c
#define BSON_JSCODE 0x0d
#define BSON_SYMBOL 0x0e
#define BSON_CODEWS 0x0f
#define BSON_INT32 0x10
#define BSON_TIMESTAMP 0x11
#define BSON_INT64 0x12
#define BSON_MAXKEY 0x7f
#define BSON_MINKEY 0xff

/// The registry name of the document objects' metatable (luaL_checkudata says "bson expected").
#define BSON_DOCUMENT_META "bson"

/// The smallest document: its length and its final zero.
#define BSON_MIN_DOCUMENT 5

/// The little-endian uint32 at p.
static inline uint32_t bson_get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/// The little-endian uint64 at p.
static inline uint64_t bson_get_u64(const uint8_t *p) {
    return (uint64_t)bson_get_u32(p) | (uint64_t)bson_get_u32(p + 4) << 32;
}

/// Writes v at p, little-endian.
static inline void bson_put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/// Writes v at p, little-endian.
static inline void bson_put_u64(uint8_t *p, uint64_t v) {
    bson_put_u32(p, (uint32_t)v);
    bson_put_u32(p + 4, (uint32_t)(v >> 32));
}

/// Bytes being read: `left` bytes from `at`. Every read checks that the bytes are there and
/// raises a Lua error on L (with the caller's position) when they are not.
struct bson_reader {
    lua_State *L;
    const uint8_t *at;
    size_t left;
};

/// The next `n` bytes (the reader moves past them); raises if fewer are left.
const uint8_t *skyhost_bson_take(struct bson_reader *r, size_t n);
/// The next byte.
int skyhost_bson_take_byte(struct bson_reader *r);
/// The next little-endian int32.
int32_t skyhost_bson_take_int32(struct bson_reader *r);
/// The next zero-terminated string (its length without the zero in *len); raises if no zero
/// is left.
const char *skyhost_bson_take_cstring(struct bson_reader *r, size_t *len);
/// Checks the framing of the next value of BSON type `type` (its length fields, terminators
/// and that all its bytes are there; a document's or array's elements are not read) and moves
/// past it; returns its first byte and its size in *size. Raises on a type v1.8.0 does not
/// decode (undefined, decimal128, unknown codes) and on bytes that do not frame a value.
const uint8_t *skyhost_bson_take_value(struct bson_reader *r, int type, size_t *size);

/// Pushes the marker of BSON type `type` with the `n` bytes of `value` (bson_values.c). Raises
/// when out of memory.
void skyhost_bson_push_marker(lua_State *L, int type, const void *value, size_t n);

/// Pushes a document object (full userdata with BSON_DOCUMENT_META) holding a copy of
/// `size` bytes. Raises when out of memory.
void skyhost_bson_push_document(lua_State *L, const void *bytes, size_t size);

// The module's functions (lua_CFunctions), by the file that has them.

/// bson.encode / bson.encode_order (bson_encode.c).
int skyhost_bson_encode(lua_State *L);
int skyhost_bson_encode_order(lua_State *L);
/// bson.decode and a document object's decode method (bson_decode.c).
int skyhost_bson_decode(lua_State *L);
/// bson.date, bson.timestamp, bson.regex, bson.binary, bson.int64 and bson.type (bson_values.c).
int skyhost_bson_date(lua_State *L);
int skyhost_bson_timestamp(lua_State *L);
int skyhost_bson_regex(lua_State *L);
int skyhost_bson_binary(lua_State *L);
int skyhost_bson_int64(lua_State *L);
int skyhost_bson_type(lua_State *L);
/// bson.objectid (bson_objectid.c).
int skyhost_bson_objectid(lua_State *L);

#endif
