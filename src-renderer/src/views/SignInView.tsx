// Who is at the station: the first run creates the first administrator; afterwards everyone signs in
// with their own name and passphrase. The passphrase goes to the station and is not kept here.
import { useState } from 'react';
import type { SignedIn } from '../../../src-shared/api/operators';
import type { StationError } from '../../../src-shared/api/result';
import { station } from '../station-client';
import { ErrorNote } from './ErrorNote';

export function SignInView({ firstRun, onSignedIn }: { firstRun: boolean; onSignedIn: (s: SignedIn) => void }): React.JSX.Element {
  const [name, setName] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<StationError>();
  const [waiting, setWaiting] = useState(false);

  async function submit(e: React.FormEvent): Promise<void> {
    e.preventDefault();
    if (firstRun && passphrase !== again) {
      setError({ code: 'bad-request', message: 'The two passphrases differ; type the same passphrase twice.' });
      return;
    }
    setWaiting(true);
    const r = firstRun ? await station().operators.setup({ name: name.trim(), passphrase }) : await station().operators.signIn({ name: name.trim(), passphrase });
    setWaiting(false);
    setPassphrase('');
    setAgain('');
    if (r.ok) onSignedIn(r.value);
    else setError(r.error);
  }

  return (
    <section className="panel signin">
      <h2>{firstRun ? 'Set up this station' : 'Sign in'}</h2>
      {firstRun && (
        <p>
          This station has no accounts yet. Create its first administrator: the person who will add the hub operators, desk staff and auditors. Choose a
          passphrase of at least 10 characters; nobody can read it back, so keep it safe.
        </p>
      )}
      <form onSubmit={(e) => void submit(e)}>
        <label>
          Name <input aria-label="Name" autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Passphrase <input aria-label="Passphrase" type="password" autoComplete={firstRun ? 'new-password' : 'current-password'} value={passphrase} onChange={(e) => setPassphrase(e.target.value)} required />
        </label>
        {firstRun && (
          <label>
            Passphrase again <input aria-label="Passphrase again" type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} required />
          </label>
        )}
        <button type="submit" disabled={waiting}>{waiting ? 'Checking…' : firstRun ? 'Create administrator' : 'Sign in'}</button>
      </form>
      <ErrorNote error={error} />
    </section>
  );
}
