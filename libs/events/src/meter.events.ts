// Events published by the meter domain. See define-event.ts.
export {};
