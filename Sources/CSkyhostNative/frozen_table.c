// skyhost.frozentable: a Lua table frozen into memory the whole node shares, read by every
// service without a copy in its own heap. It is the one representation under skynet.sharedata,
// skynet.sharetable and skynet.datasheet (their Lua views are lualib/skynet/frozen.lua).
//
// Stock Lua cannot share a table between states, so a frozen table is plain C memory: one arena
// per frozen value (a root), holding every table, string and number reachable from the Lua table
// it was built from, never changed after the build, freed as a whole when its last reference goes.
// Services read it through lightuserdata "nodes" (one per table of the tree); a node stays valid
// as long as the service holds a reference to its root (a `hold` guard collected with the view).
//
//   local root = ft.build(tbl)          freeze tbl (one reference, the builder's); raises on a
//                                       value that cannot be shared (function, userdata, thread)
//   ft.retain(root) / ft.release(root)  references; release frees the root at zero
//   ft.refs(root), ft.size(root)        the reference count, the arena's bytes
//   local guard = ft.hold(root)         a userdata that holds a reference until collected, or
//   ft.unhold(guard)                    until unheld (at once; a second unhold does nothing)
//   ft.node(root)                       the root table's node
//   ft.index(node, key)                 the value at key: a node for a table, nil if absent
//   ft.next(node, key)                  the next key and its value (nodes for tables), as next
//   ft.len(node)                        the border #t would give
//   ft.copy(node)                       a deep copy as plain Lua tables in the caller's heap
//   ft.live() -> count, bytes           the node's live roots and their arenas' bytes
//   ft.indexer(states, slow)            the __index of skynet.frozen's views (see l_indexer)
//
// A root passed as an argument is checked against the node's live roots, so a stale or forged
// pointer in a message gives an error rather than a crash.

#include "skyhost_native.h"
#include <lauxlib.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum ft_type { FT_NIL, FT_FALSE, FT_TRUE, FT_INTEGER, FT_FLOAT, FT_STRING, FT_TABLE };

struct ft_string {
    size_t length;
    uint32_t hash;
    char bytes[];  // NUL-terminated
};

struct ft_table;

struct ft_value {
    uint8_t type;  // enum ft_type
    union {
        lua_Integer integer;
        lua_Number number;
        const struct ft_string *string;
        const struct ft_table *table;
    } as;
};

struct ft_entry {
    struct ft_value key;
    struct ft_value value;
};

/// A frozen table: the keys 1..array_size in `array`; the others in `entries`, in key order
/// (booleans, then numbers, then strings by their bytes), so that every service walks a shared
/// table in the same order, run after run; found through `slots`, an open-addressed index of
/// `slot_count` entries (a power of two, at least twice the entries, 0 = free, else the entry's
/// position + 1) probed linearly.
struct ft_table {
    uint32_t array_size;
    uint32_t entry_count;
    uint32_t slot_count;
    struct ft_value *array;
    struct ft_entry *entries;
    uint32_t *slots;
};

struct ft_chunk {
    struct ft_chunk *next;
    size_t used, capacity;
    _Alignas(max_align_t) unsigned char bytes[];
};

/// One frozen value: its arena and its tree. Linked in the list of live roots.
struct ft_root {
    atomic_int references;
    size_t bytes;
    struct ft_chunk *chunks;
    const struct ft_table *table;
    struct ft_root *previous_live, *next_live;
};

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ft_root *live_roots;

// ---------------------------------------------------------------------------------------------
// The arena

#define FT_CHUNK_SIZE (64 * 1024)

static void *arena_alloc(struct ft_root *root, size_t size) {
    size = (size + 15) & ~(size_t)15;
    struct ft_chunk *chunk = root->chunks;
    if (chunk == NULL || chunk->capacity - chunk->used < size) {
        size_t capacity = size > FT_CHUNK_SIZE ? size : FT_CHUNK_SIZE;
        chunk = malloc(sizeof *chunk + capacity);
        if (chunk == NULL) return NULL;
        chunk->used = 0;
        chunk->capacity = capacity;
        chunk->next = root->chunks;
        root->chunks = chunk;
        root->bytes += sizeof *chunk + capacity;
    }
    void *p = chunk->bytes + chunk->used;
    chunk->used += size;
    return p;
}

static void root_free(struct ft_root *root) {
    struct ft_chunk *chunk = root->chunks;
    while (chunk != NULL) {
        struct ft_chunk *next = chunk->next;
        free(chunk);
        chunk = next;
    }
    free(root);
}

static void live_insert(struct ft_root *root) {
    pthread_mutex_lock(&live_lock);
    root->previous_live = NULL;
    root->next_live = live_roots;
    if (live_roots != NULL) live_roots->previous_live = root;
    live_roots = root;
    pthread_mutex_unlock(&live_lock);
}

/// Drops a reference; the last one unlinks and frees the root. Returns the references left.
static int root_release(struct ft_root *root) {
    int left = atomic_fetch_sub(&root->references, 1) - 1;
    if (left == 0) {
        pthread_mutex_lock(&live_lock);
        if (root->previous_live != NULL) root->previous_live->next_live = root->next_live;
        else live_roots = root->next_live;
        if (root->next_live != NULL) root->next_live->previous_live = root->previous_live;
        pthread_mutex_unlock(&live_lock);
        root_free(root);
    }
    return left;
}

/// The root at argument `index`, which must be a live one; raises otherwise.
static struct ft_root *check_root(lua_State *L, int index) {
    luaL_checktype(L, index, LUA_TLIGHTUSERDATA);
    struct ft_root *wanted = lua_touserdata(L, index);
    pthread_mutex_lock(&live_lock);
    struct ft_root *root = live_roots;
    while (root != NULL && root != wanted) root = root->next_live;
    pthread_mutex_unlock(&live_lock);
    if (root == NULL) luaL_error(L, "not a live shared table (a stale or unknown pointer)");
    return root;
}

// ---------------------------------------------------------------------------------------------
// Keys

static uint32_t hash_bytes(const char *s, size_t length) {
    uint32_t h = 2166136261u;  // FNV-1a
    for (size_t i = 0; i < length; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static uint32_t hash_integer(lua_Integer i) {
    uint64_t x = (uint64_t)i;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (uint32_t)x;
}

static uint32_t hash_value(const struct ft_value *v) {
    switch (v->type) {
    case FT_FALSE: return 0x9e3779b9u;
    case FT_TRUE: return 0x7f4a7c15u;
    case FT_INTEGER: return hash_integer(v->as.integer);
    case FT_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &v->as.number, sizeof bits);
        return hash_integer((lua_Integer)bits);
    }
    case FT_STRING: return v->as.string->hash;
    default: return 0;
    }
}

/// Whether the frozen key `k` equals the Lua key of the same type described by `probe`.
static int same_key(const struct ft_value *k, const struct ft_value *probe, const char *s, size_t length) {
    if (k->type != probe->type) return 0;
    switch (k->type) {
    case FT_FALSE:
    case FT_TRUE: return 1;
    case FT_INTEGER: return k->as.integer == probe->as.integer;
    case FT_FLOAT: return k->as.number == probe->as.number;
    case FT_STRING: return k->as.string->length == length && memcmp(k->as.string->bytes, s, length) == 0;
    default: return 0;
    }
}

/// The probe for the Lua value at `index` as a key: returns 0 when it can be no key of a frozen
/// table (nil, NaN, a table, ...). A float with an integral value is the integer, as in Lua.
static int key_of(lua_State *L, int index, struct ft_value *probe, const char **s, size_t *length, uint32_t *hash) {
    *s = NULL;
    *length = 0;
    switch (lua_type(L, index)) {
    case LUA_TBOOLEAN: probe->type = lua_toboolean(L, index) ? FT_TRUE : FT_FALSE; break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, index)) {
            probe->type = FT_INTEGER;
            probe->as.integer = lua_tointeger(L, index);
        } else {
            lua_Number n = lua_tonumber(L, index);
            lua_Integer i;
            if (isnan(n)) return 0;
            if (lua_numbertointeger(n, &i) && (lua_Number)i == n) {
                probe->type = FT_INTEGER;
                probe->as.integer = i;
            } else {
                probe->type = FT_FLOAT;
                probe->as.number = n;
            }
        }
        break;
    case LUA_TSTRING:
        probe->type = FT_STRING;
        *s = lua_tolstring(L, index, length);
        *hash = hash_bytes(*s, *length);
        return 1;
    default: return 0;
    }
    *hash = hash_value(probe);
    return 1;
}

static const struct ft_entry *find_entry(const struct ft_table *t, const struct ft_value *probe, const char *s,
                                         size_t length, uint32_t hash) {
    if (t->slot_count == 0) return NULL;
    uint32_t mask = t->slot_count - 1;
    for (uint32_t i = hash & mask;; i = (i + 1) & mask) {
        uint32_t slot = t->slots[i];
        if (slot == 0) return NULL;
        const struct ft_entry *e = &t->entries[slot - 1];
        if (same_key(&e->key, probe, s, length)) return e;
    }
}

/// The value at the Lua key at `index` of the stack, or NULL.
static const struct ft_value *lookup(lua_State *L, const struct ft_table *t, int index) {
    struct ft_value probe;
    const char *s;
    size_t length;
    uint32_t hash;
    if (!key_of(L, index, &probe, &s, &length, &hash)) return NULL;
    if (probe.type == FT_INTEGER && probe.as.integer >= 1 && (lua_Unsigned)probe.as.integer <= t->array_size)
        return &t->array[probe.as.integer - 1];
    const struct ft_entry *e = find_entry(t, &probe, s, length, hash);
    return e ? &e->value : NULL;
}

// ---------------------------------------------------------------------------------------------
// Freezing a Lua table

/// What a build carries: the root being filled, and (at stack index `seen`) a Lua table mapping
/// each source table already frozen to its node and each string already copied to its copy, so
/// that a table reached twice is one node and a string used twice is one copy.
struct ft_build {
    struct ft_root *root;
    int seen;
    int depth;
};

#define FT_MAX_DEPTH 200

static void *build_alloc(lua_State *L, struct ft_build *b, size_t size) {
    void *p = arena_alloc(b->root, size);
    if (p == NULL) luaL_error(L, "not enough memory to share the table");
    return p;
}

static const struct ft_table *freeze_table(lua_State *L, struct ft_build *b, int index);

static const struct ft_string *freeze_string(lua_State *L, struct ft_build *b, int index) {
    lua_pushvalue(L, index);
    if (lua_rawget(L, b->seen) == LUA_TLIGHTUSERDATA) {
        const struct ft_string *s = lua_touserdata(L, -1);
        lua_pop(L, 1);
        return s;
    }
    lua_pop(L, 1);
    size_t length;
    const char *bytes = lua_tolstring(L, index, &length);
    struct ft_string *s = build_alloc(L, b, sizeof *s + length + 1);
    s->length = length;
    s->hash = hash_bytes(bytes, length);
    memcpy(s->bytes, bytes, length);
    s->bytes[length] = '\0';
    lua_pushvalue(L, index);
    lua_pushlightuserdata(L, s);
    lua_rawset(L, b->seen);
    return s;
}

/// Freezes the value at `index` into `out` (as a key when `is_key`: an integral float is the
/// integer, a table is refused).
static void freeze_value(lua_State *L, struct ft_build *b, int index, struct ft_value *out, int is_key) {
    index = lua_absindex(L, index);
    switch (lua_type(L, index)) {
    case LUA_TBOOLEAN: out->type = lua_toboolean(L, index) ? FT_TRUE : FT_FALSE; return;
    case LUA_TNUMBER:
        if (lua_isinteger(L, index)) {
            out->type = FT_INTEGER;
            out->as.integer = lua_tointeger(L, index);
        } else {
            lua_Number n = lua_tonumber(L, index);
            lua_Integer i;
            if (is_key && lua_numbertointeger(n, &i) && (lua_Number)i == n) {
                out->type = FT_INTEGER;
                out->as.integer = i;
            } else {
                out->type = FT_FLOAT;
                out->as.number = n;
            }
        }
        return;
    case LUA_TSTRING:
        out->type = FT_STRING;
        out->as.string = freeze_string(L, b, index);
        return;
    case LUA_TTABLE:
        if (is_key) luaL_error(L, "a shared table cannot have a table as a key");
        out->type = FT_TABLE;
        out->as.table = freeze_table(L, b, index);
        return;
    default:
        luaL_error(L, "a shared table cannot hold a %s %s", luaL_typename(L, index), is_key ? "key" : "value");
    }
}

/// The order of the entries: booleans (false first), numbers (integers and floats by value),
/// strings (by their bytes, a prefix first).
static int compare_entries(const void *a, const void *b) {
    const struct ft_value *x = &((const struct ft_entry *)a)->key, *y = &((const struct ft_entry *)b)->key;
    int rank_x = x->type == FT_STRING ? 2 : (x->type == FT_INTEGER || x->type == FT_FLOAT) ? 1 : 0;
    int rank_y = y->type == FT_STRING ? 2 : (y->type == FT_INTEGER || y->type == FT_FLOAT) ? 1 : 0;
    if (rank_x != rank_y) return rank_x - rank_y;
    if (rank_x == 0) return (int)x->type - (int)y->type;
    if (rank_x == 1) {
        if (x->type == FT_INTEGER && y->type == FT_INTEGER)
            return x->as.integer < y->as.integer ? -1 : x->as.integer > y->as.integer;
        lua_Number nx = x->type == FT_INTEGER ? (lua_Number)x->as.integer : x->as.number;
        lua_Number ny = y->type == FT_INTEGER ? (lua_Number)y->as.integer : y->as.number;
        return nx < ny ? -1 : nx > ny;
    }
    size_t lx = x->as.string->length, ly = y->as.string->length;
    int c = memcmp(x->as.string->bytes, y->as.string->bytes, lx < ly ? lx : ly);
    return c != 0 ? c : (lx < ly ? -1 : lx > ly);
}

static const struct ft_table *freeze_table(lua_State *L, struct ft_build *b, int index) {
    index = lua_absindex(L, index);
    lua_pushvalue(L, index);
    if (lua_rawget(L, b->seen) == LUA_TLIGHTUSERDATA) {
        const struct ft_table *t = lua_touserdata(L, -1);
        lua_pop(L, 1);
        return t;
    }
    lua_pop(L, 1);
    if (++b->depth > FT_MAX_DEPTH) luaL_error(L, "a shared table nests deeper than %d tables", FT_MAX_DEPTH);
    luaL_checkstack(L, 8, "sharing a table");

    // The array part: the keys 1..n, every one present (so #t is n, as Lua answers for a sequence).
    uint32_t array_size = 0;
    while (array_size < UINT32_MAX / 2 && lua_rawgeti(L, index, (lua_Integer)array_size + 1) != LUA_TNIL) {
        lua_pop(L, 1);
        array_size++;
    }
    lua_pop(L, 1);
    uint32_t others = 0;
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
        lua_pop(L, 1);
        if (!(lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 && lua_tointeger(L, -1) <= (lua_Integer)array_size)) {
            if (lua_type(L, -1) == LUA_TNUMBER && isnan(lua_tonumber(L, -1)))
                luaL_error(L, "a shared table cannot have NaN as a key");
            others++;
        }
    }
    uint32_t slot_count = 0;
    if (others > 0) {
        slot_count = 4;
        while (slot_count < others * 2) slot_count *= 2;
    }

    struct ft_table *t = build_alloc(L, b, sizeof *t);
    t->array_size = array_size;
    t->entry_count = 0;
    t->slot_count = slot_count;
    t->array = array_size ? build_alloc(L, b, sizeof(struct ft_value) * array_size) : NULL;
    t->entries = others ? build_alloc(L, b, sizeof(struct ft_entry) * others) : NULL;
    t->slots = slot_count ? build_alloc(L, b, sizeof(uint32_t) * slot_count) : NULL;
    if (slot_count) memset(t->slots, 0, sizeof(uint32_t) * slot_count);
    // Registered before its values, so that a cycle back to it finds it.
    lua_pushvalue(L, index);
    lua_pushlightuserdata(L, t);
    lua_rawset(L, b->seen);

    for (uint32_t i = 0; i < array_size; i++) {
        lua_rawgeti(L, index, (lua_Integer)i + 1);
        freeze_value(L, b, -1, &t->array[i], 0);
        lua_pop(L, 1);
    }
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
        if (lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 && lua_tointeger(L, -2) <= (lua_Integer)array_size) {
            lua_pop(L, 1);
            continue;
        }
        struct ft_entry *e = &t->entries[t->entry_count++];
        freeze_value(L, b, -2, &e->key, 1);
        freeze_value(L, b, -1, &e->value, 0);
        lua_pop(L, 1);
    }
    qsort(t->entries, t->entry_count, sizeof *t->entries, compare_entries);
    for (uint32_t n = 0; n < t->entry_count; n++) {
        uint32_t mask = slot_count - 1, i = hash_value(&t->entries[n].key) & mask;
        while (t->slots[i] != 0) i = (i + 1) & mask;
        t->slots[i] = n + 1;
    }
    b->depth--;
    return t;
}

/// build(tbl), protected: fills the root given as argument 2 from the table of argument 1.
static int build_protected(lua_State *L) {
    struct ft_root *root = lua_touserdata(L, 2);
    lua_settop(L, 1);
    lua_newtable(L);
    struct ft_build b = { root, 2, 0 };
    root->table = freeze_table(L, &b, 1);
    return 0;
}

static int l_build(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    struct ft_root *root = calloc(1, sizeof *root);
    if (root == NULL) return luaL_error(L, "not enough memory to share the table");
    atomic_init(&root->references, 1);
    lua_pushcfunction(L, build_protected);
    lua_pushvalue(L, 1);
    lua_pushlightuserdata(L, root);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        root_free(root);
        return lua_error(L);
    }
    live_insert(root);
    lua_pushlightuserdata(L, root);
    return 1;
}

// ---------------------------------------------------------------------------------------------
// Reading

static void push_value(lua_State *L, const struct ft_value *v) {
    switch (v->type) {
    case FT_FALSE: lua_pushboolean(L, 0); break;
    case FT_TRUE: lua_pushboolean(L, 1); break;
    case FT_INTEGER: lua_pushinteger(L, v->as.integer); break;
    case FT_FLOAT: lua_pushnumber(L, v->as.number); break;
    case FT_STRING: lua_pushlstring(L, v->as.string->bytes, v->as.string->length); break;
    case FT_TABLE: lua_pushlightuserdata(L, (void *)v->as.table); break;
    default: lua_pushnil(L); break;
    }
}

static const struct ft_table *check_node(lua_State *L, int index) {
    luaL_checktype(L, index, LUA_TLIGHTUSERDATA);
    return lua_touserdata(L, index);
}

static int l_index(lua_State *L) {
    const struct ft_table *t = check_node(L, 1);
    const struct ft_value *v = lookup(L, t, 2);
    if (v == NULL) lua_pushnil(L);
    else push_value(L, v);
    return 1;
}

/// next(node, key): the array part first, then the entries in key order.
static int l_next(lua_State *L) {
    const struct ft_table *t = check_node(L, 1);
    uint64_t position = 0;  // 0..array_size-1 array, then array_size + slot
    if (!lua_isnoneornil(L, 2)) {
        lua_Integer i = lua_isinteger(L, 2) ? lua_tointeger(L, 2) : 0;
        if (i >= 1 && (lua_Unsigned)i <= t->array_size) {
            position = (uint64_t)i;
        } else {
            struct ft_value probe;
            const char *s;
            size_t length;
            uint32_t hash;
            const struct ft_entry *e = NULL;
            if (key_of(L, 2, &probe, &s, &length, &hash)) e = find_entry(t, &probe, s, length, hash);
            if (e == NULL) return luaL_error(L, "invalid key to 'next'");
            position = t->array_size + (uint64_t)(e - t->entries) + 1;
        }
    }
    if (position < t->array_size) {
        lua_pushinteger(L, (lua_Integer)position + 1);
        push_value(L, &t->array[position]);
        return 2;
    }
    uint64_t n = position - t->array_size;
    if (n < t->entry_count) {
        push_value(L, &t->entries[n].key);
        push_value(L, &t->entries[n].value);
        return 2;
    }
    lua_pushnil(L);
    return 1;
}

/// A view's __index, the common case in C: `states` (upvalue 1) maps the view to its state
/// { node, version, source = { version } }; when the state's version is its source's, the value
/// at the key is read from the node at once, unless it is a table. Every other case (a rebind to
/// follow, a subtable to wrap in a view) is `slow(view, key)` (upvalue 2), skynet.frozen's Lua.
/// The field names are upvalues 3 to 5, so that reading a field hashes no C string.
#define VIEW_VERSION lua_upvalueindex(3)
#define VIEW_SOURCE lua_upvalueindex(4)
#define VIEW_NODE lua_upvalueindex(5)

static int view_index(lua_State *L) {
    lua_settop(L, 2);
    lua_pushvalue(L, 1);
    if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TTABLE) {  // 3: state
        lua_pushvalue(L, VIEW_VERSION);
        lua_rawget(L, 3);                                    // 4: its version
        lua_pushvalue(L, VIEW_SOURCE);
        if (lua_rawget(L, 3) == LUA_TTABLE) {                // 5: source
            lua_pushvalue(L, VIEW_VERSION);
            lua_rawget(L, 5);                                // 6: the source's version
            lua_pushvalue(L, VIEW_NODE);
            if (lua_rawequal(L, 4, 6) && lua_rawget(L, 3) == LUA_TLIGHTUSERDATA) {
                const struct ft_value *v = lookup(L, lua_touserdata(L, -1), 2);
                if (v == NULL) {
                    lua_pushnil(L);
                    return 1;
                }
                if (v->type != FT_TABLE) {
                    push_value(L, v);
                    return 1;
                }
            }
        }
    }
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

static int l_indexer(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    lua_pushliteral(L, "version");
    lua_pushliteral(L, "source");
    lua_pushliteral(L, "node");
    lua_pushcclosure(L, view_index, 5);
    return 1;
}

static int l_len(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)check_node(L, 1)->array_size);
    return 1;
}

static void copy_table(lua_State *L, const struct ft_table *t, int depth) {
    if (depth > FT_MAX_DEPTH) luaL_error(L, "a shared table nests deeper than %d tables", FT_MAX_DEPTH);
    luaL_checkstack(L, 6, "copying a shared table");
    lua_createtable(L, (int)t->array_size, (int)t->entry_count);
    for (uint32_t i = 0; i < t->array_size; i++) {
        if (t->array[i].type == FT_TABLE) copy_table(L, t->array[i].as.table, depth + 1);
        else push_value(L, &t->array[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    for (uint32_t i = 0; i < t->entry_count; i++) {
        const struct ft_entry *e = &t->entries[i];
        push_value(L, &e->key);
        if (e->value.type == FT_TABLE) copy_table(L, e->value.as.table, depth + 1);
        else push_value(L, &e->value);
        lua_rawset(L, -3);
    }
}

static int l_copy(lua_State *L) {
    copy_table(L, check_node(L, 1), 0);
    return 1;
}

// ---------------------------------------------------------------------------------------------
// References

static int l_retain(lua_State *L) {
    struct ft_root *root = check_root(L, 1);
    lua_pushinteger(L, atomic_fetch_add(&root->references, 1) + 1);
    return 1;
}

static int l_release(lua_State *L) {
    lua_pushinteger(L, root_release(check_root(L, 1)));
    return 1;
}

static int l_refs(lua_State *L) {
    lua_pushinteger(L, atomic_load(&check_root(L, 1)->references));
    return 1;
}

static int l_size(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)check_root(L, 1)->bytes);
    return 1;
}

static int l_node(lua_State *L) {
    lua_pushlightuserdata(L, (void *)check_root(L, 1)->table);
    return 1;
}

static int l_live(lua_State *L) {
    lua_Integer count = 0, bytes = 0;
    pthread_mutex_lock(&live_lock);
    for (struct ft_root *root = live_roots; root != NULL; root = root->next_live) {
        count++;
        bytes += (lua_Integer)root->bytes;
    }
    pthread_mutex_unlock(&live_lock);
    lua_pushinteger(L, count);
    lua_pushinteger(L, bytes);
    return 2;
}

#define FT_GUARD "skyhost.frozentable.guard"

static int l_guard_gc(lua_State *L) {
    struct ft_root **slot = luaL_checkudata(L, 1, FT_GUARD);
    if (*slot != NULL) {
        root_release(*slot);
        *slot = NULL;
    }
    return 0;
}

static int l_unhold(lua_State *L) {
    return l_guard_gc(L);
}

static int l_hold(lua_State *L) {
    struct ft_root *root = check_root(L, 1);
    struct ft_root **slot = lua_newuserdatauv(L, sizeof *slot, 0);
    *slot = NULL;
    luaL_setmetatable(L, FT_GUARD);
    atomic_fetch_add(&root->references, 1);
    *slot = root;
    return 1;
}

static int open_frozentable(lua_State *L) {
    static const luaL_Reg functions[] = {
        { "build", l_build },       { "retain", l_retain }, { "release", l_release }, { "refs", l_refs },
        { "size", l_size },         { "hold", l_hold },
        { "node", l_node },         { "index", l_index },   { "next", l_next },       { "len", l_len },
        { "copy", l_copy },         { "live", l_live },     { "unhold", l_unhold },
        { "indexer", l_indexer },   { NULL, NULL },
    };
    if (luaL_newmetatable(L, FT_GUARD)) {
        lua_pushcfunction(L, l_guard_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    luaL_newlib(L, functions);
    return 1;
}

int skyhost_open_frozentable(lua_State *L) {
    lua_pushcfunction(L, open_frozentable);
    return lua_pcall(L, 0, 1, 0);
}
