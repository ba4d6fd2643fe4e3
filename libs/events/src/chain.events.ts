// Events published by the chain domain. See define-event.ts.
export {};
