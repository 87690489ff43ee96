// How every view shows a failed call: the station's plain sentence, with its code for the help desk.
import type { StationError } from '../../../src-shared/api/result';

export function ErrorNote({ error }: { error: StationError | undefined }): React.JSX.Element | null {
  if (!error) return null;
  return (
    <p className="error" role="alert" data-code={error.code}>
      {error.message} <span className="code">({error.code})</span>
    </p>
  );
}
