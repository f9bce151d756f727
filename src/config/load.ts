// Configuration: one YAML file (optional) plus environment overrides, read once at start.
// Each component owns the zod schema of its own section; `section()` validates it and turns
// any mistake into one line naming the file, the path inside it and the problem.

import fs from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';
import { InputError, errorMessage } from '../util/errors.js';

export type RawConfig = Record<string, unknown>;

export interface LoadedConfig {
  raw: RawConfig;
  /** Where values came from, for error messages. */
  source: string;
}

export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let raw: RawConfig = {};
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError(`${file}: cannot read config (${errorMessage(e)})`);
    }
    let parsed: unknown;
    try {
      parsed = YAML.parse(text);
    } catch (e) {
      throw new InputError(`${file}: not valid YAML (${errorMessage(e).split('\n')[0]})`);
    }
    if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed)))
      throw new InputError(`${file}: the config must be a mapping of sections (server:, store:, …)`);
    raw = (parsed ?? {}) as RawConfig;
  }
  applyEnv(raw, env);
  const loaded = { raw, source: file ?? 'environment' };
  checkKnownSections(loaded, KNOWN_SECTIONS);
  return loaded;
}

/** Every section some component reads; anything else in a config file is a typo. */
export const KNOWN_SECTIONS = ['server', 'store', 'collectors', 'enrich', 'intel', 'alerts', 'sinks', 'flowlogs', 'inventory', 'bus', 'collect', 'write'] as const;

/**
 * FLOWLOGS_<SECTION>__<KEY>[__<KEY>…]=value overrides config values; the value is read as a
 * YAML scalar, so numbers and booleans keep their type.
 */
export function applyEnv(raw: RawConfig, env: NodeJS.ProcessEnv): void {
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('FLOWLOGS_') || !k.includes('__') || v === undefined) continue;
    const path = k.slice('FLOWLOGS_'.length).toLowerCase().split('__');
    let node: RawConfig = raw;
    for (const p of path.slice(0, -1)) {
      if (typeof node[p] !== 'object' || node[p] === null) node[p] = {};
      node = node[p] as RawConfig;
    }
    let value: unknown = v;
    try {
      value = YAML.parse(v);
    } catch {
      value = v;
    }
    node[path[path.length - 1]] = value;
  }
}

/** Validates one section with its schema; missing sections get the schema's defaults. */
export function section<S extends z.ZodType>(cfg: LoadedConfig, name: string, schema: S): z.infer<S> {
  const r = schema.safeParse(cfg.raw[name] ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = [name, ...issue.path.map(String)].join('.');
  throw new InputError(`${cfg.source}: ${where}: ${issue.message}`);
}

/** Sections nobody reads are usually typos: name them. */
function checkKnownSections(cfg: LoadedConfig, known: readonly string[]): void {
  for (const k of Object.keys(cfg.raw)) {
    if (!known.includes(k)) throw new InputError(`${cfg.source}: unknown section '${k}' (known: ${known.join(', ')})`);
  }
}
