"""The protocol's Lua scripts, loaded from the repository's protocol/lua/ (the single source; this
package reaches it through its ``protocol`` symlink) and run as the Java library runs them:
``protocol.lua``, then ``audit_record.lua`` where it applies, then the script (PROTOCOL.md section 11),
by SHA1 with ``EVALSHA`` and sent in full only on ``NOSCRIPT`` (a restarted server)."""

import hashlib
from pathlib import Path
from typing import Sequence, Union

from redis.exceptions import NoScriptError

LUA_DIR = Path(__file__).resolve().parent / "protocol" / "lua"

#: The scripts that record audit entries take audit_record.lua's ``audit`` function.
_AUDITED = frozenset({"ack.lua", "retry_later.lua", "dead_letter.lua", "redrive.lua"})


def read_lua(name: str) -> str:
    """The text of protocol/lua/<name>, exactly as stored."""
    return (LUA_DIR / name).read_bytes().decode("utf-8")


class LuaScript:
    """One script of the protocol, with its preambles."""

    def __init__(self, name: str):
        self.name = name
        parts = ["protocol.lua"] + (["audit_record.lua"] if name in _AUDITED else []) + [name]
        self.source = "".join(read_lua(part) for part in parts)
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
