// Reading an inventory file: YAML (JSON is read by the same parser), field validation, then
// reference checks. Every problem becomes one InventoryError naming the file, the path inside
// it and, where the parser knows it, the line.

import fs from 'node:fs';
import { LineCounter, isScalar, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { InventoryError, formatPath, type PathPart } from './errors.js';
import { inventoryFileSchema } from './file-schema.js';
import { InventoryIndex } from './inventory-index.js';
import { resolveInventory } from './resolve.js';

function lineOf(doc: Document, lines: LineCounter, path: readonly PathPart[]): number | undefined {
  // The deepest node that exists along the path (a missing field is reported at its parent).
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lines.linePos(range[0]).line;
  }
  return undefined;
}

function valueAt(data: unknown, path: readonly PathPart[]): unknown {
  let v = data;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): { path: PathPart[]; problem: string } {
  const path = issue.path.filter((p): p is PathPart => typeof p !== 'symbol');
  switch (issue.code) {
    case 'unrecognized_keys':
      return { path: [...path, issue.keys[0]], problem: `unknown field '${issue.keys[0]}'` };
    case 'invalid_type':
    case 'invalid_union':
      // A missing field fails every type check; say what is really wrong.
      if (valueAt(data, path) === undefined) return { path, problem: 'is required' };
      return { path, problem: issue.message.replace(/^Invalid input: /, '') };
    case 'invalid_value':
      return { path, problem: `must be one of ${issue.values.map(String).join(', ')}` };
    default:
      return { path, problem: issue.message };
  }
}

/**
 * Account ids are digits, and YAML reads unquoted digits as a number: 012345678901 would lose
 * its leading zero. Take such ids as they are written.
 */
function keepAccountIdsAsWritten(doc: Document, data: Record<string, unknown>): void {
  const vpcs = data.vpcs;
  if (!Array.isArray(vpcs)) return;
  vpcs.forEach((v, i) => {
    if (v === null || typeof v !== 'object' || typeof (v as Record<string, unknown>).account_id !== 'number') return;
    const node = doc.getIn(['vpcs', i, 'account_id'], true);
    if (isScalar(node) && typeof node.source === 'string') (v as Record<string, unknown>).account_id = node.source;
  });
}

/** Parses inventory text; `fileName` is used in error messages only. Throws InventoryError. */
export function parseInventory(text: string, fileName: string): InventoryIndex {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lines.linePos(e.pos[0]);
    throw new InventoryError(fileName, `line ${pos.line}, column ${pos.col}`, e.message);
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) throw new InventoryError(fileName, '', 'is empty');
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new InventoryError(fileName, '', 'must be a mapping with vpcs, subnets, enis, security_groups and network_acls');
  }
  keepAccountIdsAsWritten(doc, data as Record<string, unknown>);
  const parsed = inventoryFileSchema.safeParse(data);
  if (!parsed.success) {
    const { path, problem } = describeIssue(parsed.error.issues[0], data);
    throw new InventoryError(fileName, formatPath(path), problem, lineOf(doc, lines, path));
  }
  const model = resolveInventory(parsed.data, (path, problem) => {
    throw new InventoryError(fileName, formatPath(path), problem, lineOf(doc, lines, path));
  });
  return new InventoryIndex(model, fileName);
}

/** Reads and parses an inventory file (YAML or JSON). Throws InventoryError, also when unreadable. */
export function loadInventory(path: string): InventoryIndex {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InventoryError(path, '', code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(err)})`);
  }
  return parseInventory(text, path);
}
