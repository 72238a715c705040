const knownCurrencies = new Set(Intl.supportedValuesOf("currency"));

export function isKnownCurrency(code: string): boolean {
  return knownCurrencies.has(code);
}

/** One formatter per currency: building an Intl.NumberFormat costs far more than using one. */
const formatters = new Map<string, Intl.NumberFormat>();

function currencyFormatter(currency: string): Intl.NumberFormat {
  let made = formatters.get(currency);
  if (!made) {
    made = new Intl.NumberFormat("en-US", { style: "currency", currency });
    // Stored prices use ISO 4217 codes (a few hundred); the bound is for anything else.
    if (formatters.size >= 1_000) formatters.clear();
    formatters.set(currency, made);
  }
  return made;
}

/** Minor units per major unit (USD 100, JPY 1), as Intl knows them. */
export function minorUnitDigits(currency: string): number {
  return currencyFormatter(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** 125000 USD → "$1,250.00". */
export function formatMoney(amountMinor: number, currency: string): string {
  return currencyFormatter(currency).format(amountMinor / 10 ** minorUnitDigits(currency));
}
