const knownCurrencies = new Set(Intl.supportedValuesOf("currency"));

export function isKnownCurrency(code: string): boolean {
  return knownCurrencies.has(code);
}

/** One formatter per currency: building an Intl.NumberFormat costs far more than using one. */
const formatters = new Map<string, { format: Intl.NumberFormat; digits: number }>();

function currencyFormatter(currency: string): { format: Intl.NumberFormat; digits: number } {
  let made = formatters.get(currency);
  if (!made) {
    const format = new Intl.NumberFormat("en-US", { style: "currency", currency });
    made = { format, digits: format.resolvedOptions().maximumFractionDigits ?? 2 };
    // Stored prices use ISO 4217 codes (a few hundred); the bound is for anything else.
    if (formatters.size >= 1_000) formatters.clear();
    formatters.set(currency, made);
  }
  return made;
}

/** Minor units per major unit (USD 100, JPY 1), as Intl knows them. */
export function minorUnitDigits(currency: string): number {
  return currencyFormatter(currency).digits;
}

/** 125000 USD → "$1,250.00". */
export function formatMoney(amountMinor: number, currency: string): string {
  const { format, digits } = currencyFormatter(currency);
  return format.format(amountMinor / 10 ** digits);
}
