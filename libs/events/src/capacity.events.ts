// Events published by the capacity domain. See define-event.ts.
export {};
