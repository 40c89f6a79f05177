// @ts-check
/**
 * The compliance console: plain browser JavaScript, no build step, no third-party code, served
 * under a CSP that allows only this file to run. Everything the API returns is personal or legal
 * evidence, so it is rendered with textContent and DOM nodes only: no data ever becomes markup.
 */

/**
 * @typedef {{ channelId: string, userId: string }} Subject
 * @typedef {{
 *   id: string, seq: number, recordedAt: string, subject: Subject, purposeId: string,
 *   purposeVersion: number, catalogueVersion: string, decision: string, source: string,
 *   explicit: boolean, locale: string, channelId: string, conversationId: string,
 *   noticeHash: string | null, prevHash: string, hash: string
 * }} ConsentEvent
 * @typedef {{ text: string, locale: string, purposeVersion: number, catalogueVersion: string,
 *   hash: string }} Notice
 * @typedef {{ kind: 'activity', at: string, direction: 'in' | 'out', type: string, text?: string,
 *   name?: string } | { kind: 'consent', at: string, event: ConsentEvent, notice: Notice | null }}
 *   TimelineItem
 * @typedef {{ channelId: string, conversationId: string, firstAt: string, lastAt: string,
 *   activities: number }} ConversationSummary
 * @typedef {{ period: string, given: number, refused: number, withdrawn: number,
 *   confirmed: number, expired: number, consentRate: number | null,
 *   withdrawalRate: number | null }} PeriodCounts
 * @typedef {{ purposes: { purposeId: string, series: PeriodCounts[] }[],
 *   optOutReasons: { totals: Record<string, number> } }} Aggregates
 * @typedef {{ at: string, principal: string, role: string, action: string, target: string,
 *   detail?: Record<string, string | number | boolean> }} AccessRecord
 * @typedef {{ scope: string, subjects: number, events: number, intact: boolean,
 *   problems: { subject: string, kind: string, seq: number, eventId: string }[],
 *   problemCount?: number }} Verification
 */

const TOKEN_KEY = 'consent-console.token';
const LANGUAGE_KEY = 'consent-console.language';

/** @type {Record<'en' | 'fr', Record<string, string>>} */
const MESSAGES = {
  en: {
    skip: 'Skip to content',
    title: 'Consent compliance console',
    language: 'Language',
    signOut: 'Sign out',
    'nav.events': 'Consent events',
    'nav.conversations': 'Conversations',
    'nav.reports': 'Reports',
    'nav.access': 'Access log',
    'signIn.title': 'Sign in',
    'signIn.hint':
      'Paste an API token with the compliance role. It is kept in this browser tab only and forgotten when the tab closes.',
    'signIn.token': 'Access token',
    'signIn.submit': 'Sign in',
    'signIn.empty': 'Enter a token.',
    'events.title': 'Consent events',
    'events.caption': 'Consent events, newest first',
    'field.channelId': 'Channel',
    'field.userId': 'User id',
    'field.purposeId': 'Purpose',
    'field.decision': 'Decision',
    'field.catalogueVersion': 'Catalogue version',
    'field.from': 'From',
    'field.to': 'To (included)',
    'field.period': 'Period',
    'field.limit': 'Rows per page',
    'field.principal': 'Principal',
    any: 'Any',
    'decision.given': 'given',
    'decision.refused': 'refused',
    'decision.withdrawn': 'withdrawn',
    'decision.confirmed': 'confirmed',
    'decision.expired': 'expired',
    search: 'Search',
    'verify.these': 'Verify integrity',
    'verify.store': 'Verify whole store',
    'export.label': 'Export',
    'export.receipts': 'Receipts',
    'col.recordedAt': 'Recorded',
    'col.channel': 'Channel',
    'col.subject': 'Subject (pseudonym)',
    'col.purpose': 'Purpose',
    'col.decision': 'Decision',
    'col.source': 'Source',
    'col.versions': 'Versions',
    'col.conversation': 'Conversation',
    'col.lastAt': 'Last activity',
    'col.activities': 'Activities',
    'col.kind': 'Problem',
    'col.seq': 'Seq',
    'col.event': 'Event',
    'col.at': 'Time',
    'col.principal': 'Principal',
    'col.role': 'Role',
    'col.action': 'Action',
    'col.target': 'Whose data (pseudonym)',
    'col.detail': 'Details',
    'access.title': 'Access log',
    'access.hint':
      'Who reached whose personal data through the API, and when. People appear by their pseudonym only.',
    'access.caption': 'Accesses to personal data, newest first',
    'access.everyone': 'All people',
    'action.consents.read': "A person's consents read",
    'action.chain.verify': "A person's proof verified",
    'action.receipts.read': 'Consent receipts read',
    'action.permission.read': 'Contact permissions read',
    'action.subject.export': "A person's data exported (access request)",
    'action.subject.erase': "A person's data erased",
    'action.handoff.start': 'Hand-off to the bot started',
    'action.handoff.read': 'Hand-offs read',
    'action.ledger.search': 'Consent events searched',
    'action.transcripts.search': 'Conversations searched',
    'action.transcript.read': 'Transcript read',
    'action.export.events.jsonl': 'Events exported (JSONL)',
    'action.export.events.csv': 'Events exported (CSV)',
    'action.export.receipts.jsonl': 'Receipts exported (JSONL)',
    'action.ledger.verify': 'Integrity verified',
    'action.access-log.read': 'Access log read',
    empty: 'Nothing found.',
    more: 'More',
    'conversations.title': 'Conversations',
    'conversations.caption': 'Conversations, most recent first',
    'transcript.title': 'Transcript',
    'transcript.pick': 'Open a conversation to read it here.',
    'transcript.meta': '{channel} · {conversation} · {count} items',
    'transcript.person': 'Customer',
    'transcript.bot': 'Bot',
    'transcript.nonText': '{type} activity',
    'consent.heading': 'Consent recorded: {decision}',
    'consent.purpose': 'Purpose',
    'consent.purposeVersion': 'Purpose version',
    'consent.catalogueVersion': 'Catalogue version',
    'consent.locale': 'Language',
    'consent.source': 'Source',
    'consent.explicit': 'Explicit',
    'consent.seq': 'Seq',
    'consent.noticeHash': 'Notice hash',
    'consent.notice': 'Notice shown to the person',
    'consent.noNotice': 'No notice applies: this decision did not answer a notice (e.g. a stop).',
    'consent.noticeMissing': 'The notice archive holds no text under this hash.',
    yes: 'yes',
    no: 'no',
    'reports.title': 'Reports',
    'reports.show': 'Show',
    'period.day': 'Day',
    'period.month': 'Month',
    'chart.consentRate': 'Consent rate by purpose',
    'chart.withdrawalRate': 'Withdrawals per consent given, by purpose',
    'chart.reasons': 'Opt-out reasons',
    'chart.empty': 'No data in this range.',
    'chart.data': 'Data table',
    'chart.point': '{purpose}, {period}: {value}',
    'col.period': 'Period',
    'col.rate': 'Rate',
    'col.reason': 'Reason',
    'col.count': 'Answers',
    'reason.too-many-messages': 'Too frequent',
    'reason.not-relevant': 'Not relevant',
    'reason.privacy-worries': 'Privacy worries',
    'reason.other': 'Other',
    'verify.intact': 'Intact',
    'verify.broken': 'Integrity problems found',
    'verify.summary': 'Events checked: {events} · People: {subjects} · Scope: {scope}',
    'verify.problems': 'Problems: {count}',
    'status.loading': 'Loading…',
    'status.signedIn': 'Signed in.',
    'status.signedOut': 'Signed out.',
    'status.events': 'Events shown: {count}.',
    'status.conversations': 'Conversations shown: {count}.',
    'status.access': 'Access records shown: {count}.',
    'status.transcript': 'Transcript loaded: {count} items.',
    'status.exported': 'Downloaded {file} ({size}).',
    'status.reports': 'Reports updated.',
    'status.verified': 'Verification done.',
    'error.401': 'The token was not accepted (401). Sign in again with a valid token.',
    'error.403': 'This token does not have the compliance role (403).',
    'error.network': 'The server cannot be reached. Check the connection and try again.',
    'error.http': 'Request failed ({status} {code}): {message}',
    footer: 'Every search, transcript and export is recorded in the access log under your token.',
  },
  fr: {
    skip: 'Aller au contenu',
    title: 'Console de conformité des consentements',
    language: 'Langue',
    signOut: 'Se déconnecter',
    'nav.events': 'Événements de consentement',
    'nav.conversations': 'Conversations',
    'nav.reports': 'Rapports',
    'nav.access': "Journal d'accès",
    'signIn.title': 'Connexion',
    'signIn.hint':
      "Collez un jeton d'API du rôle conformité. Il n'est gardé que dans cet onglet et oublié à sa fermeture.",
    'signIn.token': "Jeton d'accès",
    'signIn.submit': 'Se connecter',
    'signIn.empty': 'Saisissez un jeton.',
    'events.title': 'Événements de consentement',
    'events.caption': 'Événements de consentement, du plus récent au plus ancien',
    'field.channelId': 'Canal',
    'field.userId': 'Identifiant utilisateur',
    'field.purposeId': 'Finalité',
    'field.decision': 'Décision',
    'field.catalogueVersion': 'Version du catalogue',
    'field.from': 'Du',
    'field.to': 'Au (inclus)',
    'field.period': 'Période',
    'field.limit': 'Lignes par page',
    'field.principal': 'Appelant',
    any: 'Toutes',
    'decision.given': 'donné',
    'decision.refused': 'refusé',
    'decision.withdrawn': 'retiré',
    'decision.confirmed': 'confirmé',
    'decision.expired': 'expiré',
    search: 'Rechercher',
    'verify.these': "Vérifier l'intégrité",
    'verify.store': 'Vérifier tout le registre',
    'export.label': 'Exporter',
    'export.receipts': 'Reçus',
    'col.recordedAt': 'Enregistré le',
    'col.channel': 'Canal',
    'col.subject': 'Personne (pseudonyme)',
    'col.purpose': 'Finalité',
    'col.decision': 'Décision',
    'col.source': 'Origine',
    'col.versions': 'Versions',
    'col.conversation': 'Conversation',
    'col.lastAt': 'Dernière activité',
    'col.activities': 'Activités',
    'col.kind': 'Problème',
    'col.seq': 'N°',
    'col.event': 'Événement',
    'col.at': 'Heure',
    'col.principal': 'Appelant',
    'col.role': 'Rôle',
    'col.action': 'Action',
    'col.target': 'Données de (pseudonyme)',
    'col.detail': 'Détails',
    'access.title': "Journal d'accès",
    'access.hint':
      "Qui a consulté les données personnelles de qui par l'API, et quand. Les personnes n'y figurent que sous leur pseudonyme.",
    'access.caption': 'Accès aux données personnelles, du plus récent au plus ancien',
    'access.everyone': 'Toutes les personnes',
    'action.consents.read': "Consentements d'une personne lus",
    'action.chain.verify': "Preuve d'une personne vérifiée",
    'action.receipts.read': 'Reçus de consentement lus',
    'action.permission.read': 'Autorisations de contact lues',
    'action.subject.export': "Données d'une personne exportées (droit d'accès)",
    'action.subject.erase': "Données d'une personne effacées",
    'action.handoff.start': 'Passage de relais au bot lancé',
    'action.handoff.read': 'Passages de relais lus',
    'action.ledger.search': 'Événements de consentement recherchés',
    'action.transcripts.search': 'Conversations recherchées',
    'action.transcript.read': 'Transcription lue',
    'action.export.events.jsonl': 'Événements exportés (JSONL)',
    'action.export.events.csv': 'Événements exportés (CSV)',
    'action.export.receipts.jsonl': 'Reçus exportés (JSONL)',
    'action.ledger.verify': 'Intégrité vérifiée',
    'action.access-log.read': 'Journal d’accès consulté',
    empty: 'Aucun résultat.',
    more: 'Plus',
    'conversations.title': 'Conversations',
    'conversations.caption': 'Conversations, de la plus récente à la plus ancienne',
    'transcript.title': 'Transcription',
    'transcript.pick': 'Ouvrez une conversation pour la lire ici.',
    'transcript.meta': '{channel} · {conversation} · {count} éléments',
    'transcript.person': 'Client',
    'transcript.bot': 'Bot',
    'transcript.nonText': 'activité {type}',
    'consent.heading': 'Consentement enregistré : {decision}',
    'consent.purpose': 'Finalité',
    'consent.purposeVersion': 'Version de la finalité',
    'consent.catalogueVersion': 'Version du catalogue',
    'consent.locale': 'Langue',
    'consent.source': 'Origine',
    'consent.explicit': 'Explicite',
    'consent.seq': 'N°',
    'consent.noticeHash': "Empreinte de l'information",
    'consent.notice': 'Information montrée à la personne',
    'consent.noNotice':
      "Aucune information ne s'applique : cette décision ne répondait pas à une information (ex. : un arrêt).",
    'consent.noticeMissing': "L'archive ne contient aucun texte sous cette empreinte.",
    yes: 'oui',
    no: 'non',
    'reports.title': 'Rapports',
    'reports.show': 'Afficher',
    'period.day': 'Jour',
    'period.month': 'Mois',
    'chart.consentRate': 'Taux de consentement par finalité',
    'chart.withdrawalRate': 'Retraits par consentement donné, par finalité',
    'chart.reasons': 'Raisons des désinscriptions',
    'chart.empty': 'Aucune donnée sur cette période.',
    'chart.data': 'Tableau des données',
    'chart.point': '{purpose}, {period} : {value}',
    'col.period': 'Période',
    'col.rate': 'Taux',
    'col.reason': 'Raison',
    'col.count': 'Réponses',
    'reason.too-many-messages': 'Trop fréquent',
    'reason.not-relevant': 'Pas pertinent',
    'reason.privacy-worries': 'Inquiétudes sur la vie privée',
    'reason.other': 'Autre',
    'verify.intact': 'Intact',
    'verify.broken': "Problèmes d'intégrité détectés",
    'verify.summary': 'Événements vérifiés : {events} · Personnes : {subjects} · Portée : {scope}',
    'verify.problems': 'Problèmes : {count}',
    'status.loading': 'Chargement…',
    'status.signedIn': 'Connecté.',
    'status.signedOut': 'Déconnecté.',
    'status.events': 'Événements affichés : {count}.',
    'status.conversations': 'Conversations affichées : {count}.',
    'status.access': 'Accès affichés : {count}.',
    'status.transcript': 'Transcription chargée : {count} éléments.',
    'status.exported': '{file} téléchargé ({size}).',
    'status.reports': 'Rapports mis à jour.',
    'status.verified': 'Vérification terminée.',
    'error.401': "Le jeton n'a pas été accepté (401). Reconnectez-vous avec un jeton valide.",
    'error.403': "Ce jeton n'a pas le rôle conformité (403).",
    'error.network': 'Le serveur est injoignable. Vérifiez la connexion et réessayez.',
    'error.http': 'La requête a échoué ({status} {code}) : {message}',
    footer:
      "Chaque recherche, transcription et export est inscrit au journal d'accès sous votre jeton.",
  },
};

/** @type {'en' | 'fr'} */
let language = 'en';

/**
 * @param {string} key
 * @param {Record<string, string | number>} [values]
 */
function t(key, values = {}) {
  const text = MESSAGES[language][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(
    /\{(\w+)\}/g,
    /** @type {(whole: string, name: string) => string} */
    (whole, name) => {
      const value = values[name];
      return value === undefined ? whole : String(value);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// DOM helpers: every piece of data goes through textContent or an attribute, never markup.

/** @param {string} id */
function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{ className?: string, text?: string, attrs?: Record<string, string> }} [options]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
function h(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {(Node | string)[]} [children]
 */
function svg(tag, attrs = {}, children = []) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

/** @param {string} iso */
function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'medium' }).format(
    date,
  );
}

/** @param {string} iso */
function timeElement(iso) {
  return h('time', { text: formatTime(iso), attrs: { datetime: iso } });
}

/** @param {number | null} rate */
function percent(rate) {
  return rate === null ? '–' : `${(rate * 100).toFixed(rate === 0 || rate === 1 ? 0 : 1)} %`;
}

/** @param {number} bytes */
function size(bytes) {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} kB`;
}

/** A long hash or pseudonym, shortened on screen; the full value stays selectable in a title. */
/** @param {string} value */
function shortCode(value) {
  const shown = value.length > 18 ? `${value.slice(0, 14)}…` : value;
  return h('code', { text: shown, attrs: { title: value } });
}

/** @param {string} decision */
function decisionBadge(decision) {
  return h('span', { className: `badge decision-${decision}`, text: t(`decision.${decision}`) });
}

/** Applies the current language to every element that names a message key. */
function translatePage() {
  document.documentElement.lang = language;
  for (const node of document.querySelectorAll('[data-i18n]')) {
    const key = node.getAttribute('data-i18n');
    if (key) node.textContent = t(key);
  }
  document.title = t('title');
}

// ---------------------------------------------------------------------------------------------
// Status and errors: one polite live region for progress, one alert for failures.

/** @param {string} message */
function showStatus(message) {
  byId('status').textContent = message;
}

/** @param {string} message */
function showError(message) {
  const node = byId('error');
  node.textContent = message;
  node.hidden = message === '';
}

// ---------------------------------------------------------------------------------------------
// The API: the token goes in the Authorization header of every call, and only there.

class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/**
 * @param {Record<string, string>} params
 * @returns {string}
 */
function queryOf(params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== '') query.set(name, value);
  const text = query.toString();
  return text ? `?${text}` : '';
}

/**
 * @param {string} path
 * @param {Record<string, string>} [params]
 * @param {string} [bearer]
 * @returns {Promise<Response>}
 */
async function call(path, params = {}, bearer = token()) {
  let response;
  try {
    response = await fetch(`${path}${queryOf(params)}`, {
      headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, t('error.network'));
  }
  if (response.ok) return response;
  if (response.status === 401) throw new ApiError(401, t('error.401'));
  if (response.status === 403) throw new ApiError(403, t('error.403'));
  /** @type {{ code?: unknown, message?: unknown }} */
  let body = {};
  try {
    body = await jsonOf(response);
  } catch {
    // A proxy's HTML error page: the status alone says enough.
  }
  throw new ApiError(
    response.status,
    t('error.http', {
      status: response.status,
      code: typeof body.code === 'string' ? body.code : '',
      message: typeof body.message === 'string' ? body.message : response.statusText,
    }),
  );
}

/**
 * @template T
 * @param {string} path
 * @param {Record<string, string>} [params]
 * @returns {Promise<T>}
 */
async function getJson(path, params = {}) {
  return jsonOf(await call(path, params));
}

/**
 * The body as the API contract describes it.
 * @template T
 * @param {Response} response
 * @returns {Promise<T>}
 */
async function jsonOf(response) {
  /** @type {unknown} */
  const body = await response.json();
  return /** @type {T} */ (body);
}

/**
 * Runs one user action: marks the page busy, and turns any failure into a visible message. A
 * rejected token ends the session, so no personal data stays on screen under it.
 * @param {() => Promise<string>} action resolves to the status to announce
 */
async function run(action) {
  const main = byId('main');
  main.setAttribute('aria-busy', 'true');
  showError('');
  showStatus(t('status.loading'));
  try {
    showStatus(await action());
  } catch (error) {
    showStatus('');
    if (error instanceof ApiError && error.status === 401) {
      signOut(error.message);
      return;
    }
    showError(error instanceof Error ? error.message : String(error));
  } finally {
    main.removeAttribute('aria-busy');
  }
}

// ---------------------------------------------------------------------------------------------
// Forms: `to` is shown inclusive (a person means "up to and with this day"), the API's is exclusive.

/** @param {string} day YYYY-MM-DD */
function nextDay(day) {
  const date = new Date(`${day}T00:00:00.000Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/** @param {Date} date */
function dayOf(date) {
  return date.toISOString().slice(0, 10);
}

/**
 * @param {string} id
 * @param {string[]} [omit] fields that are not filters for this call (the page size of an export)
 * @returns {Record<string, string>}
 */
function filtersOf(id, omit = []) {
  const form = /** @type {HTMLFormElement} */ (byId(id));
  /** @type {Record<string, string>} */
  const params = {};
  for (const [name, value] of new FormData(form)) {
    if (omit.includes(name) || typeof value !== 'string' || value.trim() === '') continue;
    params[name] = name === 'to' ? nextDay(value) : value.trim();
  }
  return params;
}

/** @param {string} id */
function formOf(id) {
  return /** @type {HTMLFormElement} */ (byId(id));
}

// ---------------------------------------------------------------------------------------------
// Views

const VIEWS = ['events', 'conversations', 'reports', 'access'];

/** @param {string} name */
function showView(name) {
  for (const view of VIEWS) byId(`view-${view}`).hidden = view !== name;
  for (const button of byId('views').querySelectorAll('button')) {
    if (button.dataset.view === name) button.setAttribute('aria-current', 'page');
    else button.removeAttribute('aria-current');
  }
}

/** @param {HTMLTableElement} table */
function tableParts(table) {
  const body = table.tBodies[0];
  const card = table.parentElement;
  const empty = card?.querySelector('.empty');
  const more = card?.querySelector('.more');
  if (!body || !(empty instanceof HTMLElement) || !(more instanceof HTMLElement)) {
    throw new Error('table card incomplete');
  }
  return { body, empty, more };
}

/**
 * The query of each table's next page, or null when it has none.
 * @type {Record<'events' | 'conversations' | 'access', Record<string, string> | null>}
 */
const paging = { events: null, conversations: null, access: null };

/**
 * One page of a searchable table: a fresh search from its form, or the next page ("More").
 * @template T
 * @param {{
 *   key: keyof typeof paging,
 *   table: string,
 *   form: string,
 *   url: string,
 *   items: (page: any) => T[],
 *   row: (item: T) => HTMLElement,
 *   status: string,
 *   extra?: Record<string, string>,
 * }} spec
 * @param {boolean} fresh
 */
async function pagedSearch(spec, fresh) {
  const { body, empty, more } = tableParts(/** @type {HTMLTableElement} */ (byId(spec.table)));
  const params = fresh ? { ...filtersOf(spec.form), ...spec.extra } : paging[spec.key];
  if (!params) return '';
  /** @type {{ next?: string }} */
  const page = await getJson(spec.url, params);
  if (fresh) body.replaceChildren();
  body.append(...spec.items(page).map(spec.row));
  paging[spec.key] = page.next ? { ...params, after: page.next } : null;
  more.hidden = !page.next;
  empty.hidden = body.rows.length > 0;
  return t(spec.status, { count: body.rows.length });
}

// Events ------------------------------------------------------------------------------------

/** @param {ConsentEvent} event */
function eventRow(event) {
  const open = h('button', {
    className: 'link',
    text: event.conversationId,
    attrs: { type: 'button', title: event.conversationId },
  });
  open.addEventListener('click', () => {
    showView('conversations');
    void run(() => openTranscript(event.channelId, event.conversationId));
  });
  return h('tr', {}, [
    h('td', {}, [timeElement(event.recordedAt)]),
    h('td', { text: event.channelId }),
    h('td', {}, [shortCode(event.subject.userId)]),
    h('td', { text: event.purposeId }),
    h('td', {}, [decisionBadge(event.decision)]),
    h('td', { text: event.source }),
    h('td', { text: `v${event.purposeVersion} · ${event.catalogueVersion}` }),
    h('td', { className: 'truncate' }, [open]),
  ]);
}

/** @param {boolean} fresh */
const searchEvents = (fresh) =>
  pagedSearch(
    {
      key: 'events',
      table: 'events-table',
      form: 'events-form',
      url: '/api/compliance/events',
      /** @param {{ events: ConsentEvent[] }} page */
      items: (page) => page.events,
      row: eventRow,
      status: 'status.events',
    },
    fresh,
  );

// Verification --------------------------------------------------------------------------------

/** @param {boolean} wholeStore */
async function verify(wholeStore) {
  const filters = filtersOf('events-form');
  /** @type {Record<string, string>} */
  const scope = {};
  if (!wholeStore) {
    for (const name of ['channelId', 'userId', 'from', 'to']) {
      const value = filters[name];
      if (value) scope[name] = value;
    }
  }
  /** @type {Verification} */
  const result = await getJson('/api/compliance/verify', scope);
  const panel = byId('verify-result');
  panel.className = `card verify ${result.intact ? 'intact' : 'broken'}`;
  const children = [
    h('p', { className: 'verdict' }, [
      h('span', {
        className: 'verdict-mark',
        text: result.intact ? '✓' : '✗',
        attrs: { 'aria-hidden': 'true' },
      }),
      h('strong', { text: t(result.intact ? 'verify.intact' : 'verify.broken') }),
    ]),
    h('p', {
      text: t('verify.summary', {
        events: result.events,
        subjects: result.subjects,
        scope: result.scope,
      }),
    }),
  ];
  if (!result.intact) {
    children.push(
      // The server may list only the first problems of many; the count is of all of them.
      h('p', {
        text: t('verify.problems', { count: result.problemCount ?? result.problems.length }),
      }),
      h('table', {}, [
        h('thead', {}, [
          h('tr', {}, [
            h('th', { text: t('col.subject'), attrs: { scope: 'col' } }),
            h('th', { text: t('col.kind'), attrs: { scope: 'col' } }),
            h('th', { text: t('col.seq'), attrs: { scope: 'col' } }),
            h('th', { text: t('col.event'), attrs: { scope: 'col' } }),
          ]),
        ]),
        h(
          'tbody',
          {},
          result.problems.map((problem) =>
            h('tr', {}, [
              h('td', {}, [shortCode(problem.subject)]),
              h('td', { text: problem.kind }),
              h('td', { text: String(problem.seq) }),
              h('td', {}, [shortCode(problem.eventId)]),
            ]),
          ),
        ),
      ]),
    );
  }
  panel.replaceChildren(...children);
  panel.hidden = false;
  return t('status.verified');
}

// Exports -------------------------------------------------------------------------------------

/**
 * The export routes need the Authorization header, which a plain link cannot send: fetch the file,
 * then hand it to the browser's download manager from memory.
 * @param {string} name
 */
async function exportFile(name) {
  const response = await call(
    `/api/compliance/export/${name}`,
    filtersOf('events-form', ['limit']),
  );
  const blob = await response.blob();
  const disposition = response.headers.get('content-disposition') ?? '';
  const file = /filename="([^"]+)"/.exec(disposition)?.[1] ?? name;
  const url = URL.createObjectURL(blob);
  const link = h('a', { attrs: { href: url, download: file }, className: 'visually-hidden' });
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the object URL; keep it a moment for slow browsers.
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 10_000);
  return t('status.exported', { file, size: size(blob.size) });
}

// Conversations and transcripts -----------------------------------------------------------------

/** @param {{ channelId: string, conversationId: string }} conversation */
function keyOf({ channelId, conversationId }) {
  return JSON.stringify([channelId, conversationId]);
}

/** @param {ConversationSummary} conversation */
function conversationRow(conversation) {
  const open = h('button', { className: 'link', attrs: { type: 'button' } }, [
    h('span', { className: 'conversation-id', text: conversation.conversationId }),
    h('span', { className: 'muted', text: conversation.channelId }),
  ]);
  open.addEventListener('click', () => {
    void run(() => openTranscript(conversation.channelId, conversation.conversationId));
  });
  return h('tr', { attrs: { 'data-key': keyOf(conversation) } }, [
    h('td', { className: 'truncate' }, [open]),
    h('td', {}, [timeElement(conversation.lastAt)]),
    h('td', { className: 'number', text: String(conversation.activities) }),
  ]);
}

/** @param {boolean} fresh */
const searchConversations = (fresh) =>
  pagedSearch(
    {
      key: 'conversations',
      table: 'conversations-table',
      form: 'conversations-form',
      url: '/api/compliance/conversations',
      /** @param {{ conversations: ConversationSummary[] }} page */
      items: (page) => page.conversations,
      row: conversationRow,
      status: 'status.conversations',
      extra: { limit: '50' },
    },
    fresh,
  );

/**
 * @param {string} term
 * @param {Node | string} value
 */
function definition(term, value) {
  return [h('dt', { text: term }), h('dd', {}, [value])];
}

/** @param {Extract<TimelineItem, { kind: 'consent' }>} item */
function consentCard(item) {
  const { event, notice } = item;
  const card = h('article', { className: `consent-card decision-${event.decision}` }, [
    h('header', {}, [
      h('span', { className: 'consent-mark', text: '§', attrs: { 'aria-hidden': 'true' } }),
      h('h3', { text: t('consent.heading', { decision: t(`decision.${event.decision}`) }) }),
      timeElement(item.at),
    ]),
    h('dl', {}, [
      ...definition(t('consent.purpose'), event.purposeId),
      ...definition(t('consent.purposeVersion'), String(event.purposeVersion)),
      ...definition(t('consent.catalogueVersion'), event.catalogueVersion),
      ...definition(t('consent.locale'), event.locale),
      ...definition(t('consent.source'), event.source),
      ...definition(t('consent.explicit'), t(event.explicit ? 'yes' : 'no')),
      ...definition(t('consent.seq'), String(event.seq)),
      ...definition(
        t('consent.noticeHash'),
        h('code', { className: 'hash', text: event.noticeHash ?? '–' }),
      ),
    ]),
  ]);
  card.append(
    notice
      ? h('figure', { className: 'notice' }, [
          h('figcaption', { text: t('consent.notice') }),
          h('blockquote', { text: notice.text, attrs: { lang: notice.locale } }),
        ])
      : h('p', {
          className: 'muted',
          text: t(event.noticeHash ? 'consent.noticeMissing' : 'consent.noNotice'),
        }),
  );
  return card;
}

/**
 * A message as a bubble on the speaker's side; anything without text (a member joining, a card
 * submission) as a quiet line across the timeline.
 * @param {Extract<TimelineItem, { kind: 'activity' }>} item
 */
function activityItem(item) {
  const who = t(item.direction === 'in' ? 'transcript.person' : 'transcript.bot');
  if (item.text === undefined) {
    const type = item.name ? `${item.type} (${item.name})` : item.type;
    return h('li', { className: `item note ${item.direction}` }, [
      h('span', { text: `${who} · ${t('transcript.nonText', { type })} · ` }),
      timeElement(item.at),
    ]);
  }
  return h('li', { className: `item message ${item.direction}` }, [
    h('div', { className: 'bubble' }, [
      h('p', { className: 'bubble-meta' }, [h('span', { text: who }), timeElement(item.at)]),
      h('p', { className: 'bubble-text', text: item.text }),
    ]),
  ]);
}

/**
 * @param {string} channelId
 * @param {string} conversationId
 */
async function openTranscript(channelId, conversationId) {
  /** @type {{ channelId: string, conversationId: string, timeline: TimelineItem[] }} */
  const transcript = await getJson(
    `/api/compliance/conversations/${encodeURIComponent(channelId)}/${encodeURIComponent(conversationId)}`,
  );
  const list = byId('timeline');
  list.replaceChildren(
    ...transcript.timeline.map((item) =>
      item.kind === 'consent'
        ? h('li', { className: 'item consent' }, [consentCard(item)])
        : activityItem(item),
    ),
  );
  const meta = byId('transcript-meta');
  meta.removeAttribute('data-i18n');
  meta.textContent = t('transcript.meta', {
    channel: transcript.channelId,
    conversation: transcript.conversationId,
    count: transcript.timeline.length,
  });
  const open = keyOf(transcript);
  for (const row of byId('conversations-table').querySelectorAll('tbody tr')) {
    if (row.getAttribute('data-key') === open) row.setAttribute('aria-current', 'true');
    else row.removeAttribute('aria-current');
  }
  byId('transcript-title').focus();
  return t('status.transcript', { count: transcript.timeline.length });
}

// Access log ------------------------------------------------------------------------------------

/** @param {string} action */
function actionLabel(action) {
  const key = `action.${action}`;
  // An action this console does not know yet is shown as the server names it.
  return key in MESSAGES.en ? t(key) : action;
}

/** @param {AccessRecord} record */
function accessRow(record) {
  const detail = Object.entries(record.detail ?? {});
  return h('tr', {}, [
    h('td', {}, [timeElement(record.at)]),
    h('td', { className: 'principal' }, [h('code', { text: record.principal })]),
    h('td', { text: record.role }),
    h('td', {}, [
      h('span', { className: 'action-label', text: actionLabel(record.action) }),
      h('code', { className: 'action muted', text: record.action }),
    ]),
    h('td', {}, [
      record.target === '*'
        ? h('span', { className: 'muted', text: t('access.everyone') })
        : shortCode(record.target),
    ]),
    h('td', {}, [
      detail.length === 0
        ? h('span', { className: 'muted', text: '–' })
        : h(
            'ul',
            { className: 'detail' },
            detail.map(([name, value]) =>
              h('li', {}, [h('code', { text: `${name}=${String(value)}` })]),
            ),
          ),
    ]),
  ]);
}

/** @param {boolean} fresh */
const searchAccessLog = (fresh) =>
  pagedSearch(
    {
      key: 'access',
      table: 'access-table',
      form: 'access-form',
      url: '/api/compliance/access-log',
      /** @param {{ records: AccessRecord[] }} page */
      items: (page) => page.records,
      row: accessRow,
      status: 'status.access',
    },
    fresh,
  );

// Reports: charts drawn as SVG by this file --------------------------------------------------------

const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d'];

/**
 * One line per purpose of a rate (0..1) over the periods, with a point per known value.
 * @param {HTMLElement} figure
 * @param {Aggregates['purposes']} purposes
 * @param {'consentRate' | 'withdrawalRate'} measure
 */
function drawRateChart(figure, purposes, measure) {
  const plot = figure.querySelector('.plot');
  if (!(plot instanceof HTMLElement)) return;
  const periods = [...new Set(purposes.flatMap((p) => p.series.map((s) => s.period)))].sort();
  const hasData = purposes.some((p) => p.series.some((s) => s[measure] !== null));
  if (!hasData) {
    plot.replaceChildren(h('p', { className: 'muted', text: t('chart.empty') }));
    return;
  }
  const width = 560;
  const height = 240;
  const left = 44;
  const right = 16;
  const top = 12;
  const bottom = 36;
  const innerWidth = width - left - right;
  const innerHeight = height - top - bottom;
  /** @param {number} index */
  const x = (index) =>
    left + (periods.length === 1 ? innerWidth / 2 : (index * innerWidth) / (periods.length - 1));
  // A withdrawal rate can pass 100 %: consents given in an earlier period, withdrawn in this one.
  const highest = Math.max(1, ...purposes.flatMap((p) => p.series.map((s) => s[measure] ?? 0)));
  const ceiling = Math.ceil(highest * 4) / 4;
  /** @param {number} rate */
  const y = (rate) => top + innerHeight * (1 - rate / ceiling);

  const caption = figure.querySelector('figcaption')?.textContent ?? '';
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': caption,
    class: 'svg-chart',
  });
  for (const tick of [0, 0.25, 0.5, 0.75, 1].map((step) => step * ceiling)) {
    chart.append(
      svg('line', { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: 'grid' }),
      svg('text', { x: left - 8, y: y(tick) + 4, class: 'axis', 'text-anchor': 'end' }, [
        `${Math.round(tick * 100)}%`,
      ]),
    );
  }
  // At most about six labels, the last period always among them, none overlapping it.
  const every = Math.ceil(periods.length / 6);
  const last = periods.length - 1;
  periods.forEach((period, index) => {
    if (index !== last && (index % every !== 0 || last - index < every * 0.75)) return;
    // The ends are anchored inwards so that no label runs out of the box.
    const anchor =
      periods.length === 1 ? 'middle' : index === 0 ? 'start' : index === last ? 'end' : 'middle';
    chart.append(
      svg('text', { x: x(index), y: height - 12, class: 'axis', 'text-anchor': anchor }, [period]),
    );
  });
  purposes.forEach((purpose, n) => {
    const colour = PALETTE[n % PALETTE.length] ?? '#2563eb';
    const byPeriod = new Map(purpose.series.map((s) => [s.period, s[measure]]));
    /** @type {string[]} */
    const segments = [];
    let pen = 'M';
    periods.forEach((period, index) => {
      const rate = byPeriod.get(period);
      if (rate === null || rate === undefined) {
        pen = 'M';
        return;
      }
      segments.push(`${pen}${x(index).toFixed(1)},${y(rate).toFixed(1)}`);
      pen = 'L';
    });
    chart.append(
      svg('path', { d: segments.join(' '), stroke: colour, class: 'line', fill: 'none' }),
    );
    periods.forEach((period, index) => {
      const rate = byPeriod.get(period);
      if (rate === null || rate === undefined) return;
      chart.append(
        svg(
          'circle',
          {
            cx: x(index),
            cy: y(rate),
            r: 4.5,
            fill: colour,
            class: 'point',
            'data-purpose': purpose.purposeId,
            'data-period': period,
            'data-value': rate,
          },
          [
            svg('title', {}, [
              t('chart.point', { purpose: purpose.purposeId, period, value: percent(rate) }),
            ]),
          ],
        ),
      );
    });
  });
  const legend = h(
    'ul',
    { className: 'legend' },
    purposes.map((purpose, n) =>
      h('li', {}, [
        h('span', {
          className: 'swatch',
          attrs: { 'data-colour': String(n % PALETTE.length), 'aria-hidden': 'true' },
        }),
        purpose.purposeId,
      ]),
    ),
  );
  const table = dataTable(
    [t('col.purpose'), t('col.period'), t('col.rate')],
    purposes.flatMap((purpose) =>
      purpose.series.map((s) => [purpose.purposeId, s.period, percent(s[measure])]),
    ),
  );
  plot.replaceChildren(chart, legend, table);
}

/**
 * @param {HTMLElement} figure
 * @param {Record<string, number>} totals
 */
function drawReasonChart(figure, totals) {
  const plot = figure.querySelector('.plot');
  if (!(plot instanceof HTMLElement)) return;
  const entries = Object.entries(totals);
  const max = Math.max(0, ...entries.map(([, count]) => count));
  if (max === 0) {
    plot.replaceChildren(h('p', { className: 'muted', text: t('chart.empty') }));
    return;
  }
  // Drawn across the whole card: a wider box keeps its text at the size of the other charts'.
  const width = 1000;
  const row = 34;
  const label = 200;
  const height = entries.length * row + 8;
  const caption = figure.querySelector('figcaption')?.textContent ?? '';
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': caption,
    class: 'svg-chart',
  });
  entries.forEach(([reason, count], index) => {
    const barWidth = ((width - label - 60) * count) / max;
    const top = index * row + 6;
    chart.append(
      svg('text', { x: label - 10, y: top + 17, class: 'axis label', 'text-anchor': 'end' }, [
        t(`reason.${reason}`),
      ]),
      svg('rect', { x: label, y: top, width: label, height: 24, class: 'track', rx: 4 }),
      svg(
        'rect',
        {
          x: label,
          y: top,
          width: Math.max(barWidth, count > 0 ? 3 : 0),
          height: 24,
          rx: 4,
          class: 'bar',
          'data-reason': reason,
          'data-value': count,
        },
        [svg('title', {}, [`${t(`reason.${reason}`)}: ${count}`])],
      ),
      svg('text', { x: label + barWidth + 8, y: top + 17, class: 'value' }, [String(count)]),
    );
  });
  // The grey track shows the scale; it spans the whole width available to bars.
  for (const track of chart.querySelectorAll('.track')) {
    track.setAttribute('width', String(width - label - 60));
  }
  const table = dataTable(
    [t('col.reason'), t('col.count')],
    entries.map(([reason, count]) => [t(`reason.${reason}`), String(count)]),
  );
  plot.replaceChildren(chart, table);
}

/**
 * The numbers behind a chart, for screen readers and for copying.
 * @param {string[]} headers
 * @param {string[][]} rows
 */
function dataTable(headers, rows) {
  return h('details', { className: 'chart-data' }, [
    h('summary', { text: t('chart.data') }),
    h('table', {}, [
      h('thead', {}, [
        h(
          'tr',
          {},
          headers.map((header) => h('th', { text: header, attrs: { scope: 'col' } })),
        ),
      ]),
      h(
        'tbody',
        {},
        rows.map((cells) =>
          h(
            'tr',
            {},
            cells.map((cell) => h('td', { text: cell })),
          ),
        ),
      ),
    ]),
  ]);
}

async function showReports() {
  /** @type {Aggregates} */
  const aggregates = await getJson('/api/compliance/aggregates', filtersOf('reports-form'));
  drawRateChart(byId('chart-consent'), aggregates.purposes, 'consentRate');
  drawRateChart(byId('chart-withdrawal'), aggregates.purposes, 'withdrawalRate');
  drawReasonChart(byId('chart-reasons'), aggregates.optOutReasons.totals);
  return t('status.reports');
}

// ---------------------------------------------------------------------------------------------
// Session

/** @param {boolean} signedIn */
function showSignedIn(signedIn) {
  byId('sign-in').hidden = signedIn;
  byId('views').hidden = !signedIn;
  byId('sign-out').hidden = !signedIn;
  if (!signedIn) for (const view of VIEWS) byId(`view-${view}`).hidden = true;
}

/** Forgets the token and every piece of data on screen. @param {string} [message] */
function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  for (const id of ['events-table', 'conversations-table', 'access-table']) {
    const { body, empty, more } = tableParts(/** @type {HTMLTableElement} */ (byId(id)));
    body.replaceChildren();
    empty.hidden = true;
    more.hidden = true;
  }
  paging.events = null;
  paging.conversations = null;
  paging.access = null;
  byId('timeline').replaceChildren();
  const meta = byId('transcript-meta');
  meta.setAttribute('data-i18n', 'transcript.pick');
  meta.textContent = t('transcript.pick');
  byId('verify-result').replaceChildren();
  byId('verify-result').hidden = true;
  for (const plot of document.querySelectorAll('.plot')) plot.replaceChildren();
  for (const form of document.querySelectorAll('form')) form.reset();
  setDefaultRange();
  showSignedIn(false);
  showStatus(message ? '' : t('status.signedOut'));
  const error = byId('sign-in-error');
  error.textContent = message ?? '';
  error.hidden = !message;
  byId('token').focus();
}

/** @param {SubmitEvent} submit */
async function signIn(submit) {
  submit.preventDefault();
  const input = /** @type {HTMLInputElement} */ (byId('token'));
  const error = byId('sign-in-error');
  const candidate = input.value.trim();
  error.hidden = true;
  if (!candidate) {
    error.textContent = t('signIn.empty');
    error.hidden = false;
    input.focus();
    return;
  }
  const today = dayOf(new Date());
  try {
    // A compliance-only route that returns no personal data: checks the token and its role.
    await call('/api/reports/opt-out-reasons', { from: today, to: today }, candidate);
  } catch (failure) {
    error.textContent = failure instanceof Error ? failure.message : String(failure);
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  input.removeAttribute('aria-invalid');
  input.value = '';
  sessionStorage.setItem(TOKEN_KEY, candidate);
  enterConsole();
  showStatus(t('status.signedIn'));
}

function enterConsole() {
  showSignedIn(true);
  showView('reports');
  void run(showReports);
}

/** The reports open on the last 30 days. */
function setDefaultRange() {
  const form = formOf('reports-form');
  const from = form.elements.namedItem('from');
  const to = form.elements.namedItem('to');
  const now = new Date();
  if (from instanceof HTMLInputElement) {
    from.value = dayOf(new Date(now.getTime() - 29 * 24 * 60 * 60 * 1000));
  }
  if (to instanceof HTMLInputElement) to.value = dayOf(now);
}

// ---------------------------------------------------------------------------------------------
// Wiring

function start() {
  const saved = sessionStorage.getItem(LANGUAGE_KEY);
  language =
    saved === 'fr' || (saved === null && navigator.language.toLowerCase().startsWith('fr'))
      ? 'fr'
      : 'en';
  const picker = /** @type {HTMLSelectElement} */ (byId('language'));
  picker.value = language;
  picker.addEventListener('change', () => {
    language = picker.value === 'fr' ? 'fr' : 'en';
    sessionStorage.setItem(LANGUAGE_KEY, language);
    translatePage();
    // Results already on screen keep their language until the next search; the status would not.
    showStatus('');
  });
  translatePage();
  setDefaultRange();

  formOf('sign-in-form').addEventListener('submit', (submit) => void signIn(submit));
  byId('sign-out').addEventListener('click', () => {
    signOut();
  });
  for (const button of byId('views').querySelectorAll('button')) {
    button.addEventListener('click', () => {
      showView(button.dataset.view ?? 'events');
    });
  }
  formOf('events-form').addEventListener('submit', (submit) => {
    submit.preventDefault();
    void run(() => searchEvents(true));
  });
  formOf('conversations-form').addEventListener('submit', (submit) => {
    submit.preventDefault();
    void run(() => searchConversations(true));
  });
  formOf('reports-form').addEventListener('submit', (submit) => {
    submit.preventDefault();
    void run(showReports);
  });
  formOf('access-form').addEventListener('submit', (submit) => {
    submit.preventDefault();
    void run(() => searchAccessLog(true));
  });
  /** @type {Record<string, (fresh: boolean) => Promise<string>>} */
  const searches = {
    events: searchEvents,
    conversations: searchConversations,
    access: searchAccessLog,
  };
  for (const button of document.querySelectorAll('[data-more]')) {
    if (!(button instanceof HTMLElement)) continue;
    const search = searches[button.dataset.more ?? ''];
    if (!search) continue;
    button.addEventListener('click', () => {
      void run(() => search(false));
    });
  }
  for (const button of document.querySelectorAll('[data-export]')) {
    if (!(button instanceof HTMLElement)) continue;
    button.addEventListener('click', () => {
      void run(() => exportFile(button.dataset.export ?? 'events.jsonl'));
    });
  }
  for (const button of document.querySelectorAll('[data-action^="verify"]')) {
    if (!(button instanceof HTMLElement)) continue;
    button.addEventListener('click', () => {
      void run(() => verify(button.dataset.action === 'verify-store'));
    });
  }

  if (token()) enterConsole();
  else showSignedIn(false);
}

start();
