//! LoRaWAN 1.0.x uplink frames of simulated devices, with valid MICs (AES-128 CMAC from the
//! `aes` and `cmac` crates): unconfirmed data-up frames signed with the device's NwkSKey and
//! join-requests signed with its AppKey. FRMPayloads are random bytes, not encrypted
//! application data (a network server checks the MIC, which covers the ciphertext as sent).

use aes::Aes128;
use cmac::{Cmac, Mac};

/// MHDR of an unconfirmed data-up frame (LoRaWAN R1).
pub const MHDR_UNCONFIRMED_UP: u8 = 0x40;
/// MHDR of a join-request.
pub const MHDR_JOIN_REQUEST: u8 = 0x00;

/// The first four bytes of the AES-128 CMAC of `parts` under `key`.
fn cmac4(key: &[u8; 16], parts: &[&[u8]]) -> [u8; 4] {
    let mut mac = <Cmac<Aes128> as Mac>::new(key.into());
    for part in parts {
        mac.update(part);
    }
    let tag = mac.finalize().into_bytes();
    [tag[0], tag[1], tag[2], tag[3]]
}

/// An unconfirmed data-up PHYPayload: MHDR `0x40`, DevAddr (little endian), FCtrl 0, FCnt
/// (the low 16 bits, little endian), FPort, FRMPayload, then `mic`.
pub fn data_up_frame(
    dev_addr: u32,
    f_cnt: u16,
    f_port: u8,
    frm_payload: &[u8],
    mic: [u8; 4],
) -> Vec<u8> {
    let mut frame = Vec::with_capacity(13 + frm_payload.len());
    frame.push(MHDR_UNCONFIRMED_UP);
    frame.extend_from_slice(&dev_addr.to_le_bytes());
    frame.push(0x00);
    frame.extend_from_slice(&f_cnt.to_le_bytes());
    frame.push(f_port);
    frame.extend_from_slice(frm_payload);
    frame.extend_from_slice(&mic);
    frame
}

/// The data-up MIC (LoRaWAN 1.0.x): CMAC under `nwk_s_key` of block B0 (`0x49`, four zero
/// bytes, direction 0, DevAddr, the 32-bit FCnt, zero, message length) and the message.
pub fn data_up_mic(nwk_s_key: &[u8; 16], dev_addr: u32, f_cnt: u32, message: &[u8]) -> [u8; 4] {
    let mut b0 = [0u8; 16];
    b0[0] = 0x49;
    b0[6..10].copy_from_slice(&dev_addr.to_le_bytes());
    b0[10..14].copy_from_slice(&f_cnt.to_le_bytes());
    // A PHYPayload is at most 255 bytes.
    b0[15] = message.len().min(255) as u8;
    cmac4(nwk_s_key, &[&b0, message])
}

/// A signed unconfirmed data-up frame.
pub fn signed_data_up(
    nwk_s_key: &[u8; 16],
    dev_addr: u32,
    f_cnt: u32,
    f_port: u8,
    frm_payload: &[u8],
) -> Vec<u8> {
    // The low 16 bits go on air; the MIC covers the full counter.
    let mut frame = data_up_frame(dev_addr, f_cnt as u16, f_port, frm_payload, [0; 4]);
    let body = frame.len() - 4;
    let mic = data_up_mic(nwk_s_key, dev_addr, f_cnt, &frame[..body]);
    frame[body..].copy_from_slice(&mic);
    frame
}

/// A signed join-request: MHDR `0x00`, JoinEUI, DevEUI, DevNonce (little endian), MIC under
/// the AppKey.
pub fn join_request(app_key: &[u8; 16], join_eui: u64, dev_eui: u64, dev_nonce: u16) -> Vec<u8> {
    let mut frame = Vec::with_capacity(23);
    frame.push(MHDR_JOIN_REQUEST);
    frame.extend_from_slice(&join_eui.to_le_bytes());
    frame.extend_from_slice(&dev_eui.to_le_bytes());
    frame.extend_from_slice(&dev_nonce.to_le_bytes());
    let mic = cmac4(app_key, &[&frame]);
    frame.extend_from_slice(&mic);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    const KEY: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

    // Expected MICs computed independently (Python `cryptography` AES-CMAC over the same bytes).
    #[test]
    fn data_up_mic_vector() {
        let frame = signed_data_up(&KEY, 0x260B_0001, 5, 1, &[0xAA, 0xBB]);
        assert_eq!(hex(&frame), "4001000b2600050001aabb7c6814d2");
    }

    #[test]
    fn join_request_vector() {
        let frame = join_request(&KEY, 0x70B3_D57E_D000_0000, 0x70B3_D57E_D000_0001, 0x0102);
        assert_eq!(
            hex(&frame),
            "00000000d07ed5b370010000d07ed5b370020184b478db"
        );
    }

    #[test]
    fn data_up_frame_layout() {
        let frame = data_up_frame(0x260B_0001, 0x0102, 1, &[0xAA, 0xBB], [1, 2, 3, 4]);
        assert_eq!(
            frame,
            [
                0x40, 0x01, 0x00, 0x0B, 0x26, 0x00, 0x02, 0x01, 0x01, 0xAA, 0xBB, 1, 2, 3, 4
            ]
        );
    }
}
