/**
 * A handler throws this when an event can never be applied (it contradicts the domain, not
 * a passing outage): the runner dead-letters it at once instead of retrying.
 */
export class PoisonEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonEventError';
  }
}
