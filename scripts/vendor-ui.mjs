// Copies the panel's browser modules from node_modules (the versions pinned
// in package-lock.json) into src/ui/vendor/ as plain ES modules, with their
// licences, so updating one is `npm install <name>@<version> --save-exact`
// then `npm run vendor`. The browser has no bare module names: imports of
// "preact" are rewritten to the vendored file, and source-map comments are
// dropped (the maps are not vendored). The C build never runs this.
import { readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nm = join(root, 'node_modules');
const out = join(root, 'src', 'ui', 'vendor');

// [package, file in the package, vendored name]
const modules = [
  ['preact', 'dist/preact.mjs', 'preact.js'],
  ['preact', 'hooks/dist/hooks.mjs', 'preact-hooks.js'],
  ['htm', 'dist/htm.mjs', 'htm.js'],
  ['uqr', 'dist/index.mjs', 'uqr.js'],
];
const licences = [['preact', 'LICENSE'], ['htm', 'LICENSE'], ['uqr', 'LICENSE']];

function pkg(name) {
  return JSON.parse(readFileSync(join(nm, name, 'package.json'), 'utf8'));
}

mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) rmSync(join(out, f));
for (const [name, file, as] of modules) {
  const p = pkg(name);
  let text = readFileSync(join(nm, name, file), 'utf8');
  text = text.replace(/from\s*["']preact["']/g, 'from"./preact.js"');
  text = text.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n');
  if (/(from|import)\s*["'][^."']/.test(text)) {
    throw new Error(`${name}/${file}: a bare import is left; vendor it too`);
  }
  const head = `/* ${name} ${p.version} (${p.license}), ${file}: see ${name}-LICENSE.txt.\n` +
    `   Copied from node_modules by \`npm run vendor\`; do not edit. */\n`;
  writeFileSync(join(out, as), head + text);
  console.log(`vendor: ${as} <- ${name}@${p.version}/${file}`);
}
for (const [name, file] of licences) {
  writeFileSync(join(out, `${name}-LICENSE.txt`), readFileSync(join(nm, name, file)));
}
