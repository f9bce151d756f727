// ClickHouse column types of the flow record's fields, for the ClickHouse store and the
// ClickHouse sink alike: both send the same Native-format bytes for a field.

import type { FieldDef } from './fields.js';

export interface ClickHouseTypeOptions {
  /**
   * Window times as DateTime (readable in a user's own tables) or as UInt32 (numbers in every
   * expression, as the query language treats them). Both are the same 4 bytes on the wire.
   */
  times?: 'DateTime' | 'UInt32';
}

export function clickhouseType(f: FieldDef, opts: ClickHouseTypeOptions = {}): string {
  switch (f.type) {
    case 'u8':
      return 'UInt8';
    case 'u16':
      return 'UInt16';
    case 'u32':
      return 'UInt32';
    case 'time_s':
      return opts.times ?? 'UInt32';
    case 'u64':
    case 'time_ms':
    case 'mac':
      return 'UInt64';
    case 'ip':
      // 16 bytes in network order, as ClickHouse's IPv6 stores them: byte order is address
      // order, so CIDR blocks are ranges.
      return 'FixedString(16)';
    case 'string':
      // LowCardinality(String) is experimental in 18.16; LZ4 on repeated strings does well.
      return 'String';
    case 'enum':
      return `Enum8(${f.values!.map((v, i) => `'${v.replace(/[\\']/g, (c) => '\\' + c)}' = ${i}`).join(', ')})`;
  }
}
