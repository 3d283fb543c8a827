//! `serde::Deserializer`: which visitor method each marker calls, as rmp-serde 1.3 decides.

use serde::de::value::SeqDeserializer;
use serde::de::{self, Visitor};

use super::access::{Entries, Items, UnitVariant, Variant};
use super::{Deserializer, Error};

/// The name rmp-serde gives the newtype through which ext types are read.
const EXT_STRUCT_NAME: &str = "_ExtStruct";

impl<'de> Deserializer<'de> {
    /// Visits any value. `bytes` picks what bin data becomes: bytes, or a sequence of `u8` (as
    /// rmp-serde reads bin wherever a sequence, tuple or struct is asked for).
    #[inline]
    fn any<V: Visitor<'de>>(&mut self, visitor: V, bytes: bool) -> Result<V::Value, Error> {
        let marker = self.byte()?;
        match marker {
            0x00..=0x7f => visitor.visit_u8(marker),
            0x80..=0x8f => self.map(usize::from(marker & 0x0f), visitor),
            0x90..=0x9f => self.seq(usize::from(marker & 0x0f), visitor),
            0xa0..=0xbf => self.str(usize::from(marker & 0x1f), visitor),
            0xc0 => visitor.visit_unit(),
            0xc2 => visitor.visit_bool(false),
            0xc3 => visitor.visit_bool(true),
            0xc4..=0xc6 => {
                let len = match marker {
                    0xc4 => self.len8()?,
                    0xc5 => self.len16()?,
                    _ => self.len32()?,
                };
                let data = self.take(len)?;
                if bytes {
                    visitor.visit_borrowed_bytes(data)
                } else {
                    visitor.visit_seq(SeqDeserializer::new(data.iter().copied()))
                }
            }
            0xca => visitor.visit_f32(f32::from_be_bytes(self.array()?)),
            0xcb => visitor.visit_f64(f64::from_be_bytes(self.array()?)),
            0xcc => visitor.visit_u8(self.byte()?),
            0xcd => visitor.visit_u16(u16::from_be_bytes(self.array()?)),
            0xce => visitor.visit_u32(u32::from_be_bytes(self.array()?)),
            0xcf => visitor.visit_u64(u64::from_be_bytes(self.array()?)),
            0xd0 => visitor.visit_i8(i8::from_be_bytes(self.array()?)),
            0xd1 => visitor.visit_i16(i16::from_be_bytes(self.array()?)),
            0xd2 => visitor.visit_i32(i32::from_be_bytes(self.array()?)),
            0xd3 => visitor.visit_i64(i64::from_be_bytes(self.array()?)),
            0xd9 => {
                let len = self.len8()?;
                self.str(len, visitor)
            }
            0xda => {
                let len = self.len16()?;
                self.str(len, visitor)
            }
            0xdb => {
                let len = self.len32()?;
                self.str(len, visitor)
            }
            0xdc => {
                let len = self.len16()?;
                self.seq(len, visitor)
            }
            0xdd => {
                let len = self.len32()?;
                self.seq(len, visitor)
            }
            0xde => {
                let len = self.len16()?;
                self.map(len, visitor)
            }
            0xdf => {
                let len = self.len32()?;
                self.map(len, visitor)
            }
            0xe0..=0xff => visitor.visit_i8(marker as i8),
            // Ext types (left to rmp-serde) and the reserved marker.
            0xc1 | 0xc7..=0xc9 | 0xd4..=0xd8 => Err(self.fail()),
        }
    }

    /// Visits a nil, a boolean or a number; anything else is an error in rmp-serde.
    #[inline]
    fn scalar<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        match self.peek()? {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 | 0xca..=0xd3 => self.any(visitor, true),
            _ => Err(self.fail()),
        }
    }

    #[inline]
    fn str<V: Visitor<'de>>(&mut self, len: usize, visitor: V) -> Result<V::Value, Error> {
        let data = self.take(len)?;
        match std::str::from_utf8(data) {
            Ok(text) => visitor.visit_borrowed_str(text),
            // As rmp-serde: invalid UTF-8 is offered as bytes, and refused if not taken.
            Err(_) => visitor
                .visit_borrowed_bytes::<Error>(data)
                .map_err(|_| self.fail()),
        }
    }

    #[inline]
    fn seq<V: Visitor<'de>>(&mut self, len: usize, visitor: V) -> Result<V::Value, Error> {
        self.check_items(len)?;
        self.enter()?;
        let mut items = Items::new(self, len);
        let value = visitor.visit_seq(&mut items)?;
        let left = items.left();
        self.leave();
        if left > 0 {
            return Err(self.fail());
        }
        Ok(value)
    }

    #[inline]
    fn map<V: Visitor<'de>>(&mut self, len: usize, visitor: V) -> Result<V::Value, Error> {
        self.check_items(len.saturating_mul(2))?;
        self.enter()?;
        let mut entries = Entries::new(self, len);
        let value = visitor.visit_map(&mut entries)?;
        let left = entries.left();
        self.leave();
        if left > 0 {
            return Err(self.fail());
        }
        Ok(value)
    }
}

macro_rules! scalars {
    ($($method:ident)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.scalar(visitor)
        }
    )*};
}

macro_rules! anys {
    ($($method:ident)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.any(visitor, true)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn is_human_readable(&self) -> bool {
        false
    }

    scalars! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_f32 deserialize_f64
    }

    anys! {
        deserialize_any deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_unit deserialize_map deserialize_identifier
    }

    fn deserialize_i128<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(self.fail())
    }

    fn deserialize_u128<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(self.fail())
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.peek()? == 0xc0 {
            self.input = &self.input[1..];
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        // rmp-serde writes a unit struct as an empty array, and reads a nil too.
        if matches!(self.peek()?, 0xc0 | 0x90) {
            self.input = &self.input[1..];
            visitor.visit_unit()
        } else {
            self.any(visitor, true)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == EXT_STRUCT_NAME {
            return Err(self.fail());
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.any(visitor, false)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.any(visitor, false)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.any(visitor, false)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.any(visitor, false)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // A map of one entry is a variant with its content; anything else, a unit variant's
        // name or index, read by the visitor from where it stands.
        let (header, len) = match self.peek()? {
            marker @ 0x80..=0x8f => (1, usize::from(marker & 0x0f)),
            0xde => match self.input.get(1..3) {
                Some(&[a, b]) => (3, usize::from(u16::from_be_bytes([a, b]))),
                _ => return Err(self.fail()),
            },
            0xdf => match self.input.get(1..5) {
                Some(&[a, b, c, d]) => (5, u32::from_be_bytes([a, b, c, d]) as usize),
                _ => return Err(self.fail()),
            },
            _ => return visitor.visit_enum(UnitVariant::new(self)),
        };
        if len != 1 {
            return Err(self.fail());
        }
        self.input = &self.input[header..];
        // Not a level in rmp-serde, which so lets a recursive enum overflow the stack.
        self.enter()?;
        let value = visitor.visit_enum(Variant::new(self))?;
        self.leave();
        Ok(value)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip()?;
        visitor.visit_unit()
    }
}
