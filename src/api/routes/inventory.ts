// /api/inventory: GET the inventory in use (our format; a token limited to some accounts sees
// only their VPCs and what is inside them); POST imports a new one from cloud describe outputs
// or our YAML/JSON, which becomes the data directory's inventory and applies at once.
// POST body: one document (a describe output or an inventory), or {"files": [{"name", "content"}]}
// for several describe outputs read together; ?format=auto|aws|tencent|yaml, ?account=ID.

import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import YAML from 'yaml';
import { saveInventory, type InventorySource } from '../../inventory/current-inventory.js';
import { INVENTORY_FORMATS, importInventory, type InventoryDocument, type InventoryFormat } from '../../inventory/importers/import.js';
import type { InventoryIndex } from '../../inventory/inventory-index.js';
import { InputError } from '../../util/errors.js';
import type { ApiContext } from '../context.js';
import { ALL_ACCOUNTS, type Principal } from '../tokens.js';

/** The ApiContext fields these routes need (absent: the routes answer 503). */
export interface InventoryApiContext extends ApiContext {
  inventory?: InventorySource & { file?: string; refresh?(): boolean };
  /** Where POST writes the imported inventory. */
  dataDir?: string;
}

type Doc = Record<string, unknown[] | undefined>;

/** The parts of an inventory document a principal may see. */
function scoped(doc: Doc, inv: InventoryIndex, p: Principal): Doc {
  if (p.accounts.includes(ALL_ACCOUNTS)) return doc;
  const vpcs = new Set(inv.vpcs.filter((v) => p.accounts.includes(v.accountId)).map((v) => v.id));
  const subnets = new Set(inv.subnets.filter((s) => vpcs.has(s.vpc.id)).map((s) => s.id));
  const inVpc = (x: unknown) => vpcs.has(String((x as { vpc?: unknown }).vpc));
  return {
    ...doc,
    vpcs: (doc.vpcs ?? []).filter((v) => vpcs.has(String((v as { id: unknown }).id))),
    subnets: (doc.subnets ?? []).filter(inVpc),
    enis: (doc.enis ?? []).filter((e) => subnets.has(String((e as { subnet?: unknown }).subnet))),
    security_groups: (doc.security_groups ?? []).filter(inVpc),
    network_acls: (doc.network_acls ?? []).filter(inVpc),
  };
}

export function inventoryRoutes(app: FastifyInstance, base: ApiContext): void {
  const ctx = base as InventoryApiContext;

  app.get('/api/inventory', async (req, reply) => {
    const inv = ctx.inventory?.get();
    const file = ctx.inventory?.file;
    if (!inv || !file) return reply.code(404).send({ error: 'no inventory loaded: import one with POST /api/inventory or flowlogs inventory import' });
    const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as Doc;
    return scoped(doc, inv, req.principal);
  });

  app.post('/api/inventory', async (req, reply) => {
    if (!ctx.dataDir || !ctx.inventory) return reply.code(503).send({ error: 'inventory import is not available on this server' });
    if (!req.principal.accounts.includes(ALL_ACCOUNTS)) return reply.code(403).send({ error: 'replacing the inventory needs a token for all accounts' });
    const q = req.query as Record<string, string | undefined>;
    const format = (q.format ?? 'auto') as InventoryFormat;
    if (!(INVENTORY_FORMATS as readonly string[]).includes(format)) throw new InputError(`format: '${format}' must be one of ${INVENTORY_FORMATS.join(', ')}`);
    const body = req.body;
    let docs: InventoryDocument[];
    if (typeof body === 'string') docs = [{ file: 'request body', text: body }];
    else if (body && typeof body === 'object' && Array.isArray((body as { files?: unknown }).files)) {
      docs = ((body as { files: unknown[] }).files).map((f, i) => {
        const o = f as { name?: unknown; content?: unknown };
        if (o === null || typeof o !== 'object' || o.content === undefined) throw new InputError(`files[${i}]: needs name and content`);
        const name = typeof o.name === 'string' && o.name ? o.name : `files[${i}]`;
        return { file: name, text: typeof o.content === 'string' ? o.content : JSON.stringify(o.content) };
      });
    } else if (body && typeof body === 'object') docs = [{ file: 'request body', text: JSON.stringify(body) }];
    else throw new InputError('send a describe output, an inventory, or {"files": [{"name", "content"}]} as the body');
    const r = importInventory(docs, { format, account: q.account });
    const index = await saveInventory(ctx.dataDir, r.inventory, 'imported inventory');
    ctx.inventory.refresh?.();
    return reply.code(201).send({
      vpcs: index.vpcs.length,
      subnets: index.subnets.length,
      enis: index.enis.length,
      security_groups: index.securityGroups.length,
      network_acls: index.networkAcls.length,
      read: r.read,
      notes: r.notes,
    });
  });
}
