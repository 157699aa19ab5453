/** Shared by the web view's pages: fetching JSON, and writing times and values for people. */

/** The JSON answer of a daqd URL; throws with daqd's error message on any other status. */
export async function fetchJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { message?: string };
      if (body.message) message = body.message;
    } catch {
      // Not JSON: the status says enough.
    }
    throw new Error(message);
  }
  return (await res.json()) as T;
}

/** "3 min ago", "2 h ago", "5 d ago". */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/** A value as shown: numbers with at most 4 decimals. */
export function showValue(value: unknown): string {
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(4)));
  return String(value);
}

/** `name value, name value` of a reading's values. */
export function showValues(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name} ${showValue(value)}`)
    .join(', ');
}

/** An element with text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (text !== undefined) element.textContent = text;
  if (className !== undefined) element.className = className;
  return element;
}
