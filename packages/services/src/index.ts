export { runProbe, type ProbeResult } from './diagnostics/run-probe';
