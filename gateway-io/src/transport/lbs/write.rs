//! Writing frames to a station within the write timeout.
//!
//! Text frames go to the socket directly, framed by tungstenite's own encoder
//! ([`Frame::format`]): tungstenite's write buffer keeps the capacity of the largest frame it
//! ever sent, for the life of the connection, and has no way to give it back. The largest
//! frame a station gets is its ~1 KB `router_config`, right after it connects, so an idle
//! station would keep that much buffer for nothing. The bytes on the wire are the same: one
//! final unmasked text frame, in one write. Control frames (pings, the automatic pongs, close)
//! are small and still go through tungstenite.

use std::time::Duration;

use futures_util::SinkExt;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Bytes, Message};

use crate::event::DisconnectReason;

/// What a station that does not take its frames within the write timeout is disconnected
/// with, and a failed write.
fn within<T, E: ToString>(
    written: Result<Result<T, E>, tokio::time::error::Elapsed>,
) -> Result<T, DisconnectReason> {
    match written {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(DisconnectReason::Transport(e.to_string())),
        Err(_) => Err(DisconnectReason::Transport(
            "write timed out (the station does not read)".into(),
        )),
    }
}

/// Sends a control frame (a ping) through tungstenite within the write timeout.
pub(super) async fn send<S>(
    ws: &mut WebSocketStream<S>,
    message: Message,
    write_timeout: Duration,
) -> Result<(), DisconnectReason>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    within(tokio::time::timeout(write_timeout, ws.send(message)).await)
}

/// Closes the websocket (a close frame without a status code), within the write timeout;
/// whether that worked no longer matters.
pub(super) async fn close<S>(ws: &mut WebSocketStream<S>, write_timeout: Duration)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = tokio::time::timeout(write_timeout, ws.close(None)).await;
}

/// The bytes of one final, unmasked (server to client) text frame: tungstenite's framing.
pub(super) fn text_frame(text: String) -> Vec<u8> {
    let frame = Frame::message(Bytes::from(text), OpCode::Data(Data::Text), true);
    let mut bytes = Vec::with_capacity(frame.len());
    frame
        .format(&mut bytes)
        .expect("writing to a Vec cannot fail");
    bytes
}

/// Sends a text frame within the write timeout, past tungstenite's write buffer (see the
/// [module docs](self)): first whatever tungstenite has queued (an automatic pong) is flushed,
/// so frames keep their order, then the frame is written to the socket in one piece.
pub(super) async fn send_text<S>(
    ws: &mut WebSocketStream<S>,
    text: String,
    write_timeout: Duration,
) -> Result<(), DisconnectReason>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let frame = text_frame(text);
    let written = tokio::time::timeout(write_timeout, async {
        ws.flush().await.map_err(|e| e.to_string())?;
        let socket = ws.get_mut();
        socket.write_all(&frame).await.map_err(|e| e.to_string())?;
        socket.flush().await.map_err(|e| e.to_string())
    })
    .await;
    within(written)
}
