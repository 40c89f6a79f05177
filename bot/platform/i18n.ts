import i18next, { type TFunction } from 'i18next';
import { isLocale, type Locale } from '../../consent/catalogue.js';
import enMail from '../../locales/en/mail.json' with { type: 'json' };
import enPages from '../../locales/en/pages.json' with { type: 'json' };
import enRights from '../../locales/en/rights.json' with { type: 'json' };
import en from '../../locales/en/translation.json' with { type: 'json' };
import frMail from '../../locales/fr/mail.json' with { type: 'json' };
import frPages from '../../locales/fr/pages.json' with { type: 'json' };
import frRights from '../../locales/fr/rights.json' with { type: 'json' };
import fr from '../../locales/fr/translation.json' with { type: 'json' };

/**
 * Every text per locale. Each feature owns its file (chat, e-mails, web pages, rights), mounted under its
 * own prefix: `mail.confirm.subject` is `confirm.subject` in mail.json.
 */
export const RESOURCES = {
  en: { ...en, mail: enMail, pages: enPages, rights: enRights },
  fr: { ...fr, mail: frMail, pages: frPages, rights: frRights },
} as const;

export type Translate = (key: string, values?: Record<string, unknown>) => string;

/** One i18next instance for the process, initialised synchronously from the bundled locales. */
export type Translator = (locale: Locale) => Translate;

export function createTranslator(): Translator {
  const instance = i18next.createInstance();
  void instance.init({
    resources: { en: { translation: RESOURCES.en }, fr: { translation: RESOURCES.fr } },
    lng: 'en',
    fallbackLng: false,
    initAsync: false,
    // Replies are plain text, not HTML: escaping would show "&amp;" to customers.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  const fixed = new Map<Locale, TFunction>();
  return (locale) => {
    let t = fixed.get(locale);
    if (!t) {
      t = instance.getFixedT(locale);
      fixed.set(locale, t);
    }
    const bound = t;
    return (key, values) => bound(key, values ?? {});
  };
}

/** "fr-FR", "fr_CA", "FR" -> fr. Anything we do not speak falls back to the configured default. */
export function localeFrom(tag: string | undefined, fallback: Locale): Locale {
  const primary = tag?.trim().toLowerCase().split(/[-_]/)[0];
  return isLocale(primary) ? primary : fallback;
}

/** "a, b and c" in the person's language, without hard-coding a conjunction. */
export function listOf(locale: Locale, items: readonly string[]): string {
  return new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }).format(items);
}
