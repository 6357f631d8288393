import { randomBytes } from 'node:crypto';
import { type BoxLayout, checkLayout, DEFAULT_BOX_LAYOUT, layoutPaths } from '../deploy/box-layout';
import { FleetError } from '../errors';
import { discardEvents, type FleetRecorder } from '../recorder';
import { asRoot, sh } from '../shell';
import type { BoxTarget } from '../ssh-options';
import type { SshPool } from '../ssh-pool';
import { asRuntimeUser } from '../runtime-user';

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_SECRETS_BYTES = 256 * 1024;

/**
 * The runtime's env file: `NAME="value"` per line. Its parser drops one pair of surrounding quotes and does no
 * escaping, so any value without a line break survives exactly; line breaks and NUL cannot be carried and are refused.
 */
export function renderSecretsFile(secrets: Record<string, string>): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(secrets).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!SECRET_NAME.test(name)) {
      throw new FleetError(
        'invalid_input',
        `Secret name ${JSON.stringify(name.slice(0, 64))} is not a valid variable name`,
      );
    }
    // The message names the secret, never its value.
    if (/[\n\r\0]/.test(value)) throw new FleetError('invalid_input', `Secret ${name} holds a line break or NUL byte`);
    lines.push(`${name}="${value}"`);
  }
  const text = lines.length > 0 ? `${lines.join('\n')}\n` : '';
  if (Buffer.byteLength(text) > MAX_SECRETS_BYTES) throw new FleetError('invalid_input', 'Secrets exceed 256 KiB');
  return text;
}

/**
 * Replaces the box's secrets file with exactly `secrets`. The values travel on the command's stdin (never a command
 * line, which `ps` shows to every user of the box), land in a 0600 file of the runtime user created with that mode,
 * and replace the old file by rename, so the runtime never reads half a file. Only names are recorded.
 * Written as the runtime user, never as root: the data directory is that user's, and a root `chown`/`chmod` of the
 * temporary file would follow a symlink the user swapped in for it (to root's paddock-service, say). As the user, a
 * swap only ever touches what the user owns already. `set -C` makes the first write refuse anything already there.
 */
export async function pushSecrets(options: {
  pool: SshPool;
  target: BoxTarget;
  secrets: Record<string, string>;
  layout?: BoxLayout;
  recorder?: FleetRecorder;
}): Promise<{ names: string[] }> {
  const layout = checkLayout(options.layout ?? DEFAULT_BOX_LAYOUT);
  const text = renderSecretsFile(options.secrets);
  const { secrets: path } = layoutPaths(layout);
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const user = layout.runtimeUser;
  const connection = await options.pool.connect(options.target);
  await connection.exec(
    asRoot(
      options.target.username,
      asRuntimeUser(
        user,
        sh`umask 077 && set -C && cat > ${temp} && mv -f ${temp} ${path} || { rm -f ${temp}; exit 1; }`,
      ),
    ),
    { stdin: text, label: `write ${path}` },
  );
  const names = Object.keys(options.secrets).sort();
  await (options.recorder ?? discardEvents).record({ type: 'secrets.pushed', boxId: options.target.id, names });
  return { names };
}
