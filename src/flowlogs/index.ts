export {
  DEFAULT_WINDOW_SECONDS,
  MAX_WINDOW_SECONDS,
  MIN_WINDOW_SECONDS,
  SCOPE_TYPES,
  STORE_DESTINATION,
  TRAFFIC_TYPES,
  parseWindow,
  resolveScope,
  type FlowLog,
  type FlowLogInput,
  type FlowLogPatch,
  type ScopeType,
  type TrafficType,
} from './flow-log.js';
export { FLOW_LOGS_FILE, FlowLogNotFoundError, FlowLogRegistry, type FlowLogDestinations, type FlowLogSource } from './registry.js';
export { FlowLogStage, type FlowLogStageOptions } from './stage.js';
export { flowLogStoreFilter } from './store-filter.js';
export { FLOW_LOG_SOURCE, FlowLogsComponent, type FlowLogsDeps } from './component.js';
export { flowlogsConfig, type FlowLogsConfig } from './config.js';
