// Encoder thread: turns shared-memory batches into durable Parquet segments, so that
// encoding and fsync never hold up the thread that receives and decodes flows.

import { parentPort } from 'node:worker_threads';
import { writeSegment, type SegmentJob } from './segment-file.js';

parentPort!.on('message', (job: SegmentJob) => {
  parentPort!.postMessage(writeSegment(job));
});
