//! How a protobuf enum is written and read in lnd's JSON: written as its
//! name, read from its name, an alias or its number. Every enum of the API is
//! defined with the `proto_enum!` macro here, so that they all parse alike.

/// A name or number that is not a value of a protobuf enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {enum_name} value {value:?}, expected one of: {expected}")]
pub struct UnknownEnumValue {
    /// The enum's lnd name, e.g. `AddressType`.
    pub enum_name: &'static str,
    /// What was given.
    pub value: String,
    /// The accepted names, comma separated.
    pub expected: String,
}

/// Defines a protobuf enum: written as its name, read from its name, an alias,
/// or its number (as a JSON number or a decimal string), `null` being the
/// default (value 0).
macro_rules! proto_enum {
    (
        $(#[$meta:meta])*
        $name:ident ($proto:literal) default $default:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $num:literal => $text:literal $(| $alias:literal)*,
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )+
        }

        impl $name {
            /// Every value, in number order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The protobuf number.
            pub const fn number(self) -> i32 {
                match self {
                    $($name::$variant => $num,)+
                }
            }

            /// The value with this protobuf number.
            pub const fn from_number(number: i32) -> Option<Self> {
                match number {
                    $($num => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The protobuf name, as written in JSON.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value with this protobuf name or alias.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($text $(| $alias)* => Some($name::$variant),)+
                    _ => None,
                }
            }

            fn unknown(value: impl ::std::fmt::Display) -> $crate::types::UnknownEnumValue {
                $crate::types::UnknownEnumValue {
                    enum_name: $proto,
                    value: value.to_string(),
                    expected: [$($text $(, $alias)*),+].join(", "),
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::types::UnknownEnumValue;

            /// Accepts the name, an alias, or the number in decimal.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                if let Some(value) = Self::from_name(s) {
                    return Ok(value);
                }
                s.parse::<i32>()
                    .ok()
                    .and_then(Self::from_number)
                    .ok_or_else(|| Self::unknown(s))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct EnumVisitor;

                impl<'de> ::serde::de::Visitor<'de> for EnumVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter) -> ::std::fmt::Result {
                        write!(f, "a {} name or number", $proto)
                    }

                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        v.parse().map_err(E::custom)
                    }

                    fn visit_i64<E: ::serde::de::Error>(self, v: i64) -> Result<$name, E> {
                        i32::try_from(v)
                            .ok()
                            .and_then($name::from_number)
                            .ok_or_else(|| E::custom($name::unknown(v)))
                    }

                    fn visit_u64<E: ::serde::de::Error>(self, v: u64) -> Result<$name, E> {
                        i32::try_from(v)
                            .ok()
                            .and_then($name::from_number)
                            .ok_or_else(|| E::custom($name::unknown(v)))
                    }

                    fn visit_unit<E: ::serde::de::Error>(self) -> Result<$name, E> {
                        Ok($name::default())
                    }
                }

                d.deserialize_any(EnumVisitor)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::types::{AddressType, GrpcCode};

    #[test]
    fn enum_numbers_round_trip() {
        for &t in AddressType::ALL {
            assert_eq!(AddressType::from_number(t.number()), Some(t));
            assert_eq!(AddressType::from_name(t.name()), Some(t));
        }
        for &t in GrpcCode::ALL {
            assert_eq!(GrpcCode::from_number(t.number()), Some(t));
        }
        assert_eq!(GrpcCode::Unauthenticated.number(), 16);
        assert_eq!(GrpcCode::FailedPrecondition.http_status(), 400);
        assert_eq!(GrpcCode::Unavailable.http_status(), 503);
    }
}
