//! Embeds the demo content (`demo/*.md`, `demo/media/*`) in the binary, so
//! `dateline demo` works from the binary alone.

use std::fmt::Write;
use std::path::Path;

fn list(dir: &Path, ext: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(ext))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rerun-if-changed={}", root.join("media").display());
    let mut out = String::from(
        "/// Demo articles: (file name, text), in loading order.\npub const ARTICLES: &[(&str, &str)] = &[\n",
    );
    for name in list(&root, ".md") {
        let path = root.join(&name);
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n\n/// Demo media: (file name, bytes), written to DATA_DIR/media/demo/.\npub const MEDIA: &[(&str, &[u8])] = &[\n");
    for name in list(&root.join("media"), ".svg") {
        let path = root.join("media").join(&name);
        let _ = writeln!(
            out,
            "    ({name:?}, include_bytes!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo"))
        .join("demo_files.rs");
    std::fs::write(dest, out).expect("write demo_files.rs");
}
