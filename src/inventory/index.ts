export { loadInventory, parseInventory } from './load.js';
export { InventoryIndex } from './inventory-index.js';
export { InventoryError, formatPath } from './errors.js';
export { CidrIndex } from './cidr-index.js';
export { parsePorts, parseProtocol, protocolName, hasPorts, isIcmp } from './rule-values.js';
export type { InventoryFile, InventoryFileInput } from './file-schema.js';
export type { InventoryModel } from './resolve.js';
export * from './model.js';
