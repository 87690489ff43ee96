// The station's entropy core (see README.md): health tests, conditioning, the pipeline.
export { DEFAULT_ALPHA, MIN_STARTUP_SAMPLES, rctCutoff, aptCutoff, aptWindow, critBinom, healthParameters, type HealthParameters } from './cutoffs';
export { HealthMonitor, type HealthFailure, type HealthState, type HealthStats, type HealthTest, type FeedResult } from './health';
export { conditionerFor, hmacInputBytesPerBlock, HmacSha512Conditioner, DrbgPassthrough, HMAC_KEY_LABEL, type Conditioner, type ConditionerDescription } from './conditioner';
export {
  EntropyPipeline,
  EntropyFailure,
  type EntropyEvent,
  type EntropyFailureInfo,
  type EntropyPipelineOptions,
  type EntropyProvenance,
  type PipelineSource,
  type SourceRecord,
  type SourceStats,
} from './pipeline';
