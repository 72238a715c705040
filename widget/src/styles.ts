/*
 * The widget's only stylesheet, adopted by its shadow root as a constructable stylesheet:
 * no <style> element and no style attributes, so a partner CSP without 'unsafe-inline'
 * applies it. Partners theme it with the --er-* custom properties and ::part().
 * Default colours keep a contrast of at least 4.5:1 on the default background.
 */
export const css = `
:host {
  display: block;
  color: var(--er-color-text, #1a1a1a);
  background: var(--er-color-background, #ffffff);
  font-family: var(--er-font-family, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  font-size: var(--er-font-size, 1rem);
  line-height: 1.5;
  border: 1px solid var(--er-color-border, #6b7280);
  border-radius: var(--er-radius, 0.5rem);
  padding: var(--er-spacing, 1rem);
}
[hidden] { display: none !important; }
* { box-sizing: border-box; }
h2, h3, h4, h5, h6 { line-height: 1.25; margin: 1.25em 0 0.5em; }
.title { margin-top: 0; }
a { color: var(--er-color-link, #1d4ed8); }
:focus-visible { outline: 3px solid var(--er-color-focus, #1d4ed8); outline-offset: 2px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0.5rem 0; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; }
.sessions { padding-left: 1.25rem; }
.session-title { font-weight: 600; }
.venue-name { font-weight: 600; margin-bottom: 0; }
address { font-style: normal; }
.hint { color: var(--er-color-hint, #4b5563); margin: 0.25rem 0; }
fieldset { border: 1px solid var(--er-color-border, #6b7280); border-radius: var(--er-radius, 0.5rem); margin: 1rem 0; padding: 0.75rem 1rem; }
legend { font-weight: 600; padding: 0 0.25rem; }
.criterion { border-style: dashed; }
.badge-required { color: var(--er-color-required, #9a3412); }
.badge-desirable { color: var(--er-color-hint, #4b5563); }
.field { margin: 0.75rem 0; }
label { display: block; font-weight: 600; }
.optional { font-weight: 400; }
input:not([type=checkbox]), select, textarea {
  display: block; width: 100%; max-width: 32rem; margin-top: 0.25rem;
  font: inherit; color: inherit; background: var(--er-color-input-background, #ffffff);
  border: 2px solid var(--er-color-input-border, #4b5563); border-radius: calc(var(--er-radius, 0.5rem) / 2);
  padding: 0.5rem;
}
.checkbox-row { display: flex; align-items: flex-start; gap: 0.5rem; }
.checkbox-row label { font-weight: 400; }
input[type=checkbox] { width: 1.5rem; height: 1.5rem; margin: 0; flex: none; accent-color: var(--er-color-accent, #1d4ed8); }
[aria-invalid=true] { border-color: var(--er-color-error, #b91c1c) !important; }
.field-error { color: var(--er-color-error, #b91c1c); font-weight: 600; margin: 0.25rem 0; }
.error-summary { border: 3px solid var(--er-color-error, #b91c1c); border-radius: var(--er-radius, 0.5rem); padding: 0.75rem 1rem; margin: 1rem 0; }
.error-summary-title { margin-top: 0; }
.error-summary a { color: var(--er-color-error, #b91c1c); font-weight: 600; }
.button {
  display: inline-block; font: inherit; font-weight: 600; cursor: pointer; text-decoration: none;
  min-height: 2.75rem; padding: 0.5rem 1.25rem; border: 2px solid transparent; border-radius: var(--er-radius, 0.5rem);
  color: var(--er-color-accent-text, #ffffff); background: var(--er-color-accent, #1d4ed8);
}
.button:disabled { cursor: progress; opacity: 0.8; }
.outcome-title:focus { outline: none; }
.outcome-title:focus-visible { outline: 3px solid var(--er-color-focus, #1d4ed8); }
.reference { font-size: 1.125em; letter-spacing: 0.05em; }
.notice { font-weight: 600; }
.visually-hidden {
  position: absolute !important; width: 1px !important; height: 1px !important; padding: 0 !important; margin: -1px !important;
  overflow: hidden !important; clip: rect(0, 0, 0, 0) !important; white-space: nowrap !important; border: 0 !important;
}
`;
