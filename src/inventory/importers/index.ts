export { INVENTORY_FORMATS, importInventory, type InventoryDocument, type InventoryFormat, type InventoryImport } from './import.js';
