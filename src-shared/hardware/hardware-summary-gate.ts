// The schema gate for hardware summaries: an orchestrator checks every summary it receives here
// before it reads a field. Same behaviour as the protocol's schema gate: the validator compiles
// once, on first use, and a rejection is E_PROTO_INVALID naming the first failing JSON path.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { type Result, fail, ok } from '../protocol/errors.js';
import { jsonPointerToPath } from '../protocol/schema-gate.js';
import { HARDWARE_SUMMARY_SCHEMA, type HardwareSummary } from './hardware-summary.js';
import hardwareSummarySchema from './hardware-summary.v1.schema.json' with { type: 'json' };

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;

let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: false, allowUnionTypes: true, validateFormats: true });
    addFormats(ajv);
    validator = ajv.compile(hardwareSummarySchema);
  }
  return validator;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describe(error: ErrorObject): string {
  const at = error.instancePath;
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return `${jsonPointerToPath(`${at}/${escapePointer(missing)}`)}: is required`;
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      return `${jsonPointerToPath(`${at}/${escapePointer(extra)}`)}: is not allowed`;
    }
    case 'const':
      return `${jsonPointerToPath(at)}: must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      return `${jsonPointerToPath(at)}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    case 'type': {
      const type = (error.params as { type: string | string[] }).type;
      return `${jsonPointerToPath(at)}: must be ${(Array.isArray(type) ? type : String(type).split(',')).join(' or ')}`;
    }
    case 'pattern':
      return `${jsonPointerToPath(at)}: must be trimmed text without control characters`;
    default:
      return `${jsonPointerToPath(at)}: ${error.message ?? error.keyword}`;
  }
}

/** The value typed as a summary, or E_PROTO_INVALID with the first failing path. */
export function checkHardwareSummary(value: unknown): Result<HardwareSummary> {
  const check = validate();
  if (check(value)) return ok(value as HardwareSummary);
  const first = check.errors?.[0];
  return fail('E_PROTO_INVALID', `${HARDWARE_SUMMARY_SCHEMA} ${first ? describe(first) : 'does not match its schema'}`);
}

/** Throwing form, for code that already runs inside a Result boundary. */
export function assertHardwareSummary(value: unknown): HardwareSummary {
  const result = checkHardwareSummary(value);
  if (!result.ok) throw result.error;
  return result.value;
}
