export { DEFAULT_DETECTOR_SETTINGS, type DetectorSettings } from './detector-settings';
export { evaluateMonitoringRound, MONITORING_WATERMARK, type RoundResult } from './evaluate-round';
export { storeFindings } from './store-findings';
