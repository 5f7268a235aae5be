// The schema gate: every artifact crossing a boundary is checked against its JSON Schema first.
// Validators compile lazily, once per schema, and are kept.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ProtocolError, type Result, fail, ok } from './errors.js';
import { SCHEMAS, type SchemaName } from './schemas/registry.js';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;

let ajv: Ajv2020 | undefined;
const validators = new Map<SchemaName, ValidateFunction>();

function compiler(): Ajv2020 {
  if (!ajv) {
    ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: false, allowUnionTypes: true, validateFormats: true });
    addFormats(ajv);
  }
  return ajv;
}

function validatorFor(name: SchemaName): ValidateFunction {
  let validate = validators.get(name);
  if (!validate) {
    validate = compiler().compile(SCHEMAS[name]);
    validators.set(name, validate);
  }
  return validate;
}

/** `/endpoints/0/endpoint~1url` → `$.endpoints[0]["endpoint/url"]`. */
export function jsonPointerToPath(pointer: string): string {
  if (pointer === '') return '$';
  let out = '$';
  for (const raw of pointer.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^(?:0|[1-9][0-9]*)$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) out += `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describe(error: ErrorObject): string {
  let pointer = error.instancePath;
  if (error.keyword === 'required' || error.keyword === 'dependentRequired') {
    const missing = (error.params as { missingProperty?: string }).missingProperty;
    if (missing !== undefined) return `${jsonPointerToPath(`${pointer}/${escapePointer(missing)}`)}: is required`;
  }
  if (error.keyword === 'const') {
    return `${jsonPointerToPath(pointer)}: must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return `${jsonPointerToPath(pointer)}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (error.keyword === 'additionalProperties') {
    pointer = `${pointer}/${escapePointer((error.params as { additionalProperty: string }).additionalProperty)}`;
    return `${jsonPointerToPath(pointer)}: is not allowed`;
  }
  return `${jsonPointerToPath(pointer)}: ${error.message ?? error.keyword}`;
}

/** E_PROTO_INVALID with the failing JSON path, or the value typed as the artifact. */
export function checkSchema<T = Record<string, unknown>>(name: SchemaName, value: unknown): Result<T> {
  const validate = validatorFor(name);
  if (validate(value)) return ok(value as T);
  const first = validate.errors?.[0];
  return fail('E_PROTO_INVALID', `${name} ${first ? describe(first) : 'does not match its schema'}`);
}

/** Throwing form, for code that already runs inside a Result boundary. */
export function assertSchema<T = Record<string, unknown>>(name: SchemaName, value: unknown): T {
  const result = checkSchema<T>(name, value);
  if (!result.ok) throw result.error;
  return result.value;
}

export { ProtocolError };
