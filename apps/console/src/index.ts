export * from './board.types';
export * from './config';
export * from './market-board';
export * from './operations';
export * from './server';
