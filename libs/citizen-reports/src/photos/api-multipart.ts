import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiConsumes, type ApiBodyOptions } from '@nestjs/swagger';
import { z } from 'zod';

type BodySchema = Extract<ApiBodyOptions, { schema: unknown }>['schema'];

/** Documents a multipart body: the text fields of the contract schema, and the photo files. */
export const ApiMultipart = (schema: z.ZodType, fileField: string, maxFiles: number) => {
  const fields = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> } & BodySchema;
  const file = { type: 'string', format: 'binary', description: 'JPEG, PNG or WebP' };
  return applyDecorators(
    ApiConsumes('multipart/form-data'),
    ApiBody({
      schema: {
        ...fields,
        properties: { ...fields.properties, [fileField]: maxFiles === 1 ? file : { type: 'array', maxItems: maxFiles, items: file } },
      } as BodySchema,
    }),
  );
};
