//! A small HTTP/1.1 endpoint on the app's tokio runtime: `GET /metrics`
//! (Prometheus text) and `GET /live` (also `/health`): 200 while every fetch
//! loop iterates, 503 naming the stalled or failed groups. One request per connection.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::task::JoinHandle;

use super::MetricsListener;
use crate::error::{Error, Result};

/// The most a request head may take; larger requests are refused.
const MAX_HEAD: usize = 16 * 1024;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Prometheus text exposition format 0.0.4.
const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The running metrics endpoint; it stops when dropped or [stopped](MetricsServer::stop).
#[derive(Debug)]
pub struct MetricsServer {
    local_addr: SocketAddr,
    task: JoinHandle<()>,
}

impl MetricsServer {
    /// The address it listens on (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections.
    pub fn stop(self) {}
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the endpoint serves: Prometheus text for `/metrics` and the verdict of `/live`.
pub(crate) trait Exposition: Send + Sync + 'static {
    /// Every metric in the Prometheus text exposition format.
    fn metrics(&self) -> String;
    /// Whether the process is alive, and a line saying why (or why not).
    fn live(&self) -> (bool, String);
}

impl Exposition for MetricsListener {
    fn metrics(&self) -> String {
        self.render()
    }

    fn live(&self) -> (bool, String) {
        let liveness = self.liveness();
        (liveness.is_alive(), liveness.to_string())
    }
}

impl MetricsListener {
    /// Serves `/metrics` and `/live` on `address` (such as `127.0.0.1:9394`), on
    /// the current tokio runtime, until the returned server is dropped.
    pub async fn serve(&self, address: impl ToSocketAddrs) -> Result<MetricsServer> {
        serve(std::sync::Arc::new(self.clone()), address).await
    }
}

/// Serves `exposition` on `address` until the returned server is dropped.
pub(crate) async fn serve(
    exposition: std::sync::Arc<dyn Exposition>,
    address: impl ToSocketAddrs,
) -> Result<MetricsServer> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|e| Error::io("binding the metrics endpoint", e))?;
    let local_addr = listener
        .local_addr()
        .map_err(|e| Error::io("reading the metrics endpoint's address", e))?;
    let task = tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let exposition = exposition.clone();
                    tokio::spawn(async move {
                        if let Err(error) = respond(&*exposition, stream).await {
                            tracing::debug!(target: "karafka", "metrics request failed: {error}");
                        }
                    });
                }
                // Out of file descriptors and the like: wait rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    Ok(MetricsServer { local_addr, task })
}

async fn respond(exposition: &dyn Exposition, mut stream: TcpStream) -> std::io::Result<()> {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(head) => head?,
        Err(_) => return Ok(()),
    };
    let request_line = head.lines().next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or(target);
    let (status, content_type, body) = match (method, path) {
        ("GET" | "HEAD", "/metrics") => ("200 OK", METRICS_CONTENT_TYPE, exposition.metrics()),
        ("GET" | "HEAD", "/live" | "/health") => {
            let (alive, verdict) = exposition.live();
            let status = if alive {
                "200 OK"
            } else {
                "503 Service Unavailable"
            };
            (status, "text/plain; charset=utf-8", format!("{verdict}\n"))
        }
        ("GET" | "HEAD", _) => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found; try /metrics or /live\n".to_owned(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET and HEAD\n".to_owned(),
        ),
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if method != "HEAD" {
        response.push_str(&body);
    }
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// Reads up to the blank line that ends the request head.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..read]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n") {
            break;
        }
        if head.len() > MAX_HEAD {
            return Err(std::io::Error::other("request head too large"));
        }
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}
