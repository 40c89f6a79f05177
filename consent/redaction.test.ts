import { describe, expect, it } from 'vitest';
import { redactPersonalData } from './redaction.js';

describe('redactPersonalData', () => {
  describe('replaces what the conversation does not need', () => {
    it.each([
      // e-mail addresses
      ['my email is jane@example.com', 'my email is [email]'],
      ['Write to JANE.DOE+news@Example.co.uk, please.', 'Write to [email], please.'],
      ['mon adresse : jean.dupont@exemple.fr.', 'mon adresse : [email].'],
      ["écrivez à élodie.o'hara@société-exemple.fr", 'écrivez à [email]'],
      ['(bob_92@mail.example.org)', '([email])'],
      // French phone numbers
      ['Appelez-moi au 06 12 34 56 78 demain', 'Appelez-moi au [phone] demain'],
      ['mon numéro : 06.12.34.56.78', 'mon numéro : [phone]'],
      ['fixe 01-23-45-67-89 ou portable 0712345678', 'fixe [phone] ou portable [phone]'],
      ['joignable au +33 6 12 34 56 78', 'joignable au [phone]'],
      ['+33 (0)6 12 34 56 78', '[phone]'],
      ['+33612345678', '[phone]'],
      ['0033 6 12 34 56 78', '[phone]'],
      // international phone numbers
      ['call me on +1 415-555-0132', 'call me on [phone]'],
      ['my UK number is +44 20 7946 0958.', 'my UK number is [phone].'],
      ['Berlin: +49 30 12345678', 'Berlin: [phone]'],
      ['+32.2.123.45.67 is the office', '[phone] is the office'],
      // IBANs, any country, grouped or not, upper or lower case
      ['mon IBAN est FR76 3000 6000 0112 3456 7890 189 merci', 'mon IBAN est [iban] merci'],
      ['IBAN: FR7630006000011234567890189', 'IBAN: [iban]'],
      ['iban fr76 3000 6000 0112 3456 7890 189', 'iban [iban]'],
      ['my IBAN is DE89 3704 0044 0532 0130 00.', 'my IBAN is [iban].'],
      ['GB29 NWBK 6016 1331 9268 19 is mine', '[iban] is mine'],
      ['Belgian account BE68 5390 0754 7034', 'Belgian account [iban]'],
      ['NO9386011117947 (Norway)', '[iban] (Norway)'],
      ['ref AB12 then FR76 3000 6000 0112 3456 7890 189', 'ref AB12 then [iban]'],
      // payment cards, Luhn-valid only
      ['my card is 4111 1111 1111 1111', 'my card is [card]'],
      ['carte 4111-1111-1111-1111 exp 12/27', 'carte [card] exp 12/27'],
      ['Amex 3782 822463 10005', 'Amex [card]'],
      ['5555555555554444', '[card]'],
      ['4111 1111 1111 1111 123 (with the code)', '[card] 123 (with the code)'],
      ['ma carte : 4970 1012 3456 7893, expire fin 2027', 'ma carte : [card], expire fin 2027'],
    ])('%j -> %j', (input, expected) => {
      const result = redactPersonalData(input);
      expect(result.text).toBe(expected);
      expect(result.redactions).toBe(expected.match(/\[(email|phone|iban|card)\]/g)?.length ?? 0);
    });

    it('counts every replacement in a message holding several kinds', () => {
      const result = redactPersonalData(
        'Je suis jane@example.com, tél. 06 12 34 56 78, IBAN FR76 3000 6000 0112 3456 7890 189, carte 4111 1111 1111 1111.',
      );
      expect(result).toEqual({
        text: 'Je suis [email], tél. [phone], IBAN [iban], carte [card].',
        redactions: 4,
      });
    });
  });

  describe('keeps what is not personal data', () => {
    it.each([
      'yes',
      'oui, je veux bien la newsletter',
      'stop the newsletter',
      'on 2026-11-29 at 10:30',
      'le 29/11/2026 à 14h30',
      'rendez-vous le 01.02.2026 à 09:15:00',
      'du 2026-11-29 au 2026-12-01',
      '2026-11-29 2026-12-01',
      'order 1234 5678 9012 3456', // 16 digits, fails Luhn
      'commande n° 2026112900001234', // fails Luhn
      'ticket 4111 1111 1112', // 12 digits: too short for a card
      'it costs 12,50 € or $12.50',
      'prix : 1 299,00 €',
      'the server listens on port 3978',
      'FerretDB v1.24.2, botbuilder 4.23.3, node 20.19.0',
      'purposes: newsletter, analytics, location, marketing-email',
      'catalogue version 2026-11-01',
      'FR76 3000 6000 0112 3456 7890 188', // IBAN with a wrong check digit
      'reference ABCD1234EFGH5678',
      'we open at 9:00 and close at 18.30',
      'score +20 points',
      'write to support@ or @jane',
      '3.14159265358979323846',
    ])('%j stays as it is', (input) => {
      expect(redactPersonalData(input)).toEqual({ text: input, redactions: 0 });
    });
  });

  it('returns the empty text unchanged', () => {
    expect(redactPersonalData('')).toEqual({ text: '', redactions: 0 });
  });

  it('is deterministic across calls (no state left in its patterns)', () => {
    const input = 'a 4111 1111 1111 1111 b jane@example.com c 06 12 34 56 78';
    const first = redactPersonalData(input);
    expect(redactPersonalData(input)).toEqual(first);
    expect(first.redactions).toBe(3);
  });

  // Long runs are read in bounded candidates (a card spans at most 19 groups, an address starts
  // where its run starts); what they hold is found as before.
  it.each([
    [
      'an address after a very long word',
      `${'a'.repeat(100_000)} jane@example.com`,
      'a'.repeat(100_000) + ' [email]',
    ],
    ['an address ending a very long run', `${'a.'.repeat(50_000)}jane@example.com`, '[email]'],
    [
      'a card after many short groups',
      `${'1 '.repeat(50)}4111 1111 1111 1111`,
      `${'1 '.repeat(50)}[card]`,
    ],
    [
      'a card after many long groups',
      `${'12345 '.repeat(40)}4111-1111-1111-1111 merci`,
      `${'12345 '.repeat(40)}[card] merci`,
    ],
    ['no card in a run of 20 groups of one digit', '1 '.repeat(20).trim(), '1 '.repeat(20).trim()],
    ['no card in 25 digits', '1'.repeat(25), '1'.repeat(25)],
  ])('finds what a long run holds: %s', (_name, input, expected) => {
    expect(redactPersonalData(input).text).toBe(expected);
  });
});
