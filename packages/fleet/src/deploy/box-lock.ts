import { FleetError } from '../errors';
import { LineReader } from '../line-reader';
import { sh } from '../shell';
import type { RemoteProcess, SshConnection } from '../ssh-connection';
import { type BoxLayout, layoutPaths } from './box-layout';

/** What the box holds, read under the lock: the deploy decides from this what to upload and what to change. */
export interface BoxState {
  /** Version `current` points to, or null before the first deploy. */
  currentVersion: string | null;
  /** Assembled releases and their content digests. */
  releases: Map<string, string>;
  /** Names in the content store (`<sha256>` or `<sha256>.x`). */
  storeObjects: Set<string>;
  /** Files this deploy uploaded before a dropped connection, by name, with their size so far. */
  partialUploads: Map<string, number>;
  /** Versions that passed their health check, oldest first. */
  history: string[];
  /** The box has zstd, so uploads can travel compressed. */
  hasZstd: boolean;
}

export interface HeldBoxLock {
  state: BoxState;
  /** True while the lock channel is open: a dropped connection releases the lock on the box. */
  readonly held: boolean;
  release(): Promise<void>;
}

const LOCKED_EXIT = 75;
const NOT_BOOTSTRAPPED_EXIT = 78;
/** The lock script's state lines are short (a release, an object digest); a longer one is not ours and is dropped. */
const STATE_LINE_BYTES = 64 * 1024;

/**
 * Takes the box's deploy lock: `flock` on a file, held by a command whose stdin is our channel. When we end the
 * channel, or the connection dies (sshd notices within a minute, see sshd-hardening.conf), the command exits and the
 * kernel drops the lock, so a crashed control plane never leaves a box locked. The same command reports the box state.
 */
export async function acquireBoxLock(
  connection: SshConnection,
  layout: BoxLayout,
  options: { holder: string; deployId: string; waitMs: number },
): Promise<HeldBoxLock> {
  const p = layoutPaths(layout);
  const waitSeconds = Math.ceil(options.waitMs / 1000);
  const incoming = `${p.incoming}/${options.deployId}`;
  const script = sh`
[ -d ${p.locks} ] && [ -d ${p.store} ] || exit ${NOT_BOOTSTRAPPED_EXIT}
exec 9>>${`${p.locks}/deploy.lock`} || exit 1
if ! flock ${waitSeconds > 0 ? ['-w', String(waitSeconds)] : ['-n']} 9; then
  echo "@@busy $(head -c 300 ${`${p.locks}/deploy.holder`} 2>/dev/null | tr '\\n' ' ')"
  exit ${LOCKED_EXIT}
fi
printf '%s\\n' ${options.holder} > ${`${p.locks}/deploy.holder`}
cd ${layout.installDir} || exit 1
# Builtins where they do: 32 boxes locked at once share the control plane's cores with their own, and every
# process started here (a sed, a cat per release) is a fork and an exec on a box that is about to start Node.
current=$(readlink current 2>/dev/null) || current=''
echo "@@current \${current#releases/}"
for d in releases/*/; do
  digest=''
  [ -f "$d.paddock-digest" ] && read -r digest < "$d.paddock-digest"
  d=\${d%/}
  [ -n "$digest" ] && echo "@@release \${d##*/} $digest"
done
for o in store/*; do [ -e "$o" ] && echo "@@object \${o#store/}"; done
[ -f history ] && while IFS= read -r v; do echo "@@history $v"; done < history
for f in incoming/*; do
  [ ! -e "$f" ] || [ "$f" = ${`incoming/${options.deployId}`} ] || rm -rf -- "$f"
done
[ -d ${incoming} ] || mkdir -p ${incoming}
for f in ${incoming}/*; do [ -f "$f" ] && stat -c '@@partial %s %n' "$f"; done
command -v zstd >/dev/null 2>&1 && echo @@zstd
echo @@ready
exec cat >/dev/null
`;
  const process = await connection.spawn(sh`sh -c ${script.text}`);
  const state: BoxState = {
    currentVersion: null,
    releases: new Map(),
    storeObjects: new Set(),
    partialUploads: new Map(),
    history: [],
    hasZstd: false,
  };
  let busy = '';
  let ready = false;
  let held = true;
  await new Promise<void>((resolve, reject) => {
    // The script's state lines, up to `@@ready`; what the held command prints after that is not ours to read.
    const reader = new LineReader((line) => {
      if (line === '@@ready') {
        ready = true;
        reader.pause();
        resolve();
      } else if (line.startsWith('@@busy')) busy = line.slice(7).trim();
      else parseStateLine(line, state);
    }, STATE_LINE_BYTES);
    process.channel.on('data', (chunk: Buffer) => {
      if (!ready) reader.push(chunk);
    });
    process.exited.then((code) => {
      held = false;
      if (ready) return;
      if (code === LOCKED_EXIT) {
        reject(
          new FleetError(
            'deploy_locked',
            `Box ${connection.target.id} is locked by another deploy${busy ? ` (${busy})` : ''}`,
            { boxId: connection.target.id },
          ),
        );
      } else if (code === NOT_BOOTSTRAPPED_EXIT) {
        reject(
          new FleetError(
            'not_bootstrapped',
            `Box ${connection.target.id} has no ${layout.installDir}: bootstrap it first`,
            {
              boxId: connection.target.id,
            },
          ),
        );
      } else if (code === null) {
        reject(
          new FleetError('connection_lost', `Lost box ${connection.target.id} while taking its deploy lock`, {
            boxId: connection.target.id,
          }),
        );
      } else {
        reject(
          new FleetError(
            'exec_failed',
            `Could not take the deploy lock on box ${connection.target.id}: ${process.stderrTail().trim()}`,
            {
              boxId: connection.target.id,
            },
          ),
        );
      }
    });
  });
  return {
    state,
    get held() {
      return held;
    },
    release: () => releaseLock(process),
  };
}

async function releaseLock(process: RemoteProcess): Promise<void> {
  process.channel.end();
  const timer = setTimeout(() => process.close(), 5_000);
  await process.exited;
  clearTimeout(timer);
}

function parseStateLine(line: string, state: BoxState): void {
  const space = line.indexOf(' ');
  const tag = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? '' : line.slice(space + 1);
  switch (tag) {
    case '@@current':
      state.currentVersion = rest.trim() === '' ? null : rest.trim();
      break;
    case '@@release': {
      const [version, digest] = rest.split(' ');
      if (version && digest) state.releases.set(version, digest);
      break;
    }
    case '@@object':
      if (rest) state.storeObjects.add(rest);
      break;
    case '@@zstd':
      state.hasZstd = true;
      break;
    case '@@history':
      if (rest) state.history.push(rest);
      break;
    case '@@partial': {
      const [size, path] = [rest.slice(0, rest.indexOf(' ')), rest.slice(rest.indexOf(' ') + 1)];
      state.partialUploads.set(path.slice(path.lastIndexOf('/') + 1), Number(size));
      break;
    }
  }
}
