//! Image uploads are bounded: an image with more pixels than the newsroom
//! processes is refused from its header, before anything is decoded, with a
//! message that says why, through every door (the editor keeps the form).

use crate::support::{TestApp, multipart, sparse_png};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use dateline_core::Role;
use dateline_db::both_databases;
use dateline_db::testing::TestDb;

/// 12,000 × 11,000 pixels in about 400 KB: 400 MB once decoded.
fn decompression_bomb() -> Vec<u8> {
    let png = sparse_png(12_000, 11_000);
    assert!(png.len() < 1024 * 1024, "{} bytes", png.len());
    png
}

async fn a_huge_image_in_a_small_file_is_refused_from_its_header(db: TestDb) {
    let app = TestApp::new(db).await;
    let b = app.browser(Role::Author).await;
    let bomb = decompression_bomb();

    // In the editor: the problem beside the image field, the form kept.
    let r = app
        .post_multipart_as(
            &b,
            "/admin/articles/new",
            &[("headline", "Night shift at the port"), ("body", "Text.")],
            &[("image_file", "quay.png", "image/png", &bomb)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let message = r.select("#image_file-error").join(" ");
    assert!(
        message.contains("12000 × 11000 pixels") && message.contains("50 megapixels"),
        "{message}"
    );
    assert_eq!(r.attrs("#headline", "value"), ["Night shift at the port"]);

    // In the image library.
    let r = app
        .post_multipart_as(
            &b,
            "/admin/media",
            &[],
            &[("file", "quay.png", "image/png", &bomb)],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        r.select("#file-error")[0].contains("132 megapixels"),
        "{}",
        r.text()
    );

    // Through the admin API, as JSON.
    let token = app.token(&b.user).await;
    let (content_type, body) = multipart(&[], &[("file", "quay.png", "image/png", &bomb)]);
    let req = Request::post("/api/v1/admin/media")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    let r = app.request(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("50 megapixels"), "{message}");

    assert!(
        dateline_db::media::recent(&app.db.db, 5)
            .await
            .unwrap()
            .is_empty(),
        "nothing was stored"
    );
}

both_databases!(a_huge_image_in_a_small_file_is_refused_from_its_header);
