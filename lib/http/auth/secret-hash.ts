import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * scrypt cost written into new hashes: N = 2^14, r = 8, p = 1 (16 MiB, some 50 ms per check), the
 * parameters RFC 7914 and OWASP name for interactive logins. Old hashes keep the cost they were made with.
 */
const LOG_N = 14;
const BLOCK_SIZE = 8;
const PARALLEL = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Costs a hash may ask for at most, so a hand-edited file cannot make one check take seconds. */
const MAX_LOG_N = 20;
const MAX_BLOCK_SIZE = 16;
const MAX_PARALLEL = 4;

const FORMAT = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** A parsed `$scrypt$ln=…,r=…,p=…$<salt>$<key>` (PHC string format, base64 without line breaks). */
interface ScryptHash {
  logN: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

/** Why `text` is not a hash `verifySecret` can check, or undefined when it is one. */
export function hashProblem(text: string): string | undefined {
  const parsed = parseHash(text);
  if (typeof parsed === 'string') return parsed;
  return undefined;
}

function parseHash(text: string): ScryptHash | string {
  const match = FORMAT.exec(text);
  if (match === null) return "not a hash written by 'daqd passwd' ($scrypt$ln=…,r=…,p=…$salt$key)";
  const [logN, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (logN < 1 || logN > MAX_LOG_N) return `scrypt ln=${logN} is out of range (1 to ${MAX_LOG_N})`;
  if (r < 1 || r > MAX_BLOCK_SIZE) return `scrypt r=${r} is out of range (1 to ${MAX_BLOCK_SIZE})`;
  if (p < 1 || p > MAX_PARALLEL) return `scrypt p=${p} is out of range (1 to ${MAX_PARALLEL})`;
  const salt = Buffer.from(match[4]!, 'base64');
  const key = Buffer.from(match[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return 'salt or key too short';
  return { logN, r, p, salt, key };
}

function derive(secret: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, length, options, (err, key) => (err === null ? resolve(key) : reject(err)));
  });
}

function options(logN: number, r: number, p: number): ScryptOptions {
  // scrypt needs 128·N·r bytes; Node refuses more than `maxmem` (32 MiB by default).
  return { N: 2 ** logN, r, p, maxmem: 128 * 2 ** logN * r * p + 2 ** 20 };
}

/**
 * Hashes a password or token with scrypt (node:crypto: built into Node, so no native add-on to build,
 * and memory-hard, unlike PBKDF2). Returns the PHC-style string stored in the access file.
 */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(secret, salt, KEY_BYTES, options(LOG_N, BLOCK_SIZE, PARALLEL));
  return `$scrypt$ln=${LOG_N},r=${BLOCK_SIZE},p=${PARALLEL}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Whether `secret` matches `hash` (compared in constant time). Runs scrypt on libuv's thread pool, so the
 * event loop goes on serving other requests meanwhile. False for a hash it cannot read.
 */
export async function verifySecret(secret: string, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (typeof parsed === 'string') return false;
  const key = await derive(secret, parsed.salt, parsed.key.length, options(parsed.logN, parsed.r, parsed.p));
  return timingSafeEqual(key, parsed.key);
}
