// Money in the browser. Amounts stay decimal strings from the API to the
// screen: this module never turns one into a JS number (a double cannot
// hold 0.1 or digits past 2^53). Formatting takes the locale's symbols,
// grouping and sign from Intl.NumberFormat applied to a BigInt, which is
// exact, and puts the amount's own fraction digits in place.

// ISO 4217 minor units that are not 2, as the server's core/currencies.c.
const MINOR_UNITS = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0,
  UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** The currency's number of decimals (2 unless ISO 4217 says otherwise). */
export function currencyDecimals(currency) {
  const code = String(currency).toUpperCase();
  return Object.hasOwn(MINOR_UNITS, code) ? MINOR_UNITS[code] : 2;
}

/** Splits a decimal string ("-12.50") into {negative, integer, fraction}
 *  with leading zeros of the integer dropped; null when it is not one. */
export function parseDecimal(text) {
  const m = DECIMAL.exec(String(text).trim());
  if (m === null) return null;
  const integer = m[2].replace(/^0+(?=\d)/, '');
  const fraction = m[3] ?? '';
  const zero = /^0*$/.test(integer + fraction);
  return { negative: m[1] === '-' && !zero, integer, fraction };
}

/** Formats amount (a decimal string as the API sends it) in currency for
 *  locale (the browser's when undefined): "1234.5", "GBP" -> "£1,234.50".
 *  Pads the fraction to the currency's decimals and never drops a digit.
 *  Text that is not a decimal is shown as it is. */
export function formatMoney(amount, currency, locale) {
  const d = parseDecimal(amount);
  if (d === null) return String(amount);
  const digits = Math.max(currencyDecimals(currency), d.fraction.length);
  const fraction = d.fraction.padEnd(digits, '0');
  let nf;
  try {
    nf = new Intl.NumberFormat(locale, {
      style: 'currency', currency: String(currency).toUpperCase(),
      minimumFractionDigits: digits, maximumFractionDigits: digits,
    });
  } catch {
    return `${d.negative ? '-' : ''}${d.integer}${fraction ? '.' + fraction : ''} ${currency}`;
  }
  // -0n is 0n: a negative amount under 1 is formatted as -1 and its integer put back.
  const whole = BigInt(d.integer);
  const sample = d.negative ? (whole === 0n ? -1n : -whole) : whole;
  let integerDone = false;
  return nf.formatToParts(sample).map((p) => {
    if (p.type === 'fraction') return fraction;
    if (p.type === 'integer' && whole === 0n) {
      if (integerDone) return '';
      integerDone = true;
      return '0';
    }
    return p.value;
  }).join('');
}

/** Checks an amount a person typed for currency: digits, at most one '.',
 *  no more decimals than the currency has, above zero. Returns the
 *  canonical decimal string, or throws an Error whose message says why. */
export function parseAmountInput(text, currency) {
  const d = parseDecimal(String(text).replace(/[\s_]/g, ''));
  if (d === null || d.negative || String(text).trim().startsWith('-')) {
    throw new Error('Enter the amount as digits with a point for decimals, for example 1250.50.');
  }
  const fraction = d.fraction.replace(/0+$/, '');
  const max = currencyDecimals(currency);
  if (fraction.length > max) {
    throw new Error(`${String(currency).toUpperCase()} allows ${max} decimal${max === 1 ? '' : 's'}.`);
  }
  if (/^0*$/.test(d.integer + fraction)) throw new Error('The amount must be more than zero.');
  return fraction ? `${d.integer}.${fraction}` : d.integer;
}
