//! What a commitment transaction holds, independent of keys and scripts:
//! the two balances, the fee rate and the HTLCs. [`reduce`] applies a list
//! of updates (ours and the peer's) to produce the next one; BOLT 2's
//! commitment dance is the question of which updates go into which side's
//! next commitment, answered in [`crate::normal`].
//!
//! A spec is always written from our point of view, whichever side holds
//! the commitment it describes: `to_local` is our balance and
//! [`SpecHtlc::offerer`] says who offered each HTLC. [`crate::channel::ChannelSetup`]
//! turns it into the holder's transaction.

use bitcoin::hashes::{sha256, Hash};
use rayo_wire::amount::Msat;
use rayo_wire::bitcoin::secp256k1::PublicKey;
use rayo_wire::ids::ChannelId;
use rayo_wire::message::Message;
use rayo_wire::update::{
    UpdateAddHtlc, UpdateFailHtlc, UpdateFailMalformedHtlc, UpdateFee, UpdateFulfillHtlc,
    ONION_PACKET_LEN,
};
use serde::{Deserialize, Serialize};

use crate::commitment::{Htlc, HtlcDirection, Side};

/// An HTLC in a commitment, as both sides know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecHtlc {
    /// Who offered it: `Local` is an HTLC we pay, `Remote` one we are paid.
    pub offerer: Side,
    /// Its id, counted per offerer from 0.
    pub id: u64,
    /// The amount.
    pub amount: Msat,
    /// SHA256 of the preimage that claims it.
    pub payment_hash: [u8; 32],
    /// The height after which the offerer may take it back.
    pub cltv_expiry: u32,
}

impl SpecHtlc {
    /// The HTLC as the commitment of `holder` sees it.
    pub fn for_holder(&self, holder: Side) -> Htlc {
        Htlc {
            direction: if self.offerer == holder {
                HtlcDirection::Offered
            } else {
                HtlcDirection::Received
            },
            amount: self.amount,
            payment_hash: self.payment_hash,
            cltv_expiry: self.cltv_expiry,
        }
    }
}

/// The content of one commitment, from our point of view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentSpec {
    /// The fee rate of the commitment and its HTLC transactions.
    pub feerate_per_kw: u32,
    /// Our balance, before the commitment fee.
    pub to_local: Msat,
    /// The peer's balance, before the commitment fee.
    pub to_remote: Msat,
    /// Every HTLC in flight, trimmed or not.
    pub htlcs: Vec<SpecHtlc>,
}

impl CommitmentSpec {
    /// The HTLC `id` offered by `offerer`, if it is in this commitment.
    pub fn htlc(&self, offerer: Side, id: u64) -> Option<&SpecHtlc> {
        self.htlcs
            .iter()
            .find(|h| h.offerer == offerer && h.id == id)
    }

    /// The HTLCs offered by `offerer`.
    pub fn offered_by(&self, offerer: Side) -> impl Iterator<Item = &SpecHtlc> + '_ {
        self.htlcs.iter().filter(move |h| h.offerer == offerer)
    }

    /// The balance of `side` (before the commitment fee).
    pub fn balance(&self, side: Side) -> Msat {
        match side {
            Side::Local => self.to_local,
            Side::Remote => self.to_remote,
        }
    }

    fn balance_mut(&mut self, side: Side) -> &mut Msat {
        match side {
            Side::Local => &mut self.to_local,
            Side::Remote => &mut self.to_remote,
        }
    }

    /// Everything the spec accounts for: both balances and every HTLC.
    /// Constant over the channel's life (the capacity).
    pub fn total(&self) -> Msat {
        let htlcs: u64 = self.htlcs.iter().map(|h| h.amount.0).sum();
        Msat(self.to_local.0 + self.to_remote.0 + htlcs)
    }
}

/// An HTLC offer as kept until both commitments hold it: the
/// `update_add_htlc` fields, with the onion (the offerer retransmits it;
/// the receiver peels it once the HTLC is irrevocably committed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddHtlc {
    /// The HTLC id.
    pub id: u64,
    /// The amount.
    pub amount: Msat,
    /// SHA256 of the preimage.
    pub payment_hash: [u8; 32],
    /// The expiry height.
    pub cltv_expiry: u32,
    /// The 1366-byte onion packet (emptied from our own offers once the
    /// peer's commitment holds them: they are never sent again).
    #[serde(with = "hex_bytes")]
    pub onion: Vec<u8>,
    /// The route-blinding `path_key`, if any.
    pub path_key: Option<PublicKey>,
}

/// One update of the commitment dance, ours or the peer's, as kept until
/// both commitments include it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Update {
    /// `update_add_htlc`: the sender offers an HTLC.
    Add(AddHtlc),
    /// `update_fulfill_htlc`: the sender claims an HTLC the other offered.
    Fulfill {
        /// The HTLC (offered by the other side).
        id: u64,
        /// Its preimage.
        preimage: [u8; 32],
    },
    /// `update_fail_htlc`: the sender fails an HTLC the other offered.
    Fail {
        /// The HTLC (offered by the other side).
        id: u64,
        /// The encrypted failure packet.
        #[serde(with = "hex_bytes")]
        reason: Vec<u8>,
    },
    /// `update_fail_malformed_htlc`: the sender could not parse the onion.
    FailMalformed {
        /// The HTLC (offered by the other side).
        id: u64,
        /// SHA256 of the onion it could not parse.
        sha256_of_onion: [u8; 32],
        /// A BOLT 4 failure code with the BADONION bit.
        failure_code: u16,
    },
    /// `update_fee`: the funder sets a new commitment fee rate.
    Fee {
        /// The new rate, sat per 1000 weight.
        feerate_per_kw: u32,
    },
}

impl Update {
    /// The wire message for this update on `channel_id`.
    pub fn to_message(&self, channel_id: ChannelId) -> Message {
        match self {
            Update::Add(add) => {
                let mut onion = Box::new([0u8; ONION_PACKET_LEN]);
                let n = add.onion.len().min(ONION_PACKET_LEN);
                onion[..n].copy_from_slice(&add.onion[..n]);
                Message::UpdateAddHtlc(Box::new(UpdateAddHtlc {
                    channel_id,
                    id: add.id,
                    amount_msat: add.amount,
                    payment_hash: add.payment_hash,
                    cltv_expiry: add.cltv_expiry,
                    onion_routing_packet: onion,
                    path_key: add.path_key,
                }))
            }
            Update::Fulfill { id, preimage } => Message::UpdateFulfillHtlc(UpdateFulfillHtlc {
                channel_id,
                id: *id,
                payment_preimage: *preimage,
                attribution_data: None,
            }),
            Update::Fail { id, reason } => Message::UpdateFailHtlc(UpdateFailHtlc {
                channel_id,
                id: *id,
                reason: reason.clone(),
                attribution_data: None,
            }),
            Update::FailMalformed {
                id,
                sha256_of_onion,
                failure_code,
            } => Message::UpdateFailMalformedHtlc(UpdateFailMalformedHtlc {
                channel_id,
                id: *id,
                sha256_of_onion: *sha256_of_onion,
                failure_code: *failure_code,
            }),
            Update::Fee { feerate_per_kw } => Message::UpdateFee(UpdateFee {
                channel_id,
                feerate_per_kw: *feerate_per_kw,
            }),
        }
    }

    /// The id of the HTLC this update removes, if it removes one.
    pub fn removed_htlc(&self) -> Option<u64> {
        match self {
            Update::Fulfill { id, .. }
            | Update::Fail { id, .. }
            | Update::FailMalformed { id, .. } => Some(*id),
            Update::Add(_) | Update::Fee { .. } => None,
        }
    }
}

impl From<&UpdateAddHtlc> for AddHtlc {
    fn from(msg: &UpdateAddHtlc) -> Self {
        AddHtlc {
            id: msg.id,
            amount: msg.amount_msat,
            payment_hash: msg.payment_hash,
            cltv_expiry: msg.cltv_expiry,
            onion: msg.onion_routing_packet.to_vec(),
            path_key: msg.path_key,
        }
    }
}

/// Why a list of updates cannot be applied to a spec. Each is a broken
/// invariant: the dance checks updates when they arrive, so this never
/// happens with a well-formed state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReduceError {
    /// An HTLC costs more than its offerer has.
    #[error("the {0:?} side cannot pay an HTLC of {1} msat")]
    Overdrawn(Side, u64),
    /// A removal names an HTLC that is not there.
    #[error("no HTLC {id} offered by the {offerer:?} side")]
    UnknownHtlc {
        /// Who offered it.
        offerer: Side,
        /// Its id.
        id: u64,
    },
}

/// Applies `ours` and `theirs` to `spec`: adds first (each debits its
/// offerer), then removals (a fulfill pays the claimer, a failure refunds
/// the offerer), the last fee update setting the rate. A removal can only
/// name an HTLC already in `spec` (BOLT 2: an HTLC is removed only once
/// irrevocably committed), so the order between lists does not matter.
pub fn reduce(
    spec: &CommitmentSpec,
    ours: &[Update],
    theirs: &[Update],
) -> Result<CommitmentSpec, ReduceError> {
    let mut next = spec.clone();
    let sides = [(Side::Local, ours), (Side::Remote, theirs)];
    for (sender, updates) in sides {
        for update in updates {
            if let Update::Add(add) = update {
                let balance = next.balance_mut(sender);
                *balance = balance
                    .checked_sub(add.amount)
                    .ok_or(ReduceError::Overdrawn(sender, add.amount.0))?;
                next.htlcs.push(SpecHtlc {
                    offerer: sender,
                    id: add.id,
                    amount: add.amount,
                    payment_hash: add.payment_hash,
                    cltv_expiry: add.cltv_expiry,
                });
            }
        }
    }
    for (sender, updates) in sides {
        let offerer = sender.other();
        for update in updates {
            let paid_to = match update {
                Update::Fulfill { .. } => sender,
                Update::Fail { .. } | Update::FailMalformed { .. } => offerer,
                Update::Fee { feerate_per_kw } => {
                    next.feerate_per_kw = *feerate_per_kw;
                    continue;
                }
                Update::Add(_) => continue,
            };
            let Some(id) = update.removed_htlc() else {
                continue;
            };
            let position = next
                .htlcs
                .iter()
                .position(|h| h.offerer == offerer && h.id == id)
                .ok_or(ReduceError::UnknownHtlc { offerer, id })?;
            let htlc = next.htlcs.remove(position);
            let balance = next.balance_mut(paid_to);
            *balance = Msat(balance.0 + htlc.amount.0);
        }
    }
    Ok(next)
}

/// True when `preimage` hashes to `payment_hash`.
pub fn preimage_matches(preimage: &[u8; 32], payment_hash: &[u8; 32]) -> bool {
    sha256::Hash::hash(preimage).to_byte_array() == *payment_hash
}

/// Serde for byte strings as hex (onions, failure packets), compact in the
/// stored JSON.
mod hex_bytes {
    use bitcoin::hex::{DisplayHex, FromHex};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&bytes.to_lower_hex_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        Vec::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(id: u64, amount: u64) -> Update {
        Update::Add(AddHtlc {
            id,
            amount: Msat(amount),
            payment_hash: [id as u8; 32],
            cltv_expiry: 500,
            onion: vec![0; ONION_PACKET_LEN],
            path_key: None,
        })
    }

    fn base() -> CommitmentSpec {
        CommitmentSpec {
            feerate_per_kw: 253,
            to_local: Msat(7_000_000),
            to_remote: Msat(3_000_000),
            htlcs: vec![],
        }
    }

    #[test]
    fn adds_debit_the_offerer_and_removals_pay_the_right_side() {
        let spec = reduce(&base(), &[add(0, 1_000), add(1, 2_000)], &[add(0, 500)]).unwrap();
        assert_eq!(spec.to_local, Msat(7_000_000 - 3_000));
        assert_eq!(spec.to_remote, Msat(3_000_000 - 500));
        assert_eq!(spec.htlcs.len(), 3);
        assert_eq!(spec.total(), base().total());

        // The peer claims our HTLC 0 and fails our 1; we claim its 0.
        let theirs = [
            Update::Fulfill {
                id: 0,
                preimage: [0; 32],
            },
            Update::Fail {
                id: 1,
                reason: vec![1, 2],
            },
        ];
        let ours = [Update::Fulfill {
            id: 0,
            preimage: [0; 32],
        }];
        let done = reduce(&spec, &ours, &theirs).unwrap();
        assert!(done.htlcs.is_empty());
        assert_eq!(done.to_local, Msat(7_000_000 - 1_000 + 500));
        assert_eq!(done.to_remote, Msat(3_000_000 - 500 + 1_000));
        assert_eq!(done.total(), base().total());
    }

    #[test]
    fn a_fee_update_sets_the_rate_and_errors_are_typed() {
        let spec = reduce(
            &base(),
            &[],
            &[Update::Fee {
                feerate_per_kw: 1000,
            }],
        )
        .unwrap();
        assert_eq!(spec.feerate_per_kw, 1000);
        assert_eq!(
            reduce(&base(), &[add(0, 8_000_000)], &[]),
            Err(ReduceError::Overdrawn(Side::Local, 8_000_000))
        );
        let fulfill = Update::Fulfill {
            id: 9,
            preimage: [0; 32],
        };
        assert_eq!(
            reduce(&base(), &[fulfill], &[]),
            Err(ReduceError::UnknownHtlc {
                offerer: Side::Remote,
                id: 9
            })
        );
    }

    #[test]
    fn updates_survive_serde_with_hex_onions() {
        let update = add(3, 42);
        let json = serde_json::to_string(&update).unwrap();
        assert!(json.len() < 3_000, "onion stored as hex: {}", json.len());
        assert_eq!(serde_json::from_str::<Update>(&json).unwrap(), update);
    }
}
