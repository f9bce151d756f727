// API tokens: shown once when created, stored only as SHA-256 hashes in the data directory.
// A token may be limited to some accounts (tenants); '*' sees every account.

import crypto from 'node:crypto';
import fs from 'node:fs';
import { writeFileDurable } from '../util/durable.js';
import { InputError } from '../util/errors.js';

export interface TokenRecord {
  name: string;
  sha256: string;
  accounts: string[];
  created: string;
}

export interface Principal {
  name: string;
  /** Account ids this caller may see; ['*'] for all. */
  accounts: string[];
}

export const ALL_ACCOUNTS = '*';

function hash(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export class TokenStore {
  private records: TokenRecord[];

  constructor(private readonly file: string) {
    this.records = TokenStore.read(file);
  }

  private static read(file: string): TokenRecord[] {
    try {
      const d = JSON.parse(fs.readFileSync(file, 'utf8')) as { tokens: TokenRecord[] };
      return Array.isArray(d.tokens) ? d.tokens : [];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new InputError(`${file}: token file is corrupt; restore it or remove it and create tokens again`);
    }
  }

  /** Re-reads the file, so tokens created by the CLI apply to a running server. */
  reload(): void {
    this.records = TokenStore.read(this.file);
  }

  get count(): number {
    return this.records.length;
  }

  list(): Omit<TokenRecord, 'sha256'>[] {
    return this.records.map(({ name, accounts, created }) => ({ name, accounts, created }));
  }

  async create(name: string, accounts: string[] = [ALL_ACCOUNTS]): Promise<string> {
    if (!/^[\w.-]{1,64}$/.test(name)) throw new InputError(`token name '${name}' must be 1-64 letters, digits, '.', '_' or '-'`);
    if (this.records.some((r) => r.name === name)) throw new InputError(`a token named '${name}' already exists`);
    const token = `flt_${crypto.randomBytes(24).toString('base64url')}`;
    this.records.push({ name, sha256: hash(token), accounts, created: new Date().toISOString() });
    await this.save();
    return token;
  }

  async revoke(name: string): Promise<void> {
    const n = this.records.length;
    this.records = this.records.filter((r) => r.name !== name);
    if (this.records.length === n) throw new InputError(`no token named '${name}'`);
    await this.save();
  }

  verify(token: string): Principal | undefined {
    const h = Buffer.from(hash(token), 'hex');
    for (const r of this.records) {
      const other = Buffer.from(r.sha256, 'hex');
      if (other.length === h.length && crypto.timingSafeEqual(other, h)) return { name: r.name, accounts: r.accounts };
    }
    return undefined;
  }

  private async save(): Promise<void> {
    await writeFileDurable(this.file, JSON.stringify({ tokens: this.records }, null, 2) + '\n');
    fs.chmodSync(this.file, 0o600);
  }
}
