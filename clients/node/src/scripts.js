// The protocol's Lua scripts, loaded from the repository's protocol/lua/ (the single source every
// implementation runs; docs/PROTOCOL.md section 11): each is run after the files its first line
// names (`-- Prepend: protocol.lua audit_record.lua`), by its SHA1 (EVALSHA),
// sent in full only when the server does not know it yet (NOSCRIPT, e.g. after a restart).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// A packed tarball carries a copy made by `npm pack` (scripts/copy-protocol.js); a checkout reads
// the repository's own files.
const CANDIDATE_DIRECTORIES = [new URL('../protocol/lua/', import.meta.url), new URL('../../../protocol/lua/', import.meta.url)];

const directory = CANDIDATE_DIRECTORIES.find((url) => existsSync(new URL('protocol.lua', url))) ?? CANDIDATE_DIRECTORIES[1];

/** The directory the scripts are read from. */
export const LUA_DIRECTORY = fileURLToPath(directory);

/** What starts the first line of every script that is run: the files to prepend to it, in order. */
const PREPEND = '-- Prepend:';

/** The text of one file of protocol/lua/, as it is on disk. */
export function readLuaFile(name) {
  return readFileSync(new URL(name, directory), 'utf8');
}

/** A script of the protocol as it is run: the files its first line names, then the script. */
export class LuaScript {
  constructor(name) {
    this.name = name;
    const script = readLuaFile(name);
    const first = script.split('\n', 1)[0];
    if (!first.startsWith(PREPEND)) {
      throw new Error(`${name} does not start with a '${PREPEND} <files>' line`);
    }
    const prepended = first.slice(PREPEND.length).trim().split(/\s+/);
    this.source = prepended.map(readLuaFile).join('') + script;
    this.sha = createHash('sha1').update(this.source, 'utf8').digest('hex');
  }

  /**
   * Runs the script on a node-redis client (never a blocking connection's work: scripts do not block).
   * returnBuffers keeps bulk replies as Buffers (entries whose bytes a reader must check).
   */
  async run(client, keys, args, { returnBuffers = false } = {}) {
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    const options = returnBuffers ? { returnBuffers: true } : undefined;
    try {
      return await client.sendCommand(['EVALSHA', this.sha, ...tail], options);
    } catch (error) {
      if (!String(error?.message).startsWith('NOSCRIPT')) throw scriptError(this.name, error);
      try {
        return await client.sendCommand(['EVAL', this.source, ...tail], options);
      } catch (evalError) {
        throw scriptError(this.name, evalError);
      }
    }
  }
}

function scriptError(name, error) {
  const wrapped = new Error(`${name} failed: ${error?.message ?? error}`, { cause: error });
  wrapped.redisMessage = String(error?.message ?? '');
  return wrapped;
}

const cache = new Map();

/** The script named (e.g. 'send.lua'), loaded once per process. */
export function script(name) {
  if (!cache.has(name)) cache.set(name, new LuaScript(name));
  return cache.get(name);
}
