//! Signed link tokens (`ID.EXPIRES.SIGNATURE`) as they arrive in a URL.
//!
//! An attacker cannot forge a signature, so the fuzzer gets one: the input
//! gives an id's and an expiry's text, the target signs the numbers they
//! parse to, and sends the text with that signature. A token is accepted
//! only in the one spelling the site makes (no `+1`, `01`, `-0`), only for
//! its purpose, only before it expires; and any text at all is refused or
//! accepted without a panic.
#![no_main]

use dateline_core::signing::{LinkError, Purpose, Signer};
use dateline_fuzz::{fields, text};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else { return };
    let signer = Signer::new(b"fuzzing key");
    for purpose in [Purpose::Confirm, Purpose::Manage, Purpose::Unfollow] {
        if let Ok(id) = signer.verify(purpose, text, NOW) {
            assert_eq!(signer.sign(purpose, id, None), text, "forged: {text:?}");
        }
    }
    let [id_text, expires_text] = fields(text);
    let (Ok(id), Ok(expires)) = (id_text.parse::<i64>(), expires_text.parse::<i64>()) else {
        return;
    };
    let made = signer.sign(Purpose::Confirm, id, Some(expires));
    let signature = made.rsplit('.').next().unwrap_or_default();
    let token = format!("{id_text}.{expires_text}.{signature}");
    let canonical = token == made;
    match signer.verify(Purpose::Confirm, &token, NOW) {
        Ok(got) => {
            assert!(canonical, "{token:?} accepted for {made:?}");
            assert_eq!(got, id);
            assert!(expires == 0 || NOW < expires);
        }
        Err(LinkError::Expired) => assert!(canonical && expires != 0 && NOW >= expires),
        Err(LinkError::Invalid) => assert!(!canonical, "{token:?} refused"),
    }
    assert_eq!(
        signer.verify(Purpose::Manage, &token, NOW),
        Err(LinkError::Invalid),
        "a confirm token works as a manage token: {token:?}"
    );
});
