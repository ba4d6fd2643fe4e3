// Events published by the balancing domain. See define-event.ts.
export {};
