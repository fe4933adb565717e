//! Being paid: `addinvoice` issues BOLT 11 invoices, and an HTLC that is
//! irrevocably committed to us is peeled and checked as BOLT 4's final node
//! must (payment secret, `total_msat`, amount, expiry, `cltv_expiry`), then
//! claimed with the invoice's preimage or failed back with the failure the
//! payer can decrypt. Keysend payments carry their own preimage.

use bitcoin::hashes::{sha256, Hash};
use rayo_channel::spec::AddHtlc;
use rayo_invoice::{rayo_features, Currency, InvoiceBuilder, PaymentSecret};
use rayo_onion::{
    peel_onion, Failure, FailureMessage, FinalPayload, OnionPacket, PeeledHop, SharedSecret,
};
use rayo_wire::amount::Msat;
use rayo_wire::message::Message;

use crate::action::{Changeset, CommandError, Reply};
use crate::event::AddInvoiceCommand;
use crate::manager::Manager;
use crate::record::{FundedChannel, InvoiceRecord, InvoiceState};

/// lnd's default invoice expiry: one day.
pub const DEFAULT_INVOICE_EXPIRY: u64 = 86_400;

/// lnd's default `min_final_cltv_expiry_delta` for its invoices (and
/// LDK's floor is 42: 80 satisfies both).
pub const DEFAULT_FINAL_CLTV_DELTA: u32 = 80;

impl Manager {
    /// `addinvoice`: a fresh preimage and payment secret from the event's
    /// entropy, an invoice signed with the node key, stored open.
    pub(crate) fn add_invoice(
        &mut self,
        command: AddInvoiceCommand,
    ) -> Result<Reply, CommandError> {
        let currency = match self.config.network {
            bitcoin::Network::Bitcoin => Currency::Bitcoin,
            bitcoin::Network::Signet => Currency::Signet,
            bitcoin::Network::Regtest => Currency::Regtest,
            _ => Currency::Testnet,
        };
        let preimage = self.derive_secret(b"invoice preimage");
        let payment_secret = self.derive_secret(b"invoice payment secret");
        let payment_hash = sha256::Hash::hash(&preimage);
        if self.invoices.contains_key(&payment_hash.to_byte_array()) {
            return Err(CommandError::FailedPrecondition(
                "an invoice with this payment hash exists".into(),
            ));
        }
        let expiry = command.expiry.unwrap_or(DEFAULT_INVOICE_EXPIRY);
        let cltv_expiry = command.cltv_expiry.unwrap_or(DEFAULT_FINAL_CLTV_DELTA);
        let mut builder = InvoiceBuilder::new(currency, self.now)
            .payment_hash(payment_hash)
            .payment_secret(PaymentSecret(payment_secret));
        if let Some(amount) = command.value_msat {
            builder = builder.amount_msat(amount);
        }
        builder = match command.description_hash {
            Some(hash) => builder.description_hash(sha256::Hash::from_byte_array(hash)),
            None => builder.description(command.memo.clone()),
        };
        let invoice = builder
            .expiry(expiry)
            .min_final_cltv_expiry_delta(u64::from(cltv_expiry))
            .features(rayo_features())
            .build_signed(&self.node_secret)
            .map_err(|e| CommandError::InvalidArgument(e.to_string()))?;
        let record = InvoiceRecord {
            payment_hash: payment_hash.to_byte_array(),
            preimage,
            payment_secret,
            value_msat: command.value_msat,
            memo: command.memo,
            payment_request: invoice.to_string(),
            created_at: self.now,
            expiry,
            cltv_expiry,
            add_index: self.invoices.len() as u64 + 1,
            state: InvoiceState::Open,
            settle_index: 0,
            settled_at: None,
            amt_paid_msat: Msat(0),
            is_keysend: false,
        };
        self.store_invoice(record.clone());
        Ok(Reply::Invoice(record))
    }

    /// Stores an invoice (memory and changeset).
    fn store_invoice(&mut self, record: InvoiceRecord) {
        self.persist(Changeset {
            invoices: vec![record.clone()],
            ..Changeset::default()
        });
        self.invoices.insert(record.payment_hash, record);
    }

    /// An HTLC the peer offered is irrevocably committed: peel it, check it
    /// as the final node, and claim or fail it. Returns the update to send.
    pub(crate) fn receive_htlc(
        &mut self,
        channel: &mut FundedChannel,
        add: AddHtlc,
    ) -> Option<Message> {
        let Ok(packet) = OnionPacket::from_slice(&add.onion) else {
            return None;
        };
        // BOLT 2: an HTLC that takes our trimmed value over the limit is
        // failed once committed (its value would go to miners on chain).
        let over_dust = channel.phase.dust_exposure() > self.config.policy.max_dust_htlc_exposure;
        let settle = match peel_onion(&self.secp, &self.node_secret, &packet, &add.payment_hash) {
            Err(e) if e.failure_code().is_bad_onion() => {
                return channel
                    .phase
                    .fail_malformed_htlc(add.id, packet.sha256(), e.failure_code().0)
                    .ok()
                    .flatten();
            }
            Err(e) => {
                // The HMAC checked out: the payer can read our failure.
                let secret = bitcoin::secp256k1::PublicKey::from_slice(&packet.public_key)
                    .map(|key| SharedSecret::compute(&key, &self.node_secret));
                match secret {
                    Ok(secret) => Err((secret, e.to_failure(&packet))),
                    Err(_) => return None,
                }
            }
            // Not a forwarding node yet.
            Ok(peeled) => match peeled.hop {
                PeeledHop::Forward { .. } => Err((peeled.shared_secret, Failure::UnknownNextPeer)),
                PeeledHop::Final { .. } if over_dust => Err((
                    peeled.shared_secret,
                    Failure::TemporaryChannelFailure {
                        channel_update: Vec::new(),
                    },
                )),
                PeeledHop::Final { payload } => match FinalPayload::decode(&payload) {
                    Err(e) => Err((peeled.shared_secret, e.to_failure(&packet))),
                    Ok(payload) => match self.check_final(&add, &payload) {
                        Ok(preimage) => Ok(preimage),
                        Err(failure) => Err((peeled.shared_secret, failure)),
                    },
                },
            },
        };
        match settle {
            Ok(preimage) => {
                self.settle_invoice(&add, preimage);
                channel.phase.fulfill_htlc(add.id, preimage).ok().flatten()
            }
            Err((secret, failure)) => {
                tracing::info!(
                    payment_hash = %hex_of(&add.payment_hash),
                    failure = failure.code().name().unwrap_or("unknown"),
                    "incoming HTLC failed"
                );
                let packet = FailureMessage {
                    failure,
                    extension: Vec::new(),
                }
                .to_packet(&secret)
                .ok()?;
                channel.phase.fail_htlc(add.id, packet).ok().flatten()
            }
        }
    }

    /// BOLT 4's final-node checks against the invoice (or the keysend
    /// preimage). Returns the preimage to claim with.
    fn check_final(&self, add: &AddHtlc, payload: &FinalPayload) -> Result<[u8; 32], Failure> {
        if let Err(e) = payload.check_htlc(add.amount, add.cltv_expiry) {
            return Err(e.to_failure());
        }
        let height = self.tip_height();
        let unknown = Failure::IncorrectOrUnknownPaymentDetails {
            htlc_msat: add.amount,
            height,
        };
        if let Some(preimage) = payload.keysend_preimage {
            let genuine = sha256::Hash::hash(&preimage).to_byte_array() == add.payment_hash;
            let taken = self
                .invoices
                .get(&add.payment_hash)
                .is_some_and(|i| i.state == InvoiceState::Settled);
            return if genuine && !taken {
                Ok(preimage)
            } else {
                Err(unknown)
            };
        }
        let Some(invoice) = self.invoices.get(&add.payment_hash) else {
            return Err(unknown);
        };
        let Some(data) = payload.payment_data else {
            return Err(unknown);
        };
        // BOLT 4: at least the amount asked, and not over twice it.
        let paid_enough = invoice
            .value_msat
            .is_none_or(|v| add.amount >= v && add.amount.0 <= v.0.saturating_mul(2));
        let whole = data.total_msat <= add.amount;
        let on_time = add.cltv_expiry >= height.saturating_add(invoice.cltv_expiry);
        if data.payment_secret != invoice.payment_secret
            || invoice.state_at(self.now) != InvoiceState::Open
            || !paid_enough
            || !whole
            || !on_time
        {
            return Err(unknown);
        }
        Ok(invoice.preimage)
    }

    /// Marks the invoice of `add` settled (creating one for keysend).
    fn settle_invoice(&mut self, add: &AddHtlc, preimage: [u8; 32]) {
        let settle_index = self
            .invoices
            .values()
            .map(|i| i.settle_index)
            .max()
            .unwrap_or(0)
            + 1;
        let mut record = self
            .invoices
            .get(&add.payment_hash)
            .cloned()
            .unwrap_or(InvoiceRecord {
                payment_hash: add.payment_hash,
                preimage,
                payment_secret: [0; 32],
                value_msat: Some(add.amount),
                memo: String::new(),
                payment_request: String::new(),
                created_at: self.now,
                expiry: DEFAULT_INVOICE_EXPIRY,
                cltv_expiry: 0,
                add_index: self.invoices.len() as u64 + 1,
                state: InvoiceState::Open,
                settle_index: 0,
                settled_at: None,
                amt_paid_msat: Msat(0),
                is_keysend: true,
            });
        record.state = InvoiceState::Settled;
        record.settle_index = settle_index;
        record.settled_at = Some(self.now);
        record.amt_paid_msat = add.amount;
        self.store_invoice(record);
    }

    /// `lookupinvoice`.
    pub(crate) fn lookup_invoice(&self, payment_hash: [u8; 32]) -> Result<Reply, CommandError> {
        self.invoices
            .get(&payment_hash)
            .cloned()
            .map(Reply::Invoice)
            .ok_or_else(|| CommandError::NotFound("there are no existing invoices".into()))
    }
}

fn hex_of(bytes: &[u8]) -> String {
    use bitcoin::hex::DisplayHex;
    bytes.to_lower_hex_string()
}
