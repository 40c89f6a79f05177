/**
 * Text a message carries, typed or inside a card submission: what the opt-out guard and the rate
 * limits read to tell a stop, so a stop is heard the same way everywhere.
 */
export function wordsOf(activity: { readonly text?: unknown; readonly value?: unknown }): string {
  const { text, value } = activity;
  const submitted =
    value && typeof value === 'object' ? (value as { text?: unknown }).text : undefined;
  return [typeof text === 'string' ? text : '', typeof submitted === 'string' ? submitted : '']
    .join(' ')
    .trim();
}
