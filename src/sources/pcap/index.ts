export { CaptureFormatError, CaptureStats, readCapture, readCaptureFile, type CapturedPacket } from './capture.js';
export { UdpExtractStats, udpPayload, type UdpPayload } from './udp.js';
