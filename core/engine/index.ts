export * from './apply';
export * from './claims';
export * from './layout';
export * from './state';
export * from './types';
