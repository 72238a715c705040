const knownCurrencies = new Set(Intl.supportedValuesOf("currency"));

export function isKnownCurrency(code: string): boolean {
  return knownCurrencies.has(code);
}

/** Minor units per major unit (USD 100, JPY 1), as Intl knows them. */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat("en-US", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** 125000 USD → "$1,250.00". */
export function formatMoney(amountMinor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  return new Intl.NumberFormat("en-US", { style: "currency", currency }).format(amountMinor / 10 ** digits);
}
