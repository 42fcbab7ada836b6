/**
 * Checks a request against the SDK's own model of it, for APIs no local engine has (mocked in the
 * tests): @aws-sdk/client-* export each structure's schema as `<Name>$`:
 * `[3, namespace, name, traits, member names, member types, required count]` (the first
 * `required count` members are the required ones), lists as `[1, namespace, name, traits, member]`,
 * a nested schema as a function returning it, a timestamp member as 4.
 */

type Schema = number | (() => Schema) | SchemaArray;
type SchemaArray = [number, string, string, number, ...unknown[]];

const resolved = (s: unknown): Schema => (typeof s === 'function' ? resolved((s as () => Schema)()) : (s as Schema));
/** `[0, 4]` style member types are a plain type with traits: the type is the first. */
const typeCode = (s: Schema): number | undefined => (typeof s === 'number' ? s : Array.isArray(s) && typeof s[1] === 'number' ? s[0] : undefined);

function problemsOf(schema: Schema, value: unknown, path: string): string[] {
  const s = resolved(schema);
  if (typeCode(s) === 4) return value instanceof Date ? [] : [`${path} must be a timestamp (Date)`];
  if (!Array.isArray(s) || typeof s[1] !== 'string') return [];
  if (s[0] === 1) return Array.isArray(value) ? value.flatMap((v, i) => problemsOf(s[4] as Schema, v, `${path}[${i}]`)) : [`${path} must be a list`];
  if (s[0] !== 3) return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${path} must be a structure (${s[2]})`];
  const [, , , , members, types, required = 0] = s as [number, string, string, number, string[], Schema[], number?];
  const v = value as Record<string, unknown>;
  const problems = Object.keys(v)
    .filter((k) => v[k] !== undefined && !members.includes(k))
    .map((k) => `${path}.${k} is not in the model (${s[2]})`);
  for (const m of members.slice(0, required)) if (v[m] === undefined) problems.push(`${path}.${m} is required (${s[2]})`);
  members.forEach((m, i) => {
    if (v[m] !== undefined) problems.push(...problemsOf(types[i], v[m], `${path}.${m}`));
  });
  return problems;
}

/**
 * Problems of `value` against the structure `name` of `sdk` (e.g. `import * as sdk from
 * '@aws-sdk/client-dynamodb'`, `'ImportTableInput'`), nested structures and lists included:
 * members the model does not know, required members missing, timestamps that are not Dates.
 */
export function modelProblems(sdk: object, name: string, value: unknown): string[] {
  const schema = (sdk as Record<string, Schema | undefined>)[`${name}$`];
  if (!schema) throw new Error(`the SDK has no model of ${name} (no export "${name}$")`);
  return problemsOf(schema, value, name);
}
