import { defineBenchmark } from '../harness';
import { measureIngestVsCopy } from '../lifecycle/ingest-vs-copy';

const EVENTS = 200_000;

/**
 * Priced event ingestion (`ingestNdjson`) against a raw COPY of the same rows, alternating round by round (issue 10
 * keeps it >= 0.5x). On its own so it can be re-measured in minutes on a quiet machine; the lifecycle benchmark no
 * longer runs it.
 */
export default defineBenchmark({
  name: 'ingest',
  description: `priced ingestion of ${EVENTS} events vs raw COPY of the same rows, 4 alternating rounds`,
  run: (log) => measureIngestVsCopy(EVENTS, log),
});
