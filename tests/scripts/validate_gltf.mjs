// Validates glTF/GLB files with the Khronos glTF-Validator.
// usage: node validate_gltf.mjs FILE... ; prints one summary line per file and exits 1 if any
// file has errors (or, with --no-unused, warnings/infos about unused objects).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import validator from 'gltf-validator';

const args = process.argv.slice(2);
const strictUnused = args.includes('--no-unused');
const files = args.filter((a) => !a.startsWith('--'));
let failed = false;
for (const file of files) {
  const data = new Uint8Array(await readFile(file));
  const dir = path.dirname(file);
  const report = await validator.validateBytes(data, {
    uri: path.basename(file),
    maxIssues: 100,
    externalResourceFunction: (uri) => readFile(path.join(dir, decodeURIComponent(uri))).then((b) => new Uint8Array(b)),
  });
  const issues = report.issues;
  const unused = issues.messages.filter((m) => m.code.startsWith('UNUSED_'));
  console.log(`${file}: ${issues.numErrors} errors, ${issues.numWarnings} warnings, ${issues.numInfos} infos` +
    (unused.length ? `, ${unused.length} unused-object messages` : ''));
  for (const m of issues.messages.filter((m) => m.severity <= 1 || m.code.startsWith('UNUSED_'))) {
    console.log(`  [${['error', 'warning', 'info', 'hint'][m.severity]}] ${m.code} ${m.pointer ?? ''}: ${m.message}`);
  }
  if (issues.numErrors > 0 || (strictUnused && unused.length > 0)) failed = true;
}
process.exit(failed ? 1 : 0);
