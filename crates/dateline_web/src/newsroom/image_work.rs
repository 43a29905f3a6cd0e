//! Decoding and resizing one uploaded image: blocking work, which
//! `images::store` runs off the async threads, a few at a time.
//!
//! An upload is small on the wire but not in memory (a 400 KB PNG can claim
//! 12,000 × 11,000 pixels, 400 MB decoded), so the size is read from the
//! file's header and an image with too many pixels, or that would take too
//! much memory, is refused before a pixel is decoded. The full image is then
//! reduced once, in 8 bits a channel, to the largest copy kept, and turned
//! upright; the smaller copies are made from that copy. Re-encoding drops
//! metadata (EXIF, including location). This module must never decode a file
//! whose header it has not checked.

use crate::error::AppError;
use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, MulDiv, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;
use std::time::Instant;

/// Most pixels an upload may have: the full frame of a 45-megapixel camera
/// (8192 × 5464) or a 48-megapixel phone (8000 × 6000); more than any page
/// needs, as the widest copy kept is 2400 pixels.
pub const MAX_PIXELS: u64 = 50_000_000;
/// Longest side, whatever the pixel count (a panorama of 16,384 × 3,000 is
/// fine; a line of 100,000 pixels is not a picture).
const MAX_SIDE: u32 = 16_384;
/// Most memory the decoded image may take: 50 megapixels in 8-bit RGBA, but
/// not in 16 bits a channel.
const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;
/// Smallest side shown.
const MIN_SIDE: u32 = 16;
/// Widths stored for every image (those narrower than the original).
const WIDTHS: [u32; 3] = [480, 960, 1600];
/// The widest copy kept.
const MAX_WIDTH: u32 = 2400;

pub struct Processed {
    pub extension: &'static str,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    /// (width, encoded bytes), narrowest first.
    pub copies: Vec<(u32, Vec<u8>)>,
}

fn not_an_image() -> AppError {
    AppError::UnsupportedMedia(
        "That file is not an image we can use: upload a JPEG, PNG, GIF or WebP picture.".into(),
    )
}

fn too_many_pixels(width: u32, height: u32) -> AppError {
    let megapixels = (u64::from(width) * u64::from(height)).div_ceil(1_000_000);
    AppError::PayloadTooLarge(format!(
        "That image is {width} × {height} pixels ({megapixels} megapixels); we take images of up to {} megapixels and {MAX_SIDE} pixels a side. Save a smaller copy (6000 pixels wide is plenty) and upload that.",
        MAX_PIXELS / 1_000_000
    ))
}

pub fn took_too_long() -> AppError {
    AppError::Unavailable(
        "Processing that image took too long, so it was not stored. Try again, or upload a smaller copy."
            .into(),
    )
}

/// Whether time is up; checked between steps, as a step cannot be stopped.
fn on_time(deadline: Instant) -> Result<(), AppError> {
    if Instant::now() > deadline {
        Err(took_too_long())
    } else {
        Ok(())
    }
}

/// Refuses, from the header alone, what would take too much to decode.
fn check_header(decoder: &impl ImageDecoder) -> Result<(), AppError> {
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS || width.max(height) > MAX_SIDE {
        return Err(too_many_pixels(width, height));
    }
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(AppError::PayloadTooLarge(format!(
            "That image has {} bits a colour and would take {} MB of memory to process; save it as an ordinary 8-bit JPEG or PNG, or smaller.",
            8 * u64::from(decoder.color_type().bytes_per_pixel())
                / u64::from(decoder.color_type().channel_count()),
            decoder.total_bytes() / (1024 * 1024)
        )));
    }
    Ok(())
}

/// Whether turning the image upright swaps its width and height.
fn swaps_sides(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// 8-bit pixels to resize, with alpha multiplied in when the image has it.
struct Pixels {
    image: Image<'static>,
    alpha: bool,
}

impl Pixels {
    fn of(img: DynamicImage) -> Result<Self, AppError> {
        let (width, height) = (img.width(), img.height());
        let alpha = img.color().has_alpha();
        let (bytes, kind) = if alpha {
            (img.into_rgba8().into_raw(), PixelType::U8x4)
        } else {
            (img.into_rgb8().into_raw(), PixelType::U8x3)
        };
        let mut image = Image::from_vec_u8(width, height, bytes, kind)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("image buffer: {e}")))?;
        if alpha {
            // In place: the resizer would otherwise copy the whole image to do it.
            MulDiv::new()
                .multiply_alpha_inplace(&mut image)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("premultiply: {e}")))?;
        }
        Ok(Self { image, alpha })
    }

    fn resized(&self, width: u32, height: u32) -> Result<Self, AppError> {
        let mut out = Image::new(width, height, self.image.pixel_type());
        let options = ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom))
            .use_alpha(false);
        Resizer::new()
            .resize(&self.image, &mut out, &options)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("resize: {e}")))?;
        Ok(Self {
            image: out,
            alpha: self.alpha,
        })
    }

    /// Back to an image to turn or encode (alpha divided out again).
    fn into_dynamic(mut self) -> Result<DynamicImage, AppError> {
        let (width, height) = (self.image.width(), self.image.height());
        if self.alpha {
            MulDiv::new()
                .divide_alpha_inplace(&mut self.image)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("unpremultiply: {e}")))?;
        }
        let bytes = self.image.into_vec();
        let img = if self.alpha {
            image::RgbaImage::from_raw(width, height, bytes).map(DynamicImage::ImageRgba8)
        } else {
            image::RgbImage::from_raw(width, height, bytes).map(DynamicImage::ImageRgb8)
        };
        img.ok_or_else(|| AppError::Internal(anyhow::anyhow!("resized buffer has the wrong size")))
    }
}

/// The image in 8 bits a channel, RGB or RGBA, as it is stored.
fn eight_bits(img: DynamicImage) -> DynamicImage {
    if img.color().has_alpha() {
        DynamicImage::ImageRgba8(img.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(img.into_rgb8())
    }
}

fn encode(img: &DynamicImage, alpha: bool) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::new();
    if alpha {
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot encode PNG: {e}")))?;
    } else {
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
            .encode_image(img)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot encode JPEG: {e}")))?;
    }
    Ok(out)
}

/// The height of a copy `width` wide of an image `w` × `h`.
fn scaled(h: u32, w: u32, width: u32) -> u32 {
    ((u64::from(h) * u64::from(width)) / u64::from(w)).max(1) as u32
}

/// Checks, decodes and resizes an upload; gives up at `deadline`.
pub fn process(bytes: &[u8], deadline: Instant) -> Result<Processed, AppError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| not_an_image())?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Gif | ImageFormat::WebP) => {}
        _ => return Err(not_an_image()),
    }
    // The decoders' own guard, should one allocate more than its header
    // said; the header itself is judged by `check_header`.
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES + 64 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| not_an_image())?;
    check_header(&decoder)?;
    let orientation = decoder.orientation().map_err(|_| not_an_image())?;
    let img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => {
            AppError::PayloadTooLarge("That image is too large for us to process.".into())
        }
        _ => not_an_image(),
    })?;
    on_time(deadline)?;

    let swaps = swaps_sides(orientation);
    let (width, height) = if swaps {
        (img.height(), img.width())
    } else {
        (img.width(), img.height())
    };
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(AppError::UnsupportedMedia(
            "That image is too small to show; upload one at least 16 pixels wide and high.".into(),
        ));
    }
    let largest = width.min(MAX_WIDTH);
    let largest_height = scaled(height, width, largest);
    let mut upright = if largest == width {
        eight_bits(img)
    } else if swaps {
        Pixels::of(img)?
            .resized(largest_height, largest)?
            .into_dynamic()?
    } else {
        Pixels::of(img)?
            .resized(largest, largest_height)?
            .into_dynamic()?
    };
    on_time(deadline)?;
    upright.apply_orientation(orientation);
    let alpha = upright.color().has_alpha();
    let widest = encode(&upright, alpha)?;

    let mut copies = Vec::with_capacity(WIDTHS.len() + 1);
    let source = Pixels::of(upright)?;
    for w in WIDTHS.into_iter().filter(|w| *w < largest) {
        let copy = source
            .resized(w, scaled(largest_height, largest, w))?
            .into_dynamic()?;
        copies.push((w, encode(&copy, alpha)?));
        on_time(deadline)?;
    }
    copies.push((largest, widest));
    Ok(Processed {
        extension: if alpha { "png" } else { "jpg" },
        content_type: if alpha { "image/png" } else { "image/jpeg" },
        width: largest,
        height: largest_height,
        copies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        DynamicImage::new_rgb8(w, h)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    fn chunk(out: &mut Vec<u8>, kind_and_data: &[u8]) {
        out.extend_from_slice(&(kind_and_data.len() as u32 - 4).to_be_bytes());
        out.extend_from_slice(kind_and_data);
        let mut crc = flate2::Crc::new();
        crc.update(kind_and_data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }

    /// A PNG's header and the first two bytes of its pixels: nothing to
    /// decode.
    fn png_header(width: u32, height: u32, bit_depth: u8, colour: u8) -> Vec<u8> {
        let mut header = b"IHDR".to_vec();
        header.extend_from_slice(&width.to_be_bytes());
        header.extend_from_slice(&height.to_be_bytes());
        header.extend_from_slice(&[bit_depth, colour, 0, 0, 0]);
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        chunk(&mut out, &header);
        chunk(&mut out, b"IDAT\x78\x9c");
        out
    }

    #[test]
    fn makes_narrower_copies_and_caps_the_widest() {
        let p = process(&png(3000, 1500), later()).unwrap();
        let widths: Vec<u32> = p.copies.iter().map(|c| c.0).collect();
        assert_eq!(widths, [480, 960, 1600, 2400]);
        assert_eq!((p.width, p.height), (2400, 1200));
        assert_eq!(p.extension, "jpg", "no transparency: stored as JPEG");
        for (w, bytes) in &p.copies {
            let img = image::load_from_memory(bytes).unwrap();
            assert_eq!((img.width(), img.height()), (*w, w / 2));
        }
        let small = process(&png(800, 600), later()).unwrap();
        assert_eq!(
            small.copies.iter().map(|c| c.0).collect::<Vec<_>>(),
            [480, 800]
        );
    }

    #[test]
    fn keeps_transparency_and_its_colours() {
        let mut img = image::RgbaImage::new(1000, 500);
        for px in img.pixels_mut() {
            *px = image::Rgba([200, 40, 40, 128]);
        }
        let mut bytes = Vec::new();
        DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        let p = process(&bytes, later()).unwrap();
        assert_eq!(p.extension, "png");
        let copy = image::load_from_memory(&p.copies[0].1).unwrap().to_rgba8();
        let px = copy.get_pixel(100, 100).0;
        assert!(
            px[3].abs_diff(128) <= 1 && px[0].abs_diff(200) <= 2,
            "{px:?}"
        );
    }

    #[test]
    fn turns_the_image_upright_before_measuring_it() {
        // A camera held upright writes landscape pixels, red at the top
        // left, and EXIF orientation 6: "turn 90° clockwise to view".
        let mut img = image::RgbImage::from_pixel(1200, 800, image::Rgb([240, 240, 240]));
        for (x, y, px) in img.enumerate_pixels_mut() {
            if x < 200 && y < 200 {
                *px = image::Rgb([220, 0, 0]);
            }
        }
        let exif = b"MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00";
        let mut bytes = Vec::new();
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90);
        image::ImageEncoder::set_exif_metadata(&mut encoder, exif.to_vec()).unwrap();
        encoder.encode_image(&img).unwrap();

        let p = process(&bytes, later()).unwrap();
        assert_eq!((p.width, p.height), (800, 1200), "measured upright");
        assert_eq!(p.copies.iter().map(|c| c.0).collect::<Vec<_>>(), [480, 800]);
        let upright = image::load_from_memory(&p.copies[1].1).unwrap().to_rgb8();
        assert_eq!(upright.dimensions(), (800, 1200));
        let top_right = upright.get_pixel(700, 100).0;
        let top_left = upright.get_pixel(100, 100).0;
        assert!(top_right[0] > 180 && top_right[1] < 60, "{top_right:?}");
        assert!(top_left[1] > 180, "{top_left:?}");
    }

    #[test]
    fn refuses_from_the_header_what_is_too_big_to_decode() {
        // No pixel data follows these headers: refusing them proves the
        // decision is made before decoding.
        for (w, h) in [(12_000, 11_000), (100_000, 100_000), (20_000, 100)] {
            match process(&png_header(w, h, 8, 2), later()) {
                Err(AppError::PayloadTooLarge(m)) => {
                    assert!(m.contains(&format!("{w} × {h} pixels")), "{m}")
                }
                other => panic!("{w} × {h}: {:?}", other.err()),
            }
        }
        // 40 megapixels in 16-bit RGBA is 320 MB decoded.
        match process(&png_header(8000, 5000, 16, 6), later()) {
            Err(AppError::PayloadTooLarge(m)) => assert!(m.contains("16 bits"), "{m}"),
            other => panic!("{:?}", other.err()),
        }
        // Within the limits, a header without pixels is just not an image.
        assert!(matches!(
            process(&png_header(4000, 3000, 8, 2), later()),
            Err(AppError::UnsupportedMedia(_))
        ));
    }

    #[test]
    fn gives_up_when_time_is_up() {
        let past = Instant::now() - Duration::from_millis(1);
        assert!(matches!(
            process(&png(3000, 1500), past),
            Err(AppError::Unavailable(_))
        ));
    }

    #[test]
    fn refuses_what_is_not_an_image() {
        assert!(matches!(
            process(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>", later()),
            Err(AppError::UnsupportedMedia(_))
        ));
        assert!(matches!(
            process(b"GIF89a\x10\x00\x10\x00 not really", later()),
            Err(AppError::UnsupportedMedia(_))
        ));
        assert!(matches!(
            process(&png(8, 8), later()),
            Err(AppError::UnsupportedMedia(_))
        ));
    }
}
