//! A plain HTTP/1.1 GET over TCP, for scraping an app's metrics endpoint, and
//! a reader of Prometheus text samples.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// `GET http://<address><path>`; returns the status code and the body.
pub fn get(address: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no header end in {response:?}")))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {head:?}")))?;
    Ok((status, body.to_owned()))
}

/// [`get`] from async code, without blocking the runtime's workers.
pub async fn get_async(address: &str, path: &str) -> std::io::Result<(u16, String)> {
    let (address, path) = (address.to_owned(), path.to_owned());
    tokio::task::spawn_blocking(move || get(&address, &path))
        .await
        .map_err(std::io::Error::other)?
}

/// The value of the sample whose name and labels are exactly `series`
/// (`karafka_consumer_lag{consumer_group="g",topic="t",partition="0"}`).
pub fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        value.trim().parse().ok()
    })
}

/// Every sample of metric `name` as (labels, value), labels as written between the braces.
pub fn samples(metrics: &str, name: &str) -> Vec<(String, f64)> {
    metrics
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix('{')?;
            let (labels, value) = rest.rsplit_once("} ")?;
            Some((labels.to_owned(), value.trim().parse().ok()?))
        })
        .collect()
}
