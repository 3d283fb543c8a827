//! Generators for the models. Serde's `#[serde(flatten)]` would keep unknown fields too, but it
//! buffers every field of every instrument into an intermediate tree before decoding it, which
//! roughly doubles the cost of reading a cached list. These hand-rolled impls decode in one pass
//! and only pay for unknown fields when there are some.

/// Declares a Bybit object: named required fields, optional fields (`Option<T>`, with `""` and
/// `null` recorded in `blanks`), and an `extra` map for fields the model does not know.
macro_rules! bybit_model {
    (
        $(#[$smeta:meta])*
        pub struct $name:ident {
            required { $( $(#[$rmeta:meta])* $rf:ident : $rt:ty = $rk:literal ),* $(,)? }
            optional { $( $(#[$ometa:meta])* $of:ident : $ot:ty = $ok:literal ),* $(,)? }
        }
    ) => {
        $(#[$smeta])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $( $(#[$rmeta])* pub $rf: $rt, )*
            $( $(#[$ometa])* pub $of: Option<$ot>, )*
            /// Optional fields Bybit sent as `""` or `null`, so that serializing writes them back.
            pub blanks: $crate::models::field::Blanks,
            /// Fields this model does not know, kept as Bybit sent them.
            pub extra: $crate::models::extra::Extra,
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap;
                #[allow(non_camel_case_types, dead_code, clippy::enum_variant_names)]
                enum F { $($of,)* }
                let extra = self.extra.to_map();
                let mut len = extra.len() $( + { let _ = $rk; 1 } )*;
                $(
                    if self.$of.is_some() || self.blanks.get(F::$of as u32).is_some() {
                        len += 1;
                    }
                )*
                let mut map = serializer.serialize_map(Some(len))?;
                $( map.serialize_entry($rk, &self.$rf)?; )*
                $(
                    match &self.$of {
                        Some(v) => map.serialize_entry($ok, v)?,
                        None => $crate::models::field::serialize_blank(
                            &mut map, $ok, self.blanks.get(F::$of as u32))?,
                    }
                )*
                for (k, v) in &extra {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }

        impl $crate::models::positional::WritePositional for $name {
            fn write_positional<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeTuple;
                use $crate::models::positional::Positional;
                const FIELDS: usize = 0 $( + { let _ = $rk; 1 } )* $( + { let _ = $ok; 1 } )*;
                // The masks and unknown fields only when there are some: nearly every object
                // has none, and three elements fewer to read is a tenth of decoding it.
                let tail = !self.blanks.is_none() || !self.extra.is_empty();
                let mut tuple = serializer.serialize_tuple(FIELDS + if tail { 3 } else { 0 })?;
                $( tuple.serialize_element(&self.$rf)?; )*
                $( tuple.serialize_element(&Positional(&self.$of))?; )*
                if tail {
                    let (empty, null) = self.blanks.masks();
                    tuple.serialize_element(&empty)?;
                    tuple.serialize_element(&null)?;
                    tuple.serialize_element(&Positional(&self.extra))?;
                }
                tuple.end()
            }
        }

        impl $crate::models::field::FillFromMap for $name {
            fn fill_from_seq<'de, A: ::serde::de::SeqAccess<'de>>(
                &mut self,
                mut seq: A,
            ) -> Result<(), A::Error> {
                use $crate::models::field::FillSeed;
                let mut index = 0usize;
                let missing = |index: usize| {
                    <A::Error as ::serde::de::Error>::invalid_length(
                        index, &concat!("a positional ", stringify!($name)))
                };
                $(
                    self.$rf = seq.next_element()?.ok_or_else(|| missing(index))?;
                    index += 1;
                )*
                $(
                    // A blank reads as nil here; the masks below say which kind it was.
                    seq.next_element_seed(FillSeed(&mut self.$of))?.ok_or_else(|| missing(index))?;
                    index += 1;
                )*
                // Without the masks and unknown fields the array ends here.
                let Some(empty) = seq.next_element::<u64>()? else {
                    return Ok(());
                };
                let null: u64 = seq.next_element()?.ok_or_else(|| missing(index + 1))?;
                self.blanks = $crate::models::field::Blanks::from_masks(empty, null);
                seq.next_element_seed($crate::models::extra::ExtraSeed(&mut self.extra))?
                    .ok_or_else(|| missing(index + 2))?;
                if seq.next_element::<::serde::de::IgnoredAny>()?.is_some() {
                    return Err(missing(index + 4));
                }
                Ok(())
            }

            fn fill_from_map<'de, A: ::serde::de::MapAccess<'de>>(
                &mut self,
                mut map: A,
            ) -> Result<(), A::Error> {
                use $crate::models::field::{FillSeed, Key};
                #[allow(non_camel_case_types, dead_code, clippy::enum_variant_names)]
                enum F { $($of,)* }
                $( let mut $rf: Option<$rt> = None; )*
                let mut unknown = Vec::<(Key<'de>, ::serde_json::Value)>::new();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    match key.as_str() {
                        // A field sent twice has no single value to keep and write back
                        // (serde's derive refuses it too).
                        $( $rk => {
                            if $rf.is_some() {
                                return Err(<A::Error as ::serde::de::Error>::duplicate_field($rk));
                            }
                            $rf = Some(map.next_value()?);
                        } )*
                        $(
                            $ok => {
                                if self.$of.is_some() || self.blanks.get(F::$of as u32).is_some() {
                                    return Err(<A::Error as ::serde::de::Error>::duplicate_field($ok));
                                }
                                if let Some(blank) = map.next_value_seed(FillSeed(&mut self.$of))? {
                                    self.blanks.set(F::$of as u32, blank);
                                }
                            }
                        )*
                        _ => {
                            let value: ::serde_json::Value = map.next_value()?;
                            unknown.push((key, value));
                        }
                    }
                }
                if !unknown.is_empty() {
                    self.extra = $crate::models::extra::Extra::from_entries(unknown).ok_or_else(
                        || <A::Error as ::serde::de::Error>::custom($crate::models::extra::TOO_DEEP))?;
                }
                $(
                    self.$rf = $rf.ok_or_else(
                        || <A::Error as ::serde::de::Error>::missing_field($rk))?;
                )*
                Ok(())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> ::serde::de::Visitor<'de> for V {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a Bybit ", stringify!($name), " object"))
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, map: A) -> Result<$name, A::Error> {
                        let mut out = $name::default();
                        $crate::models::field::FillFromMap::fill_from_map(&mut out, map)?;
                        Ok(out)
                    }

                    fn visit_seq<A: ::serde::de::SeqAccess<'de>>(self, seq: A) -> Result<$name, A::Error> {
                        let mut out = $name::default();
                        $crate::models::field::FillFromMap::fill_from_seq(&mut out, seq)?;
                        Ok(out)
                    }
                }
                deserializer.deserialize_map(V)
            }
        }

        impl $crate::models::field::FieldValue for $name {
            fn slot<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<$crate::models::field::Slot<Self>, D::Error> {
                $crate::models::field::nullable(deserializer)
            }

            fn fill<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
                place: &mut Option<Self>,
            ) -> Result<Option<$crate::models::field::Blank>, D::Error> {
                $crate::models::field::fill_model(deserializer, place)
            }
        }

        impl $crate::models::HeapSize for $name {
            fn heap_size(&self) -> usize {
                self.extra.heap_size() $( + self.$rf.heap_size() )* $( + self.$of.heap_size() )*
            }
        }
    };
}
pub(crate) use bybit_model;

/// Declares a string enum that keeps values it does not know in `Other`, spelled as sent.
///
/// The positional form writes a known value as its index among the variants (a one-byte
/// integer, read without a UTF-8 check or a string match), so adding, removing or reordering
/// a variant changes [`SCHEMA_VERSION`](super::SCHEMA_VERSION). Binary formats read the index
/// as well as the name; human-readable ones only the name.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $v:ident = $s:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $v, )*
            /// A value this crate does not know, kept exactly as Bybit sent it.
            Other(::compact_str::CompactString),
        }

        impl $name {
            /// The value as Bybit spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$v => $s, )*
                    Self::Other(s) => s,
                }
            }

            /// Reads Bybit's spelling; a value this crate does not know becomes `Other`.
            pub fn parse(s: &str) -> Self {
                match s {
                    $( $s => Self::$v, )*
                    other => Self::Other(other.into()),
                }
            }

            /// The index of a known value in the positional form.
            fn index(&self) -> Option<u8> {
                #[allow(non_camel_case_types, dead_code)]
                #[repr(u8)]
                enum I { $($v,)* }
                match self {
                    $( Self::$v => Some(I::$v as u8), )*
                    Self::Other(_) => None,
                }
            }

            /// The known value at `index` in the positional form.
            #[inline]
            fn from_index(index: u64) -> Option<Self> {
                #[allow(non_camel_case_types, dead_code)]
                #[repr(u8)]
                enum I { $($v,)* }
                match index {
                    $( i if i == I::$v as u64 => Some(Self::$v), )*
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V {
                    binary: bool,
                }
                impl ::serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " string"))
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::parse(v))
                    }
                    fn visit_u64<E: ::serde::de::Error>(self, v: u64) -> Result<$name, E> {
                        $name::from_index(v).filter(|_| self.binary).ok_or_else(|| {
                            E::invalid_type(::serde::de::Unexpected::Unsigned(v), &self)
                        })
                    }
                }
                let binary = !deserializer.is_human_readable();
                deserializer.deserialize_str(V { binary })
            }
        }

        impl $crate::models::text::Text for $name {
            const EXPECTING: &'static str = concat!("a ", stringify!($name), " string");
            const TAKES_BYTES: bool = false;

            #[inline]
            fn from_text(s: &str) -> Self {
                Self::parse(s)
            }

            #[inline]
            fn from_index(index: u64) -> Option<Self> {
                Self::from_index(index)
            }
        }

        impl $crate::models::field::FieldValue for $name {
            fn slot<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<$crate::models::field::Slot<Self>, D::Error> {
                $crate::models::field::nullable(deserializer)
            }

            #[inline]
            fn fill<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
                place: &mut Option<Self>,
            ) -> Result<Option<$crate::models::field::Blank>, D::Error> {
                $crate::models::text::fill(deserializer, place)
            }
        }
        impl $crate::models::HeapSize for $name {
            fn heap_size(&self) -> usize {
                match self {
                    Self::Other(s) => $crate::models::HeapSize::heap_size(s),
                    _ => 0,
                }
            }
        }
        impl $crate::models::positional::WritePositional for $name {
            fn write_positional<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                match self.index() {
                    Some(index) => serializer.serialize_u8(index),
                    None => serializer.serialize_str(self.as_str()),
                }
            }
        }
    };
}
pub(crate) use string_enum;
