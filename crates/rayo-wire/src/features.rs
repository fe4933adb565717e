//! BOLT 9 feature bits.
//!
//! Each feature owns a pair of bits: the even one means "required", the odd
//! one "supported". A peer that requires (even bit) something we do not know
//! must be disconnected; an unknown odd bit is ignored. Features may depend on
//! others, and a vector that sets a feature without its dependencies is
//! invalid.

use std::fmt;

/// The features BOLT 9 assigns. The value is the even (required) bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
#[allow(missing_docs)] // the names are the spec's
pub enum Feature {
    DataLossProtect = 0,
    UpfrontShutdownScript = 4,
    GossipQueries = 6,
    VarOnionOptin = 8,
    GossipQueriesEx = 10,
    StaticRemoteKey = 12,
    PaymentSecret = 14,
    BasicMpp = 16,
    LargeChannel = 18,
    Anchors = 22,
    RouteBlinding = 24,
    ShutdownAnySegwit = 26,
    DualFund = 28,
    Quiesce = 34,
    AttributionData = 36,
    OnionMessages = 38,
    ProvideStorage = 42,
    ChannelType = 44,
    ScidAlias = 46,
    PaymentMetadata = 48,
    Zeroconf = 50,
    SimpleClose = 60,
    Splice = 62,
}

impl Feature {
    /// Every feature BOLT 9 assigns, in bit order.
    pub const ALL: [Feature; 23] = [
        Feature::DataLossProtect,
        Feature::UpfrontShutdownScript,
        Feature::GossipQueries,
        Feature::VarOnionOptin,
        Feature::GossipQueriesEx,
        Feature::StaticRemoteKey,
        Feature::PaymentSecret,
        Feature::BasicMpp,
        Feature::LargeChannel,
        Feature::Anchors,
        Feature::RouteBlinding,
        Feature::ShutdownAnySegwit,
        Feature::DualFund,
        Feature::Quiesce,
        Feature::AttributionData,
        Feature::OnionMessages,
        Feature::ProvideStorage,
        Feature::ChannelType,
        Feature::ScidAlias,
        Feature::PaymentMetadata,
        Feature::Zeroconf,
        Feature::SimpleClose,
        Feature::Splice,
    ];

    /// The even ("required") bit.
    pub fn required_bit(self) -> usize {
        self as usize
    }

    /// The odd ("supported") bit.
    pub fn optional_bit(self) -> usize {
        self as usize + 1
    }

    /// The feature owning `bit`, if BOLT 9 assigns it.
    pub fn from_bit(bit: usize) -> Option<Feature> {
        Self::ALL.into_iter().find(|f| f.required_bit() == bit & !1)
    }

    /// Features that must also be set whenever this one is (BOLT 9's
    /// Dependencies column).
    pub fn dependencies(self) -> &'static [Feature] {
        match self {
            Feature::BasicMpp => &[Feature::PaymentSecret],
            Feature::Zeroconf => &[Feature::ScidAlias],
            Feature::SimpleClose => &[Feature::ShutdownAnySegwit],
            _ => &[],
        }
    }
}

/// A BOLT 9 rule a feature vector breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeatureError {
    /// The peer requires a feature we do not support.
    #[error("peer requires feature bit {0}, which we do not support")]
    UnsupportedRequired(usize),
    /// A feature is set without one it depends on.
    #[error("feature {feature:?} is set without its dependency {missing:?}")]
    MissingDependency {
        /// The feature that is set.
        feature: Feature,
        /// The dependency that is not.
        missing: Feature,
    },
}

/// A feature vector. Bit `i` lives in `bits[i / 8]` (little-endian by byte),
/// which makes setting and testing bits trivial; the wire form, big-endian
/// and minimal, is produced by [`Features::to_wire`].
#[derive(Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct Features {
    bits: Vec<u8>,
}

impl Features {
    /// No bits set.
    pub fn empty() -> Self {
        Self::default()
    }

    /// What Rayo sets in `init`: the features BOLT 9 marks ASSUMED
    /// (data_loss_protect, var_onion_optin, static_remotekey, payment_secret,
    /// channel_type), set as required since every current node has them,
    /// and `gossip_queries` as optional (bit 7): Rayo answers BOLT 7 queries,
    /// and peers such as Electrum refuse a node without it.
    pub fn rayo_init() -> Self {
        let mut f = Self::empty();
        for feature in [
            Feature::DataLossProtect,
            Feature::VarOnionOptin,
            Feature::StaticRemoteKey,
            Feature::PaymentSecret,
            Feature::ChannelType,
        ] {
            f.set_required(feature);
        }
        f.set_optional(Feature::GossipQueries);
        f
    }

    /// Parses the wire form (big-endian, bit 0 in the last byte).
    pub fn from_wire(bytes: &[u8]) -> Self {
        let mut bits: Vec<u8> = bytes.iter().rev().copied().collect();
        while bits.last() == Some(&0) {
            bits.pop();
        }
        Self { bits }
    }

    /// The wire form: big-endian, with no leading zero bytes.
    pub fn to_wire(&self) -> Vec<u8> {
        self.bits.iter().rev().copied().collect()
    }

    /// Bitwise OR, as `init` combines `globalfeatures` and `features`.
    pub fn union(&self, other: &Features) -> Features {
        let len = self.bits.len().max(other.bits.len());
        let bits = (0..len)
            .map(|i| self.bits.get(i).unwrap_or(&0) | other.bits.get(i).unwrap_or(&0))
            .collect();
        Features { bits }
    }

    /// True if `bit` is set.
    pub fn is_set(&self, bit: usize) -> bool {
        self.bits
            .get(bit / 8)
            .is_some_and(|byte| byte & (1 << (bit % 8)) != 0)
    }

    /// Sets `bit`.
    pub fn set_bit(&mut self, bit: usize) {
        if self.bits.len() <= bit / 8 {
            self.bits.resize(bit / 8 + 1, 0);
        }
        self.bits[bit / 8] |= 1 << (bit % 8);
    }

    /// Marks a feature required (even bit).
    pub fn set_required(&mut self, feature: Feature) {
        self.set_bit(feature.required_bit());
    }

    /// Marks a feature supported but optional (odd bit).
    pub fn set_optional(&mut self, feature: Feature) {
        self.set_bit(feature.optional_bit());
    }

    /// True if the feature is offered, as required or optional.
    pub fn supports(&self, feature: Feature) -> bool {
        self.is_set(feature.required_bit()) || self.is_set(feature.optional_bit())
    }

    /// True if the feature is required (its even bit is set).
    pub fn requires(&self, feature: Feature) -> bool {
        self.is_set(feature.required_bit())
    }

    /// Every set bit, lowest first.
    pub fn set_bits(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.bits.len() * 8).filter(|b| self.is_set(*b))
    }

    /// BOLT 1's "negotiated": both sides offered the feature, or we offered
    /// it as required (a peer that stayed connected must support it).
    pub fn negotiated(&self, theirs: &Features, feature: Feature) -> bool {
        (self.supports(feature) && theirs.supports(feature)) || self.requires(feature)
    }

    /// True when no bit is set.
    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|b| *b == 0)
    }

    /// Checks every feature's dependencies are set too.
    pub fn check_dependencies(&self) -> Result<(), FeatureError> {
        for feature in Feature::ALL.into_iter().filter(|f| self.supports(*f)) {
            if let Some(missing) = feature.dependencies().iter().find(|d| !self.supports(**d)) {
                return Err(FeatureError::MissingDependency {
                    feature,
                    missing: *missing,
                });
            }
        }
        Ok(())
    }

    /// Checks a peer's vector against ours: every even bit it sets must be a
    /// feature we offer, and its dependencies must hold. An error means the
    /// connection must close.
    pub fn check_peer(&self, ours: &Features) -> Result<(), FeatureError> {
        if let Some(bit) = self
            .set_bits()
            .filter(|b| b % 2 == 0)
            .find(|b| !ours.is_set(*b) && !ours.is_set(b + 1))
        {
            return Err(FeatureError::UnsupportedRequired(bit));
        }
        self.check_dependencies()
    }
}

impl fmt::Debug for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.set_bits()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_is_big_endian_and_minimal() {
        let mut f = Features::empty();
        f.set_bit(0);
        f.set_bit(9);
        assert_eq!(f.to_wire(), vec![0x02, 0x01]);
        assert_eq!(Features::from_wire(&[0, 0, 0x02, 0x01]), f);
        assert!(Features::from_wire(&[0, 0]).is_empty());
        assert_eq!(Features::from_wire(&[0, 0]).to_wire(), Vec::<u8>::new());
    }

    #[test]
    fn required_and_optional_bits() {
        let mut f = Features::empty();
        f.set_optional(Feature::Anchors);
        assert!(f.supports(Feature::Anchors));
        assert!(!f.requires(Feature::Anchors));
        assert!(f.is_set(23));
        f.set_required(Feature::StaticRemoteKey);
        assert!(f.requires(Feature::StaticRemoteKey));
        assert_eq!(Feature::from_bit(23), Some(Feature::Anchors));
        assert_eq!(Feature::from_bit(2), None);
    }

    #[test]
    fn unknown_even_bit_is_rejected_unknown_odd_is_ignored() {
        let ours = Features::rayo_init();
        let mut theirs = Features::rayo_init();
        theirs.set_bit(101);
        assert_eq!(theirs.check_peer(&ours), Ok(()));
        theirs.set_bit(100);
        assert_eq!(
            theirs.check_peer(&ours),
            Err(FeatureError::UnsupportedRequired(100))
        );
    }

    #[test]
    fn known_but_unsupported_required_feature_is_rejected() {
        let mut theirs = Features::empty();
        theirs.set_required(Feature::Anchors);
        assert_eq!(
            theirs.check_peer(&Features::rayo_init()),
            Err(FeatureError::UnsupportedRequired(22))
        );
        // Offered by us as optional: fine.
        let mut ours = Features::rayo_init();
        ours.set_optional(Feature::Anchors);
        assert_eq!(theirs.check_peer(&ours), Ok(()));
    }

    #[test]
    fn missing_dependency_is_rejected() {
        let mut theirs = Features::empty();
        theirs.set_optional(Feature::BasicMpp);
        assert_eq!(
            theirs.check_dependencies(),
            Err(FeatureError::MissingDependency {
                feature: Feature::BasicMpp,
                missing: Feature::PaymentSecret
            })
        );
        theirs.set_optional(Feature::PaymentSecret);
        assert_eq!(theirs.check_dependencies(), Ok(()));
        theirs.set_required(Feature::Zeroconf);
        assert!(theirs.check_dependencies().is_err());
    }

    #[test]
    fn negotiation_follows_bolt1() {
        let mut a = Features::empty();
        let mut b = Features::empty();
        a.set_optional(Feature::Quiesce);
        b.set_bit(1);
        assert!(!a.negotiated(&b, Feature::Quiesce));
        b.set_optional(Feature::Quiesce);
        assert!(a.negotiated(&b, Feature::Quiesce));
        a.set_required(Feature::ScidAlias);
        assert!(a.negotiated(&b, Feature::ScidAlias));
    }

    #[test]
    fn union_combines_global_and_local() {
        let g = Features::from_wire(&[0x01]);
        let l = Features::from_wire(&[0x01, 0x00]);
        let all = g.union(&l);
        assert!(all.is_set(0) && all.is_set(8));
    }
}
