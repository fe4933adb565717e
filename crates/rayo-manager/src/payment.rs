//! Outgoing payments: `sendpayment` / `payinvoice` over a direct channel to
//! the payee (as LDK routes a first hop; multi-hop routing comes later), and
//! keysend. A payment is stored in flight with its HTLC, and ends succeeded
//! (the payee revealed the preimage) or failed (the HTLC was removed with a
//! failure the onion's shared secret decrypts). The `sendpayment` call is
//! answered then.

use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::secp256k1::{PublicKey, SecretKey};
use rayo_channel::normal::{AddHtlcError, FailReason, FailedHtlc, OutgoingHtlc};
use rayo_invoice::Invoice;
use rayo_onion::{build_onion, decrypt_failure, FinalPayload, Hop, PaymentData, SharedSecret};
use rayo_wire::amount::Msat;
use rayo_wire::features::Features;
use rayo_wire::ids::ChannelId;

use crate::action::{Changeset, CommandError, Reply};
use crate::event::{RequestId, SendPaymentCommand};
use crate::manager::Manager;
use crate::record::{ChannelPhase, PaymentRecord, PaymentState};

/// lnd's `BlockPadding`: blocks added to the final CLTV so a block found
/// while the HTLC travels does not make it too close for the payee.
pub const BLOCK_PADDING: u32 = 3;

/// The final CLTV delta of a keysend payment (lnd's default, 40, is under
/// LDK's 42: use LDK's so both accept it).
pub const KEYSEND_FINAL_CLTV_DELTA: u32 = 42;

/// lnd's text for a payee we have no channel to.
pub const NO_ROUTE: &str = "unable to find a path to destination";

/// What one payment attempt will pay, decided from the call.
struct PaymentPlan {
    payment_hash: [u8; 32],
    destination: PublicKey,
    amount: Msat,
    final_cltv_delta: u32,
    payment_data: Option<PaymentData>,
    keysend_preimage: Option<[u8; 32]>,
    payment_request: String,
}

impl Manager {
    /// `sendpayment`: checks the invoice (or keysend arguments), refuses a
    /// hash already paid or in flight, offers the HTLC on a direct channel,
    /// and answers the call once the payment ends.
    pub(crate) fn send_payment(
        &mut self,
        id: RequestId,
        command: SendPaymentCommand,
    ) -> Result<(), CommandError> {
        let plan = self.plan_payment(command)?;
        if let Some(existing) = self.payments.get(&plan.payment_hash) {
            match existing.state {
                PaymentState::Succeeded => {
                    return Err(CommandError::FailedPrecondition(
                        "invoice is already paid".into(),
                    ))
                }
                PaymentState::InFlight => {
                    return Err(CommandError::FailedPrecondition(
                        "payment is in transition".into(),
                    ))
                }
                PaymentState::Failed => {}
            }
        }
        let mut record = PaymentRecord {
            payment_hash: plan.payment_hash,
            index: self.next_payment_index(),
            value_msat: plan.amount,
            fee_msat: Msat(0),
            destination: plan.destination,
            payment_request: plan.payment_request.clone(),
            created_at: self.now,
            state: PaymentState::InFlight,
            preimage: None,
            failure: None,
            htlc: None,
            cltv_expiry: 0,
            shared_secrets: Vec::new(),
        };
        match self.offer_payment(&plan, &mut record) {
            Ok(()) => {
                self.waiting_payments.insert(plan.payment_hash, id);
                self.store_payment(record);
            }
            Err(reason) => {
                record.state = PaymentState::Failed;
                record.failure = Some(reason);
                self.store_payment(record.clone());
                self.reply(id, Ok(Reply::Payment(record)));
            }
        }
        Ok(())
    }

    /// Turns the call into what to pay, or refuses it with lnd's words.
    fn plan_payment(&self, command: SendPaymentCommand) -> Result<PaymentPlan, CommandError> {
        let invalid = |e: String| CommandError::InvalidArgument(e);
        if let Some(text) = &command.payment_request {
            let invoice: Invoice = text
                .trim()
                .parse()
                .map_err(|e| invalid(format!("invalid payment request: {e}")))?;
            if invoice.network() != Some(self.config.network) {
                return Err(invalid(format!(
                    "invoice is for {:?}, not for this node's chain",
                    invoice.currency()
                )));
            }
            invoice
                .check_payable(&Features::rayo_init(), self.now)
                .map_err(|e| CommandError::FailedPrecondition(e.to_string()))?;
            let amount = match (invoice.amount_msat(), command.amount) {
                (Some(_), Some(_)) => {
                    return Err(invalid(
                        "amount must not be specified when paying a non-zero amount invoice".into(),
                    ))
                }
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => {
                    return Err(invalid(
                        "amount must be specified when paying a zero amount invoice".into(),
                    ))
                }
            };
            return Ok(PaymentPlan {
                payment_hash: invoice.payment_hash().to_byte_array(),
                destination: invoice.payee().0,
                amount,
                final_cltv_delta: u32::try_from(invoice.min_final_cltv_expiry_delta())
                    .unwrap_or(u32::MAX),
                payment_data: Some(PaymentData {
                    payment_secret: invoice.payment_secret().0,
                    total_msat: amount,
                }),
                keysend_preimage: None,
                payment_request: invoice.to_string(),
            });
        }
        let destination = command
            .destination
            .ok_or_else(|| invalid("a payment needs --pay_req, or --dest with --keysend".into()))?;
        if !command.keysend {
            return Err(invalid(
                "paying a node without an invoice needs --keysend".into(),
            ));
        }
        let amount = command
            .amount
            .filter(|a| a.0 > 0)
            .ok_or_else(|| invalid("keysend needs an amount (--amt)".into()))?;
        let preimage = command
            .keysend_preimage
            .unwrap_or_else(|| self.derive_secret(b"keysend preimage"));
        Ok(PaymentPlan {
            payment_hash: sha256::Hash::hash(&preimage).to_byte_array(),
            destination,
            amount,
            final_cltv_delta: KEYSEND_FINAL_CLTV_DELTA,
            payment_data: None,
            keysend_preimage: Some(preimage),
            payment_request: String::new(),
        })
    }

    /// Offers the payment's HTLC on a direct channel to the payee. `Err` is
    /// the failure reason when it cannot be sent at all.
    fn offer_payment(
        &mut self,
        plan: &PaymentPlan,
        record: &mut PaymentRecord,
    ) -> Result<(), String> {
        let peer = plan.destination;
        let connected = self.peers.contains_key(&peer);
        let candidates: Vec<ChannelId> = self
            .open_channels_with(peer)
            .into_iter()
            .filter(
                |id| matches!(&self.channels[id].phase, ChannelPhase::Funded(f) if f.is_usable()),
            )
            .collect();
        if candidates.is_empty() {
            return Err(NO_ROUTE.into());
        }
        if !connected {
            return Err(format!("{NO_ROUTE}: the peer is not connected"));
        }
        // The channel that can send the most.
        let best = candidates
            .into_iter()
            .map(|id| {
                let sendable = match &self.channels[&id].phase {
                    ChannelPhase::Funded(f) => f.phase.sendable(),
                    _ => Msat(0),
                };
                (sendable, id)
            })
            .max()
            .map(|(s, id)| (id, s));
        let Some((channel_id, sendable)) = best else {
            return Err(NO_ROUTE.into());
        };
        if sendable < plan.amount {
            return Err(format!(
                "insufficient local balance: at most {} sat can be sent to this peer now",
                sendable.to_sat_floor().0
            ));
        }
        let cltv_expiry = self.tip_height() + plan.final_cltv_delta + BLOCK_PADDING;
        let payload = FinalPayload {
            amt_to_forward: plan.amount,
            outgoing_cltv_value: cltv_expiry,
            payment_data: plan.payment_data,
            payment_metadata: None,
            keysend_preimage: plan.keysend_preimage,
            custom_records: Default::default(),
        }
        .encode();
        let session_key = SecretKey::from_slice(&self.derive_secret(b"onion session key"))
            .map_err(|e| format!("session key: {e}"))?;
        let onion = build_onion(
            &self.secp,
            &session_key,
            &[Hop {
                node_id: peer,
                payload: &payload,
            }],
            &plan.payment_hash,
        )
        .map_err(|e| format!("cannot build the onion: {e}"))?;
        let keys = self.keys_of(channel_id).map_err(|e| e.to_string())?;
        let Ok(mut channel) = self.funded_with(peer, channel_id, "sendpayment") else {
            return Err(NO_ROUTE.into());
        };
        let offer = OutgoingHtlc {
            amount: plan.amount,
            payment_hash: plan.payment_hash,
            cltv_expiry,
            onion: Box::new(onion.packet.to_bytes()),
        };
        let (htlc_id, message) = channel
            .phase
            .add_htlc(&self.config.policy, &offer)
            .map_err(|e| match e {
                AddHtlcError::InsufficientBalance { available } => format!(
                    "insufficient local balance: at most {} sat can be sent to this peer now",
                    available.to_sat_floor().0
                ),
                other => other.to_string(),
            })?;
        if let Some(message) = message {
            self.send(peer, message);
        }
        self.sign_and_store(peer, channel_id, channel, &keys);
        record.htlc = Some((channel_id, htlc_id));
        record.cltv_expiry = cltv_expiry;
        record.shared_secrets = onion.shared_secrets.iter().map(|s| *s.as_bytes()).collect();
        Ok(())
    }

    /// The payee claimed our HTLC with `preimage`: the payment succeeded
    /// (even if the update is later replayed or reversed, the preimage is
    /// proof of payment).
    pub(crate) fn payment_succeeded(&mut self, payment_hash: [u8; 32], preimage: [u8; 32]) {
        let Some(mut record) = self.payments.get(&payment_hash).cloned() else {
            return;
        };
        if record.state == PaymentState::Succeeded {
            return;
        }
        record.state = PaymentState::Succeeded;
        record.preimage = Some(preimage);
        record.failure = None;
        self.finish_payment(record);
    }

    /// The peer failed our HTLC and both commitments dropped it.
    pub(crate) fn payment_failed_by_peer(&mut self, failed: &FailedHtlc) {
        let Some(mut record) = self.payments.get(&failed.htlc.payment_hash).cloned() else {
            return;
        };
        if record.state != PaymentState::InFlight {
            return;
        }
        let reason = match &failed.reason {
            FailReason::Packet(packet) => {
                let secrets: Vec<SharedSecret> = record
                    .shared_secrets
                    .iter()
                    .map(|s| SharedSecret::from_bytes(*s))
                    .collect();
                match decrypt_failure(&secrets, packet) {
                    Ok(attributed) => {
                        let code = attributed.message.code();
                        code.name()
                            .map_or_else(|| format!("failure code {:#06x}", code.0), str::to_owned)
                    }
                    Err(e) => format!("unreadable failure: {e}"),
                }
            }
            FailReason::Malformed { failure_code, .. } => {
                let code = rayo_onion::FailureCode(*failure_code);
                code.name().map_or_else(
                    || format!("failure code {failure_code:#06x}"),
                    str::to_owned,
                )
            }
        };
        record.state = PaymentState::Failed;
        record.failure = Some(reason);
        self.finish_payment(record);
    }

    fn finish_payment(&mut self, record: PaymentRecord) {
        if let Some(id) = self.waiting_payments.remove(&record.payment_hash) {
            self.reply(id, Ok(Reply::Payment(record.clone())));
        }
        self.store_payment(record);
    }

    /// Stores a payment (memory and changeset).
    pub(crate) fn store_payment(&mut self, record: PaymentRecord) {
        self.persist(Changeset {
            payments: vec![record.clone()],
            ..Changeset::default()
        });
        self.payments.insert(record.payment_hash, record);
    }

    fn next_payment_index(&self) -> u64 {
        self.payments.values().map(|p| p.index).max().unwrap_or(0) + 1
    }

    /// A secret for `purpose` from this event's entropy: each purpose gets
    /// its own, so two secrets drawn in one event never coincide.
    pub(crate) fn derive_secret(&self, purpose: &[u8]) -> [u8; 32] {
        let mut engine = sha256::Hash::engine();
        engine.input(&self.entropy);
        engine.input(purpose);
        engine.input(&self.now.to_be_bytes());
        sha256::Hash::from_engine(engine).to_byte_array()
    }
}
