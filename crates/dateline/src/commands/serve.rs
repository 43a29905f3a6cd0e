use crate::cli::ServeArgs;
use crate::commands::open;
use crate::config::Serve;
use anyhow::Context;
use dateline_db::redact_url;
use dateline_web::{AppState, WebConfig, metrics_router, router, run_refresh_loop};
use std::process::ExitCode;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the process looks for scheduled articles and for changes made
/// by other processes.
const REFRESH_EVERY: Duration = Duration::from_secs(1);

pub async fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let config = Serve::resolve(args)?;
    let db = open(&config.storage).await?;
    let state = AppState::new(
        db.clone(),
        WebConfig {
            base_url: config.base_url.clone(),
            data_dir: config.storage.data_dir.clone(),
            page_cache_bytes: config.page_cache_bytes,
            trusted_proxies: config.trusted_proxies.clone(),
            mail_from: config.mail_from.clone(),
            max_upload_bytes: config.max_upload_bytes,
        },
    )
    .await?;

    let shutdown = state.shutdown.clone();
    let refresher = tokio::spawn(run_refresh_loop(
        state.clone(),
        REFRESH_EVERY,
        shutdown.clone(),
    ));

    let mail = if config.mail_workers {
        let worker = dateline_mail::Worker::new(db.clone(), config.mail.clone()).await?;
        tracing::info!(through = %worker.describe(), "delivering mail");
        let stop = shutdown.clone();
        let scheduler = tokio::spawn(run_schedule_loop(db.clone(), shutdown.clone()));
        Some((
            tokio::spawn(async move { worker.run(stop).await }),
            scheduler,
        ))
    } else {
        tracing::info!("not delivering mail (--no-mail-workers)");
        None
    };

    let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| {
        format!(
            "cannot listen on {}; is another server using it? Pass --listen with another address",
            config.listen
        )
    })?;
    tracing::info!(
        listen = %config.listen,
        base_url = %config.base_url,
        database = %redact_url(&config.storage.database_url),
        data_dir = %config.storage.data_dir.display(),
        "Dateline is serving"
    );
    let metrics = match config.metrics_listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
                format!("cannot listen for metrics on {addr}; pass --metrics-listen with another address")
            })?;
            tracing::info!(metrics_listen = %addr, "serving Prometheus metrics at /metrics");
            let stop = shutdown.clone();
            let app = metrics_router(state.clone());
            Some(tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await
            }))
        }
        None => None,
    };
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let stop = shutdown.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            wait_for_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            stop.cancel();
        })
        .await
        .context("the server stopped with an error")?;
    shutdown.cancel();
    let _ = refresher.await;
    if let Some(metrics) = metrics {
        let _ = metrics.await;
    }
    if let Some((worker, scheduler)) = mail {
        let _ = worker.await;
        let _ = scheduler.await;
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// How often the process looks for newsletters to make (marked articles
/// just published, digests whose hour came).
const SCHEDULE_EVERY: Duration = Duration::from_secs(5);

async fn run_schedule_loop(db: dateline_db::Db, shutdown: CancellationToken) {
    loop {
        if let Err(e) = dateline_mail::schedule::tick(&db, chrono::Utc::now()).await {
            tracing::warn!(error = %e, "cannot make scheduled newsletters; trying again shortly");
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(SCHEDULE_EVERY) => {}
        }
    }
}

pub(crate) async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
