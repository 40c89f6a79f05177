/** The person a consent is about: a user id as a channel knows it. */
export interface Subject {
  readonly channelId: string;
  readonly userId: string;
}

/** One string key for indexes; channel ids never contain "|" (Bot Framework ids are slugs). */
export function subjectKey(subject: Subject): string {
  return `${subject.channelId}|${subject.userId}`;
}
