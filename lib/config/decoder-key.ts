import { appDecoderProblem } from '../acquire/decode/app-decoder.js';
import type { SectionReader } from './section-reader.js';
import { didYouMean } from './suggest.js';

/**
 * `decoder = <name>`: a decoder of the registry (`acquire/decode/registry.ts`) that reads MQTT payloads
 * (`acquire/decode/app-decoder.ts`); an unknown name is a problem naming the known ones.
 */
export function readDecoder(reader: SectionReader): string | undefined {
  const name = reader.string('decoder');
  if (name === undefined) return undefined;
  const wrong = appDecoderProblem(name);
  if (wrong === undefined) return name;
  reader.problem(
    'decoder',
    `${wrong.problem} (known: ${wrong.known.join(', ')})${didYouMean(name, wrong.known)}`,
  );
  return undefined;
}
