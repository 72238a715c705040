/*
 * `npm run build`: compiles src/ into dist/ for `npm start` and the other production
 * scripts, then copies the files the code reads at run time next to the modules that
 * read them (Eta templates, the pages' script, …), because they find them relative to
 * import.meta.url. drizzle/ and schema/ stay at the project root: dist/ sits at the same
 * depth as src/, so the same relative paths reach them from both.
 *
 * tsc runs in build mode, so an unchanged tree is skipped in well under a second, and
 * without type checking (tsconfig.build.json: noCheck), which halves a cold build; the
 * emitted JavaScript is the same. `npm run typecheck` and `npm test` check the types.
 *
 * Then esbuild bundles the embeddable registration widget (widget/src) into
 * dist/widget/v1/registration.js (scripts/build-widget.mjs).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildWidget } from "./build-widget.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const dist = join(root, "dist");

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
} catch {
  // An install without devDependencies (npm ci --omit=dev after a build) cannot compile,
  // and need not: the dist/ built before the pruning is what it runs.
  if (existsSync(join(dist, "main.js"))) {
    console.error("build: typescript is not installed; running the dist/ built before");
    process.exit(0);
  }
  console.error("build: typescript is not installed and there is no dist/ yet: run `npm install` (with devDependencies), then `npm run build`");
  process.exit(1);
}

// tsc --build trusts its .tsbuildinfo: an output deleted by hand would stay missing.
const missingOutput = readdirSync(src, { recursive: true })
  .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
  .some((file) => !existsSync(join(dist, file.replace(/\.ts$/, ".js"))));
const compiled = spawnSync(process.execPath, [tsc, "--build", join(root, "tsconfig.build.json"), ...(missingOutput ? ["--force"] : [])], { cwd: root, stdio: "inherit" });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

// Every file under src/ that tsc does not compile is an asset some module reads. Only a
// changed one is written, whole and then renamed: a server or CLI that starts meanwhile
// (the tests run builds while others run) never reads half a template.
for (const file of readdirSync(src, { recursive: true })) {
  const from = join(src, file);
  if (file.endsWith(".ts") || !statSync(from).isFile()) continue;
  const to = join(dist, file);
  const contents = readFileSync(from);
  if (existsSync(to) && readFileSync(to).equals(contents)) continue;
  mkdirSync(dirname(to), { recursive: true });
  const partial = `${to}.${process.pid}.tmp`;
  writeFileSync(partial, contents);
  renameSync(partial, to);
}

await buildWidget();
