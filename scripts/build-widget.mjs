/*
 * Bundles the embeddable registration widget (widget/src, browser TypeScript) into one
 * ES module, dist/widget/v1/registration.js, which the server serves at
 * /widget/v1/registration.js. `npm run build` (and so `npm start`), `npm run dev` and the
 * tests' global setup call it. esbuild only strips types: `npm run typecheck` checks them
 * with widget/tsconfig.json (DOM typings, which the server's tsconfig does not have).
 *
 * Run alone: `node scripts/build-widget.mjs`.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Where the server looks for the bundle (src/pages/widget-script.ts reads the same path). */
export const widgetBundlePath = join(root, "dist", "widget", "v1", "registration.js");

export async function buildWidget() {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [join(root, "widget", "src", "registration.ts")],
    outfile: widgetBundlePath,
    write: false,
    bundle: true,
    format: "esm",
    // Browsers with custom elements, Shadow DOM, constructable stylesheets and randomUUID.
    target: ["chrome111", "firefox111", "safari16.4"],
    minify: true,
    legalComments: "none",
    logLevel: "warning",
  });
  // Written whole, then renamed: a server starting meanwhile (tests run builds in parallel) never reads half a file.
  mkdirSync(dirname(widgetBundlePath), { recursive: true });
  const partial = `${widgetBundlePath}.${process.pid}.tmp`;
  writeFileSync(partial, result.outputFiles[0].contents);
  renameSync(partial, widgetBundlePath);
  return widgetBundlePath;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await buildWidget();
}
