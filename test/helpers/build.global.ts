import { spawnSync } from "node:child_process";
import { mkdirSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const root = join(import.meta.dirname, "../..");
const lock = join(root, "dist.build-lock");

/**
 * vitest globalSetup of both projects: `npm run build` (scripts/build.mjs), so the
 * processes the tests start run dist/ the way `npm start` does (a second faster than tsx
 * at every start) and the servers serve the widget it bundles. Each project asks: the
 * lock makes the second wait for the first (and two vitest runs in this checkout wait
 * for each other), and the second finds dist/ built in this run and leaves it alone (a
 * rebuild rewrites the widget and the assets while the first project's tests read them).
 */
export default async function setup(): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // A lock left by a run that was killed mid-build is older than any build takes.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 120_000) rmdirSync(lock);
      if (Date.now() > deadline) throw new Error(`waited 2 minutes for ${lock}: remove it if no build is running`);
      await sleep(200);
    }
  }
  try {
    // Both projects' setups run in vitest's main process, which this marks.
    if (process.env.TEST_DIST_BUILT === "1") return;
    const built = spawnSync(process.execPath, [join(root, "scripts/build.mjs")], { cwd: root, encoding: "utf8" });
    if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
    process.env.TEST_DIST_BUILT = "1";
  } finally {
    rmdirSync(lock);
  }
}
