//! The parsed LoRaWAN view of a PHYPayload (`UplinkMessage.payload`), as The Things Stack fills it.
//!
//! Byte order follows ttnpb: EUIs, `DevAddr`, `DevNonce` and `NetID` are big-endian (the reverse
//! of the air), `mic` is the four bytes as on air.

use loragw_ttnpb::message::Payload;
use loragw_ttnpb::{
    FCtrl, Fhdr, JoinAcceptPayload, JoinRequestPayload, MType, MacPayload, Message, Mhdr,
    RejoinRequestPayload,
};

fn reversed(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().rev().copied().collect()
}

/// Parses a PHYPayload. `None` when it is not a well-formed LoRaWAN R1 frame (wrong length for
/// its type, unknown major version): the uplink is then forwarded with `raw_payload` only.
pub fn parse_phy_payload(phy: &[u8]) -> Option<Message> {
    let (&mhdr, rest) = phy.split_first()?;
    let m_type = mhdr >> 5;
    let major = mhdr & 0x03;
    let header = Some(Mhdr {
        m_type: i32::from(m_type),
        major: i32::from(major),
    });
    if m_type == MType::Proprietary as u8 {
        return Some(Message {
            m_hdr: header,
            mic: Vec::new(),
            payload: None,
        });
    }
    if major != 0 || mhdr & 0x1C != 0 {
        return None;
    }
    // The body stays borrowed: only the fields the message keeps are copied.
    fn split_mic(body: &[u8]) -> Option<(&[u8], Vec<u8>)> {
        let at = body.len().checked_sub(4)?;
        Some((&body[..at], body[at..].to_vec()))
    }
    let (payload, mic) = match m_type {
        0 => {
            // Join-request: JoinEUI(8) DevEUI(8) DevNonce(2) MIC(4).
            if rest.len() != 22 {
                return None;
            }
            let (body, mic) = split_mic(rest)?;
            (
                Payload::JoinRequestPayload(JoinRequestPayload {
                    join_eui: reversed(&body[0..8]),
                    dev_eui: reversed(&body[8..16]),
                    dev_nonce: reversed(&body[16..18]),
                }),
                mic,
            )
        }
        1 => {
            // Join-accept: encrypted as a whole (MIC inside the encryption).
            if rest.len() != 16 && rest.len() != 32 {
                return None;
            }
            (
                Payload::JoinAcceptPayload(JoinAcceptPayload {
                    encrypted: rest.to_vec(),
                    ..Default::default()
                }),
                Vec::new(),
            )
        }
        2..=5 => {
            let (body, mic) = split_mic(rest)?;
            if body.len() < 7 {
                return None;
            }
            let fctrl = body[4];
            let fopts_len = usize::from(fctrl & 0x0F);
            let after_fhdr = 7 + fopts_len;
            if body.len() < after_fhdr {
                return None;
            }
            let uplink = m_type == 2 || m_type == 4;
            let f_cnt = u32::from(u16::from_le_bytes([body[5], body[6]]));
            let (f_port, frm_payload) = match body.get(after_fhdr..) {
                Some([port, frm @ ..]) => (u32::from(*port), frm.to_vec()),
                _ => (0, Vec::new()),
            };
            (
                Payload::MacPayload(MacPayload {
                    f_hdr: Some(Fhdr {
                        dev_addr: reversed(&body[0..4]),
                        f_ctrl: Some(FCtrl {
                            adr: fctrl & 0x80 != 0,
                            adr_ack_req: uplink && fctrl & 0x40 != 0,
                            ack: fctrl & 0x20 != 0,
                            f_pending: !uplink && fctrl & 0x10 != 0,
                            class_b: uplink && fctrl & 0x10 != 0,
                        }),
                        f_cnt,
                        f_opts: body[7..after_fhdr].to_vec(),
                    }),
                    f_port,
                    frm_payload,
                    decoded_payload: None,
                    full_f_cnt: f_cnt,
                }),
                mic,
            )
        }
        6 => {
            let (body, mic) = split_mic(rest)?;
            let (&kind, fields) = body.split_first()?;
            let payload = match (kind, fields.len()) {
                (0 | 2, 13) => RejoinRequestPayload {
                    rejoin_type: i32::from(kind),
                    net_id: reversed(&fields[0..3]),
                    dev_eui: reversed(&fields[3..11]),
                    rejoin_cnt: u32::from(u16::from_le_bytes([fields[11], fields[12]])),
                    ..Default::default()
                },
                (1, 18) => RejoinRequestPayload {
                    rejoin_type: 1,
                    join_eui: reversed(&fields[0..8]),
                    dev_eui: reversed(&fields[8..16]),
                    rejoin_cnt: u32::from(u16::from_le_bytes([fields[16], fields[17]])),
                    ..Default::default()
                },
                _ => return None,
            };
            (Payload::RejoinRequestPayload(payload), mic)
        }
        _ => return None,
    };
    Some(Message {
        m_hdr: header,
        mic,
        payload: Some(payload),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_uplink_fields() {
        // MHDR 40, DevAddr 11223344 (air: 44 33 22 11), FCtrl 31 (ACK + ClassB, one FOpts byte),
        // FCnt 25, FOpts FD, FPort 0, FRMPayload 5F CC, MIC 4E 61 BC 00.
        let phy = [
            0x40, 0x44, 0x33, 0x22, 0x11, 0x31, 0x19, 0x00, 0xFD, 0x00, 0x5F, 0xCC, 0x4E, 0x61,
            0xBC, 0x00,
        ];
        let m = parse_phy_payload(&phy).unwrap();
        assert_eq!(
            m.m_hdr,
            Some(Mhdr {
                m_type: 2,
                major: 0
            })
        );
        assert_eq!(m.mic, [0x4E, 0x61, 0xBC, 0x00]);
        let Some(Payload::MacPayload(mac)) = m.payload else {
            panic!("not a MAC payload")
        };
        let fhdr = mac.f_hdr.unwrap();
        assert_eq!(fhdr.dev_addr, [0x11, 0x22, 0x33, 0x44]);
        assert_eq!(
            fhdr.f_ctrl,
            Some(FCtrl {
                ack: true,
                class_b: true,
                ..Default::default()
            })
        );
        assert_eq!((fhdr.f_cnt, fhdr.f_opts.as_slice()), (25, &[0xFD][..]));
        assert_eq!(
            (mac.f_port, mac.frm_payload.as_slice(), mac.full_f_cnt),
            (0, &[0x5F, 0xCC][..], 25)
        );
    }

    #[test]
    fn join_request_fields() {
        // JoinEUI 2222…, DevEUI 1111…, DevNonce 18000 (0x4650; air 50 46), MIC 12345678 LE.
        let mut phy = vec![0x00];
        phy.extend([0x22; 8]);
        phy.extend([0x11; 8]);
        phy.extend([0x50, 0x46, 0x4E, 0x61, 0xBC, 0x00]);
        let m = parse_phy_payload(&phy).unwrap();
        assert_eq!(m.mic, [0x4E, 0x61, 0xBC, 0x00]);
        assert_eq!(
            m.payload,
            Some(Payload::JoinRequestPayload(JoinRequestPayload {
                join_eui: vec![0x22; 8],
                dev_eui: vec![0x11; 8],
                dev_nonce: vec![0x46, 0x50],
            }))
        );
        assert_eq!(parse_phy_payload(&phy[..22]), None);
    }

    #[test]
    fn rejoin_proprietary_and_junk() {
        let mut phy = vec![0xC0, 0x00, 0x03, 0x02, 0x01];
        phy.extend([1, 2, 3, 4, 5, 6, 7, 8, 0x05, 0x00, 9, 9, 9, 9]);
        let m = parse_phy_payload(&phy).unwrap();
        let Some(Payload::RejoinRequestPayload(r)) = m.payload else {
            panic!("not a rejoin")
        };
        assert_eq!(
            (r.net_id, r.dev_eui, r.rejoin_cnt),
            (vec![1, 2, 3], vec![8, 7, 6, 5, 4, 3, 2, 1], 5)
        );
        let p = parse_phy_payload(&[0xE0, 1, 2, 3]).unwrap();
        assert_eq!((p.m_hdr.unwrap().m_type, p.payload), (7, None));
        assert_eq!(parse_phy_payload(&[]), None);
        assert_eq!(parse_phy_payload(&[0x40, 1, 2, 3]), None);
        assert_eq!(parse_phy_payload(&[0x41; 20]), None);
    }
}
