"""The protocol's Lua scripts, loaded from the repository's protocol/lua/ (the single source; this
package reaches it through its ``protocol`` symlink) and run as the Java library runs them:
the files the script's first line names (``-- Prepend: protocol.lua audit_record.lua``), then the
script (PROTOCOL.md section 11), by SHA1 with ``EVALSHA`` and sent in full only on ``NOSCRIPT`` (a restarted server)."""

import hashlib
from pathlib import Path
from typing import Sequence, Union

from redis.exceptions import NoScriptError

LUA_DIR = Path(__file__).resolve().parent / "protocol" / "lua"

#: What starts the first line of every script that is run: the files to prepend, in order.
PREPEND = "-- Prepend:"


def read_lua(name: str) -> str:
    """The text of protocol/lua/<name>, exactly as stored."""
    return (LUA_DIR / name).read_bytes().decode("utf-8")


class LuaScript:
    """One script of the protocol, with its preambles."""

    def __init__(self, name: str):
        self.name = name
        script = read_lua(name)
        first = script.split("\n", 1)[0]
        if not first.startswith(PREPEND):
            raise ValueError(f"{name} does not start with a '{PREPEND} <files>' line")
        self.source = "".join(read_lua(part) for part in first[len(PREPEND):].split()) + script
        self.sha = hashlib.sha1(self.source.encode("utf-8")).hexdigest()

    async def run(self, redis, keys: Sequence[str], args: Sequence[Union[str, bytes, int]]):
        try:
            return await redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await redis.eval(self.source, len(keys), *keys, *args)

    def __repr__(self):
        return f"{self.name}@{self.sha}"


class Scripts:
    """Every script this client runs, loaded once."""

    def __init__(self):
        for name in ("send", "schedule", "read", "ack", "retry_later", "dead_letter", "claim", "extend_lease",
                     "move_due", "presence", "release_consumer", "trim"):
            setattr(self, name, LuaScript(name + ".lua"))
