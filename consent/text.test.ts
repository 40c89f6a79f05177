import { describe, expect, it } from 'vitest';
import { INVISIBLE } from '../test/opt-out-phrasings.js';
import { normaliseText } from './text.js';

describe('normaliseText', () => {
  it.each(INVISIBLE)('removes a %s inside a word, joining it', (_name, char) => {
    expect(normaliseText(`st${char}op`)).toBe('stop');
    expect(normaliseText(`${char}Arrê${char}te ${char}`)).toBe('Arrête');
  });

  it.each([
    ['no-break space', 'stop\u00A0please'],
    ['narrow no-break space', 'stop\u202Fplease'],
    ['ideographic space', 'stop\u3000please'],
    ['em space', 'stop\u2003please'],
    ['line separator', 'stop\u2028please'],
    ['paragraph separator', 'stop\u2029please'],
    ['next line', 'stop\u0085please'],
    ['tab and line breaks', 'stop\t\r\n\v\fplease'],
    ['runs of spaces', '  stop   please  '],
  ])('turns %s into one space', (_name, input) => {
    expect(normaliseText(input)).toBe('stop please');
  });

  it('keeps a space made of a space and an invisible character a space', () => {
    expect(normaliseText('stop \u200B please')).toBe('stop please');
  });

  it.each([
    ['full-width letters', 'ＳＴＯＰ', 'STOP'],
    ['a ligature', 'ﬁn', 'fin'],
    ['a decomposed accent', 'arre\u0302te', 'arrête'],
    ['an accent split from its letter by an invisible character', 'arre\u200B\u0302te', 'arrête'],
  ])('composes %s (NFKC)', (_name, input, expected) => {
    expect(normaliseText(input)).toBe(expected);
  });

  it('keeps case, accents and punctuation as typed', () => {
    expect(normaliseText('Jane.Doe@Example.com, Arrêtez !')).toBe(
      'Jane.Doe@Example.com, Arrêtez !',
    );
  });
});
