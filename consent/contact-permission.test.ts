import { GENESIS_HASH } from './chain.js';
import { describe, expect, it } from 'vitest';
import type { Catalogue, LocalisedText, Purpose } from './catalogue.js';
import {
  CONTACT_PERMISSION_REASONS,
  contactPermission,
  type ContactPermissionReason,
} from './contact-permission.js';
import {
  deriveStatuses,
  STATUSES,
  type ConsentEvent,
  type ConsentStatus,
  type Decision,
  type PurposeStatus,
} from './ledger.js';

const text = (en: string): LocalisedText => ({ en, fr: en });

function purpose(id: string, contactChannel: Purpose['contactChannel']): Purpose {
  return {
    id,
    version: 1,
    title: text(id),
    explanation: text(`Why ${id}`),
    question: text(`May we use ${id}?`),
    details: text(`More about ${id}`),
    dataCategories: [],
    legalBasis: 'https://w3id.org/dpv/legal/eu/gdpr#A6-1-a',
    retention: text('1 year'),
    recipients: text('Us'),
    explicitConsent: false,
    ...(contactChannel ? { contactChannel } : {}),
    keywords: { en: [id], fr: [id] },
    dpvPurposes: ['https://w3id.org/dpv#DirectMarketing'],
  };
}

const newsletter = purpose('newsletter', 'email');
const sms = purpose('sms-offers', 'sms');
const catalogue: Catalogue = {
  version: '2026-01-01',
  controller: { name: 'Acme', contact: 'privacy@acme.test' },
  supervisoryAuthority: { name: text('Authority'), url: text('https://authority.test/') },
  dataCategories: [],
  purposes: [newsletter, sms],
};

let seq = 0;
function event(purposeId: string, decision: Decision): ConsentEvent {
  seq += 1;
  return {
    id: `e${seq}`,
    seq,
    recordedAt: new Date(Date.UTC(2026, 10, 2, 9, seq)).toISOString(),
    subject: { channelId: 'webchat', userId: 'p:jane' },
    purposeId,
    decision,
    purposeVersion: 1,
    catalogueVersion: catalogue.version,
    noticeHash: null,
    locale: 'en',
    channelId: 'webchat',
    conversationId: 'c1',
    activityId: `a${seq}`,
    source: 'conversation',
    explicit: false,
    // The chain is not what these tests are about.
    prevHash: GENESIS_HASH,
    hash: GENESIS_HASH,
  };
}

/** The status of one purpose after these decisions, as the ledger derives it. */
function statusAfter(target: Purpose, decisions: readonly Decision[]): PurposeStatus {
  const history = decisions.map((d) => event(target.id, d));
  const status = deriveStatuses(catalogue, history).find((s) => s.purposeId === target.id);
  if (!status) throw new Error(`no status for ${target.id}`);
  return status;
}

describe('contactPermission', () => {
  it.each<[string, Purpose, readonly Decision[], boolean, ContactPermissionReason]>([
    ['granted (no double opt-in)', sms, ['given'], true, 'granted'],
    ['granted after e-mail confirmation', newsletter, ['given', 'confirmed'], true, 'granted'],
    ['given, e-mail not confirmed yet', newsletter, ['given'], false, 'pending-confirmation'],
    ['confirmation link expired', newsletter, ['given', 'expired'], false, 'no-consent'],
    ['withdrawn after a grant', sms, ['given', 'withdrawn'], false, 'withdrawn'],
    ['withdrawn while pending', newsletter, ['given', 'withdrawn'], false, 'withdrawn'],
    ['refused', sms, ['refused'], false, 'refused'],
    ['given again after a withdrawal', sms, ['given', 'withdrawn', 'given'], true, 'granted'],
    ['never asked', sms, [], false, 'no-consent'],
  ])('%s', (_name, target, decisions, allowed, reason) => {
    const status = statusAfter(target, decisions);
    expect(contactPermission({ purpose: target, status, suppressed: false })).toEqual({
      allowed,
      reason,
    });
  });

  it('answers notice-changed for a yes given to an older version of a changed notice', () => {
    const changed: Purpose = { ...sms, version: sms.version + 1 };
    const status = statusAfter(sms, ['given']);
    expect(contactPermission({ purpose: changed, status, suppressed: false })).toEqual({
      allowed: false,
      reason: 'notice-changed',
    });
  });

  it('answers no-consent when there is no status at all', () => {
    expect(contactPermission({ purpose: sms, status: undefined, suppressed: false })).toEqual({
      allowed: false,
      reason: 'no-consent',
    });
  });

  it('answers unknown-purpose for a purpose the catalogue does not have', () => {
    expect(contactPermission({ purpose: undefined, status: undefined, suppressed: false })).toEqual(
      { allowed: false, reason: 'unknown-purpose' },
    );
  });

  it('lets suppression win over every status, and over an unknown purpose (art. 17, 21(3))', () => {
    const statuses: (PurposeStatus | undefined)[] = [
      undefined,
      ...STATUSES.map((status: ConsentStatus) => ({ purposeId: sms.id, status })),
    ];
    for (const status of statuses) {
      expect(contactPermission({ purpose: sms, status, suppressed: true })).toEqual({
        allowed: false,
        reason: 'suppressed',
      });
    }
    expect(contactPermission({ purpose: undefined, status: undefined, suppressed: true })).toEqual({
      allowed: false,
      reason: 'suppressed',
    });
  });

  it('allows contact for granted only, whatever else is true', () => {
    const answers = [true, false].flatMap((suppressed) =>
      STATUSES.map((status) =>
        contactPermission({ purpose: sms, status: { purposeId: sms.id, status }, suppressed }),
      ),
    );
    expect(answers.filter((a) => a.allowed)).toEqual([{ allowed: true, reason: 'granted' }]);
    for (const answer of answers) expect(CONTACT_PERMISSION_REASONS).toContain(answer.reason);
  });

  it('refuses a status that is about another purpose', () => {
    expect(() =>
      contactPermission({
        purpose: sms,
        status: { purposeId: newsletter.id, status: 'granted' },
        suppressed: false,
      }),
    ).toThrow(RangeError);
  });
});
