//! Image uploads: checked by decoding (never by the name or the declared
//! type), turned upright, stripped of metadata (re-encoding drops EXIF,
//! including location), and stored at a few widths for `srcset`.

use crate::auth::Upload;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{Datelike, Utc};
use dateline_core::{Actor, Capability, Slug};
use dateline_db::media::{self, Media, NewMedia, Variant};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Widths stored for every image (those narrower than the original).
const WIDTHS: [u32; 3] = [480, 960, 1600];
/// The widest copy kept.
const MAX_WIDTH: u32 = 2400;
/// Larger images are refused before they are decoded.
const MAX_SIDE: u32 = 12_000;

struct Processed {
    extension: &'static str,
    content_type: &'static str,
    width: u32,
    height: u32,
    /// (width, encoded bytes), narrowest first.
    copies: Vec<(u32, Vec<u8>)>,
}

fn not_an_image() -> AppError {
    AppError::UnsupportedMedia(
        "That file is not an image we can use: upload a JPEG, PNG, GIF or WebP picture.".into(),
    )
}

fn process(bytes: &[u8]) -> Result<Processed, AppError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| not_an_image())?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Gif | ImageFormat::WebP) => {}
        _ => return Err(not_an_image()),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| not_an_image())?;
    let orientation = decoder.orientation().map_err(|_| not_an_image())?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => AppError::PayloadTooLarge(format!(
            "That image is too large to process; keep it under {MAX_SIDE} pixels on each side."
        )),
        _ => not_an_image(),
    })?;
    img.apply_orientation(orientation);
    let (width, height) = (img.width(), img.height());
    if width < 16 || height < 16 {
        return Err(AppError::UnsupportedMedia(
            "That image is too small to show; upload one at least 16 pixels wide and high.".into(),
        ));
    }
    let keep_alpha = img.color().has_alpha();
    let largest = width.min(MAX_WIDTH);
    let mut widths: Vec<u32> = WIDTHS.into_iter().filter(|w| *w < largest).collect();
    widths.push(largest);
    let mut copies = Vec::with_capacity(widths.len());
    for w in widths {
        let h = ((u64::from(height) * u64::from(w)) / u64::from(width)).max(1) as u32;
        let sized = if w == width {
            img.clone()
        } else {
            img.resize_exact(w, h, image::imageops::FilterType::CatmullRom)
        };
        let mut out = Vec::new();
        if keep_alpha {
            sized
                .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot encode PNG: {e}")))?;
        } else {
            let rgb = sized.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
                .encode_image(&rgb)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot encode JPEG: {e}")))?;
        }
        copies.push((w, out));
    }
    Ok(Processed {
        extension: if keep_alpha { "png" } else { "jpg" },
        content_type: if keep_alpha {
            "image/png"
        } else {
            "image/jpeg"
        },
        width: largest,
        height: ((u64::from(height) * u64::from(largest)) / u64::from(width)) as u32,
        copies,
    })
}

/// Checks, resizes and stores an uploaded image; records it in the library.
pub async fn store(state: &AppState, actor: &Actor, upload: Upload) -> Result<Media, AppError> {
    crate::newsroom::require(actor, Capability::UploadMedia)?;
    if upload.bytes.len() as u64 > state.config.max_upload_bytes {
        return Err(AppError::PayloadTooLarge(format!(
            "That image is larger than {} MB; upload a smaller one.",
            state.config.max_upload_bytes / (1024 * 1024)
        )));
    }
    let bytes = upload.bytes.clone();
    let processed = tokio::task::spawn_blocking(move || process(&bytes))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;

    let now = Utc::now();
    let folder = format!("uploads/{}/{:02}", now.year(), now.month());
    let dir = state.config.data_dir.join("media").join(&folder);
    std::fs::create_dir_all(&dir)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot create {}: {e}", dir.display())))?;
    let stem = upload
        .file_name
        .rsplit_once('.')
        .map_or(upload.file_name.as_str(), |(s, _)| s);
    let name = Slug::from_text(stem, "image");
    let unique = &crate::auth::secrets::new_secret()[..8];
    let mut variants = Vec::new();
    let mut total = 0u64;
    for (w, data) in &processed.copies {
        let file = format!(
            "{}-{}-{w}.{}",
            unique.to_ascii_lowercase().replace(['-', '_'], "x"),
            name,
            processed.extension
        );
        std::fs::write(dir.join(&file), data)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot write {file}: {e}")))?;
        total += data.len() as u64;
        variants.push(Variant {
            width: *w,
            path: format!("/media/{folder}/{}", crate::urls::seg(&file)),
        });
    }
    let path = variants.last().map(|v| v.path.clone()).unwrap_or_default();
    let record = NewMedia {
        path,
        original_name: upload.file_name.chars().take(200).collect(),
        content_type: processed.content_type.to_owned(),
        width: processed.width,
        height: processed.height,
        bytes: total,
        variants,
    };
    Ok(media::record(&state.db, &record, Some(actor.user), now).await?)
}

/// `srcset` for an image URL that is one of our uploads.
pub async fn srcset(state: &AppState, url: &str) -> Option<String> {
    if !url.starts_with("/media/uploads/") {
        return None;
    }
    let m = media::by_path(&state.db, url).await.ok()??;
    (m.variants.len() > 1).then(|| {
        m.variants
            .iter()
            .map(|v| format!("{} {}w", v.path, v.width))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::new_rgb8(w, h);
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn makes_narrower_copies_and_caps_the_widest() {
        let p = process(&png(3000, 1500)).unwrap();
        let widths: Vec<u32> = p.copies.iter().map(|c| c.0).collect();
        assert_eq!(widths, [480, 960, 1600, 2400]);
        assert_eq!((p.width, p.height), (2400, 1200));
        assert_eq!(p.extension, "jpg", "no transparency: stored as JPEG");
        let small = process(&png(800, 600)).unwrap();
        assert_eq!(
            small.copies.iter().map(|c| c.0).collect::<Vec<_>>(),
            [480, 800]
        );
    }

    #[test]
    fn refuses_what_is_not_an_image() {
        assert!(matches!(
            process(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Err(AppError::UnsupportedMedia(_))
        ));
        assert!(matches!(
            process(b"GIF89a not really"),
            Err(AppError::UnsupportedMedia(_))
        ));
        assert!(matches!(
            process(&png(8, 8)),
            Err(AppError::UnsupportedMedia(_))
        ));
    }
}
