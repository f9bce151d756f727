// The few S3 requests flowlogs makes (PUT, GET and ListObjectsV2 of objects), signed with
// SigV4, for any S3-compatible service: virtual-hosted (`<bucket>.<endpoint>`) or path-style
// (`<endpoint>/<bucket>`) addressing.

import { HttpClient, type HttpResponse } from '../http.js';
import { sha256Hex, signV4, uriEncode, type Credentials, EMPTY_SHA256 } from './sigv4.js';

export interface S3Location {
  endpoint: string;
  bucket: string;
  region: string;
  pathStyle: boolean;
  timeoutMs: number;
  tls: { ca_file?: string; insecure: boolean };
}

export interface S3Object {
  key: string;
  size: number;
}

function xmlValues(xml: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g');
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(m[1]);
  return out;
}

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

export class S3Client {
  private readonly http: HttpClient;
  private readonly host: string;
  private readonly basePath: string;

  constructor(
    private readonly loc: S3Location,
    private readonly creds: Credentials,
  ) {
    const u = new URL(loc.endpoint);
    if (!loc.pathStyle) u.hostname = `${loc.bucket}.${u.hostname}`;
    this.host = u.host;
    this.basePath = loc.pathStyle ? `/${uriEncode(loc.bucket)}` : '';
    u.pathname = '/';
    this.http = new HttpClient({ url: u.toString(), headers: {}, timeout_ms: loc.timeoutMs, tls: loc.tls });
  }

  private async call(method: string, key: string, query: Record<string, string>, body: Buffer | undefined, extra: Record<string, string> = {}): Promise<HttpResponse> {
    const path = this.basePath + '/' + uriEncode(key, true);
    const headers = signV4({ method, path, query, headers: { host: this.host, ...extra }, payloadSha256: body ? sha256Hex(body) : EMPTY_SHA256 }, this.creds, this.loc.region);
    delete headers.host;
    const qs = Object.entries(query)
      .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
      .join('&');
    return this.http.request(method, path + (qs ? `?${qs}` : ''), body, headers);
  }

  private static fail(what: string, res: HttpResponse): Error {
    const code = xmlValues(res.body.toString(), 'Code')[0] ?? '';
    return new Error(`S3 ${what}: HTTP ${res.status}${code ? ` ${code}` : ''}`);
  }

  async put(key: string, body: Buffer, contentType: string, contentEncoding?: string): Promise<void> {
    const extra: Record<string, string> = { 'content-type': contentType };
    if (contentEncoding) extra['content-encoding'] = contentEncoding;
    const res = await this.call('PUT', key, {}, body, extra);
    if (res.status !== 200) throw S3Client.fail(`PUT ${key}`, res);
  }

  async get(key: string): Promise<Buffer> {
    const res = await this.call('GET', key, {}, undefined);
    if (res.status !== 200) throw S3Client.fail(`GET ${key}`, res);
    return res.body;
  }

  /** Every object under a prefix (follows continuation tokens). */
  async list(prefix: string): Promise<S3Object[]> {
    const out: S3Object[] = [];
    let token = '';
    for (;;) {
      const query: Record<string, string> = { 'list-type': '2', prefix };
      if (token) query['continuation-token'] = token;
      const res = await this.call('GET', '', query, undefined);
      if (res.status !== 200) throw S3Client.fail(`LIST ${prefix}`, res);
      const xml = res.body.toString();
      for (const c of xmlValues(xml, 'Contents')) out.push({ key: unescapeXml(xmlValues(c, 'Key')[0] ?? ''), size: Number(xmlValues(c, 'Size')[0] ?? 0) });
      if (xmlValues(xml, 'IsTruncated')[0] !== 'true') return out;
      token = unescapeXml(xmlValues(xml, 'NextContinuationToken')[0] ?? '');
      if (!token) return out;
    }
  }

  close(): void {
    this.http.close();
  }
}
