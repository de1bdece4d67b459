//! JSON pieces the three decoders share.
//!
//! - [`Scalar`]: any JSON value, read without failing and without allocating
//!   (strings borrow from the payload unless they hold escapes; arrays and
//!   objects are skipped and only their kind is kept), so one bad field becomes
//!   one rejection instead of a parse error for the whole message;
//! - [`Key`]: an object key, borrowed when it can be;
//! - [`ObjectOr`]: reads a JSON object with a [`MapVisit`], or records what
//!   else the value was;
//! - [`parse`]: runs a decoder over the payload and survives numbers too large
//!   for a 64-bit float, which serde_json refuses outright (`1e400`): such a
//!   number is rewritten as a marked string, which [`Scalar`] reads back as an
//!   infinity, so only the reading that holds it is refused, as non-finite.
use std::borrow::Cow;
use std::fmt;

use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::error::Category;

use super::{RejectReason, Rejection};

/// First character of the string a too-large number is rewritten to.
const HUGE: char = '\u{0}';

/// How many too-large numbers one payload may hold before it is refused whole.
const MAX_HUGE_NUMBERS: usize = 32;

/// Any JSON value, as far as a decoder cares.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits an `i64`.
    Int(i64),
    /// Any other number (never NaN; infinite only for a rewritten huge number).
    Num(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// An array (contents skipped).
    Array,
    /// An object (contents skipped).
    Object,
}

impl Scalar<'_> {
    /// What the value is, for a sentence (`a string`).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "a boolean",
            Scalar::Int(_) | Scalar::Num(_) => "a number",
            Scalar::Str(_) => "a string",
            Scalar::Array => "an array",
            Scalar::Object => "an object",
        }
    }

    /// The value of a JSON number.
    pub(crate) fn number(&self) -> Option<f64> {
        match *self {
            Scalar::Int(i) => Some(i as f64),
            Scalar::Num(x) => Some(x),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

/// A rewritten huge number (see [`parse`]) back to its (infinite) value.
fn unmark(text: &str) -> Option<Scalar<'static>> {
    text.strip_prefix(HUGE)?.parse().ok().map(Scalar::Num)
}

/// What a JSON string is: `a string`, or `a number` if it is a rewritten huge number.
pub(crate) fn str_kind(v: &str) -> &'static str {
    if unmark(v).is_some() {
        "a number"
    } else {
        "a string"
    }
}

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Scalar::Num(v as f64), Scalar::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Num(v))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(unmark(v).unwrap_or(Scalar::Str(Cow::Borrowed(v))))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(unmark(v).unwrap_or_else(|| Scalar::Str(Cow::Owned(v.to_owned()))))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(unmark(&v).unwrap_or(Scalar::Str(Cow::Owned(v))))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Scalar::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Object)
    }
}

/// An object key: borrowed from the payload unless it holds escapes.
pub(crate) struct Key<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Reads the entries of a JSON object.
pub(crate) trait MapVisit<'de> {
    /// What the object becomes.
    type Out;
    /// Reads every entry of `map`.
    fn visit<A: MapAccess<'de>>(self, map: A) -> Result<Self::Out, A::Error>;
}

/// A JSON value that should be an object.
#[derive(Debug)]
pub(crate) enum Shape<T> {
    /// It was an object, read into `T`.
    Object(T),
    /// It was `null`.
    Null,
    /// It was something else (`a number`).
    Other(&'static str),
}

/// Reads an object with the [`MapVisit`] it holds, or notes what else the value is.
pub(crate) struct ObjectOr<M>(pub(crate) M);

impl<'de, M: MapVisit<'de>> DeserializeSeed<'de> for ObjectOr<M> {
    type Value = Shape<M::Out>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, M: MapVisit<'de>> Visitor<'de> for ObjectOr<M> {
    type Value = Shape<M::Out>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit(map).map(Shape::Object)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Shape::Other("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Shape::Other("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Shape::Other("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Shape::Other("a number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Shape::Other(str_kind(v)))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Shape::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Shape::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Shape::Other("an array"))
    }
}

/// Runs `decode` over `text`, a whole payload.
///
/// serde_json refuses a number too large for an `f64` (`1e400`) as a syntax
/// error. When that happens, the number is rewritten in a copy of the payload
/// as a string marked with a NUL character, which [`Scalar`] reads back as
/// the infinity it stands for, and `decode` runs again on the copy; so the
/// reading that holds it can be refused alone, as non-finite. `decode` must
/// therefore start afresh on every call.
pub(crate) fn parse<T>(
    text: &str,
    mut decode: impl FnMut(&str) -> serde_json::Result<T>,
) -> serde_json::Result<T> {
    let mut rewritten: Option<String> = None;
    for _ in 0..MAX_HUGE_NUMBERS {
        let current = rewritten.as_deref().unwrap_or(text);
        let err = match decode(current) {
            Ok(v) => return Ok(v),
            Err(err) => err,
        };
        if !is_out_of_range(&err) {
            return Err(err);
        }
        match mark_huge_number(current, &err) {
            Some(next) => rewritten = Some(next),
            None => return Err(err),
        }
    }
    decode(rewritten.as_deref().unwrap_or(text))
}

fn is_out_of_range(err: &serde_json::Error) -> bool {
    err.classify() == Category::Syntax && err.to_string().starts_with("number out of range")
}

fn is_number_byte(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
}

/// `text` with the number serde_json stopped at (`err` points at its last
/// byte) rewritten as the marked string `"\u0000<number>"`.
fn mark_huge_number(text: &str, err: &serde_json::Error) -> Option<String> {
    let bytes = text.as_bytes();
    let line_start = if err.line() <= 1 {
        0
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .nth(err.line() - 2)?
            .0
            + 1
    };
    // serde_json's column counts bytes, from 1.
    let last = line_start.checked_add(err.column().checked_sub(1)?)?;
    if !bytes.get(last).copied().is_some_and(is_number_byte) {
        return None;
    }
    let mut start = last;
    while start > 0 && is_number_byte(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = last + 1;
    while end < bytes.len() && is_number_byte(bytes[end]) {
        end += 1;
    }
    // Both ends sit next to ASCII bytes, so they are character boundaries.
    let number = &text[start..end];
    if !number.parse::<f64>().is_ok_and(f64::is_infinite) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..start]);
    out.push_str("\"\\u0000");
    out.push_str(number);
    out.push('"');
    out.push_str(&text[end..]);
    Some(out)
}

/// The rejection for a payload serde_json could not read; `what` names it
/// (`native payload`, `zigbee2mqtt device "Hall"`).
pub(crate) fn rejection(err: &serde_json::Error, what: impl fmt::Display) -> Rejection {
    if is_out_of_range(err) {
        Rejection::new(
            RejectReason::NonFinite,
            format!(
                "{what}: the number at line {}, column {} is too large for a 64-bit float",
                err.line(),
                err.column()
            ),
        )
    } else if err.classify() == Category::Data {
        Rejection::new(RejectReason::WrongType, format!("{what}: {err}"))
    } else {
        Rejection::new(
            RejectReason::InvalidJson,
            format!("{what} is not JSON: {err}"),
        )
    }
}
