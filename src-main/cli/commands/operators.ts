// `dske-station init` and `dske-station operators …`: the first administrator, and operator accounts.
import { ROLES, type OperatorView, type Role, type SignedIn } from '../../../src-shared/api/operators';
import { single, UsageError } from '../args';
import { noArgs, type Command } from '../command';

const account = (o: OperatorView): string =>
  `${o.name.padEnd(24)} ${o.roles.join(',').padEnd(28)} ${o.disabled ? 'DISABLED' : o.lockedUntil ? `locked until ${o.lockedUntil}` : 'active'}  since ${o.createdAt}`;

function roles(values: readonly string[] | undefined): Role[] {
  if (!values?.length) throw new UsageError(`Give at least one --role (${ROLES.join(', ')}).`);
  for (const r of values) if (!(ROLES as readonly string[]).includes(r)) throw new UsageError(`--role ${r} is not a role; the roles are ${ROLES.join(', ')}.`);
  return values as Role[];
}

export const operatorsCommands: readonly Command[] = [
  {
    words: 'init',
    usage: 'init --admin NAME [--passphrase-file F]',
    summary: 'create a station in the data directory, with its first administrator',
    call: 'operators.setup',
    mode: 'create',
    args: async (a, { secrets }) => {
      const name = single(a, '--admin');
      if (!name) throw new UsageError('init needs --admin NAME: the first administrator of the new station.');
      return { name, passphrase: await secrets.read(single(a, '--passphrase-file'), `New passphrase for ${name}`) };
    },
    show: (s: SignedIn) => `The station is ready; ${s.operator} is its first administrator. Create the other operators with \`dske-station operators add\`.`,
  },
  { words: 'operators list', usage: 'operators list', summary: 'operator accounts, their roles and state', call: 'operators.list', mode: 'read', args: noArgs, show: (l: readonly OperatorView[]) => l.map(account).join('\n') },
  {
    words: 'operators add',
    usage: 'operators add NAME --role ROLE [--role ROLE] [--new-passphrase-file F]',
    summary: `create an account (roles: ${ROLES.join(', ')})`,
    call: 'operators.create',
    mode: 'write',
    operands: ['NAME'],
    args: async (a, { operands: [name], secrets }) => ({ name, roles: roles(a.options['--role']), passphrase: await secrets.read(single(a, '--new-passphrase-file'), `Passphrase for ${name}`) }),
    show: (o: OperatorView) => `Created ${account(o)}`,
  },
  { words: 'operators disable', usage: 'operators disable NAME', summary: 'disable an account (accounts are never deleted)', call: 'operators.setDisabled', mode: 'write', operands: ['NAME'], args: (_a, { operands: [name] }) => ({ name, disabled: true }), show: (o: OperatorView) => account(o) },
  { words: 'operators enable', usage: 'operators enable NAME', summary: 'enable a disabled account again', call: 'operators.setDisabled', mode: 'write', operands: ['NAME'], args: (_a, { operands: [name] }) => ({ name, disabled: false }), show: (o: OperatorView) => account(o) },
  {
    words: 'operators passwd',
    usage: 'operators passwd [--new-passphrase-file F]',
    summary: 'change your own passphrase',
    call: 'operators.changePassphrase',
    mode: 'write',
    args: async (a, { secrets, current }) => ({ current, next: await secrets.read(single(a, '--new-passphrase-file'), 'New passphrase') }),
    show: () => 'Passphrase changed.',
  },
  {
    words: 'operators reset',
    usage: 'operators reset NAME [--new-passphrase-file F]',
    summary: "set a new passphrase for someone who forgot theirs (lifts a lockout)",
    call: 'operators.resetPassphrase',
    mode: 'write',
    operands: ['NAME'],
    args: async (a, { operands: [name], secrets }) => ({ name, next: await secrets.read(single(a, '--new-passphrase-file'), `New passphrase for ${name}`) }),
    show: (o: OperatorView) => `New passphrase set: ${account(o)}`,
  },
];
