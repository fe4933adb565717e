//! The state of a funded channel's commitment dance (see
//! [`crate::normal`] for how it moves): both sides' current commitments,
//! the peer's next one, each side's updates in flight, the HTLC counters,
//! and the secrets the peer revealed.

use bitcoin::secp256k1::ecdsa::Signature;
use bitcoin::secp256k1::PublicKey;
use bitcoin::Txid;
use rayo_wire::amount::Msat;
use serde::{Deserialize, Serialize};

use crate::commitment::Side;
use crate::shachain::SecretStore;
use crate::spec::{reduce, CommitmentSpec, ReduceError, SpecHtlc, Update};

/// The commitment we hold: its content and the peer's signatures on it,
/// all that is needed to broadcast it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalCommit {
    /// Its commitment number.
    pub number: u64,
    /// What it holds.
    pub spec: CommitmentSpec,
    /// The peer's signature on it.
    pub signature: Signature,
    /// The peer's signatures on its HTLC transactions, in output order.
    pub htlc_signatures: Vec<Signature>,
}

/// The peer's current commitment: what it could broadcast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteCommit {
    /// Its commitment number.
    pub number: u64,
    /// What it holds.
    pub spec: CommitmentSpec,
    /// Its txid, to recognise it on chain.
    pub txid: Txid,
    /// The peer's per-commitment point for it.
    pub point: PublicKey,
}

/// What we know of the peer's next commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RemoteNext {
    /// The peer has not sent `channel_ready`: no point to sign for yet.
    Unknown,
    /// Its next per-commitment point: we may sign when there are changes.
    Point(PublicKey),
    /// We signed it and wait for `revoke_and_ack` of the current one. The
    /// signatures are kept to retransmit the same `commitment_signed`.
    AwaitingRevocation {
        /// The commitment we signed.
        next: RemoteCommit,
        /// Our signature on it.
        signature: Signature,
        /// Our signatures on its HTLC transactions.
        htlc_signatures: Vec<Signature>,
    },
}

/// Our updates on their way into both commitments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalChanges {
    /// Sent (or queued), not yet in a `commitment_signed` of ours.
    pub proposed: Vec<Update>,
    /// In the `commitment_signed` we wait to see revoked.
    pub signed: Vec<Update>,
    /// In the peer's commitment, not yet in ours.
    pub acked: Vec<Update>,
}

/// The peer's updates on their way into both commitments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteChanges {
    /// Received, not yet in a `commitment_signed` of theirs.
    pub proposed: Vec<Update>,
    /// In our commitment (we revoked the previous), not yet in theirs.
    pub acked: Vec<Update>,
    /// In the `commitment_signed` we sent, waiting for its revocation.
    pub signed: Vec<Update>,
}

/// Which of `commitment_signed` and `revoke_and_ack` we sent last: when
/// both must be retransmitted, BOLT 2 wants the original order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LastSent {
    /// Neither yet.
    #[default]
    Nothing,
    /// `commitment_signed` was last.
    CommitmentSigned,
    /// `revoke_and_ack` was last.
    RevokeAndAck,
}

/// The state of the commitment dance of one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitments {
    /// The commitment we hold.
    pub local: LocalCommit,
    /// The peer's current commitment.
    pub remote: RemoteCommit,
    /// The peer's next one.
    pub remote_next: RemoteNext,
    /// Our updates in flight.
    pub local_changes: LocalChanges,
    /// The peer's updates in flight.
    pub remote_changes: RemoteChanges,
    /// The id our next HTLC gets.
    pub next_local_htlc_id: u64,
    /// The id the peer's next HTLC must have.
    pub next_remote_htlc_id: u64,
    /// The per-commitment secrets the peer revealed (BOLT 3 shachain):
    /// with them a revoked commitment it broadcasts can be punished.
    #[serde(with = "secret_store_bytes")]
    pub their_secrets: SecretStore,
    /// Order of our last two dance messages, for retransmission.
    pub last_sent: LastSent,
    /// Everything we paid through settled HTLCs (lnd's
    /// `total_satoshis_sent`), counted when a claim enters our commitment.
    #[serde(default)]
    pub total_sent: Msat,
    /// Everything we were paid through settled HTLCs.
    #[serde(default)]
    pub total_received: Msat,
    /// Updates may be sent on the current connection: it carried the
    /// funding, or finished `channel_reestablish`. Not stored: every start
    /// is a new connection.
    #[serde(skip)]
    pub link_ready: bool,
}

/// A revoked commitment of the peer: kept append-only so a broadcast of
/// it can be punished (BOLT 5) with the secret in the shachain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokedCommitment {
    /// Its commitment number.
    pub number: u64,
    /// Its txid.
    pub txid: Txid,
    /// What it held.
    pub spec: CommitmentSpec,
    /// The peer's per-commitment point for it.
    pub point: PublicKey,
}

impl Commitments {
    /// The dance state right after funding: commitment 0 on both sides, on
    /// the live connection the funding messages just crossed.
    pub fn new(
        spec: CommitmentSpec,
        local_signature: Signature,
        remote_txid: Txid,
        remote_point: PublicKey,
    ) -> Commitments {
        Commitments {
            local: LocalCommit {
                number: 0,
                spec: spec.clone(),
                signature: local_signature,
                htlc_signatures: Vec::new(),
            },
            remote: RemoteCommit {
                number: 0,
                spec,
                txid: remote_txid,
                point: remote_point,
            },
            remote_next: RemoteNext::Unknown,
            local_changes: LocalChanges::default(),
            remote_changes: RemoteChanges::default(),
            next_local_htlc_id: 0,
            next_remote_htlc_id: 0,
            their_secrets: SecretStore::new(),
            last_sent: LastSent::Nothing,
            total_sent: Msat(0),
            total_received: Msat(0),
            link_ready: true,
        }
    }

    /// True while a `commitment_signed` of ours waits for its revocation.
    pub fn awaiting_revocation(&self) -> bool {
        matches!(self.remote_next, RemoteNext::AwaitingRevocation { .. })
    }

    /// True when we have something to sign for the peer.
    pub fn has_changes_to_sign(&self) -> bool {
        !self.local_changes.proposed.is_empty() || !self.remote_changes.acked.is_empty()
    }

    /// Nothing is in flight: both commitments hold the same HTLCs and no
    /// update waits anywhere.
    pub fn is_quiescent(&self) -> bool {
        let l = &self.local_changes;
        let r = &self.remote_changes;
        l.proposed.is_empty()
            && l.signed.is_empty()
            && l.acked.is_empty()
            && r.proposed.is_empty()
            && r.acked.is_empty()
            && r.signed.is_empty()
            && !self.awaiting_revocation()
    }

    /// The spec the peer's next commitment would have if we signed now.
    pub(crate) fn next_remote_spec(
        &self,
        extra: Option<&Update>,
    ) -> Result<CommitmentSpec, ReduceError> {
        let base = match &self.remote_next {
            RemoteNext::AwaitingRevocation { next, .. } => &next.spec,
            _ => &self.remote.spec,
        };
        let mut ours = self.local_changes.proposed.clone();
        ours.extend(extra.cloned());
        reduce(base, &ours, &self.remote_changes.acked)
    }

    /// The spec our next commitment would have if the peer signed now.
    pub(crate) fn next_local_spec(
        &self,
        extra: Option<&Update>,
    ) -> Result<CommitmentSpec, ReduceError> {
        let mut theirs = self.remote_changes.proposed.clone();
        theirs.extend(extra.cloned());
        reduce(&self.local.spec, &self.local_changes.acked, &theirs)
    }

    /// Our offered HTLC `id` if it is in both commitments and the peer has
    /// not already removed it.
    pub(crate) fn committed_outgoing(&self, id: u64) -> Option<SpecHtlc> {
        let htlc = *self.local.spec.htlc(Side::Local, id)?;
        self.remote.spec.htlc(Side::Local, id)?;
        let removing = self
            .remote_changes
            .proposed
            .iter()
            .chain(&self.remote_changes.acked)
            .chain(&self.remote_changes.signed)
            .any(|u| u.removed_htlc() == Some(id));
        (!removing).then_some(htlc)
    }

    /// The peer's HTLC `id` if it is in both commitments and we have not
    /// already removed it.
    pub(crate) fn committed_incoming(&self, id: u64) -> Option<SpecHtlc> {
        let htlc = *self.local.spec.htlc(Side::Remote, id)?;
        self.remote.spec.htlc(Side::Remote, id)?;
        let removing = self
            .local_changes
            .proposed
            .iter()
            .chain(&self.local_changes.signed)
            .chain(&self.local_changes.acked)
            .any(|u| u.removed_htlc() == Some(id));
        (!removing).then_some(htlc)
    }

    /// The preimage of every HTLC of the peer we have claimed but that is
    /// not yet removed from both commitments: needed on chain if the
    /// channel closes now.
    pub fn claimed_preimages(&self) -> impl Iterator<Item = (u64, [u8; 32])> + '_ {
        let l = &self.local_changes;
        l.proposed
            .iter()
            .chain(&l.signed)
            .chain(&l.acked)
            .filter_map(|u| match u {
                Update::Fulfill { id, preimage } => Some((*id, *preimage)),
                _ => None,
            })
    }
}

/// Serde for the shachain through its own checked byte format.
mod secret_store_bytes {
    use bitcoin::hex::{DisplayHex, FromHex};
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::shachain::SecretStore;

    pub fn serialize<S: Serializer>(store: &SecretStore, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&store.to_bytes().to_lower_hex_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SecretStore, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = Vec::from_hex(&text).map_err(serde::de::Error::custom)?;
        SecretStore::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}
