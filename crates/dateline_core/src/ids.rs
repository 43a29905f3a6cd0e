//! Newtype ids, so an article id can never be passed where an author id is meant.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// The id of an article row.
    ArticleId
);
id_type!(
    /// The id of an author row.
    AuthorId
);
id_type!(
    /// The id of a tag row.
    TagId
);
id_type!(
    /// The id of a section row.
    SectionId
);
