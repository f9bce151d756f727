// Rules: which detectors run, where, with which thresholds. Every detector has a built-in rule
// (its name as id, its default thresholds). Rules from the config file and rules created
// through the API add to them or change them by id; API rules are kept in the data directory
// (alerts/rules.json) and win over the config file's.

import fs from 'node:fs';
import path from 'node:path';
import { validateRule, type DetectorRule } from '../detect/engine.js';
import { DETECTOR_NAMES, DETECTORS } from '../detect/registry.js';
import { writeFileDurable } from '../util/durable.js';
import { InputError } from '../util/errors.js';
import { ALERTS_DIR } from './alert-log.js';
import { ruleConfig, type RuleConfig } from './config.js';

export const RULES_FILE = 'rules.json';

export type RuleOrigin = 'built-in' | 'config' | 'api';

export interface EffectiveRule extends DetectorRule {
  origin: RuleOrigin;
}

/**
 * Slow scans (a few ports or addresses a minute, for hours) stay under the one-minute rules'
 * thresholds; an hour's window with a higher threshold catches them.
 */
const SLOW_SCANS: Omit<EffectiveRule, 'origin' | 'enabled'>[] = [
  { id: 'horizontal_scan_slow', detector: 'horizontal_scan', window_s: 3600, params: { min_destinations: 50 } },
  { id: 'vertical_scan_slow', detector: 'vertical_scan', window_s: 3600, params: { min_ports: 50 } },
];

export function builtInRules(windowSeconds: number): EffectiveRule[] {
  return [
    ...DETECTOR_NAMES.map((d) => ({ id: d, detector: d, enabled: true, window_s: windowSeconds, params: {}, origin: 'built-in' as const })),
    ...SLOW_SCANS.map((r) => ({ ...r, enabled: true, origin: 'built-in' as const })),
  ];
}

function apply(base: EffectiveRule | undefined, r: RuleConfig, origin: RuleOrigin, windowSeconds: number): EffectiveRule {
  const detector = r.detector ?? base?.detector;
  if (!detector) throw new InputError(`rule '${r.id}': give a detector (one of ${DETECTOR_NAMES.join(', ')})`);
  if (!DETECTORS.has(detector)) throw new InputError(`rule '${r.id}': unknown detector '${detector}' (known: ${DETECTOR_NAMES.join(', ')})`);
  const sameDetector = base?.detector === detector;
  const out: EffectiveRule = {
    id: r.id,
    detector,
    enabled: r.enabled ?? (sameDetector ? base!.enabled : true),
    severity: r.severity ?? (sameDetector ? base!.severity : undefined),
    window_s: r.window_s ?? (sameDetector ? base!.window_s : windowSeconds),
    scope: r.scope ?? (sameDetector ? base!.scope : undefined),
    params: { ...(sameDetector ? base!.params : {}), ...(r.params ?? {}) },
    origin,
  };
  validateRule(out);
  return out;
}

export class RuleSet {
  private apiRules: RuleConfig[] = [];
  private readonly file?: string;
  private listeners: ((rules: EffectiveRule[]) => void)[] = [];

  constructor(
    private readonly configRules: readonly RuleConfig[],
    private readonly windowSeconds: number,
    dataDir?: string,
  ) {
    if (dataDir) {
      this.file = path.join(dataDir, ALERTS_DIR, RULES_FILE);
      this.apiRules = RuleSet.read(this.file);
    }
    this.effective(); // configuration mistakes surface at start
  }

  private static read(file: string): RuleConfig[] {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    try {
      const d = JSON.parse(text) as { rules?: unknown[] };
      return (d.rules ?? []).map((r) => ruleConfig.parse(r));
    } catch {
      throw new InputError(`${file}: rule file is corrupt; fix it or remove it (rules created through the API are lost then)`);
    }
  }

  onChange(fn: (rules: EffectiveRule[]) => void): void {
    this.listeners.push(fn);
  }

  /** Built-in rules changed by the config file's, then by the API's. */
  effective(): EffectiveRule[] {
    const byId = new Map<string, EffectiveRule>(builtInRules(this.windowSeconds).map((r) => [r.id, r]));
    for (const r of this.configRules) byId.set(r.id, apply(byId.get(r.id), r, 'config', this.windowSeconds));
    for (const r of this.apiRules) byId.set(r.id, apply(byId.get(r.id), r, 'api', this.windowSeconds));
    return [...byId.values()];
  }

  get(id: string): EffectiveRule | undefined {
    return this.effective().find((r) => r.id === id);
  }

  /** Creates or replaces an API rule (validated first); takes effect at once. */
  async put(input: unknown): Promise<EffectiveRule> {
    const parsed = ruleConfig.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`rule: ${issue.path.map(String).join('.') || 'body'}: ${issue.message}`);
    }
    const r = parsed.data;
    const base = new Map(this.effectiveWithout(r.id).map((x) => [x.id, x])).get(r.id);
    const eff = apply(base, r, 'api', this.windowSeconds);
    this.apiRules = [...this.apiRules.filter((x) => x.id !== r.id), r];
    await this.save();
    this.changed();
    return eff;
  }

  /** Removes an API rule (a built-in or config rule it changed comes back). */
  async delete(id: string): Promise<void> {
    if (!this.apiRules.some((r) => r.id === id)) throw new InputError(`no rule '${id}' was created through the API (config and built-in rules are changed by creating one with the same id, e.g. enabled: false)`);
    this.apiRules = this.apiRules.filter((r) => r.id !== id);
    await this.save();
    this.changed();
  }

  private effectiveWithout(id: string): EffectiveRule[] {
    const saved = this.apiRules;
    this.apiRules = saved.filter((r) => r.id !== id);
    try {
      return this.effective();
    } finally {
      this.apiRules = saved;
    }
  }

  private changed(): void {
    const rules = this.effective();
    for (const l of this.listeners) l(rules);
  }

  private async save(): Promise<void> {
    if (!this.file) return;
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    await writeFileDurable(this.file, JSON.stringify({ rules: this.apiRules }, null, 2) + '\n');
  }
}
