// Request validation with zod, wired into fastify's schema slots so route handlers receive
// typed, already-checked values. Messages name the field, e.g. "invalid query parameter t: ...".

import type { FastifySchemaCompiler, FastifyTypeProvider } from 'fastify';
import { z } from 'zod';

export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

const WHERE: Record<string, string> = {
  body: 'request body',
  querystring: 'query parameter',
  params: 'path parameter',
  headers: 'header',
};

export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  return (data: unknown) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const error = new Error(describeZodError(result.error, WHERE[httpPart ?? ''] ?? 'request')) as Error & {
      validation: unknown;
      statusCode: number;
    };
    error.validation = result.error.issues;
    error.statusCode = 400;
    return { error };
  };
};

export function describeZodError(error: z.ZodError, where: string): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown ${where} ${issue.keys.join(', ')}`;
      const field = issue.path.map(String).join('.');
      if (where === 'request body') return `invalid request body: ${field ? `${field}: ` : ''}${issue.message}`;
      return `invalid ${where}${field ? ` ${field}` : ''}: ${issue.message}`;
    })
    .join('; ');
}
