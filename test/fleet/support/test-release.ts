import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildReleaseFromDirectory, type LocalRelease } from '@paddock/fleet';

/**
 * `bin/chainctl` of the test releases: the same small contract as the real runtime's CLI (`daemon`, `daemon
 * --detach`, `health --json`, a pidfile in $CHAIN_ROOT, and `daemon.json`, the state file the daemon writes once up
 * with its pid, its script and its start-up self-test, here the answer of `health`), written in sh so releases build
 * in milliseconds. A release whose HEALTH file says anything but `ok` fails its health check: that is how a broken
 * release looks. One whose SELF_TEST file says `no` writes no self-test, as runtime releases built before it did.
 */
const CHAINCTL = `#!/bin/sh
set -eu
release=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd -P)
root=\${CHAIN_ROOT:?CHAIN_ROOT is not set}
pidfile="$root/daemon.pid"
case "\${1:-}" in
  daemon)
    shift
    if [ "\${1:-}" = --detach ]; then
      setsid "$release/bin/chainctl" daemon </dev/null >>"$root/daemon.log" 2>&1 &
      for i in $(seq 100); do
        if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then exit 0; fi
        sleep 0.05
      done
      echo 'daemon did not start' >&2
      exit 1
    fi
    echo $$ > "$pidfile"
    trap 'rm -f "$pidfile"; exit 0' TERM INT
    cat "$release/VERSION" > "$root/daemon.version"
    # Its self-test is the answer its health command gives.
    self=$("$release/bin/chainctl" health || true)
    [ "$(cat "$release/SELF_TEST")" = yes ] || self=''
    printf '{"pid":%s,"script":"%s"%s,"version":"test"}\\n' $$ "$release/bin/chainctl" "\${self:+,\\"self_test\\":$self}" > "$root/daemon.json.new"
    mv "$root/daemon.json.new" "$root/daemon.json"
    while :; do date +%s > "$root/heartbeat"; sleep 1 & wait $! || true; done
    ;;
  health)
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "$release/HEALTH")" = ok ]; then
      echo "{\\"ok\\":true,\\"version\\":\\"$(cat "$release/VERSION")\\"}"
      exit 0
    fi
    echo "{\\"ok\\":false,\\"version\\":\\"$(cat "$release/VERSION")\\",\\"problems\\":[\\"health says $(cat "$release/HEALTH")\\"]}"
    exit 1
    ;;
  *)
    echo "usage: chainctl daemon [--detach] | health --json" >&2
    exit 2
    ;;
esac
`;

export interface TestReleaseOptions {
  version: string;
  healthy?: boolean;
  /** Whether its daemon writes a self-test into daemon.json (default true; false: as releases before that did). */
  selfTest?: boolean;
  /** Extra files: path -> content (Buffer for binary payloads). */
  files?: Record<string, string | Buffer>;
}

export async function buildTestRelease(baseDir: string, options: TestReleaseOptions): Promise<LocalRelease> {
  const root = join(baseDir, options.version);
  await mkdir(join(root, 'bin'), { recursive: true });
  await writeFile(join(root, 'bin/chainctl'), CHAINCTL, { mode: 0o755 });
  await writeFile(join(root, 'VERSION'), `${options.version}\n`);
  await writeFile(join(root, 'HEALTH'), options.healthy === false ? 'broken\n' : 'ok\n');
  await writeFile(join(root, 'SELF_TEST'), options.selfTest === false ? 'no\n' : 'yes\n');
  await mkdir(join(root, 'lib'), { recursive: true });
  await writeFile(join(root, 'lib/shared.txt'), 'identical in every test release\n');
  for (const [path, content] of Object.entries(options.files ?? {})) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return buildReleaseFromDirectory(root, { version: options.version, description: 'test release' });
}
