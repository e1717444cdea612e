import { z } from 'zod';

/** A PATCH body: any of the fields, at least one, nothing else. */
export const updateSchema = <S extends z.ZodRawShape>(fields: S) =>
  z
    .strictObject(fields)
    .partial()
    .refine((v) => Object.keys(v).length > 0, 'nothing to update');
