import { buildWidget } from "../../scripts/build-widget.mjs";

/** vitest globalSetup: the servers of the tests serve dist/widget/v1/registration.js, so a fresh clone's `npm test` builds it first. */
export default async function setup(): Promise<void> {
  await buildWidget();
}
