// Chains of the collector tests: real shell steps that report usage the way agents do (`::usage {json}`).
const USAGE = (n: number) =>
  `echo '::usage {"model":"m-${n}","input_tokens":${n * 10},"output_tokens":${n},"cost_usd":0.00${n}}'`;

export const REVIEW_CHAIN = `name: review
agents:
  draft:
    run: ${USAGE(1)}; echo draft
  review:
    needs: [draft]
    decision: { prompt: Publish the draft?, show: draft }
  publish:
    needs: [review]
    run: ${USAGE(2)}; echo published
`;

export const SHORT_CHAIN = `name: short
agents:
  a:
    run: ${USAGE(1)}
  b:
    needs: [a]
    run: ${USAGE(2)}
  c:
    needs: [b]
    run: ${USAGE(3)}
`;
