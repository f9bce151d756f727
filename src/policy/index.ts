export { PolicyEngine, INGRESS, EGRESS, type Direction } from './engine.js';
export { ConnectionVerdict, PathVerdict, HopVerdict, type HopName, type RequestHop, type ReplyHop } from './connection-verdict.js';
export { DEFAULT_DENY, type Decision, type DecisionKind } from './decision.js';
export { replyDstPort, replySrcPort, requestDstPort } from './ports.js';
export { explainConnection, type ConnectionQuery, type ConnectionReport, type PathReport, type HopReport } from './explain.js';
export { TrafficClasses } from './traffic-classes.js';
