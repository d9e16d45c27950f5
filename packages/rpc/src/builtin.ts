/**
 * Services every server carries: health (`xsmb.health.v1`) and reflection
 * (`xsmb.reflection.v1`). The command-line tool and load balancers use them.
 */

import type { StandardJSONSchemaV1 } from '@standard-schema/spec';
import type { HealthStatus, ServerEngine } from './server-core.js';
import { defineService, methodsOf, type Schema, type ServiceDescriptor } from './service.js';
import { unary } from './unary.js';

/** The health check service. `check({})` reports the server; `check({ service })` one service. */
export const HealthService = defineService('xsmb.health.v1', {
  check: unary<{ service?: string }, { status: HealthStatus | 'SERVICE_UNKNOWN' }>({
    idempotent: true,
  }),
});

/** One method as reflection describes it. */
export interface MethodReflection {
  name: string;
  kind: string;
  idempotent: boolean;
  /** JSON Schema of the input, when the method has a schema that can produce one. */
  inputSchema?: unknown;
  /** JSON Schema of the output, likewise. */
  outputSchema?: unknown;
}

/** One service as reflection describes it. */
export interface ServiceReflection {
  name: string;
  methods: MethodReflection[];
}

/** The reflection service: lists services, methods, kinds and schemas. */
export const ReflectionService = defineService('xsmb.reflection.v1', {
  list: unary<Record<string, never>, { services: ServiceReflection[] }>({ idempotent: true }),
});

function jsonSchemaOf(schema: Schema | undefined, io: 'input' | 'output'): unknown {
  const std = (schema as Partial<StandardJSONSchemaV1> | undefined)?.['~standard'];
  const converter = std?.jsonSchema;
  if (!converter) return undefined;
  try {
    return converter[io]({ target: 'draft-2020-12' });
  } catch {
    return undefined;
  }
}

/** Registers every method of a built-in `service` (each has one) with `handler`. */
function registerBuiltin(
  core: ServerEngine,
  service: ServiceDescriptor,
  handler: (req: never) => unknown,
  servesWhileDraining = false,
): void {
  for (const info of methodsOf(service)) {
    core.register({
      ...info,
      servesWhileDraining,
      handler: handler as (...args: never[]) => unknown,
    });
  }
}

/** Registers the built-in services on a server. */
export function registerBuiltins(
  core: ServerEngine,
  options: { health: boolean; reflection: boolean },
): void {
  if (options.health) {
    registerBuiltin(
      core,
      HealthService,
      (req: { service?: string } | null) => {
        const service = req?.service;
        if (service && !core.services.has(service)) return { status: 'SERVICE_UNKNOWN' };
        return { status: core.health };
      },
      true, // a draining server still answers health checks
    );
  }
  if (options.reflection) {
    registerBuiltin(core, ReflectionService, () => ({
      services: [...core.services.entries()].map(([name, methods]) => ({
        name,
        methods: methods.map((m) => {
          const out: MethodReflection = {
            name: m.method,
            kind: m.descriptor.kind,
            idempotent: m.descriptor.idempotent,
          };
          const input = jsonSchemaOf(m.descriptor.input, 'input');
          const output = jsonSchemaOf(m.descriptor.output, 'output');
          if (input !== undefined) out.inputSchema = input;
          if (output !== undefined) out.outputSchema = output;
          return out;
        }),
      })),
    }));
  }
}
