// RFC 5424 syslog messages for flow records:
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [flowlogs@32473 batch="…" row="…"] MSG
// TIMESTAMP is the window end; the structured data names the record (batch id and row) so a
// receiver can drop duplicates after a retried connection; MSG is the record in the chosen
// format. 32473 is the enterprise number RFC 5612 reserves for examples: set `sd_id` to your
// own `name@<PEN>` where it matters.

const FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};
const SEVERITIES: Record<string, number> = { emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7 };

export const FACILITY_NAMES = Object.keys(FACILITIES) as [string, ...string[]];
export const SEVERITY_NAMES = Object.keys(SEVERITIES) as [string, ...string[]];

/** A header field: printable US-ASCII without spaces, at most `max` characters, or '-'. */
function headerField(s: string, max: number): string {
  const v = s.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return v || '-';
}

/** SD-PARAM values escape '"', '\' and ']'. */
export function sdEscape(s: string): string {
  return s.replace(/["\\\]]/g, (c) => '\\' + c);
}

export interface SyslogHeader {
  facility: string;
  severity: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sdId: string;
}

export class Rfc5424 {
  private readonly pri: string;
  private readonly fixed: string;
  private readonly sd: string;

  constructor(h: SyslogHeader) {
    this.pri = `<${FACILITIES[h.facility] * 8 + SEVERITIES[h.severity]}>1 `;
    this.fixed = ` ${headerField(h.hostname, 255)} ${headerField(h.appName, 48)} ${headerField(h.procId, 128)} ${headerField(h.msgId, 32)} `;
    this.sd = `[${headerField(h.sdId, 32).replace(/[=\]"]/g, '')} batch="`;
  }

  message(endSeconds: number, batchId: string, row: number, msg: string): string {
    const ts = new Date(endSeconds * 1000).toISOString();
    return `${this.pri}${ts}${this.fixed}${this.sd}${sdEscape(batchId)}" row="${row}"] ${msg}`;
  }
}

/** RFC 6587 octet counting (also RFC 5425 for TLS): `<length> <message>`. */
export function octetCounted(msg: string): string {
  return `${Buffer.byteLength(msg)} ${msg}`;
}
