/**
 * The little of nlp.js (v4, plain JavaScript, no types of its own) that the experiment uses.
 * Checked against node_modules/@nlpjs/nlp/src/nlp.js.
 */
declare module '@nlpjs/nlp' {
  export interface NlpResult {
    /** The best intent, or 'None' when no intent scores above the threshold. */
    readonly intent: string;
    readonly score: number;
  }
  export class Nlp {
    constructor(settings?: Record<string, unknown>);
    use(plugin: unknown): void;
    addDocument(locale: string, utterance: string, intent: string): void;
    train(): Promise<unknown>;
    process(locale: string, utterance: string): Promise<NlpResult>;
  }
}
declare module '@nlpjs/lang-en' {
  export const LangEn: unknown;
}
declare module '@nlpjs/lang-fr' {
  export const LangFr: unknown;
}
