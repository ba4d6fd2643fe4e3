import { z } from 'zod';

/** Shared wire schemas: energy and money travel as decimal strings of integers. */
export const whString = z.string().regex(/^-?(0|[1-9][0-9]{0,18})$/, 'must be an integer number of Wh as a decimal string');
export const minorUnitsString = z.string().regex(/^-?(0|[1-9][0-9]{0,24})$/, 'must be integer minor units as a decimal string');
export const periodIdString = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:(00|15|30|45):00Z$/, 'must be a period start like 2026-03-29T01:00:00Z');
export const instantString = z.string().datetime({ offset: false });
export const meterPointIdString = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$/, 'must be a meter point id');
export const groupIdString = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$/, 'must be a balancing group id');
export const addressString = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 20-byte hex address');
export const bytes32String = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 32 bytes as lowercase hex');
export const directionSchema = z.enum(['consumption', 'production']);
export const qualitySchema = z.enum(['measured', 'estimated', 'substituted']);
