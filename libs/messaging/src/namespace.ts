/**
 * Test isolation: with a namespace, subjects become `<ns>.<subject>` and stream names
 * `<NAME>_<ns>`, so several test runs share one NATS server without seeing each other.
 */
const NAMESPACE = /^[A-Za-z0-9_-]{1,32}$/;

export class Namespace {
  constructor(readonly value: string | undefined) {
    if (value !== undefined && value !== '' && !NAMESPACE.test(value)) {
      throw new RangeError(`NATS namespace "${value}" must match ${NAMESPACE}`);
    }
    if (value === '') this.value = undefined;
  }

  subject(subject: string): string {
    return this.value ? `${this.value}.${subject}` : subject;
  }

  /** The logical subject a namespaced one was built from. */
  unprefix(subject: string): string {
    if (!this.value) return subject;
    const prefix = `${this.value}.`;
    return subject.startsWith(prefix) ? subject.slice(prefix.length) : subject;
  }

  stream(name: string): string {
    return this.value ? `${name}_${this.value}` : name;
  }
}
