//! A reader's browser for tests that need one: a client address (as the
//! connection's peer) and the cookies the site set.

use crate::support::{Resp, TestApp};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use std::net::SocketAddr;

/// A reader: a client address and the cookies their browser holds.
#[derive(Clone)]
pub struct Reader {
    ip: String,
    cookies: Vec<String>,
}

impl Reader {
    pub fn new(ip: &str) -> Self {
        Self {
            ip: ip.into(),
            cookies: Vec::new(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies.join("; ")
    }

    /// Keeps the cookies a response sets.
    pub fn keep(&mut self, r: &Resp) {
        for v in r.headers.get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap().to_owned();
            let name = pair.split('=').next().unwrap().to_owned();
            self.cookies.retain(|c| !c.starts_with(&format!("{name}=")));
            self.cookies.push(pair);
        }
    }
}

pub async fn send(
    app: &TestApp,
    reader: &Reader,
    req: axum::http::request::Builder,
    body: Body,
) -> Resp {
    let mut req = req
        .header("cookie", reader.cookie_header())
        .body(body)
        .unwrap();
    let addr: SocketAddr = format!("{}:40000", reader.ip).parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    app.request(req).await
}

pub async fn get(app: &TestApp, reader: &Reader, path: &str) -> Resp {
    send(app, reader, Request::get(path), Body::empty()).await
}

pub async fn post(app: &TestApp, reader: &mut Reader, path: &str, fields: &[(&str, &str)]) -> Resp {
    let req = Request::post(path).header("content-type", "application/x-www-form-urlencoded");
    let r = send(
        app,
        reader,
        req,
        Body::from(serde_urlencoded::to_string(fields).unwrap()),
    )
    .await;
    reader.keep(&r);
    r
}

pub async fn post_json(
    app: &TestApp,
    reader: &mut Reader,
    path: &str,
    fields: &[(&str, &str)],
) -> Resp {
    let req = Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json");
    let r = send(
        app,
        reader,
        req,
        Body::from(serde_urlencoded::to_string(fields).unwrap()),
    )
    .await;
    reader.keep(&r);
    r
}
