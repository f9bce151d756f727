// Where AWS puts flow-log objects in S3, and what the key tells us: the account and region
// (plain `AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/[HH/]` or Hive-style
// `aws-account-id=<id>/aws-service=vpcflowlogs/aws-region=<r>/year=…`), and the flow-log id in
// the file name `<account>_vpcflowlogs_<region>_<fl-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz`.

export interface S3FlowLogKey {
  account?: string;
  /** The AWS service folder: only `vpcflowlogs` holds flow logs (TGW ones included). */
  service?: string;
  region?: string;
  flowLogId?: string;
}

export function parseS3Key(p: string): S3FlowLogKey {
  const parts = p.split(/[\\/]+/);
  const out: S3FlowLogKey = {};
  const at = parts.lastIndexOf('AWSLogs');
  if (at >= 0) {
    const next = parts[at + 1] ?? '';
    if (next.startsWith('aws-account-id=')) {
      for (const seg of parts.slice(at + 1)) {
        const eq = seg.indexOf('=');
        if (eq < 0) continue;
        const [k, v] = [seg.slice(0, eq), seg.slice(eq + 1)];
        if (k === 'aws-account-id') out.account = v;
        else if (k === 'aws-service') out.service = v;
        else if (k === 'aws-region') out.region = v;
      }
    } else if (/^\d{12}$/.test(next)) {
      out.account = next;
      out.service = parts[at + 2];
      if (out.service === 'vpcflowlogs') out.region = parts[at + 3];
    }
  }
  const name = parts[parts.length - 1] ?? '';
  const m = /^(\d{12})_vpcflowlogs_([a-z0-9-]+)_(fl-[0-9a-f]+)_/.exec(name);
  if (m) {
    out.account ??= m[1];
    out.service ??= 'vpcflowlogs';
    out.region ??= m[2];
    out.flowLogId = m[3];
  }
  return out;
}

/** True when the key sits in another AWS service's log folder (ELB, CloudTrail …). */
export function isOtherAwsService(p: string): boolean {
  const k = parseS3Key(p);
  return k.service !== undefined && k.service !== 'vpcflowlogs';
}
