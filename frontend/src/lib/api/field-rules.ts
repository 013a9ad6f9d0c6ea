// The API schema's field rules (bounds, max length, default), generated from the backend's pydantic
// models into fields.json by `npm run gen:api` (scripts/gen-fields.mjs). Forms read limits here
// instead of copying them, so a limit changed on the server changes the form with the next gen:api.
import fields from "./fields.json";
import type { components } from "./schema";

export type SchemaName = keyof components["schemas"];

export type FieldRule = {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  maxLength?: number;
  default?: unknown;
  /** The schema a nested object property is. */
  ref?: string;
};

const RULES = fields as Record<string, Record<string, FieldRule>>;

/**
 * The rule of a property, following nested objects: fieldRule("JobCreate", "hyperparameters", "batch_size")
 * reads Hyperparameters.batch_size. Empty when the schema sets nothing for it.
 */
export function fieldRule(schema: SchemaName, ...path: string[]): FieldRule {
  let current: string | undefined = schema;
  let rule: FieldRule = {};
  for (const name of path) {
    if (!current) return {};
    rule = RULES[current]?.[name] ?? {};
    current = rule.ref;
  }
  return rule;
}

/** The range a number must be in, as a form shows and checks it. */
export type NumberRange = { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean };

export function numberRange(rule: FieldRule): NumberRange {
  const range: NumberRange = {};
  if (rule.exclusiveMinimum !== undefined) Object.assign(range, { min: rule.exclusiveMinimum, exclusiveMin: true });
  else if (rule.minimum !== undefined) range.min = rule.minimum;
  if (rule.exclusiveMaximum !== undefined) Object.assign(range, { max: rule.exclusiveMaximum, exclusiveMax: true });
  else if (rule.maximum !== undefined) range.max = rule.maximum;
  return range;
}
