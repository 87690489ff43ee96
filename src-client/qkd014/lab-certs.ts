// Certificates for a QKD 014 lab or test setup, made with the openssl command: a CA, a server certificate
// per KME (SAN DNS:localhost, IP:127.0.0.1) and a client certificate per SAE whose CN is the SAE ID.
// Production deployments bring their own PKI.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pem {
  readonly cert: string;
  readonly key: string;
  /** Paths of the PEM files (for curl and the like). */
  readonly certFile: string;
  readonly keyFile: string;
}

const openssl = (dir: string, args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
};

export class LabCa {
  readonly caFile: string;
  readonly ca: string;
  private serial = 1;

  constructor(private readonly dir: string, name = 'DSKE QKD014 lab CA') {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${name}`]);
    this.caFile = join(dir, 'ca.pem');
    this.ca = readFileSync(this.caFile, 'utf8');
  }

  private issue(name: string, cn: string, ext: string): Pem {
    const base = `${name}-${this.serial++}`;
    writeFileSync(join(this.dir, `${base}.ext`), ext);
    openssl(this.dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${cn}`]);
    openssl(this.dir, ['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${base}.pem`, '-days', '2', '-extfile', `${base}.ext`]);
    const certFile = join(this.dir, `${base}.pem`);
    const keyFile = join(this.dir, `${base}.key`);
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
  }

  /** A KME's server certificate for localhost. */
  server(kme: string): Pem {
    return this.issue(`kme-${kme}`, kme, 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  }

  /** An SAE's client certificate: CN = the SAE ID. */
  sae(id: string): Pem {
    return this.issue(`sae-${id}`, id, 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n');
  }
}
