import path from 'node:path';
import { TokenStore } from '../api/tokens.js';
import { openDataDir } from '../store/datadir.js';
import { InputError } from '../util/errors.js';
import { list, parseFlags, str, type Io, type Verb } from './args.js';
import { renderTable } from './table.js';

export const token: Verb = {
  name: 'token',
  summary: 'create, list and revoke API tokens',
  usage: `flowlogs token create --name NAME [--accounts A,B] [--data DIR]   prints the token once; only its hash is stored
flowlogs token list [--data DIR]
flowlogs token revoke --name NAME [--data DIR]`,
  async run(argv: string[], io: Io): Promise<number> {
    const [sub, ...rest] = argv;
    const p = parseFlags(`token ${sub ?? ''}`.trim(), rest, { name: { type: 'string' }, accounts: { type: 'string', multiple: true }, data: { type: 'string' } }, false);
    const dir = openDataDir(str(p, 'data') ?? './data', { create: sub === 'create' });
    const tokens = new TokenStore(path.join(dir.root, 'tokens.json'));
    const name = str(p, 'name');
    switch (sub) {
      case 'create': {
        if (!name) throw new InputError('flowlogs token create: --name is required');
        const accounts = list(p, 'accounts');
        const t = await tokens.create(name, accounts.length ? accounts : ['*']);
        io.out.write(`${t}\n`);
        io.err.write(`token '${name}' created for accounts ${accounts.length ? accounts.join(', ') : '* (all)'}; it is shown only now\n`);
        return 0;
      }
      case 'list':
        io.out.write(renderTable(['name', 'accounts', 'created'], tokens.list().map((t) => [t.name, t.accounts.join(','), t.created])));
        return 0;
      case 'revoke':
        if (!name) throw new InputError('flowlogs token revoke: --name is required');
        await tokens.revoke(name);
        io.err.write(`token '${name}' revoked\n`);
        return 0;
      default:
        throw new InputError(`flowlogs token: expected create, list or revoke${sub ? `, got '${sub}'` : ''}`);
    }
  },
};
