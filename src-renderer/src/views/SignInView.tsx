// Who is at the station: everyone signs in with their own name and passphrase (the first administrator
// is created by the first-run setup, SetupView). The passphrase goes to the station and is not kept here.
import { useState } from 'react';
import type { SignedIn } from '../../../src-shared/api/operators';
import type { StationError } from '../../../src-shared/api/result';
import { station } from '../station-client';
import { ErrorNote } from './ErrorNote';

export function SignInView({ onSignedIn }: { onSignedIn: (s: SignedIn) => void }): React.JSX.Element {
  const [name, setName] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<StationError>();
  const [waiting, setWaiting] = useState(false);

  async function submit(e: React.FormEvent): Promise<void> {
    e.preventDefault();
    setWaiting(true);
    const r = await station().operators.signIn({ name: name.trim(), passphrase });
    setWaiting(false);
    setPassphrase('');
    if (r.ok) onSignedIn(r.value);
    else setError(r.error);
  }

  return (
    <section className="panel signin">
      <h2>Sign in</h2>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          Name <input aria-label="Name" autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Passphrase <input aria-label="Passphrase" type="password" autoComplete="current-password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} required />
        </label>
        <button type="submit" disabled={waiting}>{waiting ? 'Checking…' : 'Sign in'}</button>
      </form>
      <ErrorNote error={error} />
    </section>
  );
}
