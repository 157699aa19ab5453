/** Ecowitt stations send their secret `PASSKEY` with every reading; it is never stored. */
const PASSKEY = /^passkey$/i;

/** Drops Ecowitt's `PASSKEY` (any case) from a reading, in place. Every body decoder applies it. */
export function removePasskey(reading: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(reading)) if (PASSKEY.test(key)) delete reading[key];
  return reading;
}

/**
 * `PASSKEY`'s value (any case) as JSON (`"PASSKEY": "…"`), a form or line protocol (`PASSKEY=…`)
 * writes it: a JSON string or bare word, or anything up to the next `&`, `,`, `;`, space or line end.
 */
const PASSKEY_VALUE = /("passkey"\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\s]*)|(\bpasskey(?:=|%3D))([^&,;\s"]*)/gi;

/**
 * Text with every `PASSKEY` value replaced by `***`: for anything that echoes what a client sent (the
 * MQTT error report's description, an HTTP error message), so the secret never goes back out or into a
 * log. Pure.
 */
export function redactPasskey(text: string): string {
  if (!/passkey/i.test(text)) return text;
  return text.replace(PASSKEY_VALUE, (_all, jsonKey?: string, _jsonValue?: string, formKey?: string) =>
    jsonKey !== undefined ? `${jsonKey}"***"` : `${formKey}***`,
  );
}
