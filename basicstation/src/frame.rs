//! LoRaWAN frame mapping: split a PHYPayload into `updf`/`jreq`/`rejoin`/`propdf` fields (the
//! station side) and rebuild the exact PHYPayload bytes from those fields (the LNS side).
//!
//! Layouts (little endian on air):
//! - data: `MHDR | DevAddr(4) | FCtrl | FCnt(2) | FOpts(0..15) | [FPort | FRMPayload] | MIC(4)`;
//! - join-request / rejoin: `MHDR | JoinEUI(8) | DevEUI(8) | DevNonce(2) | MIC(4)` (23 bytes;
//!   the reference station forwards rejoins only when they are exactly 23 bytes long);
//! - proprietary: the whole PHYPayload travels in `propdf.FRMPayload`.

use crate::error::FrameError;
use crate::eui::Eui64;
use crate::message::{JoinRequest, Propdf, UpInfo, UpMessage, Updf};

/// MType of a MHDR (bits 7..5).
pub fn mtype(mhdr: u8) -> u8 {
    mhdr >> 5
}

const MTYPE_JOIN_REQUEST: u8 = 0;
const MTYPE_JOIN_ACCEPT: u8 = 1;
const MTYPE_UNCONFIRMED_DOWN: u8 = 3;
const MTYPE_CONFIRMED_DOWN: u8 = 5;
const MTYPE_REJOIN: u8 = 6;
const MTYPE_PROPRIETARY: u8 = 7;

/// Length of a join-request (and of the rejoins the station forwards).
pub const JOIN_REQUEST_LEN: usize = 23;
/// Shortest data frame: MHDR, FHDR without options, MIC.
pub const MIN_DATA_LEN: usize = 12;

/// Radio metadata attached to a frame when it becomes an uplink message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UplinkRadio {
    /// `RefTime` (`None` when no MuxTime was received yet).
    pub ref_time: Option<f64>,
    /// Data-rate index.
    pub dr: u8,
    /// Frequency in Hz.
    pub freq: u32,
    /// The `upinfo` object.
    pub upinfo: UpInfo,
}

/// Splits a received PHYPayload into the uplink message the station would send for it.
///
/// `device_mode` also turns join-accepts into `jacc` and downlink data frames into `dndf`,
/// as the reference station does when `router_config.device_mode` is set.
pub fn split_uplink(
    phy: &[u8],
    device_mode: bool,
    radio: UplinkRadio,
) -> Result<UpMessage, FrameError> {
    let &mhdr = phy.first().ok_or(FrameError::Empty)?;
    let UplinkRadio {
        ref_time,
        dr,
        freq,
        upinfo,
    } = radio;
    let mt = mtype(mhdr);
    if mt == MTYPE_PROPRIETARY {
        return Ok(UpMessage::Propdf(Propdf {
            frm_payload: phy.to_vec(),
            ref_time,
            dr,
            freq,
            upinfo,
        }));
    }
    if mhdr & 0x1F != 0 {
        return Err(FrameError::BadMhdr(mhdr));
    }
    match mt {
        MTYPE_JOIN_REQUEST | MTYPE_REJOIN => {
            let kind = if mt == MTYPE_REJOIN {
                "rejoin"
            } else {
                "join-request"
            };
            let b: &[u8; JOIN_REQUEST_LEN] = phy.try_into().map_err(|_| FrameError::BadLength {
                kind,
                len: phy.len(),
                reason: "must be 23 bytes",
            })?;
            let eui = |at: usize| {
                let mut e = [0u8; 8];
                e.copy_from_slice(&b[at..at + 8]);
                Eui64::from_le_bytes(e)
            };
            let jr = JoinRequest {
                mhdr,
                join_eui: eui(1),
                dev_eui: eui(9),
                dev_nonce: u16::from_le_bytes([b[17], b[18]]),
                mic: u32::from_le_bytes([b[19], b[20], b[21], b[22]]),
                ref_time,
                dr,
                freq,
                upinfo,
            };
            Ok(if mt == MTYPE_REJOIN {
                UpMessage::Rejoin(jr)
            } else {
                UpMessage::Jreq(jr)
            })
        }
        MTYPE_JOIN_ACCEPT => {
            if !device_mode {
                return Err(FrameError::DownlinkType(mhdr));
            }
            Ok(UpMessage::Jacc(Propdf {
                frm_payload: phy.to_vec(),
                ref_time,
                dr,
                freq,
                upinfo,
            }))
        }
        _ => {
            let downlink = mt == MTYPE_UNCONFIRMED_DOWN || mt == MTYPE_CONFIRMED_DOWN;
            if downlink && !device_mode {
                return Err(FrameError::DownlinkType(mhdr));
            }
            let len = phy.len();
            if len < MIN_DATA_LEN {
                return Err(FrameError::BadLength {
                    kind: "data",
                    len,
                    reason: "shorter than 12 bytes",
                });
            }
            let fctrl = phy[5];
            let fopts_len = usize::from(fctrl & 0x0F);
            let fhdr_end = 8 + fopts_len;
            if len < fhdr_end + 4 {
                return Err(FrameError::BadLength {
                    kind: "data",
                    len,
                    reason: "shorter than its FOpts",
                });
            }
            let mic_at = len - 4;
            let (fport, frm_payload) = if mic_at > fhdr_end {
                (Some(phy[fhdr_end]), phy[fhdr_end + 1..mic_at].to_vec())
            } else {
                (None, Vec::new())
            };
            let updf = Updf {
                mhdr,
                dev_addr: u32::from_le_bytes([phy[1], phy[2], phy[3], phy[4]]),
                fctrl,
                fcnt: u16::from_le_bytes([phy[6], phy[7]]),
                fopts: phy[8..fhdr_end].to_vec(),
                fport,
                frm_payload,
                mic: u32::from_le_bytes([
                    phy[mic_at],
                    phy[mic_at + 1],
                    phy[mic_at + 2],
                    phy[mic_at + 3],
                ]),
                ref_time,
                dr,
                freq,
                upinfo,
            };
            Ok(if downlink {
                UpMessage::Dndf(updf)
            } else {
                UpMessage::Updf(updf)
            })
        }
    }
}

impl Updf {
    /// Appends the exact PHYPayload these fields came from to `out`.
    pub fn write_phy_payload(&self, out: &mut Vec<u8>) -> Result<(), FrameError> {
        if self.fopts.len() > 15 {
            return Err(FrameError::Fields("FOpts longer than 15 bytes"));
        }
        if self.fport.is_none() && !self.frm_payload.is_empty() {
            return Err(FrameError::Fields("FRMPayload without FPort"));
        }
        out.reserve(MIN_DATA_LEN + self.fopts.len() + 1 + self.frm_payload.len());
        out.push(self.mhdr);
        out.extend_from_slice(&self.dev_addr.to_le_bytes());
        out.push(self.fctrl);
        out.extend_from_slice(&self.fcnt.to_le_bytes());
        out.extend_from_slice(&self.fopts);
        if let Some(port) = self.fport {
            out.push(port);
            out.extend_from_slice(&self.frm_payload);
        }
        out.extend_from_slice(&self.mic.to_le_bytes());
        Ok(())
    }
}

impl JoinRequest {
    /// Appends the exact 23-byte PHYPayload to `out`.
    pub fn write_phy_payload(&self, out: &mut Vec<u8>) {
        out.reserve(JOIN_REQUEST_LEN);
        out.push(self.mhdr);
        out.extend_from_slice(&self.join_eui.to_le_bytes());
        out.extend_from_slice(&self.dev_eui.to_le_bytes());
        out.extend_from_slice(&self.dev_nonce.to_le_bytes());
        out.extend_from_slice(&self.mic.to_le_bytes());
    }
}

impl UpMessage {
    /// For uplink frame messages (`updf`, `dndf`, `jreq`, `rejoin`, `propdf`, `jacc`), appends
    /// the rebuilt PHYPayload to `out` and returns its radio metadata; `Ok(None)` for other
    /// messages.
    pub fn write_phy_payload(&self, out: &mut Vec<u8>) -> Result<Option<UplinkRadio>, FrameError> {
        let radio = |ref_time: Option<f64>, dr: u8, freq: u32, upinfo: &UpInfo| UplinkRadio {
            ref_time,
            dr,
            freq,
            upinfo: upinfo.clone(),
        };
        Ok(Some(match self {
            UpMessage::Updf(m) | UpMessage::Dndf(m) => {
                m.write_phy_payload(out)?;
                radio(m.ref_time, m.dr, m.freq, &m.upinfo)
            }
            UpMessage::Jreq(m) | UpMessage::Rejoin(m) => {
                m.write_phy_payload(out);
                radio(m.ref_time, m.dr, m.freq, &m.upinfo)
            }
            UpMessage::Propdf(m) | UpMessage::Jacc(m) => {
                out.extend_from_slice(&m.frm_payload);
                radio(m.ref_time, m.dr, m.freq, &m.upinfo)
            }
            _ => return Ok(None),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::decode_up;
    use proptest::prelude::*;

    fn rebuild(text: &str) -> Vec<u8> {
        let m = decode_up(text).unwrap();
        let mut out = Vec::new();
        m.write_phy_payload(&mut out).unwrap().unwrap();
        out
    }

    #[test]
    fn jreq_live_capture_rebuilds_the_air_frame() {
        let phy = rebuild(
            r#"{"msgtype":"jreq","MHdr":0,"JoinEui":"01-02-03-04-05-06-07-08","DevEui":"11-12-13-14-15-16-17-18","DevNonce":8482,"MIC":825373492,"RefTime":1795585800.783759,"DR":2,"Freq":868300000,"upinfo":{"rctx":0,"xtime":41095346870193749,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795585800.783765}}"#,
        );
        assert_eq!(
            phy,
            [
                0x00, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x18, 0x17, 0x16, 0x15, 0x14,
                0x13, 0x12, 0x11, 0x22, 0x21, 0x34, 0x33, 0x32, 0x31
            ]
        );
    }

    #[test]
    fn updf_live_capture_rebuilds() {
        let phy = rebuild(
            r#"{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":0,"FOpts":"","FPort":1,"FRMPayload":"0102","MIC":1,"RefTime":1795585801.287379,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":41095346870695287,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795585801.28738}}"#,
        );
        assert_eq!(
            phy,
            [
                0x40, 0x01, 0, 0, 0, 0x00, 0, 0, 0x01, 0x01, 0x02, 0x01, 0, 0, 0
            ]
        );
    }

    #[test]
    fn tts_vectors_rebuild() {
        // TTS §2.8: MIC 12345678 -> 4E 61 BC 00; DevNonce 18000 -> 50 46 on air (46 50 in ttnpb's
        // big-endian order); DevAddr 0x11223344, FCtrl 0x30, FCnt 25, FOpts FD, FPort 0, 5F CC.
        let phy = rebuild(
            r#"{"msgtype":"jreq","MHdr":0,"JoinEui":"2222:2222:2222:2222","DevEui":"1111:1111:1111:1111","DevNonce":18000,"MIC":12345678,"RefTime":0,"DR":1,"Freq":868300000,"upinfo":{"rxtime":1548059982,"rtcx":0,"xtime":12666373963464220,"gpstime":0,"rssi":89,"snr":9.25}}"#,
        );
        assert_eq!(&phy[17..19], &[0x50, 0x46]);
        assert_eq!(&phy[19..], &[0x4E, 0x61, 0xBC, 0x00]);
        let phy = rebuild(
            r#"{"msgtype":"updf","MHdr":64,"DevAddr":287454020,"FCtrl":48,"Fcnt":25,"FOpts":"FD","FPort":0,"FRMPayload":"5fcc","MIC":12345678,"RefTime":0,"DR":1,"Freq":868300000,"upinfo":{"rxtime":1548059982,"xtime":12666373963464220,"gpstime":0,"rssi":89,"snr":9.25}}"#,
        );
        assert_eq!(
            phy,
            [
                0x40, 0x44, 0x33, 0x22, 0x11, 0x30, 25, 0, 0xFD, 0x00, 0x5F, 0xCC, 0x4E, 0x61,
                0xBC, 0x00
            ]
        );
    }

    #[test]
    fn split_follows_station_rules() {
        let r = UplinkRadio::default();
        assert_eq!(split_uplink(&[], false, r.clone()), Err(FrameError::Empty));
        // Proprietary: whole frame.
        let m = split_uplink(&[0xE0, 0xDE, 0xAD, 0xBE, 0xEF], false, r.clone()).unwrap();
        let UpMessage::Propdf(p) = m else { panic!() };
        assert_eq!(p.frm_payload, [0xE0, 0xDE, 0xAD, 0xBE, 0xEF]);
        // Major version 1 is not LoRaWAN R1.
        assert_eq!(
            split_uplink(&[0x41; 20], false, r.clone()),
            Err(FrameError::BadMhdr(0x41))
        );
        // Rejoin type 0 is 19 bytes: dropped like the station does.
        assert!(matches!(
            split_uplink(&[0xC0; 19], false, r.clone()),
            Err(FrameError::BadLength { kind: "rejoin", .. })
        ));
        let m = split_uplink(&[0xC0; 23], false, r.clone()).unwrap();
        assert!(matches!(m, UpMessage::Rejoin(_)));
        // Data frame shorter than 12 bytes, FOpts longer than the frame.
        assert!(split_uplink(&[0x40; 11], false, r.clone()).is_err());
        assert!(
            split_uplink(
                &[0x40, 1, 2, 3, 4, 0x0F, 0, 0, 1, 2, 3, 4],
                false,
                r.clone()
            )
            .is_err()
        );
        // No port: FPort None.
        let m = split_uplink(
            &[0x40, 1, 2, 3, 4, 0x00, 7, 0, 9, 9, 9, 9],
            false,
            r.clone(),
        )
        .unwrap();
        let UpMessage::Updf(u) = m else { panic!() };
        assert_eq!(
            (u.dev_addr, u.fcnt, u.fport, u.mic),
            (0x04030201, 7, None, 0x09090909)
        );
        // Downlink types only in device mode.
        assert_eq!(
            split_uplink(&[0x60; 12], false, r.clone()),
            Err(FrameError::DownlinkType(0x60))
        );
        assert!(matches!(
            split_uplink(&[0x60; 12], true, r.clone()),
            Ok(UpMessage::Dndf(_))
        ));
        assert!(matches!(
            split_uplink(&[0x20; 17], true, r),
            Ok(UpMessage::Jacc(_))
        ));
    }

    proptest! {
        #[test]
        fn split_then_rebuild_is_identity(phy in proptest::collection::vec(any::<u8>(), 0..80), dm: bool) {
            if let Ok(m) = split_uplink(&phy, dm, UplinkRadio::default()) {
                let mut out = Vec::new();
                m.write_phy_payload(&mut out).unwrap();
                prop_assert_eq!(out, phy);
            }
        }

        #[test]
        fn data_frames_split_and_rebuild(mhdr in prop_oneof![Just(0x40u8), Just(0x80u8)], addr: u32, fcnt: u16,
                                         fopts in proptest::collection::vec(any::<u8>(), 0..16),
                                         port: Option<u8>, payload in proptest::collection::vec(any::<u8>(), 0..50), mic: u32) {
            let mut phy = vec![mhdr];
            phy.extend_from_slice(&addr.to_le_bytes());
            phy.push(0x80 | fopts.len() as u8);
            phy.extend_from_slice(&fcnt.to_le_bytes());
            phy.extend_from_slice(&fopts);
            if let Some(p) = port { phy.push(p); phy.extend_from_slice(&payload); }
            phy.extend_from_slice(&mic.to_le_bytes());
            let m = split_uplink(&phy, false, UplinkRadio::default()).unwrap();
            let UpMessage::Updf(u) = &m else { panic!() };
            prop_assert_eq!(u.dev_addr, addr);
            prop_assert_eq!(u.fport, port);
            // And through JSON.
            let mut text = String::new();
            m.encode(&mut text).unwrap();
            let back = decode_up(&text).unwrap();
            let mut out = Vec::new();
            back.write_phy_payload(&mut out).unwrap();
            prop_assert_eq!(out, phy);
        }
    }
}
