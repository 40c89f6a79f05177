import { describe, expect, it } from 'vitest';
import { checkTranscriptLink, transcriptDigest, transcriptLink } from './transcript-digest.js';

const activity = (id: string, at: string, text: string) => ({
  id,
  type: 'message',
  timestamp: new Date(at),
  text,
});
const conversation = [
  activity('a1', '2026-11-01T10:00:00.000Z', 'yes'),
  activity('a2', '2026-11-01T10:00:01.000Z', 'Noted: newsletter.'),
];

describe('transcript links', () => {
  it('covers what was stored when the decision was made, and nothing after it', () => {
    const link = transcriptLink(conversation);
    expect(link).toEqual({
      activities: 2,
      digest: transcriptDigest(conversation),
      firstAt: '2026-11-01T10:00:00.000Z',
    });
    const later = [...conversation, activity('a3', '2026-11-01T10:05:00.000Z', 'stop')];
    expect(checkTranscriptLink(link!, later)).toBe('intact');
  });

  it('hashes dates as the stores keep them: a Date and its ISO string agree', () => {
    const asStrings = conversation.map((a) => ({ ...a, timestamp: a.timestamp.toISOString() }));
    expect(transcriptDigest(asStrings)).toBe(transcriptDigest(conversation));
  });

  it.each([
    ['a changed word', [conversation[0], { ...conversation[1], text: 'Noted: nothing.' }]],
    ['a changed time', [conversation[0], { ...conversation[1], timestamp: new Date(0) }]],
    ['swapped activities', [conversation[1], conversation[0]].map((a, i) => ({ ...a, i }))],
    [
      'an inserted activity',
      [conversation[0], activity('x', '2026-11-01T10:00:00.500Z', 'no'), conversation[1]],
    ],
  ])('finds %s', (_name, tampered) => {
    expect(checkTranscriptLink(transcriptLink(conversation)!, tampered)).toBe('altered');
  });

  it('says "unavailable", not "altered", once the beginning is gone (retention, erasure)', () => {
    const link = transcriptLink(conversation)!;
    expect(checkTranscriptLink(link, [])).toBe('unavailable');
    expect(checkTranscriptLink(link, [conversation[1]!])).toBe('unavailable');
    // The beginning kept but a later activity gone: that is not what retention does.
    expect(checkTranscriptLink(link, [conversation[0]!])).toBe('altered');
    const headCut = [conversation[1]!, activity('a3', '2026-11-01T10:05:00.000Z', 'hi')];
    expect(checkTranscriptLink(link, headCut)).toBe('unavailable');
  });

  it('has no link for a conversation with nothing stored', () => {
    expect(transcriptLink([])).toBeUndefined();
  });
});
