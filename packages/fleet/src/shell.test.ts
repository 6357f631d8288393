import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FleetError } from './errors';
import { runWithRequestId } from '@paddock/platform';
import { asRoot, asUser, joinCommands, quote, sh } from './shell';

// Strings an operator could type into a box name, a version, a path, a secret name. Each must reach the command
// as exactly one word, unchanged.
const HOSTILE_STRINGS = [
  '$(touch /tmp/pwned)',
  '`touch /tmp/pwned`',
  '; touch /tmp/pwned',
  '| touch /tmp/pwned',
  '&& touch /tmp/pwned',
  "'; touch /tmp/pwned; '",
  '"; touch /tmp/pwned; "',
  "it's",
  '\ntouch /tmp/pwned',
  'a\\\ntouch /tmp/pwned',
  `\${IFS}touch\${IFS}/tmp/pwned`,
  '$HOME',
  '~root',
  '*',
  '../../etc/passwd',
  '-rf',
  'A=B',
  '> /tmp/pwned',
  '<(touch /tmp/pwned)',
  '\\',
  "'",
  '"',
  '',
  ' leading and trailing ',
  'émoji 🚀 ünïcode',
  '\t\r',
];

/** Runs a command through a real local shell and returns what it printed. */
function runLocally(command: string, shell = 'sh'): string {
  return execFileSync(shell, ['-c', command], { encoding: 'utf8' });
}

describe('quote', () => {
  it('leaves plain words alone and quotes everything else', () => {
    expect(quote('releases/1.2.3')).toBe('releases/1.2.3');
    expect(quote(42)).toBe('42');
    expect(quote('')).toBe("''");
    expect(quote('a b')).toBe("'a b'");
    expect(quote("it's")).toBe("'it'\\''s'");
    expect(quote('A=B')).toBe("'A=B'");
    expect(quote('~root')).toBe("'~root'");
  });

  it('refuses a NUL byte, which no shell word can hold', () => {
    expect(() => quote('a\0b')).toThrow(FleetError);
  });

  for (const shell of ['sh', 'bash']) {
    it(`round-trips every hostile string through ${shell} as one word`, () => {
      for (const value of HOSTILE_STRINGS) {
        const printed = runLocally(sh`printf '%s|' ${value} ${value}`.text, shell);
        expect(printed).toBe(`${value}|${value}|`);
      }
    });
  }
});

describe('sh', () => {
  it('quotes arrays word by word and embeds nested commands as built', () => {
    const inner = sh`printf '%s\n' ${'a b'}`;
    const outer = sh`${inner}; printf '%s\n' ${['x y', 'z']}`;
    expect(runLocally(outer.text)).toBe('a b\nx y\nz\n');
  });

  it('survives a second shell layer through asUser', () => {
    const whoami = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
    for (const value of HOSTILE_STRINGS.filter((v) => v !== '')) {
      const command = asUser(whoami, sh`printf '%s' ${value}`);
      expect(runLocally(command.text)).toBe(value);
    }
  });

  it('joins commands into a script', () => {
    const script = joinCommands([sh`printf 1`, sh`printf ${'2 3'}`], ' && ');
    expect(runLocally(script.text)).toBe('12 3');
  });

  it('asRoot sets the current request id again inside sudo, which clears the environment', () => {
    const printId = sh`printf '%s' "\${PADDOCK_REQUEST_ID-unset}"`;
    expect(asRoot('root', printId).text).toBe(printId.text);
    const wrapped = runWithRequestId('signup-1.a_b', () => asRoot('admin', printId)).text;
    expect(wrapped.startsWith('sudo -n -- sh -c ')).toBe(true);
    // What sudo would run, run here by a shell with an empty environment (no sudo on a test machine).
    const asSudoWould = wrapped.slice('sudo -n -- '.length);
    expect(execFileSync('env', ['-i', 'sh', '-c', asSudoWould], { encoding: 'utf8' })).toBe('signup-1.a_b');
    const outside = asRoot('admin', printId).text.slice('sudo -n -- '.length);
    expect(execFileSync('env', ['-i', 'sh', '-c', outside], { encoding: 'utf8' })).toBe('unset');
  });
});
