//! The LNS websocket messages, one enum per direction.
//!
//! - [`decode_up`] / [`UpMessage::encode`]: station → LNS text frames.
//! - [`decode_down`] / [`DownMessage::encode`]: LNS → station text frames.
//!
//! Decoding dispatches on `msgtype` and then reads the typed fields, the radio uplinks (`updf`,
//! `jreq`, `rejoin`, `propdf`, `dndf`, `jacc`) with a hand-written pull reader
//! (`uplink_read.rs`, over `loragw-json-lex`), the other messages with serde, accepting what
//! real peers send (aliases `FCnt`/`Fcnt`, `DevEui`/`DevEUI`, `JoinEui`/`JoinEUI`,
//! `diid`/`seqno`; EUIs in any form; signed `DevAddr`/`MIC`) and mapping the station's "absent"
//! markers to `None` (`FPort` -1, `fts` -1, `gpstime` 0, `RefTime` 0). Unknown fields are
//! ignored, like the station does. Inputs longer than [`MAX_MESSAGE_LEN`] are rejected before
//! parsing.
//!
//! Encoding writes integers as JSON integer literals (the station drops a message whose integer
//! field is written as `868100000.0`), hex in upper case, EUIs dashed, and times with
//! microsecond precision; it fails rather than produce a frame above [`MAX_MESSAGE_LEN`].

mod discovery;
mod downlink;
mod mgmt;
mod time;
mod uplink;
mod uplink_read;

use std::borrow::Cow;

use serde::Deserialize;

pub use discovery::{DiscoveryRequest, DiscoveryResponse, MAX_URI_LEN};
pub use downlink::{
    DeviceClass, Dnframe, Dnmsg, Dnsched, MAX_PDU_LEN, ScheduledTime, ScheduledTx, TxWindow,
};
pub use mgmt::{
    Alarm, Event, EventBody, LnsError, RmtshRequest, RmtshSession, RmtshStatus, Runcmd, Version,
};
pub use time::{GetxtimeReply, GetxtimeRequest, TimeTransfer, TimesyncReply, TimesyncRequest};
pub use uplink::{Dntxed, EuiKeyStyle, JoinRequest, Propdf, UpInfo, Updf};

use crate::error::{DecodeError, EncodeError};
use crate::json::check_len;
use crate::router_config::RouterConfig;

pub use crate::json::MAX_MESSAGE_LEN;

pub(crate) fn check_input_len(text: &str) -> Result<(), DecodeError> {
    if text.len() > MAX_MESSAGE_LEN {
        return Err(DecodeError::TooLarge {
            len: text.len(),
            max: MAX_MESSAGE_LEN,
        });
    }
    Ok(())
}

/// A message from the station to the LNS.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum UpMessage {
    /// `version`: the first message of a session.
    Version(Version),
    /// `updf`: a data uplink.
    Updf(Updf),
    /// `dndf`: a downlink data frame overheard (device mode only).
    Dndf(Updf),
    /// `jreq`: a join-request.
    Jreq(JoinRequest),
    /// `rejoin`: a rejoin-request (23-byte frames only at the reference station).
    Rejoin(JoinRequest),
    /// `propdf`: a proprietary frame.
    Propdf(Propdf),
    /// `jacc`: a join-accept overheard (device mode only).
    Jacc(Propdf),
    /// `dntxed`: a downlink was transmitted.
    Dntxed(Dntxed),
    /// `timesync`: the station asks for GPS time.
    Timesync(TimesyncRequest),
    /// `getxtime`: reply to a [`GetxtimeRequest`].
    Getxtime(GetxtimeReply),
    /// `rmtsh`: remote-shell status.
    Rmtsh(RmtshStatus),
    /// `event`: e.g. GPS fix changes.
    Event(Event),
    /// `alarm`: a text alarm.
    Alarm(Alarm),
}

/// A message from the LNS to the station.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DownMessage {
    /// `router_config`: the channel plan.
    RouterConfig(Box<RouterConfig>),
    /// `dnmsg`: a downlink.
    Dnmsg(Dnmsg),
    /// `dnsched`: scheduled downlinks.
    Dnsched(Dnsched),
    /// `dnframe`: obsolete absolute-time downlink.
    Dnframe(Dnframe),
    /// `timesync` answering a station's request.
    TimesyncReply(TimesyncReply),
    /// `timesync` initiated by the LNS.
    TimeTransfer(TimeTransfer),
    /// `getxtime`: request.
    Getxtime(GetxtimeRequest),
    /// `runcmd`: run a command.
    Runcmd(Runcmd),
    /// `rmtsh`: remote-shell control.
    Rmtsh(RmtshRequest),
    /// `error`: a text for the station's log.
    Error(LnsError),
}

#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(borrow, default)]
    msgtype: Option<Cow<'a, str>>,
}

/// Finds the msgtype cheaply when it is the object's first key (as every known peer writes it);
/// otherwise reads the whole object once for its top-level `msgtype`.
fn msgtype_of(text: &str) -> Result<Cow<'_, str>, DecodeError> {
    let fast = (|| {
        let rest = text.trim_start().strip_prefix('{')?.trim_start();
        let rest = rest.strip_prefix("\"msgtype\"")?.trim_start();
        let rest = rest.strip_prefix(':')?.trim_start();
        let rest = rest.strip_prefix('"')?;
        // Bytes, not chars: both are ASCII, which no byte of a multi-byte UTF-8 char equals.
        let end = rest.bytes().position(|b| b == b'"' || b == b'\\')?;
        (rest.as_bytes().get(end) == Some(&b'"')).then(|| &rest[..end])
    })();
    if let Some(m) = fast {
        return Ok(Cow::Borrowed(m));
    }
    let tag: Tag<'_> = serde_json::from_str(text).map_err(|e| DecodeError::json("?", &e, text))?;
    tag.msgtype.ok_or(DecodeError::MissingMsgtype)
}

fn parse<'a, T: Deserialize<'a>>(msgtype: &'static str, text: &'a str) -> Result<T, DecodeError> {
    serde_json::from_str(text).map_err(|e| DecodeError::json(msgtype, &e, text))
}

/// Decodes a text frame sent by a station.
pub fn decode_up(text: &str) -> Result<UpMessage, DecodeError> {
    check_input_len(text)?;
    let msgtype = msgtype_of(text)?;
    Ok(match &*msgtype {
        "updf" => UpMessage::Updf(uplink_read::read_updf("updf", text)?),
        "jreq" => UpMessage::Jreq(uplink_read::read_join_request("jreq", text)?),
        "rejoin" => UpMessage::Rejoin(uplink_read::read_join_request("rejoin", text)?),
        "propdf" => UpMessage::Propdf(uplink_read::read_propdf("propdf", text)?),
        "dntxed" => UpMessage::Dntxed(parse::<uplink::DntxedWire>("dntxed", text)?.into_message()?),
        "version" => UpMessage::Version(parse("version", text)?),
        "timesync" => UpMessage::Timesync(parse("timesync", text)?),
        "getxtime" => UpMessage::Getxtime(parse("getxtime", text)?),
        "rmtsh" => UpMessage::Rmtsh(parse("rmtsh", text)?),
        "event" => UpMessage::Event(parse("event", text)?),
        "alarm" => UpMessage::Alarm(parse("alarm", text)?),
        "dndf" => UpMessage::Dndf(uplink_read::read_updf("dndf", text)?),
        "jacc" => UpMessage::Jacc(uplink_read::read_propdf("jacc", text)?),
        other => {
            return Err(DecodeError::UnknownMsgtype(
                other.chars().take(64).collect(),
            ));
        }
    })
}

/// Decodes a text frame sent by an LNS.
pub fn decode_down(text: &str) -> Result<DownMessage, DecodeError> {
    check_input_len(text)?;
    let msgtype = msgtype_of(text)?;
    Ok(match &*msgtype {
        "dnmsg" => DownMessage::Dnmsg(parse::<downlink::DnmsgWire>("dnmsg", text)?.into_message()?),
        "router_config" => DownMessage::RouterConfig(Box::new(parse("router_config", text)?)),
        "dnsched" => {
            DownMessage::Dnsched(parse::<downlink::DnschedWire>("dnsched", text)?.into_message()?)
        }
        "dnframe" => {
            let f: Dnframe = parse("dnframe", text)?;
            if f.pdu.len() > MAX_PDU_LEN {
                return Err(DecodeError::field("dnframe", "pdu", "more than 255 bytes"));
            }
            DownMessage::Dnframe(f)
        }
        "timesync" => match parse::<time::TimesyncDownWire>("timesync", text)?.into_message()? {
            time::TimesyncDown::Reply(r) => DownMessage::TimesyncReply(r),
            time::TimesyncDown::Transfer(t) => DownMessage::TimeTransfer(t),
        },
        "getxtime" => DownMessage::Getxtime(parse("getxtime", text)?),
        "runcmd" => DownMessage::Runcmd(parse("runcmd", text)?),
        "rmtsh" => {
            DownMessage::Rmtsh(parse::<mgmt::RmtshRequestWire>("rmtsh", text)?.into_message())
        }
        "error" => DownMessage::Error(parse("error", text)?),
        other => {
            return Err(DecodeError::UnknownMsgtype(
                other.chars().take(64).collect(),
            ));
        }
    })
}

impl UpMessage {
    /// The `msgtype` string.
    pub fn msgtype(&self) -> &'static str {
        match self {
            UpMessage::Version(_) => "version",
            UpMessage::Updf(_) => "updf",
            UpMessage::Dndf(_) => "dndf",
            UpMessage::Jreq(_) => "jreq",
            UpMessage::Rejoin(_) => "rejoin",
            UpMessage::Propdf(_) => "propdf",
            UpMessage::Jacc(_) => "jacc",
            UpMessage::Dntxed(_) => "dntxed",
            UpMessage::Timesync(_) => "timesync",
            UpMessage::Getxtime(_) => "getxtime",
            UpMessage::Rmtsh(_) => "rmtsh",
            UpMessage::Event(_) => "event",
            UpMessage::Alarm(_) => "alarm",
        }
    }

    /// Clears `out` and writes the message as the reference station does (EUI keys `JoinEui`,
    /// `DevEui`).
    pub fn encode(&self, out: &mut String) -> Result<(), EncodeError> {
        self.encode_with(out, EuiKeyStyle::Camel)
    }

    /// Like [`UpMessage::encode`] with a choice of EUI key spelling (the station switches to
    /// `JoinEUI`/`DevEUI` after a `router_config` that used `JoinEUI`).
    pub fn encode_with(&self, out: &mut String, keys: EuiKeyStyle) -> Result<(), EncodeError> {
        let mt = self.msgtype();
        match self {
            UpMessage::Version(m) => m.write(out),
            UpMessage::Updf(m) | UpMessage::Dndf(m) => m.write(out, mt),
            UpMessage::Jreq(m) | UpMessage::Rejoin(m) => m.write(out, mt, keys),
            UpMessage::Propdf(m) | UpMessage::Jacc(m) => m.write(out, mt),
            UpMessage::Dntxed(m) => m.write(out, keys),
            UpMessage::Timesync(m) => m.write(out),
            UpMessage::Getxtime(m) => m.write(out),
            UpMessage::Rmtsh(m) => m.write(out),
            UpMessage::Event(m) => m.write(out),
            UpMessage::Alarm(m) => m.write(out),
        }?;
        check_len(mt, out)
    }
}

impl DownMessage {
    /// The `msgtype` string.
    pub fn msgtype(&self) -> &'static str {
        match self {
            DownMessage::RouterConfig(_) => "router_config",
            DownMessage::Dnmsg(_) => "dnmsg",
            DownMessage::Dnsched(_) => "dnsched",
            DownMessage::Dnframe(_) => "dnframe",
            DownMessage::TimesyncReply(_) | DownMessage::TimeTransfer(_) => "timesync",
            DownMessage::Getxtime(_) => "getxtime",
            DownMessage::Runcmd(_) => "runcmd",
            DownMessage::Rmtsh(_) => "rmtsh",
            DownMessage::Error(_) => "error",
        }
    }

    /// Clears `out` and writes the message.
    pub fn encode(&self, out: &mut String) -> Result<(), EncodeError> {
        let mt = self.msgtype();
        match self {
            DownMessage::RouterConfig(c) => c.write_message_json(out),
            DownMessage::Dnmsg(m) => m.write(out),
            DownMessage::Dnsched(m) => m.write(out),
            DownMessage::Dnframe(m) => m.write(out),
            DownMessage::TimesyncReply(m) => m.write(out),
            DownMessage::TimeTransfer(m) => m.write(out),
            DownMessage::Getxtime(m) => m.write(out),
            DownMessage::Runcmd(m) => m.write(out),
            DownMessage::Rmtsh(m) => m.write(out),
            DownMessage::Error(m) => m.write(out),
        }?;
        check_len(mt, out)
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod msgtype_tests {
    use super::*;

    proptest::proptest! {
        /// The fast path finds what a full parse of the object finds, for names with escapes,
        /// quotes and non-ASCII characters, with or without whitespace around the key.
        #[test]
        fn fast_msgtype_matches_a_full_parse(
            name in "[a-z_\u{e9}\u{4e2d}\"\\\\/]{0,10}",
            space in "[ \t\n]{0,2}",
        ) {
            let text = format!(
                "{space}{{{space}\"msgtype\"{space}:{space}{},\"DR\":5}}",
                serde_json::to_string(&name).expect("a string serialises"),
            );
            let slow: Tag<'_> = serde_json::from_str(&text).expect("valid JSON");
            let fast = msgtype_of(&text).expect("a msgtype is present");
            proptest::prop_assert_eq!(fast.as_ref(), slow.msgtype.as_deref().unwrap_or(""));
            proptest::prop_assert_eq!(fast.as_ref(), name.as_str());
        }
    }
}
