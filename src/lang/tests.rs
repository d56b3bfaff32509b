//! Unit tests of the `.spec` reader.
