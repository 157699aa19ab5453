/**
 * Lines of line protocol for differential tests (the quick check and the pass-through of lines
 * against the full reader): every escaping rule, value type and bad line the reader knows, the edges
 * of the quick check's limits, and random lines made of the characters that matter.
 */
export const lineCorpus: readonly string[] = [
  // Plain.
  'm v=1',
  'cpu,host=a,region=eu usage=1.5,idle=98 1700000000000000000',
  'm,t=v f=1 5',
  'm v=-1.5,w=.5,x=1.,y=-.25,z=0 -1',
  'm i=42i,j=-42i,k=999999999999999999i,l=-999999999999999999i 1',
  'm a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE',
  'm s="",t="a, b = c",u="ünï ☃",v="x\ny" 2',
  'a=b"c,t="x" v=1',
  'm,t=v   v=1    5',
  'mesure,lieu=Zürich température=21.5',
  // Escapes and other backslashes.
  String.raw`my\ m f=1`,
  String.raw`my\,m f=1`,
  String.raw`a\=b f=1`,
  String.raw`m,t\ k\,e\=y=v\ a\,l\=ue f=1`,
  String.raw`m f\ k\,e\=y\"q=1`,
  String.raw`back\slash,t\ag=C:\temp fi\eld=1`,
  String.raw`m,t=a\\b f=1`,
  String.raw`m s="say \"hi\""`,
  String.raw`m s="a\\b"`,
  String.raw`m s="a\b"`,
  String.raw`m\ v=1`,
  // Values the quick check leaves to the full reader.
  'm v=1e3,w=-1.5E-3,x=1e+2',
  'm v=1e400',
  'm v=1234567890123456789i',
  'm v=9223372036854775807i',
  'm v=-9223372036854775808i',
  'm v=9223372036854775808i',
  'm v=5u',
  'm v=18446744073709551615u',
  'm v=18446744073709551616u',
  `m v=${'9'.repeat(299)}.5`,
  `m v=${'9'.repeat(320)}`,
  // Tags the quick check leaves to the full reader.
  'm,a=1,b=2,a=3 v=1',
  `m,${Array.from({ length: 17 }, (_, i) => `t${i}=v`).join(',')} v=1`,
  `m,${Array.from({ length: 16 }, (_, i) => `t${i}=v`).join(',')} v=1`,
  // Timestamps at the edges.
  'm v=1 9223372036854775806',
  'm v=1 9223372036854775807',
  'm v=1 -9223372036854775806',
  'm v=1 -9223372036854775807',
  'm v=1 9199999999999999999',
  'm v=1 0000000000000000000012',
  'm v=1 -0',
  'm v=1 9223372036',
  'm v=1 9223372',
  'm v=1 153722867',
  'm v=1 2562047',
  // Bad lines.
  'm',
  'm f',
  'm f=',
  'm f=abc',
  'm f=1x',
  'm f=-1u',
  'm f=-',
  'm f=.',
  'm f=1..2',
  'm f=+1',
  'm f=--1',
  'm f=i',
  'm f=-i',
  'm f=tRUE',
  'm,t f=1',
  'm,t= f=1',
  'm,=v f=1',
  'm,t=a=b f=1',
  ',t=v f=1',
  'm f=1 12x',
  'm f=1 1.5',
  'm f=1 +5',
  'm f=1 -',
  'm =1',
  'm f=1,',
  'm f=1,,g=2',
  'm f="a"x',
  'm f=1 2 3',
  'm,t=v',
  'm,t=v,',
  // Last: a quote in a field key opens a string for the line splitter, and an unclosed string runs to the
  // end of a body.
  'm a"b=1',
  'm f="open',
];

/** A small seeded generator (mulberry32), so a failing line can be found again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  'm',
  'cpu',
  'a b',
  'a\\ b',
  'a\\,b',
  'a=b',
  'x\\',
  'ü',
  '"q"',
  '',
  'a\\=b',
  'a"b',
  'k',
  'k\\"',
];
const PLAIN_NAMES = ['m', 'cpu', 'k', 'ü', 'a.b', 'x-y'];
const PLAIN_VALUES = ['1', '-1.5', '42i', 'true', 'F', '"s"', '""', '0.25'];
const VALUES = [
  '1',
  '-1.5',
  '.5',
  '1.',
  '1e3',
  '-1.5E-3',
  '1e400',
  '42i',
  '-42i',
  '9223372036854775807i',
  '9223372036854775808i',
  '123456789012345678i',
  '5u',
  't',
  'T',
  'true',
  'True',
  'TRUE',
  'f',
  'false',
  'FALSE',
  'tRUE',
  '"s"',
  '"a\\"b"',
  '"a\\\\"',
  '"a,b c=d"',
  '""',
  '"x\ny"',
  '"\\"',
  'abc',
  '',
  '1x',
  '--1',
  '-',
  '.',
  '1..2',
  '0x1',
];
const STAMPS = [
  '',
  '',
  '',
  ' 5',
  ' -1',
  ' 1700000000123456789',
  ' 9223372036854775806',
  ' 9223372036854775807',
  ' -9223372036854775806',
  ' 12x',
  ' 1.5',
  ' 00012',
  ' 9200000000000000000',
  '  7',
  ' 1700000000',
];

/** `count` random lines: names, tags, fields and timestamps drawn from the characters that matter. */
export function randomLines(count: number, seed: number): string[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  // Half of the names and values plain, so that many lines are valid and many of those plain.
  const name = () => (next() < 0.6 ? pick(PLAIN_NAMES) : pick(NAMES));
  const value = () => (next() < 0.5 ? pick(PLAIN_VALUES) : pick(VALUES));
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    let line = name();
    const tags = Math.floor(next() * 4);
    for (let i = 0; i < tags; i++) line += `,${name()}=${name()}`;
    line += next() < 0.1 ? '  ' : ' ';
    const fields = 1 + Math.floor(next() * 3);
    for (let i = 0; i < fields; i++) line += `${i === 0 ? '' : ','}${name()}=${value()}`;
    line += pick(STAMPS);
    out.push(line);
  }
  return out;
}
