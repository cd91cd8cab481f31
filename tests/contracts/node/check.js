// Validates AsyncAPI documents (YAML or JSON files given as arguments) twice:
// against the official AsyncAPI 3.0.0 JSON Schema from @asyncapi/specs, and
// with the reference parser @asyncapi/parser (which also runs its own rules).
// Prints "ok FILE" per valid document, one line per error otherwise; exit 1
// on any error. Used by tests/contracts (python) on every document sioproxy writes.
'use strict';
const fs = require('fs');
const yaml = require('js-yaml');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');
const specs = require('@asyncapi/specs');
const { Parser } = require('@asyncapi/parser');

const SEVERITY = ['error', 'warning', 'info', 'hint'];

async function checkFile(file, validate, parser) {
  const text = fs.readFileSync(file, 'utf8');
  const problems = [];
  if (!validate(yaml.load(text))) {
    for (const e of validate.errors) {
      problems.push(`schema: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    }
  }
  const { document, diagnostics } = await parser.parse(text);
  for (const d of diagnostics) {
    if (d.severity === 0 || process.env.ASYNCAPI_WARNINGS) {
      problems.push(`parser ${SEVERITY[d.severity]}: ${d.code} /${d.path.join('/')} ${d.message}`);
    }
  }
  if (!document && problems.length === 0) problems.push('parser: no document');
  return problems;
}

async function main() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(specs.schemasWithoutId['3.0.0']);
  const parser = new Parser();
  let failed = 0;
  for (const file of process.argv.slice(2)) {
    const problems = await checkFile(file, validate, parser);
    if (problems.length) failed += 1;
    for (const p of problems) console.log(`${file}: ${p}`);
    if (!problems.length) console.log(`ok ${file}`);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.log(`check.js: ${err && err.stack ? err.stack : err}`);
  process.exit(2);
});
