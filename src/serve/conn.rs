//! Accepting and serving connections (HTTP/1 with hyper), with the limits a server on the open
//! internet needs: at most `max_connections` at once, and no connection held past its deadline.
//!
//! `axum::serve` has neither: 2,000 idle or slow clients are held forever, and past the open-files
//! limit (often 1,024) no normal client gets in. Here every connection takes a permit of a
//! semaphore before it is accepted (at the cap, new clients wait in the kernel's backlog until one
//! ends, instead of being accepted and starved of file descriptors), and a watchdog closes it:
//! - when a request head is not complete `header` after the accept (a new connection owes its
//!   first request at once) or, on a kept-alive connection, after the head's first byte;
//! - when a kept-alive connection stays idle (no byte of a next request) for `idle`, counted from
//!   the end of the last response or the last byte of it written since, so that a slow reader of a
//!   large answer is not cut off while it reads.
//!
//! The body's deadline (`body`) is kept by the handler that reads it (POST /predict answers 408), as
//! only it knows when the body is read; the prediction after that has no deadline. A request head
//! is at most `MAX_HEAD_BYTES` (431 past it), which bounds the memory a connection can pin.

use super::log::Log;
use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, Semaphore};
use tower::ServiceExt;

/// The largest request head (request line and headers) a connection may send; hyper answers 431
/// past it. Its default, about 400 KB, let 1,000 unfinished heads pin 332 MB.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How long the accept loop waits after a failed accept (out of file descriptors, say) before it
/// tries again, instead of spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// How often at most a failed accept is logged.
const ACCEPT_LOG_EVERY: Duration = Duration::from_secs(10);

/// The connection's deadlines and the cap (`kiln serve --header-timeout --idle-timeout
/// --max-connections`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header: Duration,
    pub idle: Duration,
    pub max_connections: usize,
}

/// Accepts and serves connections until `shutdown` resolves; then stops accepting, lets each
/// connection finish the request it is on, and returns once all have closed or `grace` has passed
/// (returns false then).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    log: Arc<Log>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> bool {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (closing, closed) = watch::channel(false);
    tokio::pin!(shutdown);
    let mut last_logged: Option<Instant> = None;
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p,
            _ = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut shutdown => break,
        };
        match accepted {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                let connection = connection(stream, app.clone(), limits, closed.clone());
                tokio::spawn(async move {
                    connection.await;
                    drop(permit);
                });
            }
            Err(e) => {
                if last_logged.is_none_or(|t| t.elapsed() >= ACCEPT_LOG_EVERY) {
                    log.line(format!("kiln serve: cannot accept a connection: {e}"));
                    last_logged = Some(Instant::now());
                }
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
    drop(listener);
    let _ = closing.send(true);
    // Every connection holds a permit until it closes: all of them back means all closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let all_closed = tokio::time::timeout(grace, permits.acquire_many(all))
        .await
        .is_ok();
    all_closed
}

/// Serves one connection until it closes, its deadline passes, or the server shuts down (then
/// after the request in flight).
async fn connection(
    stream: TcpStream,
    app: Router,
    limits: Limits,
    mut closed: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let tracked = activity.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        tracked.request_began();
        let tracked = tracked.clone();
        let answer = app.clone().oneshot(req.map(Body::new));
        async move {
            let response = answer.await;
            tracked.response_ready();
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .keep_alive(true)
        // The read buffer stops growing at about this size, and a head past it is refused (431)
        // even when it arrived whole in one read.
        .max_buf_size(MAX_HEAD_BYTES)
        .max_header_size(MAX_HEAD_BYTES)
        // The watchdog keeps the head's deadline (hyper's would count idle time as head time).
        .header_read_timeout(None);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut shutting_down = false;
    loop {
        let deadline = activity.deadline(&limits);
        tokio::select! {
            _ = conn.as_mut() => return,
            changed = closed.changed(), if !shutting_down => {
                shutting_down = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
            // A new phase may bring its deadline closer: look again.
            _ = activity.moved.notified() => {}
            _ = sleep_until(deadline) => {
                if activity.deadline(&limits).is_some_and(|d| d <= Instant::now()) {
                    return; // dropping the connection closes the socket
                }
            }
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

/// Where a connection is between requests, as far as its deadlines go.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Between requests since this instant (end of a response, or its last byte written).
    Idle(Instant),
    /// A request's head is owed since this instant: the accept, or its first byte.
    Head(Instant),
    /// The handler has the request (it keeps the body's deadline itself).
    Busy,
}

/// A connection's phase, moved on by its socket (bytes read and written) and its service (a
/// request handed over, its response ready).
struct Activity {
    phase: Mutex<Phase>,
    /// Told when the phase changes kind, so the watchdog takes up the new deadline.
    moved: Notify,
}

impl Activity {
    fn new() -> Self {
        Activity {
            phase: Mutex::new(Phase::Head(Instant::now())),
            moved: Notify::new(),
        }
    }

    fn update(&self, f: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        let next = f(*phase);
        let new_kind = std::mem::discriminant(&next) != std::mem::discriminant(&*phase);
        *phase = next;
        drop(phase);
        if new_kind {
            self.moved.notify_one();
        }
    }

    /// Bytes arrived: on an idle connection, they begin a request head.
    fn read(&self) {
        self.update(|p| match p {
            Phase::Idle(_) => Phase::Head(Instant::now()),
            other => other,
        });
    }

    /// Bytes of a response left: the client is reading, so its idle time starts again.
    fn wrote(&self) {
        self.update(|p| match p {
            Phase::Idle(_) => Phase::Idle(Instant::now()),
            other => other,
        });
    }

    fn request_began(&self) {
        self.update(|_| Phase::Busy);
    }

    fn response_ready(&self) {
        self.update(|_| Phase::Idle(Instant::now()));
    }

    /// When the connection is closed if nothing moves it on.
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let phase = *self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        deadline_of(phase, limits)
    }
}

fn deadline_of(phase: Phase, limits: &Limits) -> Option<Instant> {
    match phase {
        Phase::Idle(since) => since.checked_add(limits.idle),
        Phase::Head(since) => since.checked_add(limits.header),
        Phase::Busy => None,
    }
}

/// A socket that tells its connection's [`Activity`] of every byte read and written.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.read();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.wrote();
        }
        r
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.wrote();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        header: Duration::from_secs(2),
        idle: Duration::from_secs(5),
        max_connections: 1,
    };

    fn phase(a: &Activity) -> Phase {
        *a.phase.lock().unwrap()
    }

    #[test]
    fn each_phase_has_its_own_deadline() {
        let a = Activity::new();
        let Phase::Head(accepted) = phase(&a) else {
            panic!("a new connection owes a head")
        };
        assert_eq!(a.deadline(&LIMITS), Some(accepted + LIMITS.header));
        // Bytes of the head do not move its deadline.
        a.read();
        assert_eq!(phase(&a), Phase::Head(accepted));
        a.request_began();
        assert_eq!(a.deadline(&LIMITS), None);
        // Body bytes and response bytes while busy change nothing.
        a.read();
        a.wrote();
        assert_eq!(phase(&a), Phase::Busy);
        a.response_ready();
        let Phase::Idle(done) = phase(&a) else {
            panic!("a connection is idle after its response")
        };
        assert_eq!(a.deadline(&LIMITS), Some(done + LIMITS.idle));
        // Writing the rest of the response restarts the idle time; the next request's first byte
        // starts its head's.
        a.wrote();
        assert!(matches!(phase(&a), Phase::Idle(t) if t >= done));
        a.read();
        let Phase::Head(first_byte) = phase(&a) else {
            panic!("bytes on an idle connection begin a head")
        };
        assert!(first_byte >= done);
        assert_eq!(a.deadline(&LIMITS), Some(first_byte + LIMITS.header));
    }
}
