// No WebRTC here: simple-peer sees no RTCPeerConnection, so WebTorrent keeps to TCP peers.
export const RTCPeerConnection = undefined;
export const RTCSessionDescription = undefined;
export const RTCIceCandidate = undefined;
