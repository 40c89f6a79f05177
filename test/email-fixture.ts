import { createServer as createNetServer, type AddressInfo } from 'node:net';
import i18next from 'i18next';
import enMail from '../locales/en/mail.json' with { type: 'json' };
import enPages from '../locales/en/pages.json' with { type: 'json' };
import frMail from '../locales/fr/mail.json' with { type: 'json' };
import frPages from '../locales/fr/pages.json' with { type: 'json' };
import { RESOURCES, type Translator } from '../bot/platform/i18n.js';
import { createLogger } from '../bot/platform/log.js';

/**
 * The mail.json and pages.json namespaces mounted under `mail.` and `pages.`, as bot/i18n.ts is
 * to do it (spreading is harmless once it does).
 */
function translatorWithEmailTexts(): Translator {
  const instance = i18next.createInstance();
  void instance.init({
    resources: {
      en: { translation: { ...RESOURCES.en, mail: enMail, pages: enPages } },
      fr: { translation: { ...RESOURCES.fr, mail: frMail, pages: frPages } },
    },
    lng: 'en',
    fallbackLng: false,
    initAsync: false,
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return (locale) => {
    const t = instance.getFixedT(locale);
    return (key, values) => t(key, values ?? {});
  };
}

export const translator = translatorWithEmailTexts();
export const controller = { name: 'Maison Lumière SAS', contact: 'privacy@example.com' };
export const TO = 'ada.lovelace@example.org';

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function collectingLog() {
  const lines: string[] = [];
  return { lines, log: createLogger('debug', (line) => lines.push(line)) };
}
