/**
 * A YAML alias bomb as a chain definition: nine levels, each ten aliases of the one before (10^9 nodes if expanded).
 * Shared by the parser's test and the API's, so both refuse the same input.
 */
export function aliasBombDefinition(): string {
  const levels = ['l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    levels.push(
      `l${i}: &l${i} [${Array(10)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  return `name: bomb\nagents:\n  s:\n    run: echo\n    env:\n${levels.map((l) => `      ${l}`).join('\n')}\n`;
}
