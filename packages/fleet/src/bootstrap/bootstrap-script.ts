import { type BoxLayout, layoutPaths } from '../deploy/box-layout';
import { joinCommands, type ShellCommand, sh, writeFileCommand } from '../shell';
import type { BoxInfraFiles } from './infra-files';
import { reloadSshdCommand } from './reload-sshd';

// Commands the deploy scripts, the service script and the runtime use. `openssl` or `sha256sum` hashes uploads;
// `zstd` decompresses them: installed along when anything is missing, optional (without it uploads go uncompressed).
const REQUIRED_COMMANDS = [
  'flock',
  'timeout',
  'runuser',
  'setsid',
  'useradd',
  'getent',
  'stat',
  'find',
  'cmp',
  'install',
  'mktemp',
];
// Debian/Ubuntu packages that provide them, installed only when something is missing.
const PREREQUISITE_PACKAGES = [
  'util-linux',
  'coreutils',
  'passwd',
  'findutils',
  'diffutils',
  'openssl',
  'zstd',
  'ca-certificates',
];
const SSHD_DROP_IN = '/etc/ssh/sshd_config.d/50-paddock.conf';
const SYSTEMD_UNIT = '/etc/systemd/system/paddock-runtime.service';
const METADATA_GUARD_UNIT = '/etc/systemd/system/paddock-metadata-guard.service';

export interface BootstrapScriptInput {
  layout: BoxLayout;
  files: BoxInfraFiles;
  drainTimeoutMs: number;
  /** The releases use the box's Node (no bundled binary): check it is there and new enough. */
  systemNode: boolean;
  /** The account the control plane logs in as: the only one sshd may let in (checked below, before the reload). */
  adminUser: string;
  /**
   * Refuse the cloud metadata service (169.254.169.254) to every user but root, across reboots. Only for provider
   * boxes that have one (Hetzner); never on local test boxes, which share this machine's network namespace.
   */
  closeMetadataService?: boolean;
}

/**
 * One idempotent script: each step looks before it changes anything and reports `@@bootstrap <step> <changed|
 * unchanged> <detail>`, so a second run changes nothing and says so. `set -e` stops at the first failing step.
 */
export function bootstrapScript(input: BootstrapScriptInput): ShellCommand {
  const { layout, files } = input;
  const p = layoutPaths(layout);
  const user = layout.runtimeUser;
  const dirs: [string, string, string][] = [
    [layout.installDir, '755', 'root'],
    [p.store, '755', 'root'],
    [p.releases, '755', 'root'],
    [p.incoming, '700', 'root'],
    [p.locks, '700', 'root'],
    [`${layout.installDir}/bin`, '755', 'root'],
    [layout.configDir, '755', 'root'],
    [layout.dataDir, '700', user],
    [layout.logDir, '750', user],
  ];
  const runtimeEnv = [
    `PADDOCK_INSTALL_DIR=${layout.installDir}`,
    `PADDOCK_USER=${user}`,
    `PADDOCK_LOG_DIR=${layout.logDir}`,
    `PADDOCK_DRAIN_TIMEOUT_MS=${input.drainTimeoutMs}`,
    `CHAIN_ROOT=${layout.dataDir}`,
  ].join('\n');
  const putFile = (path: string, mode: string, text: string, thenAppend: ShellCommand = sh`:`) =>
    sh`tmp=$(mktemp)
${writeFileCommand(sh`"$tmp"`, text)}
${thenAppend}
if put_file ${path} ${mode} "$tmp"; then file_changed=1; else file_changed=0; fi`;

  return joinCommands([
    sh`set -eu
umask 022
report() { echo "@@bootstrap $1 $2 $3"; }
# put_file PATH MODE TMP: installs TMP at PATH unless it is already there, same bytes, same mode.
put_file() {
  if [ -f "$1" ] && cmp -s "$3" "$1" && [ "$(stat -c %a "$1")" = "$2" ]; then rm -f "$3"; return 1; fi
  install -D -m "$2" -o root -g root "$3" "$1"
  rm -f "$3"
}
# ensure_dir PATH MODE OWNER: creates or fixes a directory; says whether it changed anything. Every PATH lies in a
# root-owned parent (checkLayout keeps root's directories out of the runtime user's), so the user cannot swap it;
# a symlink there is refused all the same, and \`chown -h\` would not follow one.
ensure_dir() {
  if [ -L "$1" ]; then echo "$1 is a symlink: not changing it" >&2; exit 78; fi
  if [ -d "$1" ] && [ "$(stat -c '%a %U' "$1")" = "$2 $3" ]; then return 1; fi
  mkdir -p "$1"
  chmod "$2" "$1"
  chown -h "$3:$(id -gn "$3")" "$1"
}
if [ "$(id -u)" != 0 ]; then echo 'bootstrap must run as root (or through sudo)' >&2; exit 77; fi
if [ -d /run/systemd/system ]; then mode=systemd; else mode=supervised; fi`,

    sh`missing=''
for c in ${REQUIRED_COMMANDS}; do command -v "$c" >/dev/null 2>&1 || missing="$missing $c"; done
command -v openssl >/dev/null 2>&1 || command -v sha256sum >/dev/null 2>&1 || missing="$missing openssl"
if [ -z "$missing" ]; then
  report prerequisites unchanged all-present
elif command -v apt-get >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${PREREQUISITE_PACKAGES} >/dev/null
  report prerequisites changed "installed-for:$(echo $missing | tr ' ' ',')"
else
  echo "missing commands:$missing, and no apt-get to install them" >&2
  exit 69
fi`,

    input.systemNode
      ? sh`if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo 'releases for this box use the system Node: install Node 20 or newer' >&2
  exit 69
fi
report node unchanged "$(node --version)"`
      : sh`:`,

    sh`if id -u ${user} >/dev/null 2>&1; then
  report runtime-user unchanged ${user}
else
  useradd --system --user-group --create-home --home-dir ${`/home/${user}`} --shell /bin/bash ${user}
  report runtime-user changed ${user}
fi`,

    sh`fixed=0`,
    ...dirs.map(([dir, mode, owner]) => sh`if ensure_dir ${dir} ${mode} ${owner}; then fixed=$((fixed + 1)); fi`),
    sh`if [ "$fixed" = 0 ]; then report directories unchanged ok; else report directories changed "fixed=$fixed"; fi`,

    // The service mode is found on the box (is systemd PID 1?), so its line is added there.
    putFile(p.runtimeEnv, '644', runtimeEnv, sh`echo "PADDOCK_SERVICE_MODE=$mode" >> "$tmp"`),
    sh`if [ "$file_changed" = 1 ]; then report runtime-config changed "mode=$mode"; else report runtime-config unchanged "mode=$mode"; fi`,

    putFile(p.service, '755', files.serviceScript),
    sh`if [ "$file_changed" = 1 ]; then report service-script changed ${p.service}; else report service-script unchanged ${p.service}; fi`,

    sh`if [ "$mode" = systemd ]; then`,
    putFile(SYSTEMD_UNIT, '644', files.systemdUnit),
    sh`  if [ "$file_changed" = 1 ]; then systemctl daemon-reload; fi
  if systemctl is-enabled --quiet paddock-runtime; then
    if [ "$file_changed" = 1 ]; then report service changed systemd-unit-updated; else report service unchanged systemd; fi
  else
    systemctl enable --quiet paddock-runtime
    report service changed systemd-unit-enabled
  fi
else
  report service unchanged "supervised-by-${p.service}"
fi`,

    sh`previous=$(mktemp)
if [ -f ${SSHD_DROP_IN} ]; then cp -p ${SSHD_DROP_IN} "$previous"; else rm -f "$previous"; fi`,
    putFile(SSHD_DROP_IN, '644', files.sshdHardening),
    sshdChecks(input.adminUser, user),
    sh`if [ "$file_changed" = 1 ]; then
  # A reload re-reads the config for new connections; this session and the others stay up.
  ${reloadSshdCommand()}
  report sshd changed reloaded
else
  report sshd unchanged hardened
fi`,

    ...(input.closeMetadataService
      ? metadataGuardCommands(`${layout.configDir}/metadata-guard.nft`, files, putFile)
      : []),
  ]);
}

/**
 * Before sshd is reloaded: the new drop-in parses (`sshd -t`), and sshd's effective settings (`sshd -T`, Match blocks
 * evaluated for that user) say what must hold: no passwords, the runtime user refused by name, the admin user listed
 * and not refused, key files checked for ownership. Any miss puts a changed drop-in back as it was and stops, so
 * the running sshd never loads a configuration that locks the control plane out or lets the runtime user in.
 */
function sshdChecks(adminUser: string, runtimeUser: string): ShellCommand {
  const as = (u: string) => sh`/usr/sbin/sshd -T -C ${`user=${u},host=paddock,addr=127.0.0.1`}`;
  return sh`sshd_refuses() {
  if [ "$file_changed" = 1 ]; then
    if [ -f "$previous" ]; then mv "$previous" ${SSHD_DROP_IN}; else rm -f ${SSHD_DROP_IN}; fi
  fi
  echo "$1 (the sshd drop-in was put back as it was)" >&2
  exit 78
}
if [ "$file_changed" = 1 ] && ! /usr/sbin/sshd -t; then sshd_refuses 'sshd rejected the hardened configuration'; fi
admin_view=$(${as(adminUser)}) || sshd_refuses 'sshd -T failed for the admin user'
runtime_view=$(${as(runtimeUser)}) || sshd_refuses 'sshd -T failed for the runtime user'
has() { printf '%s\n' "$1" | grep -qx "$2"; }
has "$admin_view" 'passwordauthentication no' ||
  sshd_refuses 'sshd still allows passwords: its main config does not Include sshd_config.d, or overrides it'
has "$runtime_view" ${`denyusers ${runtimeUser}`} || sshd_refuses ${`sshd does not refuse the runtime user ${runtimeUser}`}
has "$admin_view" ${`allowusers ${adminUser}`} || sshd_refuses ${`sshd does not list the admin user ${adminUser}`}
if has "$admin_view" ${`denyusers ${adminUser}`}; then sshd_refuses ${`sshd refuses the admin user ${adminUser}`}; fi
has "$admin_view" 'strictmodes yes' || sshd_refuses 'sshd does not check the owner and mode of key files'
rm -f "$previous"`;
}

/** Succeeds when the guard's rule is in the kernel (its test runs this same check inside its network namespace). */
export function metadataGuardInKernel(address: string): ShellCommand {
  return sh`nft list table inet paddock_metadata_guard | grep -qF ${`ip daddr ${address} meta skuid != 0`}`;
}

/**
 * The metadata service serves the server's user data to any local process. Its nftables table is loaded by a unit
 * ordered before the network (so it holds from the first packet of every boot), and checked in the kernel now.
 */
function metadataGuardCommands(
  rulesPath: string,
  files: BoxInfraFiles,
  putFile: (path: string, mode: string, text: string) => ShellCommand,
): ShellCommand[] {
  return [
    sh`if [ "$mode" != systemd ]; then
  echo 'closing the metadata service needs systemd, which loads the rule again at every boot' >&2
  exit 69
fi
guard_changed=0
if ! command -v nft >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nftables >/dev/null
  guard_changed=1
fi`,
    putFile(rulesPath, '644', files.metadataGuardRules),
    sh`if [ "$file_changed" = 1 ]; then guard_changed=1; fi`,
    putFile(METADATA_GUARD_UNIT, '644', files.metadataGuardUnit),
    sh`if [ "$file_changed" = 1 ]; then systemctl daemon-reload; guard_changed=1; fi
if ! systemctl is-enabled --quiet paddock-metadata-guard; then
  systemctl enable --quiet paddock-metadata-guard
  guard_changed=1
fi
if [ "$guard_changed" = 1 ] || ! systemctl is-active --quiet paddock-metadata-guard; then
  systemctl restart paddock-metadata-guard
  guard_changed=1
fi
if ! ${metadataGuardInKernel(files.metadataServiceAddress)}; then
  echo 'the metadata guard is not in the kernel after loading it' >&2
  exit 78
fi
if [ "$guard_changed" = 1 ]; then report metadata-guard changed root-only; else report metadata-guard unchanged root-only; fi`,
  ];
}
