// openapi.json -> fields.json: per schema, per property, the rules a form checks before sending —
// numeric bounds (minimum, maximum, exclusiveMinimum, exclusiveMaximum), maxLength, the default,
// and `ref`: the schema a nested property is (e.g. JobCreate.hyperparameters -> "Hyperparameters").
// They come from the backend's pydantic Field(ge=, le=, gt=, lt=, max_length=) limits, so forms never
// copy them by hand; a small file, so the app does not bundle the whole OpenAPI document.
//   node scripts/gen-fields.mjs IN_OPENAPI_JSON OUT_FIELDS_JSON
import fs from "node:fs";

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: node scripts/gen-fields.mjs openapi.json fields.json");
  process.exit(2);
}
const document = JSON.parse(fs.readFileSync(input, "utf8"));
const schemas = document.components?.schemas ?? {};
const KEYS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "maxLength"];
const refName = (ref) => ref.split("/").pop();

function ruleOf(property) {
  const rule = {};
  // `int | None` and friends are anyOf [{...the bounds...}, {type: "null"}].
  const branches = [property, ...(property.anyOf ?? []), ...(property.allOf ?? [])];
  for (const branch of branches) {
    for (const key of KEYS) if (typeof branch[key] === "number" && rule[key] === undefined) rule[key] = branch[key];
    if (branch.$ref && !rule.ref) rule.ref = refName(branch.$ref);
  }
  if ("default" in property) rule.default = property.default;
  return rule;
}

const fields = {};
for (const name of Object.keys(schemas).sort()) {
  const properties = schemas[name].properties ?? {};
  const rules = {};
  for (const key of Object.keys(properties).sort()) {
    const rule = ruleOf(properties[key]);
    if (Object.keys(rule).length) rules[key] = rule;
  }
  if (Object.keys(rules).length) fields[name] = rules;
}
fs.writeFileSync(output, JSON.stringify(fields, null, 2) + "\n");
