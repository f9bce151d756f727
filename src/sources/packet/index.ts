export { DECODE_TUNNELS, VXLAN_PORT, decodeFrame, decodeTransport } from './decode.js';
export { LayerHeaders, PacketHeaders, TUNNEL_NONE, TUNNEL_VXLAN } from './headers.js';
export * from './link-types.js';
