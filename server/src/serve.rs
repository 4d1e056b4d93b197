//! The accept loop: HTTP/1.1 connections served by hyper, each in a task of its own.
//!
//! `axum::serve` speaks HTTP/1.1 and HTTP/2 on every connection, so each connection's task is
//! as large as an HTTP/2 connection's state even when (as from every browser without TLS, and
//! every reverse proxy's usual upstream) the client speaks HTTP/1.1. Widget streams hold their
//! connection open for hours, so that size is paid per visitor with the widget open (see the
//! README's load figures). This loop serves HTTP/1.1 only, with upgrades (dashboard
//! WebSockets), each request carrying the peer address as [`ConnectInfo`] as before, a
//! 30-second limit on reading a request's head (slow-header clients), and graceful shutdown:
//! once `shutdown` completes no connection is accepted, idle ones close, and the loop returns
//! when the requests in flight have finished.

use std::{future::Future, net::SocketAddr, time::Duration};

use axum::{Router, body::Body, extract::ConnectInfo};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tower::ServiceExt as _;

/// How long a client may take to send a request's head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until `shutdown` completes and the connections have drained.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Dropped (closed) when shutdown begins: every connection then finishes gracefully.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    // One receiver per connection; `closed()` on the sender completes when all are gone.
    let (open_tx, open_rx) = tokio::sync::watch::channel(());
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().oneshot(request)
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
        let mut stop = stop_rx.clone();
        let open = open_rx.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                tracing::trace!(%error, "connection ended with an error");
            }
            drop(open);
        });
    }
    drop(listener);
    drop(stop_tx);
    drop(open_rx);
    open_tx.closed().await;
    Ok(())
}

/// A failed accept: one client's reset connection is nothing; running out of file descriptors
/// (or another resource) is logged and waited out, so the loop does not spin.
async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!(%error, "accepting a connection failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
