#!/usr/bin/python3
# Generates engine/command_meta_data.inc: the COMMAND INFO / COMMAND DOCS metadata that Aegisr
# serves, for the commands listed below. Run by hand; the output is committed.
"""Generate Aegisr's command metadata from a running Redis 7.0 server.

Usage: tools/gen_command_meta.py [--port PORT] [--out engine/command_meta_data.inc]

Without --port a redis-server is started on a free port and stopped afterwards.

The factual structure (arity, flags, first/last/step, ACL categories, tips, key specs, argument
names, types, tokens and flags) is taken from the reference server. Prose is not: every "summary"
is replaced by our own wording from SUMMARIES below, and "complexity", "history", "replaced_by"
and key-spec "notes" are dropped. A command missing from SUMMARIES is an error.
"""

import argparse
import os
import random
import socket
import subprocess
import sys
import time

# Our own one-line descriptions (these are what COMMAND DOCS reports as "summary").
SUMMARIES = {
    # strings
    "append": "Appends bytes to a string value, creating the key if needed",
    "decr": "Subtracts one from an integer value",
    "decrby": "Subtracts a given amount from an integer value",
    "get": "Returns a string value",
    "getdel": "Returns a string value and removes the key",
    "getex": "Returns a string value and changes or removes its expiry",
    "getrange": "Returns part of a string value",
    "getset": "Stores a string value and returns the previous one",
    "incr": "Adds one to an integer value",
    "incrby": "Adds a given amount to an integer value",
    "incrbyfloat": "Adds a floating point amount to a numeric value",
    "lcs": "Finds the longest common subsequence of two string values",
    "mget": "Returns several string values",
    "mset": "Stores several string values",
    "msetnx": "Stores several string values only if none of the keys exist",
    "psetex": "Stores a string value with an expiry in milliseconds",
    "set": "Stores a string value, with optional conditions and expiry",
    "setex": "Stores a string value with an expiry in seconds",
    "setnx": "Stores a string value only if the key is absent",
    "setrange": "Overwrites part of a string value at an offset",
    "strlen": "Returns the length in bytes of a string value",
    "substr": "Returns part of a string value (older name of GETRANGE)",
    # bitmaps
    "bitcount": "Counts the set bits of a string value, optionally within a byte or bit range",
    "bitfield": "Reads, writes and increments integer fields at bit offsets of a string value",
    "bitfield_ro": "Reads integer fields at bit offsets of a string value",
    "bitop": "Stores the bitwise AND, OR, XOR or NOT of string values in a key",
    "bitpos": "Finds the first set or clear bit of a string value, optionally within a range",
    "getbit": "Returns the bit at an offset of a string value",
    "setbit": "Sets or clears the bit at an offset of a string value, creating the key if needed",
    # lists
    "blmove": "Moves an element between lists, waiting for one if the source is empty",
    "blmpop": "Pops elements from the first non-empty list, waiting for one if all are empty",
    "blpop": "Removes and returns the head of the first non-empty list, waiting if all are empty",
    "brpop": "Removes and returns the tail of the first non-empty list, waiting if all are empty",
    "brpoplpush": "Moves the tail of a list onto the head of another, waiting if it is empty",
    "linsert": "Inserts an element before or after another in a list",
    "lindex": "Returns the element at an index of a list",
    "llen": "Returns the number of elements of a list",
    "lmove": "Pops an element from one end of a list and pushes it onto an end of another",
    "lmpop": "Pops elements from the first non-empty list of several keys",
    "lpop": "Removes and returns elements from the head of a list",
    "lpos": "Returns the positions of elements equal to a value in a list",
    "lpush": "Adds elements at the head of a list, creating it if needed",
    "lpushx": "Adds elements at the head of a list that exists",
    "lrange": "Returns a range of elements of a list",
    "lrem": "Removes elements equal to a value from a list",
    "lset": "Replaces the element at an index of a list",
    "ltrim": "Keeps only a range of elements of a list",
    "rpop": "Removes and returns elements from the tail of a list",
    "rpoplpush": "Pops the tail of a list and pushes it onto the head of another",
    "rpush": "Adds elements at the tail of a list, creating it if needed",
    "rpushx": "Adds elements at the tail of a list that exists",
    # hashes
    "hdel": "Removes fields from a hash",
    "hexists": "Tells whether a field exists in a hash",
    "hget": "Returns the value of a field of a hash",
    "hgetall": "Returns every field and value of a hash",
    "hincrby": "Adds an integer amount to a numeric field of a hash",
    "hincrbyfloat": "Adds a floating point amount to a numeric field of a hash",
    "hkeys": "Returns the field names of a hash",
    "hlen": "Returns the number of fields of a hash",
    "hmget": "Returns the values of several fields of a hash",
    "hmset": "Stores several fields of a hash (older form of HSET)",
    "hrandfield": "Returns random fields of a hash, optionally with their values",
    "hscan": "Iterates over the fields and values of a hash",
    "hset": "Stores fields of a hash, creating it if needed",
    "hsetnx": "Stores a field of a hash only if the field is absent",
    "hstrlen": "Returns the length in bytes of a field's value in a hash",
    "hvals": "Returns the values of a hash",
    # hash field expiry (Redis 7.4; described by hand below, see HAND_WRITTEN)
    "hexpire": "Gives hash fields a time to live in seconds",
    "hexpireat": "Gives hash fields an expiry time as a Unix time in seconds",
    "hexpiretime": "Returns the expiry times of hash fields as Unix times in seconds",
    "hpersist": "Removes the time to live of hash fields",
    "hpexpire": "Gives hash fields a time to live in milliseconds",
    "hpexpireat": "Gives hash fields an expiry time as a Unix time in milliseconds",
    "hpexpiretime": "Returns the expiry times of hash fields as Unix times in milliseconds",
    "hpttl": "Returns the remaining time to live of hash fields in milliseconds",
    "httl": "Returns the remaining time to live of hash fields in seconds",
    # sets
    "sadd": "Adds members to a set, creating it if needed",
    "scard": "Returns the number of members of a set",
    "sdiff": "Returns the members of the first set that are in none of the others",
    "sdiffstore": "Stores the members of the first set that are in none of the others",
    "sinter": "Returns the members common to several sets",
    "sintercard": "Counts the members common to several sets, up to an optional limit",
    "sinterstore": "Stores the members common to several sets",
    "sismember": "Tells whether a value is a member of a set",
    "smembers": "Returns every member of a set",
    "smismember": "Tells for each of several values whether it is a member of a set",
    "smove": "Moves a member from one set to another",
    "spop": "Removes and returns random members of a set",
    "srandmember": "Returns random members of a set without removing them",
    "srem": "Removes members from a set",
    "sscan": "Iterates over the members of a set, a few at a time",
    "sunion": "Returns the members found in any of several sets",
    "sunionstore": "Stores the members found in any of several sets",
    # generic keyspace
    "copy": "Duplicates a key's value under another name",
    "del": "Removes keys",
    "dump": "Returns a key's value in serialized form",
    "exists": "Counts how many of the given keys exist",
    "expire": "Gives a key a time to live in seconds",
    "expireat": "Gives a key an expiry time as a Unix time in seconds",
    "expiretime": "Returns a key's expiry time as a Unix time in seconds",
    "keys": "Returns the key names matching a glob pattern",
    "migrate": "Moves keys to another server",
    "move": "Moves a key into another database",
    "object": "Container for object introspection subcommands",
    "object|encoding": "Returns the internal encoding of a key's value",
    "object|freq": "Returns the access frequency counter of a key",
    "object|help": "Lists the OBJECT subcommands",
    "object|idletime": "Returns the seconds since a key was last accessed",
    "object|refcount": "Returns the reference count of a key's value",
    "persist": "Removes a key's expiry",
    "pexpire": "Gives a key a time to live in milliseconds",
    "pexpireat": "Gives a key an expiry time as a Unix time in milliseconds",
    "pexpiretime": "Returns a key's expiry time as a Unix time in milliseconds",
    "pttl": "Returns a key's remaining time to live in milliseconds",
    "randomkey": "Returns a key name picked at random",
    "rename": "Gives a key a new name, replacing any key of that name",
    "renamenx": "Gives a key a new name only if that name is free",
    "restore": "Creates a key from a serialized value",
    "scan": "Iterates over key names with a cursor",
    "sort": "Sorts the elements of a list, set or sorted set, optionally storing them",
    "sort_ro": "Sorts the elements of a list, set or sorted set (read-only form)",
    "touch": "Updates the access time of keys and counts those that exist",
    "ttl": "Returns a key's remaining time to live in seconds",
    "type": "Returns the type of a key's value",
    "unlink": "Removes keys, freeing their memory in the background",
    "wait": "Waits for replicas to acknowledge earlier writes",
    # connection
    "auth": "Authenticates the connection",
    "client": "Container for client connection subcommands",
    "client|caching": "Controls key tracking for the next command",
    "client|getname": "Returns the connection's name",
    "client|getredir": "Returns the client id that tracking notifications are sent to",
    "client|help": "Lists the CLIENT subcommands",
    "client|id": "Returns the connection's client id",
    "client|info": "Describes the connection itself",
    "client|kill": "Closes client connections chosen by filters",
    "client|list": "Describes the client connections",
    "client|no-evict": "Sets whether the connection may be evicted",
    "client|pause": "Suspends command processing for a while",
    "client|reply": "Controls whether the server replies to the connection",
    "client|setname": "Gives the connection a name",
    "client|tracking": "Switches server-assisted client-side caching on or off",
    "client|trackinginfo": "Describes the connection's key tracking state",
    "client|unblock": "Wakes a client blocked in a blocking command",
    "client|unpause": "Resumes command processing after a pause",
    "echo": "Returns its argument",
    "hello": "Negotiates the protocol version and optionally authenticates",
    "ping": "Checks that the server answers",
    "quit": "Closes the connection",
    "reset": "Returns the connection to its initial state",
    "select": "Switches the connection to another database",
    # server
    "bgsave": "Saves the data set in the background",
    "command": "Describes the commands the server knows",
    "command|count": "Returns the number of commands",
    "command|docs": "Returns documentation of commands",
    "command|getkeys": "Extracts the key names from a full command line",
    "command|getkeysandflags": "Extracts the key names and their access flags from a command line",
    "command|help": "Lists the COMMAND subcommands",
    "command|info": "Describes the given commands",
    "command|list": "Returns command names, optionally filtered",
    "config": "Container for configuration subcommands",
    "config|get": "Returns configuration values matching patterns",
    "config|help": "Lists the CONFIG subcommands",
    "config|resetstat": "Resets the server's statistics",
    "config|rewrite": "Writes the running configuration to the config file",
    "config|set": "Changes configuration values at run time",
    "dbsize": "Returns the number of keys in the selected database",
    "debug": "Debugging and testing helpers",
    "flushall": "Removes every key of every database",
    "flushdb": "Removes every key of the selected database",
    "info": "Returns server information and statistics",
    "lastsave": "Returns the Unix time of the last successful save",
    "memory": "Container for memory introspection subcommands",
    "memory|doctor": "Reports memory problems it can spot",
    "memory|help": "Lists the MEMORY subcommands",
    "memory|malloc-stats": "Returns the allocator's internal statistics",
    "memory|purge": "Asks the allocator to return free memory to the system",
    "memory|stats": "Returns details of the server's memory use",
    "memory|usage": "Estimates the memory a key and its value use",
    "save": "Saves the data set synchronously",
    "shutdown": "Stops the server",
    "swapdb": "Exchanges the contents of two databases",
    "time": "Returns the server's clock",
    "bzmpop": "Pops members from the first non-empty sorted set, waiting for one if all are empty",
    "bzpopmax": "Pops the highest-scored member of the first non-empty sorted set, or waits",
    "bzpopmin": "Pops the lowest-scored member of the first non-empty sorted set, or waits",
    "zadd": "Adds members with scores to a sorted set, or updates their scores",
    "zcard": "Returns the number of members of a sorted set",
    "zcount": "Counts the members of a sorted set within a score range",
    "zdiff": "Returns the members of the first sorted set that are in none of the others",
    "zdiffstore": "Stores the difference of sorted sets in a key",
    "zincrby": "Adds an increment to the score of a sorted-set member",
    "zinter": "Returns the intersection of sorted sets",
    "zintercard": "Counts the members of the intersection of sorted sets",
    "zinterstore": "Stores the intersection of sorted sets in a key",
    "zlexcount": "Counts the members of a sorted set within a lexicographic range",
    "zmpop": "Pops the lowest- or highest-scored members from the first non-empty sorted set",
    "zmscore": "Returns the scores of several members of a sorted set",
    "zpopmax": "Removes and returns the highest-scored members of a sorted set",
    "zpopmin": "Removes and returns the lowest-scored members of a sorted set",
    "zrandmember": "Returns random members of a sorted set",
    "zrange": "Returns members of a sorted set by rank, score or lexicographic range",
    "zrangebylex": "Returns members of a sorted set within a lexicographic range",
    "zrangebyscore": "Returns members of a sorted set within a score range",
    "zrangestore": "Stores a range of a sorted set in a key",
    "zrank": "Returns the rank of a member in a sorted set, lowest score first",
    "zrem": "Removes members from a sorted set",
    "zremrangebylex": "Removes the members of a sorted set within a lexicographic range",
    "zremrangebyrank": "Removes the members of a sorted set within a rank range",
    "zremrangebyscore": "Removes the members of a sorted set within a score range",
    "zrevrange": "Returns members of a sorted set by rank, highest score first",
    "zrevrangebylex": "Returns members of a sorted set within a lexicographic range, in reverse",
    "zrevrangebyscore": "Returns members of a sorted set within a score range, highest first",
    "zrevrank": "Returns the rank of a member in a sorted set, highest score first",
    "zscan": "Iterates over the members and scores of a sorted set",
    "zscore": "Returns the score of a member of a sorted set",
    "zunion": "Returns the union of sorted sets",
    "zunionstore": "Stores the union of sorted sets in a key",
    # hyperloglog
    "pfadd": "Adds elements to a HyperLogLog, creating the key if needed",
    "pfcount": "Returns the estimated number of distinct elements seen by one or more HyperLogLogs",
    "pfdebug": "Inspects or converts the internal encoding of a HyperLogLog",
    "pfmerge": "Merges HyperLogLogs into a destination key",
    "pfselftest": "Runs a self-test of the HyperLogLog register code and estimator",
    # bloom filters (RedisBloom's BF.* module commands)
    "bf.add": "Adds an item to a bloom filter, creating the filter if needed",
    "bf.card": "Returns the number of items added to a bloom filter",
    "bf.exists": "Tells whether an item may have been added to a bloom filter",
    "bf.info": "Returns the capacity, size, sub-filter count and item count of a bloom filter",
    "bf.insert": "Adds items to a bloom filter, creating it with the given parameters if needed",
    "bf.madd": "Adds several items to a bloom filter, creating the filter if needed",
    "bf.mexists": "Tells for each of several items whether it may be in a bloom filter",
    "bf.reserve": "Creates an empty bloom filter with an error rate and a capacity",
    # geo (sorted sets of geohash scores)
    "geoadd": "Adds members with their longitude and latitude to a geo set",
    "geodist": "Returns the distance between two members of a geo set",
    "geohash": "Returns the standard geohash strings of members of a geo set",
    "geopos": "Returns the longitude and latitude of members of a geo set",
    "georadius": "Finds the members of a geo set within a radius of a position",
    "georadius_ro": "Finds the members of a geo set within a radius of a position (read-only)",
    "georadiusbymember": "Finds the members of a geo set within a radius of one of its members",
    "georadiusbymember_ro": "Finds the members of a geo set within a radius of one of its members (read-only)",
    "geosearch": "Finds the members of a geo set within a circle or a box",
    "geosearchstore": "Stores the members of a geo set within a circle or a box in a key",
    # stream (core)
    "xadd": "Appends an entry to a stream, creating it if needed, and may trim its head",
    "xdel": "Deletes entries of a stream by ID",
    "xlen": "Returns the number of entries in a stream",
    "xrange": "Returns the entries of a stream within a range of IDs",
    "xread": "Reads entries after given IDs from one or more streams, optionally waiting for them",
    "xrevrange": "Returns the entries of a stream within a range of IDs, newest first",
    "xsetid": "Sets a stream's last ID and its added and deleted bookkeeping",
    "xtrim": "Removes entries from the head of a stream by length or by ID",
    # stream consumer groups
    "xack": "Acknowledges entries of a consumer group, removing them from its pending list",
    "xautoclaim": "Gives a consumer the group's pending entries idle for long enough, from a cursor",
    "xclaim": "Gives a consumer pending entries of its group that are idle for long enough",
    "xgroup": "Container for consumer group subcommands",
    "xgroup|create": "Creates a consumer group of a stream",
    "xgroup|createconsumer": "Creates a consumer in a consumer group",
    "xgroup|delconsumer": "Deletes a consumer and its pending entries from a consumer group",
    "xgroup|destroy": "Deletes a consumer group",
    "xgroup|help": "Lists the XGROUP subcommands",
    "xgroup|setid": "Sets the last delivered ID of a consumer group",
    "xinfo": "Container for stream introspection subcommands",
    "xinfo|consumers": "Lists the consumers of a consumer group",
    "xinfo|groups": "Lists the consumer groups of a stream",
    "xinfo|help": "Lists the XINFO subcommands",
    "xinfo|stream": "Describes a stream, optionally with its entries, groups and pending lists",
    "xpending": "Summarizes or lists the pending entries of a consumer group",
    "xreadgroup": "Reads new or pending entries of streams as a consumer of a group",
    # pub/sub
    "psubscribe": "Listens for messages on every channel whose name matches a pattern",
    "publish": "Sends a message to a channel's subscribers; returns how many received it",
    "pubsub": "Container for pub/sub introspection subcommands",
    "pubsub|channels": "Lists the channels that have subscribers, optionally matching a pattern",
    "pubsub|help": "Lists the PUBSUB subcommands",
    "pubsub|numpat": "Returns how many patterns have subscribers",
    "pubsub|numsub": "Returns the number of subscribers of each given channel",
    "pubsub|shardchannels": "Lists the shard channels that have subscribers, optionally matching a pattern",
    "pubsub|shardnumsub": "Returns the number of subscribers of each given shard channel",
    "punsubscribe": "Stops listening on patterns (all of them when none is given)",
    "spublish": "Sends a message to a shard channel's subscribers; returns how many received it",
    "ssubscribe": "Listens for messages on shard channels",
    "subscribe": "Listens for messages on channels",
    "sunsubscribe": "Stops listening on shard channels (all of them when none is given)",
    "unsubscribe": "Stops listening on channels (all of them when none is given)",
}

# Top-level commands to describe (subcommands follow their container).
COMMANDS = [
    # string group
    "append", "decr", "decrby", "get", "getdel", "getex", "getrange", "getset", "incr", "incrby",
    "incrbyfloat", "lcs", "mget", "mset", "msetnx", "psetex", "set", "setex", "setnx",
    "setrange", "strlen", "substr",
    # bitmap group
    "bitcount", "bitfield", "bitfield_ro", "bitop", "bitpos", "getbit", "setbit",
    # list group
    "blmove", "blmpop", "blpop", "brpop", "brpoplpush", "linsert", "lindex", "llen", "lmove", "lmpop", "lpop", "lpos", "lpush", "lpushx", "lrange", "lrem",
    "lset", "ltrim", "rpop", "rpoplpush", "rpush", "rpushx",
    # hash group
    "hdel", "hexists", "hget", "hgetall", "hincrby", "hincrbyfloat", "hkeys", "hlen", "hmget",
    "hmset", "hrandfield", "hscan", "hset", "hsetnx", "hstrlen", "hvals",
    # hash field expiry, Redis 7.4 (not in the reference server: HAND_WRITTEN)
    "hexpire", "hexpireat", "hexpiretime", "hpersist", "hpexpire", "hpexpireat", "hpexpiretime",
    "hpttl", "httl",
    # set group
    "sadd", "scard", "sdiff", "sdiffstore", "sinter", "sintercard", "sinterstore", "sismember",
    "smembers", "smismember", "smove", "spop", "srandmember", "srem", "sscan", "sunion",
    "sunionstore",
    # sorted set group
    "bzmpop", "bzpopmax", "bzpopmin", "zadd", "zcard", "zcount", "zdiff", "zdiffstore", "zincrby", "zinter", "zintercard", "zinterstore", "zlexcount", "zmpop", "zmscore", "zpopmax", "zpopmin", "zrandmember", "zrange", "zrangebylex", "zrangebyscore", "zrangestore", "zrank", "zrem", "zremrangebylex", "zremrangebyrank", "zremrangebyscore", "zrevrange", "zrevrangebylex", "zrevrangebyscore", "zrevrank", "zscan", "zscore", "zunion", "zunionstore",
    # hyperloglog group
    "pfadd", "pfcount", "pfdebug", "pfmerge", "pfselftest",
    # geo group
    "geoadd", "geodist", "geohash", "geopos", "georadius", "georadius_ro", "georadiusbymember",
    "georadiusbymember_ro", "geosearch", "geosearchstore",
    # stream group (core)
    "xadd", "xdel", "xlen", "xrange", "xread", "xrevrange", "xsetid", "xtrim",
    # stream group (consumer groups)
    "xack", "xautoclaim", "xclaim", "xgroup", "xinfo", "xpending", "xreadgroup",
    # generic group
    "copy", "del", "dump", "exists", "expire", "expireat", "expiretime", "keys", "migrate",
    "move", "object", "persist", "pexpire", "pexpireat", "pexpiretime", "pttl", "randomkey",
    "rename", "renamenx", "restore", "scan", "sort", "sort_ro", "touch", "ttl", "type", "unlink",
    "wait",
    # pubsub group
    "psubscribe", "publish", "pubsub", "punsubscribe", "spublish", "ssubscribe", "subscribe",
    "sunsubscribe", "unsubscribe",
    # connection group
    "auth", "client", "echo", "hello", "ping", "quit", "reset", "select",
    # server group (the part Aegisr implements or will)
    "bgsave", "command", "config", "dbsize", "debug", "flushall", "flushdb", "info", "lastsave",
    "memory", "save", "shutdown", "swapdb", "time",
    # bloom filters: RedisBloom's module commands (not in the reference server: HAND_WRITTEN)
    "bf.add", "bf.card", "bf.exists", "bf.info", "bf.insert", "bf.madd", "bf.mexists",
    "bf.reserve",
]

# Commands newer than the reference server (7.0), described by hand from the facts of Redis
# 7.4's src/commands/<name>.json (arity, flags, ACL categories, key spec, argument tree), in the
# shapes the reference server uses for its own commands.
def _bulk(s):
    return ("bulk", s.encode())


def _arg(name, type_, token=None, optional=False, multiple=False, arguments=None, key_spec=None):
    fields = [(_bulk("name"), _bulk(name)), (_bulk("type"), _bulk(type_))]
    if key_spec is not None:
        fields.append((_bulk("key_spec_index"), ("int", key_spec)))
    if token:
        fields.append((_bulk("token"), _bulk(token)))
    flags = [("simple", f.encode()) for f, on in (("optional", optional),
                                                     ("multiple", multiple)) if on]
    if flags:
        fields.append((_bulk("flags"), ("set", flags)))
    if arguments:
        fields.append((_bulk("arguments"), ("array", arguments)))
    return ("map", fields)


def _fields_block():
    return _arg("fields", "block", token="FIELDS", arguments=[
        _arg("numfields", "integer"), _arg("field", "string", multiple=True)])


# RedisBloom's BF.* commands as Redis 7.0 describes a module command created with
# RedisModule_CreateCommand(name, handler, flags, 1, 1, 1): arity -1, the given flags plus
# "module", no ACL categories, one key spec made from the legacy (1, 1, 1) triple with the flags
# "RW access update", and docs in the "module" group naming the module ("bf").
BF_WRITE = {"bf.add", "bf.insert", "bf.madd", "bf.reserve"}


def _hand_written_bf(name):
    flags = ["write", "denyoom", "module"] if name in BF_WRITE else ["readonly", "fast", "module"]
    spec = ("map", [
        (_bulk("flags"), ("set", [("simple", f.encode()) for f in ("RW", "access", "update")])),
        (_bulk("begin_search"), ("map", [(_bulk("type"), _bulk("index")),
                                         (_bulk("spec"), ("map", [(_bulk("index"), ("int", 1))]))])),
        (_bulk("find_keys"), ("map", [(_bulk("type"), _bulk("range")), (_bulk("spec"), ("map", [
            (_bulk("lastkey"), ("int", 0)), (_bulk("keystep"), ("int", 1)),
            (_bulk("limit"), ("int", 0))]))]))])
    info = ("array", [_bulk(name), ("int", -1),
                      ("set", [("simple", f.encode()) for f in flags]),
                      ("int", 1), ("int", 1), ("int", 1),
                      ("set", []), ("set", []), ("set", [spec]), ("set", [])])
    docs = ("map", [(_bulk("summary"), _bulk("")), (_bulk("since"), _bulk("1.0.0")),
                    (_bulk("group"), _bulk("module")), (_bulk("module"), _bulk("bf"))])
    return info, docs


def _hand_written(name):
    """(COMMAND INFO node, COMMAND DOCS node) for one of the 7.4 field-expiry commands."""
    if name.startswith("bf."):
        return _hand_written_bf(name)
    setters = {"hexpire": "seconds", "hpexpire": "milliseconds",
               "hexpireat": "unix-time-seconds", "hpexpireat": "unix-time-milliseconds"}
    if name in setters:
        arity, flags, acl = -6, ["write", "denyoom", "fast"], ["@write", "@hash", "@fast"]
        spec_flags = ["RW", "update"]
        args = [_arg("key", "key", key_spec=0), _arg(setters[name], "integer"),
                _arg("condition", "oneof", optional=True, arguments=[
                    _arg(t.lower(), "pure-token", token=t) for t in ("NX", "XX", "GT", "LT")]),
                _fields_block()]
    elif name == "hpersist":
        arity, flags, acl = -5, ["write", "fast"], ["@write", "@hash", "@fast"]
        spec_flags = ["RW", "update"]
        args = [_arg("key", "key", key_spec=0), _fields_block()]
    else:  # httl hpttl hexpiretime hpexpiretime
        arity, flags, acl = -5, ["readonly", "fast"], ["@read", "@hash", "@fast"]
        spec_flags = ["RO", "access"]
        args = [_arg("key", "key", key_spec=0), _fields_block()]
    spec = ("map", [
        (_bulk("flags"), ("set", [("simple", f.encode()) for f in spec_flags])),
        (_bulk("begin_search"), ("map", [(_bulk("type"), _bulk("index")),
                                         (_bulk("spec"), ("map", [(_bulk("index"), ("int", 1))]))])),
        (_bulk("find_keys"), ("map", [(_bulk("type"), _bulk("range")), (_bulk("spec"), ("map", [
            (_bulk("lastkey"), ("int", 0)), (_bulk("keystep"), ("int", 1)),
            (_bulk("limit"), ("int", 0))]))]))])
    info = ("array", [_bulk(name), ("int", arity),
                      ("set", [("simple", f.encode()) for f in flags]),
                      ("int", 1), ("int", 1), ("int", 1),
                      ("set", [("simple", a.encode()) for a in acl]), ("set", []),
                      ("set", [spec]), ("set", [])])
    docs = ("map", [(_bulk("summary"), _bulk("")), (_bulk("since"), _bulk("7.4.0")),
                    (_bulk("group"), _bulk("hash")), (_bulk("arguments"), ("array", args))])
    return info, docs


HAND_WRITTEN = {"hexpire", "hexpireat", "hexpiretime", "hpersist", "hpexpire", "hpexpireat",
                "hpexpiretime", "hpttl", "httl", "bf.add", "bf.card", "bf.exists", "bf.info",
                "bf.insert", "bf.madd", "bf.mexists", "bf.reserve"}

# Redis flag name -> Aegisr CommandFlag constant (engine/command.h). Others are served in
# COMMAND INFO but have no bit of ours.
FLAG_CONSTANTS = {
    "write": "kCmdWrite", "readonly": "kCmdReadonly", "denyoom": "kCmdDenyOom",
    "admin": "kCmdAdmin", "pubsub": "kCmdPubsub", "noscript": "kCmdNoscript",
    "blocking": "kCmdBlocking", "loading": "kCmdLoading", "stale": "kCmdStale",
    "skip_monitor": "kCmdSkipMonitor", "skip_slowlog": "kCmdSkipSlowlog", "fast": "kCmdFast",
    "no_auth": "kCmdNoAuth", "may_replicate": "kCmdMayReplicate", "no_multi": "kCmdNoMulti",
    "movablekeys": "kCmdMovableKeys", "allow_busy": "kCmdAllowBusy",
}

# Documentation fields that are prose (dropped) and the ones we rewrite.
DROPPED_DOC_FIELDS = {"complexity", "history", "replaced_by"}

# ------------------------------------------------------------------------------------------
# A RESP3 reader/writer that keeps types: (kind, value) with kind in
# simple, bulk, int, null, array, set, map.


def read_reply(sock, buf):
    def line():
        while b"\r\n" not in buf[0]:
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("closed")
            buf[0] += chunk
        i = buf[0].index(b"\r\n")
        out = buf[0][:i]
        buf[0] = buf[0][i + 2:]
        return out

    def exact(n):
        while len(buf[0]) < n + 2:
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("closed")
            buf[0] += chunk
        out = buf[0][:n]
        buf[0] = buf[0][n + 2:]
        return out

    def one():
        ln = line()
        t, rest = chr(ln[0]), ln[1:]
        if t == "+":
            return ("simple", rest)
        if t == "-":
            raise RuntimeError("server error: " + rest.decode())
        if t == ":":
            return ("int", int(rest))
        if t == "_":
            return ("null", None)
        if t == "$":
            n = int(rest)
            return ("null", None) if n < 0 else ("bulk", exact(n))
        if t in "*~":
            items = [one() for _ in range(int(rest))]
            return ("array" if t == "*" else "set", items)
        if t == "%":
            return ("map", [(one(), one()) for _ in range(int(rest))])
        raise RuntimeError("unexpected RESP type " + t)

    return one()


def encode(node):
    kind, v = node
    if kind == "simple":
        return b"+" + v + b"\r\n"
    if kind == "bulk":
        return b"$%d\r\n%s\r\n" % (len(v), v)
    if kind == "int":
        return b":%d\r\n" % v
    if kind == "null":
        return b"_\r\n"
    if kind in ("array", "set"):
        return (b"*" if kind == "array" else b"~") + b"%d\r\n" % len(v) + b"".join(
            encode(x) for x in v)
    if kind == "map":
        return b"%%%d\r\n" % len(v) + b"".join(encode(k) + encode(x) for k, x in v)
    raise ValueError(kind)


def map_get(node, key):
    for k, v in node[1]:
        if k[1] == key:
            return v
    return None


def call(sock, buf, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)
    return read_reply(sock, buf)


# ------------------------------------------------------------------------------------------
# Transformations


def clean_args(args_node):
    """Argument trees keep their facts (name, type, token, flags, since, key_spec_index...);
    any prose field is dropped."""
    out = []
    for a in args_node[1]:
        fields = []
        for k, v in a[1]:
            name = k[1].decode()
            if name in ("summary", "display_text") or name in DROPPED_DOC_FIELDS:
                continue
            if name == "arguments":
                v = (v[0], clean_args(v))
            fields.append((k, v))
        out.append(("map", fields))
    return out


def clean_docs(name, docs):
    """Returns the list of (key, value) doc fields, subcommands excluded."""
    if name not in SUMMARIES:
        raise SystemExit(f"no summary written for {name!r}: add one to SUMMARIES")
    fields = []
    for k, v in docs[1]:
        field = k[1].decode()
        if field in DROPPED_DOC_FIELDS or field == "subcommands":
            continue
        if field == "summary":
            v = ("bulk", SUMMARIES[name].encode())
        elif field == "arguments":
            v = (v[0], clean_args(v))
        fields.append((k, v))
    return fields


def clean_key_specs(specs):
    out = []
    for s in specs[1]:
        out.append(("map", [(k, v) for k, v in s[1] if k[1] != b"notes"]))
    return (specs[0], out)


def c_string(data):
    """A C++ string literal (split in chunks) holding data exactly."""
    parts = []
    cur = ""
    for b in data:
        ch = chr(b)
        if ch == "\\":
            cur += "\\\\"
        elif ch == '"':
            cur += '\\"'
        elif ch == "\r":
            cur += "\\r"
        elif ch == "\n":
            cur += "\\n"
        elif 32 <= b < 127 and ch != "?":
            cur += ch
        else:
            cur += "\\%03o" % b
        if len(cur) > 90:
            parts.append('"' + cur + '"')
            cur = ""
    if cur or not parts:
        parts.append('"' + cur + '"')
    return "\n      ".join(parts)


def key_spec_row(spec):
    bs = map_get(spec, b"begin_search")
    fk = map_get(spec, b"find_keys")
    bs_type = map_get(bs, b"type")[1].decode()
    fk_type = map_get(fk, b"type")[1].decode()
    bss = map_get(bs, b"spec")
    fks = map_get(fk, b"spec")
    flags = [f[1].decode() for f in map_get(spec, b"flags")[1]]
    incomplete = "true" if "incomplete" in flags else "false"
    if bs_type == "index":
        b = f"KeySpec::kBeginIndex, {map_get(bss, b'index')[1]}, \"\", 0"
    elif bs_type == "keyword":
        kw = map_get(bss, b"keyword")[1].decode()
        b = f"KeySpec::kBeginKeyword, 0, \"{kw}\", {map_get(bss, b'startfrom')[1]}"
    else:
        b = "KeySpec::kBeginUnknown, 0, \"\", 0"
    if fk_type == "range":
        f = (f"KeySpec::kFindRange, {map_get(fks, b'lastkey')[1]}, "
             f"{map_get(fks, b'keystep')[1]}, {map_get(fks, b'limit')[1]}")
    elif fk_type == "keynum":
        f = (f"KeySpec::kFindKeynum, {map_get(fks, b'keynumidx')[1]}, "
             f"{map_get(fks, b'keystep')[1]}, {map_get(fks, b'firstkey')[1]}")
    else:
        f = "KeySpec::kFindUnknown, 0, 0, 0"
    return f"{{{b}, {f}, {incomplete}}}"


def flag_expr(flags):
    consts = [FLAG_CONSTANTS[f] for f in flags if f in FLAG_CONSTANTS]
    return " | ".join(consts) if consts else "0"


def describe(sock, buf, name, key_specs_out, rows_out):
    if name in HAND_WRITTEN:
        info, docs = _hand_written(name)
    else:
        info = call(sock, buf, "COMMAND", "INFO", name)[1][0]
        if info[0] == "null":
            raise SystemExit(f"the reference server does not know {name!r}")
        docs_all = call(sock, buf, "COMMAND", "DOCS", name)
        docs = docs_all[1][0][1]
    elems = info[1]
    arity, flags = elems[1][1], [f[1].decode() for f in elems[2][1]]
    first, last, step = elems[3][1], elems[4][1], elems[5][1]
    specs = clean_key_specs(elems[8])
    info_body = b"".join(encode(e) for e in elems[:8]) + encode(specs)
    doc_fields = clean_docs(name, docs)
    docs_body = b"".join(encode(k) + encode(v) for k, v in doc_fields)
    group = map_get(docs, b"group")[1].decode()
    ks_offset = len(key_specs_out)
    for s in specs[1]:
        key_specs_out.append(key_spec_row(s))
    rows_out.append(
        f'  {{"{name}", "{group}", {arity}, {flag_expr(flags)}, {first}, {last}, {step},\n'
        f"   {ks_offset}, {len(specs[1])},\n"
        f"   {c_string(info_body)},\n"
        f"   {len(doc_fields)},\n"
        f"   {c_string(docs_body)}}},")
    subs = elems[9][1]
    for sub in sorted(s[1][0][1].decode() for s in subs):
        describe(sock, buf, sub, key_specs_out, rows_out)


def free_port():
    for _ in range(100):
        port = random.randint(7300, 7999)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise SystemExit("no free port")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "engine",
                                                 "command_meta_data.inc"))
    args = p.parse_args()
    proc = None
    port = args.port
    if not port:
        port = free_port()
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        buf = [b""]
        version = map_get(call(sock, buf, "HELLO", "3"), b"version")[1].decode()
        key_specs, rows = [], []
        for name in COMMANDS:
            describe(sock, buf, name, key_specs, rows)
    finally:
        if proc:
            proc.terminate()
            proc.wait()
    with open(args.out, "w") as f:
        f.write("// Generated by tools/gen_command_meta.py from redis-server " + version +
                " (facts only; summaries are\n// our own, prose dropped). Do not edit: "
                "change the generator and rerun it.\n")
        f.write("// Included by engine/command_meta.cc only.\n// clang-format off\n")
        f.write("constexpr KeySpec kGeneratedKeySpecs[] = {\n")
        f.write("".join("    " + k + ",\n" for k in key_specs))
        f.write("};\n\nconstexpr CommandMeta kGeneratedMetas[] = {\n")
        f.write("\n".join(rows) + "\n};\n")
        f.write("// clang-format on\n")
    print(f"wrote {len(rows)} commands, {len(key_specs)} key specs to {args.out}")


if __name__ == "__main__":
    sys.exit(main())
