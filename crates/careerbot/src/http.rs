//! The service's HTTP listener: `/healthz`, `/readyz` and `/metrics` (Prometheus text format),
//! and the client side of `careerbot healthcheck`.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use adapter::Health;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// How many users are stored (the store may be scanned: called on the blocking pool).
pub type CountUsers = Arc<dyn Fn() -> Result<usize, engine::StoreError> + Send + Sync>;

/// What the handlers read.
#[derive(Clone)]
pub struct Http {
    /// The bots' connections.
    pub health: Health,
    /// The Prometheus recorder's handle, to render the metrics.
    pub metrics: PrometheusHandle,
    /// Counts the stored users, for `careerbot_stored_users`.
    pub users: CountUsers,
}

/// Installs the process-wide Prometheus recorder (histogram buckets for the turn and wait
/// durations) and describes the metrics. Once per process.
pub fn install_metrics() -> anyhow::Result<PrometheusHandle> {
    use adapter::metrics::{RATE_LIMIT_WAIT, TURN_BUCKETS, TURN_DURATION, WAIT_BUCKETS};
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(TURN_DURATION.to_owned()), TURN_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(RATE_LIMIT_WAIT.to_owned()), WAIT_BUCKETS)?
        .install_recorder()?;
    adapter::metrics::describe();
    metrics::gauge!("careerbot_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    Ok(handle)
}

/// The routes.
pub fn router(state: Http) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(state)
}

/// 200 while the process runs.
async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 once every started bot is connected, 503 before, while one is down, and while stopping;
/// the body says which bot is connected.
async fn readyz(State(state): State<Http>) -> Response {
    let bots: serde_json::Map<String, serde_json::Value> = state
        .health
        .bots()
        .into_iter()
        .map(|(channel, up)| (channel.name().to_owned(), up.into()))
        .collect();
    let ready = state.health.is_ready();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({ "ready": ready, "connected": bots });
    (status, axum::Json(body)).into_response()
}

/// The metrics in Prometheus' text format, with the stored-user count refreshed.
async fn metrics_text(State(state): State<Http>) -> Response {
    let users = Arc::clone(&state.users);
    match tokio::task::spawn_blocking(move || users()).await {
        Ok(Ok(count)) => adapter::metrics::stored_users(count),
        Ok(Err(error)) => tracing::warn!("cannot count the stored users: {error}"),
        Err(error) => tracing::warn!("cannot count the stored users: {error}"),
    }
    let text = state.metrics.render();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Drains the recorder's histograms now and then, as the exporter requires when it does not
/// run its own listener.
pub async fn upkeep(handle: PrometheusHandle) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        handle.run_upkeep();
    }
}

/// `careerbot healthcheck`: GET `path` from the service at `address` (an unspecified address
/// such as 0.0.0.0 means this machine); true for a 200 answer within a few seconds.
pub fn check(address: SocketAddr, path: &str) -> anyhow::Result<bool> {
    let mut address = address;
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let limit = Duration::from_secs(3);
    let mut stream = TcpStream::connect_timeout(&address, limit)?;
    stream.set_read_timeout(Some(limit))?;
    stream.set_write_timeout(Some(limit))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    // The status line is all that is needed.
    let mut answer = Vec::new();
    let mut chunk = [0; 512];
    while !answer.windows(2).any(|w| w == b"\r\n") && answer.len() < 4096 {
        match stream.read(&mut chunk)? {
            0 => break,
            n => answer.extend_from_slice(&chunk[..n]),
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.split_whitespace().nth(1).unwrap_or_default();
    Ok(status == "200")
}

#[cfg(test)]
mod tests {
    use super::*;
    use adapter::Channel;

    /// Serves the router on a free loopback port; returns its address.
    async fn serve(state: Http) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, router(state)).await });
        address
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readiness_follows_every_bot_and_health_does_not() {
        let health = Health::default();
        let telegram = health.watch(Channel::Telegram);
        let discord = health.watch(Channel::Discord);
        let state = Http {
            health: health.clone(),
            metrics: PrometheusBuilder::new().build_recorder().handle(),
            users: Arc::new(|| Ok(3)),
        };
        let address = serve(state).await;
        let get = move |path: &'static str| {
            tokio::task::spawn_blocking(move || check(address, path).expect("answers"))
        };
        assert!(get("/healthz").await.expect("task"), "alive while starting");
        assert!(
            !get("/readyz").await.expect("task"),
            "503 before the bots connect"
        );
        telegram.set(true);
        assert!(
            !get("/readyz").await.expect("task"),
            "503 while Discord is not connected"
        );
        discord.set(true);
        assert!(get("/readyz").await.expect("task"));
        telegram.set(false);
        assert!(
            !get("/readyz").await.expect("task"),
            "503 while Telegram is down"
        );
        telegram.set(true);
        health.stopping();
        assert!(!get("/readyz").await.expect("task"), "503 while stopping");
        assert!(get("/healthz").await.expect("task"));
        assert!(get("/metrics").await.expect("task"));
    }
}
