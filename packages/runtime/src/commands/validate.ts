import { isDecisionStep } from '@paddock/contracts';
import { assertKnownFlags, requirePositional } from '../cli-args';
import { loadChainFile } from '../chain-files';
import { type Command, printJson } from './context';

export const validateCommand: Command = async (ctx) => {
  assertKnownFlags(ctx.args, []);
  const file = requirePositional(ctx.args, 1, 'chain file: chainctl validate FILE');
  const loaded = loadChainFile(file);
  const steps = Object.entries(loaded.chain.agents).map(([name, step]) => ({
    step: name,
    type: isDecisionStep(step) ? 'decision' : 'agent',
    needs: step.needs,
  }));
  if (ctx.json)
    printJson(ctx, {
      ok: true,
      chain: loaded.chain.name,
      version: loaded.version,
      steps,
      files: [...loaded.files.keys()],
    });
  else ctx.out(`${file}: ok (${steps.length} steps, version ${loaded.version})\n`);
  return 0;
};
