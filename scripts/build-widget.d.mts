/** Types of scripts/build-widget.mjs for the TypeScript that imports it (the tests' global setup). */
export declare const widgetBundlePath: string;
export declare function buildWidget(): Promise<string>;
