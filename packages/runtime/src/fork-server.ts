import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A tiny long-lived helper that forks agents for the daemon. Node's `spawn` blocks the event loop for the whole
 * fork+exec, and fork costs grow with the parent's memory: measured ~3 ms per spawn from a 50 MB Node process and
 * ~8 ms from a busy daemon, i.e. seconds of a frozen daemon when hundreds of steps hand off at once. Forking from a
 * 5 MB perl process costs a fraction of that, runs on the other core, and leaves the daemon's loop free.
 *
 * perl-base is "Essential" on Debian and Ubuntu, so it is on every box; without it the daemon falls back to Node's
 * spawn (launch-agent.ts). The helper only forks, execs and reports exits: the PTY is opened by the daemon, and the
 * child opens the slave by path after setsid(), which makes it the controlling terminal (Linux assigns the first
 * terminal a session leader opens).
 *
 * Wire format (binary-safe; no field can contain NUL): request = id, pts path, cwd, stdin file or "-", command,
 * then KEY=VALUE env entries, NUL-separated, ended by an empty field. Replies, one per line:
 * `S id pid [epoch seconds]` (forked; the time if Time::HiRes is there), `X id pid status` (wait status), `E id message` (fork failed).
 */
const SCRIPT = String.raw`
use strict; use warnings; no warnings qw(exec); use POSIX qw(setsid dup2 _exit WNOHANG);
$| = 0; $SIG{PIPE} = 'IGNORE'; # replies go out per batch (and before each fork, which flushes)
# select waits for a request or for SIGCHLD's byte on the self-pipe; its timeout is only a safety net (a short one
# woke every idle box 20 times a second).
my $hires = eval { require Time::HiRes; 1 };
pipe(my $wake_r, my $wake_w) or die "pipe: $!";
$SIG{CHLD} = sub { syswrite($wake_w, "x") };
my %ids; my $buf = ''; my $open = 1;
sub reap { while ((my $pid = waitpid(-1, WNOHANG)) > 0) { my $id = delete $ids{$pid}; print "X $id $pid $?\n" if defined $id; } }
sub launch {
  my ($id, $pts, $cwd, $stdin, $cmd, @env) = @_;
  my $pid = fork();
  if (!defined $pid) { print "E $id fork failed: $!\n"; return; }
  if ($pid == 0) {
    setsid();
    $SIG{CHLD} = 'DEFAULT'; $SIG{PIPE} = 'DEFAULT';
    sysopen(my $tty, $pts, 2) or _exit(126);
    dup2(fileno($tty), $_) for (0, 1, 2);
    if ($stdin ne '-') { open(my $in, '<', $stdin) or do { print STDERR "cannot open stdin: $!\n"; _exit(126) }; dup2(fileno($in), 0); }
    chdir($cwd) or do { print STDERR "cannot chdir to $cwd: $!\n"; _exit(126) };
    %ENV = (); for my $kv (@env) { my ($k, $v) = split(/=/, $kv, 2); $ENV{$k} = $v; }
    exec { '/bin/sh' } 'sh', '-c', $cmd;
    print STDERR "cannot exec /bin/sh: $!\n"; _exit(127);
  }
  $ids{$pid} = $id; print $hires ? sprintf("S %d %d %.6f\n", $id, $pid, Time::HiRes::time()) : "S $id $pid\n";
}
while ($open || %ids) {
  my $rin = ''; vec($rin, fileno($wake_r), 1) = 1; vec($rin, fileno(STDIN), 1) = 1 if $open;
  my $n = select(my $rout = $rin, undef, undef, 5);
  if ($n > 0 && vec($rout, fileno($wake_r), 1)) { sysread($wake_r, my $drain, 4096); }
  reap();
  if ($open && $n > 0 && vec($rout, fileno(STDIN), 1)) {
    my $got = sysread(STDIN, $buf, 1 << 20, length $buf);
    if (!$got) { $open = 0; next; }
    while ((my $end = index($buf, "\0\0")) >= 0) {
      my @fields = split(/\0/, substr($buf, 0, $end)); substr($buf, 0, $end + 2) = '';
      launch(@fields);
    }
  }
  STDOUT->flush();
}
`;

export interface ForkRequest {
  pts: string;
  cwd: string;
  stdinFile: string | undefined;
  command: string;
  env: Record<string, string>;
}

export interface ForkedProcess {
  pid: number;
  /** When the fork happened (ms since the epoch, sub-ms), as seen by the fork server; else when we heard of it. */
  forkedAtMs: number;
  /** Resolves with the exit code and signal name, like ChildProcess 'exit'. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface Pending {
  started: (pid: number, forkedAtMs: number) => void;
  failed: (error: Error) => void;
  exited?: (result: { code: number | null; signal: NodeJS.Signals | null }) => void;
}

const SIGNAL_NAMES: Record<number, NodeJS.Signals> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  6: 'SIGABRT',
  9: 'SIGKILL',
  13: 'SIGPIPE',
  15: 'SIGTERM',
};

export class ForkServer {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  static available(): boolean {
    return spawnSync('perl', ['-MPOSIX', '-e', '1'], { stdio: 'ignore' }).status === 0;
  }

  /**
   * Starts the helper now rather than at the first fork: it must not inherit the daemon's PTY masters (the binding
   * opens them inheritable), or every agent it forks would hold every other agent's terminal.
   */
  start(): void {
    this.ensure();
  }

  private ensure(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn('perl', ['-e', SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => this.onLine(line));
    child.on('exit', () => {
      this.child = undefined;
      // Agents it started are orphaned from our point of view: report them as lost so the daemon retries them.
      for (const [id, p] of this.pending) {
        p.failed(new Error('fork server exited'));
        p.exited?.({ code: null, signal: 'SIGKILL' });
        this.pending.delete(id);
      }
    });
    child.stdin?.on('error', () => undefined);
    this.child = child;
    return child;
  }

  private onLine(line: string): void {
    const [kind, idText, a, b] = line.split(' ');
    const heardAt = performance.timeOrigin + performance.now();
    const id = Number(idText);
    const p = this.pending.get(id);
    if (!p) return;
    if (kind === 'S') p.started(Number(a), b ? Number(b) * 1000 : heardAt);
    else if (kind === 'E') {
      this.pending.delete(id);
      p.failed(new Error(line.slice(line.indexOf(' ', 2) + 1)));
    } else if (kind === 'X') {
      this.pending.delete(id);
      const status = Number(b);
      const signal = status & 0x7f;
      p.exited?.(
        signal === 0 ? { code: status >> 8, signal: null } : { code: null, signal: SIGNAL_NAMES[signal] ?? 'SIGKILL' },
      );
    }
  }

  fork(request: ForkRequest): Promise<ForkedProcess> {
    const child = this.ensure();
    const id = this.nextId++;
    const fields = [String(id), request.pts, request.cwd, request.stdinFile ?? '-', request.command];
    for (const [key, value] of Object.entries(request.env)) fields.push(`${key}=${value}`);
    if (fields.some((f) => f.includes('\0') || f === '')) {
      return Promise.reject(new Error('command, paths and environment must not contain NUL or be empty'));
    }
    return new Promise((resolve, reject) => {
      let exitResolve!: Pending['exited'];
      const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => {
        exitResolve = r;
      });
      this.pending.set(id, {
        started: (pid, forkedAtMs) => resolve({ pid, forkedAtMs, exit }),
        failed: reject,
        exited: exitResolve,
      });
      // Written at once, not batched per loop turn: batching saved syscalls but held each fork back until the end of
      // the daemon's current turn (handoff p50 2 ms -> 6-30 ms at 100 concurrent chains).
      child.stdin?.write(`${fields.join('\0')}\0\0`);
    });
  }

  /**
   * Durability barrier for group commit: `sync -f DIR` (coreutils; the syncfs(2) of DIR's filesystem) in a child,
   * so neither the daemon nor this server's loop waits on the disk.
   */
  async syncFs(dir: string): Promise<void> {
    const child = await this.fork({
      pts: '/dev/null',
      cwd: '/',
      stdinFile: undefined,
      command: 'exec sync -f "$SYNC_DIR"',
      env: { PATH: '/usr/bin:/bin', SYNC_DIR: dir },
    });
    const { code, signal } = await child.exit;
    if (code !== 0) throw new Error(`sync -f failed (${signal ?? `exit ${code}`})`);
  }

  close(): void {
    this.child?.stdin?.end();
  }
}
