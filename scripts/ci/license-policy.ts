/**
 * Production dependencies may only carry licenses on the reviewed allow-list (.ci/licenses.json).
 * AGPL, GPL and SSPL are refused outright, even for one package; anything else that is not
 * allowed (LGPL, a missing or unreadable license, a custom one) needs an exception naming the
 * exact package@version and why it is acceptable, so that a new version is reviewed again.
 */

/** Output of `pnpm licenses list --prod --json`: license name -> packages declaring it. */
export type PnpmLicenses = Record<string, { name: string; versions: string[]; license?: string }[]>;

export interface LicensePolicy {
  /** SPDX ids accepted for any package. */
  allowed: string[];
  /** Packages accepted despite their license, each reviewed for one exact version. */
  exceptions: { package: string; license: string; reason: string }[];
}

export interface LicenseFinding {
  package: string;
  license: string;
  problem: 'forbidden' | 'not-allowed' | 'unknown';
}

export interface LicenseReport {
  ok: boolean;
  checked: number;
  findings: LicenseFinding[];
  /** Exceptions matching no installed package: harmless, but the list should be pruned. */
  unusedExceptions: string[];
  /** A policy file that cannot be trusted (a forbidden id allowed, an exception with no reason). */
  policyErrors: string[];
}

const FORBIDDEN = /^(AGPL|GPL|SSPL)(-|$)/i;

export function isForbidden(licenseId: string): boolean {
  return FORBIDDEN.test(licenseId.replace(/\+$/, ''));
}

/**
 * Whether an SPDX expression is satisfied by the allowed ids: `A OR B` needs one of them,
 * `A AND B` both, `A WITH exception` is judged by A. Unparseable text is never satisfied.
 */
export function satisfies(expression: string, allowed: ReadonlySet<string>): boolean {
  const tokens = expression.match(/\(|\)|[^\s()]+/g) ?? [];
  let position = 0;
  const peek = () => tokens[position];
  const fail = (): never => {
    throw new SyntaxError(expression);
  };
  const primary = (): boolean => {
    const token = tokens[position++];
    if (token === undefined) fail();
    if (token === '(') {
      const inner = or();
      if (tokens[position++] !== ')') fail();
      return inner;
    }
    if (/^(AND|OR|WITH|\))$/i.test(token!)) fail();
    if (peek()?.toUpperCase() === 'WITH') position += 2;
    return allowed.has(token!);
  };
  const and = (): boolean => {
    let result = primary();
    while (peek()?.toUpperCase() === 'AND') {
      position++;
      result = primary() && result;
    }
    return result;
  };
  const or = (): boolean => {
    let result = and();
    while (peek()?.toUpperCase() === 'OR') {
      position++;
      result = and() || result;
    }
    return result;
  };
  try {
    const result = or();
    return position === tokens.length && result;
  } catch {
    return false;
  }
}

/** Every license id an expression names, for telling a forbidden license from a merely unlisted one. */
function licenseIds(expression: string): string[] {
  return (expression.match(/[^\s()]+/g) ?? []).filter((token) => !/^(AND|OR|WITH)$/i.test(token));
}

function classify(license: string, allowed: ReadonlySet<string>): LicenseFinding['problem'] | null {
  if (!license.trim() || /^unknown$/i.test(license.trim())) return 'unknown';
  if (satisfies(license, allowed)) return null;
  // Not satisfiable by allowed ids alone: a forbidden id anywhere in it cannot be chosen away.
  return licenseIds(license).some(isForbidden) ? 'forbidden' : 'not-allowed';
}

export function checkLicenses(installed: PnpmLicenses, policy: LicensePolicy): LicenseReport {
  const allowed = new Set(policy.allowed.filter((id) => !isForbidden(id)));
  const policyErrors = [
    ...policy.allowed.filter(isForbidden).map((id) => `${id} may not be on the allowed list`),
    ...policy.exceptions.filter((e) => !e.reason?.trim()).map((e) => `exception ${e.package} has no reason`),
    ...policy.exceptions.filter((e) => !/^(@[^/@]+\/)?[^/@]+@[^@\s]+$/.test(e.package)).map((e) => `exception ${e.package} is not an exact package@version`),
  ];
  const exceptions = new Map(policy.exceptions.map((e) => [e.package, e]));
  const used = new Set<string>();
  const findings: LicenseFinding[] = [];
  let checked = 0;
  for (const [group, packages] of Object.entries(installed)) {
    for (const pkg of packages) {
      const license = pkg.license ?? group;
      for (const version of pkg.versions) {
        checked++;
        const id = `${pkg.name}@${version}`;
        const problem = classify(license, allowed);
        if (!problem) continue;
        const exception = exceptions.get(id);
        // An exception covers the license it was reviewed for; a forbidden one is never excepted.
        if (exception && exception.license === license && problem !== 'forbidden') {
          used.add(id);
          continue;
        }
        findings.push({ package: id, license, problem });
      }
    }
  }
  const unusedExceptions = [...exceptions.keys()].filter((id) => !used.has(id));
  return { ok: findings.length === 0 && policyErrors.length === 0, checked, findings, unusedExceptions, policyErrors };
}
